"""Each role's main path, in Chromium, from the screens alone: a clerk takes
a project from application to closing (with the refusals on the way), a
reviewer approves a recommending institution, a clerk opens its account and
prints the notice, and the institution logs in, changes its first password
and completes its profile. Screenshots go to the ignored folder
(tests/browser.py)."""
import datetime

import models
from tests import factories
from tests.browser import needs_browser
from tests.support import PASSWORD, make_user

pytestmark = needs_browser


def confirm(page, name):
    """Take the transition the button names from a details page, on its own page."""
    page.submit(f"#record-transitions a:text-is('{name}')")
    page.page.wait_for_selector("#transition-title")


def submit_transition(page):
    page.submit("form.admin-form button[type=submit]")


def errors(page):
    return page.page.inner_text("form.admin-form") if page.page.locator("form.admin-form").count() else ""


def test_a_clerk_takes_a_project_from_application_to_closing(page, clock):
    clock(datetime.date(2026, 4, 10))  # the office's day: the path's dates are in time
    w = factories.world()
    make_user("zhang_clerk", "clerk", display_name="张明")
    make_user("li_clerk", "clerk", display_name="李华")
    browser_page = page.page

    # 张明 applies: the form refuses what is missing, all at once.
    page.login("zhang_clerk", PASSWORD)
    page.go("/admin/project/new/")
    browser_page.fill("#title", "智能传感器联合研发项目")
    browser_page.fill("#voucher_amount", "0")
    page.submit("form.admin-form input[type=submit][value='保存']")
    text = browser_page.inner_text("form.admin-form")
    for refusal in ("此项为必填项", "请选择活动类型", "应大于 0"):
        assert refusal in text, refusal
    page.shot("path-project-refusals")
    browser_page.click("#s2id_enterprise")
    browser_page.keyboard.type(w["enterprise"].name[:6])
    browser_page.click(f".select2-drop-active .select2-result-label:has-text('{w['enterprise'].name}')")
    browser_page.click("#s2id_lab")
    browser_page.keyboard.type(w["lab"].name[:4])
    browser_page.click(f".select2-drop-active .select2-result-label:has-text('{w['lab'].name}')")
    browser_page.select_option("#activity_type", "joint_rd")
    browser_page.fill("#voucher_amount", "80000")
    page.submit("form.admin-form input[type=submit][value='保存']")
    project = models.Project.get(models.Project.title == "智能传感器联合研发项目")
    page.go(f"/admin/project/details/?id={project.id}")
    confirm(page, "提交申报")
    submit_transition(page)
    assert models.Project.get_by_id(project.id).status == "submitted"
    # Her own application: she is told why she may not grant it, before any click.
    blocked = browser_page.locator("#record-transitions .transition-blocked")
    assert blocked.inner_text() == "申报成功（发放创新券）"
    assert "您提交的申请需由其他工作人员审核" in browser_page.inner_text("#record-transitions")

    # 李华 grants it in bulk from the list, with one date for all.
    page.login("li_clerk", PASSWORD)
    page.go("/admin/")
    page.submit("#work-queue a:has-text('项目申报待审核')")
    browser_page.wait_for_load_state("networkidle")  # the menus' scripts bound
    browser_page.check(f"input.action-checkbox[value='{project.id}']")
    browser_page.click("text=批量操作")
    browser_page.click("[data-model-action=grant]")
    browser_page.wait_for_selector("#bulk-title")
    browser_page.fill("#voucher_granted_on", "2026-04-01")
    browser_page.keyboard.press("Escape")
    page.submit("#bulk-confirm")
    browser_page.wait_for_selector("#bulk-results")
    assert "办理 1 条，未办理 0 条" in browser_page.inner_text("#bulk-result-title")
    assert models.Project.get_by_id(project.id).status == "granted"

    # The contract: a voucher amount above the grant is refused beside its field.
    page.go(f"/admin/project/details/?id={project.id}")
    confirm(page, "登记合同")
    browser_page.fill("#contract_signed_on", "2026-04-10")
    browser_page.keyboard.press("Escape")
    browser_page.fill("#contract_amount", "160000")
    browser_page.check("#contract_has_voucher_clause")
    browser_page.fill("#contract_voucher_amount", "90000")
    submit_transition(page)
    assert "超过创新券金额 80,000.00 元" in errors(page)
    page.shot("path-contract-refused")
    browser_page.fill("#contract_voucher_amount", "80000")
    submit_transition(page)
    assert models.Project.get_by_id(project.id).status == "contracted"

    # Closing: the experts' opinion is required.
    page.go(f"/admin/project/details/?id={project.id}")
    confirm(page, "结题通过")
    submit_transition(page)
    assert "此项为必填项" in errors(page)
    browser_page.fill("#completion_reason", "按合同完成研发任务，专家组同意结题。")
    submit_transition(page)
    closed = models.Project.get_by_id(project.id)
    assert (closed.status, closed.completion_result) == ("passed", "passed")
    page.shot("path-project-closed")
    # Its history reads in words.
    history = browser_page.inner_text("#record-history")
    assert "结题通过" in history and "李华" in history and "张明" in history
    assert page.problems == []


def test_reviewer_approves_clerk_opens_the_account_institution_completes_its_profile(page):
    ri = factories.recommending_institution(status="submitted", name="北京中关村创新券服务中心",
                                            introduction=None, service_features=None)
    make_user("reviewer_zhao", "reviewer", display_name="赵强")
    make_user("clerk_wang", "clerk", display_name="王芳")
    browser_page = page.page

    # The commission's reviewer finds it in the queue and approves it.
    page.login("reviewer_zhao", PASSWORD)
    page.submit("#work-queue a:has-text('推荐机构待审核')")
    page.submit(f"a[href^='/admin/recommending_institution/details/?id={ri.id}']")
    confirm(page, "审核通过")
    browser_page.fill("#opinion", "材料齐全，同意。")
    submit_transition(page)
    assert models.RecommendingInstitution.get_by_id(ri.id).status == "approved"

    # The office opens its account and prints the notice.
    page.login("clerk_wang", PASSWORD)
    browser_page.add_init_script("window.print = function () { window.__printed = true; };")
    page.go(f"/admin/recommending_institution/details/?id={ri.id}")
    confirm(page, "开通系统账号")
    browser_page.fill("#username", "zgc_cxq")
    submit_transition(page)
    password = browser_page.inner_text("#notice-password").strip()
    browser_page.click("#print-notice")
    assert browser_page.evaluate("() => window.__printed === true")
    page.shot("path-account-notice")

    # The institution: its first password, changed at once; then its profile.
    page.login("zgc_cxq", password)
    assert "/change-password" in browser_page.url
    browser_page.fill("#current_password", password)
    browser_page.fill("#new_password", "Zgc-Cxq-2026-new")
    browser_page.fill("#new_password_confirm", "Zgc-Cxq-2026-new")
    page.submit("button[type=submit]:has-text('确认修改')")
    page.go(f"/admin/recommending_institution/edit/?id={ri.id}")
    assert browser_page.locator("#name").count() == 0  # only what the institution keeps itself
    browser_page.fill("#introduction", "面向中关村科技园区的小微企业提供创新券推荐服务。")
    browser_page.fill("#service_features", "政策宣讲、需求对接、实验室撮合。")
    page.submit("form.admin-form input[type=submit][value='保存']")
    assert models.RecommendingInstitution.get_by_id(ri.id).status == "profile_completed"
    page.shot("path-institution-profile")
    assert page.problems == []
    assert models.User.get(models.User.username == "zgc_cxq").must_change_password is False
