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
SERVICES = ("members", "ledger", "payroll", "governance", "matching")
# governance's key wrapping secret polls' keys (docs/adr/0013-sealed-ballots.md):
# a Secret of its own, given to the service container only (like the JWT secret).
BALLOT_KEY = ("CAE_GOVERNANCE_BALLOT_KEY", "governance-ballot-key", "ballot-key")
# Scaled by KEDA in production (components/payroll-keda), not by a replicas entry.
KEDA_SCALED = {"payroll": "payroll--cae.payroll.payslip_requested.v1"}


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


def test_relays_are_probed_like_the_services(tmp_path):
    """`cae relay` serves /health/* and /metrics on 8000: no probe exemption anymore."""
    relay = DEPLOY / "components" / "relay-separate" / "members-relay.yaml"
    doc = yaml.safe_load(relay.read_text())
    _write(tmp_path, "kustomization.yaml", "resources:\n  - relay.yaml\n")
    (tmp_path / "relay.yaml").write_text(yaml.safe_dump(doc))
    assert check_manifests.check(tmp_path) == []

    # The old waiver annotation waives nothing.
    container = _container(doc)
    del container["livenessProbe"], container["readinessProbe"]
    doc["metadata"]["annotations"] = {"cae-platform/no-probes-reason": "no HTTP endpoint"}
    (tmp_path / "relay.yaml").write_text(yaml.safe_dump(doc))
    errors = check_manifests.check(tmp_path)
    assert any("no livenessProbe" in e for e in errors)
    assert any("no readinessProbe" in e for e in errors)

    # Probes must use a port the container names.
    doc = yaml.safe_load(relay.read_text())
    _container(doc)["ports"][0]["name"] = "web"
    (tmp_path / "relay.yaml").write_text(yaml.safe_dump(doc))
    errors = check_manifests.check(tmp_path)
    assert any("uses port 'http', not a named containerPort" in e for e in errors)


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
        assert relay_doc["metadata"]["name"] == f"{service}-relay"
        relay_container = relay_doc["spec"]["template"]["spec"]["containers"][0]
        assert relay_container["args"] == ["relay", service]
        env_from = {next(iter(ref.values()))["name"] for ref in relay_container["envFrom"]}
        assert env_from == {"cae-config", f"{service}-secrets"}
        _assert_relay_container_serves_http(relay_container)


