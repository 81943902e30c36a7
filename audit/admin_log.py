"""Admin changes reach the audit chain: single LogEntry rows through post_save (signals.py);
several at once (a bulk delete action) are written by bulk_create, which sends no signal, so
`LogEntryManager.log_actions` is wrapped once to record those too."""

from __future__ import annotations

from functools import wraps

from django.contrib.admin.models import LogEntryManager


def patch_bulk_log() -> None:
    original = LogEntryManager.log_actions
    if getattr(original, "_audited", False):
        return

    @wraps(original)
    def log_actions(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        entries = result if isinstance(result, list) else []
        if len(entries) > 1:  # one entry was saved, and post_save recorded it
            from .signals import _admin_entry

            for entry in entries:
                _admin_entry(entry)
        return result

    log_actions._audited = True
    LogEntryManager.log_actions = log_actions
