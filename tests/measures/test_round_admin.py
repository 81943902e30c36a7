"""The round admin writes through services (house style: every write, admin included): the
round, its clauses and each budget row, audited; a budget never drops below what approvals
committed, and a budget with committed money cannot be deleted."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from measures.models import Measure, RoundBudget

pytestmark = pytest.mark.django_db


def _post_data(round_, budgets, *, delete=(), clauses=None):
    local = timezone.localtime
    data = {
        "policy": round_.policy_id,
        "name": round_.name,
        "opens_at_0": f"{local(round_.opens_at):%Y-%m-%d}",
        "opens_at_1": f"{local(round_.opens_at):%H:%M:%S}",
        "closes_at_0": f"{local(round_.closes_at):%Y-%m-%d}",
        "closes_at_1": f"{local(round_.closes_at):%H:%M:%S}",
        "notice_working_days": round_.notice_working_days,
        "clauses": [c.pk for c in (clauses if clauses is not None else round_.clauses.all())],
        "budgets-TOTAL_FORMS": len(budgets),
        "budgets-INITIAL_FORMS": len(budgets),
        "budgets-MIN_NUM_FORMS": 0,
        "budgets-MAX_NUM_FORMS": 1000,
    }
    for i, (budget, amount) in enumerate(budgets):
        data |= {
            f"budgets-{i}-id": budget.pk,
            f"budgets-{i}-round": round_.pk,
            f"budgets-{i}-measure": budget.measure_id,
            f"budgets-{i}-amount": amount,
        }
        if budget in delete:
            data[f"budgets-{i}-DELETE"] = "on"
    return data


@pytest.fixture
def budget(open_round_db):
    measure = Measure.objects.filter(policy=open_round_db.policy, monetary=True).first()
    RoundBudget.objects.filter(round=open_round_db).delete()
    return RoundBudget.objects.create(
        round=open_round_db,
        measure=measure,
        amount=Decimal("100000.00"),
        committed=Decimal("30000.00"),
    )


def _change(client, demo, round_, data, user=None):
    client.force_login(user or demo["policy_admin"])
    return client.post(f"/admin/measures/round/{round_.pk}/change/", data)


def test_budget_change_goes_through_the_service_and_is_audited(client, demo, open_round_db, budget):
    response = _change(
        client, demo, open_round_db, _post_data(open_round_db, [(budget, "150000.00")])
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    budget.refresh_from_db()
    assert (budget.amount, budget.committed) == (Decimal("150000.00"), Decimal("30000.00"))
    event = AuditEvent.objects.get(action="round_budget.save", object_id=str(budget.pk))
    assert event.before == {"amount": "100000.00"} and event.after["amount"] == "150000.00"
    assert event.actor == demo["policy_admin"]


def test_budget_below_committed_is_refused_beside_the_field(client, demo, open_round_db, budget):
    response = _change(
        client, demo, open_round_db, _post_data(open_round_db, [(budget, "20000.00")])
    )
    assert response.status_code == 200
    assert "预算不能低于已核定金额" in response.content.decode()
    budget.refresh_from_db()
    assert budget.amount == Decimal("100000.00")
    assert not AuditEvent.objects.filter(action="round_budget.save").exists()


def test_a_budget_with_committed_money_cannot_be_deleted(client, demo, open_round_db, budget):
    from accounts.models import User

    # Deleting configuration rows is a superuser's (PolicyAdminOnly), as for the other screens.
    root = User.objects.create_superuser("root_budget", password="x", full_name="超级管理员")
    data = _post_data(open_round_db, [(budget, "100000.00")], delete=[budget])
    response = _change(client, demo, open_round_db, data, user=root)
    assert response.status_code == 200 and "不能删除" in response.content.decode()
    assert RoundBudget.objects.filter(pk=budget.pk).exists()
    # Without committed money it may go, audited.
    RoundBudget.objects.filter(pk=budget.pk).update(committed=Decimal("0.00"))
    response = _change(client, demo, open_round_db, data, user=root)
    assert response.status_code == 302
    assert not RoundBudget.objects.filter(pk=budget.pk).exists()
    assert AuditEvent.objects.filter(action="round_budget.delete").count() == 1


def test_the_round_clauses_are_set_by_the_service_and_audited(client, demo, open_round_db, budget):
    clauses = list(open_round_db.clauses.order_by("code"))
    removed = clauses[0]
    data = _post_data(open_round_db, [(budget, "100000.00")], clauses=clauses[1:])
    response = _change(client, demo, open_round_db, data)
    assert response.status_code == 302
    assert not open_round_db.clauses.filter(pk=removed.pk).exists()
    event = AuditEvent.objects.get(action="round.clauses")
    assert event.after == {"added": [], "removed": [removed.code]}


def test_catalogue_rows_are_read_only_in_the_admin(client, demo, open_round_db):
    """Policies, sections and measures are written by the catalogue loader, not by hand."""
    measure = Measure.objects.filter(policy=open_round_db.policy).first()
    client.force_login(demo["policy_admin"])
    url = f"/admin/measures/measure/{measure.pk}/change/"
    assert client.get(url).status_code == 200  # shown
    response = client.post(url, {"number": measure.number, "title": "改过的标题"})
    assert response.status_code == 403
    measure.refresh_from_db()
    assert measure.title != "改过的标题"
    assert client.get("/admin/measures/policy/add/").status_code == 403


def test_round_list_shows_a_midnight_deadline_as_24_00_of_the_day_before(
    client, demo, open_round_db
):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    open_round_db.closes_at = datetime(2027, 4, 1, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    open_round_db.save(update_fields=["closes_at"])
    client.force_login(demo["policy_admin"])
    page = client.get("/admin/measures/round/").content.decode()
    assert "2027-03-31 24:00" in page
    assert "2027-04-01 00:00" not in page
