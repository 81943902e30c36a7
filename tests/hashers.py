"""A fast password-history hasher for tests (production keeps the library's 200,000 rounds)."""

from django_password_validators.password_history.hashers import HistoryHasher


class FastHistoryHasher(HistoryHasher):
    iterations = 1
