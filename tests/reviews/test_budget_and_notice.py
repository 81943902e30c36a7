"""Budgets under concurrent approvals, the public notice in working days, objections."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from accounts.models import Organisation, Place
from applications.lifecycle.engine import TransitionRequest, application_transition
from applications.lifecycle.transitions import Action
from applications.models import Application, Status
from core.errors import Conflict, DomainError
from measures.models import RoundBudget
from reviews import notices
from reviews.calendar import working_period
from reviews.models import Letter, Notice


def _orgs(n):
    place = Place.objects.get(code="qindu")
    from stdnum.cn import uscc

    orgs = []
    for i in range(n):
        base = f"91610400MA7C{i:04d}X"[:17]
        orgs.append(
            Organisation.objects.create(
                legal_name=f"并发测试企业{i}",
                uscc=base + uscc.calc_check_digit(base),
                place=place,
                contact_name="测",
                contact_phone="13800000000",
            )
        )
    return orgs


@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_never_exceed_budget(case_factory, demo):
    template = case_factory(Status.APPROVAL, recommended=Decimal("100000.00"))
    budget = RoundBudget.objects.get(round=template.round, measure=template.clause.measure)
    budget.amount = Decimal("1000000.00")  # room for 10 of 24
    budget.save()
    cases = []
    for i, org in enumerate(_orgs(24)):
        cases.append(
            Application.objects.create(
                reference=f"SBCONC{i:04d}",
                organisation=org,
                round=template.round,
                clause=template.clause,
                rule_version=template.rule_version,
                status=Status.APPROVAL,
                facts={**template.facts, "certificate_no": f"并发{i}"},
                evaluation=template.evaluation,
                computed_amount=template.computed_amount,
                amount_kind="ceiling",
                basis=f"并发{i}",
                recommended_amount=Decimal("100000.00"),
                created_by=demo["qindu_corp"],
            )
        )
    # Out of the way (decisions keep it from being deleted): a withdrawn case is not live.
    Application.objects.filter(pk=template.pk).update(status=Status.WITHDRAWN)
    results: list[tuple[str, str]] = []
    barrier = threading.Barrier(len(cases))

    def approve(application):
        try:
            barrier.wait()
            application_transition(
                actor=demo["approver"],
                application_id=application.pk,
                request=TransitionRequest(Action.APPROVE, amount="100000.00"),
            )
            results.append(("ok", ""))
        except Conflict as exc:
            results.append(("refused", exc.message))
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(c,)) for c in cases]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    budget.refresh_from_db()
    approved = Application.objects.filter(status=Status.PENDING_NOTICE)
    assert [r for r, _ in results].count("ok") == 10
    assert budget.committed == Decimal("1000000.00") == sum(a.approved_amount for a in approved)
    refusals = [m for r, m in results if r == "refused"]
    assert len(refusals) == 14
    assert all("剩余¥0.00" in m for m in refusals)


def test_refused_approval_says_what_is_left(case_factory, demo):
    case = case_factory(Status.APPROVAL, recommended=Decimal("300000.00"))
    RoundBudget.objects.filter(round=case.round, measure=case.clause.measure).update(
        amount=Decimal("250000.00")
    )
    with pytest.raises(Conflict) as info:
        application_transition(
            actor=demo["approver"],
            application_id=case.pk,
            request=TransitionRequest(Action.APPROVE, amount="300000.00"),
        )
    assert "剩余¥250,000.00" in info.value.message
    case.refresh_from_db()
    assert case.status == Status.APPROVAL and case.approved_amount is None


def test_notice_period_across_national_day_with_adjusted_workday(db):
    # 2026: 1–7 Oct off, Saturday 10 Oct is an adjusted workday (调休).
    assert working_period(date(2026, 9, 29), 5) == (date(2026, 9, 29), date(2026, 10, 10))
    # Starting on a holiday moves the start to the next working day.
    assert working_period(date(2026, 10, 3), 1) == (date(2026, 10, 8), date(2026, 10, 8))


def test_calendar_outside_library_years_is_a_clear_error(db):
    with pytest.raises(DomainError) as info:
        working_period(date(2099, 1, 1), 5)
    assert info.value.code == "calendar_unavailable"


@pytest.fixture
def noticed(case_factory, demo):
    cases = [case_factory(Status.PENDING_NOTICE, approved=Decimal("150000.00")) for _ in range(2)]
    notice = notices.notice_start(
        actor=demo["approver"],
        application_ids=[c.pk for c in cases],
        working_days=5,
        today=date(2026, 9, 29),
    )
    return notice, cases


def test_notice_lists_entries_publicly(noticed, client):
    notice, cases = noticed
    assert (notice.starts_on, notice.ends_on) == (date(2026, 9, 29), date(2026, 10, 10))
    body = client.get(f"/notices/{notice.pk}/").content.decode()
    assert cases[0].organisation.legal_name in body
    assert "¥150,000.00" in body
    assert cases[0].organisation.uscc not in body  # no private data beyond the list


def test_anonymous_objection_refused(noticed):
    notice, _cases = noticed
    entry = notice.entries.first()
    with pytest.raises(DomainError) as info:
        notices.objection_lodge(
            entry_id=entry.pk,
            name=" ",
            contact="",
            content="该企业不符合条件",
            today=date(2026, 9, 30),
        )
    assert info.value.code == "invalid_objection"
    assert "匿名" in info.value.message


def test_objection_holds_until_resolved_then_notice_end_approves(
    noticed, demo, django_capture_on_commit_callbacks
):
    notice, (held, clean) = noticed
    entry = notice.entries.get(application=held)
    objection = notices.objection_lodge(
        entry_id=entry.pk,
        name="王举报",
        contact="13900000000",
        content="该企业认定时间早于政策期",
        today=date(2026, 9, 30),
    )
    held.refresh_from_db()
    assert held.status == Status.OBJECTION
    with django_capture_on_commit_callbacks(execute=True):
        approved = notices.notices_finish_due(today=date(2026, 10, 11))
    assert approved == [clean.pk]
    held.refresh_from_db()
    clean.refresh_from_db()
    assert (held.status, clean.status) == (Status.OBJECTION, Status.APPROVED)
    assert Letter.objects.filter(application=clean, state="current").count() == 1
    assert not Letter.objects.filter(application=held).exists()
    notices.objection_resolve(
        actor=demo["approver"],
        objection_id=objection.pk,
        upheld=False,
        resolution="经核实认定日期在有效期内",
    )
    held.refresh_from_db()
    assert held.status == Status.PUBLIC_NOTICE
    with django_capture_on_commit_callbacks(execute=True):
        assert notices.notices_finish_due(today=date(2026, 10, 12)) == [held.pk]
    assert Notice.objects.get(pk=notice.pk).finished_at is not None


def test_upheld_objection_rejects_and_releases_budget(noticed, demo):
    notice, (held, _clean) = noticed
    budget = RoundBudget.objects.get(round=held.round, measure=held.clause.measure)
    budget.committed = Decimal("300000.00")
    budget.save()
    objection = notices.objection_lodge(
        entry_id=notice.entries.get(application=held).pk,
        name="李",
        contact="li@example.com",
        content="重复申报同一项目",
        today=date(2026, 9, 30),
    )
    notices.objection_resolve(
        actor=demo["approver"], objection_id=objection.pk, upheld=True, resolution="异议属实"
    )
    held.refresh_from_db()
    budget.refresh_from_db()
    assert held.status == Status.REJECTED
    assert budget.committed == Decimal("150000.00")


def test_objection_form_on_public_page(noticed, client, settings):
    notice, (held, _clean) = noticed
    from unittest import mock

    with mock.patch("django.utils.timezone.localdate", return_value=date(2026, 9, 30)):
        bad = client.post(
            f"/notices/{notice.pk}/",
            {"entry": notice.entries.first().pk, "name": "", "contact": "", "content": ""},
        )
        assert bad.status_code == 200
        assert "invalid-feedback" in bad.content.decode()
        ok = client.post(
            f"/notices/{notice.pk}/",
            {
                "entry": notice.entries.get(application=held).pk,
                "name": "张",
                "contact": "13900000000",
                "content": "该项目已获市级技改资金",
            },
        )
        assert ok.status_code == 302
    held.refresh_from_db()
    assert held.status == Status.OBJECTION


def test_notice_start_needs_selection_and_approver(case_factory, demo):
    with pytest.raises(DomainError):
        notices.notice_start(actor=demo["approver"], application_ids=[])
    case = case_factory(Status.PENDING_NOTICE, approved=Decimal("1"))
    with pytest.raises(DomainError):
        notices.notice_start(actor=demo["dept_miit"], application_ids=[case.pk])


def test_an_objection_after_the_case_left_its_notice_is_refused_not_ignored(
    noticed, django_capture_on_commit_callbacks
):
    """The notice's end approved the case; an objection the same day got a receipt and did
    nothing (the case stayed approved, its letter issued). It is refused, saying why."""
    notice, (case, _other) = noticed
    with django_capture_on_commit_callbacks(execute=True):
        notices.notices_finish_due(today=date(2026, 10, 11))
    case.refresh_from_db()
    assert case.status == Status.APPROVED
    with pytest.raises(DomainError) as info:
        notices.objection_lodge(
            entry_id=notice.entries.get(application=case).pk,
            name="王举报",
            contact="13900000000",
            content="该企业认定时间早于政策期",
            today=date(2026, 10, 10),  # still inside the notice's dates
        )
    assert info.value.code == "notice_closed"
    assert "公示已结束" in info.value.message
    assert not notice.entries.get(application=case).objections.exists()
    case.refresh_from_db()
    assert case.status == Status.APPROVED


def test_a_round_without_notice_period_publishes_a_list_that_takes_no_objections(
    case_factory, demo, client
):
    case = case_factory(Status.PENDING_NOTICE, approved=Decimal("150000.00"))
    case.round.notice_working_days = 0
    case.round.save(update_fields=["notice_working_days"])
    notice = notices.notice_start(actor=demo["approver"], application_ids=[case.pk])
    assert notice.working_days == 0 and notice.starts_on == notice.ends_on
    assert not notice.accepts_objections(notice.starts_on)
    with pytest.raises(DomainError) as info:
        notices.objection_lodge(
            entry_id=notice.entries.get().pk,
            name="王举报",
            contact="13900000000",
            content="该企业认定时间早于政策期",
            today=notice.starts_on,
        )
    assert info.value.code == "notice_closed"
    page = client.get(f"/notices/{notice.pk}/").content.decode()
    assert "公示期已结束" in page and "提出异议" not in page
    assert client.get(f"/api/v1/notices/{notice.pk}/").json()["is_open"] is False
    listing = client.get("/notices/").content.decode()
    assert listing.index(notice.title) > listing.index("暂无正在公示的名单")
