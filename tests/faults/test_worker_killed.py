"""A worker is SIGKILLed in the middle of a letter batch: a new worker finishes it, once each."""

from __future__ import annotations

import signal
import time
from decimal import Decimal

import pytest
from django.db import transaction

from applications.models import Status
from outbox.models import OutboxMessage
from reviews.models import Letter
from tests.conftest import worker_env, worker_start, worker_stop

pytestmark = [pytest.mark.slow, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

LETTERS = 40


def test_killed_worker_mid_batch_new_worker_finishes_each_letter_once(
    private_redis, celery_queue, settings, case_factory
):
    from outbox.services import outbox_sweep
    from reviews.letters.tasks import queue_letters

    cases = [case_factory(Status.APPROVED, approved=Decimal("30000.00")) for _ in range(LETTERS)]
    # Short timeouts so the test takes seconds: Redis redelivers an unacknowledged task after
    # 5 s, a dead worker's lease on the outbox row expires after 8 s.
    env = worker_env(
        settings, CELERY_VISIBILITY_TIMEOUT="5", OUTBOX_LEASE_SECONDS="8", LETTER_CHUNK="5"
    )
    settings.OUTBOX_PUBLISH_GRACE_SECONDS = 5
    first = worker_start(env, celery_queue)
    started = time.monotonic()
    with transaction.atomic():
        queue_letters([c.pk for c in cases])
    deadline = time.monotonic() + 60
    while not Letter.objects.exists():
        assert time.monotonic() < deadline, "the first worker made no letter"
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    worker_stop(first)
    made_by_first = Letter.objects.count()
    assert 0 < made_by_first < LETTERS  # killed mid-batch

    second = worker_start(env, celery_queue)
    try:
        while (
            Letter.objects.count() < LETTERS or OutboxMessage.objects.exclude(state="done").exists()
        ):
            assert time.monotonic() - started < 120, (Letter.objects.count(), made_by_first)
            outbox_sweep()  # beat
            time.sleep(1)
        time.sleep(6)  # a late redelivery would show up now
    finally:
        worker_stop(second)

    for case in cases:
        assert Letter.objects.filter(application=case).count() == 1
    numbers = sorted(Letter.objects.values_list("sequence", flat=True))
    assert numbers == list(range(numbers[0], numbers[0] + LETTERS))  # gap-free, no duplicate
