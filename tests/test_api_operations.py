"""The operations added for issue 15 do what their page does. Expected values are written by
hand (the masks of the product brief, the policy's objection rules, the roles table)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from applications.models import Status


def _as(demo, username):
    client = APIClient()
    if username:
        client.force_authenticate(demo[username])
    return client


# --- message centre ------------------------------------------------------------------------


def test_message_centre_lists_counts_and_marks_only_your_own(demo):
    from accounts.models import Notification

    mine = [
        Notification.objects.create(user=demo["qindu_corp"], subject=f"消息{i}", body="正文")
        for i in range(3)
    ]
    theirs = Notification.objects.create(user=demo["weicheng_corp"], subject="别人的", body="x")
    client = _as(demo, "qindu_corp")

    listed = client.get("/api/v1/notifications/").json()
    assert listed["count"] == 3
    assert [row["subject"] for row in listed["results"]] == ["消息2", "消息1", "消息0"]
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 3}

    marked = client.post(
        "/api/v1/notifications/mark-read/", {"ids": [mine[0].pk, theirs.pk]}, format="json"
    ).json()
    assert marked == {"marked": 1, "unread": 2}
    theirs.refresh_from_db()
    assert theirs.read_at is None  # another user's message is never touched
    assert client.get("/api/v1/notifications/?unread=true").json()["count"] == 2

    assert client.post("/api/v1/notifications/mark-read/", {}, format="json").json() == {
        "marked": 2,
        "unread": 0,
    }


# --- organisation profile and bank account ----------------------------------------------


def test_profile_masks_and_keeps_the_stored_account_when_sent_back_masked(demo):
    organisation = demo["qindu_corp"].organisations.get()
    organisation.bank_account = "6222024100123453333"
    organisation.contact_phone = "13812345678"
    organisation.save()
    client = _as(demo, "qindu_corp")

    profile = client.get("/api/v1/organisation/").json()
    assert profile["bank_account"] == "6222 **** **** 3333"
    assert profile["contact_phone"] == "138****5678"
    assert "6222024100123453333" not in str(profile)

    changed = client.patch(
        "/api/v1/organisation/",
        {"industry": "装备制造", "bank_account": "6222 **** **** 3333"},
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    organisation.refresh_from_db()
    assert organisation.industry == "装备制造"
    assert organisation.bank_account == "6222024100123453333"  # the masked value kept it


def test_profile_refuses_a_bad_account_number_field_by_field(demo):
    client = _as(demo, "qindu_corp")
    response = client.patch("/api/v1/organisation/", {"bank_account": "12ab"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "8-30" in body["detail"]["bank_account"][0]


def test_profile_is_for_members_of_an_organisation(demo):
    response = _as(demo, "approver").get("/api/v1/organisation/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


# --- public notice, objection and its receipt -------------------------------------------


@pytest.fixture
def open_notice(case_factory, demo):
    from reviews import notices
    from reviews.models import Notice

    case = case_factory(Status.PENDING_NOTICE, approved=Decimal("150000.00"))
    notice = notices.notice_start(actor=demo["approver"], application_ids=[case.pk])
    today = timezone.localdate()
    Notice.objects.filter(pk=notice.pk).update(starts_on=today, ends_on=today + timedelta(7))
    notice.refresh_from_db()
    return notice


def test_objection_lodged_anonymously_and_looked_up_by_receipt(open_notice, demo):
    client = APIClient()
    detail = client.get(f"/api/v1/notices/{open_notice.pk}/").json()
    assert detail["is_open"] is True
    assert [entry["amount"] for entry in detail["entries"]] == ["150000.00"]
    entry = detail["entries"][0]["id"]

    lodged = client.post(
        f"/api/v1/notices/{open_notice.pk}/objections/",
        {"entry": entry, "name": "王五", "contact": "13900001111", "content": "该企业未实际投产"},
        format="json",
    )
    assert lodged.status_code == 201, lodged.json()
    receipt = lodged.json()["receipt_no"]
    assert receipt.startswith("YY-")

    status = client.get(f"/api/v1/objections/{receipt}/").json()
    assert status["state"] == "pending"
    assert status["notice_id"] == open_notice.pk
    assert "13900001111" not in str(status) and "王五" not in str(status)  # nothing private


def test_anonymous_objection_is_refused_with_the_field(open_notice):
    entry = open_notice.entries.get().pk
    response = APIClient().post(
        f"/api/v1/notices/{open_notice.pk}/objections/",
        {"entry": entry, "name": " ", "contact": "13900001111", "content": "该企业未实际投产"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_objection"
    assert "name" in response.json()["detail"]


def test_objection_to_an_entry_of_another_notice_is_refused(open_notice):
    response = APIClient().post(
        f"/api/v1/notices/{open_notice.pk}/objections/",
        {"entry": 999999, "name": "王五", "contact": "13900001111", "content": "内容足够长了"},
        format="json",
    )
    assert response.status_code == 400 and response.json()["code"] == "unknown_entry"


def test_unknown_receipt_is_a_404_in_the_error_format(db):
    response = APIClient().get("/api/v1/objections/YY-20990101-NOPE/")
    assert response.status_code == 404
    assert set(response.json()) == {"code", "message", "detail"}


def test_approver_resolves_an_objection(open_notice, demo):
    from reviews import notices

    entry = open_notice.entries.get()
    objection = notices.objection_lodge(
        entry_id=entry.pk, name="王五", contact="13900001111", content="该企业未实际投产"
    )
    url = f"/api/v1/reviews/cases/{entry.application.reference}/objections/{objection.pk}/resolve/"
    response = _as(demo, "approver").post(
        url, {"upheld": False, "resolution": "经核实，企业已投产"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["upheld"] is False
    assert APIClient().get(f"/api/v1/objections/{objection.receipt_no}/").json()["state"] == (
        "rejected"
    )


# --- letters --------------------------------------------------------------------------


@pytest.fixture
def letters(demo, case_factory):
    from tests.payments.factories import ApplicationFactory, LetterFactory

    case = case_factory(Status.COUNTY_REVIEW)
    made = {}
    for username in ("qindu_corp", "weicheng_corp"):
        awarded = ApplicationFactory(
            organisation=demo[username].organisations.get(),
            round=case.round,
            clause=case.clause,
            status=Status.APPROVED,
            approved_amount=Decimal("50000.00"),
            created_by=demo[username],
        )
        made[username] = LetterFactory(application=awarded)
    return made


def test_letters_follow_case_visibility(letters, demo):
    own = _as(demo, "qindu_corp").get("/api/v1/letters/").json()
    assert [row["number"] for row in own["results"]] == [letters["qindu_corp"].number]
    citywide = _as(demo, "approver").get("/api/v1/letters/").json()
    assert citywide["count"] == 2


def test_letter_verification_is_public_and_private_free(letters):
    letter = letters["qindu_corp"]
    body = APIClient().get(f"/api/v1/letters/verify/{letter.verification_code}/").json()
    assert body["number"] == letter.number
    assert body["state"] == "current"
    assert "verification_code" not in body and "application_reference" not in body
    missing = APIClient().get("/api/v1/letters/verify/NOPE/")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_letters_zip_starts_a_job_of_the_chosen_letters(letters, demo):
    from jobs.models import Job

    client = _as(demo, "county_qindu")  # sees 秦都区's letter, not 渭城区's
    response = client.post(
        "/api/v1/letters/zip/", {"letters": [letters["qindu_corp"].pk]}, format="json"
    )
    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["job"])
    assert job.params == {"letters": [letters["qindu_corp"].pk]}
    status = client.get(f"/api/v1/jobs/{job.pk}/").json()
    assert status["id"] == job.pk and status["ready"] is False
    assert _as(demo, "approver").get(f"/api/v1/jobs/{job.pk}/").status_code == 404  # not theirs


def test_letters_zip_refuses_letters_out_of_scope_by_id(letters, demo):
    """A ZIP silently short of a letter read as complete; the refusal starts no job."""
    from jobs.models import Job

    other = letters["weicheng_corp"].pk
    for chosen in ([letters["qindu_corp"].pk, other], [other], [other, 10**9]):
        response = _as(demo, "county_qindu").post(
            "/api/v1/letters/zip/", {"letters": chosen}, format="json"
        )
        assert response.status_code == 400 and response.json()["code"] == "unknown_letters"
        assert str(other) in response.json()["message"]
    assert not Job.objects.filter(kind="letters_zip").exists()


def test_the_letters_page_refuses_a_letter_out_of_scope_and_odd_ids(letters, demo, client):
    from jobs.models import Job

    client.force_login(demo["county_qindu"])  # sees 秦都区's letter, not 渭城区's
    other = letters["weicheng_corp"].pk
    for selected in ([letters["qindu_corp"].pk, other], ["²", "9" * 40]):
        page = client.post("/reviews/letters/", {"selected": selected}, follow=True)
        assert page.status_code == 200
        body = page.content.decode()
        assert ("无权查看" in body) if other in selected else ("请至少勾选一份通知书" in body)
    assert not Job.objects.filter(kind="letters_zip").exists()


# --- audit trail, budgets ------------------------------------------------------------------


def test_audit_trail_is_the_auditors_with_the_pages_filters(demo, case_factory):
    case_factory(Status.COUNTY_REVIEW)  # submitting writes audit events
    auditor = _as(demo, "auditor")
    everything = auditor.get("/api/v1/audit/events/").json()
    assert everything["count"] > 0
    submitted = auditor.get("/api/v1/audit/events/?action=application.submit").json()
    assert submitted["count"] >= 1
    assert {row["action"] for row in submitted["results"]} == {"application.submit"}
    bad = auditor.get("/api/v1/audit/events/?date_from=yesterday")
    assert bad.status_code == 400 and "date_from" in bad.json()["detail"]
    for role in ("security_admin", "policy_admin", "approver"):  # 三员分立
        assert _as(demo, role).get("/api/v1/audit/events/").status_code == 403


def test_budgets_for_the_budget_roles(demo, open_round_db):
    rows = _as(demo, "finance").get("/api/v1/budgets/").json()
    assert rows["count"] >= 1
    assert "5000000.00" in {row["amount"] for row in rows["results"]}  # the round's budget
    first = rows["results"][0]
    assert Decimal(first["remaining"]) == Decimal(first["amount"]) - Decimal(first["committed"])
    assert _as(demo, "qindu_corp").get("/api/v1/budgets/").status_code == 403
    bad = _as(demo, "finance").get("/api/v1/budgets/?round=abc")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("county_qindu", {"qindu_corp"}),  # its county only
        ("dept_miit", {"qindu_corp", "weicheng_corp"}),  # the measure's department
        ("dept_sci", set()),  # another department
        ("approver", {"qindu_corp", "weicheng_corp"}),  # citywide
    ],
)
def test_letters_page_and_api_show_the_same_letters(letters, demo, client, username, expected):
    """The page and the operation read one selector: the same letters for each role."""
    client.force_login(demo[username])
    page = client.get("/reviews/letters/").content.decode()
    on_page = {owner for owner, letter in letters.items() if letter.number in page}
    api = _as(demo, username).get("/api/v1/letters/").json()
    in_api = {owner for owner, letter in letters.items() if letter.number in str(api)}
    assert on_page == in_api == expected


# --- operations ----------------------------------------------------------------------------


def test_retrying_a_delivered_message_is_a_409_and_changes_nothing(demo, client):
    from outbox.models import OutboxMessage

    message = OutboxMessage.objects.create(
        kind="notification_email",
        payload={},
        dedup_key="t-done",
        available_at=timezone.now(),
        state=OutboxMessage.State.DONE,
        attempts=1,
    )
    response = _as(demo, "policy_admin").post(f"/api/v1/operations/{message.pk}/retry/")
    assert response.status_code == 409 and response.json()["code"] == "already_done"
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxMessage.State.DONE, 1)
    client.force_login(demo["policy_admin"])
    page = client.post(f"/operations/{message.pk}/retry/", follow=True).content.decode()
    assert "已投递成功，无需重试" in page
