"""The bulk paths of a batch build keep the personal-data rules: a payee's lines share one
SM4 token (made once per build), which reads back in clear and opens only in its own column."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.models import Organisation
from core import crypto
from payments.models import PaymentLine

ACCOUNT = "6222024100123453333"


def _raw_accounts(batch) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT bank_account FROM payments_paymentline WHERE batch_id = %s ORDER BY number",
            [batch.pk],
        )
        return [row[0] for row in cursor.fetchall()]


def test_lines_of_one_payee_share_one_token_read_in_clear(payable, build, demo):
    org = Organisation.objects.get(memberships__user=demo["qindu_corp"])
    org.bank_name, org.bank_account = "中国工商银行咸阳分行", ACCOUNT
    org.save(update_fields=["bank_name", "bank_account"])
    payable("120000.00")
    payable("30000.00")
    batch = build()
    raw = _raw_accounts(batch)
    assert len(raw) == 2
    assert raw[0] == raw[1] and crypto.is_token(raw[0]) and ACCOUNT not in raw[0]
    assert [line.bank_account for line in PaymentLine.objects.filter(batch=batch)] == [ACCOUNT] * 2
    # The line's token is its own column's, not a copy of the organisation's.
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(raw[0], context="accounts.organisation.bank_account")


def test_a_token_of_another_column_is_refused_when_saved():
    field = PaymentLine._meta.get_field("bank_account")
    foreign = crypto.encrypt(ACCOUNT, context="accounts.organisation.bank_account")
    with pytest.raises(crypto.DecryptionError):
        field.get_prep_value(foreign)
    own = crypto.encrypt(ACCOUNT, context="payments.paymentline.bank_account")
    assert field.get_prep_value(own) == own  # already this column's: stored as it is
    assert crypto.decrypt(field.get_prep_value(ACCOUNT), context=field.encryption_context) == (
        ACCOUNT
    )
