"""Tests of the Kubernetes manifests under deploy/.

    cd /work/main && .venv/bin/python -m pytest deploy -q -p no:nameko

The static checks (check_manifests.py) need only PyYAML. The rendering tests
run `kubectl kustomize` when kubectl is on PATH and are skipped otherwise.
The broker-permission test also imports the services (their reliable
handlers name the queues and exchanges) and is skipped where they are not
installed.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
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
# The web portal (base/portal, services/portal): a backend-for-frontend in the same
# image, labelled app.kubernetes.io/component=portal (not "service") so that what
# selects the services (their HPA patch, JWT patches, relay switch, ServiceMonitor,
# broker and PgBouncer policies) does not select it. It calls the five services, has
# an HPA, an HTTPRoute and a sessions database of its own (directly on cae-pg-rw).
PORTAL = "portal"
PORTAL_HOST = "portal.cae.example.org"
# Pods of the portal beyond its HPA's maximum during a rolling update at full scale:
# the surge pod (maxSurge 1) and a pod still stopping. Its role's connectionLimit
# must leave them room, or a rollout at full scale starts a pod the database refuses.
PORTAL_ROLLOUT_EXTRA_PODS = 2
# governance's key wrapping secret polls' keys (docs/adr/0013-sealed-ballots.md):
# a Secret of its own, given to the service container only (like the JWT secret).
BALLOT_KEY = ("CAE_GOVERNANCE_BALLOT_KEY", "governance-ballot-key", "ballot-key")
# Scaled by KEDA in production (components/payroll-keda): the pure payroll
# workers, on the depth of the payroll runs' work queue.
KEDA_SCALED = {"payroll-worker": "payroll--cae.payroll.payslip_requested.v1"}
# The payroll scaling arithmetic (components/payroll-keda/scaledobject.yaml,
# deploy/README.md "Payroll scaling"), from docs/benchmarks.md (bench-payroll):
PAYSLIPS_PER_ITEM = 50  # a work item (docs/adr/0008-payroll.md)
WORKER_CPU_US_PER_PAYSLIP = 118  # a payroll process's CPU per payslip
DB_CPU_US_PER_PAYSLIP = 53  # PostgreSQL's CPU per payslip
WORKER_CPU_REQUEST = 0.25  # cores guaranteed to a payroll process
POD_ARRIVAL_SECONDS = 45  # KEDA/HPA polling + scheduling + `cae run payroll` start
SECONDS_OF_WORK_PER_WORKER = 60
EXPECTED_RUN_ITEMS = 100_000 // PAYSLIPS_PER_ITEM  # a network's month (bench-payroll)
PAYROLL_MIN_REPLICAS = 3  # the payroll API's HPA floor in production
# The PostgreSQL connection reserve (components/infra/postgres.yaml), besides
# superuser_reserved_connections: the instance manager, exporter and operator;
# 2 auth_query logins per PgBouncer instance; 2 per migration Job; people.
RESERVED_OPERATOR, AUTH_PER_POOLER_INSTANCE, PER_MIGRATION, RESERVED_PEOPLE = 10, 2, 2, 10


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


def test_script_refuses_presync_hooks_and_cronjobs_that_keep_their_jobs(tmp_path):
    """The migration Jobs are Sync hooks (a PreSync hook runs before the sync's
    ConfigMaps and Secrets exist); every Job a CronJob makes goes away."""
    job = _docs(DEPLOY / "base" / "members" / "migrate-job.yaml")[0]
    cronjob = _docs(DEPLOY / "base" / "members" / "prune-cronjob.yaml")[0]
    _write(tmp_path, "kustomization.yaml", "resources:\n  - job.yaml\n  - cronjob.yaml\n")
    (tmp_path / "job.yaml").write_text(yaml.safe_dump(job))
    (tmp_path / "cronjob.yaml").write_text(yaml.safe_dump(cronjob))
    assert check_manifests.check(tmp_path) == []

    job["metadata"]["annotations"]["argocd.argoproj.io/hook"] = "PreSync"
    del cronjob["spec"]["jobTemplate"]["spec"]["ttlSecondsAfterFinished"]
    (tmp_path / "job.yaml").write_text(yaml.safe_dump(job))
    (tmp_path / "cronjob.yaml").write_text(yaml.safe_dump(cronjob))
    errors = "\n".join(check_manifests.check(tmp_path))
    assert "Job members-migrate: an Argo CD PreSync hook" in errors
    assert "CronJob members-prune: set spec.jobTemplate.spec.ttlSecondsAfterFinished" in errors


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
            ("CronJob", f"{service}-prune"),
        } <= kinds
        deployment = next(d for d in docs if d["kind"] == "Deployment")
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["args"] == ["run", service]
        job = next(d for d in docs if d["kind"] == "Job")
        assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate", service]
        cronjob = next(d for d in docs if d["kind"] == "CronJob")
        prune = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
        assert prune["args"][:2] == ["prune", service]
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


@functools.cache
def _render_text(directory: str) -> str:
    result = subprocess.run(
        [kubectl, "kustomize", directory], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _render(directory: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(_render_text(str(directory))) if d]


def _production() -> list[dict]:
    return _render(DEPLOY / "overlays" / "production")


def _dev() -> list[dict]:
    return _render(DEPLOY / "overlays" / "dev")


def _by_kind_name(docs: list[dict]) -> dict[tuple[str, str], dict]:
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


def _container(doc: dict) -> dict:
    return _pod_spec(doc)["containers"][0]


def _pod_spec(doc: dict) -> dict:
    spec = doc["spec"]
    if doc["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]


def _env(container: dict) -> dict[str, dict]:
    return {e["name"]: e for e in container.get("env") or []}


def _annotations(doc: dict) -> dict:
    return doc["metadata"].get("annotations") or {}


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
    spec = doc["spec"]["jobTemplate"]["spec"] if doc["kind"] == "CronJob" else doc["spec"]
    return spec["template"]["metadata"]["labels"]


def _workloads(docs: list[dict]) -> list[dict]:
    return [d for d in docs if d["kind"] in ("Deployment", "Job", "CronJob")]


@needs_kubectl
def test_production_overlay_renders_as_specified():
    docs = _by_kind_name(_production())
    relay_monitor = docs[("PodMonitor", "cae-relays")]
    scrape_policy = docs[("NetworkPolicy", "cae-allow-prometheus-scrape")]
    for service in SERVICES:
        deployment = docs[("Deployment", service)]
        # The HPA owns the count: nothing in the manifest may reset it.
        assert "replicas" not in deployment["spec"]
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
        assert _annotations(relay) == {"argocd.argoproj.io/sync-wave": "2"}
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
    # The Gateway's data plane reaches the services only, not the relays or workers.
    gateway_policy = docs[("NetworkPolicy", "cae-allow-http-from-gateway")]
    for name in [f"{s}-relay" for s in SERVICES] + ["payroll-worker"]:
        assert not _selects(
            gateway_policy["spec"]["podSelector"], _pod_labels(docs[("Deployment", name)])
        )
    worker = docs[("Deployment", "payroll-worker")]
    assert _selects(docs[("PodMonitor", "cae-workers")]["spec"]["selector"], _pod_labels(worker))
    assert _selects(scrape_policy["spec"]["podSelector"], _pod_labels(worker))
    config = next(
        d for (kind, _), d in docs.items() if kind == "ConfigMap" and _.startswith("cae-config")
    )
    assert config["data"]["CAE_JWT_ALGORITHM"] == "RS256"
    assert docs[("RabbitmqCluster", "cae-rabbitmq")]["spec"]["replicas"] == 3
    assert docs[("Vhost", "cae")]["spec"]["defaultQueueType"] == "quorum"
    assert docs[("Vhost", "cae")]["spec"]["deletionPolicy"] == "retain"
    assert docs[("Cluster", "cae-pg")]["spec"]["instances"] == 3
    assert ("ServiceMonitor", "cae-services") in docs
    assert all(
        d["metadata"].get("namespace") == "cae" for (k, _), d in docs.items() if k != "Namespace"
    )


@needs_kubectl
def test_dev_overlay_renders_as_specified():
    docs = _by_kind_name(_dev())
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
        assert docs[("Pooler", f"cae-pg-pooler-{service}")]["spec"]["instances"] == 1
    assert ("Deployment", "payroll-worker") not in docs
    assert docs[("Secret", BALLOT_KEY[1])]["data"][BALLOT_KEY[2]]
    config = next(
        d for (kind, n), d in docs.items() if kind == "ConfigMap" and n.startswith("cae-config")
    )
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
    if component == "payroll-keda":
        worker = by_name[("Deployment", "payroll-worker")]
        assert _container(worker)["args"] == ["run", "payroll"]
        assert _env(_container(worker))["CAE_RELAY_IN_PROCESS"]["value"] == "false"
        # The payroll API keeps its own replicas: KEDA scales the workers only.
        assert by_name[("Deployment", "payroll")]["spec"]["replicas"] == 2


@needs_kubectl
def test_subscriber_template_renders():
    docs = _by_kind_name(_render(DEPLOY / "templates" / "event-subscriber"))
    assert set(docs) == {("User", "ext-example"), ("Permission", "ext-example-cae")}


# --------------------------------------------------------------------------- ordering


@needs_kubectl
def test_migrations_run_in_the_sync_phase_after_their_inputs():
    """No PreSync hook: it runs before the hash-suffixed ConfigMap, the Secrets and the
    database exist. The migration Jobs are Sync hooks in wave 1: everything they read
    is in an earlier wave, everything that needs a migrated store in a later one."""
    for docs in (_production(), _dev()):
        for doc in docs:
            assert _annotations(doc).get("argocd.argoproj.io/hook") != "PreSync", doc["metadata"]
        waves = {
            (d["kind"], d["metadata"]["name"]): int(
                _annotations(d).get("argocd.argoproj.io/sync-wave", 0)
            )
            for d in docs
        }
        jobs = [d for d in docs if d["kind"] == "Job"]
        assert {d["metadata"]["name"] for d in jobs} == {f"{s}-migrate" for s in SERVICES}
        for job in jobs:
            annotations = _annotations(job)
            assert annotations["argocd.argoproj.io/hook"] == "Sync"
            assert annotations["argocd.argoproj.io/hook-delete-policy"] == "BeforeHookCreation"
            wave = waves[("Job", job["metadata"]["name"])]
            # What the Job reads: its ConfigMap, its Secrets, the database, the broker.
            for kind, name in waves:
                if kind in (
                    "ConfigMap",
                    "Secret",
                    "Cluster",
                    "Pooler",
                    "Database",
                    "RabbitmqCluster",
                    "User",
                    "Permission",
                    "Vhost",
                    "Certificate",
                    "Issuer",
                    "NetworkPolicy",
                    "Namespace",
                ):
                    assert waves[(kind, name)] < wave, (kind, name)
            # What needs the migrated store: after it.
            for kind, name in waves:
                if kind in (
                    "Deployment",
                    "CronJob",
                    "HorizontalPodAutoscaler",
                    "ScaledObject",
                    "HTTPRoute",
                ):
                    assert waves[(kind, name)] > wave, (kind, name)
            # The migration goes to PostgreSQL directly, not through the pooler.
            service = job["metadata"]["name"].removesuffix("-migrate")
            env = _env(_container(job))
            assert env[f"CAE_{service.upper()}_DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {
                "name": f"{service}-secrets",
                "key": "DIRECT_DATABASE_URL",
            }
            # A first install: it retries while the database and the broker come up.
            assert job["spec"]["backoffLimit"] >= 6
            assert job["spec"]["ttlSecondsAfterFinished"] > 0


@needs_kubectl
def test_a_prune_cronjob_per_service():
    for docs in (_production(), _dev()):
        cronjobs = {d["metadata"]["name"]: d for d in docs if d["kind"] == "CronJob"}
        assert set(cronjobs) == {f"{s}-prune" for s in SERVICES}
        schedules = set()
        for service in SERVICES:
            cronjob = cronjobs[f"{service}-prune"]
            spec = cronjob["spec"]
            assert spec["concurrencyPolicy"] == "Forbid"
            assert spec["timeZone"]
            schedules.add(spec["schedule"])
            container = _container(cronjob)
            assert container["args"][:2] == ["prune", service]
            days = int(container["args"][container["args"].index("--days") + 1])
            assert days >= 7  # not below the event archive's retention (CAE_EVENT_ARCHIVE 7D)
            assert {next(iter(r.values()))["name"] for r in container["envFrom"]} == {
                next(
                    n
                    for (k, n) in [(d["kind"], d["metadata"]["name"]) for d in docs]
                    if k == "ConfigMap" and n.startswith("cae-config")
                ),
                f"{service}-secrets",
            }
            assert spec["jobTemplate"]["spec"]["ttlSecondsAfterFinished"] > 0
        assert len(schedules) == len(SERVICES)  # staggered, never all at once


# --------------------------------------------------------------------------- payroll scaling


@needs_kubectl
def test_keda_scales_payroll_workers_on_ready_and_unacked_with_true_idle_semantics():
    docs = _by_kind_name(_production())
    for name, queue in KEDA_SCALED.items():
        scaled = docs[("ScaledObject", name)]["spec"]
        assert scaled["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": name,
        }
        # KEDA's count must not be reset by an apply.
        assert "replicas" not in docs[("Deployment", name)]["spec"]
        [trigger] = scaled["triggers"]
        meta = trigger["metadata"]
        assert trigger["type"] == "rabbitmq"
        # http: the management API counts ready + unacknowledged (amqp: ready only).
        assert meta["protocol"] == "http"
        assert meta.get("excludeUnacknowledged", "false") == "false"
        assert meta["host"].startswith("https://") and "@" not in meta["host"]
        assert meta["queueName"] == queue and meta["vhostName"] == "cae"
        assert meta["mode"] == "QueueLength"
        # The arithmetic: a worker at its CPU request, its work in a minute; the API
        # replicas alone drain what would be done before a worker arrives.
        items_per_second = WORKER_CPU_REQUEST / (
            WORKER_CPU_US_PER_PAYSLIP * 1e-6 * PAYSLIPS_PER_ITEM
        )
        rate = int(items_per_second // 10 * 10)  # 42.4 -> 40, the figure the docs use
        assert int(meta["value"]) == rate * SECONDS_OF_WORK_PER_WORKER
        activation = int(meta["activationValue"])
        assert activation <= PAYROLL_MIN_REPLICAS * rate * POD_ARRIVAL_SECONDS
        assert activation > EXPECTED_RUN_ITEMS  # the expected run starts no worker
        # Idle means zero, and cooldownPeriod governs exactly that last step.
        assert scaled["minReplicaCount"] == 0
        assert scaled["cooldownPeriod"] > 0
        assert "idleReplicaCount" not in scaled
        # Beyond maxReplicaCount the database, not the workers, is the limit.
        db_items_per_second = 2 / (DB_CPU_US_PER_PAYSLIP * 1e-6 * PAYSLIPS_PER_ITEM)
        consumers = PAYROLL_MIN_REPLICAS + scaled["maxReplicaCount"]
        assert consumers * 100 >= db_items_per_second  # ~100 items/s measured per process
        assert (consumers - 1) * rate < db_items_per_second
        fallback = scaled["fallback"]
        assert fallback["failureThreshold"] >= 1 and fallback["replicas"] >= 1
        assert fallback["behavior"] == "currentReplicasIfHigher"
        behavior = scaled["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]
        assert behavior["scaleUp"] and behavior["scaleDown"]
        # KEDA's own read-only user, never a service's.
        auth = docs[("TriggerAuthentication", trigger["authenticationRef"]["name"])]["spec"]
        refs = {r["parameter"]: (r["name"], r["key"]) for r in auth["secretTargetRef"]}
        assert refs["username"] == ("keda-rabbitmq-credentials", "username")
        assert refs["password"] == ("keda-rabbitmq-credentials", "password")
        assert refs["ca"] == ("cae-rabbitmq-tls", "ca.crt")
        [tls] = auth["configMapTargetRef"]
        assert docs[("ConfigMap", tls["name"])]["data"][tls["key"]] == "enable"
    user = docs[("User", "keda")]["spec"]
    assert user["tags"] == ["monitoring"]
    assert user["importCredentialsSecret"]["name"] == "keda-rabbitmq-credentials"
    assert docs[("Permission", "keda-cae")]["spec"]["permissions"] == {
        "configure": "^$",
        "write": "^$",
        "read": "^$",
    }
    # The payroll API is not KEDA's: its HPA keeps the floor the arithmetic counts on.
    assert (
        docs[("HorizontalPodAutoscaler", "payroll")]["spec"]["minReplicas"] == PAYROLL_MIN_REPLICAS
    )


@needs_kubectl
def test_an_hpa_per_http_service():
    docs = _by_kind_name(_production())
    hpas = {n: d for (k, n), d in docs.items() if k == "HorizontalPodAutoscaler"}
    assert set(hpas) == set(SERVICES) | {PORTAL}  # payroll-worker is KEDA's
    for service, hpa in hpas.items():
        assert hpa["apiVersion"] == "autoscaling/v2"
        spec = hpa["spec"]
        assert spec["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": service,
        }
        assert 3 <= spec["minReplicas"] < spec["maxReplicas"]
        assert spec["metrics"]
        for direction in ("scaleUp", "scaleDown"):
            assert spec["behavior"][direction]["policies"]
            assert spec["behavior"][direction]["stabilizationWindowSeconds"] >= 0
        assert "replicas" not in docs[("Deployment", service)]["spec"]


# --------------------------------------------------------------------------- database


def _host(url: str) -> str:
    return re.match(r"^[a-z+]+://[^@]+@([^:/]+)", url).group(1)


@needs_kubectl
def test_a_pooler_per_database_and_the_pools_fit_under_max_connections():
    for docs in (_production(), _dev()):
        by_name = _by_kind_name(docs)
        cluster = by_name[("Cluster", "cae-pg")]["spec"]
        parameters = cluster["postgresql"]["parameters"]
        max_connections = int(parameters["max_connections"])
        poolers = {n: d["spec"] for (k, n), d in by_name.items() if k == "Pooler"}
        assert set(poolers) == {f"cae-pg-pooler-{s}" for s in SERVICES}
        pooled = 0
        for service in SERVICES:
            spec = poolers[f"cae-pg-pooler-{service}"]
            assert spec["cluster"]["name"] == "cae-pg"
            assert spec["type"] == "rw"
            # No session state in the kit (see poolers.yaml): transaction pooling,
            # with room for psycopg's prepared statements (its cache holds 100).
            assert spec["pgbouncer"]["poolMode"] == "transaction"
            params = spec["pgbouncer"]["parameters"]
            assert int(params["max_prepared_statements"]) >= 100
            assert int(params["default_pool_size"]) <= int(params["max_db_connections"])
            pooled += spec["instances"] * int(params["max_db_connections"])
            [container] = spec["template"]["spec"]["containers"]
            assert container["name"] == "pgbouncer"
            assert re.search(r"@sha256:[0-9a-f]{64}$", container["image"])
        instances = sum(spec["instances"] for spec in poolers.values())
        reserved = (
            int(parameters["superuser_reserved_connections"])
            + RESERVED_OPERATOR
            + AUTH_PER_POOLER_INSTANCE * instances
            + PER_MIGRATION * len(SERVICES)
            + RESERVED_PEOPLE
        )
        # The web portal connects directly (no pooler): at most its role's limit, which
        # covers its pool on every replica the HPA allows, and a rollout's extra pods.
        roles = {r["name"]: r for r in cluster["managed"]["roles"]}
        portal_direct = roles[PORTAL]["connectionLimit"]
        portal_pool = int(
            _env(_container(by_name[("Deployment", PORTAL)]))["CAE_PORTAL_SESSION_POOL_SIZE"][
                "value"
            ]
        )
        portal_max = _portal_max_replicas()
        assert portal_direct >= (portal_max + PORTAL_ROLLOUT_EXTRA_PODS) * portal_pool, (
            portal_direct,
            portal_max,
            portal_pool,
        )
        assert pooled + portal_direct + reserved < max_connections, (
            pooled,
            portal_direct,
            reserved,
            max_connections,
        )
        # PostgreSQL enforces it too: each role's limit is its pool + its migration + people.
        limits = portal_direct
        for service in SERVICES:
            params = poolers[f"cae-pg-pooler-{service}"]["pgbouncer"]["parameters"]
            pool = poolers[f"cae-pg-pooler-{service}"]["instances"] * int(
                params["max_db_connections"]
            )
            assert roles[service]["connectionLimit"] >= pool + PER_MIGRATION
            limits += roles[service]["connectionLimit"]
        assert (
            limits + reserved - PER_MIGRATION * len(SERVICES) - RESERVED_PEOPLE <= max_connections
        )
        assert set(roles) == set(SERVICES) | {PORTAL}  # no role outside the budget
    # The services reach their own pooler; only the migration goes direct (dev's URLs).
    dev = _by_kind_name(_dev())
    import base64

    for service in SERVICES:
        data = {
            k: base64.b64decode(v).decode()
            for k, v in dev[("Secret", f"{service}-secrets")]["data"].items()
        }
        assert _host(data["CAE_DATABASE_URL"]) == f"cae-pg-pooler-{service}"
        assert _host(data["DIRECT_DATABASE_URL"]) == "cae-pg-rw"
        assert data["CAE_DATABASE_URL"].endswith(f"/{service}")
        assert data["CAE_AMQP_URI"].startswith("amqps://") and ":5671/cae" in data["CAE_AMQP_URI"]


# --------------------------------------------------------------------------- broker


def _consumed(service: str) -> list[tuple[str, str]]:
    """(event type, exchange) of every reliable handler of the service, from its code."""
    pytest.importorskip("caekit")
    pytest.importorskip(f"cae_{service}")
    import inspect
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

        from cae_contracts import contract_for
        from caekit.cli import load_service
        from caekit.handlers import ReliableHandler

        cls = load_service(service)
    found = []
    for _, function in inspect.getmembers(cls, inspect.isfunction):
        for entrypoint in getattr(function, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(entrypoint, ReliableHandler):
                found.append((entrypoint.event_type, contract_for(entrypoint.event_type).exchange))
    assert found, service
    return found


def _matches(regex: str, name: str) -> bool:
    # RabbitMQ anchors nothing: the regexes anchor themselves (^...$).
    return re.search(regex, name) is not None


@needs_kubectl
def test_each_broker_user_may_touch_its_own_names_only():
    from caekit.topology import archive_queue, consumer_queue, dead_letter_queue, retry_queue

    docs = _by_kind_name(_production())
    permissions = {
        d["spec"]["userReference"]["name"]: d["spec"]["permissions"]
        for (k, _), d in docs.items()
        if k == "Permission"
    }
    assert set(permissions) == set(SERVICES) | {"keda"}
    all_queues = {}
    for service in SERVICES:
        all_queues[service] = [
            name
            for event_type, _ in _consumed(service)
            for queue in [consumer_queue(service, event_type)]
            for name in (
                queue,
                dead_letter_queue(queue),
                *(retry_queue(queue, d) for d in (1, 10, 60)),
            )
        ]
    exchanges = {f"{s}.events" for s in SERVICES} | {"bank.events"}
    for service in SERVICES:
        perms = permissions[service]
        for key in ("configure", "write", "read"):
            assert perms[key] not in (".*", "^.*$", ""), (service, key)
            assert ".*" not in perms[key], (service, key)
        own = f"{service}.events"
        consumed = {exchange for _, exchange in _consumed(service)}
        for queue in all_queues[service]:
            for key in ("configure", "write", "read"):
                assert _matches(perms[key], queue), (service, key, queue)
        for other in SERVICES:
            if other != service:
                for queue in all_queues[other]:
                    for key in ("configure", "write", "read"):
                        assert not _matches(perms[key], queue), (service, key, queue)
        # configure: the exchanges it declares (its own, those it binds from), its archive.
        for name in consumed | {own, archive_queue(own)}:
            assert _matches(perms["configure"], name), (service, name)
        for name in exchanges - consumed - {own}:
            assert not _matches(perms["configure"], name), (service, name)
        # write: publish on its own exchange and, for retries and parking, the
        # default exchange; bind its archive. No other exchange.
        for name in (own, "amq.default", archive_queue(own)):
            assert _matches(perms["write"], name), (service, name)
        for name in exchanges - {own}:
            assert not _matches(perms["write"], name), (service, name)
        # read: the exchanges its queues (and its archive) are bound from.
        for name in consumed | {own}:
            assert _matches(perms["read"], name), (service, name)
        for name in exchanges - consumed - {own}:
            assert not _matches(perms["read"], name), (service, name)
        assert docs[("User", service)]["spec"]["tags"] == []


def test_an_outside_subscriber_reads_and_declares_its_own_queues_only():
    docs = _by_kind_name(_docs(DEPLOY / "templates" / "event-subscriber" / "subscriber.yaml"))
    user = docs[("User", "ext-example")]["spec"]
    assert user["tags"] == [] and user["limits"]["connections"] > 0
    perms = docs[("Permission", "ext-example-cae")]["spec"]["permissions"]
    own = ["ext-example.crm-members", "ext-example.audit"]
    for name in own:
        for key in ("configure", "write", "read"):
            assert _matches(perms[key], name), (key, name)
    event_exchanges = [f"{s}.events" for s in SERVICES]
    for name in event_exchanges + [f"{e}--archive" for e in event_exchanges]:
        assert _matches(perms["read"], name)
        assert not _matches(perms["configure"], name)
        assert not _matches(perms["write"], name)
    # No publishing anywhere, no other queue, not the bank's payments.
    for name in [
        "amq.default",
        "bank.events",
        "members--cae.governance.associate_admitted.v1",
        "ext-other.queue",
        "ext-example",
        "cae.poison",
    ]:
        for key in ("configure", "write"):
            assert not _matches(perms[key], name), (key, name)
        if name != "ext-example":
            assert not _matches(perms["read"], name), name


@needs_kubectl
def test_the_broker_speaks_tls_only_and_every_cae_pod_trusts_its_ca():
    for docs in (_production(), _dev()):
        by_name = _by_kind_name(docs)
        broker = by_name[("RabbitmqCluster", "cae-rabbitmq")]["spec"]
        assert broker["tls"]["disableNonTLSListeners"] is True
        secret = broker["tls"]["secretName"]
        certificate = next(
            d["spec"]
            for d in docs
            if d["kind"] == "Certificate" and d["spec"]["secretName"] == secret
        )
        assert "cae-rabbitmq.cae.svc" in certificate["dnsNames"]
        config = next(
            d
            for d in docs
            if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("cae-config")
        )
        ca_file = config["data"]["SSL_CERT_FILE"]
        for workload in _workloads(docs):
            if workload["metadata"]["labels"].get("app.kubernetes.io/part-of") != "cae":
                continue
            pod = _pod_spec(workload)
            [volume] = [v for v in pod["volumes"] if v["name"] == "broker-ca"]
            # The CA certificate alone, never the broker's key.
            assert volume["secret"] == {
                "secretName": secret,
                "items": [{"key": "ca.crt", "path": "ca.crt"}],
            }
            [mount] = [m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "broker-ca"]
            assert ca_file == f"{mount['mountPath']}/ca.crt" and mount["readOnly"] is True
        # No policy lets anything reach plain AMQP; CAE workloads go out to AMQPS.
        for policy in (d for d in docs if d["kind"] == "NetworkPolicy"):
            for rule in policy["spec"].get("ingress", []) + policy["spec"].get("egress", []):
                assert all(p.get("port") != 5672 for p in rule.get("ports", [])), policy[
                    "metadata"
                ]["name"]
        egress = by_name[("NetworkPolicy", "cae-restrict-egress")]["spec"]["egress"]
        assert {"protocol": "TCP", "port": 5671} in [p for r in egress for p in r["ports"]]
        # Outside subscribers in the cluster reach AMQPS (and only it).
        rules = by_name[("NetworkPolicy", "cae-rabbitmq-ingress")]["spec"]["ingress"]
        subscriber_rules = [
            r
            for r in rules
            if any(
                (f.get("namespaceSelector") or {})
                .get("matchLabels", {})
                .get("cae-platform/event-subscriber")
                == "true"
                for f in r.get("from", [])
            )
        ]
        assert [p["port"] for r in subscriber_rules for p in r["ports"]] == [5671]


@needs_kubectl
def test_outside_subscribers_beyond_the_cluster_get_amqps_only(tmp_path):
    (tmp_path / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "namespace": "cae",
                "resources": [os.path.relpath(DEPLOY / "overlays" / "production", tmp_path)],
                "components": [
                    os.path.relpath(DEPLOY / "components" / "external-subscribers", tmp_path)
                ],
            }
        )
    )
    docs = _by_kind_name(_render(tmp_path))
    service = docs[("Service", "cae-rabbitmq-amqps-external")]["spec"]
    assert service["type"] == "LoadBalancer"
    assert [p["port"] for p in service["ports"]] == [5671]
    policy = docs[("NetworkPolicy", "cae-rabbitmq-external-subscribers")]["spec"]
    assert [p["port"] for r in policy["ingress"] for p in r["ports"]] == [5671]
    assert "amqps.cae.example.org" in docs[("Certificate", "cae-rabbitmq-tls")]["spec"]["dnsNames"]


# --------------------------------------------------------------------------- HTTP, images


def _api_paths(service: str) -> set[str]:
    found = set()
    for path in (DEPLOY.parent / "services" / service).rglob("*.py"):
        found |= set(
            re.findall(r'@api\(\s*"[A-Z]+",\s*"([^"]+)"', path.read_text(encoding="utf-8"))
        )
    return found


def _route_covers(matches: list[dict], path: str) -> bool:
    for match in matches:
        kind, value = match["path"]["type"], match["path"]["value"]
        if kind == "Exact" and path == value:
            return True
        if kind == "PathPrefix" and (path == value or path.startswith(value.rstrip("/") + "/")):
            return True
    return False


@needs_kubectl
def test_an_httproute_per_http_service_exposing_its_api_only():
    docs = _by_kind_name(_production())
    routes = {n: d for (k, n), d in docs.items() if k == "HTTPRoute"}
    assert set(routes) == set(SERVICES) | {PORTAL}  # the portal's: test_the_web_portal_...
    hostnames = [h for route in routes.values() for h in route["spec"]["hostnames"]]
    assert len(hostnames) == len(set(hostnames))  # a host name each
    for service, route in routes.items():
        assert route["apiVersion"] == "gateway.networking.k8s.io/v1"
        spec = route["spec"]
        assert spec["parentRefs"] and all(
            r["kind"] == "Gateway" and r["name"] for r in spec["parentRefs"]
        )
        assert len(spec["hostnames"]) == 1
        matches = [m for rule in spec["rules"] for m in rule["matches"]]
        for rule in spec["rules"]:
            assert rule["backendRefs"] == [
                {"group": "", "kind": "Service", "name": service, "port": 80, "weight": 1}
            ]
        for internal in ("/metrics", "/health/live", "/health/ready"):
            assert not _route_covers(matches, internal), (service, internal)
        assert docs[("Service", service)]["spec"]["ports"][0]["port"] == 80
        if service == PORTAL:
            continue
        paths = _api_paths(service)
        assert paths
        for path in paths:
            concrete = re.sub(r"<[^>]+>", "x", path)
            assert _route_covers(matches, concrete), (service, path)


def _images(docs: list[dict]) -> list[tuple[str, str]]:
    found = []
    for doc in docs:
        kind = doc["kind"]
        if kind in ("Deployment", "Job", "CronJob"):
            pod = _pod_spec(doc)
            found += [
                (doc["metadata"]["name"], c["image"])
                for c in pod["containers"] + pod.get("initContainers", [])
            ]
        elif kind == "Pooler":
            found += [
                (doc["metadata"]["name"], c["image"])
                for c in doc["spec"]["template"]["spec"]["containers"]
            ]
        elif kind == "RabbitmqCluster":
            found.append((doc["metadata"]["name"], doc["spec"]["image"]))
        elif kind == "Cluster":
            found.append((doc["metadata"]["name"], doc["spec"]["imageName"]))
    return found


@needs_kubectl
def test_production_pins_every_image_by_digest():
    images = _images(_production())
    assert {name for name, _ in images} >= {
        "cae-rabbitmq",
        "cae-pg",
        "cae-pg-pooler-payroll",
        "members",
    }
    overlay = yaml.safe_load(
        (DEPLOY / "overlays" / "production" / "kustomization.yaml").read_text()
    )
    [entry] = [e for e in overlay["images"] if e["name"] == "cae-platform"]
    assert entry["digest"].startswith("sha256:")  # the documented place of the release's digest
    for name, image in images:
        assert "@sha256:" in image, (name, image)
        reference, digest = image.split("@sha256:")
        if reference.startswith(entry["newName"]):
            # the release's own image: a real digest, or the documented placeholder
            assert re.fullmatch(r"[0-9a-f]{64}", digest) or digest == entry["digest"].removeprefix(
                "sha256:"
            )
        else:
            assert re.fullmatch(r"[0-9a-f]{64}", digest), (name, image)


# --------------------------------------------------------------------------- web portal


def _portal_max_replicas() -> int:
    return _by_kind_name(_production())[("HorizontalPodAutoscaler", PORTAL)]["spec"]["maxReplicas"]


def _policies_selecting(docs: list[dict], labels: dict, policy_type: str) -> dict[str, dict]:
    return {
        d["metadata"]["name"]: d["spec"]
        for d in docs
        if d["kind"] == "NetworkPolicy"
        and policy_type in d["spec"].get("policyTypes", [])
        and _selects(d["spec"]["podSelector"], labels)
    }


def _ports(rules: list[dict]) -> set[tuple[str, int]]:
    return {(p.get("protocol", "TCP"), p["port"]) for r in rules for p in r.get("ports", [])}


def test_the_portal_is_in_the_base_with_a_deployment_service_and_budget():
    base = yaml.safe_load((DEPLOY / "base" / "kustomization.yaml").read_text())
    assert PORTAL in base["resources"]
    docs = _by_kind_name(_docs(DEPLOY / "base" / PORTAL / "portal.yaml"))
    assert set(docs) == {
        ("ServiceAccount", PORTAL),
        ("Deployment", PORTAL),
        ("Service", PORTAL),
        ("PodDisruptionBudget", PORTAL),
    }  # no migration Job, no prune CronJob: the portal creates its one table itself
    for doc in docs.values():
        assert doc["metadata"]["labels"]["app.kubernetes.io/component"] == PORTAL
    assert docs[("PodDisruptionBudget", PORTAL)]["spec"]["minAvailable"] == 1


@needs_kubectl
def test_the_web_portal_is_deployed_like_the_services():
    rendered = _production()
    docs = _by_kind_name(rendered)
    portal = docs[("Deployment", PORTAL)]
    members = docs[("Deployment", "members")]
    labels = _pod_labels(portal)
    assert labels == {
        "app.kubernetes.io/name": PORTAL,
        "app.kubernetes.io/component": PORTAL,
        "app.kubernetes.io/part-of": "cae",
    }
    assert portal["metadata"]["labels"]["app.kubernetes.io/component"] == PORTAL
    assert _annotations(portal) == {"argocd.argoproj.io/sync-wave": "2"}
    assert "replicas" not in portal["spec"]  # its HPA's
    assert portal["spec"]["strategy"] == members["spec"]["strategy"]
    container, service_container = _container(portal), _container(members)
    # The release's image, `cae run portal` on 8000, probed like the services.
    assert container["image"] == service_container["image"]
    assert container["args"] == ["run", PORTAL]
    _assert_relay_container_serves_http(container)
    for key in (
        "resources",
        "securityContext",
        "lifecycle",
        "livenessProbe",
        "readinessProbe",
        "startupProbe",
        "volumeMounts",
    ):
        assert container[key] == service_container[key], key
    pod, service_pod = _pod_spec(portal), _pod_spec(members)
    for key in (
        "securityContext",
        "automountServiceAccountToken",
        "enableServiceLinks",
        "terminationGracePeriodSeconds",
        "volumes",
    ):
        assert pod[key] == service_pod[key], key
    assert pod["serviceAccountName"] == PORTAL
    assert docs[("ServiceAccount", PORTAL)]["automountServiceAccountToken"] is False
    spread = pod["topologySpreadConstraints"]
    assert {c["topologyKey"] for c in spread} == {
        "topology.kubernetes.io/zone",
        "kubernetes.io/hostname",
    }
    assert all(c["labelSelector"]["matchLabels"].items() <= labels.items() for c in spread)
    # No /metrics: not announced to Prometheus, not in the services' ServiceMonitor.
    assert not any(
        k.startswith("prometheus.io/")
        for k in portal["spec"]["template"]["metadata"].get("annotations") or {}
    )
    # The five services through their Services' port 80, a pool of 2, its Secret.
    env = _env(container)
    for service in SERVICES:
        assert env[f"CAE_PORTAL_{service.upper()}_URL"]["value"] == f"http://{service}"
        assert docs[("Service", service)]["spec"]["ports"][0]["port"] == 80
    assert env["CAE_PORTAL_SESSION_POOL_SIZE"]["value"] == "2"
    assert {next(iter(ref.values()))["name"] for ref in container["envFrom"]} == {
        next(n for (k, n) in docs if k == "ConfigMap" and n.startswith("cae-config")),
        "portal-secrets",
    }
    # Not a service: no token verification key, no relay switch, no ballot key.
    for variable in ("CAE_JWT_PUBLIC_KEY", "CAE_RELAY_IN_PROCESS", BALLOT_KEY[0]):
        assert variable not in env, variable
    config = next(
        d for (k, n), d in docs.items() if k == "ConfigMap" and n.startswith("cae-config")
    )
    assert config["data"]["CAE_ENV"] == "production"  # OpenID Connect only, Secure cookie
    # Its Service and budget select it, and only it; the services' select only themselves.
    service = docs[("Service", PORTAL)]["spec"]
    assert service["ports"] == [
        {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}
    ]
    assert _selects({"matchLabels": service["selector"]}, labels)
    assert _selects(docs[("PodDisruptionBudget", PORTAL)]["spec"]["selector"], labels)
    for name in SERVICES:
        service_labels = _pod_labels(docs[("Deployment", name)])
        assert not _selects({"matchLabels": service["selector"]}, service_labels)
        assert not _selects({"matchLabels": docs[("Service", name)]["spec"]["selector"]}, labels)
    assert not _selects(docs[("ServiceMonitor", "cae-services")]["spec"]["selector"], labels)

    # Network: the Gateway's data plane reaches it on 8000, and nothing else does.
    ingress = _policies_selecting(rendered, labels, "Ingress")
    assert set(ingress) == {"default-deny-ingress", "cae-allow-http-from-gateway"}
    [rule] = ingress["cae-allow-http-from-gateway"]["ingress"]
    assert rule["from"] == [
        {"namespaceSelector": {"matchLabels": {"cae-platform/http-gateway": "true"}}}
    ]
    assert _ports([rule]) == {("TCP", 8000)}
    # The services accept it on 8000 (and the gateway still reaches them).
    for name in SERVICES:
        service_labels = _pod_labels(docs[("Deployment", name)])
        admitted = _policies_selecting(rendered, service_labels, "Ingress")
        assert "cae-allow-http-from-gateway" in admitted
        from_portal = [
            r
            for p in admitted.values()
            for r in p.get("ingress", [])
            if any("podSelector" in f and _selects(f["podSelector"], labels) for f in r["from"])
        ]
        assert from_portal and _ports(from_portal) == {("TCP", 8000)}, name
    # Nothing else of the namespace admits the portal: not the broker, not a PgBouncer.
    for policy in (d for d in rendered if d["kind"] == "NetworkPolicy"):
        name = policy["metadata"]["name"]
        admits = any(
            "podSelector" in f
            and "namespaceSelector" not in f
            and _selects(f["podSelector"], labels)
            for r in policy["spec"].get("ingress", [])
            for f in r.get("from", [])
        )
        assert admits == (name in ("cae-allow-http-from-portal", "cae-pg-ingress")), name
    # ...the PostgreSQL instances admit it on 5432 (its sessions database).
    pg_rules = [
        r
        for r in docs[("NetworkPolicy", "cae-pg-ingress")]["spec"]["ingress"]
        if any("podSelector" in f and _selects(f["podSelector"], labels) for f in r["from"])
    ]
    assert _ports(pg_rules) == {("TCP", 5432)}
    # Egress: DNS, the services' pods on 8000, PostgreSQL, HTTPS (the OIDC provider).
    egress = _policies_selecting(rendered, labels, "Egress")
    assert set(egress) == {"cae-portal-egress"}
    rules = egress["cae-portal-egress"]["egress"]
    assert _ports(rules) == {("UDP", 53), ("TCP", 53), ("TCP", 8000), ("TCP", 5432), ("TCP", 443)}
    [to_services] = [r for r in rules if ("TCP", 8000) in _ports([r])]
    assert _ports([to_services]) == {("TCP", 8000)}
    [peer] = to_services["to"]
    for name in SERVICES:
        assert _selects(peer["podSelector"], _pod_labels(docs[("Deployment", name)]))
    for name in [f"{s}-relay" for s in SERVICES] + ["payroll-worker", PORTAL]:
        assert not _selects(peer["podSelector"], _pod_labels(docs[("Deployment", name)]))
    # The services' own egress rules are not the portal's (no AMQPS for it).
    assert not _selects(
        docs[("NetworkPolicy", "cae-restrict-egress")]["spec"]["podSelector"], labels
    )

    # Its route: its own host, its Service, not the probes.
    route = docs[("HTTPRoute", PORTAL)]["spec"]
    assert route["hostnames"] == [PORTAL_HOST]
    assert route["parentRefs"] == docs[("HTTPRoute", "members")]["spec"]["parentRefs"]
    matches = [m for rule in route["rules"] for m in rule["matches"]]
    for path in ("/", "/connexion", "/connexion/oidc", "/connexion/retour", "/static/x.css"):
        assert _route_covers(matches, path), path
    for path in ("/health/live", "/health/ready", "/metrics"):
        assert not _route_covers(matches, path), path

    # Its HPA: 2 to 6 in the component, 3 to 6 in production, like the services'.
    hpa = docs[("HorizontalPodAutoscaler", PORTAL)]["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": PORTAL}
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 6)
    assert hpa["metrics"] == docs[("HorizontalPodAutoscaler", "members")]["spec"]["metrics"]
    component = _by_kind_name(_docs(DEPLOY / "components" / "hpa" / "hpa.yaml"))
    assert component[("HorizontalPodAutoscaler", PORTAL)]["spec"]["minReplicas"] == 2

    # Its database: a role and a database of its own in cae-pg, reached directly.
    cluster = docs[("Cluster", "cae-pg")]["spec"]
    role = next(r for r in cluster["managed"]["roles"] if r["name"] == PORTAL)
    assert role["login"] is True and role["ensure"] == "present"
    assert role["passwordSecret"]["name"] == "portal-db-credentials"
    assert role["connectionLimit"] == (6 + PORTAL_ROLLOUT_EXTRA_PODS) * 2
    database = docs[("Database", "cae-pg-portal")]["spec"]
    assert (database["name"], database["owner"], database["cluster"]) == (
        PORTAL,
        PORTAL,
        {"name": "cae-pg"},
    )
    assert database["databaseReclaimPolicy"] == "retain"
    assert ("Pooler", f"cae-pg-pooler-{PORTAL}") not in docs


@needs_kubectl
def test_the_dev_portal_signs_in_with_the_services_secret_and_shares_no_credentials():
    import base64

    docs = _by_kind_name(_dev())
    portal = docs[("Deployment", PORTAL)]
    assert portal["spec"]["replicas"] == 1
    assert docs[("PodDisruptionBudget", PORTAL)]["spec"]["minAvailable"] == 0
    container = _container(portal)
    assert container["image"].endswith(":dev")
    # The demo sign-in mints the tokens with the secret the services verify.
    env = _env(container)
    assert (
        env["CAE_JWT_SECRET"] == _env(_container(docs[("Deployment", "members")]))["CAE_JWT_SECRET"]
    )
    assert [c["name"] for c in _pod_spec(portal)["containers"]] == [PORTAL]
    config = next(
        d for (k, n), d in docs.items() if k == "ConfigMap" and n.startswith("cae-config")
    )
    assert config["data"].get("CAE_ENV", "development") == "development"  # the demo page
    assert ("HTTPRoute", PORTAL) not in docs and ("HorizontalPodAutoscaler", PORTAL) not in docs

    def data(name: str) -> dict[str, str]:
        return {k: base64.b64decode(v).decode() for k, v in docs[("Secret", name)]["data"].items()}

    secrets = data("portal-secrets")
    assert set(secrets) == {"CAE_PORTAL_SESSION_DATABASE_URL"}
    url = secrets["CAE_PORTAL_SESSION_DATABASE_URL"]
    credentials = data("portal-db-credentials")
    assert docs[("Secret", "portal-db-credentials")]["type"] == "kubernetes.io/basic-auth"
    assert url == (
        f"postgresql+psycopg://{credentials['username']}:{credentials['password']}"
        f"@cae-pg-rw:5432/{PORTAL}"
    )
    assert credentials["username"] == PORTAL


def _portal_url_rules() -> list[str]:
    """The URL rules of the portal's Flask app (its blueprints and static files)."""
    pytest.importorskip("cae_portal")
    from cae_portal.adapters.settings import PortalSettings
    from cae_portal.entrypoints.app import create_app

    return sorted({rule.rule for rule in create_app(PortalSettings()).url_map.iter_rules()})


