"""Before the money moves: removing lines, the bank-account flag, locking, never twice."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Organisation
from applications.models import Status
from audit.models import AuditEvent
from audit.services import audit_record
from core.errors import DomainError, NotAllowed
from payments.models import BatchState, LineState, PaymentBatch, PaymentLine
from payments.services import (
    payment_batch_lock,
    payment_lines_confirm_bank,
    payment_lines_mark,
    payment_lines_remove,
)


def test_remove_needs_reason_and_returns_application(payable, build, demo):
    keep, drop = payable("1000.00"), payable("2000.00")
    batch = build()
    line = batch.lines.get(application=drop)
    with pytest.raises(DomainError) as info:
        payment_lines_remove(
            actor=demo["finance"], batch_id=batch.pk, line_ids=[line.pk], reason=" "
        )
    assert info.value.code == "reason_required"
    payment_lines_remove(
        actor=demo["finance"], batch_id=batch.pk, line_ids=[line.pk], reason="单位申请暂缓"
    )
    line.refresh_from_db()
    drop.refresh_from_db()
    batch.refresh_from_db()
    assert (line.state, line.reason) == (LineState.REMOVED, "单位申请暂缓")
    assert drop.status == Status.APPROVED
    assert (batch.line_count, batch.total_amount) == (1, Decimal("1000.00"))
    event = AuditEvent.objects.get(action="application.remove_from_batch")
    assert event.comment == "单位申请暂缓"
    # Removed: free for a later batch.
    later = build()
    assert later.lines.get().application_id == drop.pk
    keep.refresh_from_db()
    assert keep.status == Status.IN_PAYMENT


def test_a_build_with_nothing_payable_is_refused_and_uses_no_number(build, demo, payable):
    with pytest.raises(DomainError) as info:
        build()
    assert info.value.code == "nothing_payable" and "没有符合筛选条件" in info.value.message
    assert not PaymentBatch.objects.exists()
    # Payable but without a bank account: named as the reason.
    application = payable()
    Organisation.objects.filter(pk=application.organisation_id).update(bank_account="")
    with pytest.raises(DomainError, match="均未填写开户银行或银行账号"):
        build()


def test_locking_an_empty_batch_is_refused(build, demo, payable):
    application = payable()
    batch = build()
    payment_lines_remove(
        actor=demo["finance"],
        batch_id=batch.pk,
        line_ids=[batch.lines.get(application=application).pk],
        reason="核实中",
    )
    with pytest.raises(DomainError) as info:
        payment_batch_lock(actor=demo["finance_checker"], batch_id=batch.pk)
    assert info.value.code == "empty_batch" and "没有待拨付明细" in info.value.message


def test_lock_freezes_the_list(payable, build, demo):
    payable()
    batch = build()
    locked = payment_batch_lock(actor=demo["finance_checker"], batch_id=batch.pk)
    assert locked.state == BatchState.LOCKED and locked.locked_by == demo["finance_checker"]
    line = batch.lines.get()
    with pytest.raises(DomainError, match="已锁定"):
        payment_lines_remove(
            actor=demo["finance"], batch_id=batch.pk, line_ids=[line.pk], reason="x"
        )
    with pytest.raises(DomainError, match="已锁定"):
        payment_batch_lock(actor=demo["finance_checker"], batch_id=batch.pk)
    # And results only after locking.
    draft_app = payable()
    draft = build()
    with pytest.raises(DomainError, match="尚未锁定"):
        payment_lines_mark(
            actor=demo["finance"],
            batch_id=draft.pk,
            line_ids=[draft.lines.get(application=draft_app).pk],
            result=LineState.PAID,
        )


def test_bank_account_changed_after_approval_is_flagged(payable, build, demo):
    now = timezone.now()
    changed = payable(username="weicheng_corp")
    unchanged = payable(username="qindu_corp")
    audit_record(actor=None, obj=changed, action="application.approve")
    audit_record(actor=None, obj=unchanged, action="application.approve")
    # weicheng changed its account after the approval; qindu long before it.
    Organisation.objects.filter(pk=changed.organisation_id).update(
        bank_account_updated_at=now + timedelta(minutes=5)
    )
    Organisation.objects.filter(pk=unchanged.organisation_id).update(
        bank_account_updated_at=now - timedelta(days=30)
    )
    batch = build()
    flagged = batch.lines.get(application=changed)
    assert flagged.bank_changed and flagged.needs_bank_confirmation
    assert not batch.lines.get(application=unchanged).bank_changed

    with pytest.raises(DomainError) as info:
        payment_batch_lock(actor=demo["finance_checker"], batch_id=batch.pk)
    assert info.value.code == "bank_change_unconfirmed"
    assert flagged.reference in info.value.message

    with pytest.raises(NotAllowed):
        payment_lines_confirm_bank(actor=demo["auditor"], batch_id=batch.pk, line_ids=[flagged.pk])
    payment_lines_confirm_bank(actor=demo["finance"], batch_id=batch.pk, line_ids=[flagged.pk])
    flagged.refresh_from_db()
    assert flagged.bank_confirmed_by == demo["finance"] and not flagged.needs_bank_confirmation
    assert (
        payment_batch_lock(actor=demo["finance_checker"], batch_id=batch.pk).state
        == BatchState.LOCKED
    )


def test_without_an_approval_event_the_letter_time_counts(payable, build):
    application = payable()
    Organisation.objects.filter(pk=application.organisation_id).update(
        bank_account_updated_at=timezone.now() + timedelta(minutes=1)
    )
    batch = build()
    assert batch.lines.get().bank_changed


def test_bank_details_changed_after_the_build_block_the_lock(payable, build, demo):
    application = payable()
    batch = build()
    Organisation.objects.filter(pk=application.organisation_id).update(
        bank_account="6222999999999999999", bank_account_updated_at=timezone.now()
    )
    with pytest.raises(DomainError) as info:
        payment_batch_lock(actor=demo["finance_checker"], batch_id=batch.pk)
    assert info.value.code == "bank_changed_since_build"


@pytest.mark.parametrize(
    "change",
    [
        {"payee_name": "另一家公司"},  # the 户名 the bank matches against the account
        {"payee_name": "", "legal_name": "更名后的有限公司"},  # no payee name: the legal name
    ],
)
def test_a_payee_name_changed_after_the_build_blocks_the_lock(payable, build, demo, change):
    application = payable()
    batch = build()
    line = batch.lines.get()
    organisation = Organisation.objects.get(pk=application.organisation_id)
    assert line.payee_name == (organisation.payee_name or organisation.legal_name)
    Organisation.objects.filter(pk=organisation.pk).update(
        **change, bank_account_updated_at=timezone.now()
    )
    with pytest.raises(DomainError) as info:
        payment_batch_lock(actor=demo["finance_checker"], batch_id=batch.pk)
    assert info.value.code == "bank_changed_since_build"
    assert line.reference in info.value.message


def test_constraint_refuses_a_second_live_line(payable, build, demo):
    application = payable()
    batch = build()
    line = batch.lines.get()
    other = PaymentBatch.objects.create(reference="PB-OTHER", created_by=demo["finance"])

    def second_line(state=LineState.PENDING, reason=""):
        return PaymentLine.objects.create(
            batch=other,
            application=application,
            number=1,
            reference="PB-OTHER-00001",
            amount=line.amount,
            payee_name="x",
            uscc=line.uscc,
            bank_name="x",
            bank_account="x",
            letter_number="x",
            application_reference=application.reference,
            measure_number=4,
            measure_title="x",
            department_name="x",
            county_name="x",
            round_name="x",
            state=state,
            reason=reason,
        )

    for state in (LineState.PENDING, LineState.PAID):
        with (
            pytest.raises(IntegrityError, match="payment_line_one_live_per_application"),
            transaction.atomic(),
        ):
            second_line(state)
    # A paid line also blocks a new pending one.
    PaymentLine.objects.filter(pk=line.pk).update(state=LineState.PAID)
    with pytest.raises(IntegrityError), transaction.atomic():
        second_line()
    # Failed and removed lines free the application.
    PaymentLine.objects.filter(pk=line.pk).update(state=LineState.FAILED, reason="账户冻结")
    second_line()
    assert PaymentLine.objects.filter(application=application).count() == 2


def test_failed_lines_are_rebatched_and_paid_ones_never(payable, build, demo):
    paid_app, failed_app = payable("3000.00"), payable("4000.00", username="weicheng_corp")
    first = build()
    payment_batch_lock(actor=demo["finance_checker"], batch_id=first.pk)
    paid_line = first.lines.get(application=paid_app)
    failed_line = first.lines.get(application=failed_app)
    payment_lines_mark(
        actor=demo["finance"], batch_id=first.pk, line_ids=[paid_line.pk], result=LineState.PAID
    )
    with pytest.raises(DomainError, match="失败原因"):
        payment_lines_mark(
            actor=demo["finance"],
            batch_id=first.pk,
            line_ids=[failed_line.pk],
            result=LineState.FAILED,
        )
    payment_lines_mark(
        actor=demo["finance"],
        batch_id=first.pk,
        line_ids=[failed_line.pk],
        result=LineState.FAILED,
        reason="户名与账号不符",
    )
    paid_app.refresh_from_db()
    failed_app.refresh_from_db()
    assert (paid_app.status, failed_app.status) == (Status.PAID, Status.PAYMENT_FAILED)
    # The enterprise is told.
    assert (
        failed_app.organisation.members.first()
        .notifications.filter(subject__contains="拨付失败")
        .exists()
    )
    with pytest.raises(DomainError, match="不能再处理"):
        payment_lines_mark(
            actor=demo["finance"], batch_id=first.pk, line_ids=[paid_line.pk], result=LineState.PAID
        )

    second = build()
    assert [line.application_id for line in second.lines.all()] == [failed_app.pk]
    assert second.lines.get().amount == Decimal("4000.00")
    assert PaymentLine.objects.filter(application=paid_app).count() == 1


def test_auditor_reads_but_never_writes(payable, build, demo):
    payable()
    batch = build()
    line = batch.lines.get()
    auditor = demo["auditor"]
    for call in (
        lambda: payment_lines_remove(
            actor=auditor, batch_id=batch.pk, line_ids=[line.pk], reason="x"
        ),
        lambda: payment_batch_lock(actor=auditor, batch_id=batch.pk),
        lambda: payment_lines_mark(
            actor=auditor, batch_id=batch.pk, line_ids=[line.pk], result=LineState.PAID
        ),
    ):
        with pytest.raises(NotAllowed):
            call()
    line.refresh_from_db()
    assert line.state == LineState.PENDING


def test_the_build_page_says_nothing_is_payable(client, demo):
    client.force_login(demo["finance"])
    response = client.post("/payments/new/", {"note": ""})
    assert response.status_code == 200
    assert "没有符合筛选条件的待拨付申报" in response.content.decode()
    assert not PaymentBatch.objects.exists()
