"""Render approval letters (奖励资金核定通知书) to PDF, one at a time or in batches.

Pure input → bytes: no ORM. A selector builds ``LetterContent``; a Celery task stores the bytes.

Every WeasyPrint call pays a fixed cost, mostly subsetting the CJK font faces in ``write_pdf``
(≈0.1 s per call with HarfBuzz subsetting here; seconds where WeasyPrint falls back to fontTools).
The production path therefore lays out a whole batch as one document, writes it once (one font
subset for the batch), shrinks the embedded fonts once, and splits the pages per letter with pypdf.
"""

from __future__ import annotations

import base64
import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Any

import segno
from django.template.loader import render_to_string
from fontTools import subset
from fontTools.ttLib import TTFont
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, StreamObject
from weasyprint import HTML, Document

from xianyang_portal.money import amount_in_capitals, format_yuan, quantize
from xianyang_portal.pdf import pdf_stylesheet

logger = logging.getLogger(__name__)
# fontTools' subsetter logs every glyph name at INFO level; that is noise for each batch.
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)

TEMPLATE = "reviews/letter.html"
MAX_FACTS = 8
_SECTION_ID = "letter-{}"


@dataclass(frozen=True)
class LetterContent:
    number: str  # 发文字号, e.g. "咸工信奖〔2026〕15号"
    organisation_name: str  # addressee, full legal name
    uscc: str
    policy_document: str  # "咸工信发〔2025〕70号"
    policy_title: str
    measure_number: int
    measure_title: str
    clause_title: str
    facts: tuple[tuple[str, str], ...]  # facts summary rows (label, value), 0–8 rows
    amount: Decimal  # approved amount, yuan, 2 places
    issued_on: date
    issuer: str  # "咸阳市工业和信息化局"
    verification_code: str
    verify_url: str  # absolute URL of /verify/<code>/, encoded in the QR code


class LetterRenderError(RuntimeError):
    """The batch PDF could not be split back into one PDF per letter."""


def chinese_date(d: date) -> str:
    """2026年1月15日 (成文日期 in Arabic numerals, no leading zeros, per GB/T 9704-2012)."""
    return f"{d.year}年{d.month}月{d.day}日"


def qr_png_data_uri(url: str) -> str:
    """The QR code for ``url`` as a 1-bit PNG data URI, one pixel per module.

    A raster image costs WeasyPrint almost nothing to draw, whereas parsing segno's SVG path
    (≈1,000 numbers per code) took several ms per letter; CSS ``image-rendering: pixelated`` keeps the
    modules sharp in the PDF. The 2-module border plus the CSS margin makes the quiet zone.
    """
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=1, border=2)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _context(letter: LetterContent, index: int) -> dict[str, Any]:
    if len(letter.facts) > MAX_FACTS:
        raise ValueError(f"A letter shows at most {MAX_FACTS} fact rows, got {len(letter.facts)}.")
    amount = quantize(letter.amount)
    return {
        "section_id": _SECTION_ID.format(index),
        "letter": letter,
        "amount_figures": format_yuan(amount),
        "amount_capitals": amount_in_capitals(amount),
        "issued_on": chinese_date(letter.issued_on),
        "qr_src": qr_png_data_uri(letter.verify_url),
    }


def _stylesheet():
    return pdf_stylesheet("portal/pdf/letter.css")


def render_letter_html(letters: Sequence[LetterContent]) -> str:
    """One HTML document, one <section> per letter, each starting on a new page."""
    if not letters:
        raise ValueError("No letters to render.")
    return render_to_string(
        TEMPLATE, {"letters": [_context(letter, i) for i, letter in enumerate(letters)]}
    )


def render_letter_pdf(letter: LetterContent) -> bytes:
    """The naive path: one WeasyPrint render, write and font subset for this one letter.

    Kept as the benchmark baseline. Its PDF is WeasyPrint's own output (fonts not compacted,
    ≈300 KiB); production code should call ``render_letter_pdfs``, even for a single letter.
    """
    return HTML(string=render_letter_html([letter])).write_pdf(stylesheets=[_stylesheet()])


def render_letter_pdfs(letters: Sequence[LetterContent]) -> list[bytes]:
    """The production path: one WeasyPrint render and write for the batch, split per letter."""
    if not letters:
        return []
    document = HTML(string=render_letter_html(letters)).render(stylesheets=[_stylesheet()])
    starts = _first_pages(document, len(letters))
    batch = PdfReader(io.BytesIO(document.write_pdf()))
    if len(batch.pages) != len(document.pages):
        raise LetterRenderError("The batch PDF does not have the pages WeasyPrint laid out.")
    _compact_cid_fonts(batch)
    ends = [*starts[1:], len(batch.pages)]
    return [
        _extract(batch, start, end, title=f"奖励资金核定通知书 {letter.number}")
        for letter, start, end in zip(letters, starts, ends, strict=True)
    ]


def _first_pages(document: Document, count: int) -> list[int]:
    """Index of the page each letter starts on, from the anchor on its <section>."""
    first: dict[str, int] = {}
    for page_number, page in enumerate(document.pages):
        for anchor in page.anchors:
            first.setdefault(anchor, page_number)
    starts = []
    for i in range(count):
        anchor = _SECTION_ID.format(i)
        if anchor not in first:
            raise LetterRenderError(f"Letter {i} has no page in the batch PDF.")
        starts.append(first[anchor])
    if starts[0] != 0 or any(b <= a for a, b in pairwise(starts)):
        raise LetterRenderError(f"Letters do not start on increasing pages: {starts}.")
    return starts


