"""Figures of the summary cells cached per summaries version (applications.summaries): the
version moves on with every change of the cells, budgets and places, so a figure cached
under it is the cells' own. The queue counts (reviews.selectors) and the dashboard and budget
figures (payments.selectors.dashboard_cached) are cached through it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.cache import cache

from .summaries import summaries_version

READ = object()  # "read the summaries version here"
SUMMARIES_CACHE_SECONDS = 600


def summaries_cached(key: str, build: Callable[[], Any], *, version: object = READ) -> Any:
    """`build()` cached under `key` and the summaries version; built afresh when there is no
    shared version (not PostgreSQL, or reads from a replica). `version`: the one the caller
    already read in this request, else read here."""
    if version is READ:
        version = summaries_version()
    if version is None:
        return build()
    full_key = f"summaries:{version}:{key}"
    value = cache.get(full_key)
    if value is None:
        value = build()
        cache.set(full_key, value, SUMMARIES_CACHE_SECONDS)
    return value
