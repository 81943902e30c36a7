"""Liveness vs readiness, request ids in logs and tasks, Prometheus metrics, X-Accel-Redirect."""

from __future__ import annotations

import json
import logging

import pytest

from core.observability import RequestIdFilter, logging_config, request_id_var


@pytest.fixture
def broker_down():
    from xianyang_portal.celery import app

    old = (app.conf.task_always_eager, app.conf.broker_url, app.conf.broker_write_url)
    app.conf.task_always_eager = False
    app.conf.broker_url = app.conf.broker_write_url = "redis://127.0.0.1:1/0"
    yield
    app.conf.task_always_eager, app.conf.broker_url, app.conf.broker_write_url = old


def test_liveness_stays_up_when_the_broker_is_down(api_client, db, broker_down):
    assert api_client.get("/api/v1/health/live/").json() == {"status": "ok"}
    ready = api_client.get("/api/v1/health/ready/")
    assert ready.status_code == 503 and ready.json()["broker"].startswith("error")
    alias = api_client.get("/api/v1/health/")
    assert alias.status_code == 503 and alias.json() == ready.json()


def test_liveness_touches_no_database(api_client):
    # No database fixture: any query would raise instead of answering.
    assert api_client.get("/api/v1/health/live/").json() == {"status": "ok"}


def test_request_id_is_kept_or_made_and_echoed(client, db):
    kept = client.get("/api/v1/health/live/", HTTP_X_REQUEST_ID="abc-123")
    assert kept["X-Request-ID"] == "abc-123"
    made = client.get("/api/v1/health/live/", HTTP_X_REQUEST_ID="bad id\n<script>")
    assert len(made["X-Request-ID"]) == 32 and made["X-Request-ID"] != "bad id\n<script>"


def test_json_log_line_carries_the_request_id():
    config = logging_config(level="INFO", fmt="json")
    formatter_spec = dict(config["formatters"]["json"])
    factory = formatter_spec.pop("()")
    module, name = factory.rsplit(".", 1)
    import importlib

    formatter = getattr(importlib.import_module(module), name)(**formatter_spec)
    record = logging.LogRecord("portal", logging.INFO, __file__, 1, "letter %s", ("N1",), None)
    token = request_id_var.set("req-42")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    line = json.loads(formatter.format(record))
    assert line["request_id"] == "req-42"
    assert line["message"] == "letter N1" and line["level"] == "INFO" and line["logger"] == "portal"


def test_request_id_travels_in_task_headers_and_is_restored_in_the_worker():
    from celery.app.task import Context

    from core.observability import (
        _publish_with_request_id,
        _task_postrun,
        _task_prerun,
    )

    headers: dict = {}
    token = request_id_var.set("req-7")
    try:
        _publish_with_request_id(headers=headers)
    finally:
        request_id_var.reset(token)
    assert headers == {"request_id": "req-7"}

    class Task:
        request = Context(headers)

    seen = []
    _task_prerun(task=Task)
    seen.append(request_id_var.get())
    _task_postrun(task=Task)
    assert seen == ["req-7"] and request_id_var.get() == "-"


def test_log_format_is_checked():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="LOG_FORMAT"):
        logging_config(level="INFO", fmt="xml")


def test_metrics_expose_requests_queue_depth_and_token(client, db, settings):
    from xianyang_portal.celery import app

    with app.connection_for_write() as connection:
        connection.default_channel.client.delete("letters")
        connection.default_channel.client.lpush("letters", "m1", "m2", "m3")
    old = app.conf.task_always_eager
    try:
        client.get("/api/v1/health/live/")
        body = client.get("/metrics").content.decode()
    finally:
        with app.connection_for_write() as connection:
            connection.default_channel.client.delete("letters")
        app.conf.task_always_eager = old
    assert 'portal_celery_queue_depth{queue="letters"} 3.0' in body
    assert 'portal_celery_queue_depth{queue="emails"} 0.0' in body
    assert "portal_broker_up 1.0" in body
    assert "django_http_requests_total_by_method_total" in body
    assert "portal_outbox_backlog" not in body  # no outbox app here: the gauge is left out
    settings.METRICS_TOKEN = "s3cret"
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret").status_code == 200


def test_private_file_through_nginx_internal_location(application_factory, demo, client, settings):
    settings.PRIVATE_FILES_ACCEL_PREFIX = "/_protected/"
    application = application_factory(submit=True)
    evidence = application.materials.first().evidence
    client.force_login(demo["qindu_corp"])
    response = client.get(f"/applications/files/{evidence.pk}/")
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == "/_protected/" + evidence.file.name
    assert response.content == b""  # nginx sends the bytes, not gunicorn
    assert response["Content-Type"] == evidence.content_type
    client.force_login(demo["weicheng_corp"])
    denied = client.get(f"/applications/files/{evidence.pk}/")
    assert denied.status_code == 404 and "X-Accel-Redirect" not in denied


def _modules_loaded_with(extra_env: dict[str, str]) -> set[str]:
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys, django; django.setup(); "
        "print(' '.join(m for m in ('sentry_sdk', 'opentelemetry.sdk.trace') if m in sys.modules))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "xianyang_portal.settings.test", **extra_env}
    for key in ("SENTRY_DSN", "OTEL_EXPORTER_OTLP_ENDPOINT"):
        env.setdefault(key, "")
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return set(result.stdout.split())


def test_sentry_and_opentelemetry_are_imported_only_when_configured():
    assert _modules_loaded_with({}) == set()
    configured = _modules_loaded_with(
        {
            "SENTRY_DSN": "http://public@127.0.0.1:9/1",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9",
        }
    )
    assert configured == {"sentry_sdk", "opentelemetry.sdk.trace"}
