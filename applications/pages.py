"""PDF evidence as page images, rendered on the server (pypdfium2), so a preview works in any
browser, a phone's included (mobile Chromium shows an empty box for a PDF in an iframe)."""

from __future__ import annotations

import io

from django.core.cache import cache

MAX_PREVIEW_PAGES = 20
PREVIEW_WIDTH_PX = 1000
# A page's image is at most this tall: a page 150 times longer than wide (MediaBox 333×50000)
# rendered 1000×150,000 pixels, 1.3 GB and 8 s for one request.
PREVIEW_MAX_HEIGHT_PX = 3000


def pdf_page_count(evidence) -> int:
    import pypdfium2

    key = f"pdf-pages:{evidence.pk}:{evidence.sha256}"
    count = cache.get(key)
    if count is None:
        with evidence.file.open("rb") as handle:
            document = pypdfium2.PdfDocument(handle.read())
        count = len(document)
        document.close()
        cache.set(key, count, 3600)
    return count


def pdf_page_png(evidence, page_number: int) -> bytes | None:
    """Page `page_number` (1-based) as a PNG about PREVIEW_WIDTH_PX wide, or None."""
    import pypdfium2

    with evidence.file.open("rb") as handle:
        document = pypdfium2.PdfDocument(handle.read())
    try:
        if not 1 <= page_number <= min(len(document), MAX_PREVIEW_PAGES):
            return None
        page = document[page_number - 1]
        scale = min(
            PREVIEW_WIDTH_PX / max(page.get_width(), 1),
            PREVIEW_MAX_HEIGHT_PX / max(page.get_height(), 1),
            3,
        )
        image = page.render(scale=scale).to_pil()
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        return out.getvalue()
    finally:
        document.close()
