"""The lifecycle engine as the one door: layering, notices, bulk rules, the outage command."""

from __future__ import annotations

import ast
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Department, Membership, Organisation, RoleAssignment
from applications.lifecycle import effects
from applications.lifecycle.engine import (
    TransitionRequest,
    application_transition,
    applications_transition_bulk,
)
from applications.lifecycle.transitions import TRANSITIONS
from applications.models import Decision, Status
from tests.helpers import api_as

ROOT = Path(__file__).resolve().parents[2]


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_applications_imports_nothing_from_reviews_or_payments():
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in _imported_modules(path) if m.split(".")[0] in {"reviews", "payments"}
        )
        for path in (ROOT / "applications").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_every_named_effect_has_a_handler():
    named = {name for t in TRANSITIONS for name in t.effects}
    assert named and effects.unregistered(named) == set()


def test_start_notice_through_the_api_creates_the_notice_with_its_period(case_factory, demo):
    from reviews.models import NoticeEntry

    case = case_factory(Status.PENDING_NOTICE, approved=Decimal("150000.00"))
    response = api_as(demo["approver"]).post(
        f"/api/v1/reviews/cases/{case.reference}/actions/",
        {"action": "start_notice"},
        format="json",
    )
    assert response.status_code == 200, response.content
    entry = NoticeEntry.objects.select_related("notice").get(application=case)
    notice = entry.notice
    assert notice.working_days == 5 and notice.starts_on <= notice.ends_on
    assert response.json()["status"] == Status.PUBLIC_NOTICE


def test_a_bare_status_move_to_notice_is_refused(case_factory, demo):
    case = case_factory(Status.PENDING_NOTICE, approved=Decimal("150000.00"))
    (result,) = applications_transition_bulk(
        actor=demo["approver"], application_ids=[case.pk], request=TransitionRequest("start_notice")
    )
    assert not result.ok and result.error.code == "notice_required"
    case.refresh_from_db()
    assert case.status == Status.PENDING_NOTICE


def test_notices_finish_due_command_ends_notices_missed_during_an_outage(case_factory, demo):
    from reviews.notices import notice_start

    case = case_factory(Status.PENDING_NOTICE, approved=Decimal("150000.00"))
    notice = notice_start(actor=demo["approver"], application_ids=[case.pk])
    call_command("notices_finish_due", "--today", notice.ends_on.isoformat())
    case.refresh_from_db()
    assert case.status == Status.PUBLIC_NOTICE  # not due yet on its last day
    day_after = notice.ends_on + timedelta(days=1)
    call_command("notices_finish_due", "--today", day_after.isoformat())
    case.refresh_from_db()
    assert case.status == Status.APPROVED
    assert Decision.objects.filter(application=case, kind="finish_notice", actor=None).exists()


def test_bad_date_for_the_command_is_a_clear_error():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("notices_finish_due", "--today", "31/12/2025")


def test_bulk_refuses_per_item_separation_of_duties_and_conflict_of_interest(case_factory, demo):
    reviewer = demo["county_qindu"]
    RoleAssignment.objects.create(
        user=reviewer, role="department_reviewer", department=Department.objects.get(code="miit")
    )
    acted_before = case_factory(Status.COUNTY_REVIEW)
    application_transition(
        actor=reviewer, application_id=acted_before.pk, request=TransitionRequest("pass")
    )
    own_org = case_factory(Status.DEPARTMENT_REVIEW, username="weicheng_corp")
    Membership.objects.create(
        user=reviewer, organisation=Organisation.objects.get(pk=own_org.organisation_id)
    )
    fine = case_factory(Status.DEPARTMENT_REVIEW)
    reviewer = type(reviewer).objects.get(pk=reviewer.pk)  # fresh scopes
    results = applications_transition_bulk(
        actor=reviewer,
        application_ids=[acted_before.pk, own_org.pk, fine.pk],
        request=TransitionRequest("recommend", use_case_amount=True),
    )
    outcome = {r.application_id: (r.ok, getattr(r.error, "code", None)) for r in results}
    assert outcome == {
        acted_before.pk: (False, "separation_of_duties"),
        own_org.pk: (False, "conflict_of_interest"),
        fine.pk: (True, None),
    }
    assert "两个环节" in results[0].message and "本人所在单位" in results[1].message
    fine.refresh_from_db()
    assert fine.status == Status.APPROVAL and fine.recommended_amount == fine.computed_amount


def test_bulk_through_the_api_reports_each_item(case_factory, demo):
    ready = case_factory(Status.COUNTY_REVIEW)
    elsewhere = case_factory(Status.DEPARTMENT_REVIEW)
    response = api_as(demo["county_qindu"]).post(
        "/api/v1/reviews/bulk/",
        {"action": "pass", "references": [ready.reference, elsewhere.reference, "NOPE"]},
        format="json",
    )
    assert response.status_code == 200
    results = {r["reference"]: r["ok"] for r in response.json()["results"]}
    assert results == {ready.reference: True, elsewhere.reference: False, "NOPE": False}


def test_payments_approval_time_reads_the_decision_row(case_factory, demo):
    from payments.selectors import approval_time_expression

    case = case_factory(Status.APPROVAL, recommended=Decimal("150000.00"))
    before = timezone.now()
    application_transition(
        actor=demo["approver"],
        application_id=case.pk,
        request=TransitionRequest("approve", amount="150000"),
    )
    from applications.models import Application

    approved_at = Application.objects.annotate(at=approval_time_expression()).get(pk=case.pk).at
    assert approved_at >= before
    assert approved_at == Decision.objects.get(application=case, kind="approve").created_at
