"""Input limits before parsing: deep JSON is a 400, and forms keep their rule's bounds."""

import pytest

DEEP = "[" * 50_000 + "]" * 50_000


@pytest.mark.parametrize("url", ["/api/v1/calculator/", "/api/v1/token/"])
def test_deeply_nested_json_is_a_400_in_the_error_format(demo, api_client, url):
    if "calculator" in url:
        api_client.force_authenticate(demo["qindu_corp"])  # the token endpoint is anonymous
    response = api_client.post(url, DEEP, content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "too_deep" and "嵌套" in body["message"]


def test_ordinary_nesting_still_parses(db, api_client):
    response = api_client.post(
        "/api/v1/token/", '{"username": "x", "password": "y"}', content_type="application/json"
    )
    # Parsed: the credentials are judged (refused), not the nesting.
    assert response.status_code == 400 and response.json()["code"] == "invalid_credentials"


@pytest.mark.parametrize(
    ("budget", "message"),
    [
        ("0", "采购预算必须大于0"),
        ("100000000000.01", "不能超过1000亿元"),
        ("-1", "采购预算必须大于0"),
    ],
)
def test_measure_23_checker_refuses_what_the_rule_refuses(
    db, client, open_round_db, budget, message
):
    response = client.get("/measures/23/", {"kind": "goods", "budget": budget})
    assert response.status_code == 200
    assert message in response.content.decode()


@pytest.mark.parametrize("budget", ["0.01", "100000000000"])
def test_measure_23_checker_accepts_its_bounds(db, client, open_round_db, budget):
    response = client.get("/measures/23/", {"kind": "goods", "budget": budget})
    assert response.status_code == 200
    assert "is-invalid" not in response.content.decode()
