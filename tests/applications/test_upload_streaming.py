"""Large uploads stream: an 8 MB evidence file is checked, hashed, scanned and stored without
ever being in memory whole (issue 13, Deliver 6)."""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc

import pytest
from django.core.files.uploadedfile import TemporaryUploadedFile
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, NameObject

from applications import services
from applications.models import EvidenceFile

SIZE = 8 * 1024 * 1024
# What the old whole-file path held at least once (the bytes read); the streaming path
# holds blocks of 64 KB and, for a PDF, one page stream at a time (1 MB here).
PEAK_LIMIT = 2 * 1024 * 1024


def large_pdf() -> bytes:
    """Eight pages, each with a 1 MB incompressible content stream: about 8 MB."""
    writer = PdfWriter()
    for _ in range(8):
        page = writer.add_blank_page(width=595, height=842)
        content = DecodedStreamObject()
        content.set_data(b"% " + os.urandom(SIZE // 8 - 16).replace(b"\n", b" ") + b"\n")
        page[NameObject("/Contents")] = writer._add_object(content)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def large_png() -> bytes:
    """Noise does not compress: 1700×1700 RGB is about 8.3 MB as PNG."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (1700, 1700), os.urandom(1700 * 1700 * 3)).save(buffer, "PNG")
    return buffer.getvalue()


def temporary_upload(name: str, content: bytes, content_type: str) -> TemporaryUploadedFile:
    """What Django's TemporaryFileUploadHandler hands over for a file above
    FILE_UPLOAD_MAX_MEMORY_SIZE: the body written to a temporary file in chunks."""
    upload = TemporaryUploadedFile(name, content_type, len(content), None)
    for start in range(0, len(content), 64 * 1024):
        upload.write(content[start : start + 64 * 1024])
    upload.flush()
    upload.seek(0)
    return upload


class ReadSpy:
    """Wraps the upload's file: records the largest single read (a whole-file read would be
    the file's size; zipfile's bounded `read()` of the last 64 KB is fine)."""

    def __init__(self, handle):
        self._handle = handle
        self.largest_read = 0

    def read(self, size=-1):
        data = self._handle.read(size)
        self.largest_read = max(self.largest_read, len(data))
        return data

    def __getattr__(self, name):
        return getattr(self._handle, name)


@pytest.mark.parametrize(
    ("name", "make", "content_type"),
    [("cert.pdf", large_pdf, "application/pdf"), ("scan.png", large_png, "image/png")],
)
def test_an_8_mb_upload_is_never_in_memory_whole(
    application_factory, demo, settings, tmp_path, name, make, content_type
):
    settings.MEDIA_ROOT = str(tmp_path)
    content = make()
    assert len(content) >= SIZE
    expected_sha = hashlib.sha256(content).hexdigest()
    upload = temporary_upload(name, content, content_type)
    del content
    spy = ReadSpy(upload.file)
    upload.file = spy
    draft = application_factory()

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        material = services.application_attach_upload(
            actor=demo["qindu_corp"],
            application_id=draft.pk,
            material_code="CERTIFICATE",
            upload=upload,
        )
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    upload.close()  # as Django does at the end of the request (the file was moved)
    assert spy.largest_read <= PEAK_LIMIT, f"one read of {spy.largest_read} bytes"
    assert peak < PEAK_LIMIT, f"peak {peak / 1048576:.1f} MB for an 8 MB upload"
    evidence = EvidenceFile.objects.get(pk=material.evidence_id)
    assert evidence.size >= SIZE and evidence.content_type == content_type
    assert evidence.sha256 == expected_sha
    digest = hashlib.sha256()
    with evidence.file.open("rb") as stored:
        for block in iter(lambda: stored.read(1 << 16), b""):
            digest.update(block)
    assert digest.hexdigest() == expected_sha  # stored byte for byte


def test_an_ofd_script_tag_split_across_read_blocks_is_still_found(application_factory, demo):
    """The OFD XML is searched block by block (64 KB): a `<` with a long run of whitespace
    before the block boundary and `script` after it is still refused."""
    import base64

    from core.errors import DomainError
    from tests.applications import files

    # Incompressible text before it, so the archive's ratio stays far below the bomb limit.
    filler = base64.b64encode(os.urandom(64 * 1024))[: 64 * 1024 - 205]
    xml = b"<doc>" + filler + b"<" + b" " * 400 + b"script>alert(1)</script>"
    draft = application_factory()
    with pytest.raises(DomainError) as info:
        services.application_attach_upload(
            actor=demo["qindu_corp"],
            application_id=draft.pk,
            material_code="CERTIFICATE",
            upload=files.upload("invoice.ofd", files.ofd_with("Doc_0/Content.xml", xml)),
        )
    assert info.value.code == "ofd_active_content"
