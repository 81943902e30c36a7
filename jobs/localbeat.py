"""Celery beat without Celery: run CELERY_BEAT_SCHEDULE in a thread of the local web process.

Used by `manage.py runlocal` (what `scripts/run.sh` starts when no broker is set). Each entry
calls the same registered Celery task as beat does, synchronously, at its interval capped by
LOCAL_BEAT_SECONDS so that a demo does not wait an hour for a notice to end. The tasks are
idempotent, so a run that overlaps a page's own work is harmless.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)


def beat_entries() -> list[tuple[str, str, float]]:
    """(name, task, interval in seconds) for every schedule entry with a plain interval."""
    cap = float(getattr(settings, "LOCAL_BEAT_SECONDS", 30))
    entries = []
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        schedule = entry["schedule"]
        seconds = getattr(schedule, "total_seconds", lambda s=schedule: float(s))()
        entries.append((name, entry["task"], min(seconds, cap)))
    return entries


def beat_run_due(*, last_run: dict[str, float], now: float) -> list[str]:
    """Run the entries whose interval has passed since their last run; returns their names."""
    from celery import current_app as app  # the project's app (xianyang_portal.celery)

    app.loader.import_default_modules()
    ran = []
    for name, task_name, interval in beat_entries():
        if now - last_run.get(name, float("-inf")) < interval:
            continue
        last_run[name] = now
        close_old_connections()
        try:
            app.tasks[task_name].apply(throw=True)
        except Exception:  # a failing job must not stop the others or the loop
            logger.exception("periodic job %s failed", task_name)
        finally:
            close_old_connections()
        ran.append(name)
    return ran


def beat_thread_start(*, tick: float = 2.0, clock: Callable[[], float] = time.monotonic):
    """Start the daemon thread; it stops with the process."""
    last_run: dict[str, float] = {}

    def loop() -> None:
        time.sleep(tick)  # let the server bind first
        while True:
            beat_run_due(last_run=last_run, now=clock())
            time.sleep(tick)

    thread = threading.Thread(target=loop, name="local-beat", daemon=True)
    thread.start()
    return thread
