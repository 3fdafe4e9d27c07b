"""The container image (root ``Dockerfile``, ``.dockerignore``, ``make image``).

Always run, no container engine needed:

* every image the Dockerfile pulls (its ``FROM`` lines once the global ``ARG`` defaults
  are applied, ``COPY --from`` images, the ``# syntax=`` frontend) is pinned by a
  ``sha256`` digest of 64 hex characters;
* ``.dockerignore``, applied as Docker applies it, leaves ``.git``, ``.venv`` and
  ``var/`` out and ``libs/``, ``services/``, ``pyproject.toml`` and ``uv.lock`` in;
* the build context it gives holds every file of the packages the wheels are built
  from (code and data: Alembic migrations, matching's taxonomy, payroll's rates).

``python tests/image/test_image.py`` lists that build context.

When a container engine answers (``docker info``, else ``podman info``): the image is
built, runs as uid 10001 on a read-only root filesystem (``--read-only --tmpfs /tmp``),
``cae migrate members`` works in it, and ``cae run members`` (SQLite in the container's
/tmp, the host's RabbitMQ through ``--network host``, in a throwaway vhost) answers
/health/live, /health/ready and /metrics. Without an engine these are skipped, with the
reason in the summary (``pytest -rs``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
RUN_AS = "10001"
BUILD_TIMEOUT = 1200  # seconds: a cold build downloads every wheel of uv.lock


# -- the Dockerfile -------------------------------------------------------------------
def _logical_lines(text: str) -> list[str]:
    """Instructions with their continuation lines joined, comments dropped."""
    lines, current = [], ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):  # a comment inside a continued instruction
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    if current:
        lines.append(current)
    return lines


def _substitute(text: str, args: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args.get(m[1] or m[2], m[0]), text)


def external_images(dockerfile: str) -> list[str]:
    """The images a build pulls: FROM and COPY --from references that are not earlier
    stages, with the global ARG defaults (those before the first FROM) applied."""
    args: dict[str, str] = {}
    stages: set[str] = set()
    images: list[str] = []
    seen_from = False
    for line in _logical_lines(dockerfile):
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "ARG" and not seen_from:
            name, _, default = rest.strip().partition("=")
            args[name.strip()] = default.strip().strip('"')
        elif keyword == "FROM":
            seen_from = True
            words = [w for w in rest.split() if not w.startswith("--")]
            reference = _substitute(words[0], args)
            if reference.lower() not in stages and reference != "scratch":
                images.append(reference)
            if len(words) == 3 and words[1].upper() == "AS":
                stages.add(words[2].lower())
        elif keyword == "COPY":
            for option in re.findall(r"--from=(\S+)", rest):
                reference = _substitute(option, args)
                if reference.lower() not in stages and not reference.isdigit():
                    images.append(reference)
    return images


def syntax_directive(dockerfile: str) -> str | None:
    """The ``# syntax=`` parser directive, if the file starts with one."""
    for line in dockerfile.splitlines():
        match = re.match(r"#\s*syntax\s*=\s*(\S+)", line.strip(), re.IGNORECASE)
        if match:
            return match[1]
        if not re.match(r"#\s*\w+\s*=", line.strip()):  # directives come first, or not at all
            return None
    return None


def copied_sources(dockerfile: str) -> list[str]:
    """What the build copies from the context (COPY/ADD without --from)."""
    sources = []
    for line in _logical_lines(dockerfile):
        keyword, _, rest = line.partition(" ")
        if keyword.upper() in ("COPY", "ADD") and "--from=" not in rest:
            words = [w for w in rest.split() if not w.startswith("--")]
            sources += words[:-1]
    return sources


