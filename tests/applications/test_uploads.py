"""Each upload rejection with a real crafted file; accepted types land in private storage."""

import io

import pytest

from applications import services
from applications.models import ApplicationMaterial, EvidenceFile
from core.errors import DomainError
from tests.applications import files


@pytest.fixture
def draft(application_factory):
    return application_factory()


def _attach(draft, demo, name, content, code="CERTIFICATE"):
    return services.application_attach_upload(
        actor=demo["qindu_corp"],
        application_id=draft.pk,
        material_code=code,
        upload=files.upload(name, content),
    )


@pytest.mark.parametrize(
    ("name", "content", "code", "fragment"),
    [
        ("certificate.pdf", files.image_bytes("PNG"), "content_mismatch", "不符"),
        ("photo.png", files.pdf_bytes(), "content_mismatch", "不符"),
        ("setup.pdf", files.executable_bytes(), "executable", "可执行文件"),
        ("tool.exe", files.executable_bytes(), "executable", "可执行文件"),
        ("bomb.ofd", files.zip_bomb_bytes(), "archive_bomb", "压缩炸弹"),
        ("bundle.zip", files.plain_zip_bytes(), "archive", "压缩包"),
        ("locked.pdf", files.encrypted_pdf_bytes(), "encrypted_pdf", "加密"),
        ("broken.pdf", files.corrupt_pdf_bytes(), "corrupt", "损坏"),
        ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "corrupt", "损坏"),
        ("locked.ofd", files.ofd_with_unreadable_member(flags=0x1), "corrupt", "损坏"),
        ("aes.ofd", files.ofd_with_unreadable_member(method=99), "corrupt", "损坏"),
        ("empty.pdf", b"", "empty", "文件为空"),
        ("notes.txt", b"plain text", "type_not_allowed", "仅接受"),
    ],
)
def test_rejected_uploads(draft, demo, name, content, code, fragment):
    before = EvidenceFile.objects.count()
    with pytest.raises(DomainError) as info:
        _attach(draft, demo, name, content)
    assert info.value.code == code
    assert fragment in info.value.message
    assert EvidenceFile.objects.count() == before


def test_oversized_file_refused(draft, demo, settings):
    settings.EVIDENCE_MAX_FILE_BYTES = 1024
    with pytest.raises(DomainError) as info:
        _attach(draft, demo, "big.pdf", files.pdf_bytes(pages=20))
    assert info.value.code == "too_large"
    assert "不能超过" in info.value.message


def test_count_and_total_limits(draft, demo, settings):
    settings.EVIDENCE_MAX_FILES = 1
    with pytest.raises(DomainError) as info:
        _attach(draft, demo, "second.pdf", files.pdf_bytes(), code="CERTIFICATE")
    assert info.value.code == "too_many_files"


def test_replaced_versions_count_towards_their_own_limits(draft, demo, settings):
    """Only current files were counted: one material re-uploaded again and again kept every
    version (33 files on one draft, past the limit of 30, and past its 100 MB)."""
    settings.EVIDENCE_MAX_VERSIONS = 3
    for n in range(2):  # the draft holds version 1 already
        _attach(draft, demo, f"v{n + 2}.pdf", files.pdf_bytes(pages=n + 2))
    with pytest.raises(DomainError) as info:
        _attach(draft, demo, "v4.pdf", files.pdf_bytes(pages=4))
    assert info.value.code == "too_many_versions" and "3 个版本" in info.value.message
    settings.EVIDENCE_MAX_VERSIONS = 10
    kept = sum(m.evidence.size for m in ApplicationMaterial.objects.filter(application=draft))
    settings.EVIDENCE_MAX_KEPT_BYTES = kept + 10
    with pytest.raises(DomainError) as info:
        _attach(draft, demo, "v4.pdf", files.pdf_bytes(pages=4))
    assert info.value.code == "application_too_large" and "旧版本" in info.value.message
    assert ApplicationMaterial.objects.filter(application=draft).count() == 3


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("证书 (扫描).PDF", files.pdf_bytes(), "application/pdf"),
        ("photo.jpg", files.image_bytes("JPEG"), "image/jpeg"),
        ("photo.png", files.image_bytes("PNG"), "image/png"),
        ("invoice.ofd", files.ofd_bytes(), "application/ofd"),
    ],
)
def test_accepted_uploads_are_stored_under_generated_names(
    draft, demo, name, content, content_type
):
    material = _attach(draft, demo, name, content)
    evidence = material.evidence
    assert evidence.content_type == content_type
    assert evidence.size == len(content)
    assert name.split(".")[0] not in evidence.file.name  # the user's name never reaches disk
    assert evidence.file.name.startswith(f"evidence/{draft.organisation_id}/")
    assert evidence.file.read() == content


