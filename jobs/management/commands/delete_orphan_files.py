from datetime import timedelta

from django.core.management.base import BaseCommand

from core.storage import orphans_delete


class Command(BaseCommand):
    help = "Delete stored files (evidence, letters, job results) that no row refers to."

    def add_arguments(self, parser):
        parser.add_argument("--older-than-hours", type=int, default=24)
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, older_than_hours: int, dry_run: bool, **options):
        names = orphans_delete(older_than=timedelta(hours=older_than_hours), dry_run=dry_run)
        for name in names:
            self.stdout.write(name)
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(f"{verb} {len(names)} orphan files")