# -- .dockerignore, as Docker applies it (moby/patternmatcher) ---------------------------
def _pattern_regex(pattern: str) -> re.Pattern:
    out, i = "^", 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            if pattern[i + 1:i + 2] == "*":  # `**`: any number of directories, none included
                i += 1
                if pattern[i + 1:i + 2] == "/":
                    i += 1
                out += ".*" if i + 1 >= len(pattern) else "(.*/)?"
            else:
                out += "[^/]*"
        elif char == "?":
            out += "[^/]"
        elif char == "\\" and i + 1 < len(pattern):
            i += 1
            out += re.escape(pattern[i])
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out += re.escape(char)
            else:
                body = pattern[i + 1:end]
                out += "[" + ("^" + body[1:] if body.startswith("^") else body) + "]"
                i = end
        else:
            out += re.escape(char)
        i += 1
    return re.compile(out + "$")


class DockerIgnore:
    """The patterns of a .dockerignore: the last one matching a path, or one of its
    parent directories, decides; ``!`` lets a path back in."""

    def __init__(self, text: str):
        self.patterns: list[tuple[bool, str, re.Pattern]] = []
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            exception = line.startswith("!")
            pattern = os.path.normpath(line[1:].strip() if exception else line).lstrip("/")
            self.patterns.append((exception, pattern, _pattern_regex(pattern)))

    def excluded(self, path: str) -> bool:
        parts = path.strip("/").split("/")
        prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
        verdict = False
        for exception, _, regex in self.patterns:
            if any(regex.match(prefix) for prefix in prefixes):
                verdict = not exception
        return verdict

    def may_hold_included(self, directory: str) -> bool:
        """Whether an excluded directory may still hold a path let back in (the walk
        then goes into it, as Docker's does)."""
        parts = directory.split("/")
        for exception, pattern, _ in self.patterns:
            if not exception:
                continue
            if "**" in pattern:
                return True
            segments = pattern.split("/")
            if len(segments) > len(parts) and all(
                    _pattern_regex(s).match(p) for s, p in zip(segments, parts, strict=False)):
                return True
        return False


def build_context(root: Path = ROOT) -> list[str]:
    """Every file the build context sends, relative to ``root``, sorted."""
    ignore = DockerIgnore((root / ".dockerignore").read_text(encoding="utf-8"))
    files = []
    for directory, subdirectories, names in os.walk(root):
        relative = Path(directory).relative_to(root).as_posix()
        relative = "" if relative == "." else relative + "/"
        subdirectories[:] = sorted(
            d for d in subdirectories
            if not ignore.excluded(relative + d) or ignore.may_hold_included(relative + d))
        files += [relative + n for n in names if not ignore.excluded(relative + n)]
    return sorted(files)


def package_files(root: Path = ROOT) -> list[str]:
    """The files the workspace's wheels are built from: each member's pyproject.toml and
    every file of the packages it names (tracked by git when git can tell)."""
    workspace = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    members = workspace["tool"]["uv"]["workspace"]["members"]
    wanted = []
    for member in members:
        project = tomllib.loads((root / member / "pyproject.toml").read_text(encoding="utf-8"))
        packages = project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
        wanted.append(f"{member}/pyproject.toml")
        wanted += [f"{member}/{package}/" for package in packages]
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--", *members], cwd=root,
                                capture_output=True, check=True, timeout=60).stdout
        tracked = [p for p in listed.decode().split("\0") if p and (root / p).is_file()]
    except (OSError, subprocess.SubprocessError):  # no git, or not a checkout
        tracked = [p.relative_to(root).as_posix() for m in members
                   for p in (root / m).rglob("*")
                   if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]
    return sorted(p for p in tracked
                  if any(p == w or (w.endswith("/") and p.startswith(w)) for w in wanted))


