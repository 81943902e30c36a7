"""Render approval letters (奖励资金核定通知书) to PDF, one at a time or in batches.

Pure input → bytes: no ORM. A selector builds ``LetterContent``; a Celery task stores the bytes.

Every WeasyPrint call pays a fixed cost, mostly subsetting the CJK font faces in ``write_pdf``
(≈0.1 s per call with HarfBuzz subsetting here; seconds where WeasyPrint falls back to fontTools).
The production path therefore lays out a whole batch as one document, writes it once (one font
subset for the batch), shrinks the embedded fonts once, and splits the pages per letter with
pikepdf (qpdf).
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pikepdf
import segno
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from fontTools import subset
from fontTools.ttLib import TTFont
from PIL import Image
from weasyprint import CSS, HTML, Document
from weasyprint.document import Page
from weasyprint.html import UA as USER_AGENT_CSS
from weasyprint.text.fonts import FontConfiguration

from core.bulk import gc_deferred
from core.money import amount_in_capitals, quantize

logger = logging.getLogger(__name__)
# fontTools' subsetter logs every glyph name at INFO level; that is noise for each batch.
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)
# WeasyPrint logs every page it lays out at INFO level: per letter, that costs time and says nothing.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

TEMPLATE = "reviews/letter.html"
STYLESHEET = "portal/letter.css"
# One font configuration per process: fonts found and loaded once, not once per batch.
FONT_CONFIG = FontConfiguration()
MAX_FACTS = 8
# Layouts tried in turn (classes of the letter's <section>, see static/portal/letter.css).
DENSITIES = ("", "dense", "flow")


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
    copy_to: str = "市财政局"  # 版记: 抄送机关
    printed_by: str = "咸阳市工业和信息化局办公室"  # 版记: 印发机关


class LetterRenderError(RuntimeError):
    """The batch PDF could not be split back into one PDF per letter."""


def chinese_date(d: date) -> str:
    """2026年1月15日 (成文日期 in Arabic numerals, no leading zeros, per GB/T 9704-2012)."""
    return f"{d.year}年{d.month}月{d.day}日"


def qr_png_data_uri(url: str) -> str:
    """The QR code for ``url`` as an 8-bit greyscale PNG data URI, one pixel per module.

    A raster image costs WeasyPrint almost nothing to draw, whereas parsing segno's SVG path
    (≈1,000 numbers per code) took several ms per letter; CSS ``image-rendering: pixelated`` keeps the
    modules sharp in the PDF. The 2-module border plus the CSS margin makes the quiet zone.
    Greyscale, not 1-bit: WeasyPrint converts a 1-bit image to RGB and encodes it again (0.3 ms
    a code); a greyscale PNG goes into the PDF as it is, as the same black and white pixels.
    """
    # A fixed mask (any of the eight is valid) skips segno's mask scoring: 2 ms a code instead of 9.
    matrix = segno.make(url, error="m", mask=0, boost_error=False).matrix
    size = len(matrix) + 2 * _QR_BORDER
    quiet_rows = b"\xff" * size * _QR_BORDER
    quiet = b"\xff" * _QR_BORDER
    pixels = b"".join(
        [
            quiet_rows,
            *(quiet + bytes(0 if dark else 255 for dark in row) + quiet for row in matrix),
            quiet_rows,
        ]
    )
    buffer = io.BytesIO()
    Image.frombytes("L", (size, size), pixels).save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


_QR_BORDER = 2  # modules of quiet zone in the image


def amount_text(amount: Decimal) -> str:
    """人民币180,000.00元（大写：壹拾捌万元整）: the currency named once, figures then capitals."""
    amount = quantize(amount)
    return f"人民币{amount:,.2f}元（大写：{amount_in_capitals(amount).removeprefix('人民币')}）"


def seal_data_uri(path: str | Path) -> str:
    """The bureau's seal image (PNG or SVG file) as a data URI, read once per batch."""
    path = Path(path)
    kind = "image/svg+xml" if path.suffix.lower() == ".svg" else "image/png"
    return f"data:{kind};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _context(letter: LetterContent, index: int, *, seal_src: str, density: str) -> dict[str, Any]:
    if len(letter.facts) > MAX_FACTS:
        raise ValueError(f"A letter shows at most {MAX_FACTS} fact rows, got {len(letter.facts)}.")
    return {
        "density": density,
        "letter": letter,
        "amount_text": amount_text(letter.amount),
        "issued_on": chinese_date(letter.issued_on),
        "qr_src": qr_png_data_uri(letter.verify_url),
        "seal_src": seal_src,
    }


