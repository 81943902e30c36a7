"""Read replica routing: dashboards and exports read from ``replica`` when it is configured.

Everything else, and every write, uses the primary. A view wraps the reads of its figures or
its export in ``with replica_reads():`` (after the permission check, which reads the primary,
so a revoked role counts at once); without
``DATABASE_REPLICA_URL`` there is no ``replica`` alias and all reads stay on the primary.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings

_use_replica: ContextVar[bool] = ContextVar("use_replica", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    token = _use_replica.set(True)
    try:
        yield
    finally:
        _use_replica.reset(token)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        alias = settings.READ_REPLICA_ALIAS
        if alias and _use_replica.get() and alias in settings.DATABASES:
            return alias
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica is a copy of the primary: the same rows
