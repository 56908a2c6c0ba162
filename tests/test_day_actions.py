"""Actions that fit the day: every transition that makes sense in bulk is
in the 批量操作 menu with its fields shared and a result per record; a
button the user's role allows but a rule forbids shows disabled with the
reason; delete stands apart; + 新建企业 from the project form; 新增 on a
related list, with the parent already chosen."""
import datetime
import re

import models
from tests import factories
from tests.browser import front_end, needs_browser
from tests.support import PASSWORD, csrf_token, make_user, version_of


def _menu(html):
    return re.search(r'aria-expanded="false">批量操作</a>\s*<div class="dropdown-menu">(.*?)</div>\s*</li>',
                     html, re.S).group(1)


def test_the_bulk_menu_offers_each_bulk_transition_and_delete_apart(client, as_role):
    factories.world()
    as_role("clerk")
    menu = _menu(client.get("/admin/project/").get_data(as_text=True))
    names = re.findall(r'data-model-action="([a-z_]+)">([^<]+)<', menu)
    assert [n for n, _ in names] == ["submit", "grant", "reject", "pass_review", "fail_review", "redeem",
                                     "reject_redemption", "delete"]
    assert ("grant", "批量申报成功（发放创新券）") in names and ("delete", "删除选中的记录") in names
    assert re.search(r'<div class="dropdown-divider"></div>\s*<a class="dropdown-item text-danger"', menu)
    as_role("reviewer")
    html = client.get("/admin/project/").get_data(as_text=True)
    assert "批量操作" not in html


def _bulk(client, table, name, records, **fields):
    ids = ",".join(str(r.id) for r in records)
    url = f"/admin/{table}/bulk/{name}/?ids={ids}"
    data = dict(fields, ids=ids, csrf_token=csrf_token(client, url))
    data.update({f"version_{r.id}": version_of(table, r.id) for r in records})
    return client.post(f"/admin/{table}/bulk/{name}/", data=data)


def test_bulk_grant_shares_its_date_and_reports_each_record(client, as_role):
    w = factories.world()
    make_user("submitter", "clerk", display_name="申报人")
    mine = factories.project(w["enterprise"], w["lab"], status="submitted",
                             submitted_by=models.User.get(models.User.username == "submitter"))
    others = [factories.project(w["enterprise"], w["lab"], status="submitted") for _ in range(2)]
    draft = factories.project(w["enterprise"], w["lab"])
    as_role.user("submitter")
    page = client.get(f"/admin/project/bulk/grant/?ids={mine.id},{others[0].id},{draft.id}")
    html = page.get_data(as_text=True)
    assert 'name="voucher_granted_on"' in html and "您提交的申请需由其他工作人员审核" in html
    assert "确认批量申报成功（发放创新券）（1 条）" in html
    # Nothing among the chosen can be taken: no button to confirm, and why.
    html = client.get(f"/admin/project/bulk/grant/?ids={mine.id},{draft.id}").get_data(as_text=True)
    assert 'id="bulk-confirm" disabled' in html and "没有可办理的记录" in html
    # A missing date is refused before anything is done.
    refused = _bulk(client, "project", "grant", [mine, *others, draft], voucher_granted_on="")
    assert "此项为必填项" in refused.get_data(as_text=True)
    assert models.Project.get_by_id(others[0].id).status == "submitted"

    done = _bulk(client, "project", "grant", [mine, *others, draft], voucher_granted_on="2026-05-06")
    text = done.get_data(as_text=True)
    assert "批量申报成功（发放创新券）：办理 2 条，未办理 2 条" in text
    for p in others:
        fresh = models.Project.get_by_id(p.id)
        assert fresh.status == "granted" and fresh.voucher_granted_on == datetime.date(2026, 5, 6)
    assert models.Project.get_by_id(mine.id).status == "submitted"
    assert models.Project.get_by_id(draft.id).status == "draft"
    assert models.AuditLog.select().where(models.AuditLog.action == "grant").count() == 2


def test_bulk_fail_review_shares_reason_and_liable_party(client, as_role, clock):
    w = factories.world()
    running = [factories.project(w["enterprise"], w["lab"], **factories.contracted()) for _ in range(2)]
    as_role("clerk")
    done = _bulk(client, "project", "fail_review", running, completion_reason="未按期完成", liable_party="both")
    assert "办理 2 条，未办理 0 条" in done.get_data(as_text=True)
    for p in running:
        fresh = models.Project.get_by_id(p.id)
        assert (fresh.status, fresh.liable_party, fresh.completion_reason) == ("failed", "both", "未按期完成")