@needs_kubectl
def test_the_portal_route_covers_every_page_of_the_portal_but_its_probes():
    from cae_portal.adapters.settings import SERVICES as PORTAL_CALLS

    assert tuple(PORTAL_CALLS) == SERVICES  # the URLs the Deployment sets
    rules = _portal_url_rules()
    assert "/connexion/retour" in rules  # the OIDC redirect URI of deploy/README.md
    route = _by_kind_name(_production())[("HTTPRoute", PORTAL)]["spec"]
    matches = [m for rule in route["rules"] for m in rule["matches"]]
    probes = [r for r in rules if r.startswith("/health/")]
    assert probes == ["/health/live", "/health/ready"]
    for rule in rules:
        concrete = re.sub(r"<[^>]+>", "x", rule)
        assert _route_covers(matches, concrete) == (rule not in probes), rule
    # No listed prefix is dead: each serves some page of the portal.
    for match in matches:
        assert any(_route_covers([match], re.sub(r"<[^>]+>", "x", rule)) for rule in rules), match[
            "path"
        ]


# --------------------------------------------------------------------------- monitoring


def _readme_anchors() -> set[str]:
    """GitHub's anchors for the headings of deploy/README.md."""
    anchors, fenced = set(), False
    for line in (DEPLOY / "README.md").read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        heading = not fenced and re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading:
            text = re.sub(r"[^\w\- ]", "", heading.group(1).lower())
            anchors.add(text.replace(" ", "-"))
    return anchors


