"""The application form with the keyboard alone (issue 14, item 10): an enterprise fills in the
facts, chooses its file, saves, ticks the pledge and submits with Tab, Shift+Tab, arrow keys,
Space and Enter only, and every control it lands on shows where the focus is."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from applications.models import Application, Status
from tests.applications.files import pdf_bytes
from tests.helpers import login

pytestmark = pytest.mark.browser

MAX_TABS = 80
# The focused element, and whether a sighted keyboard user can see that it has the focus:
# an outline or a focus ring (box-shadow), as the browser's :focus-visible applies them.
FOCUS = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const ring = style.boxShadow && style.boxShadow !== 'none';
  return {tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute('name') || '',
          type: el.getAttribute('type') || '', visible: el.matches(':focus-visible'),
          focus: el.matches(':focus'), page: document.hasFocus(), shadow: style.boxShadow,
          outline: style.outlineStyle,
          shown: outline || Boolean(ring)};
}"""


def focused(page) -> dict:
    return page.evaluate(FOCUS)


def tab_to(page, selector: str, *, back: bool = False) -> dict:
    """Press Tab (or Shift+Tab) until `selector` has the focus; each stop must show it."""
    key = "Shift+Tab" if back else "Tab"
    for _ in range(MAX_TABS):
        page.keyboard.press(key)
        where = focused(page)
        for _wait in range(15):  # Bootstrap fades the focus ring in (0.15 s); allow 1.5 s
            if where["tag"] == "body" or where["shown"] or not where["focus"]:
                break
            page.wait_for_timeout(100)
            where = focused(page)
        # A stop inside a native control's own parts (a date field's calendar button) leaves
        # the field active without matching :focus; the browser draws that ring itself.
        if where["tag"] != "body" and where["focus"]:
            assert where["shown"], f"focus not visible on {where}"
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return where
    raise AssertionError(f"{selector} is not reachable with {key} within {MAX_TABS} presses")


def type_date(page, selector: str, year: str, month: str, day: str) -> None:
    """Type a date into Chromium's date field, segment by segment. The segments come in the
    browser process's locale order (month/day/year under LANG=C), not the page's: try the
    usual orders; to retry, leave the field with Shift+Tab and come back to its first
    segment with Tab (typing into a segment replaces it)."""
    digits = {"year": year, "month": month, "day": day}
    for order in (("month", "day", "year"), ("year", "month", "day"), ("day", "month", "year")):
        for part in order:
            page.keyboard.type(digits[part])
            if part == "year":
                page.keyboard.press("ArrowRight")  # a year may take up to six digits
        if page.locator(selector).input_value() == f"{year}-{month}-{day}":
            return
        while page.evaluate("s => document.activeElement.matches(s)", selector):
            page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")
    raise AssertionError(f"could not type {year}-{month}-{day} into {selector}")


def intercept_file_choosers(page) -> list:
    """Collect the file choosers the page opens. Subscribe well before the key press:
    Playwright enables the interception fire-and-forget, so a chooser opened at once by
    the next command can escape it, and headless Chromium then refuses every later one."""
    opened: list = []
    page.on("filechooser", lambda chooser: opened.append(chooser))
    return opened


def choose_file_with_keyboard(page, selector: str, path, opened: list) -> None:
    """Space opens a focused file input's chooser (Enter too): one of them must, within 5 s."""
    for key in ("Space", "Enter"):
        assert page.evaluate("s => document.activeElement.matches(s)", selector)
        page.keyboard.press(key)
        for _wait in range(50):
            if opened:
                opened[0].set_files(str(path))
                return
            page.wait_for_timeout(100)
    raise AssertionError(f"{selector} does not open its file chooser from the keyboard")


def test_enterprise_fills_saves_and_submits_with_the_keyboard_only(
    page, demo, application_factory, tmp_path
):
    draft = application_factory(facts={})
    draft.materials.all().delete()
    pdf = tmp_path / "认定文件.pdf"
    pdf.write_bytes(pdf_bytes())
    page.bring_to_front()  # the window has the focus, as a user's would
    choosers = intercept_file_choosers(page)
    login(page, "qindu_corp")
    page.goto(f"/applications/{draft.reference}/edit/")
    page.locator("h1").wait_for()

    # 1. The facts: a select (arrow keys), a date and a text field (typed).
    tab_to(page, "#id_fact_level")
    page.keyboard.press("Home")
    while page.locator("#id_fact_level").input_value() != "national":
        page.keyboard.press("ArrowDown")
    tab_to(page, "#id_fact_recognised_on")
    type_date(page, "#id_fact_recognised_on", "2025", "08", "01")
    tab_to(page, "#id_fact_certificate_no")
    page.keyboard.type("工信部企业函〔2025〕100号")
    expect(page.locator("#live-evaluation")).to_contain_text("¥200,000.00")

    # 2. The file input: reached with Tab, opened with Space like a button.
    tab_to(page, "#file_CERTIFICATE")
    choose_file_with_keyboard(page, "#file_CERTIFICATE", pdf, choosers)

    # 3. Save the draft with Enter on its button.
    tab_to(page, "button[value=save]")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=草稿已保存")
    assert page.locator("[data-material=CERTIFICATE] [data-testid=material-file]").count() == 1
    saved = Application.objects.get(pk=draft.pk)
    assert saved.facts["level"] == "national"
    assert saved.facts["recognised_on"] == "2025-08-01"

    # 4. The pledge, reached backwards from the submit button: Space ticks, then the name.
    page.locator("body").focus()
    tab_to(page, "button[value=submit]")
    tab_to(page, "[name=pledge_name]", back=True)
    page.keyboard.type("张三")
    tab_to(page, "[name=pledge_accepted]", back=True)
    page.keyboard.press("Space")
    assert page.locator("[name=pledge_accepted]").is_checked()

    # 5. Submit with Enter.
    tab_to(page, "button[value=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/applications/{draft.reference}/")
    submitted = Application.objects.get(pk=draft.pk)
    assert submitted.status == Status.COUNTY_REVIEW
    assert submitted.pledge_name == "张三"


@pytest.mark.django_db(transaction=True)
def test_the_focus_shows_on_the_dark_red_navigation_bar(page, demo):
    """Bootstrap's 25 % blue ring was invisible on #8b1a1a: the bar's links get a white one."""
    page.goto("/")
    link = page.locator(".portal-navbar a.nav-link").first
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if link.evaluate("el => el === document.activeElement"):
            break
    else:
        raise AssertionError("the first navigation link never got the focus")
    style = link.evaluate(
        "el => { const s = getComputedStyle(el);"
        " return {color: s.outlineColor, width: parseFloat(s.outlineWidth), kind: s.outlineStyle}; }"
    )
    assert style == {"color": "rgb(255, 255, 255)", "width": 3, "kind": "solid"}, style


@pytest.mark.django_db(transaction=True)
def test_an_irreversible_step_asks_only_once_the_form_is_complete(page, demo):
    """吊销 with no reason: the browser points at the reason; no "cannot be undone" question."""
    from integrations.services import service_account_create

    service_account_create(actor=demo["security_admin"], name="陕企通", scopes=["read_policy"])
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    login(page, "security_admin")
    page.goto("/integrations/accounts/")
    page.click("button:has-text('吊销')")
    assert dialogs == []
    assert page.locator("input[name=reason]:invalid").count() == 1
    page.fill("input[name=reason]", "平台停用")
    page.click("button:has-text('吊销')")
    assert dialogs and "不能恢复" in dialogs[0]  # dismissed: nothing revoked
