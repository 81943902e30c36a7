"""Shared checks for the phone and accessibility browser tests."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# The committed guide images; the tests rewrite them only with GUIDE_SCREENSHOTS=update, and
# otherwise write to the ignored var/guide-img/, so a test run leaves `git status` clean.
GUIDE_IMG = ROOT / "docs" / "guide" / "img"
SCRATCH_IMG = ROOT / "var" / "guide-img"
PHONE = {"width": 390, "height": 844}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def overflow(page) -> tuple[int, int]:
    """(document scroll width, viewport width): the first must not exceed the second."""
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def assert_fits(page, primary: str | None) -> None:
    scroll, width = overflow(page)
    assert scroll <= width, f"{page.url}: horizontal overflow {scroll}px > {width}px"
    if primary:
        target = page.locator(primary).first
        target.wait_for(state="visible")
        box = target.bounding_box()
        assert box is not None, f"{page.url}: {primary} not rendered"
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (
            f"{page.url}: {primary} is off-screen horizontally ({box})"
        )


def axe_violations(page) -> list[dict]:
    """Serious and critical axe-core violations (WCAG 2.1 A/AA rules) on the current page."""
    if not AXE.exists():
        raise AssertionError("node_modules/axe-core is missing: run scripts/bootstrap.sh test")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"][:5]],
        }
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def guide_img_dir() -> Path:
    """docs/guide/img with GUIDE_SCREENSHOTS=update, else the ignored var/guide-img."""
    return GUIDE_IMG if os.environ.get("GUIDE_SCREENSHOTS") == "update" else SCRATCH_IMG


def shoot(page, name: str) -> Path:
    """A screenshot for the user guide, made by the tests so it stays current; asserts it was
    written (a PNG of the page, not empty) and returns its path."""
    from PIL import Image

    folder = guide_img_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.png"
    target.unlink(missing_ok=True)
    page.screenshot(path=str(target), full_page=False)
    # 128 colours keep a UI screenshot legible at a quarter of the size (committed files).
    with Image.open(target) as image:
        image.convert("RGB").quantize(colors=128).save(target, optimize=True)
    with Image.open(target) as image:
        assert image.format == "PNG" and image.size[0] > 0, f"screenshot {target} not written"
    return target
