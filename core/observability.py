"""Request ids in logs and tasks, JSON log format, optional Sentry and OpenTelemetry.

A request id is set by ``RequestIdMiddleware`` (or kept from an incoming ``X-Request-ID``),
added to every log record by ``RequestIdFilter``, sent with every task queued during the
request as the ``request_id`` message header, and restored around the task in the worker,
so one id follows a request from nginx to the letter written by a worker.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any

from django.core.exceptions import ImproperlyConfigured

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

HEADER = "request_id"


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


def logging_config(*, level: str, fmt: str) -> dict[str, Any]:
    """``LOGGING`` for the given format: ``json`` (one object per line) or ``plain``."""
    if fmt not in ("json", "plain"):
        raise ImproperlyConfigured(f"LOG_FORMAT: {fmt!r} is not json or plain")
    formatters = {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "core.observability.RequestIdFilter"}},
        "formatters": {fmt: formatters[fmt]},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": fmt,
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        # django-axes logs every successful login at INFO; keep lockouts (WARNING) only.
        "loggers": {"axes": {"level": "WARNING"}},
    }


# --- Celery: the request id travels in the task message headers -------------------------------


def _publish_with_request_id(headers: dict | None = None, **kwargs: Any) -> None:
    if headers is not None and HEADER not in headers:
        headers[HEADER] = request_id_var.get()


def _task_prerun(task=None, **kwargs: Any) -> None:
    if task is None:
        return
    incoming = getattr(task.request, HEADER, None) or (task.request.headers or {}).get(HEADER)
    if incoming:
        task.request._request_id_token = request_id_var.set(str(incoming))


def _task_postrun(task=None, **kwargs: Any) -> None:
    token = getattr(getattr(task, "request", None), "_request_id_token", None)
    if token is not None:
        request_id_var.reset(token)
        task.request._request_id_token = None


def connect_celery_signals() -> None:
    from celery import signals

    signals.before_task_publish.connect(_publish_with_request_id, weak=False)
    signals.task_prerun.connect(_task_prerun, weak=False)
    signals.task_postrun.connect(_task_postrun, weak=False)


# --- optional error tracking and tracing, imported only when configured -----------------------


def sentry_init(dsn: str, *, environment: str, traces_sample_rate: float) -> None:
    if not dsn:
        return
    try:
        import sentry_sdk
        from sentry_sdk.integrations.celery import CeleryIntegration
        from sentry_sdk.integrations.django import DjangoIntegration
    except ImportError as exc:
        raise ImproperlyConfigured(
            "SENTRY_DSN: is set but sentry-sdk is not installed (pip install '.[observability]')"
        ) from exc
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
    )


def otel_init(endpoint: str) -> None:
    """Traces over OTLP/HTTP; the exporter reads OTEL_EXPORTER_OTLP_* and OTEL_SERVICE_NAME."""
    if not endpoint:
        return
    try:
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.instrumentation.celery import CeleryInstrumentor
        from opentelemetry.instrumentation.django import DjangoInstrumentor
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError as exc:
        raise ImproperlyConfigured(
            "OTEL_EXPORTER_OTLP_ENDPOINT: is set but the OpenTelemetry packages are not "
            "installed (pip install '.[observability]')"
        ) from exc
    provider = TracerProvider(resource=Resource.create({}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    DjangoInstrumentor().instrument()
    CeleryInstrumentor().instrument()
