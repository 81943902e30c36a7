import pytest


@pytest.fixture
def policy(db):
    from measures.demo import load_2025_policy

    return load_2025_policy()


@pytest.fixture
def open_round(db):
    from measures.demo import seed_policy_and_round

    return seed_policy_and_round()
