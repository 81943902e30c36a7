"""API fuzzing: schemathesis generates requests from the OpenAPI schema (/api/schema/) and
sends them as several roles; no answer may be a server error. Bounded for CI: at most
CASES_PER_ROLE generated requests per role (deterministic, no example database)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import given
from knox.models import AuthToken

from tests.security.conftest import bounded

ROLES = ["qindu_corp", "county_qindu", "finance", "auditor"]
CASES_PER_ROLE = 200


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

    @bounded(examples)
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