def test_hostile_filename_is_sanitised(draft, demo):
    material = _attach(draft, demo, "../../etc/passwd<script>.pdf", files.pdf_bytes())
    assert "/" not in material.evidence.original_name
    assert "<" not in material.evidence.original_name


def test_new_version_keeps_old_one(draft, demo):
    old = ApplicationMaterial.objects.get(application=draft, material_code="CERTIFICATE")
    new = _attach(draft, demo, "v2.pdf", files.pdf_bytes(pages=2))
    old.refresh_from_db()
    assert (old.is_current, new.is_current, new.version) == (False, True, old.version + 1)


def test_reuse_certificate_in_later_application(application_factory, demo):
    first = application_factory()
    second = application_factory(
        clause_code="M02-QUALITY-BENCHMARK",
        facts={
            "level": "provincial",
            "recognised_on": "2025-09-01",
            "certificate_no": "陕工信〔2025〕9号",
        },
    )
    evidence = first.materials.get(material_code="CERTIFICATE").evidence
    material = services.application_attach_existing(
        actor=demo["qindu_corp"],
        application_id=second.pk,
        material_code="CERTIFICATE",
        evidence_id=evidence.pk,
    )
    assert material.evidence_id == evidence.pk


def test_cannot_reuse_another_organisations_file(application_factory, demo):
    mine = application_factory()
    theirs = application_factory(username="weicheng_corp")
    foreign = theirs.materials.first().evidence
    with pytest.raises(DomainError) as info:
        services.application_attach_existing(
            actor=demo["qindu_corp"],
            application_id=mine.pk,
            material_code="CERTIFICATE",
            evidence_id=foreign.pk,
        )
    assert info.value.code == "unknown_evidence"


def test_a_file_just_over_the_limit_reads_as_larger_than_it(draft, demo, settings):
    settings.EVIDENCE_MAX_FILE_BYTES = 1048576  # 1 MB
    content = files.pdf_bytes() + b"%" * 1048576  # a little over 1 MB
    with pytest.raises(DomainError) as info:
        _attach(draft, demo, "big.pdf", content)
    assert info.value.code == "too_large"
    assert info.value.message == "文件过大（1.1 MB），单个文件不能超过 1 MB。"


def _long_page_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=333.4, height=50000)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_a_page_preview_passes_the_scan_gate_is_audited_and_not_kept(draft, demo, client):
    """The page images skipped the download's virus-scan gate and its audit event, and
    were cached for an hour (after logout, on a shared computer)."""
    from audit.models import AuditEvent

    evidence = _attach(draft, demo, "scan.pdf", files.pdf_bytes()).evidence
    client.force_login(demo["qindu_corp"])
    url = f"/applications/files/{evidence.pk}/page/1.png"
    seen = AuditEvent.objects.filter(action="security.download", object_id=str(evidence.pk))
    before = seen.count()
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert "no-store" in response["Cache-Control"]
    assert seen.count() == before + 1
    assert seen.latest("id").after["preview"] is True
    from applications.templatetags.evidence import evidence_preview

    assert list(evidence_preview(evidence)["pages"]) == [1]  # the reviewer's case page
    EvidenceFile.objects.filter(pk=evidence.pk).update(scan_status=EvidenceFile.ScanStatus.INFECTED)
    assert client.get(url).status_code == 409
    assert client.get(f"/applications/files/{evidence.pk}/").status_code == 409
    evidence.refresh_from_db()
    assert list(evidence_preview(evidence)["pages"]) == []  # no broken images: a download link


def test_a_very_long_page_is_previewed_at_a_bounded_size(draft, demo, client):
    from PIL import Image

    evidence = _attach(draft, demo, "long.pdf", _long_page_pdf()).evidence
    client.force_login(demo["qindu_corp"])
    response = client.get(f"/applications/files/{evidence.pk}/page/1.png")
    assert response.status_code == 200
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.height <= 3000 and image.width >= 10
