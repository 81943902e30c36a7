"""Browser: register, calculator, open an application, upload PDF+PNG, draft, resume, submit."""

import pytest
from playwright.sync_api import expect

from tests.applications.files import image_bytes, pdf_bytes
from tests.helpers import fill_registration

pytestmark = pytest.mark.browser


def test_enterprise_applies_online(page, demo, open_round_db, tmp_path):
    pdf = tmp_path / "认定文件.pdf"
    pdf.write_bytes(pdf_bytes())
    png = tmp_path / "产品清单.png"
    png.write_bytes(image_bytes("PNG"))

    fill_registration(
        page,
        name="咸阳绿色设计有限公司",
        uscc="91620105L015101280",
        place="渭城区",
        username="zhaoliu",
        password="Green-design-2025",
    )
    page.click("button:has-text('注册')")
    page.wait_for_url("**/accounts/home/")

    page.click("[data-nav='applications:calculator']")
    clause = page.locator("[data-clause='M14-GREEN-DESIGN-PRODUCT']")
    clause.locator("summary").click()
    clause.locator("select[name=fact_level]").select_option("national")
    clause.locator("input[name=fact_product_count]").fill("3")
    clause.locator("input[name=fact_product_names]").fill("节能电机、变频器、水泵")
    clause.locator("input[name=fact_recognised_on]").fill("2025-09-15")
    clause.locator("button:has-text('测算')").click()
    result = page.locator("[data-clause='M14-GREEN-DESIGN-PRODUCT'] [data-testid=evaluation]")
    assert "¥150,000.00" in result.inner_text()
    page.locator("[data-clause='M14-GREEN-DESIGN-PRODUCT'] a:has-text('去申报')").click()
    page.click("button:has-text('开始填写申报表')")
    page.wait_for_url("**/edit/")

    page.select_option("#id_fact_level", "national")
    page.fill("#id_fact_product_count", "3")
    page.fill("#id_fact_product_names", "节能电机、变频器、水泵")
    page.fill("#id_fact_recognised_on", "2025-09-15")
    # A locator expectation, not wait_for_function: the CSP forbids evaluating strings.
    expect(page.locator("#live-evaluation")).to_contain_text("¥150,000.00")
    page.set_input_files("#file_CERTIFICATE", str(pdf))
    page.set_input_files("#file_PRODUCT-LIST", str(png))
    page.click("button[value=save]")
    page.wait_for_selector("text=草稿已保存")
    assert page.locator("[data-material=CERTIFICATE] [data-testid=material-file]").count() == 1
    assert page.locator("[data-material=PRODUCT-LIST] [data-testid=material-file]").count() == 1
    reference = page.url.rstrip("/").split("/")[-2]

    # Come back later from the dashboard and submit.
    page.goto("/accounts/home/")
    page.click("[data-nav='applications:dashboard']")
    row = page.locator(f"tr[data-reference='{reference}']")
    assert "草稿" in row.inner_text()
    row.locator("a:has-text('继续填写')").click()
    assert page.input_value("#id_fact_product_names") == "节能电机、变频器、水泵"
    page.click("button[value=submit]")
    assert page.locator("#id_pledge_accepted-error").count() == 1  # pledge not ticked yet
    page.check("#id_pledge_accepted")
    page.fill("#id_pledge_name", "申报联系人")
    page.click("button[value=submit]")
    page.wait_for_url(f"**/applications/{reference}/")
    assert page.inner_text("[data-testid=status]") == "县区初审"
    timeline = page.inner_text("[data-testid=timeline]")
    assert "提交申报" in timeline and "县区初审" in timeline
