from django.db import migrations

SEQUENCE = "applications_summary_version"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):
    """The summaries' version: moved on with every change of the cells (dashboard caches)."""

    dependencies = [("applications", "0009_scale")]

    operations = [migrations.RunPython(create, drop)]
