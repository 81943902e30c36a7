"""Browser: an enterprise registers and sees its home; a reviewer sees different navigation."""

import pytest

from tests.helpers import fill_registration, login, logout

pytestmark = pytest.mark.browser


def test_enterprise_registers_and_reviewer_sees_other_navigation(page, demo):
    page.goto("/")
    page.click("text=企业注册申报")
    fill_registration(
        page,
        name="咸阳浏览器测试有限公司",
        uscc="91110000600037341L",
        place="秦都区",
        username="wangwu",
        password="Browser-pass-2025",
        confirm="Wrong-pass-2025",
    )
    page.click("button:has-text('注册')")
    assert "两次输入的密码不一致" in page.inner_text("#id_password2-error")
    assert page.input_value("#id_legal_name") == "咸阳浏览器测试有限公司"
    page.fill("#id_password1", "Browser-pass-2025")
    page.fill("#id_password2", "Browser-pass-2025")
    page.click("button:has-text('注册')")
    page.wait_for_url("**/accounts/home/")
    assert "咸阳浏览器测试有限公司" in page.inner_text("[data-testid=organisations]")
    enterprise_nav = page.inner_text("[data-testid=nav]")
    assert "单位信息" in enterprise_nav
    assert "审核队列" not in enterprise_nav
    logout(page)

    login(page, "county_qindu")
    reviewer_nav = page.inner_text("[data-testid=nav]")
    assert "审核队列" in reviewer_nav
    assert "单位信息" not in reviewer_nav and "我的申报" not in reviewer_nav
    assert "县区初审" in page.inner_text("[data-testid=roles]")
