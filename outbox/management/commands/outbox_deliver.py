from django.core.management.base import BaseCommand

from outbox.services import outbox_deliver_pending


class Command(BaseCommand):
    help = "Deliver every pending outbox row in this process (no broker needed)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--now", action="store_true", help="ignore the backoff of rows that failed before"
        )

    def handle(self, *args, **options):
        outcome = outbox_deliver_pending(ignore_backoff=options["now"])
        self.stdout.write(
            " ".join(f"{key}={value}" for key, value in sorted(outcome.items()))
            or "nothing pending"
        )