def test_a_forbidden_button_is_shown_disabled_with_its_reason(client, as_role):
    w = factories.world()
    make_user("own", "clerk")
    own = models.User.get(models.User.username == "own")
    project = factories.project(w["enterprise"], w["lab"], status="submitted", submitted_by=own)
    as_role.user("own")
    html = client.get(f"/admin/project/details/?id={project.id}").get_data(as_text=True)
    assert re.search(r'<span class="btn btn-md btn-outline-secondary disabled[^"]*" aria-disabled="true" '
                     r'title="您提交的申请需由其他工作人员审核">申报成功（发放创新券）</span>', html)
    assert f"/admin/project/grant/?id={project.id}" not in html
    assert f"/admin/project/reject/?id={project.id}" in html  # rejecting is not reserved


def test_related_lists_add_with_the_parent_chosen(client, as_role):
    w = factories.world()
    ri = w["recommending_institution"]
    as_role("clerk")
    html = client.get(f"/admin/recommending_institution/details/?id={ri.id}").get_data(as_text=True)
    add = re.search(r'<a class="btn btn-sm btn-outline-primary ml-2 related-new" href="([^"]+)">新增宣传对接活动</a>',
                    html).group(1).replace("&amp;", "&")
    assert add.startswith(f"/admin/promotion_event/new/?institution={ri.id}")
    form = client.get(add).get_data(as_text=True)
    assert re.search(rf'<option selected value="{ri.id}">|<option value="{ri.id}" selected', form) or \
        re.search(rf'value="{ri.id}"[^>]*selected', form)
    # An id that is no record of that table is simply not chosen.
    assert client.get("/admin/promotion_event/new/?institution=99999").status_code == 200
    # No 新增 where the rules would refuse it: a purchase needs the contract amount (R11).
    applied = factories.project(w["enterprise"], w["lab"], status="submitted")
    assert "新增新技术新产品购买" not in client.get(f"/admin/project/details/?id={applied.id}").get_data(as_text=True)
    assert "新增新技术新产品购买" in client.get(f"/admin/project/details/?id={w['project'].id}").get_data(as_text=True)
    assert client.get("/admin/promotion_event/new/?institution=abc").status_code == 200


def test_a_record_created_from_another_form_is_handed_back(client, as_role):
    as_role("clerk")
    html = client.get("/admin/project/new/").get_data(as_text=True)
    assert re.search(r'<a class="related-add[^"]*" href="/admin/enterprise/new/\?popup=enterprise" '
                     r'data-for="enterprise">\+ 新建企业</a>', html)
    url = "/admin/enterprise/new/?popup=enterprise"
    response = client.post(url, data={"name": "北京弹窗新建科技有限公司", "kind": "micro", "district": "haidian",
                                      "credit_code": factories.credit_code(31), "csrf_token": csrf_token(client, url)})
    created = models.Enterprise.get(models.Enterprise.name == "北京弹窗新建科技有限公司")
    text = response.get_data(as_text=True)
    assert f'data-field="enterprise" data-id="{created.id}"' in text
    # A field name that is not one is ignored: the usual redirect.
    response = client.post("/admin/enterprise/new/?popup=a%22b", data={
        "name": "北京另一家科技有限公司", "kind": "micro", "district": "haidian",
        "credit_code": factories.credit_code(32), "csrf_token": csrf_token(client, url)})
    assert response.status_code == 302


@needs_browser
@front_end
def test_new_enterprise_from_the_project_form_in_the_browser(page):
    make_user("clerk_popup", "clerk")
    page.login("clerk_popup", PASSWORD)
    browser_page = page.page
    page.go("/admin/project/new/")
    with browser_page.expect_popup() as opened:
        browser_page.click("a.related-add")
    popup = opened.value
    popup.wait_for_load_state()
    popup.fill("#name", "北京弹窗测试科技有限公司")
    popup.select_option("#kind", "micro")
    popup.select_option("#district", "chaoyang")
    popup.fill("#credit_code", factories.credit_code(33))
    popup.click("input[type=submit][value='保存']")
    popup.wait_for_event("close")
    browser_page.wait_for_function("() => document.querySelector('#s2id_enterprise').innerText.includes('弹窗测试')")
    assert "北京弹窗测试科技有限公司" in browser_page.inner_text("#s2id_enterprise")
    page.shot("project-form-new-enterprise")
    assert page.problems == []
