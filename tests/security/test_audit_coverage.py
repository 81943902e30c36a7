"""The audit trail records who did what, when and from where for sign-ins by the API and by
password reset, and an initial password chosen by the security administrator does not last
(found by a 等保-style probe: API logins, resets and every non-security event's address were
missing, and an administrator's puppet account kept the password the administrator chose)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from rest_framework.test import APIClient

from accounts.demo import DEMO_PASSWORD
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_every_event_of_a_request_carries_the_clients_address(demo, client):
    client.force_login(demo["qindu_corp"])
    response = client.post(
        "/accounts/organisation/",
        {
            "contact_name": "张三",
            "contact_phone": "13800000000",
            "payee_name": "咸阳秦都精密制造有限公司",
            "bank_name": "中国银行咸阳分行",
            "bank_account": "6216612345678901",
        },
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="organisation.bank_account_change")
    assert event.ip_address == "203.0.113.7"


def test_api_sign_in_and_sign_out_are_audited(demo):
    client = APIClient()
    issued = client.post(
        "/api/v1/token/",
        {"username": "qindu_corp", "password": DEMO_PASSWORD},
        format="json",
        REMOTE_ADDR="198.51.100.4",
    )
    assert issued.status_code == 200, issued.content
    signed_in = AuditEvent.objects.get(action="security.token_issue")
    assert signed_in.actor == demo["qindu_corp"] and signed_in.ip_address == "198.51.100.4"
    client.credentials(HTTP_AUTHORIZATION=f"Token {issued.json()['token']}")
    assert client.post("/api/v1/token/revoke/?all=yes").status_code == 400  # not silently one
    assert client.post("/api/v1/token/revoke/").status_code == 204
    signed_out = AuditEvent.objects.get(action="security.token_revoke")
    assert signed_out.after == {"revoked": 1, "all": False}


def test_a_password_reset_is_audited_from_request_to_new_password(demo, client):
    user = demo["qindu_corp"]
    user.email = "qindu@example.com"
    user.save(update_fields=["email"])
    client.post("/accounts/password-reset/", {"email": "qindu@example.com"})
    client.post("/accounts/password-reset/", {"email": "nobody@example.com"})
    requested = AuditEvent.objects.filter(action="security.password_reset_request")
    assert sorted(e.object_repr for e in requested) == sorted([str(user), "(no account)"])
    link = re.search(r"/accounts/reset/\S+/\S+/", mail.outbox[-1].body).group(0)
    form_url = client.get(link).url  # Django swaps the token for a session and redirects
    done = client.post(
        form_url, {"new_password1": "Xy-long-unusual-9921", "new_password2": "Xy-long-unusual-9921"}
    )
    assert done.status_code == 302
    reset = AuditEvent.objects.get(action="security.password_reset")
    assert reset.actor == user


def test_an_initial_password_chosen_by_the_administrator_is_changed_first(demo, client):
    from accounts.services import staff_user_create

    staff = staff_user_create(
        actor=demo["security_admin"],
        username="aud2",
        full_name="新审计员",
        email="aud2@example.com",
        password="Initial-pass-8842",
        role="auditor",
    )
    assert staff.password_must_change
    client.force_login(staff)
    blocked = client.get("/reviews/audit/")
    assert blocked.status_code == 302 and blocked.url.startswith("/accounts/password/")
    changed = client.post(
        "/accounts/password/",
        {
            "old_password": "Initial-pass-8842",
            "new_password1": "Own-choice-pass-5517",
            "new_password2": "Own-choice-pass-5517",
        },
    )
    assert changed.status_code == 302, changed.content
    staff.refresh_from_db()
    assert not staff.password_must_change
    client.force_login(staff)
    assert client.get("/reviews/audit/").status_code == 200
