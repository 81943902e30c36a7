"""Prometheus metrics: django-prometheus's request/database metrics plus portal gauges.

The portal gauges are computed when Prometheus scrapes: the depth of each Celery queue
(read from the broker) and the outbox backlog (rows not yet dispatched, when an ``outbox``
app is installed; absent otherwise). ``/metrics`` is not routed by nginx: Prometheus
scrapes the pods directly, and ``METRICS_TOKEN`` (when set) must be sent as a bearer token.
"""

from __future__ import annotations

import hmac
import logging
import os

import prometheus_client
from django.apps import apps
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import multiprocess
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)

# Outbox rows still to dispatch: the first field of these that exists and is null.
OUTBOX_PENDING_FIELDS = ("dispatched_at", "published_at", "sent_at", "processed_at")


def queue_depths() -> dict[str, int]:
    from celery import current_app as app  # the project's app (xianyang_portal.celery)

    depths: dict[str, int] = {}
    with app.connection_for_read() as connection:
        channel = connection.default_channel
        for name in settings.CELERY_QUEUE_NAMES:
            try:
                depths[name] = channel.queue_declare(queue=name, passive=True).message_count
            except Exception:  # a queue not declared yet has no messages
                depths[name] = 0
    return depths


def outbox_backlog() -> int | None:
    """Undispatched outbox rows, or None when there is no outbox app (or no known field)."""
    if not apps.is_installed("outbox"):
        return None
    for model in apps.get_app_config("outbox").get_models():
        names = {f.name for f in model._meta.get_fields()}
        for field in OUTBOX_PENDING_FIELDS:
            if field in names:
                return model._default_manager.filter(**{f"{field}__isnull": True}).count()
    return None


class PortalCollector:
    def collect(self):
        depth = GaugeMetricFamily(
            "portal_celery_queue_depth", "Messages waiting in a Celery queue", labels=["queue"]
        )
        up = GaugeMetricFamily("portal_broker_up", "1 if the broker answered the scrape")
        try:
            for name, count in queue_depths().items():
                depth.add_metric([name], count)
            up.add_metric([], 1)
        except Exception:
            logger.warning("Broker unreachable while collecting queue depths", exc_info=True)
            up.add_metric([], 0)
        yield depth
        yield up
        try:
            backlog = outbox_backlog()
        except Exception:
            logger.warning("Outbox backlog could not be read", exc_info=True)
            backlog = None
        if backlog is not None:
            yield GaugeMetricFamily(
                "portal_outbox_backlog", "Outbox rows not dispatched yet", value=backlog
            )


def metrics(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            return HttpResponse(status=403)
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # gunicorn: every worker's counters
    else:
        registry = prometheus_client.REGISTRY
    portal = prometheus_client.CollectorRegistry()
    portal.register(PortalCollector())
    body = prometheus_client.generate_latest(registry) + prometheus_client.generate_latest(portal)
    return HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_LATEST)
