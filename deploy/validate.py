#!/usr/bin/env python3
"""Validate the rendered Kubernetes manifests under deploy/, offline.

    .venv/bin/python deploy/validate.py [TARGET ...] [--kubernetes 1.31 ...] [--no-checkov]

TARGETs are ``overlays/dev``, ``overlays/production``, ``base`` and
``components/<name>`` (the component rendered on top of the base, on its own);
all of them by default. Each target is rendered with ``kubectl kustomize``, then:

* every built-in resource is validated with kubernetes-validate in strict mode
  (unknown fields refused) against every Kubernetes minor version from 1.30 to
  the newest kubernetes-validate ships (``kubernetes_versions()``); a kind/apiVersion
  that a version does not serve is an error for that version;
* every custom resource is validated against the CRD schema shipped for its
  apiVersion and kind under deploy/schemas (``index.json``; deploy/schemas/README.md
  says which upstream release each comes from) with jsonschema, as strictly as the
  API server's strict field validation: an unknown field is refused unless its
  object has ``x-kubernetes-preserve-unknown-fields``, ``metadata`` is checked as an
  ObjectMeta (kubernetes-validate's strict schema), ``nullable``,
  ``x-kubernetes-int-or-string`` and list-type ``set``/``map`` keys are honoured.
  A custom resource without a shipped schema is an error. Not checked: CEL rules
  (``x-kubernetes-validations``) and string ``format``s;
* the overlays (only) are scanned by checkov (var/checkov, configured by
  deploy/.checkov.yaml, without network); every failed check must be listed, with
  its resources and a reason, in deploy/checkov-exceptions.md.

Prints one line per problem and a summary; exits 0 when all is well, 1 on any
problem, 2 when kubectl is missing or the arguments are wrong.
Importable: the tests (deploy/test_validation.py) call the functions below.
"""

from __future__ import annotations

import argparse
import fnmatch
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from kubernetes_validate import utils as kv_utils
from referencing import Registry, Resource

DEPLOY = Path(__file__).resolve().parent
ROOT = DEPLOY.parent
SCHEMAS = DEPLOY / "schemas"
CHECKOV = ROOT / "var" / "checkov" / "bin" / "checkov"
CHECKOV_CONFIG = DEPLOY / ".checkov.yaml"
CHECKOV_EXCEPTIONS = DEPLOY / "checkov-exceptions.md"
OLDEST_KUBERNETES = (1, 30)
KUBECTL_TIMEOUT = 120
CHECKOV_TIMEOUT = 150  # s; it takes ~6 s an overlay. Under pytest-timeout's 180 s a test.
# Environment for checkov: local checks only, nothing fetched (no platform mapping or
# guidelines: BC_SKIP_MAPPING and --skip-download; no PyPI version check).
CHECKOV_ENV = {
    "BC_SKIP_MAPPING": "TRUE",
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE",
    "LOG_LEVEL": "WARNING",
}
# Never hand checkov credentials for a platform, whatever the caller's environment has.
CHECKOV_ENV_DROP = ("BC_API_KEY", "BC_API_URL", "PRISMA_API_URL")

OBJECT_META = "https://kubernetes.io/api/_definitions.json#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


class ValidationSetupError(Exception):
    """Something needed to validate is missing (kubectl, checkov, a schema file)."""


# --------------------------------------------------------------------------- targets


def overlays() -> list[str]:
    return sorted(f"overlays/{p.name}" for p in (DEPLOY / "overlays").iterdir() if p.is_dir())


def components() -> list[str]:
    return sorted(f"components/{p.name}" for p in (DEPLOY / "components").iterdir() if p.is_dir())


def targets() -> list[str]:
    """Every overlay, the base, and the base with each component on its own."""
    return [*overlays(), "base", *components()]


def kubectl() -> str | None:
    return shutil.which("kubectl")