# -- always run ---------------------------------------------------------------------
def test_every_image_the_dockerfile_pulls_is_pinned_by_digest():
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    images = external_images(dockerfile)
    assert images, "no FROM line found in the Dockerfile"
    unpinned = [image for image in images if not DIGEST.search(image)]
    assert not unpinned, f"not pinned by a sha256 digest (64 hex characters): {unpinned}"
    # one base image, the Python the lock file was resolved for
    tags = {image.partition("@")[0] for image in images}
    assert len(tags) == 1 and re.fullmatch(r"python:3\.11(\.\d+)?-slim-bookworm", tags.pop())
    syntax = syntax_directive(dockerfile)
    assert syntax is None or DIGEST.search(syntax), f"# syntax={syntax} is not pinned"
    from_lines = [line for line in _logical_lines(dockerfile) if line.upper().startswith("FROM ")]
    assert len(from_lines) >= 2  # build and run stages, the same base


def test_the_dockerfile_installs_the_uv_that_bootstrap_installs():
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    bootstrap = (ROOT / "scripts" / "bootstrap.sh").read_text(encoding="utf-8")
    wanted = re.search(r'"uv==([0-9.]+)"', bootstrap)[1]
    assert re.search(rf"^ARG UV_VERSION={re.escape(wanted)}$", dockerfile, re.MULTILINE)
    assert "ghcr.io/astral-sh/uv" not in "\n".join(_logical_lines(dockerfile))


def test_dockerignore_leaves_out_git_venv_and_var_but_not_the_workspace():
    ignore = DockerIgnore(DOCKERIGNORE.read_text(encoding="utf-8"))
    for path in (".git", ".git/HEAD", ".venv", ".venv/bin/python", "var", "var/demo/demo.env",
                 "var/cae-members.db", "docs/architecture.md", "deploy/base/kustomization.yaml",
                 "bench/bench_kit.py", "node_modules/x/package.json", "tests/unit/test_x.py",
                 "services/members/tests/unit/test_x.py", "services/members/var/cae-members.db",
                 "services/members/cae_members/__pycache__/service.cpython-311.pyc",
                 "libs/kit/caekit/__pycache__/cli.cpython-311.pyc", "libs/kit/.pytest_cache/x"):
        assert ignore.excluded(path), f".dockerignore lets {path} into the build context"
    for path in ("pyproject.toml", "uv.lock", "libs", "libs/kit/pyproject.toml",
                 "libs/kit/caekit/cli.py", "services", "services/members/pyproject.toml",
                 "services/members/cae_members/adapters/migrations/script.py.mako",
                 "services/matching/cae_matching/adapters/taxonomy_data/skills_fr.csv"):
        assert not ignore.excluded(path), f".dockerignore leaves {path} out of the build context"


def test_a_used_checkout_sends_only_the_workspace_sources(tmp_path):
    """A checkout after `make demo` and a test run: stores, caches, a stray virtualenv."""
    (tmp_path / ".dockerignore").write_text(DOCKERIGNORE.read_text(encoding="utf-8"))
    kept = ["pyproject.toml", "uv.lock", "libs/kit/pyproject.toml", "libs/kit/caekit/cli.py",
            "services/matching/cae_matching/adapters/taxonomy_data/README.md",
            "services/members/cae_members/adapters/migrations/versions/0001_initial.py"]
    dropped = ["Dockerfile", "README.md", ".env", ".git/HEAD", ".venv/bin/python",
               "var/demo/demo.env", "var/cae-members.db", "docs/adr/0005-deployment.md",
               "deploy/base/kustomization.yaml", "scripts/demo.sh", "tests/unit/test_x.py",
               "libs/kit/tests/unit/test_cli.py", "libs/kit/caekit/__pycache__/cli.cpython-311.pyc",
               "libs/kit/build/lib/caekit/cli.py", "libs/kit/caekit.egg-info/PKG-INFO",
               "services/members/var/cae-members.db", "services/members/cae-members.db-wal",
               "services/members/.pytest_cache/v/cache/nodeids", "services/matching/.env",
               "services/matching/tests/data/esco-sample/skills_fr.csv"]
    for path in kept + dropped:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("x")
    assert build_context(tmp_path) == sorted(kept)


