"""复核 (maker and checker): the finance officer who built a batch cannot lock it; exports wait
for the second officer, and both names are on the summary PDF."""

import io

import pytest
from pypdf import PdfReader

from core.errors import DomainError
from payments.models import BatchState
from payments.services import payment_batch_lock


def test_maker_cannot_check_their_own_batch(payable, build, demo, client):
    payable()
    batch = build()  # built by demo["finance"]
    with pytest.raises(DomainError) as info:
        payment_batch_lock(actor=demo["finance"], batch_id=batch.pk)
    assert info.value.code == "maker_is_checker"
    assert "另一名财政人员" in info.value.message
    batch.refresh_from_db()
    assert batch.state == BatchState.DRAFT and batch.locked_by is None
    # Through the API too, with the same code, and no export before the check.
    client.force_login(demo["finance"])
    response = client.post(f"/api/v1/payments/batches/{batch.reference}/lock/")
    assert response.status_code == 400 and response.json()["code"] == "maker_is_checker"
    export = client.get(f"/api/v1/payments/batches/{batch.reference}/export/xlsx/")
    assert export.json()["code"] == "batch_not_locked"
    # And in English under the language switch.
    client.cookies["django_language"] = "en"
    english = client.post(f"/api/v1/payments/batches/{batch.reference}/lock/").json()
    assert "another finance officer" in english["message"]


def test_checker_locks_and_both_names_are_on_the_summary(payable, build, demo, client):
    payable()
    batch = build()
    locked = payment_batch_lock(actor=demo["finance_checker"], batch_id=batch.pk)
    assert (locked.created_by, locked.locked_by) == (demo["finance"], demo["finance_checker"])
    client.force_login(demo["finance"])
    pdf = client.get(f"/payments/batches/{batch.reference}/export/pdf/").content
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    text = text.replace(" ", "").replace("\n", "")
    assert "经办人（生成）：市财政局孙拨付" in text
    assert "复核人（复核锁定）：市财政局郑复核" in text
