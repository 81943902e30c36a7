from decimal import Decimal

import pytest

from applications.models import Application, Status


@pytest.fixture
def case_factory(application_factory, demo):
    """A submitted application moved to any status directly (state set-up, not behaviour)."""

    counter = iter(range(1, 10_000))

    def make(
        status=Status.COUNTY_REVIEW,
        *,
        username="qindu_corp",
        recommended=None,
        approved=None,
        **kwargs,
    ):
        # A ceiling clause with no first-time rule, so many cases of one organisation coexist.
        kwargs.setdefault("clause_code", "M04-SMART-FACTORY")
        kwargs.setdefault(
            "facts",
            {
                "level": "leading",
                "recognised_on": "2025-08-01",
                "certificate_no": f"智能工厂{next(counter)}",
            },
        )
        application = application_factory(username=username, submit=True, **kwargs)
        Application.objects.filter(pk=application.pk).update(
            status=status,
            recommended_amount=recommended,
            approved_amount=approved,
            returned_from=Status.COUNTY_REVIEW if status == Status.RETURNED else "",
        )
        application.refresh_from_db()
        return application

    return make


@pytest.fixture
def approved_amount():
    return Decimal("150000.00")
