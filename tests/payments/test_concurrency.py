"""Two (or more) batch builds at the same moment never share an application."""

import threading

import pytest
from django.db import connection

from applications.models import Status
from payments.models import PaymentLine
from payments.selectors import BuildFilters
from payments.services import payment_batch_build, payment_batch_fill


@pytest.mark.django_db(transaction=True)
def test_concurrent_builds_never_share_an_application(payable, demo, monkeypatch):
    # Small chunks so the builds interleave over many transactions.
    monkeypatch.setattr("payments.services.BUILD_CHUNK", 3)
    monkeypatch.setattr("payments.services.queue_batch_build", lambda *args: None)
    apps = [
        payable(f"{1000 + i}.00", username=("qindu_corp", "weicheng_corp")[i % 2])
        for i in range(40)
    ]
    batches = [payment_batch_build(actor=demo["finance"], filters=BuildFilters()) for _ in range(4)]
    barrier = threading.Barrier(len(batches))
    errors = []

    def fill(batch):
        try:
            barrier.wait(timeout=30)
            payment_batch_fill(batch_id=batch.pk, job_id=batch.job_id)
        except Exception as exc:  # collected for the assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=fill, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    per_batch = [
        set(PaymentLine.objects.filter(batch=batch).values_list("application_id", flat=True))
        for batch in batches
    ]
    assert sum(len(ids) for ids in per_batch) == len(apps)
    assert set().union(*per_batch) == {a.pk for a in apps}
    for i, ids in enumerate(per_batch):
        for other in per_batch[i + 1 :]:
            assert not ids & other
    # More than one build got work: they really ran side by side.
    assert sum(1 for ids in per_batch if ids) >= 2
    assert all(
        a.status == Status.IN_PAYMENT
        for a in type(apps[0]).objects.filter(pk__in=[a.pk for a in apps])
    )


@pytest.mark.django_db(transaction=True)
def test_a_case_held_by_another_transaction_is_named_as_left_out(payable, demo, monkeypatch):
    """The build skips a case another transaction has locked (SKIP LOCKED); its message says
    so, instead of reading as covering the whole filter."""
    monkeypatch.setattr("payments.services.queue_batch_build", lambda *args: None)
    held = payable("1000.00")
    free = payable("2000.00", username="weicheng_corp")
    locked, release, done = threading.Event(), threading.Event(), threading.Event()

    def hold():
        from django.db import transaction

        try:
            with transaction.atomic():
                type(held).objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()
            done.set()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        batch = payment_batch_build(actor=demo["finance"], filters=BuildFilters())
        payment_batch_fill(batch_id=batch.pk, job_id=batch.job_id)
    finally:
        release.set()
        holder.join()
    batch.refresh_from_db()
    assert list(batch.lines.values_list("application_id", flat=True)) == [free.pk]
    assert "另有 1 笔在生成时正被其他操作占用" in batch.build_message
    held.refresh_from_db()
    assert held.status == Status.APPROVED  # still payable: the next build takes it
