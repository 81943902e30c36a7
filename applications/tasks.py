"""Applications' outbox consumers: they take ids and call the services."""

from __future__ import annotations

from outbox.registry import outbox_handler

from .models import ScanStatus
from .services import EVIDENCE_SCAN_KIND, evidence_scan_record


class ScanStillPending(Exception):
    """clamd is still unreachable: the outbox tries again with backoff."""


@outbox_handler(EVIDENCE_SCAN_KIND)
def evidence_scan(payload: dict) -> str:
    """Scan a file uploaded while clamd was unreachable. Its row is retried with backoff (about
    an hour in all, outbox.services.MAX_ATTEMPTS); then it shows as failed on the operations
    page, with a retry button, and the file stays closed to staff until it is scanned."""
    status = evidence_scan_record(evidence_id=payload["evidence_id"])
    if status == ScanStatus.PENDING:
        raise ScanStillPending(f"evidence {payload['evidence_id']}: clamd unreachable")
    return status
