"""seed_scale (the benches' city-scale data) loads consistent data into an empty database,
through COPY into every current column, and refuses a database that holds real data.

It broke once without a test: a NOT NULL column added to Application later (exempt_facts)
made its COPY fail, and bench/scale.py with it."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Organisation, User
from applications.models import Application, ApplicationSummary, DuplicateFlag
from payments.models import PaymentLine
from reviews.models import Letter

pytestmark = pytest.mark.django_db(transaction=True)  # it runs VACUUM ANALYZE

# Hand-written from the lifecycle's meaning of each status (not from the command's tables).
AWARDED = {"approved", "in_payment", "paid", "payment_failed"}
IN_A_BATCH = {"in_payment": "pending", "paid": "paid", "payment_failed": "failed"}
BENCH_USERS = {"scale_county", "scale_dept", "scale_approver", "scale_finance", "scale_auditor"}


def _seed(**options) -> str:
    out = StringIO()
    call_command("seed_scale", stdout=out, **options)
    return out.getvalue()


def test_seed_scale_fills_consistent_city_data(client):
    from tests.conftest import _restore_reference_data

    _restore_reference_data()  # places and departments: an earlier transactional test flushed them
    output = _seed(orgs=80, applications=1500, seed=7)
    assert output.startswith("seed_scale: orgs=80 applications=1500 ")

    assert Organisation.objects.count() == 80
    applications = list(
        Application.objects.select_related("organisation").values_list(
            "status", "place_id", "organisation__place_id", "approved_amount", "exempt_facts"
        )
    )
    assert len(applications) == 1500
    statuses = Counter(status for status, *_ in applications)
    assert len(statuses) >= 12, statuses  # spread over (nearly) every status
    assert statuses["draft"] and statuses["county_review"] and statuses["paid"]
    for status, place, organisation_place, approved, exempt_facts in applications:
        assert place == organisation_place  # the queue's county scope follows the organisation
        assert exempt_facts == {}
        if status in AWARDED:
            assert approved is not None and approved > Decimal(0)

    # One current letter per awarded case; a payment line per case in a batch, in its state.
    awarded = sum(n for status, n in statuses.items() if status in AWARDED)
    assert Letter.objects.filter(state=Letter.State.CURRENT).count() == awarded
    lines = Counter(PaymentLine.objects.values_list("application__status", "state"))
    assert (
        lines
        == Counter({(status, IN_A_BATCH[status]): statuses[status] for status in IN_A_BATCH})
        - Counter()
    )
    assert DuplicateFlag.objects.exists()

    # The summaries behind queue badges and dashboards hold the direct counts.
    submitted = Counter(
        (a.round_id, a.clause.measure_id, a.place_id, a.status)
        for a in Application.objects.exclude(status="draft").select_related("clause")
    )
    cells = Counter()
    for cell in ApplicationSummary.objects.all():
        if cell.count:
            cells[(cell.round_id, cell.measure_id, cell.place_id, cell.status)] += cell.count
    assert cells == submitted

    # The bench accounts exist and the county reviewer's queue page opens on the data.
    assert set(User.objects.values_list("username", flat=True)) >= BENCH_USERS
    client.force_login(User.objects.get(username="scale_county"))
    response = client.get("/reviews/")
    assert response.status_code == 200
    assert "SX" in response.content.decode()  # seeded references are listed

    # Loaded once: a second run is refused and adds nothing.
    with pytest.raises(CommandError, match="already loaded"):
        _seed(orgs=5, applications=10)
    assert Application.objects.count() == 1500


def test_seed_scale_refuses_a_database_with_real_data(demo, open_round_db):
    from applications.services import application_start
    from measures.models import Clause

    application_start(
        actor=demo["qindu_corp"],
        organisation=Organisation.objects.get(memberships__user=demo["qindu_corp"]),
        clause=Clause.objects.get(code="M02-SPECIALISED-SME"),
    )
    organisations = Organisation.objects.count()
    with pytest.raises(CommandError, match=r"real data \(1 applications\)"):
        _seed(orgs=5, applications=10)
    assert Application.objects.count() == 1
    assert Organisation.objects.count() == organisations
