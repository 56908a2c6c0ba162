"""Forms that follow the stage: fieldsets with help, a draft project asks
only for its application, required choices start at 请选择 and are refused
if left so, 所属领域 goes with 领域中心, every refusal at once (field checks
and the rules together), and the cap hints beside the amounts."""
import re

import models
from program import parameters
from tests import factories
from tests.browser import front_end, needs_browser
from tests.formtools import field_errors
from tests.support import PASSWORD, csrf_token, make_user


def post(client, url, data):
    return client.post(url, data=dict(data, csrf_token=csrf_token(client, url)))


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def selected(html, name):
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    chosen = re.search(r'<option[^>]*selected[^>]*>([^<]*)</option>', select)
    return chosen.group(1) if chosen else re.search(r"<option[^>]*>([^<]*)</option>", select).group(1)


def test_a_draft_project_asks_only_for_its_application(client, as_role):
    as_role("clerk")
    html = page(client, "/admin/project/new/")
    assert "<legend>申报信息</legend>" in html
    for later in ("voucher_granted_on", "contract_signed_on", "contract_amount", "contract_has_voucher_clause",
                  "contract_voucher_amount"):
        assert f'name="{later}"' not in html, later
    # The contract's fields come with its step.
    w = factories.world()
    granted = factories.project(w["enterprise"], w["lab"], status="granted",
                                voucher_granted_on=models.now().date())
    step = page(client, f"/admin/project/register_contract/?id={granted.id}")
    assert 'name="contract_amount"' in step and 'name="contract_signed_on"' in step


def test_required_choices_start_empty_and_are_refused_when_left_so(client, as_role):
    as_role("admin")
    html = page(client, "/admin/enterprise/new/")
    assert selected(html, "kind") == "请选择" and selected(html, "district") == "请选择"
    assert selected(page(client, "/admin/user/new/"), "role") == "请选择"
    assert selected(page(client, "/admin/lab/new/"), "service_institution") == "请选择"
    # A choice with a sensible default keeps it; an optional one says so.
    assert selected(page(client, "/admin/project/new/"), "priority_theme") == "无"

    response = post(client, "/admin/enterprise/new/", {"name": "北京未选类型科技有限公司", "kind": "__None",
                                                       "district": "__None", "credit_code": factories.credit_code(7)})
    errors = field_errors(response)
    assert "请选择类型" in errors and "请选择所在区" in errors, errors
    assert not models.Enterprise.select().exists()


def test_fieldsets_and_help_follow_the_policy(client, as_role):
    parameters.ensure_defaults()
    models.PolicySetting.update(value="45").where(models.PolicySetting.key == "r1_min_served_enterprises").execute()
    as_role("clerk")
    html = page(client, "/admin/recommending_institution/new/")
    for legend in ("机构信息", "推荐服务能力", "申请材料", "联系人"):
        assert f"<legend>{legend}</legend>" in html
    assert "应不少于 45 家（政策参数）" in html
    assert "管理机制、服务流程" in html  # a model field's help text


def test_domain_goes_with_the_domain_center_box(client, as_role):
    as_role("clerk")
    html = page(client, "/admin/service_institution/new/")
    assert re.search(r'<div class="dependent-field" data-shown-with="is_domain_center">\s*<div class="form-group',
                     html)
    base = {"name": "北京某领域中心", "is_independent_legal_entity": "y"}
    refused = post(client, "/admin/service_institution/new/", dict(base, is_domain_center="y", domain="__None"))
    assert "领域中心须选择所属领域" in field_errors(refused)
    refused = post(client, "/admin/service_institution/new/",
                   dict(base, credit_code=factories.credit_code(8), domain="industrial_design"))
    assert any("只有领域中心选择所属领域" in e for e in field_errors(refused))
    assert not models.ServiceInstitution.select().exists()


