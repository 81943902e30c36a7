"""Integration keys (hashed, scoped, expiring, revocable, audited) and signed status webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
import ssl
import threading
import time
import urllib.error
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import RoleAssignment
from applications.lifecycle.engine import TransitionRequest, application_transition
from applications.models import Status
from audit.models import AuditEvent
from core.errors import DomainError, NotAllowed
from integrations import services
from integrations.models import ServiceAccount
from outbox.models import OutboxMessage
from outbox.services import outbox_deliver_pending

QINDU = "91610400MA6T0XY00U"


@pytest.fixture
def security_admin(demo):
    user = demo["auditor"].__class__.objects.create_user(username="secadmin", password="x")
    RoleAssignment.objects.create(user=user, role="security_admin")
    return user


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def test_key_is_stored_hashed_shown_once_and_audited(security_admin):
    issued = services.service_account_create(
        actor=security_admin, name="陕企通", scopes=["read_policy"]
    )
    account = ServiceAccount.objects.get()
    assert issued.key not in json.dumps(list(ServiceAccount.objects.values()), default=str)
    assert account.key_hash == hashlib.sha256(issued.key.encode()).hexdigest()
    assert AuditEvent.objects.filter(action="service_account.create").exists()


def test_only_the_security_administrator_issues_keys(demo):
    for username in ("policy_admin", "auditor", "approver"):
        with pytest.raises(NotAllowed):
            services.service_account_create(actor=demo[username], name="x", scopes=["read_policy"])


def test_scopes_expiry_rotation_and_revocation(security_admin, open_round_db):
    issued = services.service_account_create(
        actor=security_admin, name="咸企通", scopes=["read_policy"]
    )
    client = _client(issued.key)
    assert client.get("/api/v1/integration/policy/").status_code == 200
    wrong_scope = client.get(f"/api/v1/integration/organisations/{QINDU}/applications/")
    assert wrong_scope.status_code == 403 and wrong_scope.json()["message"]
    assert _client(issued.key + "x").get("/api/v1/integration/policy/").status_code == 401
    rotated = services.service_account_rotate(actor=security_admin, account_id=issued.account.pk)
    assert client.get("/api/v1/integration/policy/").status_code == 401  # the old key stops
    client = _client(rotated.key)
    assert client.get("/api/v1/integration/policy/").status_code == 200
    ServiceAccount.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = client.get("/api/v1/integration/policy/")
    assert expired.status_code == 401 and "过期" in expired.json()["message"]
    ServiceAccount.objects.update(expires_at=None)
    with pytest.raises(DomainError):
        services.service_account_revoke(
            actor=security_admin, account_id=issued.account.pk, reason=" "
        )
    services.service_account_revoke(
        actor=security_admin, account_id=issued.account.pk, reason="合同终止"
    )
    revoked = client.get("/api/v1/integration/policy/")
    assert revoked.status_code == 401 and "吊销" in revoked.json()["message"]


def test_each_key_is_rate_limited(security_admin, open_round_db, settings):
    from rest_framework.throttling import SimpleRateThrottle

    original = SimpleRateThrottle.THROTTLE_RATES  # restored as it was, not from the override
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "integration": "3/minute",
        },
    }
    SimpleRateThrottle.THROTTLE_RATES = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    try:
        issued = services.service_account_create(
            actor=security_admin, name="x", scopes=["read_policy"]
        )
        client = _client(issued.key)
        codes = [client.get("/api/v1/integration/policy/").status_code for _ in range(5)]
    finally:
        SimpleRateThrottle.THROTTLE_RATES = original
    assert codes == [200, 200, 200, 429, 429]


def test_statuses_by_uscc_hide_drafts(security_admin, case_factory, application_factory):
    application_factory()  # a draft
    case = case_factory(Status.COUNTY_REVIEW)
    issued = services.service_account_create(
        actor=security_admin, name="x", scopes=["read_statuses"]
    )
    body = _client(issued.key).get(f"/api/v1/integration/organisations/{QINDU}/applications/")
    assert [r["reference"] for r in body.json()] == [case.reference]
    # Each bad code is refused with its own reason (hand-written from GB 32100-2015).
    for code, reason in (
        ("123", "应为18位"),
        (QINDU[:-1] + "X", "校验"),
        (QINDU.lower(), "大写"),
    ):
        bad = _client(issued.key).get(f"/api/v1/integration/organisations/{code}/applications/")
        assert bad.status_code == 400 and bad.json()["code"] == "invalid_uscc"
        assert reason in bad.json()["message"], bad.json()


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://example.com/hook", "insecure_url"),
        ("https://127.0.0.1/hook", "private_url"),
        ("https://10.1.2.3/hook", "private_url"),
        ("https://192.168.0.5/hook", "private_url"),
        ("https://[::1]/hook", "private_url"),
        ("https://169.254.169.254/latest", "private_url"),
        ("https://no-such-host.invalid/hook", "unresolvable_url"),
        ("not a url", "invalid_url"),
        ("ftp://8.8.8.8/hook", "insecure_url"),
        # A port that is out of range or not a number, and a broken IPv6 literal.
        ("https://1.1.1.1:99999/", "invalid_url"),
        ("https://1.1.1.1:abc/", "invalid_url"),
        ("https://[::1/", "invalid_url"),
        # IPv6 forms that a gateway turns back into a private IPv4 address, and multicast.
        ("https://[64:ff9b::a00:1]/hook", "private_url"),  # NAT64 of 10.0.0.1
        ("https://[64:ff9b:1::1]/hook", "private_url"),  # local-use NAT64
        ("https://[2002:c0a8:1::1]/hook", "private_url"),  # 6to4 of 192.168.0.1
        ("https://[::ffff:127.0.0.1]/hook", "private_url"),
        ("https://224.0.0.1/hook", "private_url"),
        # Never deliverable: a space or a control character (http.client refuses them at every
        # attempt), credentials or a fragment in the address.
        ("https://8.8.8.8/a b", "invalid_url"),
        ("https://8.8.8.8/a\tb", "invalid_url"),
        ("https://user:pw@8.8.8.8/hook", "invalid_url"),
        ("https://8.8.8.8/hook#part", "invalid_url"),
    ],
)
def test_webhook_urls_must_be_https_and_public(security_admin, url, code):
    issued = services.service_account_create(
        actor=security_admin, name="x", scopes=["read_statuses"]
    )
    response = _client(issued.key).post(
        "/api/v1/integration/webhooks/", {"url": url}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == code
    assert response.json()["detail"]["url"], response.json()


def test_webhook_urls_to_public_addresses_in_ipv6_forms_are_kept():
    # NAT64 of 1.1.1.1 and a plain global IPv6 address: public, so a subscription may use them.
    for url in ("https://[64:ff9b::101:101]/hook", "https://[2606:4700:4700::1111]/hook"):
        assert services.webhook_url_addresses(url)[0] == url


class _Receiver(BaseHTTPRequestHandler):
    received: list = []
    fail_first = 0

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        failing = type(self).fail_first > 0
        type(self).received.append((dict(self.headers), body, 503 if failing else 200))
        if failing:
            type(self).fail_first -= 1
            self.send_response(503)
        else:
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_TRUSTED_TEST_HOSTS = ["127.0.0.1"]
    _Receiver.received = []
    _Receiver.fail_first = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


def _subscribe(security_admin, receiver) -> tuple[APIClient, str]:
    issued = services.service_account_create(
        actor=security_admin,
        name=f"平台{ServiceAccount.objects.count() + 1}",
        scopes=["read_statuses"],
    )
    client = _client(issued.key)
    created = client.post("/api/v1/integration/webhooks/", {"url": receiver}, format="json")
    assert created.status_code == 201
    return client, created.json()["secret"]


def _pass(demo, case, capture) -> None:
    with capture(execute=True):
        application_transition(
            actor=demo["county_qindu"], application_id=case.pk, request=TransitionRequest("pass")
        )


def _verify(secret: str, headers: dict, body: bytes) -> bool:
    """What a receiving platform does with the documented scheme (not the portal's code)."""
    expected = hmac.new(
        secret.encode(), headers["X-Portal-Timestamp"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    fresh = abs(time.time() - int(headers["X-Portal-Timestamp"])) < 300
    return fresh and hmac.compare_digest(headers["X-Portal-Signature"], f"sha256={expected}")


def test_status_change_is_delivered_signed_and_retried_with_backoff(
    security_admin, case_factory, demo, receiver, django_capture_on_commit_callbacks
):
    case = case_factory(Status.COUNTY_REVIEW)
    client, secret = _subscribe(security_admin, receiver)
    _Receiver.fail_first = 3  # the receiver is down for three attempts
    _pass(demo, case, django_capture_on_commit_callbacks)
    # The delivery is a row of the shared outbox, written with the decision.
    message = OutboxMessage.objects.get(kind="webhook")
    assert message.dedup_key == f"webhook:{message.payload['idempotency_key']}"
    # The eager on-commit publish tried once and got 503: kept, retried later, not lost.
    waits = []
    for attempt in (1, 2, 3):
        message.refresh_from_db()
        assert (message.state, message.attempts) == ("pending", attempt)
        assert "HTTP 503" in message.last_error
        waits.append((message.available_at - timezone.now()).total_seconds())
        outbox_deliver_pending()  # a sweep now leaves it alone: not due yet (backoff)
        assert OutboxMessage.objects.get(pk=message.pk).attempts == attempt
        OutboxMessage.objects.filter(pk=message.pk).update(available_at=timezone.now())
        outbox_deliver_pending()
    # Exponential backoff: 30 s, 60 s, 120 s after the 1st, 2nd and 3rd failure.
    for wait, expected in zip(waits, (30, 60, 120), strict=True):
        assert expected - 5 < wait <= expected
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("done", 4)
    # Delivered exactly once: a later sweep sends nothing more.
    outbox_deliver_pending(ignore_backoff=True)
    assert len(_Receiver.received) == 4
    assert [r[2] for r in _Receiver.received] == [503, 503, 503, 200]
    assert len({h["Idempotency-Key"] for h, _b, _s in _Receiver.received}) == 1
    for headers, body, _status in _Receiver.received:
        assert _verify(secret, headers, body)
        assert headers["Idempotency-Key"] == message.payload["idempotency_key"]
    headers, body, _status = _Receiver.received[-1]
    assert not _verify("another-secret", headers, body)
    payload = json.loads(body)
    assert (payload["reference"], payload["from"], payload["to"]) == (
        case.reference,
        "county_review",
        "department_review",
    )
    log = client.get("/api/v1/integration/webhooks/deliveries/").json()
    assert log["count"] == 1
    entry = log["results"][0]
    assert (entry["state"], entry["attempts"], entry["next_attempt_at"]) == ("delivered", 4, None)
    assert entry["idempotency_key"] == headers["Idempotency-Key"]
    assert entry["payload"]["reference"] == case.reference and entry["delivered_at"]


def test_delivery_log_is_per_account_and_shows_the_failure(
    security_admin, case_factory, demo, receiver, django_capture_on_commit_callbacks
):
    case = case_factory(Status.COUNTY_REVIEW)
    client, _secret = _subscribe(security_admin, receiver)
    other, _ = _subscribe(security_admin, receiver)
    _Receiver.fail_first = 1
    _pass(demo, case, django_capture_on_commit_callbacks)
    assert OutboxMessage.objects.filter(kind="webhook").count() == 2  # one per subscriber
    logs = [
        c.get("/api/v1/integration/webhooks/deliveries/").json()["results"] for c in (client, other)
    ]
    assert [len(log) for log in logs] == [1, 1]  # each account sees only its own delivery
    first, second = logs[0][0], logs[1][0]
    assert first["idempotency_key"] != second["idempotency_key"]
    failed, delivered = sorted((first, second), key=lambda e: e["state"] != "pending")
    assert (failed["state"], delivered["state"]) == ("pending", "delivered")
    assert "HTTP 503" in failed["last_error"] and failed["next_attempt_at"]
    # The reason in words comes first: a service account reads it, not a traceback.
    assert failed["last_error"].startswith("接收方返回 HTTP 503"), failed["last_error"]


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (urllib.error.URLError(ConnectionRefusedError(111, "Connection refused")), "对方拒绝连接"),
        (TimeoutError("timed out"), "连接超时"),
        (urllib.error.URLError(ssl.SSLCertVerificationError("bad cert")), "TLS 连接失败"),
        (ValueError("boom"), "处理失败"),
    ],
)
def test_delivery_errors_are_recorded_with_a_reason_in_words(exc, reason):
    from outbox.services import failure_text

    text = failure_text(exc)
    assert text.startswith(reason) and type(exc).__name__ in text


def test_address_is_checked_again_at_delivery_and_rollback_sends_nothing(
    security_admin, case_factory, demo, receiver, settings, django_capture_on_commit_callbacks
):
    case = case_factory(Status.COUNTY_REVIEW)
    _subscribe(security_admin, receiver)
    with pytest.raises(RuntimeError), transaction.atomic():
        application_transition(
            actor=demo["county_qindu"], application_id=case.pk, request=TransitionRequest("pass")
        )
        raise RuntimeError("the decision is rolled back")
    assert not OutboxMessage.objects.filter(kind="webhook").exists()
    settings.WEBHOOK_TRUSTED_TEST_HOSTS = []  # the receiver is now a plain-http loopback address
    _pass(demo, case, django_capture_on_commit_callbacks)
    message = OutboxMessage.objects.get(kind="webhook")
    assert message.state == "pending" and "https" in message.last_error
    assert _Receiver.received == []


def test_unsubscribed_receiver_gets_nothing(
    security_admin, case_factory, demo, receiver, django_capture_on_commit_callbacks
):
    case = case_factory(Status.COUNTY_REVIEW)
    client, _secret = _subscribe(security_admin, receiver)
    subscription_id = client.get("/api/v1/integration/webhooks/").json()[0]["id"]
    with django_capture_on_commit_callbacks(execute=False):  # the broker is away
        application_transition(
            actor=demo["county_qindu"], application_id=case.pk, request=TransitionRequest("pass")
        )
    assert client.delete(f"/api/v1/integration/webhooks/{subscription_id}/").status_code == 204
    # Again is still done (idempotent); an id that is not this account's is not found.
    assert client.delete(f"/api/v1/integration/webhooks/{subscription_id}/").status_code == 204
    missing = client.delete(f"/api/v1/integration/webhooks/{subscription_id + 1000}/")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    outbox_deliver_pending()
    message = OutboxMessage.objects.get(kind="webhook")
    assert (message.state, message.attempts) == ("done", 1)
    assert _Receiver.received == []


def test_rotating_shows_the_new_key_once_with_the_page_controls(security_admin, client):
    issued = services.service_account_create(
        actor=security_admin, name="咸企通", scopes=["read_policy"]
    )
    client.force_login(security_admin)
    response = client.post(f"/integrations/accounts/{issued.account.pk}/rotate/")
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="issued-key"' in page
    # The page after a rotation keeps its controls (it lost them: no can_edit in its context).
    assert "/rotate/" in page and 'data-testid="account-form"' in page
    assert "no-store" in response["Cache-Control"]  # the shown-once key is never cached


def test_keys_page_names_the_scopes_and_asks_before_rotating(security_admin, client):
    services.service_account_create(
        actor=security_admin, name="咸企通", scopes=["read_policy", "read_statuses"]
    )
    client.force_login(security_admin)
    page = client.get("/integrations/accounts/").content.decode()
    # The account's row names the scopes the administrator chose from, not the stored codes.
    row = page[page.index("<td>咸企通") :]
    row = row[: row.index("</tr>")]
    assert "读取政策、按统一社会信用代码读取申报状态" in row
    assert "read_statuses" not in row
    rotate = page[page.index("/rotate/") :]
    rotate = rotate[: rotate.index("</form>")]
    assert 'data-confirm="更换后旧密钥立即失效' in rotate
    revoke = page[page.index("/revoke/") :]
    revoke = revoke[: revoke.index("</form>")]
    assert 'data-confirm="吊销后该平台立即无法调用接口' in revoke
    # The issue form's scopes: a group with a legend, each box labelled; Django's widget put
    # the input class on the group's <div> (labels ran down a 22 px column) and for="".
    form = page[page.index('data-testid="account-form"') :]
    assert "<legend" in form and 'for=""' not in form
    assert '<div id="id_scopes" class="form-check-input"' not in form
    for index in range(3):
        assert f'id="id_scopes_{index}"' in form and f'for="id_scopes_{index}"' in form


def test_a_second_live_key_of_the_same_name_is_refused(security_admin):
    services.service_account_create(actor=security_admin, name="陕企通", scopes=["read_policy"])
    with pytest.raises(DomainError) as info:
        services.service_account_create(
            actor=security_admin, name=" 陕企通 ", scopes=["read_policy"]
        )
    assert "已有有效密钥" in info.value.detail["name"][0]
    account = ServiceAccount.objects.get()
    services.service_account_revoke(actor=security_admin, account_id=account.pk, reason="停用")
    services.service_account_create(actor=security_admin, name="陕企通", scopes=["read_policy"])
    assert ServiceAccount.objects.count() == 2


def test_a_portal_token_on_an_integration_operation_is_told_what_to_send(demo):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token abc")
    response = client.get("/api/v1/integration/policy/")
    assert response.status_code == 401
    assert "Api-Key" in response.json()["message"]
    assert APIClient().get("/api/v1/integration/policy/").status_code == 401


def test_delivery_connects_to_the_address_it_checked_not_a_second_lookup(
    security_admin, monkeypatch
):
    """DNS rebinding: a name that answers a public address for the check and 127.0.0.1 for the
    connection must not reach inside. Delivery resolves once and connects to that address."""
    import socket as socket_module

    from integrations import webhooks
    from integrations.models import WebhookSubscription

    account = services.service_account_create(
        actor=security_admin, name="平台", scopes=["read_statuses"]
    ).account
    subscription = WebhookSubscription.objects.create(
        account=account, url="https://hooks.example/h", secret="s" * 64
    )
    answers = iter(["93.184.216.34", "127.0.0.1"])  # the rebinding name's two answers
    lookups = []

    def getaddrinfo(host, port, *args, **kwargs):
        lookups.append(host)
        return [(socket_module.AF_INET, socket_module.SOCK_STREAM, 6, "", (next(answers), port))]

    connected = []

    def create_connection(address, *args, **kwargs):
        connected.append(address)
        raise ConnectionRefusedError("test: no network")

    monkeypatch.setattr(services.socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(webhooks.socket, "create_connection", create_connection)
    payload = {
        "subscription": subscription.pk,
        "body": {"x": 1},
        "idempotency_key": "k",
        "event": "application.status_changed",
    }
    with pytest.raises(OSError):
        webhooks.webhook_deliver(payload)
    assert lookups == ["hooks.example"]
    assert connected == [("93.184.216.34", 443)]


def test_an_integration_key_on_a_user_operation_is_told_what_to_send(security_admin):
    issued = services.service_account_create(
        actor=security_admin, name="x", scopes=["read_statuses"]
    )
    response = _client(issued.key).get("/api/v1/applications/")
    assert response.status_code == 401
    message = response.json()["message"]
    assert "/api/v1/integration/" in message and "Token" in message, message


def test_one_subscription_per_address(security_admin):
    """Two subscriptions of one address sent each change twice, under different keys."""
    issued = services.service_account_create(
        actor=security_admin, name="x", scopes=["read_statuses"]
    )
    client = _client(issued.key)
    first = client.post("/api/v1/integration/webhooks/", {"url": "https://8.8.8.8/h"})
    assert first.status_code == 201, first.content
    again = client.post("/api/v1/integration/webhooks/", {"url": "https://8.8.8.8/h"})
    assert again.status_code == 409 and again.json()["code"] == "duplicate_subscription"
    assert issued.account.subscriptions.filter(active=True).count() == 1


def test_an_expired_key_receives_no_status_changes(security_admin, case_factory, demo):
    from integrations.webhooks import KIND

    issued = services.service_account_create(
        actor=security_admin, name="x", scopes=["read_statuses"]
    )
    assert (
        _client(issued.key)
        .post("/api/v1/integration/webhooks/", {"url": "https://8.8.8.8/h"})
        .status_code
        == 201
    )
    ServiceAccount.objects.filter(pk=issued.account.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    case = case_factory("county_review")
    application_transition(
        actor=demo["county_qindu"],
        application_id=case.pk,
        request=TransitionRequest(action="pass", comment="同意"),
    )
    assert not OutboxMessage.objects.filter(kind=KIND).exists()
