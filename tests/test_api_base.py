import pytest

from tests.helpers import api_as


def test_me_returns_roles_and_organisations(demo):
    data = api_as(demo["qindu_corp"]).get("/api/v1/me/").json()
    assert data["username"] == "qindu_corp"
    assert data["roles"] == ["enterprise"]
    assert data["organisations"][0]["legal_name"] == "咸阳秦都精密制造有限公司"
    staff = api_as(demo["county_qindu"]).get("/api/v1/me/").json()
    assert staff["roles"] == ["county_reviewer"]
    assert staff["organisations"] == []


def test_unauthenticated_api_gets_error_format(api_client, db):
    response = api_client.get("/api/v1/me/")
    assert response.status_code in (401, 403)
    body = response.json()
    assert set(body) == {"code", "message", "detail"}
    assert body["code"] == "not_authenticated"


def test_token_auth(demo, api_client):
    from accounts.tokens import token_issue

    key, _instance = token_issue(user=demo["finance"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get("/api/v1/me/").json()["roles"] == ["finance"]


def test_unknown_api_path_is_404_json(demo):
    response = api_as(demo["finance"]).get("/api/v1/nothing-here/")
    assert response.status_code == 404


def test_health_checks_database_and_broker(api_client, db, settings):
    response = api_client.get("/api/v1/health/")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_health_reports_broker_down(api_client, db, settings):
    from xianyang_portal.celery import app

    old = (app.conf.task_always_eager, app.conf.broker_url, app.conf.broker_write_url)
    app.conf.task_always_eager = False
    app.conf.broker_url = app.conf.broker_write_url = "redis://127.0.0.1:1/0"
    try:
        response = api_client.get("/api/v1/health/")
    finally:
        app.conf.task_always_eager, app.conf.broker_url, app.conf.broker_write_url = old
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error")


def test_health_broker_ok_against_redis(api_client, db):
    from xianyang_portal.celery import app

    old = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        response = api_client.get("/api/v1/health/")
    finally:
        app.conf.task_always_eager = old
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/"])
def test_openapi_offline(api_client, db, path):
    response = api_client.get(path)
    assert response.status_code == 200
    if path == "/api/docs/":
        body = response.content.decode()
        assert "drf_spectacular_sidecar" in body or "/static/" in body
        assert "cdn" not in body.lower()


def test_token_endpoint_and_bad_credentials(api_client, demo):
    from accounts.demo import DEMO_PASSWORD

    bad = api_client.post(
        "/api/v1/token/", {"username": "finance", "password": "wrong"}, format="json"
    )
    assert bad.status_code == 400
    assert set(bad.json()) == {"code", "message", "detail"}
    from tests.helpers import totp_code

    ok = api_client.post(
        "/api/v1/token/",
        {"username": "finance", "password": DEMO_PASSWORD, "otp": totp_code("finance")},
        format="json",
    )
    token = ok.json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/v1/me/").json()["username"] == "finance"


def test_an_api_address_without_its_slash_is_a_404_naming_it_not_a_redirect(demo, open_round_db):
    """A 301 turned the POST into a GET of the list: the client saw 200 and nothing was made."""
    from applications.models import Application

    before = Application.objects.count()
    client = api_as(demo["qindu_corp"])
    response = client.post("/api/v1/applications", {"clause": "M02-SPECIALISED-SME"}, format="json")
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "not_found" and "/api/v1/applications/" in body["message"]
    assert Application.objects.count() == before


def test_a_page_address_without_its_slash_still_redirects(client, db):
    response = client.get("/measures")
    assert response.status_code == 301 and response["Location"] == "/measures/"


def test_a_method_an_operation_does_not_have_is_a_405_for_the_auditor_too(demo):
    """It was the auditor's read-only refusal (403), which said nothing about the method."""
    response = api_as(demo["auditor"]).post("/api/v1/audit/events/", {}, format="json")
    assert response.status_code == 405
    assert api_as(demo["auditor"]).get("/api/v1/audit/events/").status_code == 200
    # The read-only rule still refuses what the operation does offer.
    refused = api_as(demo["auditor"]).post("/api/v1/notifications/mark-read/", {}, format="json")
    assert refused.status_code == 403
