"""Evidence upload checks: the type is decided by content, never by the name."""

from __future__ import annotations

import hashlib
import math
import re
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, Any

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import LimitReachedError, PdfReadError
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    StreamObject,
)

from core.errors import DomainError

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
# A scan of an A4 page at 600 dpi is about 35 megapixels; more is a decompression bomb.
IMAGE_MAX_PIXELS = 60_000_000
# More objects than this are not searched to the end, so the file is refused (a document of
# a few hundred scanned pages has tens of thousands); the search costs about 50 µs an object.
PDF_MAX_OBJECTS = 100_000
# Active PDF content: what each name means, for the message. The action types (the value of
# an action's /S) reach outside the document: another file or share (an UNC path leaks the
# reader's Windows credentials), or a form posted to a server.
PDF_ACTIVE_KEYS = {
    "/JS": "JavaScript",
    "/JavaScript": "JavaScript",
    "/Launch": "Launch",
    "/EmbeddedFiles": "EmbeddedFile",
    "/EmbeddedFile": "EmbeddedFile",
    "/FileAttachment": "EmbeddedFile",
    "/RichMedia": "RichMedia",
    "/XFA": "XFA",
    "/GoToR": "GoToR",
    "/GoToE": "GoToE",
    "/SubmitForm": "SubmitForm",
    "/ImportData": "ImportData",
}
# Where a viewer runs an action by itself (on opening, on page and field events): a web link
# there is opened without a click.
PDF_AUTOMATIC_ACTIONS = ("/OpenAction", "/AA")
OFD_ACTIVE_SUFFIXES = (".js", ".html", ".htm", ".xhtml", ".svg", ".swf", ".exe", ".dll")
OFD_ACTIVE_CONTENT = re.compile(rb"<\s*script|javascript:|<\s*html|<\s*iframe", re.IGNORECASE)
OPEN_TAG_AT_END = re.compile(rb"<\s*\Z")
OFD_CARRY_MAX = 1024 * 1024
MARKUP = re.compile(rb"<\s*(script|html|svg|iframe)|<\?php", re.IGNORECASE)
# Uploads are read in blocks of this size, never whole: a large file stays in its temporary
# file (FILE_UPLOAD_MAX_MEMORY_SIZE) and only a block at a time is in memory.
BLOCK = 64 * 1024
HEAD_BYTES = 8192  # what filetype needs to recognise a format
# A ZIP's end-of-central-directory record (22 bytes) plus the longest comment it can name.
ZIP_TAIL_BYTES = 22 + 65535


@dataclass(frozen=True)
class CheckedUpload:
    original_name: str
    extension: str
    content_type: str
    size: int
    sha256: str


def _read_at(handle: IO[bytes], offset: int, length: int) -> bytes:
    handle.seek(max(offset, 0))
    return handle.read(length)


def _tail(handle: IO[bytes], size: int, length: int) -> bytes:
    return _read_at(handle, size - length, min(length, size))


def _only_blank_after_last(handle: IO[bytes], size: int, marker: bytes, blank: bytes) -> bool:
    """True when the file holds `marker` and nothing but `blank` bytes follow its last
    occurrence; read backwards block by block, so a long tail never comes into memory whole."""
    end = size
    carry = b""  # the start of the block after this one, for a marker across the boundary
    while end > 0:
        start = max(0, end - BLOCK)
        block = _read_at(handle, start, end - start) + carry
        found = block.rfind(marker)
        if found >= 0:
            return not block[found + len(marker) :].strip(blank)
        if block[: end - start].strip(blank):
            return False
        carry = block[: len(marker) - 1]
        end = start
    return False


def _sha256(handle: IO[bytes]) -> str:
    digest = hashlib.sha256()
    handle.seek(0)
    while block := handle.read(BLOCK):
        digest.update(block)
    return digest.hexdigest()


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


def _check_ofd(handle: IO[bytes], size: int) -> None:
    try:
        handle.seek(0)
        archive = zipfile.ZipFile(handle)
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
    _check_zip_bounds(handle, size, entries)
    for entry in entries:
        name = entry.filename.lower()
        if name.endswith(OFD_ACTIVE_SUFFIXES) or (
            name.endswith(".xml") and _entry_has_active_content(archive, entry)
        ):
            raise _refuse(
                _("OFD 文件内含脚本或网页内容（%(name)s），已拒收。请从开票或签章系统重新导出。")
                % {"name": PurePath(entry.filename).name[:60]},
                "ofd_active_content",
            )


