from celery import shared_task

from .models import ScanStatus


@shared_task(bind=True, max_retries=12, default_retry_delay=300, time_limit=120)
def evidence_scan(self, evidence_id: int) -> str:
    """Scan a file uploaded while clamd was unreachable; retries until clamd answers."""
    from .services import evidence_scan_record

    status = evidence_scan_record(evidence_id=evidence_id)
    if status == ScanStatus.PENDING:
        raise self.retry()
    return status
