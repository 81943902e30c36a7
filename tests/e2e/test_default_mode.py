"""The default mode (`scripts/run.sh` with nothing set): SQLite, in-process tasks and the
periodic jobs in the web process. A newcomer goes register → apply → three reviews → notice
ends by itself → letter → batch → 已拨付 in the browser, with no shell step; rapid save and
submit clicks never give a 500 (`database is locked`).

The server runs in a subprocess with the local settings on a temporary SQLite file."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.accounts.test_uscc import _with_check
from tests.applications.files import pdf_bytes
from tests.e2e.test_review import _act
from tests.helpers import fill_registration, logout

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def local_server(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CELERY_BROKER_URL", "DATABASE_URL", "CELERY_TASK_ALWAYS_EAGER")
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "xianyang_portal.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "EMAIL_FILE_PATH": str(tmp_path / "emails"),
        "LOCAL_BEAT_SECONDS": "2",
        "PYTHONWARNINGS": "ignore",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    seeded = subprocess.run(
        [*manage, "seed_demo"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert seeded.returncode == 0, seeded.stderr[-4000:]
    assert "qindu_corp" in seeded.stdout and str(tmp_path / "emails") in seeded.stdout
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [*manage, "runlocal", "--noreload", "--skip-checks", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/api/v1/health/live/", timeout=2)  # noqa: S310
                break
            except OSError:
                try:
                    urllib.request.urlopen(url + "/", timeout=2)  # noqa: S310
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError((tmp_path / "server.log").read_text()) from None
                    time.sleep(0.5)
        yield url, tmp_path
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        print("---- server log ----\n" + (tmp_path / "server.log").read_text()[-6000:])  # noqa: T201


def login(page, username: str, password: str | None = None) -> None:
    """Log in on the subprocess server: staff type the code of their fixed demo TOTP secret
    (tests.helpers.login reads devices from the test database, which this server does not use)."""
    from binascii import unhexlify

    from django_otp.oath import totp

    from accounts.demo import DEMO_PASSWORD
    from accounts.twofactor import demo_totp_key

    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password or DEMO_PASSWORD)
    if password is None and page.locator("#id_otp_token").count():
        page.fill("#id_otp_token", f"{totp(unhexlify(demo_totp_key(username))):06d}")
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_url("**/accounts/home/")


def _wait_for_text(page, path: str, selector: str, text: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while True:
        page.goto(path)
        if text in page.inner_text(selector):
            return
        assert time.monotonic() < deadline, f"{path}: {text!r} never appeared in {selector}"
        time.sleep(2)


RAPID_CLICKS = """async () => {
  const form = document.querySelector('button[value=submit]').form;
  const post = (action) => {
    const data = new FormData(form);
    data.set('action', action);
    return fetch(form.getAttribute('action') || location.href, {method: 'POST', body: data, redirect: 'manual'});
  };
  const clicks = ['save', 'submit', 'save', 'submit', 'save', 'submit'].map(post);
  const autosave = fetch(location.pathname.replace('/edit/', '/autosave/'), {
    method: 'POST', body: new FormData(form), redirect: 'manual'});
  const answers = await Promise.all([...clicks, autosave]);
  return answers.map(r => (r.type === 'opaqueredirect' ? 302 : r.status));
}"""


def test_newcomer_journey_in_default_mode(browser, local_server):
    url, tmp = local_server
    context = browser.new_context(base_url=url, locale="zh-CN", accept_downloads=True)
    context.set_default_timeout(30000)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    errors: list[str] = []
    page.on("response", lambda r: r.status >= 500 and errors.append(f"{r.status} {r.url}"))

    # Register and use the calculator; its answers carry into the application.
    fill_registration(
        page,
        name="咸阳默认模式测试有限公司",
        uscc=_with_check("91610402MA6T1AB2C"),
        place="秦都区",
        username="newcomer",
        password="Newcomer-2025-xy",
    )
    page.click("button:has-text('注册')")
    page.wait_for_url("**/accounts/home/")
    # The account the money goes to (单位信息), needed before payment.
    page.goto("/accounts/organisation/")
    page.fill("#id_payee_name", "咸阳默认模式测试有限公司")
    page.fill("#id_bank_name", "中国建设银行咸阳分行")
    page.fill("#id_bank_account", "6217004100123456789")
    page.click("main button[type=submit], main form button:not([type])")
    assert "单位信息已保存" in page.inner_text("main")
    page.goto("/applications/calculator/")
    clause = page.locator("[data-clause='M02-SPECIALISED-SME']")
    clause.locator("summary").click()
    clause.locator("select[name=fact_level]").select_option("national")
    clause.locator("input[name=fact_recognised_on]").fill("2025-08-01")
    clause.locator("input[name=fact_certificate_no]").fill("工信部企业函〔2025〕321号")
    clause.locator("button:has-text('测算')").click()
    clause = page.locator("[data-clause='M02-SPECIALISED-SME']")
    assert "¥" in clause.locator("[data-testid=evaluation]").inner_text()
    clause.locator("[data-testid='apply-M02-SPECIALISED-SME']").click()
    expect(page.locator("[data-testid=prefill-note]")).to_have_count(1)
    page.click("button:has-text('开始填写申报表')")
    page.wait_for_url("**/edit/")
    assert page.input_value("#id_fact_certificate_no") == "工信部企业函〔2025〕321号"
    reference = page.url.rstrip("/").split("/")[-2]

    # Six rapid save/submit clicks plus an autosave at once: none may fail with a 500.
    certificate = tmp / "认定文件.pdf"
    certificate.write_bytes(pdf_bytes())
    page.set_input_files("#file_CERTIFICATE", str(certificate))
    page.check("#id_pledge_accepted")
    page.fill("#id_pledge_name", "申报联系人")
    statuses = page.evaluate(RAPID_CLICKS)
    *clicks, autosave = statuses
    assert all(s in (200, 302) for s in clicks), statuses  # no 500, no lost click
    assert autosave in (204, 409), statuses  # 409: it came after the submit that won
    page.goto(f"/applications/{reference}/")
    assert page.inner_text("[data-testid=status]") == "县区初审"
    page.click("[data-testid=receipt-link]")
    assert reference in page.inner_text("[data-testid=receipt-reference]")
    logout(page)

    # Three reviews.
    for username, action in (("county_qindu", "pass"), ("dept_miit", "recommend")):
        login(page, username)
        page.goto(f"/reviews/cases/{reference}/")
        _act(page, action, "同意")
        page.wait_for_url("**/reviews/")
        logout(page)
    login(page, "approver")
    page.goto(f"/reviews/cases/{reference}/")
    _act(page, "approve", "同意")
    page.wait_for_url("**/reviews/")
    page.goto("/reviews/notices/")
    page.click("button:has-text('发布公示')")
    page.wait_for_url("**/notices/*/")
    logout(page)

    # The demo round's notice (0 working days) ends at the next in-process periodic run,
    # which also issues the letter.
    login(page, "newcomer", "Newcomer-2025-xy")
    _wait_for_text(page, f"/applications/{reference}/", "[data-testid=status]", "已批准")
    _wait_for_text(page, f"/applications/{reference}/", "main", "咸工信奖")
    logout(page)

    # Finance: build, lock, fill in the bank-result template, import it.
    login(page, "finance")
    page.goto("/payments/new/")
    page.fill("#id_note", "默认模式演示批次")
    page.click("button:has-text('生成拨付批次')")
    page.wait_for_url("**/jobs/*/")
    # A locator expectation, not wait_for_function: the CSP forbids evaluating strings.
    expect(page.locator("[data-testid=progress-bar]")).to_have_text("100%", timeout=60000)
    page.click("#job-continue")
    page.wait_for_url("**/payments/batches/*/")
    batch_url = page.url
    logout(page)
    # 复核: a second finance officer checks and locks what the first one built.
    login(page, "finance_checker")
    page.goto(batch_url)
    page.click("[data-testid=lock]")
    assert page.inner_text("[data-testid=batch-state]") == "已锁定"
    with page.expect_download() as download_info:
        page.click("[data-testid=result-template]")
    template = tmp / "template.xlsx"
    download_info.value.save_as(template)
    workbook = load_workbook(template)
    sheet = workbook.active
    rows = list(sheet.iter_rows())
    header = next(i for i, row in enumerate(rows) if row[0].value == "序号")
    names = [c.value for c in rows[header]]
    for row in rows[header + 1 :]:
        row[names.index("结果")].value = "成功"
    workbook.save(template)
    page.set_input_files("#id_file", str(template))
    page.click("button:has-text('校验并导入')")
    assert "已拨付" in page.inner_text(".alert-success")
    logout(page)

    login(page, "newcomer", "Newcomer-2025-xy")
    page.goto(f"/applications/{reference}/")
    assert page.inner_text("[data-testid=status]") == "已拨付"
    page.goto("/accounts/messages/")
    assert "已拨付" in page.inner_text("[data-testid=messages]")
    assert not errors, errors
    context.close()