def _entry_has_active_content(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> bool:
    """Search one XML entry block by block. What may start a match across blocks is carried
    over: the last 64 bytes, or from a trailing `<` and its whitespace (`<   script`)."""
    carry = b""
    try:
        with archive.open(entry) as member:
            while block := member.read(BLOCK):
                text = carry + block
                if OFD_ACTIVE_CONTENT.search(text):
                    return True
                opening = OPEN_TAG_AT_END.search(text)
                start = opening.start() if opening else len(text) - 64
                carry = text[max(start, len(text) - OFD_CARRY_MAX, 0) :]
    # A damaged member or bad CRC; an encrypted member (RuntimeError: password required) or
    # an unknown compression method (NotImplementedError) cannot be read either.
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError) as exc:
        raise _refuse(_("OFD 文件已损坏，无法打开。"), "corrupt") from exc
    return False


def _polyglot() -> DomainError:
    return _refuse(
        _(
            "文件结尾之后或内部夹带了其他格式的数据（多格式混合文件），已拒收。请重新导出或扫描后上传。"
        ),
        "polyglot",
    )


def _check_zip_bounds(handle: IO[bytes], size: int, entries: list[zipfile.ZipInfo]) -> None:
    """Nothing before the first entry, nothing after the end-of-archive record (which, with
    its comment, lies in the last ZIP_TAIL_BYTES of a well-formed archive)."""
    if min(entry.header_offset for entry in entries) != 0:
        raise _polyglot()
    tail = _tail(handle, size, ZIP_TAIL_BYTES)
    end = tail.rfind(b"PK\x05\x06")
    comment_length = int.from_bytes(tail[end + 20 : end + 22], "little") if end >= 0 else 0
    if end < 0 or end + 22 + comment_length != len(tail):
        raise _polyglot()


def _check_pdf(handle: IO[bytes], size: int) -> None:
    try:
        handle.seek(0)
        reader = PdfReader(handle, strict=False)  # pypdf seeks to the objects it needs
        if reader.is_encrypted:
            raise _refuse(_("PDF 文件已加密，请上传未加密的文件。"), "encrypted_pdf")
        if len(reader.pages) == 0:
            raise _refuse(_("PDF 文件没有页面，可能已损坏。"), "corrupt")
        reader.pages[0].mediabox  # noqa: B018 - touching the first page parses it
        found = _pdf_active_content(reader)
    except DomainError:
        raise
    except LimitReachedError as exc:  # an array or stream beyond pypdf's own limits
        raise _pdf_too_complex() from exc
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
    if found:
        raise _refuse(
            _(
                "PDF 文件含有可执行的活动内容（%(what)s），已拒收。"
                "请用“打印为 PDF”或扫描方式生成不含脚本、附件和交互表单的文件后重新上传。"
            )
            % {"what": "、".join(sorted(found))},
            "pdf_active_content",
        )
    if not _only_blank_after_last(handle, size, b"%%EOF", b"\r\n\t \x00") or _is_zip(handle):
        raise _polyglot()


def _pdf_too_complex() -> DomainError:
    return _refuse(
        _(
            "PDF 文件结构过于复杂，无法完成安全检查，已拒收。"
            "请用“打印为 PDF”或扫描方式重新生成后上传。"
        ),
        "pdf_too_complex",
    )


def _automatic_uri(value: Any) -> bool:
    """Does an /OpenAction or /AA value open a web link by itself?"""
    value = value.get_object() if isinstance(value, IndirectObject) else value
    if not isinstance(value, DictionaryObject):
        return False
    actions = [value] if "/S" in value else [v.get_object() for v in value.values()]
    return any(isinstance(a, DictionaryObject) and a.get("/S") == "/URI" for a in actions)


def _is_zip(handle: IO[bytes]) -> bool:
    handle.seek(0)
    return zipfile.is_zipfile(handle)  # reads only the end-of-archive record