@functools.cache
def render(target: str) -> str:
    """``kubectl kustomize`` of a target (see the module docstring), as YAML text."""
    binary = kubectl()
    if binary is None:
        raise ValidationSetupError("kubectl is not installed (needed to render the manifests)")
    if target.startswith("components/"):
        component = DEPLOY / target
        if not component.is_dir():
            raise ValidationSetupError(f"no such component: {target}")
        with tempfile.TemporaryDirectory(prefix="cae-validate-") as tmp:
            kustomization = {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "namespace": "cae",
                # kustomize refuses absolute paths
                "resources": [os.path.relpath(DEPLOY / "base", tmp)],
                "components": [os.path.relpath(component, tmp)],
            }
            Path(tmp, "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
            return _kustomize(binary, Path(tmp), target)
    directory = DEPLOY / target
    if not directory.is_dir():
        raise ValidationSetupError(f"no such target: {target}")
    return _kustomize(binary, directory, target)


def _kustomize(binary: str, directory: Path, target: str) -> str:
    result = subprocess.run(
        [binary, "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=KUBECTL_TIMEOUT,
    )
    if result.returncode != 0:
        raise ValidationSetupError(
            f"{target}: kubectl kustomize failed: {result.stderr.strip() or result.stdout.strip()}"
        )
    return result.stdout


def documents(text: str) -> list[Any]:
    return [d for d in yaml.safe_load_all(text) if d is not None]


def describe(doc: Any) -> str:
    """``Kind namespace/name (apiVersion)`` of a document, for messages."""
    if not isinstance(doc, dict):
        return f"<{type(doc).__name__} document>"
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    name = meta.get("name", "?")
    if meta.get("namespace"):
        name = f"{meta['namespace']}/{name}"
    return f"{doc.get('kind', '?')} {name} ({doc.get('apiVersion', '?')})"


# --------------------------------------------------------------------------- messages


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _path(error: jsonschema.ValidationError) -> str:
    parts = []
    for item in error.absolute_path:
        parts.append(f"[{item}]" if isinstance(item, int) else f".{item}")
    return "".join(parts).lstrip(".") or "<root>"


def _error_lines(validator: jsonschema.protocols.Validator, doc: Any) -> list[str]:
    lines = []
    for error in sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.path]):
        message = error.message
        if error.context:  # anyOf/oneOf: say what the closest alternative wanted
            best = jsonschema.exceptions.best_match(error.context)
            message = f"{message} (closest: {_path(best)}: {best.message})"
        lines.append(f"{_path(error)}: {_short(message)}")
    return lines


# --------------------------------------------------------------------------- built-ins


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:2])


def kubernetes_versions() -> list[str]:
    """Every minor version kubernetes-validate has schemas for, from 1.30 on."""
    minors = {kv_utils.major_minor(v) for v in kv_utils.all_versions()}
    return sorted((m for m in minors if _version_key(m) >= OLDEST_KUBERNETES), key=_version_key)


def _schema_dir(version: str) -> str:
    """kubernetes-validate's strict schema directory for a minor version (its rule: the
    newest schemas not newer than the version asked for)."""
    candidates = [v for v in kv_utils.all_versions() if _version_key(v) <= _version_key(version)]
    if not candidates:
        raise ValidationSetupError(f"kubernetes-validate has no schemas for {version}")
    return f"v{candidates[-1]}-local-strict"


@functools.cache
def _definitions(schema_dir: str) -> Resource:
    contents = kv_utils.schema_contents(
        f"kubernetes-json-schema/{schema_dir}/_definitions.json", schema_dir
    )
    return Resource.from_contents(contents)


@functools.cache
def _builtin_validator(version: str, api_version: str, kind: str):
    """The validator kubernetes_validate.validate(strict=True) builds for this kind, made
    once (the same schema files and the same Draft 2020-12 validator), or None when the
    version has no such built-in kind."""
    schema_dir = _schema_dir(version)
    # kubernetes-validate's naming: rbac.authorization.k8s.io/v1 -> rbac-v1, v1 -> v1
    api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = kv_utils.schema_contents(
            f"kubernetes-json-schema/{schema_dir}/{kind.lower()}-{api}.json", version
        )
    except FileNotFoundError:
        return None
    # Guard against a custom group whose first label is a built-in group's (apps.example.com)
    gvks = schema.get("x-kubernetes-group-version-kind") or []
    group, _, ver = api_version.rpartition("/")
    if gvks and not any(
        g.get("group", "") == group and g.get("version") == ver and g.get("kind") == kind
        for g in gvks
    ):
        return None
    registry = _definitions(schema_dir) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


def is_builtin(api_version: str, kind: str, versions: Iterable[str] | None = None) -> bool:
    """Whether some version (default: all of KUBERNETES_VERSIONS) has this built-in kind."""
    return any(
        _builtin_validator(v, api_version, kind) is not None
        for v in (versions or kubernetes_versions())
    )


