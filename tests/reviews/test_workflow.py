"""The whole transition table, checked against a table written by hand from the product brief.

The expected answers below are NOT taken from `applications.lifecycle.transitions`: they are
the brief's lifecycle (草稿 → 县区初审 → 市级复审 → 审定 → 公示 → 已批准 → 拨付, with the side
exits 退回补正, 不予支持, 撤回 and 公示异议) and its roles, written out status × action → who
may act and where the case goes. Every other (status, action, actor) must be refused.
"""

from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from applications.lifecycle.engine import TransitionRequest, application_transition
from applications.lifecycle.transitions import Action
from applications.models import Decision, DuplicateFlag, Status
from core.errors import DomainError
from tests.conftest import SPECIALISED_SME_FACTS

# The steps that set an amount, from the workflow (product.md): the department recommends it
# (复审建议金额), the approver approves it (审定) and may amend an approved one (调整).
AMOUNT_ACTIONS = {Action.RECOMMEND, Action.APPROVE, Action.AMEND}


def _refused(actor, application_id: int, request: TransitionRequest) -> DomainError:
    """The engine's refusal of this request (the test fails if it goes through)."""
    with pytest.raises(DomainError) as info:
        application_transition(actor=actor, application_id=application_id, request=request)
    return info.value


# Who acts, as the demo users (None = a system job; "anonymous" = the public form).
ACTORS = {
    "applicant": "qindu_corp",
    "county_reviewer": "county_qindu",
    "department_reviewer": "dept_miit",
    "approver": "approver",
    "finance": "finance",
    "policy_admin": "policy_admin",
    "auditor": "auditor",
    "system": None,
    "anonymous": None,
}
REVIEWER = {"county_review": "county_reviewer", "department_review": "department_reviewer"}

# (status, action) → (who may act, the status it ends in). The measure used (M04 智能工厂)
# is reviewed by the county, then the department, then 审定.
EXPECTED = {
    ("county_review", "pass"): ({"county_reviewer"}, "department_review"),
    ("county_review", "return"): ({"county_reviewer"}, "returned"),
    ("county_review", "reject"): ({"county_reviewer"}, "rejected"),
    ("county_review", "withdraw"): ({"applicant"}, "withdrawn"),
    ("department_review", "recommend"): ({"department_reviewer"}, "approval"),
    ("department_review", "return"): ({"department_reviewer"}, "returned"),
    ("department_review", "reject"): ({"department_reviewer"}, "rejected"),
    ("department_review", "withdraw"): ({"applicant"}, "withdrawn"),
    ("approval", "approve"): ({"approver"}, "pending_notice"),
    ("approval", "return"): ({"approver"}, "returned"),
    ("approval", "reject"): ({"approver"}, "rejected"),
    ("approval", "withdraw"): ({"applicant"}, "withdrawn"),
    # back to the stage that returned it (the factory's returned cases came from the county)
    ("returned", "resubmit"): ({"applicant"}, "county_review"),
    ("returned", "withdraw"): ({"applicant"}, "withdrawn"),
    ("pending_notice", "start_notice"): ({"approver"}, "public_notice"),
    ("pending_notice", "reject"): ({"approver"}, "rejected"),
    # an objection comes from the public (the form, or the system relaying it)
    ("public_notice", "object"): ({"anonymous", "system"}, "objection"),
    ("public_notice", "finish_notice"): ({"system"}, "approved"),
    ("objection", "dismiss_objection"): ({"approver"}, "public_notice"),
    ("objection", "uphold_objection"): ({"approver"}, "rejected"),
    ("approved", "amend"): ({"approver"}, "approved"),
    ("approved", "add_to_batch"): ({"finance"}, "in_payment"),
    ("payment_failed", "add_to_batch"): ({"finance"}, "in_payment"),
    ("in_payment", "remove_from_batch"): ({"finance"}, "approved"),
    ("in_payment", "mark_paid"): ({"finance"}, "paid"),
    ("in_payment", "mark_failed"): ({"finance"}, "payment_failed"),
}
ACTIONS = [
    "submit", "resubmit", "withdraw", "pass", "recommend", "approve", "return", "reject",
    "start_notice", "object", "dismiss_objection", "uphold_objection", "finish_notice", "amend",
    "add_to_batch", "remove_from_batch", "mark_paid", "mark_failed",
]  # fmt: skip
STATUSES = [
    "county_review", "department_review", "approval", "pending_notice", "public_notice",
    "objection", "approved", "in_payment", "paid", "payment_failed", "returned", "rejected",
    "withdrawn",
]  # fmt: skip


def test_every_status_action_actor(case_factory, demo):
    from reviews.models import Notice

    today = timezone.localdate()
    notice = Notice.objects.create(
        title="公示", starts_on=today, ends_on=today, working_days=1, created_by=demo["approver"]
    )
    allowed = refused = 0
    for status in STATUSES:
        application = case_factory(
            status, recommended=Decimal("150000.00"), approved=Decimal("150000.00")
        )
        # Other cases of the same organisation raise "possible duplicate" flags; clear them here.
        DuplicateFlag.objects.update(resolved_at=timezone.now(), resolution="已核实")
        for action in ACTIONS:
            who, target = EXPECTED.get((status, action), (set(), None))
            for kind, username in ACTORS.items():
                with transaction.atomic():
                    try:
                        moved = application_transition(
                            actor=demo[username] if username else None,
                            application_id=application.pk,
                            request=TransitionRequest(
                                action,
                                comment="审核意见",
                                # An amount only where the step sets one (else refused).
                                amount="150000.00" if action in AMOUNT_ACTIONS else None,
                                amount_basis="依据",
                                details={"notice": notice.pk},
                            ),
                            system=kind == "system",
                        )
                    except DomainError as exc:
                        assert kind not in who, f"{status} {action} {kind} refused: {exc.message}"
                        assert exc.message and exc.status_code in (400, 403, 409)
                        refused += 1
                    else:
                        assert kind in who, f"{status} {action} by {kind} was allowed"
                        assert moved.status == target, (status, action, moved.status)
                        decision = Decision.objects.filter(application=application).latest("id")
                        assert (decision.kind, decision.stage, decision.target) == (
                            action,
                            status,
                            target,
                        )
                        assert decision.actor == (demo[username] if username else None)
                        allowed += 1
                    transaction.set_rollback(True)
    assert allowed == sum(len(who) for who, _target in EXPECTED.values())
    assert refused == len(STATUSES) * len(ACTIONS) * len(ACTORS) - allowed