def _pdf_active_content(reader: PdfReader) -> set[str]:
    """Names of active features anywhere in the document's object graph, object streams
    included (names decoded by pypdf, so an obfuscated `/J#53` is found too).

    pypdf reads a stream's data along with its dictionary; once the dictionary is searched
    the stream leaves pypdf's object cache, so images and page contents are in memory one
    at a time, never all together."""
    found: set[str] = set()
    seen: set[tuple[int, int]] = set()
    stack = [reader.trailer]
    while stack:
        if len(seen) >= PDF_MAX_OBJECTS:  # not searched to the end: never passed unsearched
            raise _pdf_too_complex()
        item = stack.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            item = item.get_object()
            if isinstance(item, StreamObject):
                reader.resolved_objects.pop((key[1], key[0]), None)
        if isinstance(item, DictionaryObject):
            for name, value in item.items():
                if name in PDF_ACTIVE_KEYS:
                    found.add(PDF_ACTIVE_KEYS[name])
                if isinstance(value, NameObject) and value in PDF_ACTIVE_KEYS:
                    found.add(PDF_ACTIVE_KEYS[value])
                if name in PDF_AUTOMATIC_ACTIONS and _automatic_uri(value):
                    found.add("URI")
                if name != "/Parent":
                    stack.append(value)
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return found


def _check_image(handle: IO[bytes], size: int, head: bytes, content_type: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            handle.seek(0)
            with Image.open(handle) as image:
                width, height = image.size
                if width * height > IMAGE_MAX_PIXELS:
                    raise _bomb(width, height)
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _refuse(
            _("图片像素数量异常（疑似解压炸弹），已拒收。请上传正常分辨率的扫描件或照片。"),
            "image_bomb",
        ) from exc
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _refuse(_("图片文件已损坏，无法打开。"), "corrupt") from exc
    # Polyglots: data after the image's end marker, or another format hidden inside.
    # PNG: the last IEND chunk ends the file (its 4-byte type, then its 4-byte CRC).
    # JPEG: the end-of-image marker ends the file, null padding aside.
    if content_type == "image/png":
        found = _tail(handle, size, 12).rfind(b"IEND")
        ends_clean = found >= 0 and found >= min(size, 12) - 8
    else:
        ends_clean = _only_blank_after_last(handle, size, b"\xff\xd9", b"\x00")
    if (
        not ends_clean
        or b"%PDF-" in head[:1024]
        or _is_zip(handle)
        or MARKUP.search(head[:4096])
        or MARKUP.search(_tail(handle, size, 4096))
    ):
        raise _polyglot()


def _bomb(width: int, height: int) -> DomainError:
    return _refuse(
        _(
            "图片尺寸 %(w)d×%(h)d 像素过大（疑似解压炸弹），已拒收。"
            "请上传不超过 6000 万像素的扫描件或照片。"
        )
        % {"w": width, "h": height},
        "image_bomb",
    )


def check_upload(upload: UploadedFile) -> CheckedUpload:
    """Return the checked metadata, or raise a DomainError the user can act on.

    The file is never read whole: the checks read its head, its tail and what the PDF, image
    and ZIP parsers seek to, from the in-memory upload or from Django's temporary file."""
    name = safe_filename(upload.name or "")
    extension = PurePath(name).suffix.lower()
    size = upload.size or 0
    if size == 0:
        raise _refuse(_("文件为空，请重新选择。"), "empty")
    limit = settings.EVIDENCE_MAX_FILE_BYTES
    if size > limit:
        raise _refuse(
            _("文件过大（%(size).1f MB），单个文件不能超过 %(limit)d MB。")
            # Rounded up: a file just over the limit never reads as the limit itself.
            % {"size": math.ceil(size * 10 / 1048576) / 10, "limit": limit // 1048576},
            "too_large",
        )
    handle = upload.file
    head = _read_at(handle, 0, HEAD_BYTES)
    if head.startswith(EXECUTABLE_MAGIC):
        raise _refuse(_("不允许上传可执行文件。"), "executable")
    kind = filetype.guess(head)
    detected = kind.mime if kind else None
    if detected == "application/zip" and extension == ".ofd":
        _check_ofd(handle, size)
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
            _check_ofd(handle, size)  # refuses bombs first, then any ordinary archive
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
        _check_pdf(handle, size)
    elif detected.startswith("image/"):
        _check_image(handle, size, head, detected)
    checked = CheckedUpload(name, extension, detected, size, _sha256(handle))
    handle.seek(0)
    return checked
