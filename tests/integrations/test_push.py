"""一企一档 pre-fills applications; 精准推送 tells each organisation what it likely qualifies for."""

from __future__ import annotations

from datetime import date

import pytest

from accounts.models import Notification, Organisation
from applications import services as application_services
from applications.models import Credential
from core.errors import DomainError
from integrations.models import PushPreference
from integrations.push import round_push
from integrations.services import push_preference_set
from measures.models import Clause


def _credential(
    demo, username, *, level="省级", on=date(2025, 8, 1), number="陕工信发〔2025〕12号"
):
    organisation = Organisation.objects.get(memberships__user=demo[username])
    return application_services.credential_add(
        actor=demo[username],
        organisation=organisation,
        clause=Clause.objects.get(code="M02-SPECIALISED-SME"),
        title="省级专精特新中小企业",
        level=level,
        obtained_on=on,
        number=number,
    )


def test_credential_prefills_the_application(demo, open_round_db):
    _credential(demo, "qindu_corp")
    organisation = Organisation.objects.get(memberships__user=demo["qindu_corp"])
    application = application_services.application_start(
        actor=demo["qindu_corp"],
        organisation=organisation,
        clause=Clause.objects.get(code="M02-SPECIALISED-SME"),
    )
    assert application.facts == {
        "level": "provincial",
        "recognised_on": "2025-08-01",
        "certificate_no": "陕工信发〔2025〕12号",
    }


def test_unknown_level_is_refused_next_to_the_field(demo, open_round_db):
    with pytest.raises(DomainError) as info:
        _credential(demo, "qindu_corp", level="市级")
    assert "国家级" in info.value.detail["level"][0]


def test_round_push_messages_likely_qualifiers_once(demo, open_round_db):
    _credential(demo, "qindu_corp")  # 省级, inside the policy's validity: 不超过10万元
    _credential(demo, "weicheng_corp", on=date(2024, 1, 5))  # before the policy: not eligible
    _credential(demo, "xingping_corp", level="国家级")
    push_preference_set(
        actor=demo["xingping_corp"],
        organisation=Organisation.objects.get(memberships__user=demo["xingping_corp"]),
        opted_out=True,
    )
    assert round_push(round_id=open_round_db.pk) == 1
    message = Notification.objects.get(user=demo["qindu_corp"])
    assert "政策推送" in message.subject and "最高10万元" in message.body
    assert message.link == "/applications/start/M02-SPECIALISED-SME/"
    assert not Notification.objects.filter(user=demo["weicheng_corp"]).exists()
    assert not Notification.objects.filter(user=demo["xingping_corp"]).exists()
    assert round_push(round_id=open_round_db.pk) == 0  # once per round
    assert Notification.objects.filter(user=demo["qindu_corp"]).count() == 1


def test_profile_page_adds_credentials_and_opts_out(demo, open_round_db, client):
    client.force_login(demo["qindu_corp"])
    response = client.post(
        "/integrations/profile/",
        {
            "c-clause": "M02-SPECIALISED-SME",
            "c-title": "国家级专精特新“小巨人”",
            "c-level": "国家级",
            "c-obtained_on": "2025-09-01",
            "c-number": "工信部企业函〔2025〕100号",
        },
    )
    assert response.status_code == 302
    assert Credential.objects.get().level == "national"
    bad = client.post(
        "/integrations/profile/",
        {"c-clause": "M02-SPECIALISED-SME", "c-title": "x", "c-level": "县级"},
    )
    assert bad.status_code == 200 and "请选择级别" in bad.content.decode()
    client.post("/integrations/profile/", {"p-opted_out": "on"})
    assert PushPreference.objects.get().opted_out
    client.force_login(demo["weicheng_corp"])  # another organisation cannot delete it
    client.post("/integrations/profile/", {"remove": Credential.objects.get().pk})
    assert Credential.objects.count() == 1


def test_profile_offers_only_clauses_the_enterprise_may_apply_for(demo, open_round_db, client):
    client.force_login(demo["qindu_corp"])
    page = client.get("/integrations/profile/").content.decode()
    assert 'value="M02-SPECIALISED-SME"' in page
    assert 'value="M01-TECH-CONTRACT-TURNOVER"' not in page  # counties and parks only
    assert "请选择条款" in page


def test_a_credential_from_the_future_or_twice_is_refused_and_changes_are_audited(
    demo, open_round_db
):
    from audit.models import AuditEvent

    with pytest.raises(DomainError) as info:
        _credential(demo, "qindu_corp", on=date(2099, 1, 1))
    assert info.value.code == "obtained_in_future"
    credential = _credential(demo, "qindu_corp")
    with pytest.raises(DomainError) as info:
        _credential(demo, "qindu_corp")
    assert info.value.code == "credential_exists"
    added = AuditEvent.objects.get(action="credential.add")
    assert added.after["title"] == "省级专精特新中小企业" and added.after["level"] == "provincial"
    application_services.credential_remove(actor=demo["qindu_corp"], credential_id=credential.pk)
    assert not Credential.objects.exists()
    assert (
        AuditEvent.objects.get(action="credential.remove").before["number"]
        == "陕工信发〔2025〕12号"
    )


def test_the_profile_page_names_clause_and_level_and_asks_before_removing(
    demo, open_round_db, client
):
    _credential(demo, "qindu_corp")
    client.force_login(demo["qindu_corp"])
    page = client.get("/integrations/profile/").content.decode()
    table = page[page.index('data-testid="credentials"') : page.index("</table>")]
    assert "M02-SPECIALISED-SME" not in table and "省级" in table and "provincial" not in table
    assert Clause.objects.get(code="M02-SPECIALISED-SME").title in table
    assert 'data-confirm="确定从资质档案中删除“省级专精特新中小企业”？"' in table
