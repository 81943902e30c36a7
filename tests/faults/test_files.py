"""Files follow their transaction: a rollback leaves no file; old orphans are swept."""

import os
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError

from applications import services
from applications.models import EvidenceFile


def _files(root) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()]


def _pdf() -> bytes:
    from applications.demo import _blank_pdf

    return _blank_pdf()


def test_a_rolled_back_upload_leaves_no_file(application_factory, demo, settings, monkeypatch):
    draft = application_factory(submit=False)
    before = set(_files(settings.MEDIA_ROOT))
    rows_before = EvidenceFile.objects.count()

    def database_lost(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "_attach", database_lost)  # fails after the file is written
    with pytest.raises(OperationalError):
        services.application_attach_upload(
            actor=demo["qindu_corp"],
            application_id=draft.pk,
            material_code="CERTIFICATE",
            upload=SimpleUploadedFile("证书.pdf", _pdf()),
        )
    assert set(_files(settings.MEDIA_ROOT)) == before
    assert EvidenceFile.objects.count() == rows_before


def test_the_sweeper_removes_only_old_unreferenced_files(application_factory, settings, caplog):
    from core.files import files_sweep

    application_factory(submit=False)  # referenced evidence files
    referenced = _files(settings.MEDIA_ROOT)
    assert referenced
    orphans = Path(settings.MEDIA_ROOT) / "evidence" / "orphan"
    orphans.mkdir(parents=True)
    old, fresh = orphans / "old.pdf", orphans / "fresh.pdf"
    old.write_bytes(b"%PDF-1.4")
    fresh.write_bytes(b"%PDF-1.4")
    two_days_ago = time.time() - 2 * 24 * 3600
    for path in (old, *referenced):
        os.utime(path, (two_days_ago, two_days_ago))

    removed = files_sweep()

    assert removed == ["evidence/orphan/old.pdf"]
    assert not old.exists() and fresh.exists()
    assert all(path.exists() for path in referenced)
    assert "evidence/orphan/old.pdf" in caplog.text
