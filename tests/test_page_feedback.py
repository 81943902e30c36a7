"""Pages tell each user where they stand and what to do next (found by a walk-through of every
role at phone and desktop size): each test names the page and the gap it closes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from applications.models import Application, DuplicateFlag

pytestmark = pytest.mark.django_db


def test_calculator_does_not_urge_applying_with_a_result_that_fails(client, demo, open_round_db):
    client.force_login(demo["qindu_corp"])
    facts = {"clause": "M02-SPECIALISED-SME", "fact_level": "national", "fact_certificate_no": "a"}
    outside = client.post(
        "/applications/calculator/", {**facts, "fact_recognised_on": "2024-01-10"}
    ).content.decode()
    assert "暂不符合条件" in outside
    assert "仍要申报（按测算暂不符合条件）" in outside and "带着测算结果去申报" not in outside
    inside = client.post(
        "/applications/calculator/", {**facts, "fact_recognised_on": "2025-08-01"}
    ).content.decode()
    assert "带着测算结果去申报" in inside and "仍要申报" not in inside


def test_a_measure_page_offers_the_next_step(client, demo, open_round_db):
    anonymous = client.get("/measures/2/").content.decode()
    assert 'data-testid="measure-next-step"' in anonymous
    assert "/accounts/register/" in anonymous and "登录后测算并申报" in anonymous
    client.force_login(demo["qindu_corp"])
    enterprise = client.get("/measures/2/").content.decode()
    assert "测算可获奖励并申报" in enterprise and "/applications/calculator/" in enterprise


def test_every_level_sees_the_open_flags_before_acting(client, demo, case_factory):
    case = case_factory("county_review")
    flag = DuplicateFlag.objects.create(application=case, kind="other_funding", message="疑点")
    client.force_login(demo["county_qindu"])
    page = client.get(f"/reviews/cases/{case.reference}/").content.decode()
    assert 'data-testid="open-flags-warning"' in page and "1 项未核实的重复支持疑点" in page
    resolved = client.post(
        f"/reviews/cases/{case.reference}/flags/{flag.pk}/",
        {"resolution": "已与企业核实，为不同项目"},
        follow=True,
    ).content.decode()
    assert "疑点已核实，处理意见已记录。" in resolved
    assert 'data-testid="open-flags-warning"' not in resolved


def test_the_applicant_sees_its_declaration_and_how_to_fix_a_failed_payment(
    client, demo, case_factory
):
    case = case_factory("payment_failed")
    Application.objects.filter(pk=case.pk).update(
        other_funding_declared=True, other_funding_detail="2024年市级技改资金 30万元"
    )
    client.force_login(demo["qindu_corp"])
    detail = client.get(f"/applications/{case.reference}/").content.decode()
    assert 'data-testid="fix-bank-account"' in detail and "/accounts/organisation/" in detail
    assert "2024年市级技改资金 30万元" in detail
    receipt = client.get(f"/applications/{case.reference}/receipt/").content.decode()
    assert 'data-testid="receipt-other-funding"' in receipt
    assert "2024年市级技改资金 30万元" in receipt


def test_the_pledge_holds_whether_or_not_other_funding_was_declared():
    from applications.forms import PledgeForm

    text = str(PledgeForm.base_fields["pledge_accepted"].label)
    assert "如实申报" in text and "未通过其他渠道获得" not in text


def test_a_notice_published_on_a_rest_day_is_listed_at_once(client, demo, case_factory):
    from reviews.calendar import working_period
    from reviews.models import Notice

    saturday = next(
        timezone.localdate() + timedelta(days=n)
        for n in range(7)
        if (timezone.localdate() + timedelta(days=n)).weekday() == 5
    )
    starts, ends = working_period(saturday, 5)
    assert starts > saturday  # the period begins on the next working day
    notice = Notice.objects.create(
        title="拟支持名单公示（测试）",
        starts_on=starts,
        ends_on=ends,
        working_days=5,
        created_by=demo["approver"],
    )
    page = client.get("/notices/").content.decode()
    listed = page.split('data-testid="active-notices"')[1].split("</ul>")[0]
    assert notice.title in listed and "起公示" in listed  # not yet open: says from when
    listed_by_api = client.get("/api/v1/notices/").json()["results"]
    assert [(n["id"], n["is_open"]) for n in listed_by_api] == [(notice.pk, False)]


def test_a_payment_failed_page_is_only_for_that_status(client, demo, case_factory):
    case = case_factory("approved")
    client.force_login(demo["qindu_corp"])
    page = client.get(f"/applications/{case.reference}/").content.decode()
    assert 'data-testid="fix-bank-account"' not in page
