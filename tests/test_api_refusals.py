"""The API refuses what it cannot honour instead of doing something else quietly: each case
here was once accepted (200/201) with part of the request dropped or replaced."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from applications.models import Application, DuplicateFlag, Status
from reviews.models import Notice
from tests.helpers import api_as

pytestmark = pytest.mark.django_db


def _act(user, case, **body):
    return api_as(user).post(
        f"/api/v1/reviews/cases/{case.reference}/actions/", body, format="json"
    )


def _return(demo, case, corrections, **extra):
    """退回补正 by the county reviewer of the demo's 秦都 cases."""
    return _act(
        demo["county_qindu"],
        case,
        action="return",
        comment="请补正",
        corrections=corrections,
        **extra,
    )


def test_a_return_for_the_pledge_can_be_answered_through_the_api(demo, case_factory):
    case = case_factory("county_review")
    returned = _return(demo, case, {"PLEDGE": "请重新签署承诺书"})
    assert returned.status_code == 200, returned.content
    corp = api_as(demo["qindu_corp"])
    url = f"/api/v1/applications/{case.reference}/resubmit/"
    unsigned = corp.post(url, {}, format="json")
    assert unsigned.status_code == 400 and "pledge" in unsigned.json()["detail"]
    signed = corp.post(url, {"pledge_accepted": True, "pledge_name": "张三"}, format="json")
    assert signed.status_code == 200, signed.content
    case.refresh_from_db()
    assert (case.status, case.pledge_name) == (Status.COUNTY_REVIEW, "张三")


def test_a_return_names_only_materials_of_the_clause_and_keeps_its_deadline(demo, case_factory):
    case = case_factory("county_review")
    unknown = _return(demo, case, {"NOPE": "x"})
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_material"
    case.refresh_from_db()
    assert case.status == Status.COUNTY_REVIEW
    certificate = {"CERTIFICATE": "请上传清晰件"}
    impossible = _return(demo, case, certificate, correction_due_on="2025-02-30")
    assert impossible.status_code == 400 and "correction_due_on" in impossible.json()["detail"]
    due = timezone.localdate() + timedelta(days=9)
    done = _return(demo, case, certificate, correction_due_on=due.isoformat())
    assert done.status_code == 200, done.content
    case.refresh_from_db()
    assert (case.status, case.correction_due_on) == (Status.RETURNED, due)


def test_reviewer_api_shows_the_exempt_mark(demo, case_factory):
    case = case_factory("county_review")
    Application.objects.filter(pk=case.pk).update(
        exempt_source="2025年省级专精特新名单", exempt_materials=["CERTIFICATE"]
    )
    reviewer = api_as(demo["county_qindu"])
    detail = reviewer.get(f"/api/v1/reviews/cases/{case.reference}/").json()
    assert detail["exempt_source"] == "2025年省级专精特新名单"
    assert detail["exempt_materials"] == ["CERTIFICATE"]
    row = reviewer.get("/api/v1/reviews/queue/").json()["results"][0]
    assert row["exempt_source"] == "2025年省级专精特新名单"


def test_only_the_current_stage_settles_a_flag(demo, case_factory):
    case = case_factory("county_review")
    flag = DuplicateFlag.objects.create(application=case, kind="other_funding", message="疑点")
    url = f"/api/v1/reviews/cases/{case.reference}/flags/{flag.pk}/resolve/"
    later_level = api_as(demo["dept_miit"]).post(url, {"resolution": "已核"}, format="json")
    assert later_level.status_code == 403, later_level.content  # it sees the case, may not act
    flag.refresh_from_db()
    assert flag.resolved_at is None
    own_stage = api_as(demo["county_qindu"]).post(url, {"resolution": "已核"}, format="json")
    assert own_stage.status_code == 200, own_stage.content


@pytest.mark.parametrize("amount", ["1_000", "1e3", "0x10"])
def test_a_reviewer_amount_is_plain_digits(demo, case_factory, amount):
    case = case_factory("department_review")
    response = _act(demo["dept_miit"], case, action="recommend", comment="x", amount=amount)
    assert response.status_code == 400 and response.json()["code"] == "invalid_amount"
    case.refresh_from_db()
    assert (case.status, case.recommended_amount) == (Status.DEPARTMENT_REVIEW, None)