def test_the_build_context_holds_what_the_build_copies_and_every_package_file():
    context = build_context()
    in_context = set(context)
    for source in copied_sources(DOCKERFILE.read_text(encoding="utf-8")):
        source = source.rstrip("/")
        assert source in in_context or any(p.startswith(source + "/") for p in context), (
            f"the Dockerfile copies {source}, which .dockerignore leaves out")
    wanted = package_files()
    assert any("/adapters/migrations/" in p for p in wanted)  # the check sees package data
    assert any(p.endswith(".csv") for p in wanted)
    missing = [p for p in wanted if p not in in_context]
    assert not missing, f"package files left out of the build context: {missing}"
    leaked = [p for p in context if re.search(
        r"(^|/)(\.git|\.venv|var|__pycache__)/|^(libs|services)/[^/]+/tests/|\.py[cod]$"
        r"|\.db(-wal|-shm)?$", p)]
    assert not leaked, f"in the build context, and no build needs them: {leaked[:20]}"
    outside = [p for p in context if p not in ("pyproject.toml", "uv.lock")
               and not p.startswith(("libs/", "services/"))]
    assert not outside, f"the build copies only pyproject.toml, uv.lock, libs/, services/: {outside}"


# -- with a container engine ---------------------------------------------------------------
def container_engine() -> tuple[str | None, str]:
    """(docker or podman, "") when one answers, else (None, why not)."""
    reasons = []
    for engine in ("docker", "podman"):
        if shutil.which(engine) is None:
            reasons.append(f"no `{engine}`")
            continue
        try:
            answer = subprocess.run([engine, "info"], capture_output=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as exc:
            reasons.append(f"`{engine} info` fails ({exc.__class__.__name__})")
            continue
        if answer.returncode == 0:
            return engine, ""
        reasons.append(f"`{engine} info` fails (no daemon)" if engine == "docker"
                       else f"`{engine} info` fails")
    return None, ", ".join(reasons)


def _run(engine: str, *args: str, timeout: float = 120, check: bool = True):
    result = subprocess.run([engine, *args], capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, "DOCKER_BUILDKIT": "1"})
    if check and result.returncode != 0:
        pytest.fail(f"`{engine} {' '.join(args)}` exited with {result.returncode}:\n"
                    f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


@pytest.fixture(scope="module")
def engine():
    found, why = container_engine()
    if found is None:
        pytest.skip(f"no container engine: {why}; the image build and start tests are skipped")
    return found


@pytest.fixture(scope="module")
def image(engine):
    """The image, built from this checkout for these tests, removed afterwards."""
    tag = f"cae-platform:test-{uuid.uuid4().hex[:8]}"
    _run(engine, "build", "--tag", tag, str(ROOT), timeout=BUILD_TIMEOUT)
    yield tag
    _run(engine, "rmi", "--force", tag, check=False)


LOCKED_DOWN = ("--read-only", "--tmpfs", "/tmp", "--env", "CAE_ENV_FILE=")


@pytest.mark.timeout(BUILD_TIMEOUT + 300)
def test_the_image_runs_as_10001_on_a_read_only_root_and_migrates(engine, image):
    user = _run(engine, "image", "inspect", "--format", "{{.Config.User}}", image).stdout
    assert user.strip() == f"{RUN_AS}:{RUN_AS}"
    assert _run(engine, "run", "--rm", *LOCKED_DOWN, "--entrypoint", "id", image,
                "-u").stdout.strip() == RUN_AS

    # the root filesystem refuses writes; /tmp takes them
    probe = _run(engine, "run", "--rm", *LOCKED_DOWN, "--entrypoint", "sh", image, "-c",
                 "touch /tmp/probe && echo tmp-ok; touch /opt/cae/probe", check=False)
    assert "tmp-ok" in probe.stdout
    assert probe.returncode != 0 and "Read-only file system" in probe.stderr

    # the packages' data files are installed (migrations, taxonomy, rates...)
    wanted = sorted({p.split("/", 2)[2] for p in package_files()
                     if not p.endswith((".py", "/pyproject.toml"))})
    check = ("import importlib.util, json, pathlib, sys\n"
             "site = pathlib.Path(importlib.util.find_spec('caekit').origin).parents[1]\n"
             "print(json.dumps([p for p in json.loads(sys.argv[1]) "
             "if not (site / p).is_file()]))")
    missing = json.loads(_run(engine, "run", "--rm", *LOCKED_DOWN, "--entrypoint", "python",
                              image, "-c", check, json.dumps(wanted)).stdout)
    assert not missing, f"package data missing from the image: {missing}"

    migrated = _run(engine, "run", "--rm", *LOCKED_DOWN,
                    "--env", "CAE_DATABASE_URL=sqlite:////tmp/cae-members.db",
                    image, "migrate", "members", "--no-queues")
    assert "members: migrated to head" in migrated.stderr


def _broker_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=3):
            return True
    except OSError:
        return False


