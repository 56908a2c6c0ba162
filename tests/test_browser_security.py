"""The Content-Security-Policy (no inline script) in a real browser: every
screen loads without a refused script or handler, and the parts that used
inline handlers — bulk actions, delete confirmations, filters, date pickers,
the enterprise lookup — still work."""
import models
from tests import factories
from tests.browser import front_end, needs_browser
from tests.support import PASSWORD, make_user

pytestmark = [needs_browser, front_end]

CLERK_SCREENS = (
    "/admin/", "/admin/recommending_institution/", "/admin/promotion_event/", "/admin/service_institution/",
    "/admin/performance_evaluation/", "/admin/domain_center_member/", "/admin/lab/", "/admin/enterprise/",
    "/admin/project/", "/admin/new_tech_product/", "/admin/project_purchase/", "/admin/policy_setting/",
    "/admin/audit_log/", "/admin/reports/", "/admin/reports/evaluations/", "/admin/project/new/",
    "/admin/enterprise/new/", "/admin/lab/new/", "/change-password",
)


def test_every_clerk_screen_loads_under_the_policy(page):
    w = factories.world()
    make_user("clerk_csp", "clerk")
    page.login("clerk_csp", PASSWORD)
    screens = CLERK_SCREENS + (
        f"/admin/project/details/?id={w['project'].id}", f"/admin/enterprise/edit/?id={w['enterprise'].id}",
        f"/admin/service_institution/details/?id={w['service_institution'].id}",
    )
    for path in screens:
        response = page.go(path)
        assert response.status == 200, path
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
    page.shot("csp-last-screen")
    assert page.problems == []


def test_bulk_action_filter_and_confirmations_work_without_inline_script(page):
    w = factories.world()
    spare = factories.product(name="无人购买的产品")
    make_user("clerk_actions", "clerk")
    page.login("clerk_actions", PASSWORD)

    page.go("/admin/new_tech_product/")
    browser_page = page.page
    # A filter from the menu: filters.js adds its row.
    browser_page.click("text=添加筛选")
    browser_page.click("a.filter >> nth=0")
    assert browser_page.locator("table.filters tr").count() == 1

    # The row's delete asks first; dismissed, nothing goes.
    browser_page.once("dialog", lambda dialog: dialog.dismiss())
    browser_page.click(f"tr:has(input[value='{spare.id}']) button[data-confirm]")
    assert models.NewTechProduct.get_or_none(models.NewTechProduct.id == spare.id) is not None

    # A bulk delete from the menu, confirmed: one line per record.
    browser_page.check(f"input.action-checkbox[value='{spare.id}']")
    browser_page.check(f"input.action-checkbox[value='{w['new_tech_product'].id}']")
    browser_page.click("text=批量操作")
    browser_page.once("dialog", lambda dialog: dialog.accept())
    browser_page.click("[data-model-action=delete]")
    browser_page.wait_for_selector("#bulk-results")
    page.shot("bulk-delete-result")
    assert "批量删除：办理 1 条，未办理 1 条" in browser_page.inner_text("#bulk-result-title")
    assert models.NewTechProduct.get_or_none(models.NewTechProduct.id == spare.id) is None
    assert page.csp_violations() == []


def test_form_widgets_work_under_the_policy(page):
    w = factories.world()
    make_user("clerk_widgets", "clerk")
    page.login("clerk_widgets", PASSWORD)
    browser_page = page.page
    # The date picker opens (flask-admin's form.js, a file).
    page.go("/admin/promotion_event/new/")
    browser_page.click("#held_on")
    assert browser_page.locator(".daterangepicker").first.is_visible()
    browser_page.keyboard.press("Escape")
    page.go("/admin/project/new/")
    # The enterprise lookup asks the server as the clerk types.
    browser_page.click("#s2id_enterprise")
    browser_page.keyboard.type(w["enterprise"].name[:4])
    browser_page.wait_for_selector(f".select2-drop-active .select2-result-label:has-text('{w['enterprise'].name}')")
    page.shot("project-form-widgets")
    assert page.problems == []
