"""Every manifest in deploy/k8s parses, and the deployment's invariants hold."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

K8S = Path(__file__).resolve().parent.parent / "deploy" / "k8s"
QUEUES = ["default", "letters", "batches", "emails"]  # the four queues


def _documents() -> list[dict]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return docs


@pytest.fixture(scope="module")
def docs():
    return _documents()


def _one(docs, kind: str, name: str) -> dict:
    [doc] = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    return doc


def _pod(doc: dict) -> dict:
    return doc["spec"]["template"]["spec"]


def _workloads(docs) -> list[dict]:
    return [d for d in docs if d["kind"] in ("Deployment", "Job")]


def test_kustomization_lists_every_manifest():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files
    assert [image["name"] for image in kustomization["images"]] == ["xianyang-portal"]


def test_every_container_uses_the_image_config_and_requests_resources(docs):
    config = _one(docs, "ConfigMap", "portal-config")
    secret = _one(docs, "Secret", "portal-secrets")
    for doc in _workloads(docs):
        pod = _pod(doc)
        assert pod["securityContext"]["runAsNonRoot"] is True, doc["metadata"]["name"]
        for container in pod.get("initContainers", []) + pod["containers"]:
            where = f"{doc['metadata']['name']}/{container['name']}"
            assert container["image"] == "xianyang-portal", where
            refs = {next(iter(ref.values()))["name"] for ref in container["envFrom"]}
            assert refs == {config["metadata"]["name"], secret["metadata"]["name"]}, where
            requests = container["resources"]["requests"]
            assert {"cpu", "memory"} <= set(requests), where


def test_secret_is_a_template_without_real_values(docs):
    secret = _one(docs, "Secret", "portal-secrets")
    for key, value in secret["stringData"].items():
        assert value == "" or "CHANGE-ME" in value, key
    assert "DJANGO_SECRET_KEY" in secret["stringData"]
    # URLs that carry a password (database, Redis) are secrets, never in the ConfigMap.
    config = _one(docs, "ConfigMap", "portal-config")["data"]
    assert not any("://" in value and "@" in value for value in config.values())
    for name in ("CELERY_BROKER_URL", "CACHE_URL"):
        assert name not in config and secret["stringData"][name].startswith("redis://:CHANGE-ME@")


def test_web_has_separate_probes_and_an_autoscaler(docs):
    web = _one(docs, "Deployment", "portal-web")
    [container] = _pod(web)["containers"]
    assert container["command"][:3] == ["gunicorn", "-c", "deploy/gunicorn.conf.py"]
    live, ready = container["livenessProbe"]["httpGet"], container["readinessProbe"]["httpGet"]
    assert live["path"] == "/api/v1/health/live/"
    assert ready["path"] == "/api/v1/health/ready/"
    allowed = _one(docs, "ConfigMap", "portal-config")["data"]["DJANGO_ALLOWED_HOSTS"].split(",")
    for probe in (live, ready):
        hosts = [h["value"] for h in probe["httpHeaders"] if h["name"] == "Host"]
        assert hosts and hosts[0] in allowed  # not a 400 DisallowedHost
    service = _one(docs, "Service", "portal-web")
    assert service["spec"]["selector"] == web["spec"]["selector"]["matchLabels"]
    hpa = _one(docs, "HorizontalPodAutoscaler", "portal-web")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "portal-web",
    }
    assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]


def test_one_worker_deployment_per_queue(docs):
    from django.conf import settings

    assert sorted(settings.CELERY_QUEUE_NAMES) == sorted(QUEUES)
    workers = [d for d in docs if d["metadata"]["name"].startswith("portal-worker-")]
    consumed = []
    for worker in workers:
        [container] = _pod(worker)["containers"]
        words = container["command"][-1].split()
        queue = words[words.index("-Q") + 1]
        consumed.append(queue)
        assert worker["metadata"]["name"] == f"portal-worker-{queue}"
        assert f"{queue}@$HOSTNAME" in container["livenessProbe"]["exec"]["command"][-1]
    assert sorted(consumed) == sorted(QUEUES)


def test_exactly_one_beat_recreated_never_autoscaled(docs):
    beat = _one(docs, "Deployment", "portal-beat")
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    assert "beat" in _pod(beat)["containers"][0]["command"]
    beats = [
        d
        for d in _workloads(docs)
        if any("beat" in " ".join(c["command"]) for c in _pod(d)["containers"])
    ]
    assert beats == [beat]
    targets = {
        d["spec"]["scaleTargetRef"]["name"] for d in docs if d["kind"] == "HorizontalPodAutoscaler"
    }
    assert "portal-beat" not in targets


def test_migrations_run_in_a_job_and_the_pods_wait_for_it(docs):
    job = _one(docs, "Job", "portal-migrate")
    pod = _pod(job)
    assert pod["restartPolicy"] in ("Never", "OnFailure")
    assert "migrate --noinput" in pod["containers"][0]["command"][-1]
    for doc in docs:
        if doc["kind"] != "Deployment":
            continue
        commands = [" ".join(c["command"]) for c in _pod(doc)["containers"]]
        assert not any("migrate --noinput" in c for c in commands), doc["metadata"]["name"]
        init = " ".join(" ".join(c["command"]) for c in _pod(doc).get("initContainers", []))
        assert "migrate --check" in init, doc["metadata"]["name"]


def test_config_goes_through_pgbouncer_without_server_side_cursors(docs):
    config = _one(docs, "ConfigMap", "portal-config")["data"]
    secret = _one(docs, "Secret", "portal-secrets")["stringData"]
    assert config["DB_DISABLE_SERVER_SIDE_CURSORS"] == "true"
    assert "@pgbouncer:" in secret["DATABASE_URL"]
    assert config["DJANGO_SETTINGS_MODULE"] == "xianyang_portal.settings.production"
    # The pods see only the ingress controller: the client address comes from its header.
    assert config["TRUSTED_PROXY_HEADER"] == "HTTP_X_FORWARDED_FOR"
