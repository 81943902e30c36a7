"""Content-Security-Policy on every page, no inline script or style anywhere, and evidence
shown inline only for PDF and images under a `sandbox` policy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from applications.models import Status
from tests.applications import files

ROOT = Path(__file__).resolve().parents[2]
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style>"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "inline event handler"),
]


def _inline(html: str) -> list[str]:
    return [label for pattern, label in INLINE if pattern.search(html)]


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if " " in part.strip())


def test_no_template_has_inline_script_or_style():
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in (ROOT / "templates").rglob("*.html")
        if (found := _inline(path.read_text()))
    }
    assert offenders == {}


def test_header_on_pages_without_unsafe_inline(client, demo):
    response = client.get("/accounts/login/")
    policy = _policy(response)
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'self'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert _inline(response.content.decode()) == []


@pytest.mark.parametrize(
    ("username", "url"),
    [
        (None, "/"),
        (None, "/measures/"),
        ("qindu_corp", "/applications/"),
        ("finance", "/payments/dashboard/"),
        ("policy_admin", "/measures/budgets/"),
        ("auditor", "/reviews/audit/"),
        ("policy_admin", "/admin/"),
        ("finance", "/api/docs/"),
    ],
)
def test_rendered_pages_have_no_inline_code(client, demo, open_round_db, username, url):
    if username:
        client.force_login(demo[username])
    response = client.get(url, follow=True)
    assert response.status_code == 200, url
    assert "Content-Security-Policy" in response
    assert _inline(response.content.decode()) == [], url


def test_case_page_with_previews(client, demo, case_factory):
    case = case_factory(Status.COUNTY_REVIEW)
    client.force_login(demo["county_qindu"])
    response = client.get(f"/reviews/cases/{case.reference}/")
    assert response.status_code == 200
    assert _inline(response.content.decode()) == []


def _evidence(application_factory, demo, name, content):
    from applications import services

    draft = application_factory()
    return services.application_attach_upload(
        actor=demo["qindu_corp"],
        application_id=draft.pk,
        material_code="CERTIFICATE",
        upload=files.upload(name, content),
    ).evidence


@pytest.mark.parametrize(
    ("name", "content", "inline"),
    [
        ("c.pdf", files.pdf_bytes(), True),
        ("p.png", files.image_bytes("PNG"), True),
        ("p.jpg", files.image_bytes("JPEG"), True),
        ("i.ofd", files.ofd_bytes(), False),  # never inline, whatever is asked
    ],
)
def test_evidence_inline_only_pdf_and_images_in_a_sandbox(
    application_factory, demo, client, name, content, inline
):
    evidence = _evidence(application_factory, demo, name, content)
    client.force_login(demo["qindu_corp"])
    response = client.get(f"/applications/files/{evidence.pk}/?inline=1")
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline" if inline else "attachment")
    policy = response["Content-Security-Policy"]
    assert policy.split(";")[0].strip() == "sandbox"
    assert "default-src 'none'" in policy and "script" not in policy
    assert response["X-Content-Type-Options"] == "nosniff"