def render_letter_html(
    letters: Sequence[LetterContent], *, seal_image: str | Path | None = None, density: str = ""
) -> str:
    """One HTML document, one <section> per letter, each starting on a new page.

    Without ``seal_image`` the seal area is a marked placeholder (a dashed red circle).
    """
    if not letters:
        raise ValueError("No letters to render.")
    seal_src = seal_data_uri(seal_image) if seal_image else ""
    return render_to_string(
        TEMPLATE,
        {
            "letters": [
                _context(letter, i, seal_src=seal_src, density=density)
                for i, letter in enumerate(letters)
            ]
        },
    )


@cache
def _stylesheet() -> CSS:
    """The letter stylesheet, parsed once per process and shared by every batch."""
    path = finders.find(STYLESHEET)
    if not path:
        raise LetterRenderError(f"Stylesheet {STYLESHEET} not found in the static files.")
    return CSS(filename=path, font_config=FONT_CONFIG)


# Rules of WeasyPrint's user-agent stylesheet that a letter never uses: the pseudo-elements of
# list items, footnotes and notes (they match every element, so each element got six more
# styles to compute) and the alignment of the sixteen page-margin boxes (looked up on every
# page; the letter puts nothing in the page margins). Without them a letter lays out 15 %
# faster and looks the same. Should a WeasyPrint upgrade reword its stylesheet, nothing is
# removed and the letters are only slower.
_UNUSED_UA_RULES = re.compile(
    r"^(?:::(?:marker|footnote-call|footnote-marker|note-call|note-marker|note-callback)\b.*"
    r"|  @(?:top|bottom|left|right)-[a-z-]+ +\{[^}]*\})\n",
    re.MULTILINE,
)


@cache
def _user_agent_stylesheet() -> CSS:
    return CSS(string=_UNUSED_UA_RULES.sub("", USER_AGENT_CSS), counter_style={})


class _LetterHTML(HTML):
    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        return [_user_agent_stylesheet()]


def _render(html: str) -> Document:
    return _LetterHTML(string=html).render(stylesheets=[_stylesheet()], font_config=FONT_CONFIG)


def render_letter_pdf(letter: LetterContent, *, seal_image: str | Path | None = None) -> bytes:
    """The naive path: one WeasyPrint render, write and font subset for this one letter.

    Kept as the benchmark baseline. Its PDF is WeasyPrint's own output (fonts not compacted);
    production code should call ``render_letter_pdfs``, even for a single letter.
    """
    return _render(render_letter_html([letter], seal_image=seal_image)).write_pdf()


def render_letter_pdfs(
    letters: Sequence[LetterContent], *, seal_image: str | Path | None = None
) -> list[bytes]:
    """The production path: one WeasyPrint render and write for the batch, split per letter.

    Each letter is one type area high with its 版记 at the foot. A letter whose content would
    run into the 版记 (a very long name, eight long facts) is laid out once more with tighter
    spacing, in a second small document; one that still does not fit flows onto a second page.
    The pages kept from every layout are written together, as one PDF (one font subset).
    """
    if not letters:
        return []
    # WeasyPrint allocates millions of small objects per batch; the cyclic collector kept
    # walking them (and every older object of the worker): a fifth of the CPU per letter.
    with gc_deferred():
        return _render_letter_pdfs(letters, seal_image=seal_image)


def _render_letter_pdfs(
    letters: Sequence[LetterContent], *, seal_image: str | Path | None
) -> list[bytes]:
    pages: list[list[Page]] = [[] for _letter in letters]
    documents = []
    todo = list(range(len(letters)))
    for density in DENSITIES:
        batch = [letters[i] for i in todo]
        document = _render(render_letter_html(batch, seal_image=seal_image, density=density))
        documents.append(document)
        starts = _first_pages(document, len(batch))
        ends = [*starts[1:], len(document.pages)]
        fits = _fitting(document, starts) if density != DENSITIES[-1] else [True] * len(batch)
        for i, start, end, fit in zip(todo, starts, ends, fits, strict=True):
            if fit:
                pages[i] = document.pages[start:end]
        todo = [i for i, fit in zip(todo, fits, strict=True) if not fit]
        if not todo:
            break
        logger.info(
            "%d of %d letters laid out again, denser than %r.", len(todo), len(letters), density
        )
    return _split(documents[0], letters, pages)


