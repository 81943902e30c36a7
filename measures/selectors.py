"""Reads over the policy catalogue, rounds and budgets."""

from __future__ import annotations

import threading
import time
from datetime import datetime

from django.core.cache import cache
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.selectors import user_scopes

from .models import Clause, Measure, Policy, Round, RoundBudget


def current_policy() -> Policy | None:
    return Policy.objects.order_by("-issued_on").first()


def current_policy_or_404() -> Policy:
    """The policy in force; a 404 (page or API) while no catalogue has been loaded."""
    policy = current_policy()
    if policy is None:
        raise Http404(_("尚未导入政策目录。"))
    return policy


def measures_of(policy: Policy) -> QuerySet[Measure]:
    return (
        Measure.objects.filter(policy=policy)
        .select_related("section")
        .prefetch_related(
            "departments",
            Prefetch(
                "clauses",
                queryset=Clause.objects.select_related("current_version", "department"),
            ),
        )
        .order_by("number")
    )


def clauses_of(policy: Policy) -> QuerySet[Clause]:
    return Clause.objects.filter(policy=policy).select_related(
        "measure", "current_version", "department"
    )


def open_rounds(*, at: datetime | None = None) -> QuerySet[Round]:
    at = at or timezone.now()
    return Round.objects.filter(opens_at__lte=at, closes_at__gt=at).select_related("policy")


def open_round_for_clause(clause: Clause, *, at: datetime | None = None) -> Round | None:
    return open_rounds(at=at).filter(clauses=clause).order_by("closes_at").first()


def open_round_by_clause(*, at: datetime | None = None) -> dict[int, Round]:
    """clause id → the open round closing first that takes it (one query)."""
    result: dict[int, Round] = {}
    for round_ in open_rounds(at=at).prefetch_related("clauses").order_by("-closes_at"):
        for clause in round_.clauses.all():
            result[clause.pk] = round_
    return result


BUDGET_VIEWERS = frozenset({Role.POLICY_ADMIN, Role.APPROVER, Role.FINANCE, Role.AUDITOR})


def budgets_visible_to(*, user: User, round_id: int | None = None) -> QuerySet[RoundBudget]:
    if not user_scopes(user).roles & BUDGET_VIEWERS:
        return RoundBudget.objects.none()
    budgets = RoundBudget.objects.select_related("round", "measure").order_by(
        "-round__opens_at", "measure__number"
    )
    return budgets.filter(round_id=round_id) if round_id else budgets


# --- catalogue version: what cached public pages and choice lists are keyed by ---------------

CATALOGUE_VERSION_KEY = "measures:catalogue-version"


# Within one request the version is read once (the queue page asked for it once per filter
# select, each a Redis round trip): request_started opens the memo, request_finished and every
# catalogue change clear it. Outside a request (tasks, shells) every call reads the cache.
_request = threading.local()


def catalogue_request_started(**_kwargs) -> None:
    _request.active = True
    _request.version = None


def catalogue_request_finished(**_kwargs) -> None:
    _request.active = False
    _request.version = None


def catalogue_version() -> int:
    """A number that changes whenever the catalogue (policy, measures, clauses, their rule
    versions, rounds) changes; one cache read (per request), no database query. The cache
    must be shared by every process in production (CACHE_URL=redis://…)."""
    version = getattr(_request, "version", None)
    if version is not None:
        return version
    version = cache.get(CATALOGUE_VERSION_KEY)
    if version is None:
        version = time.time_ns()
        cache.add(CATALOGUE_VERSION_KEY, version, timeout=None)
        version = cache.get(CATALOGUE_VERSION_KEY, version)
    if getattr(_request, "active", False):
        _request.version = version
    return version


def catalogue_changed(**_kwargs) -> None:
    """Invalidate everything keyed by the catalogue version (signal receiver for writes)."""
    cache.set(CATALOGUE_VERSION_KEY, time.time_ns(), timeout=None)
    _request.version = None


# Values already read by this process, by their full key (name, version, language): a
# version's value never changes, so only the version is read from the shared cache again.
_LOCAL: dict[str, object] = {}
_LOCAL_MAX = 256


def catalogue_cached(name: str, build, *, timeout: int = 3600):
    """`build()` cached per catalogue version and language."""
    key = f"measures:{name}:{catalogue_version()}:{get_language()}"
    value = _LOCAL.get(key)
    if value is not None:
        return value
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, timeout)
    if len(_LOCAL) >= _LOCAL_MAX:  # old versions' values: drop them all
        _LOCAL.clear()
    _LOCAL[key] = value
    return value