def validate_builtin(doc: dict, version: str) -> list[str]:
    """Problems of a built-in resource against Kubernetes ``version`` (strict)."""
    validator = _builtin_validator(version, doc["apiVersion"], doc["kind"])
    if validator is None:
        return [f"Kubernetes {version} has no {doc['kind']} in {doc['apiVersion']}"]
    return _error_lines(validator, doc)


# --------------------------------------------------------------------------- custom resources


@functools.cache
def schema_index() -> dict[str, Any]:
    path = SCHEMAS / "index.json"
    if not path.is_file():
        raise ValidationSetupError(f"{path} is missing (deploy/schemas/extract.py writes it)")
    return json.loads(path.read_text())


def custom_groups() -> set[str]:
    return {key.split("/", 1)[0] for key in schema_index()["schemas"]}


def crd_key(api_version: str, kind: str) -> str:
    return f"{api_version}/{kind}"


def _list_map_keys(validator, keys, instance, schema):
    """x-kubernetes-list-type: map: the API server refuses two items with the same keys."""
    if not validator.is_type(instance, "array") or schema.get("x-kubernetes-list-type") != "map":
        return
    seen = set()
    for item in instance:
        if not isinstance(item, dict):
            continue
        key = tuple(json.dumps(item.get(k), sort_keys=True) for k in keys)
        if key in seen:
            values = ", ".join(f"{k}={item.get(k)!r}" for k in keys)
            yield jsonschema.ValidationError(f"duplicate entries in a list-map ({values})")
        seen.add(key)


CrdValidator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator, {"x-kubernetes-list-map-keys": _list_map_keys}
)


