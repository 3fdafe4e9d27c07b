"""Tests of the Kubernetes manifests under deploy/.

    cd /work/main && .venv/bin/python -m pytest deploy -q -p no:nameko

The static checks (check_manifests.py) need only PyYAML. The rendering tests
run `kubectl kustomize` when kubectl is on PATH and are skipped otherwise.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parent
SCRIPT = DEPLOY / "check_manifests.py"
SERVICES = ("members", "ledger")


def _load_checker():
    spec = importlib.util.spec_from_file_location("cae_deploy_check_manifests", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


check_manifests = _load_checker()


# --------------------------------------------------------------------------- static


def test_deploy_tree_passes_the_checks():
    assert check_manifests.check(DEPLOY) == []


def test_script_exits_zero_on_the_deploy_tree():
    result = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout


def _write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def test_script_reports_each_kind_of_problem(tmp_path):
    _write(
        tmp_path,
        "kustomization.yaml",
        """
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources:
          - deployment.yaml
          - missing.yaml
          - component
        components:
          - nowhere
    """,
    )
    _write(
        tmp_path,
        "component/kustomization.yaml",
        """
        apiVersion: kustomize.config.k8s.io/v1alpha1
        kind: Component
    """,
    )
    _write(
        tmp_path,
        "deployment.yaml",
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          labels:
            app.kubernetes.io/name: web
        spec:
          selector:
            matchLabels:
              app.kubernetes.io/name: web
          template:
            metadata:
              labels:
                app.kubernetes.io/name: web
            spec:
              containers:
                - name: web
                  image: web
                  resources:
                    requests:
                      cpu: 10m
    """,
    )
    _write(tmp_path, "orphan.yaml", "kind: ConfigMap\n")
    _write(tmp_path, "broken.yaml", "a: [\n")

    errors = "\n".join(check_manifests.check(tmp_path))

    for expected in (
        "broken.yaml: does not parse as YAML",
        "'missing.yaml' does not exist",
        "resources: 'component' is a Component, expected a Kustomization",
        "components: 'nowhere' is not a directory with a kustomization.yaml",
        "orphan.yaml: not listed in any kustomization.yaml",
        "label app.kubernetes.io/part-of is missing",
        "no pod securityContext",
        "resources.requests and resources.limits are both required",
        "no securityContext",
        "no livenessProbe",
        "no readinessProbe",
    ):
        assert expected in errors, f"{expected!r} not reported in:\n{errors}"

    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "problem(s)" in result.stderr


def test_probes_may_be_waived_only_with_a_reason(tmp_path):
    relay = DEPLOY / "components" / "relay-separate" / "members-relay.yaml"
    doc = yaml.safe_load(relay.read_text())
    _write(tmp_path, "kustomization.yaml", "resources:\n  - relay.yaml\n")
    (tmp_path / "relay.yaml").write_text(yaml.safe_dump(doc))
    assert check_manifests.check(tmp_path) == []

    doc["metadata"]["annotations"][check_manifests.NO_PROBES_ANNOTATION] = " "
    (tmp_path / "relay.yaml").write_text(yaml.safe_dump(doc))
    errors = check_manifests.check(tmp_path)
    assert any("no livenessProbe" in e for e in errors)
    assert any("no readinessProbe" in e for e in errors)


def test_every_service_has_its_deployment_job_service_and_budget():
    base = yaml.safe_load((DEPLOY / "base" / "kustomization.yaml").read_text())
    for service in SERVICES:
        assert service in base["resources"]
        docs = [
            d
            for f in sorted((DEPLOY / "base" / service).glob("*.yaml"))
            for d in yaml.safe_load_all(f.read_text())
            if d and d.get("kind") != "Kustomization"
        ]
        kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
        assert {
            ("Deployment", service),
            ("Service", service),
            ("PodDisruptionBudget", service),
            ("Job", f"{service}-migrate"),
        } <= kinds
        deployment = next(d for d in docs if d["kind"] == "Deployment")
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["args"] == ["run", service]
        job = next(d for d in docs if d["kind"] == "Job")
        assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate", service]
        relay = DEPLOY / "components" / "relay-separate" / f"{service}-relay.yaml"
        relay_doc = yaml.safe_load(relay.read_text())
        assert relay_doc["spec"]["template"]["spec"]["containers"][0]["args"] == ["relay", service]


# --------------------------------------------------------------------------- rendered