def _docs(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def test_every_service_has_its_broker_user_and_database():
    infra = DEPLOY / "components" / "infra"
    topology = {
        (d["kind"], d["metadata"]["name"]): d for d in _docs(infra / "rabbitmq-topology.yaml")
    }
    postgres = _docs(infra / "postgres.yaml")
    cluster = next(d for d in postgres if d["kind"] == "Cluster")
    roles = {r["name"]: r for r in cluster["spec"]["managed"]["roles"]}
    databases = {d["spec"]["name"]: d["spec"] for d in postgres if d["kind"] == "Database"}
    for service in SERVICES:
        user = topology[("User", service)]["spec"]
        assert user["importCredentialsSecret"]["name"] == f"{service}-rabbitmq-credentials"
        permission = topology[("Permission", f"{service}-cae")]["spec"]
        assert permission["userReference"]["name"] == service
        assert permission["vhost"] == "cae"
        assert roles[service]["passwordSecret"]["name"] == f"{service}-db-credentials"
        assert databases[service]["owner"] == service


def test_governance_takes_its_ballot_key_from_a_secret_of_its_own():
    variable, secret, key = BALLOT_KEY
    docs = _docs(DEPLOY / "base" / "governance" / "service.yaml")
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    env = _env(_container(deployment))
    assert env[variable]["valueFrom"]["secretKeyRef"] == {"name": secret, "key": key}
    # Not in the Secret every governance process reads (relay, migration Job).
    assert {next(iter(ref.values()))["name"] for ref in _container(deployment)["envFrom"]} == {
        "cae-config",
        "governance-secrets",
    }
    # dev generates a throw-away key, long enough for the service's check.
    dev = yaml.safe_load((DEPLOY / "overlays" / "dev" / "kustomization.yaml").read_text())
    generated = next(g for g in dev["secretGenerator"] if g["name"] == secret)
    literal = dict(entry.split("=", 1) for entry in generated["literals"])[key]
    assert len(literal) >= 32


def test_matching_database_has_unaccent():
    """matching's first migration runs CREATE EXTENSION IF NOT EXISTS unaccent."""
    postgres = _docs(DEPLOY / "components" / "infra" / "postgres.yaml")
    database = next(
        d["spec"] for d in postgres if d["kind"] == "Database" and d["spec"]["name"] == "matching"
    )
    assert database["owner"] == "matching"  # a trusted extension: its owner may create it
    assert {"name": "unaccent", "ensure": "present"} in database["extensions"]
    # The other databases need no extension.
    assert all(
        "extensions" not in d["spec"]
        for d in postgres
        if d["kind"] == "Database" and d["spec"]["name"] != "matching"
    )


def test_matching_has_room_for_its_solver_and_no_other_secret():
    """HiGHS runs in a thread, CPU-bound for seconds: more than governance's budget."""
    docs = _docs(DEPLOY / "base" / "matching" / "service.yaml")
    container = _container(next(d for d in docs if d["kind"] == "Deployment"))
    assert container["resources"] == {
        "requests": {"cpu": "250m", "memory": "256Mi"},
        "limits": {"cpu": "1", "memory": "512Mi"},
    }
    assert "env" not in container
    assert {next(iter(ref.values()))["name"] for ref in container["envFrom"]} == {
        "cae-config",
        "matching-secrets",
    }


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


def _assert_relay_container_serves_http(container: dict) -> None:
    """`cae relay` listens on CAE_HTTP_PORT (8000): probes on /health/*, /metrics."""
    assert {"name": "http", "containerPort": 8000, "protocol": "TCP"} in container["ports"]
    for key, path in (
        ("startupProbe", "/health/live"),
        ("livenessProbe", "/health/live"),
        ("readinessProbe", "/health/ready"),
    ):
        assert container[key]["httpGet"] == {"path": path, "port": "http"}, key


def _assert_ballot_key_only_in_governance(service: str, *workloads: dict) -> None:
    """The governance service container gets the ballot key; nothing else does."""
    variable, secret, key = BALLOT_KEY
    for workload in workloads:
        env = _env(_container(workload))
        if service == "governance" and workload["metadata"]["name"] == "governance":
            assert env[variable]["valueFrom"]["secretKeyRef"] == {"name": secret, "key": key}
        else:
            assert variable not in env, workload["metadata"]["name"]


def _selects(selector: dict, labels: dict) -> bool:
    """Does a LabelSelector (matchLabels, matchExpressions In/Exists) select these labels?"""
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, operator = expr["key"], expr["operator"]
        if operator == "In" and labels.get(key) not in expr["values"]:
            return False
        if operator == "NotIn" and labels.get(key) in expr["values"]:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def _pod_labels(doc: dict) -> dict:
    return doc["spec"]["template"]["metadata"]["labels"]


@needs_kubectl
def test_production_overlay_renders_as_specified():
    docs = _by_kind_name(_render(DEPLOY / "overlays" / "production"))
    relay_monitor = docs[("PodMonitor", "cae-relays")]
    scrape_policy = docs[("NetworkPolicy", "cae-allow-prometheus-scrape")]
    for service in SERVICES:
        deployment = docs[("Deployment", service)]
        if service in KEDA_SCALED:
            # KEDA's HPA owns the count: nothing in the manifest may reset it.
            assert "replicas" not in deployment["spec"]
            scaled = docs[("ScaledObject", service)]["spec"]
            assert scaled["scaleTargetRef"] == {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": service,
            }
            queues = [t["metadata"]["queueName"] for t in scaled["triggers"]]
            assert queues == [KEDA_SCALED[service]]
        else:
            assert deployment["spec"]["replicas"] == 3
        env = _env(_container(deployment))
        assert env["CAE_JWT_PUBLIC_KEY"]["valueFrom"]["secretKeyRef"]["name"] == "cae-jwt"
        # The relay runs in its own Deployment (components/relay-separate).
        assert env["CAE_RELAY_IN_PROCESS"]["value"] == "false"
        relay = docs[("Deployment", f"{service}-relay")]
        assert relay["spec"]["replicas"] == 1
        relay_container = _container(relay)
        assert relay_container["args"] == ["relay", service]
        assert relay_container["image"] == _container(deployment)["image"]
        assert "CAE_JWT_PUBLIC_KEY" not in _env(relay_container)
        _assert_ballot_key_only_in_governance(service, deployment, relay)
        _assert_ballot_key_only_in_governance(service, docs[("Job", f"{service}-migrate")])
        assert "annotations" not in relay["metadata"]
        _assert_relay_container_serves_http(relay_container)
        # Prometheus scrapes the relay pods and may reach them on 8000.
        assert _selects(relay_monitor["spec"]["selector"], _pod_labels(relay))
        assert not _selects(relay_monitor["spec"]["selector"], _pod_labels(deployment))
        assert _selects(scrape_policy["spec"]["podSelector"], _pod_labels(relay))
        assert _selects(scrape_policy["spec"]["podSelector"], _pod_labels(deployment))
        assert docs[("Job", f"{service}-migrate")]["metadata"]["namespace"] == "cae"
    assert [e["port"] for e in relay_monitor["spec"]["podMetricsEndpoints"]] == ["http"]
    assert relay_monitor["spec"]["podMetricsEndpoints"][0]["path"] == "/metrics"
    assert {p["port"] for rule in scrape_policy["spec"]["ingress"] for p in rule["ports"]} == {8000}
    # The ingress controller reaches the services only, not the relays.
    ingress_policy = docs[("NetworkPolicy", "cae-allow-http-from-ingress")]
    for service in SERVICES:
        relay = docs[("Deployment", f"{service}-relay")]
        assert not _selects(ingress_policy["spec"]["podSelector"], _pod_labels(relay))
    config = next(d for (kind, _), d in docs.items() if kind == "ConfigMap")
    assert config["data"]["CAE_JWT_ALGORITHM"] == "RS256"
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
        # dev keeps the relay in-process: one Deployment per service.
        assert "CAE_RELAY_IN_PROCESS" not in _env(_container(deployment))
        assert ("Deployment", f"{service}-relay") not in docs
        assert docs[("Secret", f"{service}-secrets")]
        env = _env(_container(deployment))
        assert env["CAE_JWT_SECRET"]["valueFrom"]["secretKeyRef"]["name"] == "cae-jwt-dev"
        _assert_ballot_key_only_in_governance(service, deployment)
        _assert_ballot_key_only_in_governance(service, docs[("Job", f"{service}-migrate")])
    assert docs[("Secret", BALLOT_KEY[1])]["data"][BALLOT_KEY[2]]
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
    by_name = _by_kind_name(docs)
    if component == "relay-separate":
        for service in SERVICES:
            env = _env(_container(by_name[("Deployment", service)]))
            assert env["CAE_RELAY_IN_PROCESS"]["value"] == "false"
            relay = _container(by_name[("Deployment", f"{service}-relay")])
            assert relay["args"] == ["relay", service]
            assert relay["image"] == _container(by_name[("Deployment", service)])["image"]
            _assert_relay_container_serves_http(relay)
    if component == "monitoring":
        # The relay monitor is part of the component even without relay-separate:
        # it selects by label and simply has no targets then.
        selector = by_name[("PodMonitor", "cae-relays")]["spec"]["selector"]
        assert selector["matchLabels"]["app.kubernetes.io/component"] == "relay"
        assert not any(
            _selects(selector, _pod_labels(d)) for d in docs if d["kind"] == "Deployment"
        )
