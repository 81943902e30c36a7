"""Evidence upload checks: the type is decided by content, never by the name."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from xianyang_portal.errors import DomainError

# extension → accepted content type; JPEG has two usual extensions.
ALLOWED = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".ofd": "application/ofd",
}
EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"#!", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")
OFD_MAX_UNCOMPRESSED = 200 * 1024 * 1024
OFD_MAX_RATIO = 100
OFD_MAX_ENTRIES = 2000


HEAD_BYTES = 8192  # enough for every magic number filetype knows
CHUNK = 64 * 1024


@dataclass(frozen=True)
class CheckedUpload:
    original_name: str
    extension: str
    content_type: str
    size: int
    sha256: str


def _refuse(message: str, code: str) -> DomainError:
    return DomainError(message, code=code, detail={"file": [message]})


def safe_filename(name: str) -> str:
    """Keep a readable, harmless display name; storage uses a generated one anyway."""
    base = PurePath(name.replace("\\", "/")).name.strip() or "file"
    stem, dot, ext = base.rpartition(".")
    cleaned = (
        get_valid_filename(base)
        if not dot
        else get_valid_filename(stem)[:80] + "." + get_valid_filename(ext)[:8]
    )
    return cleaned[:120]


def _check_ofd(stream, size: int) -> None:
    try:
        archive = zipfile.ZipFile(stream)
        entries = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise _refuse(_("OFD 文件已损坏，无法打开。"), "corrupt") from exc
    if len(entries) > OFD_MAX_ENTRIES:
        raise _refuse(_("压缩内容过多，疑似压缩炸弹，已拒收。"), "archive_bomb")
    total = sum(entry.file_size for entry in entries)
    if total > OFD_MAX_UNCOMPRESSED or total > OFD_MAX_RATIO * max(size, 1):
        raise _refuse(_("文件解压后体积异常，疑似压缩炸弹，已拒收。"), "archive_bomb")
    if not any(PurePath(entry.filename).name.upper() == "OFD.XML" for entry in entries):
        raise _refuse(_("不接受压缩包，请上传 PDF、JPG、PNG 或 OFD 文件。"), "archive")


def _check_pdf(stream) -> None:
    try:
        reader = PdfReader(stream, strict=False)
        if reader.is_encrypted:
            raise _refuse(_("PDF 文件已加密，请上传未加密的文件。"), "encrypted_pdf")
        if len(reader.pages) == 0:
            raise _refuse(_("PDF 文件没有页面，可能已损坏。"), "corrupt")
        reader.pages[0].mediabox  # noqa: B018 - touching the first page parses it
    except DomainError:
        raise
    except (
        PdfReadError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        OSError,
    ) as exc:
        raise _refuse(_("PDF 文件已损坏，无法打开。"), "corrupt") from exc


def _check_image(stream) -> None:
    try:
        with Image.open(stream) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _refuse(_("图片文件已损坏，无法打开。"), "corrupt") from exc


def _digest(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


class _Stream(io.RawIOBase):
    """The upload as a seekable binary stream for the parsers, read on demand (a large
    upload is a temporary file on disk; it is never read into memory as a whole)."""

    def __init__(self, upload: UploadedFile):
        self._file = upload.file

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._file.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def close(self) -> None:  # the upload handler owns the file
        pass


def check_upload(upload: UploadedFile) -> CheckedUpload:
    """Return the checked metadata, or raise a DomainError the user can act on.

    Reads the content as a stream (magic numbers from the first bytes, the parsers seek as
    they need, the SHA-256 in 64 KiB chunks); the caller saves the upload itself, in chunks.
    """
    name = safe_filename(upload.name or "")
    extension = PurePath(name).suffix.lower()
    size = upload.size or 0
    if size == 0:
        raise _refuse(_("文件为空，请重新选择。"), "empty")
    limit = settings.EVIDENCE_MAX_FILE_BYTES
    if size > limit:
        raise _refuse(
            _("文件过大（%(size).1f MB），单个文件不能超过 %(limit)d MB。")
            % {"size": size / 1048576, "limit": limit // 1048576},
            "too_large",
        )
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    stream = io.BufferedReader(_Stream(upload), CHUNK)
    stream.seek(0)
    if head.startswith(EXECUTABLE_MAGIC):
        raise _refuse(_("不允许上传可执行文件。"), "executable")
    kind = filetype.guess(head)
    detected = kind.mime if kind else None
    if detected == "application/zip" and extension == ".ofd":
        _check_ofd(stream, size)
        detected = "application/ofd"
    elif detected in (
        "application/zip",
        "application/x-rar-compressed",
        "application/x-7z-compressed",
        "application/gzip",
        "application/x-tar",
        "application/x-bzip2",
    ):
        if detected == "application/zip":
            _check_ofd(stream, size)  # refuses bombs first, then any ordinary archive
        raise _refuse(_("不接受压缩包，请上传 PDF、JPG、PNG 或 OFD 文件。"), "archive")
    elif detected in (
        "application/x-msdownload",
        "application/x-executable",
        "application/x-elf",
        "application/x-mach-binary",
    ):
        raise _refuse(_("不允许上传可执行文件。"), "executable")
    if extension not in ALLOWED:
        raise _refuse(_("仅接受 PDF、JPG、PNG、OFD 文件。"), "type_not_allowed")
    if detected != ALLOWED[extension]:
        raise _refuse(
            _("文件内容与扩展名 %(ext)s 不符，请上传真实的 %(ext)s 文件。") % {"ext": extension},
            "content_mismatch",
        )
    if detected == "application/pdf":
        _check_pdf(stream)
    elif detected.startswith("image/"):
        _check_image(stream)
    checked = CheckedUpload(name, extension, detected, size, _digest(upload))
    upload.seek(0)
    return checked
