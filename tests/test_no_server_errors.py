"""Sweep every URL as every kind of user with hostile input: nothing may answer 5xx."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from applications.models import Status

USERS = [
    None,
    "qindu_corp",
    "county_qindu",
    "dept_miit",
    "approver",
    "finance",
    "policy_admin",
    "auditor",
    "security_admin",
]
HOSTILE = {
    "q": "' OR 1=1 --",
    "amount": "1e999",
    "amount_min": "NaN",
    "page": "-1",
    "round": "abc",
    "status": "nope",
    "sort": "<script>",
    "format": "json",
    "kind": "works",
    "budget": "-5",
    "working_days": "999",
    "selected": ["x", "-1"],
    "action": "approve",
    "revision": "zz",
    "comment": "\x00" * 3,
    "fact_level": "galactic",
    "clause": "M99-NOPE",
    "reason": "x" * 5000,
}


def _patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield route


def _urls(values):
    for route in _patterns():
        if route.startswith(("admin/", "^", "static")) or "<path:" in route:
            continue
        params = re.findall(r"<(?:(\w+):)?(\w+)>", route)
        options = [""]
        for converter, name in params:
            candidates = values.get(name, ["999999"] if converter == "int" else ["NOPE"])
            options = [o + "\0" + c for o in options for c in candidates]
        for option in options:
            url = route
            for value in option.split("\0")[1:]:
                url = re.sub(r"<(?:\w+:)?\w+>", value, url, count=1)
            yield "/" + url


@pytest.mark.django_db
def test_no_url_answers_5xx(case_factory, demo):
    approved = case_factory(Status.APPROVED, approved=Decimal("150000.00"))
    county = case_factory(Status.COUNTY_REVIEW)
    values = {
        "reference": [approved.reference, county.reference, "NOPE"],
        "code": ["M02-SPECIALISED-SME", "NOPE"],
        "number": ["2", "23", "99"],
        "evidence_id": [str(county.materials.first().evidence_id), "999999"],
        "fmt": ["xlsx", "csv", "pdf", "exe"],
    }
    urls = sorted(set(_urls(values)))
    assert len(urls) > 60
    failures = []
    statuses: dict[int, int] = {}
    for username in USERS:
        client = Client(raise_request_exception=False)
        if username:
            client.force_login(demo[username])
        for url in urls:
            for method in ("get", "post"):
                response = getattr(client, method)(url, HOSTILE)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                if response.status_code >= 500:
                    failures.append(f"{username} {method.upper()} {url} → {response.status_code}")
            if url.startswith("/api/"):
                for body in (
                    "{not json",
                    '{"facts": [1, 2], "references": "x", "lines": {"a": 1}}',
                ):
                    response = client.post(url, body, content_type="application/json")
                    if response.status_code >= 500:
                        failures.append(f"{username} POST(json) {url} → {response.status_code}")
    assert failures == []
    # The sweep reached real pages, not only redirects and refusals.
    assert statuses.get(200, 0) > 100, statuses


def test_an_action_address_opened_by_get_shows_the_portal_page(application_factory, demo, client):
    """A withdraw link opened from the history: 405 with the portal's page and Allow."""
    application = application_factory()
    client.force_login(demo["qindu_corp"])
    response = client.get(f"/applications/{application.reference}/withdraw/")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    body = response.content.decode()
    assert 'data-status="405"' in body and "该操作须在页面上点击按钮完成" in body
    assert "Content-Security-Policy" in response.headers
    api = client.get("/api/v1/calculator/")
    assert api.status_code == 405 and api["Content-Type"].startswith("application/json")
