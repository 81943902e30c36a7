"""The integrations pages' operations through the API (issue 15, Deliver 1): integration
accounts (security administrator), the imported 免申即享 lists (policy administrator) and
the enterprise's 一企一档 credentials and push opt-out, with the same services and rules
as the pages."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from applications.models import Credential
from audit.models import AuditEvent
from integrations.models import PushPreference, ServiceAccount


def _as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _with_key(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def test_security_admin_issues_rotates_and_revokes_keys(demo, open_round_db):
    admin = _as(demo["security_admin"])
    created = admin.post(
        "/api/v1/service-accounts/",
        {"name": "陕企通", "scopes": ["read_policy"], "valid_days": 30},
        format="json",
    )
    assert created.status_code == 201, created.content
    first_key = created.json()["key"]
    account_id = created.json()["account"]["id"]
    # The key is shown once and works for its scope only.
    assert _with_key(first_key).get("/api/v1/integration/policy/").status_code == 200
    assert first_key not in admin.get("/api/v1/service-accounts/").content.decode()
    listed = admin.get("/api/v1/service-accounts/").json()
    assert listed["count"] == 1 and listed["results"][0]["name"] == "陕企通"

    rotated = admin.post(f"/api/v1/service-accounts/{account_id}/rotate/")
    assert rotated.status_code == 200
    second_key = rotated.json()["key"]
    assert second_key != first_key
    assert _with_key(first_key).get("/api/v1/integration/policy/").status_code == 401
    assert _with_key(second_key).get("/api/v1/integration/policy/").status_code == 200

    no_reason = admin.post(f"/api/v1/service-accounts/{account_id}/revoke/", {}, format="json")
    assert no_reason.status_code == 400
    assert "reason" in no_reason.json()["detail"]
    revoked = admin.post(
        f"/api/v1/service-accounts/{account_id}/revoke/", {"reason": "平台停用"}, format="json"
    )
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert _with_key(second_key).get("/api/v1/integration/policy/").status_code == 401
    assert set(
        AuditEvent.objects.filter(object_id=str(account_id)).values_list("action", flat=True)
    ) >= {"service_account.create", "service_account.rotate", "service_account.revoke"}


def test_bad_key_requests_are_refused_with_field_errors(demo):
    admin = _as(demo["security_admin"])
    for body, field in (
        ({"name": "x", "scopes": ["everything"]}, "scopes"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": ["read_policy"], "valid_days": 0}, "valid_days"),
        ({"scopes": ["read_policy"]}, "name"),
    ):
        response = admin.post("/api/v1/service-accounts/", body, format="json")
        assert response.status_code == 400, body
        assert field in response.json()["detail"], body
    assert not ServiceAccount.objects.exists()
    missing = admin.post("/api/v1/service-accounts/999999/rotate/")
    assert missing.status_code == 404


def test_auditor_reads_keys_and_lists_but_changes_nothing(demo):
    auditor = _as(demo["auditor"])
    assert auditor.get("/api/v1/service-accounts/").status_code == 200
    assert auditor.get("/api/v1/recognition-lists/").status_code == 200
    refused = auditor.post(
        "/api/v1/service-accounts/", {"name": "x", "scopes": ["read_policy"]}, format="json"
    )
    assert refused.status_code == 403
    assert not ServiceAccount.objects.exists()
    for username in ("policy_admin", "approver", "qindu_corp"):
        assert _as(demo[username]).get("/api/v1/service-accounts/").status_code == 403
    assert _as(demo["approver"]).get("/api/v1/recognition-lists/").status_code == 403


def test_enterprise_keeps_its_credentials_and_push_preference(demo, open_round_db):
    corp = _as(demo["qindu_corp"])
    created = corp.post(
        "/api/v1/profile/credentials/",
        {
            "clause": "M02-SPECIALISED-SME",
            "title": "省级专精特新中小企业",
            "level": "省级",
            "obtained_on": "2025-08-01",
            "number": "陕工信发〔2025〕12号",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    credential_id = created.json()["id"]
    listed = corp.get("/api/v1/profile/credentials/").json()
    assert [c["number"] for c in listed["results"]] == ["陕工信发〔2025〕12号"]

    # Another enterprise neither sees nor removes it.
    other = _as(demo["weicheng_corp"])
    assert other.get("/api/v1/profile/credentials/").json()["count"] == 0
    assert other.delete(f"/api/v1/profile/credentials/{credential_id}/").status_code == 404
    assert Credential.objects.filter(pk=credential_id).exists()

    bad = corp.post(
        "/api/v1/profile/credentials/",
        {"clause": "NO-SUCH-CLAUSE", "title": "x", "level": "省级"},
        format="json",
    )
    assert bad.status_code == 400 and "clause" in bad.json()["detail"]
    bad_level = corp.post(
        "/api/v1/profile/credentials/",
        {"clause": "M02-SPECIALISED-SME", "title": "x", "level": "宇宙级"},
        format="json",
    )
    assert bad_level.status_code == 400 and "level" in bad_level.json()["detail"]

    assert corp.delete(f"/api/v1/profile/credentials/{credential_id}/").status_code == 204
    assert not Credential.objects.filter(pk=credential_id).exists()

    assert corp.get("/api/v1/profile/push-preference/").json() == {"opted_out": False}
    put = corp.put("/api/v1/profile/push-preference/", {"opted_out": True}, format="json")
    assert put.status_code == 200 and put.json() == {"opted_out": True}
    assert PushPreference.objects.get(organisation__uscc="91610400MA6T0XY00U").opted_out
    assert corp.put("/api/v1/profile/push-preference/", {}, format="json").status_code == 400


@pytest.mark.parametrize("username", ["county_qindu", "policy_admin"])
def test_staff_have_no_organisation_profile(demo, username):
    assert _as(demo[username]).get("/api/v1/profile/credentials/").status_code == 404
