"""Production settings are hardened, and docker-compose describes one consistent deployment."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


PRODUCTION_KEYS = {
    "FIELD_ENCRYPTION_KEYS": "k2026a:" + "7" * 32,
    "FIELD_HASH_KEY": "8" * 32,
    "AUDIT_CHAIN_KEY": "9" * 32,
}


def test_check_deploy_is_clean_with_production_settings():
    # The browser fixture allows async-unsafe DB access in this process; a deployment never does.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "xianyang_portal.settings.production",
        "DJANGO_SECRET_KEY": "a-production-secret-" + "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "portal.xianyang.gov.cn",
        **PRODUCTION_KEYS,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secret():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    env["DJANGO_SETTINGS_MODULE"] = "xianyang_portal.settings.production"
    result = _manage_check(env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def _manage_check(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("missing", sorted(PRODUCTION_KEYS))
def test_production_refuses_to_start_without_its_keys(missing):
    env = {**os.environ, **PRODUCTION_KEYS}
    del env[missing]
    env["DJANGO_SETTINGS_MODULE"] = "xianyang_portal.settings.production"
    env["DJANGO_SECRET_KEY"] = "a-production-secret-" + "x" * 50
    result = _manage_check(env)
    assert result.returncode != 0
    assert missing in result.stderr


def test_docker_compose_services_share_image_and_settings():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"web", "worker", "beat", "db", "redis"} <= set(services)
    app_services = [services[name] for name in ("web", "worker", "beat")]
    assert len({s["image"] for s in app_services}) == 1
    assert len({tuple(sorted(s["environment"].items())) for s in app_services}) == 1
    env = app_services[0]["environment"]
    assert env["DJANGO_SETTINGS_MODULE"] == "xianyang_portal.settings.production"
    assert env["DATABASE_URL"].startswith("postgres://")
    assert env["CELERY_BROKER_URL"].startswith("redis://redis")
    assert "gunicorn" in services["web"]["command"]
    assert "worker" in services["worker"]["command"]
    assert "beat" in services["beat"]["command"]
    assert services["db"]["image"].startswith("postgres")
    assert services["redis"]["image"].startswith("redis")
    for s in app_services:
        assert "media:/data/media" in s["volumes"]
        assert set(s["depends_on"]) == {"db", "redis"}
    assert {"media", "pgdata"} <= set(compose["volumes"])
    assert any(v.startswith("pgdata:") for v in services["db"]["volumes"])


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "bash scripts/test.sh" in ci
    assert "bash scripts/test.sh" in readme
    assert "bash scripts/run.sh" in readme
