"""Check the audit chain: exit 1 naming the first bad event (altered, removed, truncated, cut)."""

from django.core.management.base import BaseCommand, CommandError

from audit.models import AuditChainHead, AuditEvent
from audit.services import audit_chain_problems


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exits non-zero at the first bad event."

    def handle(self, *args, **options):
        problems = audit_chain_problems()
        if problems:
            for problem in problems[1:]:
                self.stderr.write(f"  also: {problem}")
            raise CommandError(f"audit chain broken at {problems[0]}")
        head = AuditChainHead.objects.filter(pk=1).first()
        legacy = AuditEvent.objects.filter(sequence__isnull=True).count()
        self.stdout.write(
            self.style.SUCCESS(
                f"audit chain intact: events #{head.base_sequence if head else 1}"
                f"–#{head.head_sequence if head else 0}, head {head.head_hash if head else '-'}"
            )
        )
        if legacy:
            self.stdout.write(f"{legacy} events predate the chain and are not covered.")
