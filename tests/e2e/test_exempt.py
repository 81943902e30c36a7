"""Browser: 免申即享 — the policy administrator imports a list, the enterprise only confirms
and submits the pre-filled application, the county reviewer sees the mark and the list."""

import pytest

from tests.helpers import login, logout

pytestmark = pytest.mark.browser

QINDU = "91610400MA6T0XY00U"


def test_recognition_list_to_submitted_exempt_application(page, demo, open_round_db, tmp_path):
    listing = tmp_path / "专精特新名单.csv"
    listing.write_text(
        "统一社会信用代码,企业名称,认定类别,级别,认定日期,文号\n"
        f"{QINDU},咸阳秦都精密制造有限公司,专精特新中小企业,省级,2025-08-01,陕工信发〔2025〕12号\n"
        "91610400MA6T0XY035,咸阳未注册科技有限公司,专精特新中小企业,省级,2025-08-01,\n",
        encoding="utf-8-sig",
    )
    login(page, "policy_admin")
    page.click("[data-nav='integrations:recognition_lists']")
    page.select_option("#id_clause", "M02-SPECIALISED-SME")
    page.fill("#id_title", "2025年陕西省专精特新中小企业名单")
    page.fill("#id_document_no", "陕工信发〔2025〕12号")
    page.set_input_files("#id_file", str(listing))
    page.click("button:has-text('导入名单')")
    page.wait_for_selector("text=生成免申申报 1 件")
    assert "91610400MA6T0XY035" in page.inner_text("[data-testid=unmatched]")
    logout(page)

    login(page, "qindu_corp")
    page.click("[data-nav='applications:dashboard']")
    row = page.locator("tr[data-reference]").filter(has_text="专精特新")
    row.locator("a:has-text('继续填写')").click()
    page.wait_for_url("**/edit/")
    assert "免申即享" in page.inner_text("[data-testid=exempt-mark]")
    assert page.locator("[data-material=CERTIFICATE] [data-testid=proven-by-list]").count() == 1
    assert page.input_value("#id_fact_certificate_no") == "陕工信发〔2025〕12号"
    page.check("#id_pledge_accepted")
    page.fill("#id_pledge_name", "秦都 张三")
    page.click("button[value=submit]")
    page.wait_for_selector("[data-testid=status]:has-text('县区初审')")
    reference = page.url.rstrip("/").split("/")[-1]
    logout(page)

    login(page, "county_qindu")
    page.goto(f"/reviews/cases/{reference}/")
    mark = page.inner_text("[data-testid=exempt-mark]")
    assert "免申即享" in mark and "2025年陕西省专精特新中小企业名单" in mark
