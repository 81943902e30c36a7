"""The queue page: filters, search, sorting, counts, and a constant number of queries."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Organisation
from applications.models import Application, DuplicateFlag, Status


def _clone(template, n, start=0):
    rows = [
        Application(
            reference=f"SBQ{template.pk}-{i:05d}",
            organisation=template.organisation,
            place_id=template.place_id,
            round=template.round,
            clause=template.clause,
            rule_version=template.rule_version,
            status=Status.COUNTY_REVIEW,
            facts=template.facts,
            evaluation=template.evaluation,
            computed_amount=Decimal(1000 + i),
            amount_kind="ceiling",
            basis=f"q{i}",
            created_by=template.created_by,
            stage_entered_at=template.stage_entered_at,
        )
        for i in range(start, start + n)
    ]
    Application.objects.bulk_create(rows)


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_filters_search_and_counts(case_factory, demo, client):
    a = case_factory(Status.COUNTY_REVIEW)
    b = case_factory(
        Status.COUNTY_REVIEW,
        clause_code="M02-SPECIALISED-SME",
        facts={"level": "provincial", "recognised_on": "2025-08-01", "certificate_no": "B"},
    )
    DuplicateFlag.objects.filter(application=b).delete()
    DuplicateFlag.objects.create(application=b, kind="other_municipal_funding", message="x")
    client.force_login(demo["county_qindu"])
    org = Organisation.objects.get(pk=a.organisation_id)
    by_uscc = client.get("/reviews/", {"q": org.uscc}).content.decode()
    assert a.reference in by_uscc
    flagged = client.get("/reviews/", {"flagged": "true"}).content.decode()
    assert b.reference in flagged and a.reference not in flagged
    rich = client.get("/reviews/", {"amount_min": "150000"}).content.decode()
    assert a.reference in rich and b.reference not in rich  # 80万 ceiling vs 10万
    by_measure = client.get("/reviews/", {"measure": b.clause.measure_id}).content.decode()
    assert b.reference in by_measure and a.reference not in by_measure
    counts = client.get("/reviews/").content.decode()
    assert "县区初审" in counts


def test_bad_filter_values_do_not_500(case_factory, demo, client):
    case_factory(Status.COUNTY_REVIEW)
    client.force_login(demo["county_qindu"])
    response = client.get(
        "/reviews/", {"amount_min": "lots", "round": "x", "waiting_days": "-3", "sort": "nope"}
    )
    assert response.status_code == 200
    api = client.get("/api/v1/reviews/queue/", {"amount_min": "lots"})
    assert api.status_code == 400
    assert api.json()["code"] == "invalid"


def test_status_filter_offers_every_queue_status_as_a_tick_and_never_drafts(
    case_factory, demo, client
):
    a = case_factory(Status.COUNTY_REVIEW)
    client.force_login(demo["county_qindu"])
    page = client.get(
        "/reviews/", {"status": [Status.COUNTY_REVIEW, Status.APPROVED]}
    ).content.decode()
    ticks = re.findall(
        r'<input class="form-check-input" type="checkbox" name="status" '
        r'value="([a-z_]+)" id="id_status_\d+"( checked)?>',
        page,
    )
    offered = {value for value, _checked in ticks}
    assert offered == {value for value, _label in Status.choices} - {Status.DRAFT}
    assert {value for value, checked in ticks if checked} == {Status.COUNTY_REVIEW, Status.APPROVED}
    assert a.reference in page
    assert '<select name="status"' not in page
    refused = client.get("/api/v1/reviews/queue/", {"status": Status.DRAFT})
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid"


def test_audit_log_filter_and_export(case_factory, demo, client):
    case = case_factory(Status.COUNTY_REVIEW)
    from applications.lifecycle.engine import TransitionRequest, application_transition
    from applications.lifecycle.transitions import Action

    application_transition(
        actor=demo["county_qindu"],
        application_id=case.pk,
        request=TransitionRequest(Action.PASS, comment="审计测试"),
    )
    client.force_login(demo["auditor"])
    body = client.get("/reviews/audit/", {"actor": "county_qindu"}).content.decode()
    assert "审计测试" in body
    export = client.get("/reviews/audit/", {"actor": "county_qindu", "export": "xlsx"})
    import io

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(export.content)).active
    assert sheet.freeze_panes == "A2"  # the header row stays in view
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("时间", "操作人", "动作")
    assert any(r[1] == "秦都区工信局 张审核" and r[2] == "审核通过" for r in rows[1:])


@pytest.mark.parametrize(
    "username", ["county_qindu", "qindu_corp", "finance", "policy_admin", "security_admin"]
)
def test_audit_log_closed_to_others(demo, client, username):
    client.force_login(demo[username])
    assert client.get("/reviews/audit/").status_code == 403


def test_audit_events_cannot_be_edited(case_factory):
    from django.db import DatabaseError, transaction

    from audit.models import AuditEvent

    case_factory(Status.COUNTY_REVIEW)
    event = AuditEvent.objects.first()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(comment="改写")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()


def test_the_audit_log_names_a_case_by_its_clause_title_not_its_code(case_factory, demo, client):
    case = case_factory(Status.COUNTY_REVIEW)
    client.force_login(demo["auditor"])
    page = client.get("/reviews/audit/").content.decode()
    rows = [row for row in page.split("<tr>") if case.reference in row]
    assert rows
    for row in rows:
        assert f"{case.reference} {case.organisation.legal_name} {case.clause.title}" in row
        assert case.clause.code not in row


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"date_from": "2026-13-45"}, "有效的日期"),
        ({"date_from": "2026-03-01", "date_to": "2026-02-01"}, "截止日期不能早于起始日期"),
        ({"action": "withdraw"}, "有效的选项"),
    ],
)
def test_a_refused_audit_filter_lists_nothing_and_says_why(case_factory, demo, client, query, says):
    case = case_factory(Status.COUNTY_REVIEW)
    client.force_login(demo["auditor"])
    page = client.get("/reviews/audit/", query).content.decode()
    assert says in page and "筛选条件有误" in page
    assert case.reference not in page  # every event listed read as the filtered result
    export = client.get("/reviews/audit/", {**query, "export": "xlsx"})
    assert export["Content-Type"].startswith("text/html")  # the page with the error, no file


def test_the_audit_export_is_one_language_with_named_types_and_json_values(
    case_factory, demo, client
):
    import io
    import json

    from openpyxl import load_workbook

    case_factory(Status.COUNTY_REVIEW)
    client.force_login(demo["auditor"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/reviews/audit/"})
    export = client.get("/reviews/audit/", {"export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("时间", "操作人", "动作")
    submitted = next(r for r in rows[1:] if r[2] == "提交申报")  # not "Submitted" beside 时间
    assert submitted[3] == "申报"  # the model's name, not applications.application
    assert json.loads(submitted[6])["status"] == "county_review"  # JSON, not a Python repr
