"""The audit trail is a hash chain: audit_verify names the first altered, removed or truncated
event; TRUNCATE and early DELETE are refused by the database; security events are recorded."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_append, audit_security_event


@pytest.fixture
def chain(demo):
    """Five chained events; returns them in sequence order."""
    for n in range(5):
        audit_security_event(actor=demo["auditor"], action="security.test", detail={"n": n})
    return list(AuditEvent.objects.order_by("sequence"))


def _attack(sql: str, params=()) -> None:
    """An attacker with database access: triggers off, change, triggers on."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks in the way
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")


def _verify_error() -> str:
    with pytest.raises(CommandError) as info:
        call_command("audit_verify")
    return str(info.value)


def test_intact_chain_verifies(chain, capsys):
    call_command("audit_verify")
    out = capsys.readouterr().out
    assert "intact" in out and f"#{chain[-1].sequence}" in out
    assert [e.prev_hash for e in chain[1:]] == [e.hash for e in chain[:-1]]


@pytest.mark.parametrize(
    ("index", "sql", "expected"),
    [
        (2, "UPDATE audit_auditevent SET comment = 'rewritten' WHERE id = %(id)s", "altered"),
        # The attacker lacks AUDIT_CHAIN_KEY, so a recomputed plain hash does not match.
        (1, "UPDATE audit_auditevent SET hash = md5('x') || md5('y') WHERE id = %(id)s", "altered"),
        (3, "DELETE FROM audit_auditevent WHERE id = %(id)s", "removed"),
        (3, "DELETE FROM audit_auditevent WHERE sequence >= %(seq)s", "truncated"),
    ],
)
def test_tampering_names_the_first_bad_event(chain, index, sql, expected):
    target = chain[index]
    _attack(sql, {"id": target.pk, "seq": target.sequence})
    message = _verify_error()
    assert f"event #{target.sequence}" in message and expected in message


def test_truncated_table_is_caught(chain):
    _attack("TRUNCATE audit_auditevent")
    assert "truncated" in _verify_error()


def test_truncate_and_delete_are_refused_by_the_database(chain):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL audit.allow_truncate = off")  # as on a real server
        cursor.execute("TRUNCATE audit_auditevent")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=chain[0].pk).update(comment="x")
    # Even the archive switch does not allow removing an event younger than 180 days.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL audit.archiving = 'on'")
        AuditEvent.objects.filter(pk=chain[0].pk).delete()
    assert AuditEvent.objects.count() == len(chain)
    call_command("audit_verify")


def test_archive_exports_old_events_with_their_chain(demo, tmp_path):
    old = timezone.now() - timedelta(days=200)
    audit_append(
        [
            AuditEvent(object_type="security", object_id="x", object_repr="old",
                       action="security.test", occurred_at=old + timedelta(minutes=n))
            for n in range(3)
        ]
    )  # fmt: skip
    recent = audit_security_event(actor=demo["auditor"], action="security.test")
    target = tmp_path / "audit-archive.jsonl"
    call_command("audit_archive", str(target), "--delete")
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert lines[0]["archive"]["count"] == 3
    archived = lines[1:]
    assert [row["sequence"] for row in archived] == [1, 2, 3]
    assert [row["prev_hash"] for row in archived[1:]] == [row["hash"] for row in archived[:-1]]
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [recent.pk]
    assert AuditEvent.objects.get().prev_hash == archived[-1]["hash"]
    call_command("audit_verify")  # the kept part continues from the archived hash


def test_login_failure_logout_admin_download_export_are_recorded(demo, client, case_factory):
    from applications.models import Status

    client.post("/accounts/login/", {"username": "auditor", "password": "wrong-password"})
    # Staff sign in with a second factor too; force_login stands for a complete sign-in.
    client.force_login(demo["auditor"])
    client.get("/reviews/audit/", {"export": "xlsx"})
    client.post("/accounts/logout/")
    failed = AuditEvent.objects.get(action="security.login_failed")
    assert failed.after == {"username": "auditor"} and failed.ip_address == "127.0.0.1"
    assert "wrong-password" not in json.dumps(failed.after)
    assert AuditEvent.objects.get(action="security.login").actor == demo["auditor"]
    assert AuditEvent.objects.get(action="security.export").after["export"] == "audit_log"
    assert AuditEvent.objects.get(action="security.logout").actor == demo["auditor"]

    case = case_factory(Status.COUNTY_REVIEW)
    evidence = case.materials.first().evidence
    client.force_login(demo["county_qindu"])
    assert client.get(f"/applications/files/{evidence.pk}/").status_code == 200
    download = AuditEvent.objects.get(action="security.download")
    assert (download.actor, download.object_id) == (demo["county_qindu"], str(evidence.pk))

    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    LogEntry.objects.log_actions(
        user_id=demo["policy_admin"].pk,
        queryset=[demo["auditor"]],
        action_flag=CHANGE,
        change_message="Changed is_superuser.",
    )
    admin = AuditEvent.objects.get(action="admin.change")
    assert (
        admin.object_type == ContentType.objects.get_for_model(demo["auditor"]).app_label + ".user"
    )
    call_command("audit_verify")
