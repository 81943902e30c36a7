import pytest

from tests.payments.conftest import build, payable  # noqa: F401 - shared fixtures


@pytest.fixture
def lock(demo):
    """复核: the second finance officer checks and locks a batch built by `finance`."""
    from payments.services import payment_batch_lock

    def run(batch):
        payment_batch_lock(actor=demo["finance_checker"], batch_id=batch.pk)
        batch.refresh_from_db()
        return batch

    return run


@pytest.fixture
def wsgi_app():
    """Django's WSGI app without closing the test's database connection after each request
    (what django.test.Client does too)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    from django.core.wsgi import get_wsgi_application

    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def bounded(examples: int):
    """Hypothesis settings for a CI-bounded schemathesis run: `examples` cases, deterministic,
    no example database, no deadline."""
    from hypothesis import HealthCheck, Phase, settings

    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