def _fitting(document: Document, starts: list[int]) -> list[bool]:
    """Per letter: on one page, its QR block clear of the 版记 at the foot of the page."""
    ends = [*starts[1:], len(document.pages)]
    return [
        end - start == 1 and _clear_of_record(document.pages[start]._page_box)
        for start, end in zip(starts, ends, strict=True)
    ]


def _clear_of_record(page_box: Any) -> bool:
    boxes: dict[str, Any] = {}
    stack = [page_box]
    while stack and len(boxes) < 2:
        box = stack.pop()
        element_class = box.element.get("class") if box.element is not None else None
        if element_class in ("verify", "record") and box.element_tag == "div":
            boxes.setdefault(element_class, box)
        elif element_class is None or box.element_tag in ("html", "body", "section"):
            stack.extend(getattr(box, "children", ()))
    if len(boxes) < 2:
        return False
    verify_bottom = boxes["verify"].position_y + boxes["verify"].margin_height()
    return verify_bottom <= boxes["record"].position_y


def _split(
    first: Document, letters: Sequence[LetterContent], pages: list[list[Page]]
) -> list[bytes]:
    """Write the letters' pages once (one font subset) and cut out one PDF per letter."""
    document = first.copy([page for letter_pages in pages for page in letter_pages])
    with pikepdf.Pdf.open(io.BytesIO(document.write_pdf())) as batch:
        if len(batch.pages) != len(document.pages):
            raise LetterRenderError("The batch PDF does not have the pages WeasyPrint laid out.")
        _compact_cid_fonts(batch)
        pdfs = []
        start = 0
        for letter, letter_pages in zip(letters, pages, strict=True):
            images = [_image_ids(page._page_box) for page in letter_pages]
            title = f"奖励资金核定通知书 {letter.number}"
            pdfs.append(_extract(batch, start, images, title=title))
            start += len(letter_pages)
    return pdfs


def _image_ids(page_box: Any) -> set[str]:
    """WeasyPrint's ids of the images drawn on a page (its XObjects are named ``i<id>…``)."""
    ids = set()
    stack = [page_box]
    while stack:
        box = stack.pop()
        replacement = getattr(box, "replacement", None)
        if replacement is not None:
            ids.add(replacement.id)
        stack.extend(getattr(box, "children", ()))
    return ids


def _first_pages(document: Document, count: int) -> list[int]:
    """Index of the page each letter starts on: where the page's <section> changes.

    The sections carry no ``id``: an anchor makes every element's style unique (WeasyPrint
    shares computed styles only between elements with the same declarations), which cost a
    third of the layout time.
    """
    starts = []
    previous = None
    for page_number, page in enumerate(document.pages):
        section = _section_of(page._page_box)
        if section is None:
            raise LetterRenderError(f"Page {page_number} of the batch holds no letter.")
        if section is not previous:
            starts.append(page_number)
            previous = section
    if len(starts) != count:
        raise LetterRenderError(f"{count} letters laid out as {len(starts)}: {starts}.")
    return starts


def _section_of(page_box: Any) -> Any:
    """The <section> element laid out on a page (html > body > section)."""
    box = page_box
    for tag in ("html", "body", "section"):
        box = next(
            (child for child in getattr(box, "children", ()) if child.element_tag == tag), None
        )
        if box is None:
            return None
    return box.element


def _extract(batch: pikepdf.Pdf, start: int, images: list[set[str]], *, title: str) -> bytes:
    """The batch's pages from ``start`` on, one per item of ``images`` (the ids of the images
    each draws), as one PDF written by pikepdf (qpdf copies each page with what it uses)."""
    letter = pikepdf.Pdf.new()
    for offset, image_ids in enumerate(images):
        page = batch.pages[start + offset]
        # Before the copy: qpdf copies every object the page refers to.
        page.obj.Resources = _own_resources(page.obj.Resources, image_ids)
        letter.pages.append(page)
    if "/Lang" in batch.Root:
        letter.Root.Lang = batch.Root.Lang
    info = letter.copy_foreign(batch.docinfo)
    info.Title = pikepdf.String(title)
    letter.docinfo = info
    output = io.BytesIO()
    # The streams come compressed from the batch and pass through as they are. Packing the
    # other objects (fonts' width tables, page dictionaries) into one compressed object stream
    # makes the file 5 % smaller, and qpdf writes it in fewer pieces, so no slower.
    letter.save(
        output,
        min_version=batch.pdf_version,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
    )
    return output.getvalue()


