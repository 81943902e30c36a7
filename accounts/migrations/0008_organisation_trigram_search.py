"""Chinese substring search on organisation name and USCC: pg_trgm GIN indexes.

The queue's search uses ``icontains``, which PostgreSQL runs as ``UPPER(col::text) LIKE
UPPER('%…%')``; a trigram GIN index on that same expression serves it (C.UTF-8 and other
UTF-8 locales make CJK characters word characters for pg_trgm). SQLite (the no-services demo)
has neither the extension nor GIN: both steps are skipped there.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = {
    "org_name_trgm": "legal_name",
    "org_uscc_trgm": "uscc",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON accounts_organisation "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_notification_read_and_key")]

    operations = [TrigramExtension(), migrations.RunPython(create, drop)]
