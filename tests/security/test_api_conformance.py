"""The answers match the schema (issue 15, Deliver 2): schemathesis generates requests from
/api/schema/ for every operation and sends them as anonymous and as several roles; each answer
must be a documented status code, of a documented content type, with a body valid against the
documented schema (paginated envelopes, nullable fields, the error format {code, message,
detail}). Bounded for CI: EXAMPLES_PER_OPERATION generated requests per operation and role,
deterministic, no example database."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import given
from knox.models import AuthToken
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.security.conftest import bounded

ROLES = [
    None,
    "qindu_corp",
    "county_qindu",
    "approver",
    "finance",
    "policy_admin",
    "security_admin",
    "auditor",
]
EXAMPLES_PER_OPERATION = 3
OK = [0]  # answers with a 2xx status in the current run (their bodies are validated too)
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def generous_rates(settings):
    """Throttles still answer (429 is documented), but not for most of the run."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "objection": "1000/m", "verify": "1000/m"}


@pytest.mark.slow
@pytest.mark.parametrize("username", ROLES)
def test_responses_conform_to_the_schema(
    demo,
    open_round_db,
    case_factory,
    wsgi_app,
    generous_rates,
    username,
):
    from applications.models import Status

    _world(demo, case_factory(Status.COUNTY_REVIEW))  # something behind every list
    headers = {}
    if username:
        _instance, token = AuthToken.objects.create(user=demo[username])
        headers = {"Authorization": f"Token {token}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    violations: list[str] = []
    sent = 0
    OK[0] = 0
    for operation in operations:
        sent += _check(operation, headers, violations)
    print(  # noqa: T201 - the run's figures, shown with -s
        f"conformance: role={username} operations={len(operations)} cases={sent} "
        f"ok_2xx={OK[0]} violations={len(violations)}"
    )
    assert sent >= len(operations)
    assert violations == [], f"{len(violations)} violations in {sent} cases:\n" + "\n".join(
        violations
    )


def _world(demo, case):
    """A case with materials, an awarded case with its letter, an unlocked payment batch
    (locked_by: null), a job, a message and an audit trail: the lists answer real rows."""
    from decimal import Decimal

    from accounts.models import Notification
    from applications.models import Status
    from jobs.models import Job
    from payments.selectors import BuildFilters
    from payments.services import payment_batch_build
    from tests.payments.factories import ApplicationFactory, LetterFactory

    awarded = ApplicationFactory(
        organisation=demo["qindu_corp"].organisations.get(),
        round=case.round,
        clause=case.clause,
        status=Status.APPROVED,
        approved_amount=Decimal("50000.00"),
        created_by=demo["qindu_corp"],
    )
    LetterFactory(application=awarded)
    payment_batch_build(actor=demo["finance"], filters=BuildFilters())
    Job.objects.create(kind="letters_zip", requested_by=demo["finance"])
    for username in ROLES[1:]:
        Notification.objects.create(user=demo[username], subject="测试", body="消息正文")


def _check(operation, headers: dict, violations: list[str]) -> int:
    sent = 0

    @bounded(EXAMPLES_PER_OPERATION)
    @given(case=operation.as_strategy())
    def run(case):
        nonlocal sent
        sent += 1
        response = case.call(headers=headers)
        OK[0] += 200 <= response.status_code < 300
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except Exception as exc:  # a failure group: one line per violated check
            violations.append(
                f"{operation.method.upper()} {case.formatted_path} → {response.status_code}: "
                f"{str(exc).strip()[:600]}"
            )

    run()
    return sent
