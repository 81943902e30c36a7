"""Webhook deliveries move to the shared outbox: waiting rows are carried over, then the table goes."""

from django.db import migrations

STATES = {"pending": "pending", "delivered": "done", "failed": "failed"}


def carry_over(apps, schema_editor):
    WebhookDelivery = apps.get_model("integrations", "WebhookDelivery")
    OutboxMessage = apps.get_model("outbox", "OutboxMessage")
    alias = schema_editor.connection.alias  # the database being migrated (a replica too)
    rows = [
        OutboxMessage(
            kind="webhook",
            payload={
                "account": d.subscription.account_id,
                "subscription": d.subscription_id,
                "idempotency_key": d.idempotency_key,
                "event": d.event,
                "body": d.payload,
            },
            dedup_key=f"webhook:{d.idempotency_key}",
            state=STATES.get(d.state, "failed"),
            attempts=d.attempts,
            last_error=d.last_error,
            available_at=d.next_attempt_at,
            delivered_at=d.delivered_at,
        )
        for d in WebhookDelivery.objects.using(alias).select_related("subscription").iterator()
    ]
    OutboxMessage.objects.using(alias).bulk_create(rows, batch_size=2000, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0002_pushpreference_pushrun"),
        ("outbox", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(carry_over, migrations.RunPython.noop),
        migrations.DeleteModel(name="WebhookDelivery"),
    ]
