"""The database goes away: pages answer a 503 the user can act on, the API a 503 error."""

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client


@pytest.fixture
def database_down():
    """Every query fails as with a stopped server, until the test ends (then it is back)."""
    patch = pytest.MonkeyPatch()

    def refuse(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    def stop():
        patch.setattr(CursorWrapper, "execute", refuse)
        patch.setattr(CursorWrapper, "executemany", refuse)

    yield stop
    patch.undo()


def test_pages_and_api_answer_503_not_500(db, demo, database_down):
    client = Client(raise_request_exception=False)
    client.force_login(demo["qindu_corp"])  # the session itself needs the database
    anonymous = Client(raise_request_exception=False)
    database_down()

    page = client.get("/applications/")
    assert page.status_code == 503
    body = page.content.decode()
    assert "系统暂时不可用" in body and "未丢失" in body and "重试" in body
    assert 'href="/"' in body  # a way back, in the site layout
    assert page["Retry-After"] == "30"

    public = anonymous.get("/measures/")
    assert public.status_code == 503 and "系统暂时不可用" in public.content.decode()

    api = anonymous.get("/api/v1/measures/")
    assert api.status_code == 503
    assert api.json()["code"] == "unavailable" and api.json()["message"]

    assert anonymous.get("/api/v1/health/live/").status_code == 200
    ready = anonymous.get("/api/v1/health/ready/")
    assert ready.status_code == 503 and ready.json()["database"].startswith("error")
    assert anonymous.get("/api/v1/health/").status_code == 503


def test_503_page_in_english_under_the_switch(db, database_down):
    client = Client(raise_request_exception=False)
    client.cookies["django_language"] = "en"
    database_down()
    page = client.get("/measures/")
    assert page.status_code == 503
    assert "temporarily unavailable" in page.content.decode()


def test_error_pages_in_the_site_layout(db, demo, client):
    client.force_login(demo["qindu_corp"])
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    body = missing.content.decode()
    assert "页面不存在" in body and "返回首页" in body and 'data-testid="nav"' in body
    denied = client.get("/payments/")
    assert denied.status_code == 403
    assert "您无权访问此页面" in denied.content.decode()
    api_missing = client.get("/api/v1/no-such-endpoint/")
    assert api_missing.status_code == 404 and api_missing.json()["code"] == "not_found"


def test_500_page_in_the_layout_without_a_traceback(db, monkeypatch):
    client = Client(raise_request_exception=False)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("measures.selectors.measures_public", broken, raising=False)
    monkeypatch.setattr("django.views.generic.base.TemplateView.get", broken)
    response = client.get("/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "系统出现错误" in body and "返回首页" in body and "Traceback" not in body


def test_liveness_touches_no_service(db, database_down):
    database_down()
    response = Client(raise_request_exception=False).get("/api/v1/health/live/")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def _deadlock(*args, **kwargs):
    """What PostgreSQL raises in the transaction it picks when two wait on each other."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DO $$ BEGIN RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01'; END $$"
        )


def test_a_collision_with_another_transaction_is_a_409_to_retry_not_a_503(db, demo, monkeypatch):
    # Two approvals of linked cases at the same moment deadlocked; the reviewer was told the
    # database was down (503). The database is fine and nothing was committed: retry.
    client = Client(raise_request_exception=False)
    client.force_login(demo["qindu_corp"])
    monkeypatch.setattr("measures.api.selectors.current_policy_or_404", _deadlock)
    answer = client.get("/api/v1/measures/")
    assert answer.status_code == 409
    assert answer.json()["code"] == "concurrent_update"
    assert "请刷新页面后重试" in answer.json()["message"]
    monkeypatch.setattr("django.views.generic.base.TemplateView.get", _deadlock)
    page = client.get("/")
    assert page.status_code == 409
    body = page.content.decode()
    assert "操作冲突，未生效" in body and "Retry-After" not in page.headers
