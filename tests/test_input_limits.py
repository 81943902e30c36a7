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


# A body over DATA_UPLOAD_MAX_MEMORY_SIZE (5 MB, settings) on /api/ answers the error format
# with 413 and code "too_large", never Django's HTML 400 page; a page keeps Django's 400.
FIVE_MB = 5 * 1024 * 1024


@pytest.mark.parametrize(
    ("url", "content_type", "body"),
    [
        # JSON read by the API's parser
        ("/api/v1/calculator/", "application/json", b'{"clause": "' + b"x" * FIVE_MB + b'"}'),
        ("/api/v1/token/", "application/json", b'{"username": "' + b"x" * FIVE_MB + b'"}'),
        # a form body, read by a middleware (CSRF, session authentication) before the view
        ("/api/v1/notifications/mark-read/", "application/x-www-form-urlencoded",
         b"ids=" + b"1" * FIVE_MB),
    ],
)  # fmt: skip
def test_body_over_5_mb_is_a_413_in_the_error_format(demo, api_client, url, content_type, body):
    api_client.force_authenticate(demo["qindu_corp"])
    response = api_client.generic("POST", url, body, content_type=content_type)
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    payload = response.json()
    assert payload["code"] == "too_large"
    assert set(payload) == {"code", "message", "detail"}
    assert "5 MB" in payload["message"]
    assert payload["detail"] == {"max_bytes": FIVE_MB}


def test_body_just_under_the_limit_is_parsed(demo, api_client):
    api_client.force_authenticate(demo["qindu_corp"])
    filler = b"x" * (FIVE_MB - 100)
    response = api_client.generic(
        "POST", "/api/v1/calculator/", b'{"clause": "' + filler + b'"}', "application/json"
    )
    assert response.status_code == 400  # judged on its content, not its size
    assert response.json()["code"] == "invalid"


def test_page_body_over_5_mb_keeps_the_html_answer(demo, client):
    client.force_login(demo["qindu_corp"])
    response = client.generic(
        "POST", "/accounts/organisation/", b"industry=" + b"1" * FIVE_MB,
        content_type="application/x-www-form-urlencoded",
    )  # fmt: skip
    assert response.status_code == 400
    assert not response["Content-Type"].startswith("application/json")


def test_every_json_parser_of_the_api_checks_the_limits():
    """A view that lists its own parsers must list ours: two used DRF's plain JSONParser, and
    a deep body there was a RecursionError (a 500); form and multipart bodies must refuse
    control characters as JSON does."""
    from django.urls import get_resolver
    from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

    from core.parsers import CheckedFormParser, CheckedMultiPartParser, LimitedJSONParser

    ours = {
        JSONParser: LimitedJSONParser,
        FormParser: CheckedFormParser,
        MultiPartParser: CheckedMultiPartParser,
    }

    def views(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                yield from views(pattern.url_patterns)
            else:
                yield pattern.callback

    checked = 0
    for view in views(get_resolver().url_patterns):
        parsers = getattr(getattr(view, "cls", None), "parser_classes", None) or []
        for parser in parsers:
            for plain, checking in ours.items():
                if issubclass(parser, plain):
                    checked += 1
                    assert issubclass(parser, checking), (view, parser)
    assert checked >= 6


def test_deep_json_on_the_evidence_upload_is_a_400(demo, api_client, application_factory):
    application = application_factory()
    api_client.force_authenticate(demo["qindu_corp"])
    response = api_client.post(
        f"/api/v1/applications/{application.reference}/evidence/",
        DEEP,
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["code"] == "too_deep"


@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        # Hand-written: what each bad body is, said in the portal's words.
        ('{"ids": [' + "1" * 30 + "]}", "number_out_of_range", "数值超出范围"),
        ('{"ids": [1e400]}', "number_out_of_range", "数值超出范围"),
        ('{"ids": [NaN]}', "parse_error", "NaN"),
        ('{"ids": [1,', "parse_error", "第1行第12列"),
        ("null", "parse_error", "null"),
    ],
)
def test_bad_json_bodies_are_named_not_500s(demo, api_client, body, code, words):
    api_client.force_authenticate(demo["qindu_corp"])
    response = api_client.post(
        "/api/v1/notifications/mark-read/", body, content_type="application/json"
    )
    assert response.status_code == 400
    payload = response.json()
    assert payload["code"] == code and words in payload["message"], payload
    assert "Expecting" not in payload["message"]


def test_a_body_that_is_not_utf8_is_named(demo, api_client):
    api_client.force_authenticate(demo["qindu_corp"])
    response = api_client.post(
        "/api/v1/notifications/mark-read/", b'{"ids": ["\xff"]}', content_type="application/json"
    )
    assert response.status_code == 400 and "UTF-8" in response.json()["message"]


@pytest.mark.parametrize(
    ("role", "url"),
    [
        ("policy_admin", "/api/v1/budgets/?round=99999999999999999999"),
        ("finance", "/api/v1/payments/dashboard/?round=99999999999999999999"),
        ("county_qindu", "/api/v1/reviews/queue/?waiting_days=99999999999999999999"),
    ],
)
def test_huge_numbers_in_the_query_are_a_400(demo, api_client, role, url):
    api_client.force_authenticate(demo[role])
    response = api_client.get(url)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize(
    ("role", "url", "name"),
    [
        ("qindu_corp", "/api/v1/notifications/?unread=abc", "unread"),
        (None, "/api/v1/notices/?open=maybe", "open"),
    ],
)
def test_an_unknown_filter_value_is_a_400_not_everything(demo, api_client, role, url, name):
    """An ignored filter answered 200 with the unfiltered list, which read as filtered."""
    if role:
        api_client.force_authenticate(demo[role])
    response = api_client.get(url)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid" and name in response.json()["detail"]
    assert api_client.get(url.split("=")[0] + "=true").status_code == 200
