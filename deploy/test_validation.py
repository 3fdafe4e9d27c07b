"""The rendered manifests against the Kubernetes schemas, the CRD schemas and checkov.

    cd /work/main && .venv/bin/python -m pytest deploy/test_validation.py -q -p no:nameko

One test per target (overlay, base, base + one component) and Kubernetes version
for the built-in resources, one per target for the custom resources, one per
overlay for checkov (see deploy/validate.py). The rendering tests are skipped
without kubectl; checkov missing is a failure (`bash scripts/bootstrap.sh`
installs it). The tests at the end feed deliberately broken resources to the
same functions, so that the validation cannot pass by validating nothing.
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import json
import re
import shutil
import sys
from pathlib import Path

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parent


def _load_validate():
    spec = importlib.util.spec_from_file_location("cae_deploy_validate", DEPLOY / "validate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


validate = _load_validate()

VERSIONS = validate.kubernetes_versions()
TARGETS = validate.targets()
OVERLAYS = validate.overlays()
needs_kubectl = pytest.mark.skipif(
    shutil.which("kubectl") is None,
    reason="kubectl is not installed, so the manifests cannot be rendered",
)


def _docs(target: str) -> list:
    try:
        return validate.documents(validate.render(target))
    except validate.ValidationSetupError as exc:
        pytest.fail(str(exc))


@functools.cache
def _checkov(overlay: str):
    return validate.run_checkov(overlay, validate.render(overlay))


def _checkov_or_fail(overlay: str):
    try:
        return _checkov(overlay)
    except validate.ValidationSetupError as exc:
        pytest.fail(str(exc))


# --------------------------------------------------------------------------- rendered


def test_every_kubernetes_version_from_1_30_is_covered():
    assert VERSIONS[0] == "1.30"
    assert {f"1.{minor}" for minor in range(30, 38)} <= set(VERSIONS)
    assert VERSIONS == sorted(VERSIONS, key=lambda v: tuple(map(int, v.split("."))))


def test_targets_are_the_overlays_the_base_and_each_component():
    assert {"overlays/dev", "overlays/production", "base"} <= set(TARGETS)
    components = {p.name for p in (DEPLOY / "components").iterdir() if p.is_dir()}
    assert {t.removeprefix("components/") for t in TARGETS if t.startswith("components/")} == (
        components
    )


@needs_kubectl
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("target", TARGETS)
def test_builtin_resources_validate_strictly(target, version):
    docs = _docs(target)
    assert any(validate.classify(d) == "builtin" for d in docs)
    problems = validate.builtin_problems(docs, version)
    assert not problems, f"{target}, Kubernetes {version}:\n" + "\n".join(problems)


@needs_kubectl
@pytest.mark.parametrize("target", TARGETS)
def test_custom_resources_match_their_crd_schemas(target):
    problems = validate.custom_problems(_docs(target))
    assert not problems, f"{target}:\n" + "\n".join(problems)


@needs_kubectl
def test_the_overlays_contain_custom_resources_to_check():
    """The production overlay uses every operator: its custom resources are checked."""
    docs = _docs("overlays/production")
    custom = {d["apiVersion"].split("/")[0] for d in docs if validate.classify(d) == "custom"}
    assert {"keda.sh", "rabbitmq.com", "postgresql.cnpg.io", "monitoring.coreos.com"} <= custom


@needs_kubectl
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_checkov_fails_no_check_outside_the_exceptions(overlay):
    report = _checkov_or_fail(overlay)
    # checkov saw the resources (a scan of nothing passes too)
    assert report.resource_count >= len(_docs(overlay)) // 2, report
    assert report.passed > 0
    problems = validate.checkov_problems(overlay, report, validate.load_checkov_exceptions())
    assert not problems, f"{overlay}:\n" + "\n".join(problems)


@needs_kubectl
def test_every_checkov_exception_is_still_needed():
    results = {overlay: _checkov_or_fail(overlay).failures for overlay in OVERLAYS}
    unused = validate.unused_exceptions(results, validate.load_checkov_exceptions())
    assert not unused, "deploy/checkov-exceptions.md rows matching no failure: " + ", ".join(
        f"{e.check_id} {e.patterns}" for e in unused
    )


@needs_kubectl
def test_the_command_line_reports_and_exits_zero_when_all_is_well(capsys):
    assert validate.main(["base", "--kubernetes", VERSIONS[0], "--no-checkov"]) == 0
    out = capsys.readouterr().out
    assert "base: " in out and "validate: OK" in out


def test_the_command_line_refuses_an_unknown_target():
    with pytest.raises(SystemExit) as exit_info:
        validate.main(["overlays/nowhere"])
    assert exit_info.value.code == 2


def test_checkov_is_installed():
    assert validate.checkov_installed(), (
        f"checkov is missing ({validate.CHECKOV}): run `bash scripts/bootstrap.sh`"
    )


# --------------------------------------------------------------------------- configuration


def test_checkov_runs_offline_with_every_check():
    config = yaml.safe_load(validate.CHECKOV_CONFIG.read_text())
    assert config["framework"] == ["kubernetes"]
    assert config["output"] == ["json"]
    assert config["skip-download"] is True
    # Exceptions live in checkov-exceptions.md, scoped to resources, not here.
    assert "skip-check" not in config and "soft-fail" not in config
    assert validate.CHECKOV_ENV["BC_SKIP_MAPPING"] == "TRUE"
    assert validate.CHECKOV_ENV["CKV_SKIP_PACKAGE_UPDATE_CHECK"] == "TRUE"
    assert "BC_API_KEY" in validate.CHECKOV_ENV_DROP


def test_checkov_exceptions_have_resources_and_reasons():
    exceptions = validate.load_checkov_exceptions()
    assert exceptions
    overlays = {o.removeprefix("overlays/") for o in OVERLAYS} | {"*"}
    for exception in exceptions:
        assert re.fullmatch(r"CKV2?_K8S_\d+", exception.check_id), exception
        for pattern in exception.patterns:
            overlay, _, resource = pattern.partition(":")
            resource, _, image = resource.partition(" image=")
            assert overlay in overlays, pattern
            assert resource.count(".") >= 2, f"{pattern}: Kind.namespace.name"
            assert " " not in resource.strip() and " " not in image.strip(), pattern
        assert len(exception.reason) >= 80, f"{exception.check_id}: write the reason"


def test_a_checkov_failure_not_listed_is_reported():
    exceptions = [
        validate.CheckovException("CKV_K8S_43", ("dev:Deployment.cae.*",), "local image " * 5)
    ]
    listed = validate.CheckovFailure("CKV_K8S_43", "digest", "Deployment.cae.members")
    other_check = validate.CheckovFailure("CKV_K8S_20", "privileged", "Deployment.cae.members")
    other_resource = validate.CheckovFailure("CKV_K8S_43", "digest", "Deployment.monitoring.x")
    failures = [listed, other_check, other_resource]
    assert validate.unexcepted("overlays/dev", failures, exceptions) == [
        other_check,
        other_resource,
    ]
    # Scoped to dev: the same failure in production is not excepted.
    assert listed in validate.unexcepted("overlays/production", failures, exceptions)
    assert validate.unused_exceptions({"overlays/production": failures}, exceptions) == exceptions


def test_a_checkov_exception_scoped_to_an_image_covers_that_image_only():
    exceptions = [
        validate.CheckovException(
            "CKV_K8S_43", ("*:Deployment.cae.* image=*/cae-platform:*",), "release digest " * 5
        )
    ]
    ours = validate.CheckovFailure(
        "CKV_K8S_43", "digest", "Deployment.cae.members", ("registry.example.org/cae-platform:1",)
    )
    sidecar = validate.CheckovFailure(
        "CKV_K8S_43",
        "digest",
        "Deployment.cae.members",
        ("registry.example.org/cae-platform:1", "docker.io/envoyproxy/envoy:v1"),
    )
    unknown = validate.CheckovFailure("CKV_K8S_43", "digest", "Deployment.cae.members")
    assert validate.unexcepted("overlays/production", [ours, sidecar, unknown], exceptions) == [
        sidecar,
        unknown,
    ]
    docs = [
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "prune", "namespace": "cae"},
            "spec": {
                "jobTemplate": {
                    "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x:1"}]}}}
                }
            },
        }
    ]
    assert validate.resource_images(docs) == {"CronJob.cae.prune": ("x:1",)}


# --------------------------------------------------------------------------- shipped schemas


def test_shipped_crd_schemas_are_complete_and_documented():
    index = validate.schema_index()
    readme = (validate.SCHEMAS / "README.md").read_text()
    for project, source in index["projects"].items():
        assert (validate.SCHEMAS / project / "LICENSE").is_file(), project
        for value in (project, source["tag"], source["commit"], source["date"], source["license"]):
            assert value in readme, f"deploy/schemas/README.md does not say {value!r}"
    for key, entry in index["schemas"].items():
        schema = json.loads((validate.SCHEMAS / entry["file"]).read_text())
        assert schema.get("type") == "object", key
        assert entry["project"] in index["projects"], key
    required = {
        "keda.sh/v1alpha1": {"ScaledObject", "ScaledJob", "TriggerAuthentication"},
        "rabbitmq.com/v1beta1": {
            "RabbitmqCluster",
            "Vhost",
            "User",
            "Permission",
            "Policy",
            "Queue",
            "Exchange",
            "Binding",
        },
        "postgresql.cnpg.io/v1": {"Cluster", "Database", "Pooler", "ScheduledBackup"},
        "monitoring.coreos.com/v1": {"ServiceMonitor", "PodMonitor", "PrometheusRule"},
        "gateway.networking.k8s.io/v1": {"HTTPRoute", "Gateway", "ReferenceGrant"},
        "cert-manager.io/v1": {"Certificate", "Issuer"},
    }
    for api_version, kinds in required.items():
        for kind in kinds:
            assert f"{api_version}/{kind}" in index["schemas"], f"{api_version} {kind}"


# --------------------------------------------------------------------------- broken on purpose


DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "cae", "labels": {"app": "web"}},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {
                        "name": "web",
                        "image": "cae-platform:dev",
                        "ports": [{"name": "http", "containerPort": 8000}],
                        "resources": {"limits": {"cpu": "1", "memory": "512Mi"}},
                    }
                ]
            },
        },
    },
}

SCALED_OBJECT = {
    "apiVersion": "keda.sh/v1alpha1",
    "kind": "ScaledObject",
    "metadata": {"name": "payroll", "namespace": "cae"},
    "spec": {
        "scaleTargetRef": {"name": "payroll"},
        "minReplicaCount": 2,
        "maxReplicaCount": 10,
        "fallback": {"failureThreshold": 3, "replicas": 4},
        "triggers": [
            {
                "type": "rabbitmq",
                "metadata": {"queueName": "q", "mode": "QueueLength", "value": "20"},
                "authenticationRef": {"name": "payroll-keda-rabbitmq"},
            }
        ],
    },
}

RABBITMQ_CLUSTER = {
    "apiVersion": "rabbitmq.com/v1beta1",
    "kind": "RabbitmqCluster",
    "metadata": {"name": "cae-rabbitmq", "namespace": "cae"},
    "spec": {
        "replicas": 3,
        "persistence": {"storage": "20Gi"},
        "rabbitmq": {"additionalConfig": "cluster_partition_handling = pause_minority\n"},
    },
}


def _with(doc: dict, path: str, value) -> dict:
    """A copy of doc with value set at a dotted path (list indexes as numbers)."""
    doc = copy.deepcopy(doc)
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    node = doc
    for part in parents:
        node = node[part]
    node[last] = value
    return doc


def test_the_valid_examples_pass():
    for version in VERSIONS:
        assert validate.builtin_problems([DEPLOYMENT], version) == []
    assert validate.custom_problems([SCALED_OBJECT, RABBITMQ_CLUSTER]) == []


@pytest.mark.parametrize("version", VERSIONS)
def test_a_deployment_with_an_unknown_field_is_refused(version):
    broken = _with(DEPLOYMENT, "spec.template.spec.containers.0.imagePullPolicyy", "Always")
    problems = validate.builtin_problems([broken], version)
    assert len(problems) == 1, problems
    assert "spec.template.spec.containers[0]" in problems[0]
    assert "'imagePullPolicyy' was unexpected" in problems[0]
    assert f"[{version}]" in problems[0]


def test_a_deployment_with_a_wrong_type_or_an_unknown_top_level_field_is_refused():
    assert validate.builtin_problems([_with(DEPLOYMENT, "spec.replicas", "two")], "1.30")
    assert validate.builtin_problems([_with(DEPLOYMENT, "spex", {})], "1.37")
    assert validate.builtin_problems([_with(DEPLOYMENT, "metadata.label", {})], "1.37")


def test_validation_matches_kubernetes_validate_itself():
    import kubernetes_validate

    broken = _with(DEPLOYMENT, "spec.template.spec.containers.0.imagePullPolicyy", "Always")
    for version in (VERSIONS[0], VERSIONS[-1]):
        kubernetes_validate.validate(copy.deepcopy(DEPLOYMENT), version, strict=True)
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(broken, version, strict=True)


def test_a_scaledobject_with_an_unknown_field_is_refused():
    broken = _with(SCALED_OBJECT, "spec.minReplicas", 2)  # the field is minReplicaCount
    problems = validate.custom_problems([broken])
    assert len(problems) == 1, problems
    assert "ScaledObject cae/payroll" in problems[0]
    assert "'minReplicas' was unexpected" in problems[0]
    deep = _with(SCALED_OBJECT, "spec.triggers.0.authenticationRef.namespace", "cae")
    assert "'namespace' was unexpected" in " ".join(validate.custom_problems([deep]))
    # trigger metadata values are strings
    wrong = _with(SCALED_OBJECT, "spec.triggers.0.metadata.value", 20)
    assert "spec.triggers[0].metadata.value" in " ".join(validate.custom_problems([wrong]))


def test_a_rabbitmqcluster_with_a_wrong_type_is_refused():
    broken = _with(RABBITMQ_CLUSTER, "spec.replicas", "three")
    problems = validate.custom_problems([broken])
    assert len(problems) == 1, problems
    assert "spec.replicas: 'three' is not of type 'integer'" in problems[0]


def test_custom_resource_metadata_is_checked_like_any_object():
    problems = validate.custom_problems([_with(SCALED_OBJECT, "metadata.label", {"a": "b"})])
    assert "'label' was unexpected" in " ".join(problems)
    wrong_kind = _with(SCALED_OBJECT, "apiVersion", "keda.sh/v1")
    assert "no shipped CRD schema serves ScaledObject in keda.sh/v1" in " ".join(
        validate.custom_problems([wrong_kind])
    )


def test_a_custom_resource_without_a_shipped_schema_is_refused():
    unknown = {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": "members-secrets", "namespace": "cae"},
        "spec": {},
    }
    assert validate.classify(unknown) == "custom"
    problems = validate.custom_problems([unknown])
    assert len(problems) == 1 and "no" in problems[0] and "deploy/schemas" in problems[0]
    # and it is not silently taken for a built-in either
    assert validate.builtin_problems([unknown], VERSIONS[0]) == []


def test_preserved_unknown_fields_are_accepted():
    policy = {
        "apiVersion": "rabbitmq.com/v1beta1",
        "kind": "Policy",
        "metadata": {"name": "p", "namespace": "cae"},
        "spec": {
            "name": "p",
            "pattern": ".*",
            "definition": {"delivery-limit": 20, "anything": {"goes": True}},
            "rabbitmqClusterReference": {"name": "cae-rabbitmq"},
        },
    }
    assert validate.custom_problems([policy]) == []
    assert validate.custom_problems([_with(policy, "spec.rabbitmqClusterReference.x", 1)])


def test_structural_schema_rules():
    convert = validate.structural_to_jsonschema
    schema = {
        "type": "object",
        "properties": {
            "port": {"x-kubernetes-int-or-string": True},
            "note": {"type": "string", "nullable": True},
            "tags": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
            "ports": {
                "type": "array",
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["name"],
                "items": {"type": "object", "properties": {"name": {"type": "string"}}},
            },
            "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "either": {
                "type": "object",
                "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
                "oneOf": [{"required": ["a"]}, {"required": ["b"]}],
            },
        },
    }
    validator = validate.CrdValidator(convert(schema))

    def ok(instance):
        return not list(validator.iter_errors(instance))

    assert ok({"port": 80}) and ok({"port": "http"}) and not ok({"port": 1.5})
    assert ok({"note": None}) and not ok({"tags": None})
    assert ok({"tags": ["a", "b"]}) and not ok({"tags": ["a", "a"]})
    assert ok({"ports": [{"name": "a"}, {"name": "b"}]})
    assert not ok({"ports": [{"name": "a"}, {"name": "a"}]})
    assert not ok({"ports": [{"name": "a", "port": 1}]})
    assert ok({"free": {"x": {"y": 1}}}) and not ok({"unknown": 1})
    assert ok({"either": {"a": "x"}}) and not ok({"either": {"a": "x", "b": "y"}})
    assert not ok({"either": {"c": "x"}})