def _alerts(docs: list[dict]) -> list[dict]:
    rule = _by_kind_name(docs)[("PrometheusRule", "cae-alerts")]
    return [r for group in rule["spec"]["groups"] for r in group["rules"] if "alert" in r]


@needs_kubectl
def test_every_alert_has_a_runbook_in_the_readme():
    alerts = _alerts(_production())
    names = {a["alert"] for a in alerts}
    assert len(names) == len(alerts)
    # The kit, the broker, the database and its poolers, KEDA, the targets.
    assert {
        "CaeOutboxBacklogGrowing",
        "CaeEventsDeadLettered",
        "CaeEventsUnroutable",
        "CaePodNotReady",
        "CaeHighHttp5xxRate",
        "CaeHttpLatencyHigh",
        "CaeTargetDown",
        "CaeRabbitmqNodeDown",
        "CaeRabbitmqMemoryAlarm",
        "CaeRabbitmqDiskAlarm",
        "CaeQueueReadyGrowing",
        "CaeQueueUnackedGrowing",
        "CaeQuorumQueueWithoutLeader",
        "CaePostgresInstanceDown",
        "CaePostgresReplicationLag",
        "CaePostgresConnectionsNearMax",
        "CaePgbouncerDown",
        "CaePgbouncerClientsWaiting",
        "CaeKedaScalerErrors",
        "CaeKedaFallbackActive",
        "CaeKedaScaledObjectPaused",
        "CaeJobFailed",
        "CaePruneNotSucceeding",
    } <= names
    base = _docs(DEPLOY / "components" / "monitoring" / "runbook-base.yaml")[0]["data"]["url"]
    anchors = _readme_anchors()
    for alert in alerts:
        url = alert["annotations"]["runbook_url"]
        assert url.startswith(base + "#"), (alert["alert"], url)
        anchor = url.split("#", 1)[1]
        assert anchor == alert["alert"].lower()
        assert anchor in anchors, f"deploy/README.md has no heading for {alert['alert']}"
        assert alert["labels"]["severity"] in ("warning", "critical")
        assert alert["annotations"]["summary"] and alert["annotations"]["description"]


