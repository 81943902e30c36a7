"""{% evidence_preview evidence %}: PDF pages as images rendered on the server."""

from __future__ import annotations

from django import template

from ..pages import MAX_PREVIEW_PAGES, pdf_page_count
from ..selectors import evidence_is_openable

register = template.Library()


@register.inclusion_tag("includes/evidence_preview.html")
def evidence_preview(evidence, compact: bool = False, limit: int = MAX_PREVIEW_PAGES) -> dict:
    total = 0
    if evidence.content_type == "application/pdf" and evidence_is_openable(evidence):
        try:
            total = pdf_page_count(evidence)
        except Exception:  # unreadable for pdfium: offer the download instead
            return {"evidence": evidence, "pages": [], "compact": compact}
    shown = min(total, limit)
    return {
        "evidence": evidence,
        "pages": range(1, shown + 1),
        "shown": shown,
        "total": total,
        "more_pages": total > shown,
        "compact": compact,
    }
