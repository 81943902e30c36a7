"""seed_demo is idempotent and leaves a usable portal: every role, a policy, cases, a letter."""

from django.core.management import call_command

from accounts.models import Organisation, RoleAssignment, User
from applications.models import Application, Status
from reviews.models import Letter


def test_seed_demo_twice_gives_the_same_data(db, capsys, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")
    first = (
        User.objects.count(),
        Organisation.objects.count(),
        Application.objects.count(),
        Letter.objects.count(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")
    assert (
        User.objects.count(),
        Organisation.objects.count(),
        Application.objects.count(),
        Letter.objects.count(),
    ) == first
    roles = set(RoleAssignment.objects.values_list("role", flat=True))
    assert roles == {
        "county_reviewer",
        "department_reviewer",
        "approver",
        "finance",
        "policy_admin",
        "auditor",
        "security_admin",
    }
    assert set(Application.objects.values_list("status", flat=True)) == {
        Status.DRAFT,
        Status.COUNTY_REVIEW,
        Status.APPROVED,
    }
    assert first[3] == 1
    out = capsys.readouterr().out
    assert "qindu_corp" in out and "Xianyang-demo-2025" in out


def test_the_demo_letter_points_where_the_portal_runs(
    db, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """The letter is made while seeding, before any request shows the host: PORT=8331 must
    not give a QR code and link to :8000."""
    import io

    from pypdf import PdfReader

    from core import site

    settings.SITE_URL = ""  # local settings: taken from the requests, here from --url
    monkeypatch.setitem(site._observed, "url", "")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--quiet", "--url", "http://127.0.0.1:8331")
    letter = Letter.objects.get()
    with letter.pdf.open("rb") as stored:
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(stored.read())).pages)
    assert "127.0.0.1:8331/verify/" in text.replace(" ", "").replace("\n", "")
    assert "127.0.0.1:8000" not in text


def test_seed_demo_refuses_the_production_settings(db, settings):
    import pytest
    from django.core.management.base import CommandError

    settings.DEMO_SEED_ALLOWED = False  # as production.py sets it
    with pytest.raises(CommandError):
        call_command("seed_demo", "--quiet")
    assert not User.objects.filter(username="approver").exists()
