"""Public measure pages, the calculator (page and API), rounds and budgets."""

import pytest

from tests.helpers import api_as

pytestmark = pytest.mark.django_db


def test_api_lists_25_measures_with_clauses(api_client, policy):
    data = api_client.get("/api/v1/measures/").json()
    assert [m["number"] for m in data] == list(range(1, 26))
    m2 = data[1]
    assert m2["section"] == "提升企业创新能力"
    assert "市工信局" in m2["departments"]
    assert m2["monetary"] is True
    sme = next(c for c in m2["clauses"] if c["code"] == "M02-SPECIALISED-SME")
    assert sme["reward_kind"] == "tiered"
    assert sme["max_amount"] == "200000.00"
    assert "国家级：不超过20万元" in sme["reward_text"]
    assert {f["name"] for f in sme["facts_schema"]} == {"level", "recognised_on", "certificate_no"}
    assert data[22]["monetary"] is False and data[22]["clauses"] == []


def test_api_measure_detail_and_404(api_client, policy):
    assert api_client.get("/api/v1/measures/14/").json()["title"] == "鼓励开展绿色制造"
    response = api_client.get("/api/v1/measures/26/")
    assert response.status_code == 404
    assert set(response.json()) == {"code", "message", "detail"}


def test_api_rounds(api_client, open_round):
    rounds = api_client.get("/api/v1/rounds/").json()
    assert rounds[0]["is_open"] is True
    assert "M02-SPECIALISED-SME" in rounds[0]["clauses"]


@pytest.mark.parametrize(
    ("facts", "amount", "kind", "reason"),
    [
        (
            {"level": "national", "recognised_on": "2025-08-01", "certificate_no": "a"},
            "200000.00",
            "ceiling",
            "小巨人",
        ),
        (
            {"level": "provincial", "recognised_on": "2025-08-01", "certificate_no": "a"},
            "100000.00",
            "ceiling",
            "省级",
        ),
    ],
)
def test_api_calculator_by_applicant_type(demo, policy, facts, amount, kind, reason):
    response = api_as(demo["qindu_corp"]).post(
        "/api/v1/calculator/",
        {"clause": "M02-SPECIALISED-SME", "applicant_type": "enterprise", "facts": facts},
        format="json",
    )
    body = response.json()
    assert response.status_code == 200
    assert (body["amount"], body["amount_kind"], body["eligible"]) == (amount, kind, True)
    assert any(reason in r for r in body["reasons"])


