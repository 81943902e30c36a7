"""End every public notice that is due: the beat job's code, for operations after an outage."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from reviews.notices import notices_finish_due


class Command(BaseCommand):
    help = "Approve the applications whose public notice ended without objection (公示期满)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--today",
            help="Treat this date (YYYY-MM-DD) as today, e.g. to end notices due during an outage.",
        )

    def handle(self, *args, today: str | None = None, **options) -> None:
        try:
            day = date.fromisoformat(today) if today else None
        except ValueError as exc:
            raise CommandError(f"--today must be a date as YYYY-MM-DD, not {today!r}") from exc
        approved = notices_finish_due(today=day)
        self.stdout.write(f"approved {len(approved)} application(s) after their notice ended")
