"""Housekeeping tasks of the background-job machinery."""

from __future__ import annotations

from celery import shared_task


@shared_task
def orphan_files_delete() -> int:
    """Beat task (daily): delete stored files no row refers to; idempotent."""
    from core.storage import orphans_delete

    return len(orphans_delete())