def _own_resources(resources: pikepdf.Dictionary, image_ids: set[str]) -> pikepdf.Dictionary:
    """A copy of a page's resources listing only the images it draws.

    WeasyPrint gives every page one resource dictionary naming every image of the document,
    so without this each letter would carry the QR codes of the whole batch. It names an image
    ``/i<id><interpolate>``; the ids come from the page's laid-out boxes (reading the page's
    content stream for its ``Do`` operators would mean inflating it: 1.5 ms a page).
    """
    own = pikepdf.Dictionary(dict(resources.items()))
    images = resources.get("/XObject")
    if not images:
        return own
    prefixes = tuple(f"/i{image_id}" for image_id in image_ids)
    own.XObject = pikepdf.Dictionary(
        {name: ref for name, ref in images.items() if prefixes and name.startswith(prefixes)}
    )
    return own


def _compact_cid_fonts(batch: pikepdf.Pdf) -> None:
    """Shrink each embedded CJK font to the glyphs the batch uses, in place, once per batch.

    WeasyPrint subsets with retained glyph ids, so a CFF subset of Noto CJK still holds ~63,000
    (mostly empty) glyph slots: ≈150 KiB per face. Its CFF fonts are CID-keyed, where a PDF maps
    a CID to a glyph through the font's charset, so dropping the empty slots and keeping each
    glyph's CID (fontTools keeps the ``cidNNNNN`` names) leaves every page valid. The result is
    embedded as bare CFF (``/CIDFontType0C``), the long-standing form Acrobat Distiller uses for
    CJK subsets (checked here with poppler's splash and cairo renderers).
    """
    files: dict[tuple[int, int], tuple[pikepdf.Stream, list[pikepdf.Dictionary]]] = {}
    seen: set[tuple[int, int]] = set()
    for page in batch.pages:
        fonts = page.obj.Resources.get("/Font")
        if not fonts:
            continue
        for font in fonts.values():
            if font.objgen in seen:
                continue
            seen.add(font.objgen)
            if font.get("/Subtype") != pikepdf.Name.Type0:
                continue
            descendant = font.DescendantFonts[0]
            if descendant.get("/Subtype") != pikepdf.Name.CIDFontType0:
                continue
            stream = descendant.FontDescriptor.get("/FontFile3")
            if stream is None or stream.get("/Subtype") != pikepdf.Name.OpenType:
                continue
            files.setdefault(stream.objgen, (stream, []))[1].append(descendant)
    for stream, descendants in files.values():
        cids: set[int] = set()
        for descendant in descendants:
            cids.update(_cids_with_widths(descendant.get("/W", pikepdf.Array())))
        try:
            cff = _compact_cff_cached(stream.read_bytes(), cids)
        except Exception:
            logger.warning("Could not compact an embedded font; keeping it as is.", exc_info=True)
            continue
        if cff is None:
            continue
        # Compressed here, once per batch, so that each letter's PDF copies the bytes as they are.
        stream.write(zlib.compress(cff), filter=pikepdf.Name.FlateDecode)
        stream.Subtype = pikepdf.Name.CIDFontType0C
        for descendant in descendants:
            # Meaningful only for TrueType-based CIDFontType2; a CFF font maps CIDs itself.
            if "/CIDToGIDMap" in descendant:
                del descendant.CIDToGIDMap


def _cids_with_widths(widths: pikepdf.Array) -> set[int]:
    """CIDs listed in a /W array (``c [w1 w2 …]`` and ``c_first c_last w`` forms)."""
    cids: set[int] = set()
    i = 0
    while i < len(widths):
        first = int(widths[i])
        following = widths[i + 1]
        if isinstance(following, pikepdf.Array):
            cids.update(range(first, first + len(following)))
            i += 2
        else:
            cids.update(range(first, int(following) + 1))
            i += 3
    return cids


_COMPACTED: dict[tuple[bytes, frozenset[int]], bytes | None] = {}


def _compact_cff_cached(opentype: bytes, cids: set[int]) -> bytes | None:
    """``_compact_cff``, remembered per process: the 版头 and title face holds the same glyphs
    in every batch, so its compaction (≈0.1 s) is done once, not once per chunk."""
    key = (hashlib.sha256(opentype).digest(), frozenset(cids))
    if key not in _COMPACTED:
        if len(_COMPACTED) >= 16:
            _COMPACTED.clear()
        _COMPACTED[key] = _compact_cff(opentype, cids)
    return _COMPACTED[key]


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
