"""Status-change webhooks on the shared outbox: one row per subscriber and move, signed on delivery.

- In the deciding transaction (`observe_moves`) one `OutboxMessage` of kind `webhook` is written
  per active subscription and move, with the dedup key `webhook:<idempotency key>`: a rolled-back
  decision sends nothing, a committed one is sent even if the broker is away.
- The outbox relay delivers it (fast path on commit, beat sweeper, `manage.py outbox_deliver`),
  keeps the attempts and the last error, and backs off exponentially (30 s, 60 s, … up to 8 tries).
  The operations page shows the backlog and failures with a retry button.
- The delivery log the platform reads through the API is these outbox rows.
"""

from __future__ import annotations

import http.client
import json
import socket
import urllib.error
import urllib.request
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.lifecycle.effects import observe_moves
from applications.lifecycle.statuses import status_label
from outbox.registry import outbox_handler
from outbox.services import outbox_enqueue_many

from .keys import signature
from .models import Scope, WebhookSubscription

EVENT = "application.status_changed"
KIND = "webhook"
TIMEOUT_S = 5


def _live_subscriptions():
    """Active subscriptions of accounts whose key is neither revoked nor expired: an expired
    key's platform is no longer authorised to receive organisations' statuses."""
    return WebhookSubscription.objects.filter(
        Q(account__expires_at__isnull=True) | Q(account__expires_at__gt=timezone.now()),
        active=True,
        account__revoked_at__isnull=True,
    )


@observe_moves
def webhooks_enqueue(contexts) -> None:
    """In the deciding transaction: one outbox row per subscriber and move (idempotent key)."""
    subscriptions = [
        s
        for s in _live_subscriptions()
        .select_related("account")
        .only("pk", "account_id", "account__scopes")
        if Scope.READ_STATUSES in s.account.scopes
    ]
    if not subscriptions:
        return
    now = timezone.now()
    items = []
    for ctx in contexts:
        application = ctx.application
        body = {
            "event": EVENT,
            "reference": application.reference,
            "uscc": application.organisation.uscc,
            "clause": application.clause.code,
            "from": ctx.source,
            "to": ctx.target,
            "to_label": str(status_label(ctx.target)),
            "revision": application.revision,
            "occurred_at": now.isoformat(),
        }
        for subscription in subscriptions:
            key = f"{application.pk}-r{application.revision}-s{subscription.pk}"
            payload = {
                "account": subscription.account_id,
                "subscription": subscription.pk,
                "idempotency_key": key,
                "event": EVENT,
                "body": body,
            }
            items.append((payload, f"{KIND}:{key}"))
    outbox_enqueue_many(kind=KIND, items=items)


class WebhookRejected(Exception):
    """The receiver answered, but not with 2xx (kept as the row's last error; retried)."""

    def __init__(self, detail: str, message: str) -> None:
        super().__init__(detail)
        self.message = message  # the reason in words, shown before the detail


def _refused(status: int) -> WebhookRejected:
    return WebhookRejected(
        f"HTTP {status}", _("接收方返回 HTTP %(status)d，未确认收到") % {"status": status}
    )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect could lead past the address check (to an internal host): treat it as a failure.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise WebhookRejected(
            f"HTTP {code}: redirect to {newurl[:100]} refused",
            _("接收方要求重定向（HTTP %(status)d），为防止转向内网已拒绝") % {"status": code},
        )


class _PinnedHTTPSHandler(urllib.request.HTTPSHandler):
    """HTTPS to an address checked beforehand; the certificate is still verified for the URL's
    host name (SNI), so pinning the address weakens nothing."""

    def __init__(self, address: str) -> None:
        super().__init__()
        self.address = address

    def https_open(self, req):
        address = self.address

        def connection(host, **kwargs):
            conn = http.client.HTTPSConnection(host, **kwargs)
            # http.client opens its socket through this attribute; only the address changes.
            conn._create_connection = lambda where, *args: socket.create_connection(
                (address, where[1]), *args
            )
            return conn

        return self.do_open(connection, req, context=self._context)


def _opener(addresses: list[str]) -> urllib.request.OpenerDirector:
    if not addresses:  # the tests' trusted local receiver
        return urllib.request.build_opener(_NoRedirect)
    return urllib.request.build_opener(_NoRedirect, _PinnedHTTPSHandler(addresses[0]))


def signed_request(subscription: WebhookSubscription, payload: dict[str, Any]):
    """The POST a receiver verifies: HMAC-SHA256(secret, timestamp + "." + body)."""
    body = json.dumps(payload["body"], ensure_ascii=False, sort_keys=True).encode()
    timestamp = str(int(timezone.now().timestamp()))
    return urllib.request.Request(  # noqa: S310 - scheme and address checked by the caller
        subscription.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": payload["idempotency_key"],
            "X-Portal-Event": payload["event"],
            "X-Portal-Timestamp": timestamp,
            "X-Portal-Signature": "sha256=" + signature(subscription.secret, body, timestamp),
        },
    )


@outbox_handler(KIND)
def webhook_deliver(payload: dict[str, Any]) -> str:
    """The outbox consumer: POST once; any failure raises, so the relay retries with backoff.

    The outbox leases the row, so one delivery is in flight at a time and a delivered row is
    never sent again; the receiver deduplicates redeliveries by `Idempotency-Key`.
    """
    from .services import webhook_url_addresses

    subscription = (
        _live_subscriptions().filter(pk=payload["subscription"]).only("url", "secret").first()
    )
    if subscription is None:
        return "unsubscribed"  # unsubscribed, revoked or expired since: nothing to send
    # Again now (DNS may have changed since subscribing), and connect to what was checked.
    _url, addresses = webhook_url_addresses(subscription.url)
    opener = _opener(addresses)
    try:
        with opener.open(signed_request(subscription, payload), timeout=TIMEOUT_S) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        raise _refused(exc.code) from exc
    if not 200 <= status < 300:
        raise _refused(status)
    return "delivered"
