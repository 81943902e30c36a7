"""copy_insert: the COPY path writes exactly what bulk_create would (text escapes, defaults, JSON)."""

from __future__ import annotations

import pytest

from accounts.models import Notification
from core import bulk
from core.bulk import copy_insert
from outbox.models import OutboxMessage


@pytest.fixture(autouse=True)
def _always_copy(monkeypatch):
    """Small row sets are a plain INSERT; these tests are about the COPY text."""
    monkeypatch.setattr(bulk, "COPY_MIN_ROWS", 0)


def test_text_with_tabs_newlines_and_backslashes_round_trips(demo):
    user = demo["qindu_corp"]
    body = "第一行\n第二行\t制表\\反斜杠\r\\N 不是空值"
    ids = copy_insert(
        Notification,
        [
            {"user": user, "subject": "主题", "body": body},
            {"user_id": user.pk, "subject": "二", "body": ""},
        ],
    )
    first, second = (Notification.objects.get(pk=pk) for pk in ids)
    assert (first.body, first.subject, first.user_id, first.key) == (body, "主题", user.pk, "")
    assert first.created_at is not None and first.emailed_at is None  # auto_now_add; null
    assert second.body == "" and ids[1] > ids[0]


def test_json_and_callable_defaults(db):
    from django.utils import timezone

    now = timezone.now()
    shared = {"名称": "值", "n": [1, 2], "tab": "a\tb"}
    ids = copy_insert(
        OutboxMessage,
        [
            {"kind": "k", "payload": shared, "available_at": now, "dedup_key": None},
            {"kind": "k", "payload": shared, "available_at": now, "dedup_key": "x"},
            {"kind": "k", "available_at": now},
        ],
    )
    rows = {m.pk: m for m in OutboxMessage.objects.filter(pk__in=ids)}
    assert [rows[pk].payload for pk in ids] == [shared, shared, {}]
    assert [rows[pk].state for pk in ids] == ["pending"] * 3
    assert [rows[pk].dedup_key for pk in ids] == [None, "x", None]


def test_columns_no_row_names_get_their_defaults(db):
    """A column absent from every row is its default (state, empty JSON, null), for each row."""
    from django.utils import timezone

    now = timezone.now()
    ids = copy_insert(OutboxMessage, [{"kind": f"k{i}", "available_at": now} for i in range(3)])
    rows = list(OutboxMessage.objects.filter(pk__in=ids).order_by("pk"))
    assert [(m.kind, m.payload, m.state, m.dedup_key) for m in rows] == [
        (f"k{i}", {}, "pending", None) for i in range(3)
    ]


def test_a_few_rows_are_one_insert(db, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(bulk, "COPY_MIN_ROWS", 20)
    from django.utils import timezone

    with django_assert_num_queries(1):
        ids = copy_insert(OutboxMessage, [{"kind": "k", "available_at": timezone.now()}])
    assert OutboxMessage.objects.get(pk=ids[0]).payload == {}


def test_gc_is_paused_during_a_bulk_operation_and_resumed_after():
    import gc

    assert gc.isenabled()
    with bulk.gc_deferred():
        assert not gc.isenabled()
        with bulk.gc_deferred():  # nested: still paused after the inner one ends
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_rows_beyond_a_page_are_all_written_in_order(db, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(bulk, "COPY_PAGE", 2)
    now = timezone.now()
    ids = copy_insert(OutboxMessage, [{"kind": f"k{i}", "available_at": now} for i in range(5)])
    kinds = dict(OutboxMessage.objects.filter(pk__in=ids).values_list("pk", "kind"))
    assert [kinds[pk] for pk in ids] == [f"k{i}" for i in range(5)]
