import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill(apps, schema_editor):
    """Every application takes its organisation's place (one statement)."""
    Application = apps.get_model("applications", "Application")
    Organisation = apps.get_model("accounts", "Organisation")
    place = Organisation.objects.filter(pk=OuterRef("organisation_id")).values("place_id")
    Application.objects.using(schema_editor.connection.alias).update(place_id=Subquery(place))


class Migration(migrations.Migration):
    """The organisation's place on the application (the county queue's index)."""

    dependencies = [
        ("accounts", "0009_organisation_scale"),
        ("applications", "0010_summary_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="place",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.place",
                verbose_name="所属县市区/园区",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(
                fields=["place", "status", "stage_entered_at", "id"], name="app_place_waiting"
            ),
        ),
    ]
