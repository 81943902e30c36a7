"""The submit path's queries per step, through the API with a token (issue 13, Deliver 6:
one enterprise's create, upload and submit took 26, 13 and 34 queries)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tokens import token_issue
from tests.applications import files
from tests.conftest import SPECIALISED_SME_FACTS

CLAUSE = "M02-SPECIALISED-SME"


def _enterprise(i: int):
    """A fresh enterprise account with its own organisation (one-time awards per org)."""
    from accounts.models import Membership, Organisation, Place, User

    user = User.objects.create_user(f"q_enterprise_{i}", full_name=f"申报员{i}")
    organisation = Organisation.objects.create(
        legal_name=f"咸阳查询计数测试第{i}有限公司",
        uscc=f"91610400QC{i:07d}",
        place=Place.objects.order_by("pk")[i % Place.objects.count()],
        contact_name="联系人",
        contact_phone="029-33000000",
    )
    Membership.objects.create(user=user, organisation=organisation)
    return user


def _steps(api_client, user, number: int = 100) -> dict[str, list[str]]:
    facts = {**SPECIALISED_SME_FACTS, "certificate_no": f"工信部企业函〔2025〕{number}号"}
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=user)[0]}")
    queries = {}
    with CaptureQueriesContext(connection) as ctx:
        created = api_client.post(
            "/api/v1/applications/",
            {"clause": CLAUSE, "facts": facts},
            format="json",
        )
    assert created.status_code == 201, created.content
    queries["create"] = [q["sql"] for q in ctx.captured_queries]
    reference = created.json()["reference"]
    with CaptureQueriesContext(connection) as ctx:
        uploaded = api_client.post(
            f"/api/v1/applications/{reference}/evidence/",
            {"material_code": "CERTIFICATE", "file": files.upload("cert.pdf", files.pdf_bytes())},
            format="multipart",
        )
    assert uploaded.status_code == 201, uploaded.content
    queries["upload"] = [q["sql"] for q in ctx.captured_queries]
    with CaptureQueriesContext(connection) as ctx:
        submitted = api_client.post(
            f"/api/v1/applications/{reference}/submit/",
            {"pledge_accepted": True, "pledge_name": "法定代表人"},
            format="json",
        )
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["status"] == "county_review"
    queries["submit"] = [q["sql"] for q in ctx.captured_queries]
    return queries


def _statements(sqls: list[str]) -> list[str]:
    """Savepoints come from the test's own transaction around nested blocks: not counted."""
    return [sql for sql in sqls if "SAVEPOINT" not in sql]


# Measured before this change (statements, savepoints aside): 21, 13 and 44.
# Now: create 13 (facts evaluated and stored in the one insert, the clause with its policy and
# version in one query), upload 12 (the file count and total size in one aggregate), submit 35
# (the duplicate checks in one query, clause and policy joined to the locked row, the award
# groups locked once per transition, not again by the ledger).
BOUNDS = {"create": 13, "upload": 12, "submit": 35}


def test_queries_per_step_of_the_submit_path(api_client, demo, open_round_db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    _steps(api_client, _enterprise(0), 300)  # warm the per-process caches
    steps = _steps(api_client, _enterprise(1), 301)
    counts = {name: len(_statements(sqls)) for name, sqls in steps.items()}
    for name, bound in BOUNDS.items():
        assert counts[name] <= bound, (name, counts[name], _statements(steps[name]))


def test_the_duplicate_checks_still_find_every_kind(
    api_client, demo, open_round_db, settings, tmp_path
):
    """One query now serves the three checks: the same basis under the same clause is refused,
    the same basis under another clause and the same clause in the same round are flagged."""
    from applications import duplicates
    from applications.models import Application

    settings.MEDIA_ROOT = str(tmp_path)
    user = _enterprise(2)
    _steps(api_client, user, 400)
    first = Application.objects.get(basis="工信部企业函〔2025〕400号")
    twin = Application(
        organisation=first.organisation,
        clause=first.clause,
        round=first.round,
        basis=first.basis,
    )
    findings = duplicates.find_duplicates(twin)
    assert [(f.kind, f.hard, f.other) for f in findings] == [("same_basis", True, first)]
    twin.basis = "另一依据"
    findings = duplicates.find_duplicates(twin)
    assert [(f.kind, f.hard, f.other) for f in findings] == [
        ("same_clause_same_round", False, first)
    ]
    from measures.models import Clause

    twin.basis = first.basis  # the same document, claimed under another clause
    twin.clause = Clause.objects.exclude(pk=first.clause_id).filter(policy=first.clause.policy)[0]
    findings = duplicates.find_duplicates(twin)
    assert [(f.kind, f.hard, f.other) for f in findings] == [
        ("same_basis_other_clause", False, first)
    ]
