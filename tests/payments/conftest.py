from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from accounts.models import Organisation
from applications.models import Status
from applications.summaries import summaries_refresh
from measures.models import Clause

from .factories import ApplicationFactory, LetterFactory

ORG_OF = {
    "qindu": "qindu_corp",  # 秦都区
    "weicheng": "weicheng_corp",  # 渭城区
    "xingping": "xingping_corp",  # 兴平市
}


@pytest.fixture
def payable(demo, open_round_db):
    """An awarded application with a current letter for its amount (payable by default)."""

    def make(
        amount: str | Decimal = "100000.00",
        *,
        username: str = "qindu_corp",
        clause_code: str = "M04-SMART-FACTORY",
        status: str = Status.APPROVED,
        letter: bool = True,
        issued_on: date | None = None,
        round_=None,
    ):
        user = demo[username]
        application = ApplicationFactory(
            organisation=Organisation.objects.get(memberships__user=user),
            round=round_ or open_round_db,
            clause=Clause.objects.get(code=clause_code, policy=open_round_db.policy),
            status=status,
            approved_amount=Decimal(amount),
            created_by=user,
        )
        summaries_refresh()  # state written directly: recount, as a data load would
        if letter:
            LetterFactory(
                application=application, **({"issued_on": issued_on} if issued_on else {})
            )
        return application

    return make


@pytest.fixture
def build(demo, django_capture_on_commit_callbacks):
    """Build a batch through the service and run its queued task (eagerly), as the page does."""
    from payments.selectors import BuildFilters
    from payments.services import payment_batch_build

    def run(actor=None, **filters):
        with django_capture_on_commit_callbacks(execute=True):
            batch = payment_batch_build(
                actor=actor or demo["finance"], filters=BuildFilters(**filters)
            )
        batch.refresh_from_db()
        return batch

    return run
