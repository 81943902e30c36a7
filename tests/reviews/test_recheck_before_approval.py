"""Approval runs the rule again against the awards made since submission."""

from decimal import Decimal

import pytest

from applications import services
from applications.lifecycle.engine import TransitionRequest, application_transition
from applications.lifecycle.transitions import Action
from applications.models import Application, DuplicateFlag, Status
from core.errors import DomainError

GREEN = {"level": "national", "product_count": "4", "recognised_on": "2025-09-01"}


def _at_approval(application_factory, names):
    app = application_factory(
        clause_code="M14-GREEN-DESIGN-PRODUCT", facts={**GREEN, "product_names": names}, submit=True
    )
    Application.objects.filter(pk=app.pk).update(
        status=Status.APPROVAL, recommended_amount=Decimal("200000.00")
    )
    return app


def test_cap_used_by_an_earlier_approval_lowers_the_amount(application_factory, demo):
    first = _at_approval(application_factory, "甲、乙、丙、丁")
    second = _at_approval(application_factory, "戊、己、庚、辛")
    DuplicateFlag.objects.update(resolution="不同产品", resolved_at="2026-01-01T00:00:00+08:00")
    application_transition(
        actor=demo["approver"],
        application_id=first.pk,
        request=TransitionRequest(Action.APPROVE, amount="200000"),
    )
    Application.objects.filter(pk=first.pk).update(status=Status.APPROVED)
    with pytest.raises(DomainError) as info:
        application_transition(
            actor=demo["approver"],
            application_id=second.pk,
            request=TransitionRequest(Action.APPROVE, amount="200000"),
        )
    # The cap leaves this one 30万 − 20万 already approved: the refusal says what is left.
    assert info.value.code == "limit_exceeded"
    assert "剩余 ¥100,000.00" in info.value.message
    assert first.reference in info.value.message
    moved = application_transition(
        actor=demo["approver"],
        application_id=second.pk,
        request=TransitionRequest(Action.APPROVE, amount="100000"),
    )
    assert moved.approved_amount == Decimal("100000.00")


def test_resubmit_refused_when_corrected_facts_are_not_eligible(application_factory, demo):
    app = application_factory(submit=True)
    Application.objects.filter(pk=app.pk).update(
        status=Status.RETURNED, returned_from=Status.COUNTY_REVIEW
    )
    services.application_save_draft(
        actor=demo["qindu_corp"],
        application_id=app.pk,
        raw_facts={"level": "national", "recognised_on": "2026-02-01", "certificate_no": "x"},
    )
    with pytest.raises(DomainError) as info:
        services.application_resubmit(actor=demo["qindu_corp"], application_id=app.pk)
    assert info.value.code == "not_eligible"
    assert "有效期" in info.value.message
    assert Application.objects.get(pk=app.pk).status == Status.RETURNED
