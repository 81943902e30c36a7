"""Whatever is typed into a draft, for every clause, the autosave and the save answer a
message, never a server error: odd numbers, dates and texts are kept in the draft and
reported at submission."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Organisation
from applications import services
from core.errors import DomainError
from measures.models import Clause

ODD_VALUES = [
    "1e999", "-1", "abc", "NaN", "Infinity", "9" * 40, "0.000000001", "１２３", "2025-02-30",
    "２０２５-01-01", "0x10", " ", "1,000", "¥200,000.00", "<script>", "'; drop table x; --",
]  # fmt: skip


@pytest.mark.django_db
def test_odd_values_in_every_fact_of_every_clause_never_break_a_draft(demo, open_round_db, client):
    user = demo["qindu_corp"]
    client.force_login(user)
    organisation = Organisation.objects.get(memberships__user=user)
    tried = 0
    for clause in Clause.objects.filter(measure__monetary=True).select_related("measure"):
        try:
            application = services.application_start(
                actor=user, organisation=organisation, clause=clause
            )
        except DomainError:
            continue  # not open to an enterprise
        facts = application.rule_version.rule.facts
        url = reverse("applications:autosave", args=[application.reference])
        for value in ODD_VALUES:
            body = {f"fact_{spec.name}": value for spec in facts}
            response = client.post(url, body)
            assert response.status_code == 204, (clause.code, value, response.status_code)
            application.refresh_from_db()
            kept = {spec.name: application.facts.get(spec.name) for spec in facts}
            assert kept == {spec.name: value for spec in facts}, (clause.code, value, kept)
            tried += 1
    assert tried >= 30 * len(ODD_VALUES)
