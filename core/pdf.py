"""WeasyPrint style sheets live in static files (no inline <style> in any template)."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=8)
def pdf_stylesheet(path: str):
    """A parsed style sheet from static/ (e.g. `portal/pdf/letter.css`), parsed once."""
    from django.contrib.staticfiles import finders
    from weasyprint import CSS

    filename = finders.find(path)
    if not filename:
        raise FileNotFoundError(path)
    return CSS(filename=filename)
