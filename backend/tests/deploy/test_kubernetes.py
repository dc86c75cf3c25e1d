"""deploy/k8s: the production overlay, rendered, validated with `kubernetes-validate --strict`,
and held to what production needs (issue 15)."""

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.core import observability
from app.core.config import PRODUCTION_SECRETS
from tests.deploy.conftest import DEPLOY, run_tool

OVERLAY = DEPLOY / "k8s" / "overlays" / "production"
CLUSTER_SCOPED = {"Namespace"}
# Custom resources: kubernetes-validate has no schema for them (checked below by hand).
CUSTOM_KINDS = {"PodMonitor", "PrometheusRule", "ManagedCertificate"}
SUPPORTED = {"apiVersion", "kind", "namespace", "resources", "images", "nameSuffix", "namePrefix"}


def render(folder: Path) -> list[dict[str, Any]]:
    """A kustomize renderer for the subset deploy/k8s uses (no kustomize package for Python
    renders overlays): resources (files and folders), namespace, name prefix/suffix, images.
    Anything else fails, so a new feature cannot be silently ignored; where kubectl exists,
    test_renderer_matches_kubectl compares the two."""
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    unsupported = set(kustomization) - SUPPORTED
    assert not unsupported, f"{folder}: the test's renderer does not support {unsupported}"
    documents: list[dict[str, Any]] = []
    for entry in kustomization.get("resources", []):
        path = (folder / entry).resolve()
        if path.is_dir():
            documents.extend(render(path))
        else:
            documents.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    for doc in documents:
        meta = doc["metadata"]
        if "namespace" in kustomization and doc["kind"] not in CLUSTER_SCOPED:
            meta["namespace"] = kustomization["namespace"]
        meta["name"] = (
            kustomization.get("namePrefix", "") + meta["name"] + kustomization.get("nameSuffix", "")
        )
        for container in containers(doc):
            for image in kustomization.get("images", []):
                name, _, tag = container["image"].partition(":")
                if name == image["name"]:
                    container["image"] = (
                        f"{image.get('newName', name)}:{image.get('newTag', tag or 'latest')}"
                    )
    return documents


def pod_spec(doc: dict[str, Any]) -> dict[str, Any] | None:
    spec = doc.get("spec", {})
    template = spec.get("template") or spec.get("jobTemplate", {}).get("spec", {}).get("template")
    return template["spec"] if template else None


def containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(doc)
    if spec is None:
        return []
    return [*spec.get("initContainers", []), *spec["containers"]]


@pytest.fixture(scope="module")
def documents() -> list[dict[str, Any]]:
    return render(OVERLAY)


def by_kind(documents: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in documents if doc["kind"] == kind}


def test_every_manifest_validates_strictly(documents: list[dict[str, Any]], tmp_path: Path) -> None:
    rendered = tmp_path / "production.yaml"
    rendered.write_text(yaml.safe_dump_all(documents, sort_keys=False))
    result = run_tool("kubernetes-validate", "--strict", str(rendered))
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "ERROR" not in output
    unvalidated = set(re.findall(r"Couldn't find schema for kind (\w+)", output))
    assert unvalidated <= CUSTOM_KINDS, unvalidated
    passed = re.findall(r"passed for resource (\S+)", output)
    expected = sum(1 for doc in documents if doc["kind"] not in CUSTOM_KINDS)
    assert len(passed) == expected


def test_renderer_matches_kubectl(documents: list[dict[str, Any]]) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    output = subprocess.run(
        [kubectl, "kustomize", str(OVERLAY)], capture_output=True, text=True, check=True
    ).stdout

    def key(doc: dict[str, Any]) -> str:
        return f"{doc['kind']}/{doc['metadata']['name']}"

    theirs = {key(doc): doc for doc in yaml.safe_load_all(output) if doc}
    assert theirs == {key(doc): doc for doc in documents}


def test_images_are_tagged_never_latest(documents: list[dict[str, Any]]) -> None:
    images = [c["image"] for doc in documents for c in containers(doc)]
    assert images
    for image in images:
        name, _, tag = image.rpartition(":")
        assert name, f"{image} has no tag"
        assert "/" not in tag
        assert tag != "latest"
    overlay = yaml.safe_load((OVERLAY / "kustomization.yaml").read_text())
    assert {image["newTag"] for image in overlay["images"]} == {images[0].rpartition(":")[2]}


def test_every_pod_is_locked_down(documents: list[dict[str, Any]]) -> None:
    pods = [doc for doc in documents if pod_spec(doc) is not None]
    assert {doc["kind"] for doc in pods} == {"Deployment", "Job"}
    for doc in pods:
        spec = pod_spec(doc)
        assert spec is not None
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] >= 10000
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert spec["automountServiceAccountToken"] is False
        volumes = {volume["name"]: volume for volume in spec.get("volumes", [])}
        for container in containers(doc):
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, doc["metadata"]["name"]
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
            assert "resources" in container
            # Writes go only to emptyDir volumes (here /tmp).
            for mount in container.get("volumeMounts", []):
                assert "emptyDir" in volumes[mount["name"]]


