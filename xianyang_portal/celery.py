"""Celery app: configuration from Django settings (CELERY_*), tasks autodiscovered per app."""

import os

from celery import Celery

from core.observability import connect_celery_signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xianyang_portal.settings.local")

app = Celery("xianyang_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The request id of the request that queued a task follows it into the worker's logs.
connect_celery_signals()
