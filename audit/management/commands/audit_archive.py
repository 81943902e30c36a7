"""Export events older than the retention period, with their chain, and optionally remove them.

The file is JSON lines: a header (chain base and head), then one event per line with its
sequence, prev_hash and hash, so the archived part can be verified on its own and the kept
part continues from the last archived hash (the chain head records the new base).
"""

import json
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_chain_head_lock, head_mac


class Command(BaseCommand):
    help = "Archive audit events older than AUDIT_RETENTION_DAYS (≥180) to a JSON-lines file."

    def add_arguments(self, parser):
        parser.add_argument("output", help="file to write (must not exist)")
        parser.add_argument(
            "--delete", action="store_true", help="remove the archived events afterwards"
        )

    @transaction.atomic
    def handle(self, *args, output, delete, **options):
        path = Path(output)
        if path.exists():
            raise CommandError(f"{path} exists; choose a new file.")
        cutoff = timezone.now() - timedelta(days=settings.AUDIT_RETENTION_DAYS)
        head = audit_chain_head_lock()
        events = AuditEvent.objects.filter(
            sequence__isnull=False, sequence__gte=head.base_sequence
        ).order_by("sequence")
        archived = []
        for event in events.iterator(chunk_size=2000):
            if event.occurred_at >= cutoff:
                break  # the chain is archived from its base, without gaps
            archived.append(event)
        with path.open("x", encoding="utf-8") as out:
            header = {
                "base_sequence": head.base_sequence,
                "base_prev_hash": head.base_prev_hash,
                "count": len(archived),
                "cutoff": cutoff.isoformat(),
            }
            out.write(json.dumps({"archive": header}, ensure_ascii=False) + "\n")
            for e in archived:
                row = {
                    "id": e.pk,
                    "sequence": e.sequence,
                    "prev_hash": e.prev_hash,
                    "hash": e.hash,
                    "occurred_at": e.occurred_at.isoformat(),
                    "actor_id": e.actor_id,
                    "object_type": e.object_type,
                    "object_id": e.object_id,
                    "object_repr": e.object_repr,
                    "action": e.action,
                    "before": e.before,
                    "after": e.after,
                    "comment": e.comment,
                    "ip_address": e.ip_address,
                }
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        if delete and archived:
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL audit.archiving = 'on'")
            AuditEvent.objects.filter(pk__in=[e.pk for e in archived]).delete()
            head.base_sequence = archived[-1].sequence + 1
            head.base_prev_hash = archived[-1].hash
            head.mac = head_mac(head)
            head.save(update_fields=["base_sequence", "base_prev_hash", "mac"])
        self.stdout.write(
            f"archived {len(archived)} events older than {cutoff:%Y-%m-%d} to {path}"
            + (" and removed them" if delete and archived else "")
        )
