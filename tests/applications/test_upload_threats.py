"""Hostile uploads are refused with a clear message, in Chinese and English, and never a 500:
decompression bombs, active PDFs, OFD with scripts or HTML, polyglots; ClamAV when configured."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from applications import services
from applications.models import EvidenceFile
from core.errors import DomainError
from tests.applications import files


@pytest.fixture
def draft(application_factory):
    return application_factory()


def _attach(draft, demo, name, content):
    return services.application_attach_upload(
        actor=demo["qindu_corp"],
        application_id=draft.pk,
        material_code="CERTIFICATE",
        upload=files.upload(name, content),
    )


def _refused(draft, demo, name, content) -> DomainError:
    before = EvidenceFile.objects.count()
    with pytest.raises(DomainError) as info:
        _attach(draft, demo, name, content)
    assert EvidenceFile.objects.count() == before
    return info.value


def test_the_119_byte_png_bomb(draft, demo):
    bomb = files.png_bomb_bytes()
    assert len(bomb) == 119
    error = _refused(draft, demo, "scan.png", bomb)
    assert error.code == "image_bomb" and "解压炸弹" in error.message


def test_a_large_but_not_huge_claim_is_refused_by_our_limit(draft, demo):
    error = _refused(draft, demo, "scan.png", files.png_bomb_bytes(9000, 9000))  # 81 MP
    assert error.code == "image_bomb" and "9000×9000" in error.message


@pytest.mark.parametrize(
    ("kind", "named"),
    [
        ("javascript", "JavaScript"),
        ("openaction", "JavaScript"),
        ("launch", "Launch"),
        ("embedded", "EmbeddedFile"),
        ("richmedia", "RichMedia"),
        ("xfa", "XFA"),
        ("gotor", "GoToR"),  # an UNC path: the reader's Windows credentials leak
        ("submitform", "SubmitForm"),
        ("openaction_uri", "URI"),  # a web address opened by itself
        ("page_aa_uri", "URI"),
    ],
)
def test_active_pdfs(draft, demo, kind, named):
    error = _refused(draft, demo, "certificate.pdf", files.active_pdf_bytes(kind))
    assert error.code == "pdf_active_content"
    assert named in error.message and "活动内容" in error.message


def test_a_pdf_with_an_ordinary_link_is_accepted(draft, demo):
    material = _attach(draft, demo, "certificate.pdf", files.active_pdf_bytes("link_uri"))
    assert material.evidence.content_type == "application/pdf"


def test_a_pdf_too_large_to_search_to_the_end_is_refused_not_passed(draft, demo):
    """The search stopped at its object limit and accepted the file: a script placed behind
    200,000 objects was never seen."""
    error = _refused(draft, demo, "certificate.pdf", files.active_pdf_bytes("many_objects"))
    assert error.code == "pdf_too_complex" and "过于复杂" in error.message


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("Doc_0/Page.html", "<html><body>hi</body></html>"),
        ("Doc_0/run.js", "alert(1)"),
        ("Doc_0/Annots.xml", "<ofd:Annot><script>alert(1)</script></ofd:Annot>"),
    ],
)
def test_ofd_with_script_or_html(draft, demo, name, content):
    error = _refused(draft, demo, "invoice.ofd", files.ofd_with(name, content))
    assert error.code == "ofd_active_content" and "脚本或网页" in error.message


def _zip() -> bytes:
    return files.plain_zip_bytes()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("certificate.pdf", files.pdf_bytes() + _zip()),  # PDF + ZIP
        ("certificate.pdf", files.pdf_bytes() + b"<html><script>x</script></html>"),
        ("photo.png", files.image_bytes("PNG") + b"trailing payload"),  # after IEND
        ("photo.png", files.image_bytes("PNG") + _zip()),  # PNG + ZIP
        ("photo.jpg", files.image_bytes("JPEG") + _zip()),  # JPEG + ZIP
        ("photo.jpg", files.image_bytes("JPEG") + b"%PDF-1.7 after the end"),
        ("invoice.ofd", files.ofd_bytes() + b"appended after the archive"),
    ],
)
def test_polyglots(draft, demo, name, content):
    error = _refused(draft, demo, name, content)
    assert error.code == "polyglot" and "多格式混合" in error.message


def test_png_with_a_pdf_header_inside(draft, demo):
    png = files.image_bytes("PNG")
    # A tEXt chunk before IEND whose text is a PDF header: readers that look for %PDF- in the
    # first 1024 bytes would open it as a PDF.
    import struct
    import zlib

    body = b"tEXt" + b"Comment\x00%PDF-1.7 1 0 obj"
    chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))
    error = _refused(draft, demo, "photo.png", png[:33] + chunk + png[33:])
    assert error.code == "polyglot"


def test_refusals_in_english_and_never_a_500(draft, demo, client):
    client.force_login(demo["qindu_corp"])
    client.cookies["django_language"] = "en"
    url = f"/api/v1/applications/{draft.reference}/evidence/"
    for name, content in (
        ("scan.png", files.png_bomb_bytes()),
        ("certificate.pdf", files.active_pdf_bytes("launch")),
        ("invoice.ofd", files.ofd_with("Doc_0/a.html", "<html/>")),
        ("photo.png", files.image_bytes("PNG") + _zip()),
    ):
        response = client.post(
            url, {"material_code": "CERTIFICATE", "file": files.upload(name, content)}
        )
        assert response.status_code == 400, response.content
        body = response.json()
        assert body["message"] and body["message"].isascii(), body  # translated, not Chinese


# --- ClamAV -----------------------------------------------------------------------------


@pytest.fixture
def clamd(tmp_path_factory):
    """A real clamd on a temporary socket, loading only a local EICAR signature."""
    binary = shutil.which("clamd") or "/usr/sbin/clamd"
    if not Path(binary).exists():
        pytest.fail("clamd is missing: scripts/bootstrap.sh test installs clamav-daemon")
    base = tmp_path_factory.mktemp("clamd")
    (base / "db").mkdir()
    (base / "db" / "eicar.ndb").write_text(f"Eicar-Test-Signature:0:*:{files.EICAR.hex()}\n")
    socket = base / "clamd.sock"
    (base / "clamd.conf").write_text(
        f"Foreground yes\nLocalSocket {socket}\nDatabaseDirectory {base / 'db'}\n"
        f"PidFile {base / 'clamd.pid'}\nTemporaryDirectory {base}\n"
    )
    process = subprocess.Popen(
        [binary, "-c", str(base / "clamd.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while not socket.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("clamd did not start: " + process.stderr.read().decode()[-500:])
        time.sleep(0.1)
    yield str(socket)
    process.terminate()
    process.wait(timeout=10)


@pytest.mark.slow
def test_clamav_refuses_eicar_and_passes_a_clean_file(draft, demo, settings, clamd):
    settings.CLAMD_SOCKET = clamd
    error = _refused(draft, demo, "certificate.pdf", files.eicar_pdf_bytes())
    assert error.code == "virus_found" and "Eicar-Test-Signature" in error.message
    material = _attach(draft, demo, "clean.pdf", files.pdf_bytes(pages=2))
    assert material.evidence.scan_status == EvidenceFile.ScanStatus.CLEAN


@pytest.mark.slow
def test_staff_cannot_open_a_file_until_it_is_clean(
    draft, demo, settings, clamd, client, tmp_path, django_capture_on_commit_callbacks
):
    from applications.services import evidence_scan_record
    from outbox.models import OutboxMessage
    from outbox.services import outbox_run

    settings.CLAMD_SOCKET = str(tmp_path / "no-clamd-here.sock")  # clamd down at upload
    with django_capture_on_commit_callbacks(execute=False):
        material = _attach(draft, demo, "late.pdf", files.pdf_bytes())
    evidence = material.evidence
    assert evidence.scan_status == EvidenceFile.ScanStatus.PENDING
    services.application_submit(
        actor=demo["qindu_corp"], application_id=draft.pk, pledge_accepted=True, pledge_name="张三"
    )
    client.force_login(demo["county_qindu"])
    response = client.get(f"/applications/files/{evidence.pk}/")
    assert response.status_code == 409 and "病毒扫描" in response.content.decode()
    settings.CLAMD_SOCKET = clamd  # clamd is back: the outbox row's next attempt scans it
    row = OutboxMessage.objects.get(kind="evidence_scan", payload={"evidence_id": evidence.pk})
    assert outbox_run(message_id=row.pk) == "done"
    evidence.refresh_from_db()
    assert evidence.scan_status == EvidenceFile.ScanStatus.CLEAN
    assert evidence_scan_record(evidence_id=evidence.pk) == EvidenceFile.ScanStatus.CLEAN
    assert client.get(f"/applications/files/{evidence.pk}/").status_code == 200


def test_clamd_and_the_broker_both_down_at_upload_lose_nothing(
    draft, demo, settings, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    """The rescan is an outbox row written with the upload: with the broker down too, the
    upload still succeeds (no error after the commit), the row waits, and each attempt while
    clamd is unreachable fails and is retried later, the file staying unscanned."""
    from kombu.exceptions import OperationalError

    from outbox.models import OutboxMessage
    from outbox.services import outbox_run
    from outbox.tasks import outbox_deliver

    def broker_down(*args, **kwargs):
        raise OperationalError("connection refused")

    settings.CLAMD_SOCKET = str(tmp_path / "no-clamd-here.sock")
    monkeypatch.setattr(outbox_deliver, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        material = _attach(draft, demo, "late.pdf", files.pdf_bytes())
    evidence = material.evidence
    assert evidence.scan_status == EvidenceFile.ScanStatus.PENDING
    row = OutboxMessage.objects.get(kind="evidence_scan")
    assert row.payload == {"evidence_id": evidence.pk}
    assert row.state == OutboxMessage.State.PENDING and row.attempts == 0
    assert outbox_run(message_id=row.pk) == "failed"
    row.refresh_from_db()
    assert row.state == OutboxMessage.State.PENDING and "clamd unreachable" in row.last_error
    assert row.available_at > row.created_at  # backed off, not spinning
    evidence.refresh_from_db()
    assert evidence.scan_status == EvidenceFile.ScanStatus.PENDING
