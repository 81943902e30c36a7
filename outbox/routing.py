"""Route each outbox delivery to the queue of its kind of work (letters, batches, emails)."""

from __future__ import annotations

from django.conf import settings


def route_outbox_delivery(name, args, kwargs, options, task=None, **kw):
    """Celery router: `outbox_deliver(message_id)` goes where its message's kind belongs."""
    if name != "outbox.tasks.outbox_deliver" or not args:
        return None
    from .models import OutboxMessage

    kind = OutboxMessage.objects.filter(pk=args[0]).values_list("kind", flat=True).first()
    queue = settings.OUTBOX_KIND_QUEUES.get(kind)
    return {"queue": queue} if queue else None
