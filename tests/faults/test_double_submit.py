"""Double submits: two clicks at once never give a 500; the loser sees the current state."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from applications.models import Application, Status

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROUNDS = 8


def _post_together(user, url: str, data: dict, n: int = 2, **options):
    """`n` clicks at once from one browser: one login shared by every client (staff hold one
    session at a time, so a second login would end the first)."""
    session = Client()
    session.force_login(user)
    barrier = threading.Barrier(n)
    responses: list = [None] * n

    def click(index: int) -> None:
        client = Client(raise_request_exception=False)
        client.cookies = session.cookies
        barrier.wait()
        try:
            responses[index] = client.post(url, data, **options)
        finally:
            connection.close()

    threads = [threading.Thread(target=click, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


def test_double_clicked_submit_never_500(application_factory, demo):
    user = demo["qindu_corp"]
    for i in range(ROUNDS):
        draft = application_factory(
            submit=False,
            clause_code="M04-SMART-FACTORY",
            facts={"level": "leading", "recognised_on": "2025-08-01", "certificate_no": f"双击{i}"},
        )
        data = {
            "action": "submit",
            "fact_level": "leading",
            "fact_recognised_on": "2025-08-01",
            "fact_certificate_no": f"双击{i}",
            "pledge_accepted": "on",
            "pledge_name": "张三",
        }
        responses = _post_together(user, f"/applications/{draft.reference}/edit/", data, n=3)
        statuses = [r.status_code for r in responses]
        assert all(code < 500 for code in statuses), statuses
        detail = f"/applications/{draft.reference}/"
        assert all(r.status_code == 302 and r["Location"] == detail for r in responses), statuses
        draft.refresh_from_db()
        assert draft.status != Status.DRAFT and draft.submitted_at is not None
    assert Application.objects.filter(submitted_at__isnull=False).count() == ROUNDS


def test_double_clicked_save_never_500(application_factory, demo):
    user = demo["qindu_corp"]
    draft = application_factory(submit=False)
    data = {"action": "save", "fact_level": "national", "fact_recognised_on": "2025-08-01",
            "fact_certificate_no": "工信部企业函〔2025〕100号"}  # fmt: skip
    for _ in range(ROUNDS):
        responses = _post_together(user, f"/applications/{draft.reference}/edit/", data)
        assert [r.status_code for r in responses] == [302, 302]


def test_concurrent_api_pass_without_revision_loser_gets_409(case_factory, demo):
    """Two clients pass one case at once without sending its revision: one moves it, the
    other is told the case moved on (409 in the error format), never a 500 or a 403."""
    for _ in range(3):
        case = case_factory(Status.COUNTY_REVIEW)
        responses = _post_together(
            demo["county_qindu"],
            f"/api/v1/reviews/cases/{case.reference}/actions/",
            {"action": "pass", "comment": "同意"},
            content_type="application/json",
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200, 409], [r.content.decode() for r in responses]
        loser = next(r for r in responses if r.status_code == 409).json()
        assert set(loser) >= {"code", "message", "detail"} and "当前状态" in loser["message"]
        case.refresh_from_db()
        assert case.status == Status.DEPARTMENT_REVIEW
