"""Shared checks for the phone and accessibility browser tests."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
GUIDE_IMG = ROOT / "docs" / "guide" / "img"
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


def shoot(page, name: str) -> None:
    """A screenshot for the user guide (docs/guide/img), made by the tests so it stays current."""
    from PIL import Image

    GUIDE_IMG.mkdir(parents=True, exist_ok=True)
    target = GUIDE_IMG / f"{name}.png"
    page.screenshot(path=str(target), full_page=False)
    # 256 colours keep a UI screenshot legible at a quarter of the size (committed files).
    with Image.open(target) as image:
        image.convert("RGB").quantize(colors=128).save(target, optimize=True)
