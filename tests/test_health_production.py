"""The health commands of docker-compose.yml and deploy/k8s answer healthy against servers
started here with production settings (gunicorn with deploy/gunicorn.conf.py, a Celery
worker), and unhealthy when what they check is away."""

from __future__ import annotations

import http.client
import json
import os
import shlex
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
HOST = "portal.xianyang.gov.cn"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _production_env(broker: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("S3_", "DJANGO_", "PROMETHEUS_")) and k != "TEST_DB_NAME"
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "xianyang_portal.settings.production",
            "DJANGO_SECRET_KEY": "a-production-secret-" + "x" * 50,
            # Personal-data and audit-chain keys production refuses to start without.
            "FIELD_ENCRYPTION_KEYS": "k2026a:" + "7" * 32,
            "FIELD_HASH_KEY": "8" * 32,
            "AUDIT_CHAIN_KEY": "9" * 32,
            "DJANGO_ALLOWED_HOSTS": HOST,
            # Readiness runs SELECT 1: the server's maintenance database is enough.
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
            "CELERY_BROKER_URL": broker,
            "CELERY_RESULT_BACKEND": broker,
        }
    )
    return env


def _wait_until_serving(port: int, proc: subprocess.Popen) -> None:
    """Like compose's start_period: the master listens before its worker has loaded Django."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited:\n" + proc.stdout.read())
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", "/api/v1/health/live/", headers={"Host": HOST})
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("server did not answer within 90 s")


def _gunicorn(broker: str):
    port = _free_port()
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"),
            *("--bind", f"127.0.0.1:{port}", "--workers", "1", "xianyang_portal.wsgi:application"),
        ],
        cwd=ROOT,
        env=_production_env(broker),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    _wait_until_serving(port, proc)
    return proc, port


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def production_web():
    from django.conf import settings

    proc, port = _gunicorn(settings.CELERY_BROKER_URL)
    yield port
    _stop(proc)


@pytest.fixture(scope="module")
def production_web_broker_down():
    proc, port = _gunicorn(f"redis://127.0.0.1:{_free_port()}/0")
    yield port
    _stop(proc)


def _services() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def _compose_command(service: str, port: int | None = None) -> list[str]:
    """A compose health check as argv, the way Docker runs it ($$ is compose's escaped $)."""
    test = _services()[service]["healthcheck"]["test"]
    kind, *rest = test
    if kind == "CMD-SHELL":
        argv = ["sh", "-c", rest[0].replace("$$", "$")]
    else:
        assert kind == "CMD"
        argv = list(rest)
    if port is not None:
        argv = [arg.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for arg in argv]
    if argv[0] in ("python", "celery"):
        argv[0:1] = [sys.executable] if argv[0] == "python" else [sys.executable, "-m", "celery"]
    if argv[0] == "sh" and argv[2].startswith("celery "):
        argv[2] = f"{shlex.quote(sys.executable)} -m {argv[2]}"
    return argv


def _run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def _get(port: int, path: str, headers: dict[str, str]) -> tuple[int, dict, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()  # never follows a redirect
    body = response.read()
    connection.close()
    payload = json.loads(body) if response.getheader("Content-Type") == "application/json" else {}
    return response.status, dict(response.getheaders()), payload


def _k8s_probes() -> dict[str, dict]:
    docs = yaml.safe_load_all((ROOT / "deploy" / "k8s" / "web.yaml").read_text())
    web = next(d for d in docs if d["kind"] == "Deployment")
    container = web["spec"]["template"]["spec"]["containers"][0]
    return {
        name: container[name]["httpGet"]
        for name in ("livenessProbe", "readinessProbe", "startupProbe")
    }


def test_compose_web_health_command_answers_healthy(production_web):
    env = _production_env("unused")
    result = _run(_compose_command("web", production_web), env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_kubernetes_web_probes_answer_healthy_without_redirect(production_web):
    for name, probe in _k8s_probes().items():
        headers = {h["name"]: h["value"] for h in probe.get("httpHeaders", [])}
        status, _headers, payload = _get(production_web, probe["path"], headers)
        assert status == 200, (name, status)
        assert payload["status"] == "ok", name
    # The same server does redirect ordinary pages to https: the exemption is what helps.
    status, headers, _ = _get(production_web, "/accounts/login/", {"Host": HOST})
    assert status == 301 and headers["Location"].startswith("https://")
    # And an unknown Host is refused, so the probes' Host header matters.
    status, _, _ = _get(production_web, "/api/v1/health/live/", {"Host": "10.1.2.3"})
    assert status == 400


def test_readiness_fails_and_liveness_holds_when_the_broker_is_away(production_web_broker_down):
    probes = _k8s_probes()
    headers = {"Host": HOST}
    status, _, payload = _get(production_web_broker_down, probes["readinessProbe"]["path"], headers)
    assert status == 503 and payload["broker"].startswith("error")
    status, _, _ = _get(production_web_broker_down, probes["livenessProbe"]["path"], headers)
    assert status == 200
    result = _run(_compose_command("web", production_web_broker_down), _production_env("unused"))
    assert result.returncode == 0  # compose's check is liveness: no restart on a Redis blip


def test_compose_web_health_command_fails_when_nothing_answers():
    result = _run(_compose_command("web", _free_port()), _production_env("unused"))
    assert result.returncode != 0


def test_compose_worker_health_command_answers_for_a_production_worker():
    from django.conf import settings

    hostname = f"hc-{uuid.uuid4().hex[:8]}"
    env = {**_production_env(settings.CELERY_BROKER_URL), "HOSTNAME": hostname}
    queue = f"healthcheck-{hostname}"  # consumes nothing anybody else sends
    worker = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "xianyang_portal", "worker", "--pool=solo"),
            *("-Q", queue, "-n", f"letters@{hostname}", "--without-heartbeat", "--without-mingle"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        command = _compose_command("worker-letters")
        deadline = time.monotonic() + 45
        result = _run(command, env)
        while result.returncode != 0 and time.monotonic() < deadline:
            assert worker.poll() is None, worker.stdout.read()
            time.sleep(1)
            result = _run(command, env)
        assert result.returncode == 0, result.stdout + result.stderr
        # Another queue's check on this host does not pass for this worker.
        other = _run(_compose_command("worker-emails"), env)
        assert other.returncode != 0
    finally:
        _stop(worker)


def test_compose_db_health_command_answers_against_the_local_server():
    result = _run(_compose_command("db"), dict(os.environ))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def compose_redis(tmp_path):
    """redis-server started by compose's own command (with its password), on a free port."""
    service = _services()["redis"]
    password = uuid.uuid4().hex
    port = _free_port()
    kind, flag, script = shlex.split(service["command"])
    assert (kind, flag) == ("sh", "-c")
    script = script.replace("$$", "$") + f" --port {port} --dir {tmp_path} --save ''"
    env = {**os.environ, "REDIS_PASSWORD": password}
    proc = subprocess.Popen(
        ["sh", "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    deadline = time.monotonic() + 20
    while True:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read()
        time.sleep(0.1)
    yield port, password
    _stop(proc)


def test_compose_redis_asks_for_its_password_and_its_health_check_gives_it(compose_redis):
    port, password = compose_redis
    argv = [arg.replace("redis-cli", f"redis-cli -p {port}") for arg in _compose_command("redis")]
    # The service's own environment (what compose passes it) makes the check healthy...
    service_env = _services()["redis"]["environment"]
    assert set(service_env) == {"REDIS_PASSWORD", "REDISCLI_AUTH"}
    assert service_env["REDISCLI_AUTH"] == service_env["REDIS_PASSWORD"]
    result = _run(argv, {**os.environ, "REDISCLI_AUTH": password})
    assert result.returncode == 0, result.stdout + result.stderr
    # ...and the server refuses anyone without it.
    without = {k: v for k, v in os.environ.items() if k != "REDISCLI_AUTH"}
    assert _run(argv, without).returncode != 0
    assert _run(argv, {**os.environ, "REDISCLI_AUTH": "wrong"}).returncode != 0
    unauthenticated = _run(["redis-cli", "-p", str(port), "ping"], without)
    assert "NOAUTH" in unauthenticated.stdout + unauthenticated.stderr


def test_production_web_is_ready_with_the_password_in_its_broker_url(compose_redis):
    port, password = compose_redis
    # The compose URL's form, pointed at this server.
    url = _services()["web"]["environment"]["CELERY_BROKER_URL"]
    assert url.startswith("redis://:${REDIS_PASSWORD:?") and url.endswith("@redis:6379/0")
    readiness = _k8s_probes()["readinessProbe"]["path"]
    for secret, expected in ((password, 200), ("wrong", 503)):
        proc, web_port = _gunicorn(f"redis://:{secret}@127.0.0.1:{port}/0")
        try:
            status, _, payload = _get(web_port, readiness, {"Host": HOST})
        finally:
            _stop(proc)
        assert status == expected, payload
