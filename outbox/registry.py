"""Who consumes an outbox row (by kind) and what the sweeper heals; filled by the apps' tasks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Handler:
    kind: str
    run: Callable[[dict[str, Any]], Any]
    # Told of every failed attempt, `final` once the row gives up: a consumer that shows
    # progress to a person (a job) says "retrying" and then "failed" instead of "running".
    on_failure: Callable[[dict[str, Any], int, bool], None] | None = None


HANDLERS: dict[str, Handler] = {}
# Called by every sweep before pending rows are published: each may enqueue missing effects
# (an approved application without a letter, a stalled batch build) and returns how many.
HEALERS: list[Callable[[], int]] = []


def outbox_handler(kind: str, *, on_failure=None):
    """Register the idempotent consumer of one kind (running it twice changes nothing);
    `on_failure(payload, attempts, final)` hears of its failed attempts."""

    def register(func: Callable[[dict[str, Any]], Any]):
        HANDLERS[kind] = Handler(kind=kind, run=func, on_failure=on_failure)
        return func

    return register


def outbox_healer(func: Callable[[], int]) -> Callable[[], int]:
    if func not in HEALERS:
        HEALERS.append(func)
    return func


_discovered = False


def discover() -> None:
    """Import every app's tasks module once: they register the handlers and healers."""
    global _discovered
    if not _discovered:
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("tasks")
        _discovered = True


def handler_for(kind: str) -> Handler:
    if kind not in HANDLERS:
        discover()
    return HANDLERS[kind]
