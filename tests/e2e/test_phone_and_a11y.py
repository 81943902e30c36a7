"""Every role's main pages at 390×844: no horizontal overflow, the primary action on screen,
and no serious or critical axe-core violation (WCAG 2.1 AA). The screenshots feed the user
guide (var/guide-img, or docs/guide/img with GUIDE_SCREENSHOTS=update)."""

from __future__ import annotations

import itertools

import pytest

from tests.e2e.phone import PHONE, assert_fits, axe_violations, shoot
from tests.helpers import close_browser_context, login

pytestmark = pytest.mark.browser

# role → [(path, primary action selector or None, guide screenshot name)]
PAGES = {
    None: [
        ("/", "main a:has-text('企业注册申报')", "public-home"),
        ("/measures/", None, "public-measures"),
        ("/notices/", None, "public-notices"),
        ("/accounts/register/", "button[type=submit]", "public-register"),
    ],
    "qindu_corp": [
        ("/accounts/home/", "main .list-group a", "enterprise-home"),
        ("/applications/", "[data-testid=row-action]", "enterprise-applications"),
        ("/applications/calculator/", "main details summary", "enterprise-calculator"),
        ("/accounts/messages/", None, "enterprise-messages"),
        ("{approved}", "[data-testid=receipt-link]", "enterprise-detail"),
        ("{approved_receipt}", "[data-testid=receipt-pdf]", "enterprise-receipt"),
        ("{draft_edit}", "button[value=submit]", "enterprise-edit"),
    ],
    "county_weicheng": [
        ("/reviews/", "[data-testid=open-case]", "county-queue"),
        ("{waiting_case}", "[data-testid=actions] summary", "county-case"),
    ],
    "dept_miit": [("/reviews/", "summary:has-text('筛选条件')", "department-queue")],
    "approver": [
        ("/reviews/", "summary:has-text('筛选条件')", "approver-queue"),
        ("/reviews/notices/", None, "approver-notices"),
        ("/reviews/letters/", None, "approver-letters"),
    ],
    "finance": [
        ("/payments/", "[data-testid=new-batch]", "finance-batches"),
        ("/payments/dashboard/", None, "finance-dashboard"),
    ],
    "policy_admin": [
        ("/measures/budgets/", None, "admin-budgets"),
        ("/payments/dashboard/", None, "admin-dashboard"),
    ],
    "auditor": [
        ("/reviews/", "[data-testid=open-case]", "auditor-queue"),
        ("/reviews/audit/", "summary:has-text('筛选条件')", "auditor-audit"),
    ],
}


@pytest.fixture
def seeded(demo, open_round_db):
    from applications.models import Application, Status
    from reviews.demo import seed_applications

    seed_applications()
    approved = Application.objects.get(status=Status.APPROVED)
    draft = Application.objects.get(status=Status.DRAFT)
    waiting = Application.objects.get(status=Status.COUNTY_REVIEW)
    return {
        "approved": f"/applications/{approved.reference}/",
        "approved_receipt": f"/applications/{approved.reference}/receipt/",
        "draft_edit": f"/applications/{draft.reference}/edit/",
        "waiting_case": f"/reviews/cases/{waiting.reference}/",
    }


@pytest.fixture
def phone_page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        viewport=PHONE,
        # axe-core is injected as a script the CSP would refuse; the CSP has its own tests.
        bypass_csp=True,
    )
    context.set_default_timeout(20000)
    yield context.new_page()
    close_browser_context(context)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", list(PAGES), ids=lambda r: r or "public")
def test_main_pages_fit_a_phone_and_pass_axe(phone_page, seeded, role):
    page = phone_page
    if role:
        login(page, role)
    problems = {}
    for path, primary, shot in PAGES[role]:
        page.goto(path.format(**seeded))
        assert_fits(page, primary)
        shoot(page, shot)
        found = axe_violations(page)
        if found:
            problems[path] = found
    assert not problems, problems


@pytest.mark.django_db(transaction=True)
def test_queue_filters_fold_and_tables_become_cards(phone_page, seeded):
    page = phone_page
    login(page, "county_weicheng")
    page.goto("/reviews/")
    assert page.locator("details.filter-panel").get_attribute("open") is None
    assert not page.locator("#id_q").is_visible()
    page.click("summary:has-text('筛选条件')")
    assert page.locator("#id_q").is_visible()
    row = page.locator("[data-testid=queue] tbody tr").first
    assert row.evaluate("r => getComputedStyle(r).display") == "block"
    label = row.locator("td[data-label]").nth(1)
    assert label.get_attribute("data-label") == "编号"
    # On a desktop the same page keeps its table and an open filter panel.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/reviews/")
    assert page.locator("details.filter-panel").get_attribute("open") is not None
    assert row.evaluate("r => getComputedStyle(r).display") == "table-row"