def _extract(batch: PdfReader, start: int, end: int, *, title: str) -> bytes:
    writer = PdfWriter()
    for page_number in range(start, end):
        page = batch.pages[page_number]
        _keep_own_images(page)
        writer.add_page(page)
    if "/Lang" in batch.trailer["/Root"]:
        writer.root_object[NameObject("/Lang")] = batch.trailer["/Root"]["/Lang"]
    writer.add_metadata({**(batch.metadata or {}), "/Title": title})
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


_DO_OPERATOR = re.compile(rb"/([^\s/\[\]()<>{}%]+)\s+Do\b")


def _keep_own_images(page: PageObject) -> None:
    """Point the page at a copy of the shared resources listing only the images it draws.

    WeasyPrint gives every page one resource dictionary naming every image of the document,
    so without this each letter would carry the QR codes of the whole batch.
    """
    resources = page["/Resources"]
    images = resources.get("/XObject")
    if not images:
        return
    contents = page["/Contents"]
    streams = contents if isinstance(contents, ArrayObject) else [contents]
    drawn = set()
    for stream in streams:
        drawn.update(name.decode("latin-1") for name in _DO_OPERATOR.findall(stream.get_data()))
    own = DictionaryObject(resources)
    own[NameObject("/XObject")] = DictionaryObject(
        {name: ref for name, ref in images.items() if name[1:] in drawn}
    )
    page[NameObject("/Resources")] = own


def _compact_cid_fonts(batch: PdfReader) -> None:
    """Shrink each embedded CJK font to the glyphs the batch uses, in place, once per batch.

    WeasyPrint subsets with retained glyph ids, so a CFF subset of Noto CJK still holds ~63,000
    (mostly empty) glyph slots: ≈150 KiB per face. Its CFF fonts are CID-keyed, where a PDF maps
    a CID to a glyph through the font's charset, so dropping the empty slots and keeping each
    glyph's CID (fontTools keeps the ``cidNNNNN`` names) leaves every page valid. The result is
    embedded as bare CFF (``/CIDFontType0C``), the long-standing form Acrobat Distiller uses for
    CJK subsets (checked here with poppler's splash and cairo renderers).
    """
    files: dict[int, tuple[StreamObject, list[DictionaryObject]]] = {}
    seen: set[int] = set()
    for page in batch.pages:
        fonts = page["/Resources"].get("/Font")
        if not fonts:
            continue
        for ref in fonts.values():
            if ref.idnum in seen:
                continue
            seen.add(ref.idnum)
            font = ref.get_object()
            if font.get("/Subtype") != "/Type0":
                continue
            descendant = font["/DescendantFonts"][0].get_object()
            if descendant.get("/Subtype") != "/CIDFontType0":
                continue
            file_ref = descendant["/FontDescriptor"].raw_get("/FontFile3")
            stream = file_ref.get_object()
            if stream.get("/Subtype") != "/OpenType":
                continue
            files.setdefault(file_ref.idnum, (stream, []))[1].append(descendant)
    for stream, descendants in files.values():
        cids: set[int] = set()
        for descendant in descendants:
            cids.update(_cids_with_widths(descendant.get("/W", ArrayObject())))
        try:
            cff = _compact_cff(stream.get_data(), cids)
        except Exception:
            logger.warning("Could not compact an embedded font; keeping it as is.", exc_info=True)
            continue
        if cff is None:
            continue
        stream.set_data(cff)
        stream[NameObject("/Subtype")] = NameObject("/CIDFontType0C")
        for descendant in descendants:
            # Meaningful only for TrueType-based CIDFontType2; a CFF font maps CIDs itself.
            descendant.pop("/CIDToGIDMap", None)


def _cids_with_widths(widths: ArrayObject) -> set[int]:
    """CIDs listed in a /W array (``c [w1 w2 …]`` and ``c_first c_last w`` forms)."""
    cids: set[int] = set()
    i = 0
    while i < len(widths):
        first = int(widths[i])
        following = widths[i + 1]
        if isinstance(following, ArrayObject):
            cids.update(range(first, first + len(following)))
            i += 2
        else:
            cids.update(range(first, int(following) + 1))
            i += 3
    return cids


def _compact_cff(opentype: bytes, cids: set[int]) -> bytes | None:
    """Bare CID-keyed CFF holding only ``cids`` (and .notdef), or None if not CID-keyed."""
    font = TTFont(io.BytesIO(opentype), lazy=True)
    if "CFF " not in font or not hasattr(font["CFF "].cff.topDictIndex[0], "ROS"):
        return None
    options = subset.Options(
        retain_gids=False,
        notdef_outline=True,
        ignore_missing_glyphs=True,
        hinting=False,
        desubroutinize=False,  # HarfBuzz already did
        layout_features=[],
        name_IDs=[],
        glyph_names=True,
    )
    # Only the CFF table is kept; skip work on the others.
    for tag in ("GSUB", "GPOS", "VORG", "vhea", "vmtx", "cmap", "post", "name", "OS/2"):
        if tag in font:
            del font[tag]
    subsetter = subset.Subsetter(options)
    subsetter.populate(glyphs=[".notdef", *(f"cid{cid:05d}" for cid in sorted(cids) if cid)])
    subsetter.subset(font)
    output = io.BytesIO()
    font["CFF "].cff.compile(output, font)
    return output.getvalue()