def _kit_metrics() -> set[str]:
    text = (DEPLOY.parent / "libs" / "kit" / "caekit" / "metrics.py").read_text(encoding="utf-8")
    names = set()
    for kind, name in re.findall(r'\b(Counter|Gauge|Histogram)\(\s*"([a-z_]+)"', text):
        if kind == "Counter":
            names |= {f"{name}_total", f"{name}_created"}
        elif kind == "Histogram":
            names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count", f"{name}_created"}
        else:
            names.add(name)
    return names


# What the exporters expose, as read in their sources (see deploy/README.md
# "Monitoring"): rabbitmq_prometheus (rabbitmq-server, deps/rabbitmq_prometheus/src/
# collectors), CloudNativePG's instance and PgBouncer exporters (pkg/management/
# postgres/webserver/metricserver, pkg/management/pgbouncer/metricsserver,
# config/manager/default-monitoring.yaml), KEDA (pkg/metricscollector/prommetrics.go),
# kube-state-metrics, and Prometheus itself.
EXPORTER_METRICS = {
    "up",
    "rabbitmq_identity_info",
    "rabbitmq_alarms_memory_used_watermark",
    "rabbitmq_alarms_free_disk_space_watermark",
    "rabbitmq_alarms_file_descriptor_limit",
    "rabbitmq_process_resident_memory_bytes",
    "rabbitmq_resident_memory_limit_bytes",
    "rabbitmq_disk_space_available_bytes",
    "rabbitmq_disk_space_available_limit_bytes",
    "rabbitmq_connections",
    "rabbitmq_channels",
    "rabbitmq_consumers",
    "rabbitmq_queues",
    "rabbitmq_detailed_queue_messages",
    "rabbitmq_detailed_queue_messages_ready",
    "rabbitmq_detailed_queue_messages_unacked",
    "rabbitmq_detailed_queue_info",
    "rabbitmq_detailed_queue_consumers",
    "cnpg_collector_up",
    "cnpg_backends_total",
    "cnpg_backends_max_tx_duration_seconds",
    "cnpg_pg_settings_setting",
    "cnpg_pg_replication_lag",
    "cnpg_pg_replication_in_recovery",
    "cnpg_pg_replication_is_wal_receiver_up",
    "cnpg_pg_replication_streaming_replicas",
    "cnpg_pgbouncer_up",
    "cnpg_pgbouncer_pools_cl_active",
    "cnpg_pgbouncer_pools_cl_waiting",
    "cnpg_pgbouncer_pools_sv_active",
    "cnpg_pgbouncer_pools_sv_idle",
    "cnpg_pgbouncer_pools_maxwait",
    "keda_scaler_detail_errors_total",
    "keda_scaled_object_errors_total",
    "keda_scaled_object_paused",
    "keda_scaler_metrics_value",
    "keda_scaler_active",
    "kube_pod_status_ready",
    "kube_pod_status_phase",
    "kube_statefulset_replicas",
    "kube_statefulset_status_replicas_ready",
    "kube_deployment_status_replicas",
    "kube_deployment_status_replicas_available",
    "kube_job_failed",
    "kube_cronjob_status_last_successful_time",
}