@pytest.mark.django_db(transaction=True)
def test_dashboard_text_stays_readable_on_a_phone(phone_page, seeded):
    page = phone_page
    login(page, "finance")
    page.goto("/payments/dashboard/")
    smallest = page.evaluate(
        """() => Math.min(...Array.from(document.querySelectorAll('main *'))
             .filter(e => e.childNodes.length && Array.from(e.childNodes)
               .some(n => n.nodeType === 3 && n.textContent.trim()))
             .filter(e => e.getClientRects().length)
             .map(e => {
               const size = parseFloat(getComputedStyle(e).fontSize);
               const svg = e.closest('svg');
               if (!svg || !svg.viewBox || !svg.viewBox.baseVal || !svg.viewBox.baseVal.width)
                 return size;
               return size * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
             }))"""
    )
    assert smallest >= 12, smallest
    chart = page.locator("svg.portal-chart").first
    assert chart.bounding_box()["width"] <= 390


@pytest.mark.django_db(transaction=True)
def test_totals_and_status_chips_are_readable_and_tappable_on_a_phone(phone_page, seeded):
    page = phone_page
    login(page, "finance")
    page.goto("/payments/dashboard/")
    # A totals row is one card of labelled figures side by side (it read "合计43¥600,000.00").
    total = page.locator("main table tfoot tr").first
    assert total.evaluate("r => getComputedStyle(r).display") == "flex"
    cells = total.locator("th, td")
    labels = [cells.nth(i).get_attribute("data-label") for i in range(cells.count())]
    assert labels[0] is None and all(labels[1:]) and len(labels) >= 3, labels
    boxes = [cells.nth(i).bounding_box() for i in range(cells.count())]
    for left, right in itertools.pairwise(boxes):
        same_line = abs(left["y"] - right["y"]) < 4
        assert not same_line or left["x"] + left["width"] <= right["x"] + 0.5, boxes
    page.goto("/payments/")
    chips = page.locator("main a.badge")
    assert chips.count() >= 2
    assert all(chips.nth(i).bounding_box()["height"] >= 44 for i in range(chips.count()))
    # An empty-state row spanning the table is a message, not the first column's value.
    empty = page.locator("main table tbody td[colspan]")  # the seed builds no batch
    assert "暂无拨付批次" in empty.inner_text() and empty.get_attribute("data-label") is None


@pytest.mark.django_db(transaction=True)
def test_large_text_switch_is_remembered(page, seeded):
    page.goto("/")
    base = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    page.click("[data-testid=large-text]")
    assert page.get_attribute("[data-testid=large-text]", "aria-pressed") == "true"
    page.goto("/measures/")
    large = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert large >= base * 1.2


@pytest.mark.django_db(transaction=True)
def test_evidence_preview_is_an_image_on_a_phone(phone_page, seeded):
    page = phone_page
    from applications.models import ApplicationMaterial

    material = ApplicationMaterial.objects.filter(
        evidence__content_type="application/pdf", application__status="county_review"
    ).first()
    assert material is not None
    login(page, "county_weicheng")
    page.goto(f"/reviews/cases/{material.application.reference}/")
    image = page.locator("[data-testid=evidence-pages] img").first
    image.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    assert image.evaluate("img => img.naturalWidth") >= 500
    assert image.bounding_box()["width"] <= 390


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ["approver", "policy_admin"])
def test_desktop_menu_fits_in_english_with_large_text(page, seeded, role):
    """The longest menus, in the longer language and the larger text: nothing off-screen."""
    login(page, role)
    page.select_option("#lang-select", "en")
    page.wait_for_function("document.documentElement.lang === 'en'")
    page.click("[data-testid=large-text]")
    for width in (1366, 1200):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto("/accounts/home/")
        assert page.evaluate("document.documentElement.classList.contains('large-text')")
        assert_fits(page, "form[action$='/logout/'] button")


@pytest.mark.django_db(transaction=True)
def test_a_receipt_with_long_fact_labels_fits_a_phone(phone_page, seeded, application_factory):
    """Row headings such as 本次申报绿色设计产品种数 kept whole and a credit code that cannot
    break made the receipt 444 px wide on a 390 px screen."""
    application = application_factory(
        clause_code="M14-GREEN-DESIGN-PRODUCT",
        facts={
            "level": "national",
            "product_count": "1",
            "product_names": "产品A",
            "recognised_on": "2025-08-01",
        },
        submit=True,
    )
    page = phone_page
    login(page, "qindu_corp")
    page.goto(f"/applications/{application.reference}/receipt/")
    page.wait_for_selector("text=本次申报绿色设计产品种数")
    assert_fits(page, "[data-testid=receipt]")
