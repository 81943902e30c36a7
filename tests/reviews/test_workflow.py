"""The whole transition table: every status × action × actor, allowed or refused, never a 500."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from applications.models import DuplicateFlag, Status
from reviews.services import TransitionRequest, application_transition
from reviews.workflow import APPLICANT, PUBLIC, SYSTEM, TRANSITIONS, Action
from tests.conftest import SPECIALISED_SME_FACTS
from xianyang_portal.errors import DomainError

ACTORS = {
    APPLICANT: "qindu_corp",
    "county_reviewer": "county_qindu",
    "department_reviewer": "dept_miit",
    "approver": "approver",
    "finance": "finance",
    "policy_admin": "policy_admin",
    "auditor": "auditor",
    SYSTEM: None,
}
ALL_ACTIONS = [v for k, v in vars(Action).items() if k.isupper()]
ALLOWED = {(t.source, t.action): t.actors for t in TRANSITIONS}


def test_every_status_action_actor(case_factory, demo):
    outcomes = {"allowed": 0, "refused": 0}
    for status in Status.values:
        if status == Status.DRAFT:
            continue  # drafts move only through the submit service (tested with applications)
        application = case_factory(
            status, recommended=Decimal("150000.00"), approved=Decimal("150000.00")
        )
        # Other cases of the same organisation raise "possible duplicate" flags; clear them here.
        DuplicateFlag.objects.update(resolved_at=timezone.now(), resolution="已核实")
        for action in ALL_ACTIONS:
            for kind, username in ACTORS.items():
                actors = ALLOWED.get((status, action), frozenset())
                expected = kind in actors or (kind == SYSTEM and PUBLIC in actors)
                with transaction.atomic():
                    try:
                        moved = application_transition(
                            actor=demo[username] if username else None,
                            application_id=application.pk,
                            request=TransitionRequest(
                                action, comment="审核意见", amount="150000.00", amount_basis="依据"
                            ),
                            system=username is None,
                        )
                    except DomainError as exc:
                        assert not expected, f"{status} {action} {kind} refused: {exc.message}"
                        assert exc.message and exc.status_code in (400, 403, 409)
                        outcomes["refused"] += 1
                    else:
                        assert expected, f"{status} {action} {kind} was allowed"
                        assert moved.status != status or action == Action.AMEND
                        outcomes["allowed"] += 1
                    transaction.set_rollback(True)
    assert outcomes["allowed"] == len([t for t in TRANSITIONS if t.source != Status.DRAFT])
    assert outcomes["refused"] > 1000


def test_refusals_render_as_messages_in_pages_not_500(client, case_factory, demo):
    application = case_factory(Status.COUNTY_REVIEW)
    client.force_login(demo["county_qindu"])
    response = client.post(
        f"/reviews/cases/{application.reference}/act/",
        {"action": "approve", "revision": application.revision},
        follow=True,
    )
    assert response.status_code == 200
    assert "不能执行" in response.content.decode()


def test_stale_page_is_refused(case_factory, demo):
    application = case_factory(Status.COUNTY_REVIEW)
    stale = application.revision
    application_transition(
        actor=demo["county_qindu"],
        application_id=application.pk,
        request=TransitionRequest(Action.PASS),
    )
    with pytest.raises(DomainError) as info:
        application_transition(
            actor=demo["county_qindu"],
            application_id=application.pk,
            request=TransitionRequest(Action.RETURN, comment="x", expected_revision=stale),
        )
    assert info.value.code == "stale"


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("200000.01", "amount_above_ceiling"),
        ("-1", "invalid_amount"),
        ("100.001", "invalid_amount"),
        ("abc", "invalid_amount"),
        ("", "amount_required"),
    ],
)
def test_bad_amounts_refused_and_nothing_changes(case_factory, demo, amount, code):
    application = case_factory(
        Status.DEPARTMENT_REVIEW, clause_code="M02-SPECIALISED-SME", facts=SPECIALISED_SME_FACTS
    )
    with pytest.raises(DomainError) as info:
        application_transition(
            actor=demo["dept_miit"],
            application_id=application.pk,
            request=TransitionRequest(Action.RECOMMEND, amount=amount),
        )
    assert info.value.code == code
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
    with pytest.raises(DomainError) as info:
        application_transition(
            actor=demo["dept_miit"],
            application_id=app.pk,
            request=TransitionRequest(Action.RECOMMEND, amount="40000"),
        )
    assert info.value.code == "amount_not_fixed"


def test_unspecified_amount_needs_written_basis(application_factory, demo):
    from applications.models import Application

    app = application_factory(
        clause_code="M14-EMERGENCY-PERFORMANCE-A",
        facts={"rated_on": "2025-08-01", "rating_document": "A级文件1"},
        submit=True,
    )
    Application.objects.filter(pk=app.pk).update(status=Status.DEPARTMENT_REVIEW)
    with pytest.raises(DomainError) as info:
        application_transition(
            actor=demo["dept_miit"],
            application_id=app.pk,
            request=TransitionRequest(Action.RECOMMEND, amount="50000"),
        )
    assert info.value.code == "basis_required"
    moved = application_transition(
        actor=demo["dept_miit"],
        application_id=app.pk,
        request=TransitionRequest(
            Action.RECOMMEND, amount="50000", amount_basis="参照2024年同类奖励标准"
        ),
    )
    assert moved.recommended_amount == Decimal("50000.00")
