"""Production settings are hardened, and docker-compose describes one consistent deployment."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.utils import timezone

ROOT = Path(__file__).resolve().parent.parent


PRODUCTION_KEYS = {
    "FIELD_ENCRYPTION_KEYS": "k2026a:" + "7" * 32,
    "FIELD_HASH_KEY": "8" * 32,
    "AUDIT_CHAIN_KEY": "9" * 32,
}


def _check_deploy(**extra: str) -> subprocess.CompletedProcess:
    # The browser fixture allows async-unsafe DB access in this process; a deployment never does.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "xianyang_portal.settings.production",
        "DJANGO_SECRET_KEY": "a-production-secret-" + "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "portal.xianyang.gov.cn",
        **PRODUCTION_KEYS,
        **extra,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    seal = tmp_path / "seal.png"
    seal.write_bytes(b"\x89PNG\r\n\x1a\n")
    result = _check_deploy(LETTER_SEAL_IMAGE=str(seal))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_names_a_missing_seal_image(tmp_path):
    """Without the seal every letter prints the placeholder circle: said before going live."""
    for seal in ("", str(tmp_path / "missing.png")):
        result = _check_deploy(LETTER_SEAL_IMAGE=seal)
        assert result.returncode != 0 and "reviews.W001" in result.stderr + result.stdout


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


def test_process_refuses_to_start_with_a_half_s3_configuration():
    env = {k: v for k, v in os.environ.items() if not k.startswith("S3_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "xianyang_portal.settings.production",
            "DJANGO_SECRET_KEY": "a-production-secret-" + "x" * 50,
            "S3_BUCKET": "portal-files",
            "S3_ACCESS_KEY_ID": "key-only",
            **PRODUCTION_KEYS,
        }
    )
    result = _manage_check(env)
    assert result.returncode != 0
    assert "ImproperlyConfigured: S3_SECRET_ACCESS_KEY: is required" in result.stderr


QUEUES = ["default", "letters", "batches", "emails"]  # the four queues
APP_SERVICES = ["migrate", "web", "beat", "flower", *(f"worker-{q}" for q in QUEUES)]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_docker_compose_services_share_image_and_settings():
    compose = _compose()
    services = compose["services"]
    assert set(APP_SERVICES) | {"nginx", "db", "pgbouncer", "redis", "minio"} <= set(services)
    app = [services[name] for name in APP_SERVICES]
    assert len({s["image"] for s in app}) == 1
    env = services["web"]["environment"]
    assert env["DJANGO_SETTINGS_MODULE"] == "xianyang_portal.settings.production"
    # The app goes through pgbouncer (transaction mode) without server-side cursors.
    assert "@pgbouncer:6432/" in env["DATABASE_URL"]
    assert env["DB_DISABLE_SERVER_SIDE_CURSORS"] == "true"
    assert services["pgbouncer"]["environment"]["POOL_MODE"] == "transaction"
    # Redis, the broker and cache, asks for a password (tests/test_health_production.py).
    for name in ("CELERY_BROKER_URL", "CACHE_URL"):
        assert env[name].startswith("redis://:${REDIS_PASSWORD:?set REDIS_PASSWORD}@redis:6379/")
    # The portal's own store key, never the store's root credentials.
    assert env["S3_ACCESS_KEY_ID"] == "${S3_ACCESS_KEY_ID:?set S3_ACCESS_KEY_ID}"
    assert "MINIO_ROOT" not in str(env)
    assert env["S3_ENDPOINT_URL"] == "http://minio:9000" and env["S3_BUCKET"]
    # Behind nginx: the client address from the header nginx appends, not nginx's own.
    assert (env["TRUSTED_PROXY_HEADER"], env["TRUSTED_PROXY_COUNT"]) == (
        "HTTP_X_FORWARDED_FOR",
        "1",
    )
    shared = {k: v for k, v in env.items() if k != "PROMETHEUS_MULTIPROC_DIR"}  # web only
    for name in ("beat", "flower", *(f"worker-{q}" for q in QUEUES)):
        assert services[name]["environment"] == shared, name
    assert services["db"]["image"].startswith("postgres")
    assert services["redis"]["image"].startswith("redis")
    assert services["minio"]["image"].startswith("minio/minio")
    assert {"media", "pgdata", "static", "miniodata"} <= set(compose["volumes"])


def test_compose_migrate_runs_once_and_everything_waits_for_it():
    services = _compose()["services"]
    migrate = services["migrate"]
    assert "migrate --noinput" in migrate["command"] and migrate["restart"] == "no"
    assert "@db:5432/" in migrate["environment"]["DATABASE_URL"]  # not through pgbouncer
    for name in APP_SERVICES:
        if name == "migrate":
            continue
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert "migrate" not in services[name]["command"]
    web = services["web"]
    assert web["command"].startswith("gunicorn -c deploy/gunicorn.conf.py ")
    assert (ROOT / "deploy" / "gunicorn.conf.py").exists()
    assert "ports" not in web  # only nginx is published
    assert services["nginx"]["depends_on"]["web"]["condition"] == "service_healthy"


def test_compose_one_worker_per_queue_and_exactly_one_beat():
    from django.conf import settings

    services = _compose()["services"]
    assert sorted(settings.CELERY_QUEUE_NAMES) == sorted(QUEUES)
    for queue in QUEUES:
        command = services[f"worker-{queue}"]["command"].split()
        assert command[command.index("-Q") + 1] == queue
        assert f"{queue}@$$HOSTNAME" in services[f"worker-{queue}"]["healthcheck"]["test"][1]
    assert services["beat"]["deploy"]["replicas"] == 1
    assert sum("beat" in str(s.get("command", "")) for s in services.values()) == 1
    assert services["flower"]["profiles"] == ["monitoring"]


def test_compose_flower_refuses_to_start_without_a_password():
    """Flower can revoke tasks and shows their arguments; its command is run here as compose
    would, with celery replaced by echo: without FLOWER_BASIC_AUTH it exits before starting."""
    kind, flag, script = _compose()["services"]["flower"]["command"]
    assert (kind, flag) == ("sh", "-c")
    script = script.replace("$$", "$")
    assert '--basic-auth="$FLOWER_BASIC_AUTH"' in script
    runnable = script.replace("exec celery", "exec echo celery")
    env = {"PATH": os.environ["PATH"]}
    refused = subprocess.run(
        ["sh", "-c", runnable], env=env, capture_output=True, text=True, timeout=30
    )
    assert refused.returncode != 0 and "FLOWER_BASIC_AUTH" in refused.stderr
    started = subprocess.run(
        ["sh", "-c", runnable],
        env={**env, "FLOWER_BASIC_AUTH": "ops:s3cret"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert started.returncode == 0 and "--basic-auth=ops:s3cret" in started.stdout


def test_compose_store_user_is_limited_to_the_portal_bucket():
    import json

    services = _compose()["services"]
    bucket = services["web"]["environment"]["S3_BUCKET"]
    job = services["minio-bucket"]
    script = job["entrypoint"][2]
    (mount,) = job["volumes"]
    source, target, mode = mount.split(":")
    assert mode == "ro" and f"mc admin policy create local {bucket} {target}" in script
    assert 'mc admin user add local "$$S3_ACCESS_KEY_ID"' in script
    assert f"mc admin policy attach local {bucket} --user" in script
    assert f"mc anonymous set none local/{bucket}" in script
    policy = json.loads((ROOT / source).read_text())
    granted = {
        (action, resource)
        for statement in policy["Statement"]
        for action in statement["Action"]
        for resource in statement["Resource"]
        if statement["Effect"] == "Allow"
    }
    arn = f"arn:aws:s3:::{bucket}"
    # Objects in and out (an evidence file above 8 MB goes up in parts, abandoned parts are
    # aborted), and listing for the orphan sweep; no wildcard, no other bucket.
    assert granted == {
        ("s3:ListBucket", arn),
        ("s3:GetObject", f"{arn}/*"),
        ("s3:PutObject", f"{arn}/*"),
        ("s3:DeleteObject", f"{arn}/*"),
        ("s3:AbortMultipartUpload", f"{arn}/*"),
    }


def test_task_routes_send_each_task_to_its_queue():
    from xianyang_portal.celery import app

    expected = {  # task name → queue, written from the split
        "reviews.letters.tasks.letters_generate": "letters",
        "reviews.tasks.finish_due_notices": "default",
        "jobs.tasks.orphan_files_delete": "default",
        "outbox.tasks.outbox_sweep": "default",
    }
    app.loader.import_default_modules()
    app.amqp.flush_routes()
    router = app.amqp.Router()
    for task, queue in expected.items():
        assert task in app.tasks, task
        assert router.route({}, task)["queue"].name == queue, task


@pytest.mark.django_db
def test_outbox_deliveries_run_on_the_queue_of_their_kind():
    from outbox.models import OutboxMessage
    from xianyang_portal.celery import app

    expected = {  # kind → queue, from the split (letters, batches, default, emails)
        "letters_zip": "letters",
        "payment_batch_fill": "batches",
        "notification_email": "emails",
        "letters": "default",  # the fan-out itself is light; its chunks go to letters
    }
    app.amqp.flush_routes()
    router = app.amqp.Router()
    for kind, queue in expected.items():
        message = OutboxMessage.objects.create(
            kind=kind, payload={}, dedup_key=f"t-{kind}", available_at=timezone.now()
        )
        route = router.route({}, "outbox.tasks.outbox_deliver", args=(message.pk,))
        assert route["queue"].name == queue, kind


def test_nginx_config_buffers_limits_and_hides_internal_paths():
    conf = (ROOT / "deploy" / "nginx" / "portal.conf").read_text()
    for directive in (
        "proxy_buffering on;",
        "proxy_request_buffering on;",
        "client_max_body_size 25m;",
        "location /static/",
        "internal;",
        "location /_protected/",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "real_ip_header X-Forwarded-For;",
        "location = /metrics",
    ):
        assert directive in conf, directive
    # No client may name its own address: only a load balancer's own address may be trusted.
    assert not re.search(r"^\s*set_real_ip_from\s+(10\.|172\.16|192\.168|0\.0\.0\.0)", conf, re.M)
    from django.conf import settings

    # An evidence file at its size limit passes the proxy.
    assert settings.EVIDENCE_MAX_FILE_BYTES <= 25 * 1024 * 1024


def test_dockerfile_installs_locked_dependencies_before_the_code_as_non_root():
    lines = [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    text = "\n".join(lines)
    first_copy_all = next(i for i, line in enumerate(lines) if line.startswith("COPY . ."))
    lock_install = next(i for i, line in enumerate(lines) if "--require-hashes" in line)
    assert lock_install < first_copy_all
    assert "COPY requirements/" in text
    assert "pip install -e" not in text
    assert any(line.startswith("USER ") and "root" not in line for line in lines)
    assert lines.index(next(line for line in lines if line.startswith("USER "))) > first_copy_all
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", "media", ".venv", ".git"} <= set(ignored)


def test_lock_files_pin_every_package_with_hashes():
    import re

    for name in ("lock.txt", "prod.txt", "build.txt"):
        text = (ROOT / "requirements" / name).read_text()
        entries = re.findall(r"^([A-Za-z0-9_.\-\[\]]+)==([^ ;\\]+)", text, flags=re.M)
        assert entries, name
        blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 1)[1])
        for block in blocks:
            if "==" in block.split("\n")[0]:
                assert "--hash=sha256:" in block, block.split("\n")[0]
    lock = (ROOT / "requirements" / "lock.txt").read_text().lower()
    for package in ("django==", "celery==", "django-storages==", "boto3==", "moto==", "pytest=="):
        assert f"\n{package}" in lock, package
    assert "pytest==" not in (ROOT / "requirements" / "prod.txt").read_text()


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "bash scripts/test.sh" in ci
    assert "bash scripts/test.sh" in readme
    assert "bash scripts/run.sh" in readme


def test_lock_files_cover_every_dependency_of_pyproject():
    """A dependency added to pyproject.toml without `bash scripts/lock.sh` fails here."""
    import re
    import tomllib

    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def names(requirements: list[str]) -> set[str]:
        return {re.sub(r"[-_.]+", "-", Requirement(r).name).lower() for r in requirements}

    def locked(file: str) -> set[str]:
        text = (ROOT / "requirements" / file).read_text()
        return set(re.findall(r"^([a-z0-9][a-z0-9-]*)(?:\[[^\]]*\])?==", text, flags=re.M))

    app = names(project["dependencies"])
    extras = project["optional-dependencies"]
    assert app | names(extras["test"]) | names(extras["observability"]) <= locked("lock.txt")
    assert app | names(extras["observability"]) <= locked("prod.txt")


def test_capacity_plan_is_the_arithmetic_of_the_quoted_bench_lines():
    """docs/deploy.md's per-core figures and arithmetic are what bench/capacity.py computes
    from the bench lines the document quotes (and from the web HPA in deploy/k8s)."""
    import importlib.util
    import re

    doc = (ROOT / "docs" / "deploy.md").read_text()
    spec = importlib.util.spec_from_file_location("capacity", ROOT / "bench" / "capacity.py")
    capacity = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(capacity)
    quoted = {}
    for prefix in ("scale", "burst", "letters"):
        line = re.search(rf"^{prefix}: .*$", doc, flags=re.M)
        assert line, f"docs/deploy.md quotes no {prefix}: line"
        quoted[prefix] = {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", line.group(0))}
    cores = int(re.search(r"on (\d+) cores", doc).group(1))
    plan = capacity.plan(quoted["scale"], quoted["burst"], quoted["letters"], cores)
    assert plan in doc
