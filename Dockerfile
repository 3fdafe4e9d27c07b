# syntax=docker/dockerfile:1.7
#
# One image for every CAE service (see docs/adr/0005-deployment.md).
# The whole uv workspace is installed once; the service is chosen at run time:
#
#   docker build -t cae-platform:dev .
#   docker run --rm -p 8000:8000 cae-platform:dev                  # cae run members
#   docker run --rm -p 8000:8000 cae-platform:dev run ledger
#   docker run --rm cae-platform:dev relay ledger                  # outbox relay alone
#   docker run --rm cae-platform:dev migrate ledger                # Alembic migrations
#
# Build and run stages share the same base image, so the virtualenv's
# interpreter path (/usr/local/bin/python3.11) exists in both.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG UV_VERSION=0.13.9

FROM ghcr.io/astral-sh/uv:${UV_VERSION} AS uv

# --------------------------------------------------------------------------- build
FROM ${PYTHON_IMAGE} AS build

COPY --from=uv /uv /uvx /usr/local/bin/

ENV UV_PROJECT_ENVIRONMENT=/opt/cae/venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=0 \
    UV_PYTHON=/usr/local/bin/python3.11

WORKDIR /src

# 1) Third-party dependencies only, from the lock file. This layer is rebuilt
#    only when pyproject.toml or uv.lock change, not on every code change.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace

# 2) The workspace packages (kit, contracts, every service), installed as
#    regular (non-editable) wheels so the run stage needs no source tree.
#    Only libs/ and services/ are copied: never the host's .venv or .git.
COPY libs ./libs
COPY services ./services
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable \
 && /opt/cae/venv/bin/python -c "import importlib.util as u, sys; \
        missing = [m for m in ('caekit', 'cae_contracts', 'cae_members', 'cae_ledger', 'cae_payroll', 'cae_governance', 'cae_matching') if u.find_spec(m) is None]; \
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
# there and keeps the root filesystem read-only).
WORKDIR /tmp
USER 10001:10001
EXPOSE 8000

ENTRYPOINT ["cae"]
CMD ["run", "members"]