def test_a_notice_is_of_every_case_named_or_none(demo, case_factory):
    pending = case_factory("pending_notice", recommended="100000.00", approved="100000.00")
    waiting = case_factory("county_review")
    approver = api_as(demo["approver"])
    for references in (
        [pending.reference, "SB_NO_SUCH"],
        [pending.reference, waiting.reference],
    ):
        response = approver.post(
            "/api/v1/reviews/notices/", {"references": references}, format="json"
        )
        assert response.status_code == 400, response.content
        assert references[1] in response.json()["message"]
    assert not Notice.objects.exists()
    pending.refresh_from_db()
    assert pending.status == Status.PENDING_NOTICE


@pytest.mark.parametrize("content", ["multipart", "form"])
def test_a_form_body_with_facts_that_are_no_object_is_refused(demo, application_factory, content):
    draft = application_factory()
    before = dict(draft.facts)
    client = api_as(demo["qindu_corp"])
    url = f"/api/v1/applications/{draft.reference}/"
    if content == "multipart":
        response = client.patch(url, {"facts": "abc"}, format="multipart")
    else:
        response = client.generic(
            "PATCH", url, "facts=abc", content_type="application/x-www-form-urlencoded"
        )
    assert response.status_code == 400 and "facts" in response.json()["detail"], response.content
    draft.refresh_from_db()
    assert draft.facts == before


def test_a_draft_for_another_organisation_is_refused(demo, open_round_db):
    from accounts.models import Organisation

    other = Organisation.objects.exclude(memberships__user=demo["qindu_corp"]).first()
    response = api_as(demo["qindu_corp"]).post(
        "/api/v1/applications/",
        {"clause": "M02-QUALITY-BENCHMARK", "organisation": other.pk},
        format="json",
    )
    assert response.status_code == 400 and response.json()["code"] == "unknown_organisation"
    assert not Application.objects.exists()


def test_a_recognition_of_a_clause_for_another_kind_is_refused(demo, open_round_db):
    response = api_as(demo["qindu_corp"]).post(
        "/api/v1/profile/credentials/",
        {"clause": "M01-TECH-CONTRACT-TURNOVER", "title": "x", "level": "", "number": "x"},
        format="json",
    )
    assert response.status_code == 400 and response.json()["code"] == "wrong_applicant_type"


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("flagged=maybe", 400, "flagged"),
        ("amount_min=-5", 400, "amount_min"),
        ("amount_min=100&amount_max=1", 400, "amount_max"),
        ("page=abc", 400, "page"),
        ("page=0", 400, "page"),
        ("page=99", 200, None),  # the last page, as the queue page shows it (counts estimate)
    ],
)
def test_queue_api_refuses_what_it_would_read_as_no_filter(
    demo, case_factory, query, status, field
):
    case_factory("county_review")
    response = api_as(demo["county_qindu"]).get(f"/api/v1/reviews/queue/?{query}")
    assert response.status_code == status, response.content
    if field:
        assert field in response.json()["detail"]


def test_csrf_refusals_are_the_portals_own(demo):
    page = Client(enforce_csrf_checks=True).post(
        "/accounts/login/", {"username": "x", "password": "y"}
    )
    assert page.status_code == 403
    body = page.content.decode()
    assert "页面已过期" in body and 'data-testid="error-page"' in body and "DEBUG" not in body
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(demo["county_weicheng"])
    api = browser.post("/api/v1/notifications/mark-read/", {}, content_type="application/json")
    assert api.status_code == 403
    assert api.json()["code"] == "csrf_failed" and "CSRF" in api.json()["message"]
    assert "Failed" not in api.json()["message"]


def test_the_api_answers_json_even_to_a_browser(demo):
    client = api_as(demo["qindu_corp"])
    browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get("/api/v1/applications/", HTTP_ACCEPT=browser_accept)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "results" in response.json()
    broken = client.generic("POST", "/api/v1/calculator/", b"x", content_type="multipart/form-data")
    assert broken.status_code == 400
    assert broken.json()["code"] == "parse_error" and "boundary" in broken.json()["message"]
    assert "Invalid" not in broken.json()["message"]