def structural_to_jsonschema(node: Any, *, structural: bool = True) -> Any:
    """A CRD's OpenAPI v3 schema as a JSON Schema with the API server's strictness.

    ``structural`` is false inside allOf/anyOf/oneOf/not, where a structural schema
    may only add value validations (their properties never declare fields)."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {
                name: structural_to_jsonschema(sub, structural=structural)
                for name, sub in value.items()
            }
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = structural_to_jsonschema(value, structural=structural)
        elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            out[key] = [structural_to_jsonschema(sub, structural=False) for sub in value]
        elif key == "not" and isinstance(value, dict):
            out[key] = structural_to_jsonschema(value, structural=False)
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
            # OpenAPI 3.0's boolean form -> JSON Schema's number form
            bound = node.get("minimum" if key == "exclusiveMinimum" else "maximum")
            if value and bound is not None:
                out[key] = bound
        elif key in ("format", "default", "example", "nullable"):
            continue  # formats are not checked; defaults are applied by the server
        else:
            out[key] = value
    for key in ("exclusiveMinimum", "exclusiveMaximum"):
        if isinstance(node.get(key), bool) and node[key]:
            out.pop("minimum" if key == "exclusiveMinimum" else "maximum", None)

    if node.get("x-kubernetes-int-or-string") and "type" not in node and "anyOf" not in node:
        out["type"] = ["integer", "string"]
    if node.get("x-kubernetes-list-type") == "set":
        out["uniqueItems"] = True
    if node.get("x-kubernetes-embedded-resource"):
        props = out.setdefault("properties", {})
        props.setdefault("apiVersion", {"type": "string"})
        props.setdefault("kind", {"type": "string"})
        props.setdefault("metadata", {"type": "object"})
    is_object = node.get("type") == "object" or "properties" in node
    if (
        structural
        and is_object
        and "additionalProperties" not in node
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        # Strict field validation: a field the schema does not declare is refused.
        out["additionalProperties"] = False
    if node.get("nullable"):
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        elif "type" not in out:
            out = {"anyOf": [{"type": "null"}, out]}
    return out


@functools.cache
def crd_validator(api_version: str, kind: str):
    """The validator for a custom resource's apiVersion and kind, or None without a
    shipped schema."""
    entry = schema_index()["schemas"].get(crd_key(api_version, kind))
    if entry is None:
        return None
    path = SCHEMAS / entry["file"]
    if not path.is_file():
        raise ValidationSetupError(f"{path} is listed in deploy/schemas/index.json but missing")
    schema = structural_to_jsonschema(json.loads(path.read_text()))
    props = schema.setdefault("properties", {})
    props["apiVersion"] = {"const": api_version}
    props["kind"] = {"const": kind}
    # The API server checks a custom resource's metadata as any object's.
    props["metadata"] = {"$ref": OBJECT_META}
    schema["required"] = sorted({*schema.get("required", []), "apiVersion", "kind", "metadata"})
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    registry = _definitions(_schema_dir(kubernetes_versions()[0])) @ Registry()
    return CrdValidator(schema, registry=registry)


def validate_custom(doc: dict) -> list[str]:
    """Problems of a custom resource against its shipped CRD schema."""
    api_version, kind = doc["apiVersion"], doc["kind"]
    validator = crd_validator(api_version, kind)
    if validator is None:
        group = api_version.rpartition("/")[0]
        served = sorted(
            key.rsplit("/", 1)[0] + " " + key.rsplit("/", 1)[1]
            for key in schema_index()["schemas"]
            if key.split("/", 1)[0] == group and group
        )
        if served:
            return [
                f"no shipped CRD schema serves {kind} in {api_version} "
                f"(shipped for {group}: {', '.join(served)})"
            ]
        return [
            f"{kind} in {api_version} is neither a built-in of Kubernetes "
            f"{kubernetes_versions()[0]}..{kubernetes_versions()[-1]} nor a custom resource "
            "with a CRD schema shipped under deploy/schemas (see deploy/schemas/README.md)"
        ]
    return _error_lines(validator, doc)


# --------------------------------------------------------------------------- documents


def _shape_problems(doc: Any) -> list[str]:
    if not isinstance(doc, dict):
        return ["a document is not a mapping"]
    missing = [k for k in ("apiVersion", "kind") if not isinstance(doc.get(k), str)]
    meta = doc.get("metadata")
    if not isinstance(meta, dict) or not (meta.get("name") or meta.get("generateName")):
        missing.append("metadata.name")
    return [f"no {', '.join(missing)}"] if missing else []


def classify(doc: dict) -> str:
    """'custom' (a shipped CRD schema's group, or no built-in anywhere) or 'builtin'."""
    if crd_key(doc["apiVersion"], doc["kind"]) in schema_index()["schemas"]:
        return "custom"
    if doc["apiVersion"].rpartition("/")[0] in custom_groups():
        return "custom"
    return "builtin" if is_builtin(doc["apiVersion"], doc["kind"]) else "custom"


def builtin_problems(docs: Iterable[Any], version: str) -> list[str]:
    """Every built-in resource against one Kubernetes version (strict)."""
    problems = []
    for doc in docs:
        shape = _shape_problems(doc)
        if shape:
            problems += [f"{describe(doc)}: {p}" for p in shape]
        elif classify(doc) == "builtin":
            problems += [
                f"{describe(doc)} [{version}]: {p}" for p in validate_builtin(doc, version)
            ]
    return problems


def custom_problems(docs: Iterable[Any]) -> list[str]:
    """Every custom resource against its shipped CRD schema."""
    problems = []
    for doc in docs:
        if not _shape_problems(doc) and classify(doc) == "custom":
            problems += [f"{describe(doc)}: {p}" for p in validate_custom(doc)]
    return problems


# --------------------------------------------------------------------------- checkov


@dataclass(frozen=True)
class CheckovFailure:
    check_id: str
    check_name: str
    resource: str  # checkov's id: Kind.namespace.name
    images: tuple[str, ...] = ()  # the resource's container images, from the rendered YAML

    def __str__(self) -> str:
        images = f" [{', '.join(self.images)}]" if self.images else ""
        return f"{self.check_id} ({self.check_name}) on {self.resource}{images}"


@dataclass(frozen=True)
class CheckovException:
    """A row of deploy/checkov-exceptions.md. Each pattern is
    ``<overlay>:<Kind>.<namespace>.<name>`` (shell globs), optionally followed by
    `` image=<glob>``: then every container image of the resource must match too."""

    check_id: str
    patterns: tuple[str, ...]
    reason: str

    def covers(self, overlay: str, failure: CheckovFailure) -> bool:
        if failure.check_id != self.check_id:
            return False
        name = overlay.removeprefix("overlays/")
        for pattern in self.patterns:
            resource, _, image = pattern.partition(" image=")
            if not fnmatch.fnmatchcase(f"{name}:{failure.resource}", resource.strip()):
                continue
            image = image.strip()
            if not image or (
                failure.images and all(fnmatch.fnmatchcase(i, image) for i in failure.images)
            ):
                return True
        return False


def resource_images(docs: Iterable[Any]) -> dict[str, tuple[str, ...]]:
    """checkov's resource id (Kind.namespace.name) -> the images of its containers."""
    images = {}
    for doc in docs:
        if _shape_problems(doc):
            continue
        spec = doc.get("spec") or {}
        if doc["kind"] == "CronJob":
            spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
        pod = spec if doc["kind"] == "Pod" else ((spec.get("template") or {}).get("spec") or {})
        if not isinstance(pod, dict):
            continue
        found = sorted(
            {
                c.get("image", "")
                for key in ("initContainers", "containers", "ephemeralContainers")
                for c in pod.get(key) or []
                if isinstance(c, dict)
            }
        )
        meta = doc["metadata"]
        images[f"{doc['kind']}.{meta.get('namespace', 'default')}.{meta['name']}"] = tuple(found)
    return images


@dataclass
class CheckovReport:
    passed: int
    failures: list[CheckovFailure]
    resource_count: int


def checkov_installed() -> bool:
    return os.access(CHECKOV, os.X_OK)


def load_checkov_exceptions(path: Path = CHECKOV_EXCEPTIONS) -> list[CheckovException]:
    """The rows of the exceptions table:
    | CKV_... | `overlay:Kind.namespace.name[ image=glob]`, ... | reason |"""
    exceptions = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not re.fullmatch(r"`?CKV2?_[A-Z0-9_]+`?", cells[0]):
            continue
        patterns = tuple(re.findall(r"`([^`]+)`", cells[1]))
        reason = "|".join(cells[2:]).strip()
        if not patterns or any(":" not in p for p in patterns):
            raise ValidationSetupError(
                f"{path.name}, line {number}: resources must be "
                "`overlay:Kind.namespace.name[ image=glob]` patterns"
            )
        if len(reason) < 20:
            raise ValidationSetupError(f"{path.name}, line {number}: write the reason")
        exceptions.append(CheckovException(cells[0].strip("`"), patterns, reason))
    return exceptions


def run_checkov(name: str, text: str) -> CheckovReport:
    """checkov on one rendered target (YAML text), offline, with deploy/.checkov.yaml."""
    if not checkov_installed():
        raise ValidationSetupError(
            f"checkov is not installed at {CHECKOV.relative_to(ROOT)}: run `bash scripts/bootstrap.sh`"
        )
    env = {k: v for k, v in os.environ.items() if k not in CHECKOV_ENV_DROP}
    env.update(CHECKOV_ENV)
    with tempfile.TemporaryDirectory(prefix="cae-checkov-") as tmp:
        Path(tmp, f"{name.replace('/', '-')}.yaml").write_text(text)
        result = subprocess.run(
            [str(CHECKOV), "--config-file", str(CHECKOV_CONFIG), "--directory", tmp],
            capture_output=True,
            text=True,
            timeout=CHECKOV_TIMEOUT,
            cwd=tmp,
            env=env,
            stdin=subprocess.DEVNULL,
        )
    try:
        output = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise ValidationSetupError(
            f"{name}: checkov (exit {result.returncode}) gave no JSON report: "
            f"{_short(result.stderr or result.stdout, 1000)}"
        ) from None
    reports = output if isinstance(output, list) else [output]
    images = resource_images(documents(text))
    passed, count, failures = 0, 0, []
    for report in reports:
        if report.get("check_type") not in (None, "kubernetes"):
            continue
        summary = report.get("summary") or {}
        if summary.get("parsing_errors"):
            raise ValidationSetupError(f"{name}: checkov could not parse the rendered manifests")
        passed += summary.get("passed", 0)
        count += summary.get("resource_count", 0)
        for check in (report.get("results") or {}).get("failed_checks") or []:
            resource = check["resource"]
            failures.append(
                CheckovFailure(
                    check["check_id"],
                    check.get("check_name", ""),
                    resource,
                    images.get(resource, ()),
                )
            )
    return CheckovReport(passed, sorted(set(failures), key=str), count)


def unexcepted(
    overlay: str, failures: Iterable[CheckovFailure], exceptions: Iterable[CheckovException]
) -> list[CheckovFailure]:
    exceptions = list(exceptions)
    return [f for f in failures if not any(e.covers(overlay, f) for e in exceptions)]


def unused_exceptions(
    results: dict[str, list[CheckovFailure]], exceptions: Iterable[CheckovException]
) -> list[CheckovException]:
    """Exceptions that cover no failure of any overlay (results: overlay -> failures)."""
    return [
        e
        for e in exceptions
        if not any(e.covers(o, f) for o, failures in results.items() for f in failures)
    ]


def checkov_problems(overlay: str, report: CheckovReport, exceptions) -> list[str]:
    return [
        f"checkov: {f} is not listed in deploy/checkov-exceptions.md (fix it, or list it with a reason)"
        for f in unexcepted(overlay, report.failures, exceptions)
    ]


# --------------------------------------------------------------------------- command line


def _iter_target_problems(
    target: str, versions: list[str], with_checkov: bool, exceptions, checkov_results
) -> Iterator[str]:
    docs = documents(render(target))
    builtin = sum(1 for d in docs if not _shape_problems(d) and classify(d) == "builtin")
    n_problems = 0
    for version in versions:
        for problem in builtin_problems(docs, version):
            n_problems += 1
            yield f"{target}: {problem}"
    for problem in custom_problems(docs):
        n_problems += 1
        yield f"{target}: {problem}"
    line = (
        f"{target}: {len(docs)} resources, {builtin} built-in x {len(versions)} Kubernetes "
        f"versions, {len(docs) - builtin} custom"
    )
    if with_checkov and target.startswith("overlays/"):
        report = run_checkov(target, render(target))
        checkov_results[target] = report.failures
        excepted = len(report.failures) - len(unexcepted(target, report.failures, exceptions))
        line += (
            f"; checkov: {report.passed} passed, {len(report.failures)} failed "
            f"({excepted} listed as exceptions)"
        )
        for problem in checkov_problems(target, report, exceptions):
            n_problems += 1
            yield f"{target}: {problem}"
    print(f"{line}: {'OK' if not n_problems else f'{n_problems} problem(s)'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Validate the rendered manifests (built-ins, custom resources, checkov)."
    )
    parser.add_argument("targets", nargs="*", metavar="TARGET", help=", ".join(targets()))
    parser.add_argument(
        "--kubernetes",
        action="append",
        metavar="X.Y",
        help=f"a Kubernetes minor version (default: {', '.join(kubernetes_versions())})",
    )
    parser.add_argument("--no-checkov", action="store_true", help="skip checkov")
    args = parser.parse_args(argv)
    chosen = args.targets or targets()
    unknown = [t for t in chosen if t not in targets()]
    if unknown:
        parser.error(f"unknown target(s): {', '.join(unknown)} (known: {', '.join(targets())})")
    versions = args.kubernetes or kubernetes_versions()
    unsupported = [v for v in versions if v not in kubernetes_versions()]
    if unsupported:
        parser.error(f"unsupported Kubernetes version(s): {', '.join(unsupported)}")
    if kubectl() is None:
        print(
            "validate: kubectl is not installed (needed to render the manifests)", file=sys.stderr
        )
        return 2

    problems: list[str] = []
    checkov_results: dict[str, list[CheckovFailure]] = {}
    exceptions: list[CheckovException] = []
    with_checkov = not args.no_checkov
    if with_checkov:
        try:
            exceptions = load_checkov_exceptions()
        except ValidationSetupError as exc:
            print(f"ERROR {exc}", file=sys.stderr)
            problems.append(str(exc))
    for target in chosen:
        try:  # a target that does not render (or checkov missing) stops that target only
            for problem in _iter_target_problems(
                target, versions, with_checkov, exceptions, checkov_results
            ):
                print(f"ERROR {problem}", file=sys.stderr)
                problems.append(problem)
        except ValidationSetupError as exc:
            print(f"ERROR {exc}", file=sys.stderr)
            problems.append(str(exc))
    if with_checkov and set(overlays()) <= set(checkov_results):
        for exception in unused_exceptions(checkov_results, exceptions):
            problem = (
                f"deploy/checkov-exceptions.md: {exception.check_id} "
                f"({', '.join(exception.patterns)}) matches no failure any more: remove it"
            )
            print(f"ERROR {problem}", file=sys.stderr)
            problems.append(problem)
    if problems:
        print(f"validate: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"validate: OK ({len(chosen)} target(s), Kubernetes {', '.join(versions)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
