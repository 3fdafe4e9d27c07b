# syntax=docker/dockerfile:1.7@sha256:a57df69d0ea827fb7266491f2813635de6f17269be881f696fbfdf2d83dda33e
#
# One image for every CAE service (see docs/adr/0005-deployment.md).
# The whole uv workspace is installed once; the service is chosen at run time:
#
#   make image                                                      # cae-platform:dev
#   docker build -t cae-platform:dev .                              # the same, by hand
#   docker run --rm -p 8000:8000 cae-platform:dev                  # cae run members
#   docker run --rm -p 8000:8000 cae-platform:dev run ledger
#   docker run --rm cae-platform:dev relay ledger                  # outbox relay alone
#   docker run --rm cae-platform:dev migrate ledger                # Alembic migrations
#
# Build and run stages share the same base image, so the virtualenv's
# interpreter path (/usr/local/bin/python3.11) exists in both.
#
# Every image this file pulls is pinned by digest (tests/image checks it): the
# Dockerfile frontend above (docker/dockerfile:1.7, the frozen 1.7 line) and the
# base below, the only one. uv comes from PyPI, at the version scripts/bootstrap.sh
# installs, not from a second image.
#
# PYTHON_IMAGE: the multi-arch index digest (linux/amd64, linux/arm64...) of
# python:3.11-slim-bookworm when it carried Python 3.11.17 (the same index as
# python:3.11.17-slim-bookworm then). Not resolved from this repository's machines
# (no Docker Hub access there): taken from public Dockerfiles on GitHub that pin it,
# one commented "Pinned by digest (3.11.17, 2026-10-06)", others naming it the
# multi-arch index digest of python:3.11.17-slim-bookworm, and a CI build report of
# 2026-10-08 in which python:3.11-slim-bookworm resolved to it.
# To move to a newer base (Debian security fixes come with rebuilt bases):
#   scripts/pin-image.sh            # prints the tag's current digest, and how to update
# then change the line below, its date above, and run `make image` and
# `pytest tests/image -rs` where a container engine answers.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:0a310eeecf4e1f5a0743f9a6520c90c88d089c903ca5fd283f501e3a805f5f89
ARG UV_VERSION=0.13.9

# --------------------------------------------------------------------------- build
FROM ${PYTHON_IMAGE} AS build

ARG UV_VERSION
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    UV_PROJECT_ENVIRONMENT=/opt/cae/venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=0 \
    UV_PYTHON=/usr/local/bin/python3.11

# uv from PyPI into the build stage only (the run stage gets the virtualenv alone)
RUN --mount=type=cache,target=/root/.cache/pip \
    python -m pip install "uv==${UV_VERSION}" \
 && uv --version

WORKDIR /src

# 1) Third-party dependencies only, from the lock file. This layer is rebuilt
#    only when pyproject.toml or uv.lock change, not on every code change.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace

# 2) The workspace packages (kit, contracts, every service), installed as
#    regular (non-editable) wheels so the run stage needs no source tree.
#    Only libs/ and services/ are copied, and .dockerignore keeps everything
#    else (.git, .venv, var/, tests, caches, databases) out of the build context.
COPY libs ./libs
COPY services ./services
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable \
 && /opt/cae/venv/bin/python -c "import importlib.util as u, sys; \
        missing = [m for m in ('caekit', 'cae_contracts', 'cae_members', 'cae_ledger', 'cae_payroll', 'cae_governance', 'cae_matching', 'cae_portal') if u.find_spec(m) is None]; \
        sys.exit(f'not installed: {missing}' if missing else 0)"

# --------------------------------------------------------------------------- run
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="cae-platform" \
      org.opencontainers.image.description="CAE back office services (members, ledger, ...): one image, the service is the command argument"

RUN groupadd --system --gid 10001 cae \
 && useradd --system --uid 10001 --gid 10001 --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin cae

COPY --from=build /opt/cae/venv /opt/cae/venv

ENV PATH=/opt/cae/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PSYCOPG_WAIT_FUNC=wait_select \
    CAE_HTTP_PORT=8000

# Nothing is written outside /tmp at run time (Kubernetes mounts an emptyDir
# there and keeps the root filesystem read-only; tests/image runs the image with
# --read-only --tmpfs /tmp).
WORKDIR /tmp
USER 10001:10001
EXPOSE 8000

ENTRYPOINT ["cae"]
CMD ["run", "members"]
