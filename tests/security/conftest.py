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
