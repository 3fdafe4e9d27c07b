#!/usr/bin/env python3
"""Static checks of the Kubernetes manifests under deploy/ (renders nothing).

    .venv/bin/python deploy/check_manifests.py [ROOT]

Checks, without kubectl or a cluster:

* every YAML file parses;
* every kustomization.yaml lists only files and directories that exist
  (resources, components, patches, generator inputs), a directory listed under
  ``resources`` is a Kustomization and one listed under ``components`` is a
  Component;
* every other YAML file is used by some kustomization.yaml (no dead files);
* every resource carries the labels app.kubernetes.io/name and
  app.kubernetes.io/part-of=cae;
* every workload (Deployment, StatefulSet, DaemonSet, Job, CronJob) has a pod
  securityContext (runAsNonRoot) and, on every container, resources requests
  and limits and a restrictive securityContext; long-running workloads have
  liveness and readiness probes on every container, named probe ports exist,
  and a Deployment's selector matches its pod labels; Jobs and the Jobs of
  CronJobs are cleaned up (ttlSecondsAfterFinished);
* no resource is an Argo CD PreSync hook: a PreSync hook runs before any
  manifest of the sync is applied, so it cannot read this tree's hash-suffixed
  ConfigMap nor, on a first install, its Secrets and database (the migration
  Jobs are Sync hooks in a sync wave instead);
* Services and PodDisruptionBudgets that select CAE pods (by
  app.kubernetes.io/component) match some workload's pod labels.

Exits 0 when all is well, 1 with one line per problem otherwise.
Needs only the standard library and PyYAML.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}
LONG_RUNNING_KINDS = {"Deployment", "StatefulSet", "DaemonSet"}
REQUIRED_LABELS = {"app.kubernetes.io/name": None, "app.kubernetes.io/part-of": "cae"}
ARGOCD_HOOK = "argocd.argoproj.io/hook"


@dataclass
class Tree:
    """What was read under the root: parsed documents and how files are used."""

    root: Path
    docs: dict[Path, list[Any]] = field(default_factory=dict)
    resource_files: set[Path] = field(default_factory=set)
    used_files: set[Path] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    def error(self, path: Path, message: str) -> None:
        self.errors.append(f"{self.rel(path)}: {message}")


# --------------------------------------------------------------------------- reading


def _yaml_files(root: Path) -> list[Path]:
    files = []
    for path in sorted(root.rglob("*")):
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        if path.is_file() and (path.suffix in (".yaml", ".yml") or path.name == "Kustomization"):
            files.append(path)
    return files


def _load(tree: Tree) -> None:
    for path in _yaml_files(tree.root):
        try:
            with path.open(encoding="utf-8") as fh:
                tree.docs[path] = [doc for doc in yaml.safe_load_all(fh) if doc is not None]
        except yaml.YAMLError as exc:
            tree.error(path, f"does not parse as YAML: {exc}".replace("\n", " "))


def _kustomization_in(directory: Path) -> Path | None:
    for name in KUSTOMIZATION_FILES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def _is_remote(entry: str) -> bool:
    return "://" in entry or entry.startswith(("github.com/", "git@", "ssh:"))


# --------------------------------------------------------------------------- kustomizations


def _kind_of_kustomization(tree: Tree, path: Path) -> str | None:
    docs = tree.docs.get(path)
    if not docs:
        return None
    return docs[0].get("kind", "Kustomization") if isinstance(docs[0], dict) else None


def _check_kustomization(tree: Tree, path: Path) -> None:
    docs = tree.docs.get(path)
    if docs is None:  # did not parse; already reported
        return
    if len(docs) != 1 or not isinstance(docs[0], dict):
        tree.error(path, "a kustomization must be one YAML mapping")
        return
    k = docs[0]
    kind = k.get("kind", "Kustomization")
    if kind not in ("Kustomization", "Component"):
        tree.error(path, f"unexpected kind {kind!r} (Kustomization or Component)")
    base = path.parent

    def listed(key: str) -> list[Any]:
        value = k.get(key) or []
        if not isinstance(value, list):
            tree.error(path, f"{key} must be a list")
            return []
        return value

    def need_file(entry: str, key: str, role: str) -> None:
        target = (base / entry).resolve()
        if not target.is_file():
            tree.error(path, f"{key}: {entry!r} does not exist (or is not a file)")
            return
        tree.used_files.add(target)
        if role == "resource":
            tree.resource_files.add(target)

    def need_dir(entry: str, key: str, expected_kind: str) -> None:
        target = (base / entry).resolve()
        kfile = _kustomization_in(target)
        if kfile is None:
            tree.error(path, f"{key}: {entry!r} is not a directory with a kustomization.yaml")
            return
        actual = _kind_of_kustomization(tree, kfile)
        if actual is not None and actual != expected_kind:
            tree.error(path, f"{key}: {entry!r} is a {actual}, expected a {expected_kind}")

    for key in ("resources", "bases"):
        for entry in listed(key):
            if not isinstance(entry, str):
                tree.error(path, f"{key}: entries must be strings, got {entry!r}")
            elif _is_remote(entry):
                continue
            elif (base / entry).is_dir():
                need_dir(entry, key, "Kustomization")
            else:
                need_file(entry, key, "resource")

    for entry in listed("components"):
        if not isinstance(entry, str):
            tree.error(path, f"components: entries must be strings, got {entry!r}")
        elif not _is_remote(entry):
            need_dir(entry, "components", "Component")

    for key in ("crds", "patchesStrategicMerge", "transformers", "generators", "validators"):
        for entry in listed(key):
            # patchesStrategicMerge and transformers may also hold inline YAML.
            if isinstance(entry, str) and "\n" not in entry and not _is_remote(entry):
                if (base / entry).is_dir():
                    need_dir(entry, key, "Kustomization")
                else:
                    need_file(entry, key, "other")

    for key in ("patches", "patchesJson6902", "replacements"):
        for entry in listed(key):
            if not isinstance(entry, dict):
                tree.error(path, f"{key}: entries must be mappings, got {entry!r}")
                continue
            if "path" in entry:
                need_file(entry["path"], key, "patch")
            elif key != "replacements" and "patch" not in entry:
                tree.error(path, f"{key}: entry has neither 'path' nor 'patch': {entry!r}")

    for key in ("configMapGenerator", "secretGenerator"):
        for entry in listed(key):
            if not isinstance(entry, dict) or "name" not in entry:
                tree.error(path, f"{key}: every generator needs a name: {entry!r}")
                continue
            for file_entry in entry.get("files") or []:
                source = file_entry.split("=", 1)[-1]
                need_file(source, f"{key}[{entry['name']}].files", "other")
            env_files = list(entry.get("envs") or [])
            if entry.get("env"):
                env_files.append(entry["env"])
            for env_file in env_files:
                need_file(env_file, f"{key}[{entry['name']}].envs", "other")

    images = listed("images")
    for entry in images:
        if not isinstance(entry, dict) or "name" not in entry:
            tree.error(path, f"images: every entry needs a name: {entry!r}")
    for entry in listed("replicas"):
        if not isinstance(entry, dict) or "name" not in entry or "count" not in entry:
            tree.error(path, f"replicas: every entry needs name and count: {entry!r}")


# --------------------------------------------------------------------------- resources


def _labels(obj: dict) -> dict:
    return (obj.get("metadata") or {}).get("labels") or {}


def _pod_template(doc: dict) -> tuple[dict, dict]:
    """(template metadata, pod spec) of a workload."""
    spec = doc.get("spec") or {}
    if doc["kind"] == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    template = spec.get("template") or {}
    return template.get("metadata") or {}, template.get("spec") or {}


def _check_container(tree: Tree, path: Path, where: str, c: dict, needs_probes: bool) -> None:
    name = f"{where} container {c.get('name', '?')!r}"
    resources = c.get("resources") or {}
    requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
    if not requests or not limits:
        tree.error(path, f"{name}: resources.requests and resources.limits are both required")
    else:
        for key, section in (
            ("requests.cpu", requests.get("cpu")),
            ("requests.memory", requests.get("memory")),
            ("limits.memory", limits.get("memory")),
        ):
            if section in (None, ""):
                tree.error(path, f"{name}: resources.{key} is missing")

    sc = c.get("securityContext")
    if not sc:
        tree.error(path, f"{name}: no securityContext")
    else:
        if sc.get("allowPrivilegeEscalation") is not False:
            tree.error(path, f"{name}: securityContext.allowPrivilegeEscalation must be false")
        if sc.get("readOnlyRootFilesystem") is not True:
            tree.error(path, f"{name}: securityContext.readOnlyRootFilesystem must be true")
        if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
            tree.error(path, f"{name}: securityContext.capabilities.drop must contain ALL")
        if sc.get("privileged"):
            tree.error(path, f"{name}: must not be privileged")

    port_names = {p.get("name") for p in c.get("ports") or [] if p.get("name")}
    for probe_key in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = c.get(probe_key)
        if probe is None:
            if needs_probes and probe_key != "startupProbe":
                tree.error(path, f"{name}: no {probe_key}")
            continue
        for handler in ("httpGet", "tcpSocket", "grpc"):
            port = (probe.get(handler) or {}).get("port")
            if isinstance(port, str) and port not in port_names:
                tree.error(
                    path, f"{name}: {probe_key} uses port {port!r}, not a named containerPort"
                )


def _check_workload(tree: Tree, path: Path, doc: dict) -> None:
    kind, name = doc["kind"], doc["metadata"].get("name", "?")
    where = f"{kind} {name}"
    template_meta, pod = _pod_template(doc)
    if not pod:
        tree.error(path, f"{where}: no pod template")
        return

    if kind == "Deployment":
        selector = ((doc.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        pod_labels = template_meta.get("labels") or {}
        if not selector:
            tree.error(path, f"{where}: spec.selector.matchLabels is empty")
        elif any(pod_labels.get(k) != v for k, v in selector.items()):
            tree.error(path, f"{where}: selector {selector} does not match pod labels {pod_labels}")
    # The NetworkPolicies and monitors select pods by these labels.
    pod_labels = template_meta.get("labels") or {}
    for key in ("app.kubernetes.io/name", "app.kubernetes.io/component"):
        if key not in pod_labels:
            tree.error(path, f"{where}: pod template label {key} is missing")
    if pod_labels.get("app.kubernetes.io/part-of") != "cae":
        tree.error(path, f"{where}: pod template label app.kubernetes.io/part-of must be 'cae'")
    if kind == "Job" and "ttlSecondsAfterFinished" not in (doc.get("spec") or {}):
        tree.error(path, f"{where}: set spec.ttlSecondsAfterFinished so finished Jobs go away")
    if kind == "CronJob":
        job_spec = ((doc.get("spec") or {}).get("jobTemplate") or {}).get("spec") or {}
        if "ttlSecondsAfterFinished" not in job_spec:
            tree.error(
                path,
                f"{where}: set spec.jobTemplate.spec.ttlSecondsAfterFinished so finished Jobs go away",
            )

    psc = pod.get("securityContext")
    if not psc:
        tree.error(path, f"{where}: no pod securityContext")
    elif psc.get("runAsNonRoot") is not True:
        tree.error(path, f"{where}: pod securityContext.runAsNonRoot must be true")

    needs_probes = kind in LONG_RUNNING_KINDS
    containers = pod.get("containers") or []
    if not containers:
        tree.error(path, f"{where}: no containers")
    for c in containers:
        _check_container(tree, path, where, c, needs_probes=needs_probes)
    for c in pod.get("initContainers") or []:
        _check_container(tree, path, where, c, needs_probes=False)


def _check_resources(tree: Tree) -> None:
    pod_label_sets: list[dict] = []
    selecting: list[tuple[Path, dict]] = []
    for path in sorted(tree.resource_files):
        for doc in tree.docs.get(path) or []:
            if not isinstance(doc, dict):
                tree.error(path, "a resource document must be a mapping")
                continue
            missing = [k for k in ("apiVersion", "kind") if not doc.get(k)]
            if not (doc.get("metadata") or {}).get("name"):
                missing.append("metadata.name")
            if missing:
                tree.error(path, f"resource without {', '.join(missing)}")
                continue
            where = f"{doc['kind']} {doc['metadata']['name']}"
            hook = ((doc.get("metadata") or {}).get("annotations") or {}).get(ARGOCD_HOOK, "")
            if "PreSync" in str(hook).split(","):
                tree.error(
                    path,
                    f"{where}: an Argo CD PreSync hook runs before the sync applies its "
                    "ConfigMaps and Secrets; make it a Sync hook in a sync wave",
                )
            labels = _labels(doc)
            for key, value in REQUIRED_LABELS.items():
                if key not in labels:
                    tree.error(path, f"{where}: label {key} is missing")
                elif value is not None and labels[key] != value:
                    tree.error(path, f"{where}: label {key} must be {value!r}, not {labels[key]!r}")
            if doc["kind"] in WORKLOAD_KINDS:
                _check_workload(tree, path, doc)
                pod_label_sets.append(_pod_template(doc)[0].get("labels") or {})
            elif doc["kind"] in ("Service", "PodDisruptionBudget"):
                selecting.append((path, doc))

    # Selectors of CAE pods (they name a component) must select something.
    for path, doc in selecting:
        spec = doc.get("spec") or {}
        selector = spec.get("selector") or {}
        if doc["kind"] == "PodDisruptionBudget":
            selector = selector.get("matchLabels") or {}
        if "app.kubernetes.io/component" not in selector:
            continue
        if not any(
            all(labels.get(k) == v for k, v in selector.items()) for labels in pod_label_sets
        ):
            tree.error(
                path,
                f"{doc['kind']} {doc['metadata']['name']}: selector {selector} matches no workload's pods",
            )


# --------------------------------------------------------------------------- entry points


def check(root: Path) -> list[str]:
    """All problems found under root, as 'relative/path: message' lines."""
    tree = Tree(root=Path(root).resolve())
    _load(tree)
    kustomizations = [p for p in tree.docs if p.name in KUSTOMIZATION_FILES]
    if not kustomizations:
        tree.errors.append(f"{tree.root}: no kustomization.yaml found")
    for path in kustomizations:
        _check_kustomization(tree, path)
    for path in tree.docs:
        if path.name not in KUSTOMIZATION_FILES and path not in tree.used_files:
            tree.error(path, "not listed in any kustomization.yaml (dead file, or a missing entry)")
    _check_resources(tree)
    return tree.errors


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1 or (args and args[0] in ("-h", "--help")):
        print(__doc__)
        return 2
    root = Path(args[0]) if args else Path(__file__).resolve().parent
    if not root.is_dir():
        print(f"check_manifests: {root} is not a directory", file=sys.stderr)
        return 2
    errors = check(root)
    if errors:
        for line in errors:
            print(f"ERROR {line}", file=sys.stderr)
        print(f"check_manifests: {len(errors)} problem(s) under {root}", file=sys.stderr)
        return 1
    print(f"check_manifests: OK ({root})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