kubectl = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(kubectl is None, reason="kubectl not installed")


def _render(directory: Path) -> list[dict]:
    result = subprocess.run(
        [kubectl, "kustomize", str(directory)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def _by_kind_name(docs: list[dict]) -> dict[tuple[str, str], dict]:
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


def _container(doc: dict) -> dict:
    return doc["spec"]["template"]["spec"]["containers"][0]


def _env(container: dict) -> dict[str, dict]:
    return {e["name"]: e for e in container.get("env") or []}


@needs_kubectl
def test_production_overlay_renders_as_specified():
    docs = _by_kind_name(_render(DEPLOY / "overlays" / "production"))
    for service in SERVICES:
        deployment = docs[("Deployment", service)]
        assert deployment["spec"]["replicas"] == 3
        env = _env(_container(deployment))
        assert env["CAE_JWT_PUBLIC_KEY"]["valueFrom"]["secretKeyRef"]["name"] == "cae-jwt"
        # The relay stays in-process until `cae relay` serves health and metrics.
        assert "CAE_RELAY_IN_PROCESS" not in env
        assert ("Deployment", f"{service}-relay") not in docs
        assert docs[("Job", f"{service}-migrate")]["metadata"]["namespace"] == "cae"
    config = next(d for (kind, _), d in docs.items() if kind == "ConfigMap")
    assert config["data"]["CAE_JWT_ALGORITHM"] == "RS256"
    assert config["data"]["CAE_RELAY_IN_PROCESS"] == "true"
    assert docs[("RabbitmqCluster", "cae-rabbitmq")]["spec"]["replicas"] == 3
    assert docs[("Vhost", "cae")]["spec"]["defaultQueueType"] == "quorum"
    assert docs[("Cluster", "cae-pg")]["spec"]["instances"] == 3
    rules = docs[("PrometheusRule", "cae-alerts")]["spec"]["groups"]
    alerts = {r["alert"] for g in rules for r in g["rules"]}
    assert {
        "CaeOutboxBacklogGrowing",
        "CaeEventsDeadLettered",
        "CaeEventsUnroutable",
        "CaePodNotReady",
        "CaeHighHttp5xxRate",
    } <= alerts
    assert ("ServiceMonitor", "cae-services") in docs
    assert all(
        d["metadata"].get("namespace") == "cae" for (k, _), d in docs.items() if k != "Namespace"
    )


@needs_kubectl
def test_dev_overlay_renders_as_specified():
    docs = _by_kind_name(_render(DEPLOY / "overlays" / "dev"))
    for service in SERVICES:
        deployment = docs[("Deployment", service)]
        assert deployment["spec"]["replicas"] == 1
        assert _container(deployment)["image"].endswith(":dev")
        assert "CAE_RELAY_IN_PROCESS" not in _env(_container(deployment))
        assert ("Deployment", f"{service}-relay") not in docs
        assert docs[("Secret", f"{service}-secrets")]
        env = _env(_container(deployment))
        assert env["CAE_JWT_SECRET"]["valueFrom"]["secretKeyRef"]["name"] == "cae-jwt-dev"
    config = next(d for (kind, _), d in docs.items() if kind == "ConfigMap")
    assert config["data"]["CAE_JWT_ALGORITHM"] == "HS256"
    assert config["data"]["CAE_RELAY_IN_PROCESS"] == "true"


@needs_kubectl
@pytest.mark.parametrize(
    "component", sorted(p.name for p in (DEPLOY / "components").iterdir() if p.is_dir())
)
def test_each_component_renders_on_top_of_the_base(tmp_path, component):
    (tmp_path / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "namespace": "cae",
                # kustomize refuses absolute paths: make them relative.
                "resources": [os.path.relpath(DEPLOY / "base", tmp_path)],
                "components": [os.path.relpath(DEPLOY / "components" / component, tmp_path)],
            }
        )
    )
    docs = _render(tmp_path)
    assert any(d["kind"] == "Deployment" for d in docs)
    if component == "relay-separate":
        by_name = _by_kind_name(docs)
        for service in SERVICES:
            env = _env(_container(by_name[("Deployment", service)]))
            assert env["CAE_RELAY_IN_PROCESS"]["value"] == "false"
            relay = _container(by_name[("Deployment", f"{service}-relay")])
            assert relay["args"] == ["relay", service]
            assert relay["image"] == _container(by_name[("Deployment", service)])["image"]