def test_probes(documents: list[dict[str, Any]]) -> None:
    deployments = by_kind(documents, "Deployment")
    api = deployments["api"]["spec"]["template"]["spec"]["containers"][0]
    assert api["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert api["livenessProbe"]["httpGet"]["path"] == "/health"
    worker = deployments["worker"]["spec"]["template"]["spec"]["containers"][0]
    assert worker["livenessProbe"]["exec"]["command"] == ["vaultra", "worker", "--check"]


def test_migration_job_is_named_per_release_expires_and_ingests(
    documents: list[dict[str, Any]],
) -> None:
    (name, job), *others = by_kind(documents, "Job").items()
    assert not others
    tag = containers(job)[0]["image"].rpartition(":")[2]
    assert name == "migrate-" + tag.replace(".", "-")
    assert 0 < job["spec"]["ttlSecondsAfterFinished"] <= 7 * 86400
    command = " ".join(containers(job)[0]["command"])
    assert "vaultra db upgrade" in command
    assert "vaultra kb ingest" in command


def test_api_disruption_budget_and_network_policies(documents: list[dict[str, Any]]) -> None:
    api_labels = by_kind(documents, "Deployment")["api"]["spec"]["selector"]["matchLabels"]
    (budget,) = by_kind(documents, "PodDisruptionBudget").values()
    assert budget["spec"]["selector"]["matchLabels"] == api_labels
    assert budget["spec"]["minAvailable"] == 1
    policies = by_kind(documents, "NetworkPolicy")
    assert policies["default-deny-ingress"]["spec"]["podSelector"] == {}
    to_api = policies["api-from-load-balancer"]["spec"]
    assert to_api["podSelector"]["matchLabels"] == api_labels
    sources = [peer for rule in to_api["ingress"] for peer in rule["from"]]
    assert sources
    assert all(set(peer) == {"ipBlock"} for peer in sources)
    forwarded = next(
        env["value"]
        for env in containers(by_kind(documents, "Deployment")["api"])[0]["env"]
        if env["name"] == "FORWARDED_ALLOW_IPS"
    )
    # The addresses trusted with X-Forwarded-For are the load balancer's, the same ranges.
    assert {peer["ipBlock"]["cidr"] for peer in sources} <= set(forwarded.split(","))
    app_pods = {"app.kubernetes.io/name": "vaultra"}
    for name in ("database-from-app", "redis-from-app"):
        (rule,) = policies[name]["spec"]["ingress"]
        assert rule["from"] == [{"podSelector": {"matchLabels": app_pods}}]


def test_metrics_port_is_scraped_but_never_routed(documents: list[dict[str, Any]]) -> None:
    (service,) = by_kind(documents, "Service").values()
    assert [port["targetPort"] for port in service["spec"]["ports"]] == ["http"]
    for deployment in by_kind(documents, "Deployment").values():
        (container,) = containers(deployment)
        assert {"name": "metrics", "containerPort": 9100} in container["ports"]
        assert {"name": "METRICS_PORT", "value": "9100"} in container["env"]
    (monitor,) = by_kind(documents, "PodMonitor").values()
    assert [e["port"] for e in monitor["spec"]["podMetricsEndpoints"]] == ["metrics"]


def test_alert_rules_use_metrics_the_app_exports(documents: list[dict[str, Any]]) -> None:
    (rule,) = by_kind(documents, "PrometheusRule").values()
    alerts = {r["alert"]: r for group in rule["spec"]["groups"] for r in group["rules"]}
    for wanted in ("VaultraApiErrorRate", "VaultraJobFailures", "VaultraWebhookLag"):
        assert wanted in alerts
    assert "vaultra_sync_stale_businesses" in alerts["VaultraSyncStale"]["expr"]
    exported = set()
    for metric in vars(observability).values():
        name = getattr(metric, "_name", None)
        kind = getattr(metric, "_type", None)
        if name and kind:
            exported |= {name, f"{name}_total", f"{name}_count", f"{name}_bucket", f"{name}_sum"}
    for alert in alerts.values():
        used = set(re.findall(r"\bvaultra_\w+", alert["expr"]))
        assert used <= exported, (alert["alert"], used - exported)


def test_the_secret_template_validates_too() -> None:
    """Kept out of the kustomization (its values are placeholders), but still a valid manifest
    naming every secret production requires."""
    template = DEPLOY / "k8s" / "base" / "secrets.example.yaml"
    result = run_tool("kubernetes-validate", "--strict", str(template))
    assert result.returncode == 0, result.stdout + result.stderr
    keys = set(yaml.safe_load(template.read_text())["stringData"])
    required = {"DATABASE_URL", "REDIS_URL", "JWT_SECRET", "STRIPE_SECRET_KEY"}
    production = {name.upper() for name in PRODUCTION_SECRETS}
    assert required | production <= keys
