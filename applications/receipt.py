"""申报回执: what was submitted, when, for which clause and amount (page and PDF)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from measures.rules.describe import fact_rows

from .models import Application
from .selectors import current_materials


def receipt_context(application: Application) -> dict:
    rule = application.rule_version.rule
    labels = {m.code: m.label for m in rule.materials}
    materials = current_materials(application)
    rows = []
    for m in rule.materials:
        current = [v for v in materials.get(m.code, []) if v.is_current]
        if m.code == "PLEDGE":
            rows.append((m.label, ["在线签署" + (f"：{application.pledge_name}")]))
        elif current:
            rows.append((labels[m.code], [v.evidence.original_name for v in current]))
    return {
        "application": application,
        "measure": application.clause.measure,
        "facts": fact_rows(rule, application.facts),
        "materials": rows,
        "printed_at": timezone.localtime(),
    }


def receipt_pdf(application: Application) -> bytes:
    """The same receipt as an A4 PDF (WeasyPrint, Noto CJK from the system fonts)."""
    from weasyprint import HTML

    from core.pdf import pdf_stylesheet

    html = render_to_string("applications/receipt_pdf.html", receipt_context(application))
    return HTML(string=html).write_pdf(stylesheets=[pdf_stylesheet("portal/pdf/receipt.css")])