def test_decision_rows_record_amounts_and_feed_separation_of_duties(case_factory, demo):
    application = case_factory(Status.DEPARTMENT_REVIEW)
    application_transition(
        actor=demo["dept_miit"],
        application_id=application.pk,
        request=TransitionRequest("recommend", amount="120000", comment="符合条件"),
    )
    application_transition(
        actor=demo["approver"],
        application_id=application.pk,
        request=TransitionRequest("approve", amount="100000", comment="同意"),
    )
    rows = list(
        application.decisions.exclude(kind="submit").values_list(
            "kind", "amount_before", "amount_after"
        )
    )
    assert rows == [
        ("recommend", None, Decimal("120000.00")),
        ("approve", Decimal("120000.00"), Decimal("100000.00")),
    ]


def test_refusals_render_as_messages_in_pages_not_500(client, case_factory, demo):
    application = case_factory(Status.COUNTY_REVIEW)
    client.force_login(demo["county_qindu"])
    response = client.post(
        f"/reviews/cases/{application.reference}/act/",
        {"action": "approve", "revision": application.revision},
        follow=True,
    )
    # The case page again (a refusal, not a 500), with the reason at the top.
    # 409: the case's state, not the request, is what refuses it.
    assert response.status_code == 409
    body = response.content.decode()
    assert "不能执行" in body and 'data-testid="actions"' in body


def test_stale_page_is_refused(case_factory, demo):
    application = case_factory(Status.COUNTY_REVIEW)
    stale = application.revision
    application_transition(
        actor=demo["county_qindu"],
        application_id=application.pk,
        request=TransitionRequest(Action.PASS),
    )
    refusal = _refused(
        demo["county_qindu"],
        application.pk,
        TransitionRequest(Action.RETURN, comment="x", expected_revision=stale),
    )
    assert refusal.code == "stale"


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("200000.01", "amount_above_ceiling"),
        ("-1", "invalid_amount"),
        ("-0.00", "invalid_amount"),
        # ¥0 would be published and sealed in a letter: refusing is 不予支持, not a zero award.
        ("0", "amount_zero"),
        ("0.00", "amount_zero"),
        ("100.001", "invalid_amount"),
        ("abc", "invalid_amount"),
        ("", "amount_required"),
    ],
)
def test_bad_amounts_refused_and_nothing_changes(case_factory, demo, amount, code):
    application = case_factory(
        Status.DEPARTMENT_REVIEW, clause_code="M02-SPECIALISED-SME", facts=SPECIALISED_SME_FACTS
    )
    refusal = _refused(
        demo["dept_miit"], application.pk, TransitionRequest(Action.RECOMMEND, amount=amount)
    )
    assert refusal.code == code
    application.refresh_from_db()
    assert application.status == Status.DEPARTMENT_REVIEW and application.recommended_amount is None


def test_fixed_amount_must_match(application_factory, demo):
    from applications.models import Application

    app = application_factory(
        clause_code="M03-INDUSTRIAL-BOUTIQUE",
        facts={
            "recognised_on": "2025-08-01",
            "product_name": "精品A",
            "certificate_no": "陕工信〔2025〕1号",
        },
        submit=True,
    )
    Application.objects.filter(pk=app.pk).update(status=Status.DEPARTMENT_REVIEW)
    refusal = _refused(
        demo["dept_miit"], app.pk, TransitionRequest(Action.RECOMMEND, amount="40000")
    )
    assert refusal.code == "amount_not_fixed"


def test_unspecified_amount_needs_written_basis(application_factory, demo):
    from applications.models import Application

    app = application_factory(
        clause_code="M14-EMERGENCY-PERFORMANCE-A",
        facts={"rated_on": "2025-08-01", "rating_document": "A级文件1"},
        submit=True,
    )
    Application.objects.filter(pk=app.pk).update(status=Status.DEPARTMENT_REVIEW)
    refusal = _refused(
        demo["dept_miit"], app.pk, TransitionRequest(Action.RECOMMEND, amount="50000")
    )
    assert refusal.code == "basis_required"
    moved = application_transition(
        actor=demo["dept_miit"],
        application_id=app.pk,
        request=TransitionRequest(
            Action.RECOMMEND, amount="50000", amount_basis="参照2024年同类奖励标准"
        ),
    )
    assert moved.recommended_amount == Decimal("50000.00")


@pytest.mark.parametrize(
    ("status", "username", "action"),
    [
        (Status.COUNTY_REVIEW, "county_qindu", Action.PASS),
        (Status.COUNTY_REVIEW, "county_qindu", Action.RETURN),
    ],
)
def test_an_amount_given_with_an_action_that_sets_none_is_refused(
    case_factory, demo, status, username, action
):
    application = case_factory(status)
    refusal = _refused(
        demo[username], application.pk, TransitionRequest(action, comment="意见", amount="1.005")
    )
    assert refusal.code == "amount_not_expected"
    application.refresh_from_db()
    assert application.status == status