def test_api_calculator_for_own_organisation_uses_prior_awards(demo, application_factory):
    from applications.models import Application, Status

    facts = {
        "level": "national",
        "product_count": "4",
        "product_names": "甲、乙、丙、丁",
        "recognised_on": "2025-09-01",
    }
    earlier = application_factory(clause_code="M14-GREEN-DESIGN-PRODUCT", facts=facts, submit=True)
    Application.objects.filter(pk=earlier.pk).update(status=Status.APPROVED)
    org_id = earlier.organisation_id
    body = (
        api_as(demo["qindu_corp"])
        .post(
            "/api/v1/calculator/",
            {
                "clause": "M14-GREEN-DESIGN-PRODUCT",
                "organisation": org_id,
                "facts": {**facts, "product_count": "1", "product_names": "戊"},
            },
            format="json",
        )
        .json()
    )
    # 5万 × 1 product, within 30万 − 20万 held by the earlier case.
    assert body["amount"] == "50000.00"
    assert any("已占用20万元" in r and earlier.reference in r for r in body["reasons"])


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        (
            {"clause": "M99-NOPE", "applicant_type": "enterprise", "facts": {}},
            "clause",
            "unknown_clause",
        ),
        (
            {
                "clause": "M02-SPECIALISED-SME",
                "applicant_type": "enterprise",
                "facts": {
                    "level": "galactic",
                    "recognised_on": "2025-08-01",
                    "certificate_no": "a",
                },
            },
            "level",
            "invalid_facts",
        ),
        (
            {
                "clause": "M17-KEY-PROJECT",
                "applicant_type": "enterprise",
                "facts": {"investment": "-5"},
            },
            "investment",
            "invalid_facts",
        ),
        ({"clause": "M02-SPECIALISED-SME", "facts": {}}, "applicant_type", "invalid"),
        (
            {
                "clause": "M02-SPECIALISED-SME",
                "applicant_type": "enterprise",
                "facts": {"level": "national"},
            },
            "recognised_on",
            "invalid_facts",
        ),
    ],
)
def test_api_calculator_bad_input(demo, policy, payload, field, code):
    response = api_as(demo["qindu_corp"]).post("/api/v1/calculator/", payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code
    assert field in body["detail"], body


def test_api_calculator_for_foreign_organisation_refused(demo, policy):
    from accounts.models import Organisation

    other = Organisation.objects.get(legal_name="咸阳渭城新材料科技有限公司")
    response = api_as(demo["qindu_corp"]).post(
        "/api/v1/calculator/",
        {"clause": "M02-SPECIALISED-SME", "organisation": other.pk, "facts": {}},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_organisation"


def test_public_measure_pages(client, policy):
    body = client.get("/measures/").content.decode()
    assert "提升企业创新能力" in body and "25." in body
    detail = client.get("/measures/2/").content.decode()
    assert "不超过20万元" in detail
    non_monetary = client.get("/measures/22/").content.decode()
    assert "无需在线申报" in non_monetary


@pytest.mark.parametrize(
    ("kind", "budget", "expected"),
    [("goods", "1500000", "100%"), ("works", "5000000", "2000000")],
)
def test_procurement_checker_on_measure_23(client, policy, kind, budget, expected):
    body = client.get("/measures/23/", {"kind": kind, "budget": budget}).content.decode()
    assert "procurement-advice" in body
    assert expected in body.replace(",", "")


def test_procurement_checker_bad_input(client, policy):
    body = client.get("/measures/23/", {"kind": "spaceships", "budget": "-1"}).content.decode()
    assert "procurement-advice" not in body
    assert "invalid-feedback" in body


def test_calculator_page_shows_applicable_clauses_and_result(client, demo, open_round):
    client.force_login(demo["qindu_corp"])
    page = client.get("/applications/calculator/").content.decode()
    assert "M02-SPECIALISED-SME" in page
    assert "M01-TECH-CONTRACT-TURNOVER" not in page  # counties and parks only
    result = client.post(
        "/applications/calculator/",
        {
            "clause": "M02-SPECIALISED-SME",
            "fact_level": "national",
            "fact_recognised_on": "2025-08-01",
            "fact_certificate_no": "x",
        },
    ).content.decode()
    assert "¥200,000.00" in result
    assert "/applications/start/M02-SPECIALISED-SME/" in result


def test_calculator_page_bad_facts_shown_next_to_field(client, demo, open_round):
    client.force_login(demo["qindu_corp"])
    result = client.post(
        "/applications/calculator/",
        {"clause": "M17-KEY-PROJECT", "fact_investment": "abc"},
    ).content.decode()
    assert "fact_investment-error" in result


def test_calculator_page_is_for_organisations(client, demo, open_round):
    client.force_login(demo["approver"])
    assert client.get("/applications/calculator/").status_code == 403


@pytest.mark.parametrize(
    ("username", "status"),
    [("finance", 200), ("auditor", 200), ("qindu_corp", 403), ("county_qindu", 403)],
)
def test_budget_page_access(client, demo, open_round, username, status):
    client.force_login(demo[username])
    response = client.get("/measures/budgets/")
    assert response.status_code == status
    if status == 200:
        assert "¥5,000,000.00" in response.content.decode()


def test_old_calculator_address_leads_to_the_calculator(client, demo, open_round):
    client.force_login(demo["qindu_corp"])
    response = client.get("/measures/calculator/?org=1")
    assert response.status_code == 302
    assert response["Location"] == "/applications/calculator/?org=1"


def test_calculator_gives_every_clause_its_own_field_ids(client, demo, open_round):
    """Each label points at its own clause's field (one form per clause on the page)."""
    import re
    from collections import Counter

    client.force_login(demo["qindu_corp"])
    page = client.get("/applications/calculator/").content.decode()
    ids = Counter(re.findall(r'\sid="([^"]+)"', page))
    assert [i for i, n in ids.items() if n > 1] == []
    assert 'for="id_M02-SPECIALISED-SME_fact_level"' in page
    assert 'name="fact_level"' in page  # what is posted is unchanged


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        # Hand-written from the policy text's validity (2025-06-30 to 2025-12-31).
        ("zh-hans", "有效期 2025年6月30日 至 2025年12月31日"),
        ("en", "June 30, 2025"),
    ],
)
def test_the_validity_dates_read_in_the_page_language(client, policy, language, expected):
    body = client.get("/measures/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert expected in body
    if language == "en":
        assert "2025年" not in body.split("<main", 1)[1].split("</p>", 1)[0]
