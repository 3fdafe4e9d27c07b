#!/usr/bin/env python3
"""Rebuild the shipped CRD schemas (deploy/schemas/<project>/*.json) from upstream.

    .venv/bin/python deploy/schemas/extract.py [--git-dir PROJECT=GIT_DIR ...] [--check]

For every project in SOURCES this reads the CustomResourceDefinition YAML files
at the recorded release tag, either from a local clone (``--git-dir keda=/path/to/keda.git``,
read with ``git show TAG:PATH``; the tag must resolve to the recorded commit) or from
https://raw.githubusercontent.com/<repository>/<commit>/<path>, and writes:

* ``<project>/<group>_<version>_<kind>.json``: the ``openAPIV3Schema`` of every *served*
  version, as upstream wrote it minus the ``description`` texts (the documentation, not
  the validation; see the upstream YAML for them);
* ``<project>/LICENSE`` (and ``NOTICE`` when upstream has one), copied from the same tag;
* ``index.json``: where each (apiVersion, kind) schema is and where it came from
  (deploy/validate.py reads it).

``--check`` rebuilds into memory and exits 1 if a shipped file differs.
Nothing here runs in the tests: they use the shipped files, offline.
To move a project to a newer release, change its tag, commit and date below and run
this script (then the tests, then deploy/schemas/README.md's table).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent

# project -> where its CRDs come from. "date" is the tagged commit's date (committer).
SOURCES: dict[str, dict[str, Any]] = {
    "keda": {
        "repository": "kedacore/keda",
        "tag": "v2.20.2",
        "commit": "68a5b5028f35b22d50597c69819ab32c4e92f21a",
        "date": "2026-07-31",
        "license": "Apache-2.0",
        "legal": ["LICENSE"],
        "files": [
            "config/crd/bases/keda.sh_scaledobjects.yaml",
            "config/crd/bases/keda.sh_scaledjobs.yaml",
            "config/crd/bases/keda.sh_triggerauthentications.yaml",
            "config/crd/bases/keda.sh_clustertriggerauthentications.yaml",
        ],
    },
    "keda-http-add-on": {
        "repository": "kedacore/http-add-on",
        "tag": "v0.15.0",
        "commit": "4ea8a863bd7c16464dc5afbe9ebc8a26e563fac0",
        "date": "2026-06-15",
        "license": "Apache-2.0",
        "legal": ["LICENSE"],
        "files": [
            "config/crd/bases/http.keda.sh_httpscaledobjects.yaml",
        ],
    },
    "rabbitmq-cluster-operator": {
        "repository": "rabbitmq/cluster-operator",
        "tag": "v2.22.3",
        "commit": "03e0b49c077a9c8d926fb4c8cbe2dd0bbdffd539",
        "date": "2026-07-17",
        "license": "MPL-2.0",
        "legal": ["LICENSE.txt"],
        "files": [
            "config/crd/bases/rabbitmq.com_rabbitmqclusters.yaml",
        ],
    },
    "rabbitmq-messaging-topology-operator": {
        "repository": "rabbitmq/messaging-topology-operator",
        "tag": "v1.20.1",
        "commit": "bf34d8456e5c44e861d40e265085fe2e9b8d1976",
        "date": "2026-08-07",
        "license": "MPL-2.0",
        "legal": ["LICENSE.txt", "NOTICE.txt"],
        "files": [
            f"config/crd/bases/rabbitmq.com_{plural}.yaml"
            for plural in (
                "bindings",
                "exchanges",
                "federations",
                "operatorpolicies",
                "permissions",
                "policies",
                "queues",
                "schemareplications",
                "shovels",
                "superstreams",
                "topicpermissions",
                "users",
                "vhosts",
            )
        ],
    },
    "cloudnative-pg": {
        "repository": "cloudnative-pg/cloudnative-pg",
        "tag": "v1.30.0",
        "commit": "4b5e244a7d031f67e025c83c1555e7726ecbbfa1",
        "date": "2026-06-29",
        "license": "Apache-2.0",
        "legal": ["LICENSE"],
        "files": [
            f"config/crd/bases/postgresql.cnpg.io_{plural}.yaml"
            for plural in ("clusters", "databases", "poolers", "scheduledbackups", "backups")
        ],
    },
    "prometheus-operator": {
        "repository": "prometheus-operator/prometheus-operator",
        "tag": "v0.93.0",
        "commit": "f8fafd475f3d132e239432ae6172de60a6cb6516",
        "date": "2026-07-28",
        "license": "Apache-2.0",
        "legal": ["LICENSE", "NOTICE"],
        "files": [
            f"example/prometheus-operator-crd/monitoring.coreos.com_{plural}.yaml"
            for plural in ("servicemonitors", "podmonitors", "prometheusrules", "probes")
        ],
    },
    "gateway-api": {
        "repository": "kubernetes-sigs/gateway-api",
        "tag": "v1.6.1",
        "commit": "8bb74df00e56ec8f944d48c25e6c1c9c2f6848e3",
        "date": "2026-07-16",
        "license": "Apache-2.0",
        "legal": ["LICENSE"],
        "files": [
            f"config/crd/standard/gateway.networking.k8s.io_{plural}.yaml"
            for plural in (
                "gatewayclasses",
                "gateways",
                "httproutes",
                "grpcroutes",
                "referencegrants",
            )
        ],
    },
    "cert-manager": {
        "repository": "cert-manager/cert-manager",
        "tag": "v1.21.1",
        "commit": "24e33194fb39488eff2bbf10c6dc640f407cad44",
        "date": "2026-07-29",
        "license": "Apache-2.0",
        "legal": ["LICENSE"],
        "files": [
            f"deploy/crds/cert-manager.io_{plural}.yaml"
            for plural in ("certificates", "issuers", "clusterissuers")
        ],
    },
}

# Keywords holding one subschema, a list of them, or a name -> subschema mapping.
_ONE = ("items", "additionalProperties", "not")
_MANY = ("allOf", "anyOf", "oneOf")
_NAMED = ("properties",)


def strip_descriptions(schema: Any) -> Any:
    """The schema without its ``description`` keywords (a property named
    ``description`` stays: only schema nodes lose theirs)."""
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key == "description":
            continue
        if key in _ONE and isinstance(value, dict):
            out[key] = strip_descriptions(value)
        elif key in _MANY and isinstance(value, list):
            out[key] = [strip_descriptions(v) for v in value]
        elif key in _NAMED and isinstance(value, dict):
            out[key] = {name: strip_descriptions(v) for name, v in value.items()}
        else:
            out[key] = value
    return out


def schema_file_name(group: str, version: str, kind: str) -> str:
    return f"{group}_{version}_{kind.lower()}.json"


class Reader:
    """Reads a project's files at its recorded commit."""

    def __init__(self, project: str, source: dict, git_dir: str | None):
        self.project, self.source, self.git_dir = project, source, git_dir
        if git_dir:
            commit = subprocess.run(
                ["git", f"--git-dir={git_dir}", "rev-parse", f"{source['tag']}^{{commit}}"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            if commit != source["commit"]:
                raise SystemExit(
                    f"extract: {project}: tag {source['tag']} is {commit} in {git_dir}, "
                    f"not the recorded {source['commit']}"
                )

    def read(self, path: str) -> str:
        if self.git_dir:
            return subprocess.run(
                ["git", f"--git-dir={self.git_dir}", "show", f"{self.source['commit']}:{path}"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        url = (
            f"https://raw.githubusercontent.com/{self.source['repository']}/"
            f"{self.source['commit']}/{path}"
        )
        try:
            with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (fixed host)
                return response.read().decode("utf-8")
        except OSError as exc:  # URLError, timeouts
            raise SystemExit(
                f"extract: {self.project}: cannot download {url} ({exc}); "
                f"clone {self.source['repository']} and pass --git-dir {self.project}=<its .git>"
            ) from None


def build(git_dirs: dict[str, str]) -> dict[str, str]:
    """Relative path -> file content, for everything this script owns."""
    files: dict[str, str] = {}
    index: dict[str, Any] = {"projects": {}, "schemas": {}}
    for project, source in SOURCES.items():
        reader = Reader(project, source, git_dirs.get(project))
        for legal in source["legal"]:
            name = legal.removesuffix(".txt")
            files[f"{project}/{name}"] = reader.read(legal)
        index["projects"][project] = {
            "repository": f"https://github.com/{source['repository']}",
            "tag": source["tag"],
            "commit": source["commit"],
            "date": source["date"],
            "license": source["license"],
            "files": source["files"],
        }
        for path in source["files"]:
            crds = [d for d in yaml.safe_load_all(reader.read(path)) if d]
            for crd in crds:
                if crd.get("kind") != "CustomResourceDefinition":
                    continue
                spec = crd["spec"]
                group, kind = spec["group"], spec["names"]["kind"]
                for version in spec["versions"]:
                    if not version.get("served", False):
                        continue
                    schema = (version.get("schema") or {}).get("openAPIV3Schema")
                    if schema is None:
                        raise SystemExit(f"extract: {path}: {kind} {version['name']} has no schema")
                    name = schema_file_name(group, version["name"], kind)
                    files[f"{project}/{name}"] = (
                        json.dumps(strip_descriptions(schema), indent=1, sort_keys=True) + "\n"
                    )
                    index["schemas"][f"{group}/{version['name']}/{kind}"] = {
                        "project": project,
                        "file": f"{project}/{name}",
                        "scope": spec["scope"],
                        "source": path,
                        "deprecated": bool(version.get("deprecated", False)),
                    }
    index["schemas"] = dict(sorted(index["schemas"].items()))
    files["index.json"] = json.dumps(index, indent=1) + "\n"
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--git-dir",
        action="append",
        default=[],
        metavar="PROJECT=GIT_DIR",
        help="read PROJECT from this local git directory instead of GitHub",
    )
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    args = parser.parse_args(argv)
    git_dirs = dict(item.split("=", 1) for item in args.git_dir)
    unknown = set(git_dirs) - set(SOURCES)
    if unknown:
        parser.error(f"unknown project(s): {', '.join(sorted(unknown))}")
    files = build(git_dirs)
    owned = {p.relative_to(HERE).as_posix() for p in HERE.rglob("*.json")}
    owned |= {f"{project}/{name}" for project in SOURCES for name in ("LICENSE", "NOTICE")}
    if args.check:
        differ = sorted(
            path
            for path in set(files) | {p for p in owned if (HERE / p).exists()}
            if not (HERE / path).exists() or (HERE / path).read_text() != files.get(path)
        )
        for path in differ:
            print(f"extract: {path} differs from upstream", file=sys.stderr)
        print(f"extract: {len(files)} file(s) checked, {len(differ)} differ")
        return 1 if differ else 0
    for path in sorted(owned - set(files)):  # a schema no longer served upstream
        if (HERE / path).exists():
            (HERE / path).unlink()
    for path, content in sorted(files.items()):
        target = HERE / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    print(f"extract: wrote {len(files)} file(s) under {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
