"""Re-encrypt every encrypted column with the current key (FIELD_ENCRYPTION_KEY_ID).

Rotation: add the new key to FIELD_ENCRYPTION_KEYS (keep the old one), point
FIELD_ENCRYPTION_KEY_ID at it, run this command, then remove the old key. It also encrypts
values still in clear (rows written before encryption existed) and recomputes the HMAC-SM3
lookup prefixes (after a FIELD_HASH_KEY change). Safe to run again: nothing is left to do.
"""

from collections import Counter

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from core import crypto
from core.fields import EncryptedCharField


class Command(BaseCommand):
    help = "Re-encrypt personal data with the current SM4 key and refresh lookup hashes."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only count what would change")

    def handle(self, *args, dry_run, **options):
        current = crypto.current_key_id()
        for model in apps.get_models():
            fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedCharField)]
            if fields:
                self._rotate(model, fields, current, dry_run)

    @transaction.atomic
    def _rotate(self, model, fields, current: str, dry_run: bool) -> None:
        table = connection.ops.quote_name(model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        pk = connection.ops.quote_name(model._meta.pk.column)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {pk}, {columns} FROM {table} FOR UPDATE")  # noqa: S608
            rows = cursor.fetchall()
        found: Counter[str] = Counter()
        changed = 0
        for row in rows:
            updates = {}
            for field, raw in zip(fields, row[1:], strict=True):
                if not raw:
                    continue
                kid = crypto.key_id_of(raw)
                found[kid or "plaintext"] += 1
                plain = field.to_python(raw)
                stale_lookup = kid and not raw.startswith(crypto.lookup_hash(plain) + ":")
                if kid != current or stale_lookup:
                    updates[field.name] = plain  # get_prep_value encrypts with `current`
            if updates:
                changed += 1
                if not dry_run:
                    model._base_manager.filter(pk=row[0]).update(**updates)
        summary = ", ".join(f"{kid}: {n}" for kid, n in sorted(found.items())) or "no values"
        verb = "would re-encrypt" if dry_run else "re-encrypted"
        self.stdout.write(
            f"{model._meta.label}: {summary}; {verb} {changed} rows with key {current}"
        )