PROMQL_WORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "inf",
    "nan",
    # aggregation operators, which may be followed by `by (...)` before their "("
    "sum",
    "avg",
    "min",
    "max",
    "count",
    "topk",
    "bottomk",
    "quantile",
    "stddev",
    "stdvar",
    "count_values",
    "group",
    "limitk",
    "limit_ratio",
}


def _metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression (functions, keywords, labels, strings dropped)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # ranges, subqueries
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", r"\1", expr)
    names = set()
    for match in re.finditer(r"(?<![\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\s*\()?", expr):
        word, call = match.group(1), match.group(2)
        if call or word.lower() in PROMQL_WORDS:
            continue
        names.add(word)
    return names


@needs_kubectl
def test_the_dashboard_ships_and_uses_only_exposed_metrics():
    docs = _by_kind_name(_production())
    config_map = docs[("ConfigMap", "cae-grafana-dashboard")]
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    [(filename, text)] = config_map["data"].items()
    assert filename.endswith(".json")
    dashboard = json.loads(text)
    assert dashboard == json.loads(
        (DEPLOY / "components" / "monitoring" / "dashboards" / "cae-platform.json").read_text()
    )
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert len(exprs) >= 15
    known = _kit_metrics() | EXPORTER_METRICS
    used = set()
    for expr in exprs:
        names = _metric_names(expr)
        assert names, expr
        assert names <= known, (names - known, expr)
        used |= names
    # What the dashboard is for: requests, errors, latency, outbox, events, payroll
    # queue and replicas, broker and database health.
    assert {
        "cae_http_requests_total",
        "cae_entrypoint_duration_seconds_bucket",
        "cae_outbox_backlog",
        "cae_events_published_total",
        "cae_events_consumed_total",
        "cae_events_dead_lettered_total",
        "rabbitmq_detailed_queue_messages_ready",
        "kube_deployment_status_replicas",
        "rabbitmq_alarms_memory_used_watermark",
        "cnpg_collector_up",
        "cnpg_pgbouncer_pools_cl_waiting",
    } <= used
    # The alerts speak of the same metrics only.
    for alert in _alerts(_production()):
        names = _metric_names(alert["expr"])
        assert names and names <= known, (alert["alert"], names - known)


def test_metric_name_extraction():
    assert _metric_names(
        'histogram_quantile(0.95, sum by (service, le) (rate(a_bucket{x="b{c}"}[5m]) '
        "and on (pod) (rate(b_total[1m]) > 0))) / ignoring (le) c"
    ) == {"a_bucket", "b_total", "c"}
    assert _metric_names("time() - max by (cronjob) (d) > 2 * 86400") == {"d"}


@needs_kubectl
def test_the_pods_that_verify_tokens_may_read_the_providers_keys_over_https():
    for docs in (_production(), _dev()):
        by_name = _by_kind_name(docs)
        policy = by_name[("NetworkPolicy", "cae-allow-jwks-egress")]["spec"]
        assert policy["policyTypes"] == ["Egress"]
        assert [p for r in policy["egress"] for p in r["ports"]] == [
            {"protocol": "TCP", "port": 443}]
        [components] = [e["values"] for e in policy["podSelector"]["matchExpressions"]
                        if e["key"] == "app.kubernetes.io/component"]
        assert set(components) == {"service", "worker"}  # not relays, Jobs or the portal
