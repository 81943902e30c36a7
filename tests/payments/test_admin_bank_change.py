"""Issue 10 §4: a bank change in the Django admin goes through the profile service, so it is
audited, time-stamped and flagged in the next payment batch."""

from __future__ import annotations

from accounts.models import Organisation
from audit.models import AuditEvent


def _admin_form(org: Organisation, **changes) -> dict:
    data = {
        "legal_name": org.legal_name,
        "kind": org.kind,
        "place": org.place_id,
        "industry": org.industry,
        "contact_name": org.contact_name,
        "contact_phone": org.contact_phone,
        "contact_email": org.contact_email,
        "payee_name": org.payee_name,
        "bank_name": org.bank_name,
        "bank_account": org.bank_account,
        "override_reason": "",
    }
    return {**data, **changes}


def test_admin_bank_change_is_audited_and_flagged_in_the_next_batch(payable, build, demo, client):
    application = payable(username="weicheng_corp")
    untouched = payable(username="qindu_corp")
    org = Organisation.objects.get(pk=application.organisation_id)
    client.force_login(demo["policy_admin"])
    response = client.post(
        f"/admin/accounts/organisation/{org.pk}/change/",
        _admin_form(org, bank_account="6222000011112222333"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    org.refresh_from_db()
    assert org.bank_account == "6222000011112222333"
    assert org.bank_account_updated_at is not None
    event = AuditEvent.objects.get(action="organisation.bank_account_change", object_id=str(org.pk))
    assert event.actor == demo["policy_admin"]
    assert "bank_account" in event.after

    batch = build()
    assert batch.lines.get(application=application).bank_changed
    assert not batch.lines.get(application=untouched).bank_changed


def test_admin_edit_without_bank_change_is_audited_as_update(demo, client):
    org = Organisation.objects.get(uscc="91610400MA6T0XY00U")
    client.force_login(demo["policy_admin"])
    response = client.post(
        f"/admin/accounts/organisation/{org.pk}/change/", _admin_form(org, industry="软件")
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.bank_account_updated_at is None
    assert AuditEvent.objects.filter(action="organisation.update", object_id=str(org.pk)).exists()


def test_security_admin_cannot_edit_organisations_in_admin(demo, client):
    org = Organisation.objects.get(uscc="91610400MA6T0XY00U")
    client.force_login(demo["security_admin"])
    response = client.post(
        f"/admin/accounts/organisation/{org.pk}/change/", _admin_form(org, bank_account="1" * 16)
    )
    assert response.status_code == 403
    org.refresh_from_db()
    assert org.bank_account != "1" * 16
