"""API fuzzing: schemathesis generates requests from the OpenAPI schema (/api/schema/) and
sends them as several roles; no answer may be a server error. Bounded for CI: at most
CASES_PER_ROLE generated requests per role (deterministic, no example database)."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, given, settings
from knox.models import AuthToken

ROLES = ["qindu_corp", "county_qindu", "finance", "auditor"]
CASES_PER_ROLE = 200


@pytest.fixture
def wsgi_app():
    """Django's WSGI app without closing the test's database connection after each request
    (what django.test.Client does too)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _operations(schema):
    for result in schema.get_all_operations():
        yield result.ok()


@pytest.mark.slow
@pytest.mark.parametrize("username", [None, *ROLES])
def test_no_server_errors(demo, open_round_db, case_factory, wsgi_app, username):
    from applications.models import Status

    case_factory(Status.COUNTY_REVIEW)  # something to find behind the list endpoints
    headers = {}
    if username:
        _instance, token = AuthToken.objects.create(user=demo[username])
        headers = {"Authorization": f"Token {token}"}
    app = wsgi_app
    auditor = AuthToken.objects.create(user=demo["auditor"])[1]
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", app, headers={"Authorization": f"Token {auditor}"}
    )
    operations = list(_operations(schema))
    per_operation = max(1, CASES_PER_ROLE // len(operations))
    failures: list[str] = []
    sent = 0
    for operation in operations:
        sent += _fuzz(operation, per_operation, headers, failures)
    assert sent <= CASES_PER_ROLE + len(operations)
    assert sent >= len(operations)
    assert failures == []


def _fuzz(operation, examples: int, headers: dict, failures: list[str]) -> int:
    sent = 0

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case):
        nonlocal sent
        sent += 1
        response = case.call(headers=headers)
        if response.status_code >= 500:
            failures.append(
                f"{operation.method.upper()} {case.formatted_path} → "
                f"{response.status_code}: {case.as_curl_command()[:300]}"
            )

    run()
    return sent
