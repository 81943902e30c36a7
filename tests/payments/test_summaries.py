"""Pre-aggregated summaries, queue badges and dashboards equal direct counts after a series
of transitions through the services (single and bulk moves)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from applications.lifecycle.engine import (
    TransitionRequest,
    application_transition,
    applications_transition_bulk,
)
from applications.lifecycle.transitions import Action
from applications.models import Application, ApplicationSummary, DuplicateFlag, Status
from applications.summaries import summaries_refresh
from payments.models import PaymentLine
from payments.selectors import dashboard_figures
from reviews.notices import notice_start
from reviews.selectors import queue_status_counts, review_cases_visible_to


def _cells() -> dict:
    return {
        (c.round_id, c.measure_id, c.department_id, c.place_id, c.status): (
            c.count,
            c.approved_amount,
        )
        for c in ApplicationSummary.objects.all()
        if c.count or c.approved_amount
    }


def _direct() -> dict:
    """Counted here from the applications, by their organisation's place (the truth the
    application's copied place must follow), not by the code under test."""
    counts: dict = {}
    for a in Application.objects.exclude(status=Status.DRAFT).select_related(
        "clause", "organisation"
    ):
        key = (
            a.round_id,
            a.clause.measure_id,
            a.clause.department_id,
            a.organisation.place_id,
            a.status,
        )
        n, amount = counts.get(key, (0, Decimal("0.00")))
        counts[key] = (n + 1, amount + (a.approved_amount or Decimal("0.00")))
    return counts


def _move(demo, application, action, username, **kwargs):
    return application_transition(
        actor=demo[username] if username else None,
        application_id=application.pk,
        request=TransitionRequest(action, comment="意见", **kwargs),
        system=username is None,
    )


def _bulk(*, actor, application_ids, action, system=False):
    results = applications_transition_bulk(
        actor=actor,
        application_ids=application_ids,
        request=TransitionRequest(action, comment="意见"),
        system=system,
    )
    assert all(r.ok for r in results), [r.message for r in results]


def _facts(n: int) -> dict:
    return {"level": "leading", "recognised_on": "2025-08-01", "certificate_no": f"汇总{n}"}


def test_summaries_and_counts_equal_direct_counts(application_factory, demo):
    apps = [
        application_factory(
            username="qindu_corp" if i % 2 else "weicheng_corp",
            clause_code="M04-SMART-FACTORY",
            facts=_facts(i),
            submit=True,
        )
        for i in range(8)
    ]
    application_factory(clause_code="M04-SMART-FACTORY", facts=_facts(99))  # a draft: not counted
    county = {"qindu_corp": "county_qindu", "weicheng_corp": "county_weicheng"}
    owner = {a.pk: "qindu_corp" if i % 2 else "weicheng_corp" for i, a in enumerate(apps)}
    for a in apps[:6]:
        _move(demo, a, Action.PASS, county[owner[a.pk]])
    for a in apps[:5]:
        _move(demo, a, Action.RECOMMEND, "dept_miit", amount="300000.00")
    _move(demo, apps[5], Action.RETURN, "dept_miit")
    _move(demo, apps[5], Action.RESUBMIT, owner[apps[5].pk])
    _move(demo, apps[6], Action.REJECT, county[owner[apps[6].pk]])
    _move(demo, apps[7], Action.WITHDRAW, owner[apps[7].pk])
    DuplicateFlag.objects.update(resolved_at=timezone.now(), resolution="已核实")
    for a in apps[:4]:
        _move(demo, a, Action.APPROVE, "approver", amount="250000.00")
    DuplicateFlag.objects.update(resolved_at=timezone.now(), resolution="已核实")
    # Bulk moves (the payments path): notice, its end, a batch, paid.
    ids = [a.pk for a in apps[:3]]
    notice_start(actor=demo["approver"], application_ids=ids)
    _bulk(actor=None, application_ids=ids, action=Action.FINISH_NOTICE, system=True)
    _move(demo, apps[2], Action.AMEND, "approver", amount="200000.00", amount_basis="更正")
    _bulk(actor=demo["finance"], application_ids=ids, action=Action.ADD_TO_BATCH)
    _bulk(actor=demo["finance"], application_ids=ids[:2], action=Action.MARK_PAID)
    # Three flags on one case must not inflate any count (the old join did).
    for kind in ("x", "y", "z"):
        DuplicateFlag.objects.create(application=apps[4], kind=kind, message="疑点")

    statuses = Counter(Application.objects.values_list("status", flat=True))
    assert statuses == {
        Status.PAID: 2,
        Status.IN_PAYMENT: 1,
        Status.PENDING_NOTICE: 1,
        Status.APPROVAL: 1,
        Status.DEPARTMENT_REVIEW: 1,
        Status.REJECTED: 1,
        Status.WITHDRAWN: 1,
        Status.DRAFT: 1,
    }
    maintained = _cells()
    assert maintained == _direct()
    assert sum(n for n, _amount in maintained.values()) == 8

    for username in ("county_qindu", "county_weicheng", "dept_miit", "approver", "auditor"):
        direct = Counter(
            review_cases_visible_to(user=demo[username]).values_list("status", flat=True)
        )
        assert queue_status_counts(user=demo[username]) == dict(direct), username

    figures = dashboard_figures(user=demo["auditor"])
    assert figures.total.applications == 8
    assert figures.total.awarded == 3  # two paid, one in payment
    awarded = Decimal("250000.00") * 2 + Decimal("200000.00")
    assert figures.total.awarded_amount == awarded
    paid = Application.objects.filter(status=Status.PAID).aggregate(s=Sum("approved_amount"))["s"]
    assert figures.total.paid_amount == paid == Decimal("500000.00")
    assert {r.key: r.applications for r in figures.by_status} == {
        s: n for s, n in statuses.items() if s != Status.DRAFT
    }
    by_county = {r.label: r.applications for r in figures.by_county}
    assert by_county == {"秦都区": 4, "渭城区": 4}

    # A full recount changes nothing.
    summaries_refresh()
    assert _cells() == maintained


def test_paid_figures_equal_paid_payment_lines(payable, build, demo):
    from payments.services import payment_batch_lock, payment_lines_mark

    payable("120000.00")
    payable("80000.00", username="weicheng_corp")
    batch = build()
    payment_batch_lock(actor=demo["finance_checker"], batch_id=batch.pk)
    line = batch.lines.order_by("number").first()
    payment_lines_mark(actor=demo["finance"], batch_id=batch.pk, line_ids=[line.pk], result="paid")
    lines = PaymentLine.objects.filter(state="paid").aggregate(s=Sum("amount"))["s"]
    assert dashboard_figures(user=demo["finance"]).total.paid_amount == lines
    assert _cells() == _direct()
