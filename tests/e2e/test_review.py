"""Browser: county passes, department returns, enterprise corrects, department recommends,
approver approves and starts a notice, the public page shows it."""

import pytest
from playwright.sync_api import expect

from applications.models import DuplicateFlag
from tests.applications.files import pdf_bytes
from tests.helpers import login, logout

pytestmark = pytest.mark.browser


def _act(page, action, comment="同意", amount=None, extra=None):
    block = page.locator(f"[data-action={action}]")
    block.locator("summary").click()
    comment_box = block.locator("textarea[name=comment]")
    try:  # a click that lands while the page is still settling can leave it closed
        expect(comment_box).to_be_visible(timeout=3000)
    except AssertionError:
        block.locator("summary").click()
        expect(comment_box).to_be_visible()
    if amount is not None:
        block.locator("input[name=amount]").fill(amount)
    for name, value in (extra or {}).items():
        block.locator(f"[name={name}]").fill(value)
    block.locator("textarea[name=comment]").fill(comment)
    block.locator("button[type=submit], button:not([type])").last.click()


def test_review_journey(page, demo, application_factory, tmp_path):
    application = application_factory(submit=True)
    DuplicateFlag.objects.all().delete()
    ref = application.reference

    login(page, "county_qindu")
    page.click("[data-nav='reviews:queue']")
    page.click(f"a:has-text('{ref}')")
    assert "县区初审" in page.inner_text("[data-testid=status]")
    _act(page, "pass", "材料齐全，同意上报")
    page.wait_for_url("**/reviews/")
    logout(page)

    login(page, "dept_miit")
    page.goto(f"/reviews/cases/{ref}/")
    _act(
        page,
        "return",
        "认定文件不清晰",
        extra={"correction_CERTIFICATE": "请上传清晰的认定文件扫描件"},
    )
    page.wait_for_url("**/reviews/")
    logout(page)

    login(page, "qindu_corp")
    page.goto(f"/applications/{ref}/")
    assert "请上传清晰的认定文件扫描件" in page.inner_text("[data-testid=corrections]")
    page.click("a:has-text('补正材料')")
    clear = tmp_path / "clear.pdf"
    clear.write_bytes(pdf_bytes(2))
    page.set_input_files("#file_CERTIFICATE", str(clear))
    page.click("button[value=submit]")
    page.wait_for_url(f"**/applications/{ref}/")
    assert page.inner_text("[data-testid=status]") == "市级复审"
    logout(page)

    login(page, "dept_miit")
    page.goto(f"/reviews/cases/{ref}/")
    assert page.locator("text=补正前版本").count() == 1
    _act(page, "recommend", "建议按上限支持", amount="180000")
    page.wait_for_url("**/reviews/")
    logout(page)

    login(page, "approver")
    page.goto(f"/reviews/cases/{ref}/")
    _act(page, "approve", "同意", amount="180000")
    page.wait_for_url("**/reviews/")
    page.click("[data-nav='reviews:notice_list']")
    assert ref in page.inner_text("[data-testid=pending]")
    page.click("button:has-text('发布公示')")
    page.wait_for_url(lambda url: "/reviews/" not in url and "/notices/" in url)
    entries = page.inner_text("[data-testid=notice-entries]")
    assert "咸阳秦都精密制造有限公司" in entries and "¥180,000.00" in entries
    logout(page)

    page.goto("/notices/")
    page.click("main ul li a")
    assert "咸阳秦都精密制造有限公司" in page.inner_text("[data-testid=notice-entries]")
