"""Bank accounts and phone numbers: SM4-GCM at rest, masked on every page, API and audit row;
in full only in finance's payment-list export of a locked batch (audited)."""

from __future__ import annotations

import csv
import io
import re
import subprocess

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.models import Organisation
from audit.models import AuditEvent
from core import crypto
from core.fields import matches
from payments.models import PaymentLine

ACCOUNT = "6222024100123453333"
MASKED = "6222 **** **** 3333"  # hand-written from the brief's example
PHONE = "13812345678"


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


@pytest.fixture
def org(demo):
    org = Organisation.objects.get(memberships__user=demo["qindu_corp"])
    org.bank_account, org.contact_phone = ACCOUNT, PHONE
    org.save(update_fields=["bank_account", "contact_phone"])
    return org


def test_stored_encrypted_read_in_clear(org):
    raw = _raw("accounts_organisation", "bank_account", org.pk)
    assert ACCOUNT not in raw and crypto.is_token(raw)
    assert crypto.key_id_of(raw) == "dev2025"
    assert PHONE not in _raw("accounts_organisation", "contact_phone", org.pk)
    fresh = Organisation.objects.get(pk=org.pk)
    assert (fresh.bank_account, fresh.contact_phone) == (ACCOUNT, PHONE)
    assert (fresh.bank_account_masked, fresh.contact_phone_masked) == (MASKED, "138****5678")
    # Two encryptions of one value differ (random nonce); the keyed lookup still finds it.
    assert crypto.encrypt(ACCOUNT, context="x") != crypto.encrypt(ACCOUNT, context="x")
    assert list(Organisation.objects.filter(matches("bank_account", ACCOUNT))) == [org]


def test_altered_or_moved_ciphertext_does_not_decrypt(org):
    raw = _raw("accounts_organisation", "bank_account", org.pk)
    flipped = raw[:-3] + ("A" if raw[-3] != "A" else "B") + raw[-2:]
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(flipped, context="accounts.organisation.bank_account")
    with pytest.raises(crypto.DecryptionError):  # bound to its column
        crypto.decrypt(raw, context="accounts.organisation.contact_phone")


def test_key_rotation(org, settings, capsys):
    new_key = "ffeeddccbbaa99887766554433221100"
    settings.FIELD_ENCRYPTION_KEYS = f"dev2025:00112233445566778899aabbccddeeff,k2026:{new_key}"
    settings.FIELD_ENCRYPTION_KEY_ID = "k2026"
    assert Organisation.objects.get(pk=org.pk).bank_account == ACCOUNT  # old key still reads
    call_command("rotate_field_keys")
    assert "re-encrypted" in capsys.readouterr().out
    assert crypto.key_id_of(_raw("accounts_organisation", "bank_account", org.pk)) == "k2026"
    settings.FIELD_ENCRYPTION_KEYS = f"k2026:{new_key}"  # the old key can now go
    assert Organisation.objects.get(pk=org.pk).bank_account == ACCOUNT
    call_command("rotate_field_keys")
    assert "re-encrypted 0 rows" in capsys.readouterr().out  # nothing left to do


def test_audit_json_is_masked(org, demo, client):
    client.force_login(demo["qindu_corp"])
    page = client.get("/accounts/organisation/").content.decode()
    assert ACCOUNT not in page and MASKED in page  # even in the owner's own form
    data = {
        "industry": org.industry,
        "contact_name": org.contact_name,
        "contact_phone": "138****5678",  # sent back masked = unchanged
        "contact_email": org.contact_email,
        "payee_name": org.payee_name,
        "bank_name": org.bank_name,
        "bank_account": "6216612345678901",
    }
    assert client.post("/accounts/organisation/", data).status_code == 302
    org.refresh_from_db()
    assert (org.bank_account, org.contact_phone) == ("6216612345678901", PHONE)
    event = AuditEvent.objects.get(action="organisation.bank_account_change")
    assert event.before["bank_account"] == MASKED
    assert event.after["bank_account"] == "6216 **** **** 8901"


@pytest.fixture
def locked(org, payable, build, lock):
    payable()
    return lock(build())


def test_pages_and_api_are_masked(locked, demo, client, case_factory):
    from applications.models import Status

    line = PaymentLine.objects.get(batch=locked)
    assert line.bank_account == ACCOUNT
    assert ACCOUNT not in _raw("payments_paymentline", "bank_account", line.pk)
    for username in ("finance", "auditor"):
        client.force_login(demo[username])
        page = client.get(f"/payments/batches/{locked.reference}/").content.decode()
        assert ACCOUNT not in page and MASKED in page
        api = client.get(f"/api/v1/payments/batches/{locked.reference}/lines/").json()
        assert api["results"][0]["bank_account"] == MASKED
        assert ACCOUNT not in str(api)
    case = case_factory(Status.COUNTY_REVIEW)
    client.force_login(demo["county_qindu"])
    page = client.get(f"/reviews/cases/{case.reference}/").content.decode()
    assert PHONE not in page and "138****5678" in page


def test_full_accounts_only_in_finance_export_and_audited(locked, demo, client):
    def csv_account(username):
        client.force_login(demo[username])
        response = client.get(f"/payments/batches/{locked.reference}/export/csv/")
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        return list(csv.reader(io.StringIO(body)))[1][5]

    assert csv_account("finance_checker") == "\t" + ACCOUNT
    assert csv_account("auditor") == MASKED
    grants = AuditEvent.objects.filter(action="payment_batch.export").order_by("sequence")
    assert [(e.actor.username, e.after["full_accounts"]) for e in grants] == [
        ("finance_checker", True),
        ("auditor", False),
    ]


@pytest.mark.django_db(transaction=True)
def test_no_account_or_phone_digits_in_a_database_dump(django_capture_on_commit_callbacks):
    """pg_dump of the demo data (plus a locked payment batch and a bank change)."""
    from accounts.models import User
    from payments.selectors import BuildFilters
    from payments.services import payment_batch_build, payment_batch_lock
    from tests.conftest import _restore_reference_data

    _restore_reference_data()  # an earlier transactional test may have flushed them
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")
    accounts = set(Organisation.objects.values_list("bank_account", flat=True))
    phones = set(Organisation.objects.values_list("contact_phone", flat=True))
    finance = User.objects.get(username="finance")
    with django_capture_on_commit_callbacks(execute=True):
        batch = payment_batch_build(actor=finance, filters=BuildFilters())
    payment_batch_lock(actor=User.objects.get(username="finance_checker"), batch_id=batch.pk)
    assert PaymentLine.objects.count() >= 1
    settings_db = connection.settings_dict
    dump = subprocess.run(
        [
            "pg_dump",
            "--data-only",
            "-h",
            settings_db["HOST"] or "127.0.0.1",
            "-p",
            str(settings_db["PORT"] or 5432),
            "-U",
            settings_db["USER"] or "postgres",
            settings_db["NAME"],
        ],
        capture_output=True,
        text=True,
        check=True,
        env={"PGPASSWORD": settings_db.get("PASSWORD") or "", "PATH": "/usr/bin:/bin"},
    ).stdout
    assert "COPY public.payments_paymentline" in dump and "COPY public.audit_auditevent" in dump
    assert accounts and all(len(a) == 19 for a in accounts)
    for value in accounts | phones:
        assert value not in dump
        assert value.replace("-", "") not in dump
    # No digit run long enough to be an account number survives anywhere.
    assert not re.search(r"(?<![0-9a-f])6222\d{15}", dump)
