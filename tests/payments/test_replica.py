"""Read replica: dashboards and exports read from DATABASE_REPLICA_URL's database, the rest
(and every permission check and write) from the primary. A second test database stands in
for the replica; it starts with the schema and reference data but none of the cases."""

from __future__ import annotations

import io

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from tests.helpers import api_as

pytestmark = pytest.mark.django_db(databases=["default", "replica"])


@pytest.fixture
def replica(settings):
    settings.READ_REPLICA_ALIAS = "replica"


def _tables(context: CaptureQueriesContext) -> str:
    return " ".join(query["sql"] for query in context.captured_queries)


def test_dashboard_reads_from_the_replica(payable, demo, replica):
    payable("100000.00")  # on the primary only
    client = api_as(demo["approver"])
    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        data = client.get("/api/v1/payments/dashboard/").json()
    # The replica has not received the case: the figures come from there.
    assert data["total"]["applications"] == 0
    # The dashboard reads the pre-aggregated summaries (issue 13), from the replica.
    assert '"applications_applicationsummary"' in _tables(on_replica)
    assert '"applications_applicationsummary"' not in _tables(on_primary)
    # Who may see the dashboard was decided on the primary (roles live there).
    assert '"accounts_roleassignment"' in _tables(on_primary)


def test_without_a_replica_everything_reads_the_primary(payable, demo, settings):
    settings.READ_REPLICA_ALIAS = None
    payable("100000.00")
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        data = api_as(demo["approver"]).get("/api/v1/payments/dashboard/").json()
    assert data["total"]["applications"] == 1
    assert on_replica.captured_queries == []


def test_other_reads_and_writes_stay_on_the_primary(payable, demo, replica, client):
    application = payable("100000.00")
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        listed = api_as(demo["qindu_corp"]).get("/api/v1/applications/").json()
        client.force_login(demo["approver"])
        page = client.get(f"/reviews/cases/{application.reference}/")
    assert [row["reference"] for row in listed["results"]] == [application.reference]
    assert page.status_code == 200
    assert on_replica.captured_queries == []


def test_audit_export_reads_from_the_replica(payable, demo, replica, client):
    from audit.services import audit_record

    audit_record(actor=demo["approver"], obj=payable("100000.00"), action="test.replica")
    client.force_login(demo["auditor"])
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        response = client.get("/reviews/audit/?export=xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert not any("test.replica" in row for row in rows)  # the replica has not got it yet
    assert '"audit_auditevent"' in _tables(on_replica)