def test_every_refusal_at_once(client, as_role):
    # Field checks and the program's rules in the same round trip.
    w = factories.world()
    parameters.ensure_defaults()
    models.PolicySetting.update(value="60000").where(
        models.PolicySetting.key == "annual_voucher_cap_per_enterprise").execute()
    as_role("clerk")
    response = post(client, "/admin/project/new/", {
        "title": "", "enterprise": w["enterprise"].id, "lab": w["lab"].id, "activity_type": "testing",
        "priority_theme": "none", "voucher_amount": "20000.00"})
    errors = field_errors(response)
    assert "此项为必填项" in errors
    assert any("超过年度上限 60,000.00 元" in e for e in errors), errors
    assert models.Project.select().count() == 1

    # Submitting names every missing material and condition, not the first.
    si = factories.service_institution(status="draft", parent_in_platform=False, application_form=None,
                                       commitment_letter=None, management_rules=None, authorization_letter=None)
    response = client.post("/admin/service_institution/submit/", data={
        "id": si.id, "version": si.version, "csrf_token": csrf_token(client, "/admin/")})
    text = response.get_data(as_text=True)
    for message in ("授权单位须已加入首都科技条件平台", "请上传专业服务机构申请表", "请上传承诺函",
                    "请上传机构内创新券管理办法细则", "请上传授权函"):
        assert message in text, message
    assert models.ServiceInstitution.get_by_id(si.id).status == "draft"


def test_hints_show_the_room_left_under_each_cap(client, as_role):
    w = factories.world()
    parameters.ensure_defaults()
    models.PolicySetting.update(value="200000").where(
        models.PolicySetting.key == "annual_voucher_cap_per_enterprise").execute()
    as_role("clerk")
    html = page(client, f"/admin/project_purchase/edit/?id={w['project_purchase'].id}")
    # Contract 100,000.00, 30 %: 30,000.00; this purchase (1,000.00) is the one being edited.
    assert "即 30,000.00 元；已登记 0.00 元，尚可登记 30,000.00 元" in html
    answer = client.get(f"/admin/project_purchase/hint/?field=amount&project={w['project'].id}").get_json()
    assert answer["text"].endswith("已登记 1,000.00 元，尚可登记 29,000.00 元")

    year = models.now().year
    answer = client.get(f"/admin/project/hint/?field=voucher_amount&enterprise={w['enterprise'].id}").get_json()
    assert answer["text"] == (f"“{w['enterprise'].name}”{year} 年已申请创新券 50,000.00 元，"
                              "年度上限 200,000.00 元，尚可申请 150,000.00 元")
    # Whatever is asked, a plain answer, never an error.
    for query in ("field=voucher_amount&enterprise=abc", "field=nothing", "field=voucher_amount&enterprise=99999999999",
                  "field=amount&project=-1"):
        response = client.get(f"/admin/project/hint/?{query}")
        assert response.status_code == 200 and response.get_json()["text"] == "", query
    # Only for those who fill in the forms.
    as_role("reviewer")
    assert client.get(f"/admin/project/hint/?field=voucher_amount&enterprise={w['enterprise'].id}").status_code == 403


@needs_browser
@front_end
def test_domain_shows_with_its_box_and_hints_follow_in_the_browser(page):
    w = factories.world()
    make_user("clerk_forms", "clerk")
    page.login("clerk_forms", PASSWORD)
    browser_page = page.page
    page.go("/admin/service_institution/new/")
    domain = browser_page.locator('.dependent-field[data-shown-with="is_domain_center"]')
    assert not domain.is_visible()
    browser_page.check("#is_domain_center")
    assert domain.is_visible()
    page.shot("form-service-institution")
    browser_page.uncheck("#is_domain_center")
    assert not domain.is_visible()

    # The purchase form: choosing the project brings its cap and what is left.
    page.go("/admin/project_purchase/new/")
    browser_page.click("#s2id_project")
    browser_page.keyboard.type(w["project"].code)
    browser_page.click(f".select2-drop-active .select2-result-label:has-text('{w['project'].code}')")
    browser_page.wait_for_function("() => document.querySelector('#hint-amount').textContent.includes('尚可登记')")
    assert "尚可登记 29,000.00 元" in browser_page.inner_text("#hint-amount")
    page.shot("form-purchase-hint")
    assert page.problems == []


@needs_browser
@front_end
def test_a_locked_record_reads_as_text(page):
    w = factories.world()
    make_user("clerk_locked", "clerk")
    page.login("clerk_locked", PASSWORD)
    page.go(f"/admin/lab/edit/?id={w['lab'].id}")
    assert page.page.locator("#lock-note").is_visible()
    assert page.page.locator("#locked-name").inner_text().strip().endswith(w["lab"].name)
    page.shot("form-locked-lab")
    assert page.problems == []