def _get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return reply.status, reply.headers.get("Content-Type", ""), reply.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read().decode()


@pytest.mark.timeout(BUILD_TIMEOUT + 300)
def test_the_image_serves_members_health_and_metrics(engine, image, request):
    if not _broker_answers():
        pytest.skip("no RabbitMQ on 127.0.0.1:5672 (`make infra`): `cae run members` needs a "
                    "broker, so the image's health endpoints are not called")
    from caekit.testing import free_port

    amqp_uri = request.getfixturevalue("amqp_uri")  # a throwaway vhost on the host's broker
    port = free_port()
    name = f"cae-image-test-{uuid.uuid4().hex[:8]}"
    # the store lives in the container's own /tmp: migrate, then run, in one container
    _run(engine, "run", "--detach", "--name", name, "--network", "host", *LOCKED_DOWN,
         "--env", "CAE_DATABASE_URL=sqlite:////tmp/cae-members.db",
         "--env", f"CAE_AMQP_URI={amqp_uri}", "--env", f"CAE_HTTP_PORT={port}",
         "--entrypoint", "sh", image, "-c", "cae migrate members && exec cae run members")
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:  # waiting for the service to start, not timing it
            try:
                status, _, body = _get(f"{base}/health/live")
                if status == 200:
                    break
            except OSError:
                pass
            state = _run(engine, "inspect", "--format", "{{.State.Running}}", name).stdout
            if state.strip() != "true" or time.monotonic() > deadline:
                logs = _run(engine, "logs", name, check=False)
                pytest.fail(f"cae run members did not answer /health/live:\n"
                            f"{logs.stdout[-3000:]}\n{logs.stderr[-3000:]}")
            time.sleep(0.5)
        assert json.loads(body) == {"status": "ok", "service": "members"}

        status, _, body = _get(f"{base}/health/ready")
        ready = json.loads(body)
        assert status == 200 and ready["service"] == "members", ready
        assert ready["checks"]["database"]["ok"] is True, ready
        assert ready["status"] in ("ok", "degraded"), ready  # degraded: broker reconnecting

        status, content_type, body = _get(f"{base}/metrics")
        assert status == 200 and content_type.startswith("text/plain")
        assert "cae_outbox_backlog" in body

        assert _run(engine, "exec", name, "id", "-u").stdout.strip() == RUN_AS
        assert _run(engine, "inspect", "--format", "{{.HostConfig.ReadonlyRootfs}}",
                    name).stdout.strip() == "true"
    finally:
        _run(engine, "rm", "--force", name, check=False)


if __name__ == "__main__":  # the build context, as .dockerignore makes it
    listing = build_context()
    print("\n".join(listing))
    absent = [p for p in package_files() if p not in set(listing)]
    print(f"{len(listing)} files; package files left out: {absent or 'none'}", file=sys.stderr)
    sys.exit(1 if absent else 0)
