"""Every rule of DOMAIN.md §3, its boundary from both sides, through the HTTP
forms; the database is read back to prove a refusal wrote nothing."""
import datetime
from decimal import Decimal

import pytest

import models
from program import checks, parameters, rules
from program.checks import RuleViolation
from tests import factories
from tests.formtools import field_errors, read_form, resubmit
from tests.support import csrf_token


def edit_url(table, record):
    return f"/admin/{table}/edit/?id={record.id}"


def create(client, table, **data):
    url = f"/admin/{table}/new/"
    return client.post(url, data=dict(data, csrf_token=csrf_token(client, url)))


def refused(response, message):
    assert response.status_code == 200, response.status_code
    errors = field_errors(response)
    assert any(message in e for e in errors), errors


def saved(response):
    assert response.status_code == 302, field_errors(response)


# --- R1 ------------------------------------------------------------------------------

def test_r1_served_enterprises_boundary(client, as_role):
    ri = factories.recommending_institution(status="rejected", served_enterprise_count=40)
    as_role("clerk")
    response = resubmit(client, edit_url("recommending_institution", ri), served_enterprise_count="29")
    refused(response, "服务企业数量为 29 家，应不少于 30 家")
    assert models.RecommendingInstitution.get_by_id(ri.id).served_enterprise_count == 40
    saved(resubmit(client, edit_url("recommending_institution", ri), served_enterprise_count="30"))
    assert models.RecommendingInstitution.get_by_id(ri.id).served_enterprise_count == 30


def test_r1_promised_events_and_texts(client, as_role):
    ri = factories.recommending_institution(status="rejected")
    as_role("clerk")
    refused(resubmit(client, edit_url("recommending_institution", ri), promised_event_count="1"),
            "承诺组织宣传、对接活动 1 次，应不少于 2 次")
    refused(resubmit(client, edit_url("recommending_institution", ri), work_mechanism="  "), "请填写工作机制")
    refused(resubmit(client, edit_url("recommending_institution", ri), safeguards=""), "请填写保障措施")
    saved(resubmit(client, edit_url("recommending_institution", ri), promised_event_count="2"))
    assert models.RecommendingInstitution.get_by_id(ri.id).work_mechanism == "工作机制"


def test_r1_materials_must_be_attached(client, as_role):
    ri = factories.recommending_institution(status="draft", application_form=None, commitment_letter=None)
    models.RecommendingInstitution.update(status="submitted").where(models.RecommendingInstitution.id == ri.id).execute()
    as_role("clerk")
    response = resubmit(client, edit_url("recommending_institution", ri), contact_name="张伟")
    refused(response, "请上传推荐机构申请表")
    assert models.RecommendingInstitution.get_by_id(ri.id).contact_name == "王伟"


def test_r1_does_not_bind_a_draft(client, as_role):
    as_role("clerk")
    response = create(client, "recommending_institution", name="草稿推荐机构",
                      credit_code=factories.credit_code(700001), served_enterprise_count="5",
                      promised_event_count="0")
    saved(response)
    assert models.RecommendingInstitution.get(models.RecommendingInstitution.name == "草稿推荐机构").status == "draft"


def test_r1_follows_the_policy_setting(client, as_role):
    ri = factories.recommending_institution(status="rejected", served_enterprise_count=60)
    factories.set_policy("r1_min_served_enterprises", "50")
    as_role("clerk")
    refused(resubmit(client, edit_url("recommending_institution", ri), served_enterprise_count="49"),
            "服务企业数量为 49 家，应不少于 50 家")
    saved(resubmit(client, edit_url("recommending_institution", ri), served_enterprise_count="50"))
    factories.set_policy("r1_min_promised_events", "4")
    refused(resubmit(client, edit_url("recommending_institution", ri), promised_event_count="3"),
            "应不少于 4 次")


# --- R4 ------------------------------------------------------------------------------

@pytest.mark.parametrize("change, message", [
    ({"parent_in_platform": None}, "授权单位须已加入首都科技条件平台"),
    ({"is_independent_legal_entity": None}, "专业服务机构应为独立法人单位"),
    ({"parent_org_type": "__None"}, "请选择授权单位类型"),
    ({"parent_org_name": ""}, "请填写授权单位名称"),
])
def test_r4_service_institution_qualifications(client, as_role, change, message):
    si = factories.service_institution(status="rejected")
    as_role("clerk")
    response = resubmit(client, edit_url("service_institution", si), **change)
    refused(response, message)
    row = models.ServiceInstitution.get_by_id(si.id)
    assert row.parent_in_platform and row.is_independent_legal_entity and row.parent_org_type == "university"


def test_r4_materials_and_draft(client, as_role):
    draft = factories.service_institution(status="draft", parent_in_platform=False, application_form=None)
    as_role("clerk")
    saved(resubmit(client, edit_url("service_institution", draft), contact_name="刘洋"))
    models.ServiceInstitution.update(status="submitted").where(models.ServiceInstitution.id == draft.id).execute()
    refused(resubmit(client, edit_url("service_institution", draft), parent_in_platform="y"),
            "请上传专业服务机构申请表")


# --- R5 / R7: labs and domain-center members --------------------------------------------

def test_r5_lab_needs_an_approved_reporter(client, as_role):
    pending = factories.service_institution(status="submitted")
    approved = factories.service_institution()
    as_role("clerk")
    page = client.get("/admin/lab/new/").get_data(as_text=True)
    assert approved.name in page and pending.name not in page
    response = create(client, "lab", name="新实验室", category="beijing_key_lab", service_institution=pending.id)
    assert response.status_code == 200 and not models.Lab.select().where(models.Lab.name == "新实验室").exists()
    saved(create(client, "lab", name="新实验室", category="beijing_key_lab", service_institution=approved.id))
    with pytest.raises(checks.RuleViolation, match="审核通过的专业服务机构上报"):
        models.Lab.create(name="命令行实验室", category="beijing_key_lab", service_institution=pending)


def test_r7_member_joins_by_field(client, as_role):
    center = factories.domain_center()  # industrial_design
    as_role("clerk")
    response = create(client, "domain_center_member", name="北京新材科技有限公司",
                      credit_code=factories.credit_code(700002), org_type="private_enterprise",
                      domain_center=center.id, field="new_materials")
    refused(response, "应按行业领域加盟")
    assert models.DomainCenterMember.select().count() == 0
    saved(create(client, "domain_center_member", name="北京新材科技有限公司",
                 credit_code=factories.credit_code(700002), org_type="private_enterprise",
                 domain_center=center.id, field="industrial_design"))


def test_r7_member_choices_are_domain_centers_only(client, as_role):
    ordinary = factories.service_institution()
    factories.domain_center()
    as_role("clerk")
    response = create(client, "domain_center_member", name="北京某公司", credit_code=factories.credit_code(700003),
                      org_type="private_enterprise", domain_center=ordinary.id, field="industrial_design")
    assert response.status_code == 200
    assert models.DomainCenterMember.select().count() == 0


def test_r7_member_lab_is_reported_through_its_center(client, as_role):
    center = factories.domain_center()
    other = factories.service_institution()
    member = factories.member(center)
    as_role("clerk")
    response = create(client, "lab", name="成员单位设计中心", category="beijing_design_center",
                      service_institution=other.id, member_unit=member.id)
    refused(response, f"须由其所属领域中心“{center.name}”上报")
    saved(create(client, "lab", name="成员单位设计中心", category="beijing_design_center",
                 service_institution=center.id, member_unit=member.id))


# --- R6 / R9 / R8: projects --------------------------------------------------------------

def project_form(w, **changes):
    data = dict(title="新项目", enterprise=w["enterprise"].id, lab=w["lab"].id, activity_type="testing",
                priority_theme="none", voucher_amount="20000.00")
    data.update(changes)
    return data


@pytest.mark.parametrize("lab_kw, message", [
    ({"status": "submitted"}, "尚未进入开放实验室目录"),
    ({"category": "other"}, "不属于可合作的实验室类别"),
    ({"status": "rejected", "category": "other"}, "目录外实验室合作无法使用创新券"),
])
def test_r6_only_directory_labs(client, as_role, lab_kw, message):
    w = factories.world()
    outside = factories.lab(w["service_institution"], **lab_kw)
    as_role("clerk")
    before = models.Project.select().count()
    refused(create(client, "project", **project_form(w, lab=outside.id)), message)
    assert models.Project.select().count() == before
    saved(create(client, "project", **project_form(w)))


def test_r6_lab_lookup_offers_the_directory_only(client, as_role):
    w = factories.world()
    factories.lab(w["service_institution"], name="目录外测试实验室", category="other")
    factories.lab(w["service_institution"], name="待审测试实验室", status="submitted")
    as_role("clerk")
    import json

    rows = json.loads(client.get("/admin/project/ajax/lookup/?name=lab&query=测试").data)
    names = {label for _, label in rows}
    assert w["lab"].name in names
    assert "目录外测试实验室" not in names and "待审测试实验室" not in names


def test_r6_a_project_under_review_keeps_its_lab(client, as_role):
    w = factories.world()
    applied = factories.project(w["enterprise"], w["lab"], status="submitted")
    models.Lab.update(status="rejected").where(models.Lab.id == w["lab"].id).execute()
    as_role("clerk")
    saved(resubmit(client, edit_url("project", applied), title="改名后的项目"))


def test_r9_industrial_design_needs_a_design_lab(client, as_role):
    w = factories.world()
    design = factories.lab(w["service_institution"], category="beijing_design_center",
                           capabilities=["industrial_design", "rd_design"])
    as_role("clerk")
    refused(create(client, "project", **project_form(w, activity_type="industrial_design")),
            "不提供工业设计服务")
    saved(create(client, "project", **project_form(w, activity_type="industrial_design", lab=design.id)))


def test_r8_enterprises(client, as_role):
    as_role("clerk")
    base = dict(kind="small", district="haidian", contact_phone="13800138000", contact_email="x@example.cn")
    refused(create(client, "enterprise", name="无代码公司", **base), "请填写统一社会信用代码")
    code = factories.credit_code(700004)
    wrong = code[:17] + ("1" if code[17] != "1" else "2")
    refused(create(client, "enterprise", name="错码公司", credit_code=wrong, **base), "校验位错误")
    refused(create(client, "enterprise", name="外地公司", credit_code=code, **dict(base, district="pudong")),
            "不是有效的选择")
    refused(create(client, "enterprise", name="大公司", credit_code=code, **dict(base, kind="large")),
            "不是有效的选择")
    assert models.Enterprise.select().count() == 0
    saved(create(client, "enterprise", name="创业团队甲", **dict(base, kind="startup_team")))
    saved(create(client, "enterprise", name="小公司乙", credit_code=code.lower(), **base))
    assert models.Enterprise.get(models.Enterprise.name == "小公司乙").credit_code == code


# --- R10 -----------------------------------------------------------------------------

def granted_project(w, **kw):
    data = dict(status="granted", voucher_amount=Decimal("50000.00"), voucher_granted_on=datetime.date(2026, 3, 1))
    data.update(kw)
    return factories.project(w["enterprise"], w["lab"], **data)


def register_contract(client, project, **fields):
    """The contract is registered by its step (登记合同), never an edit."""
    data = dict(fields, id=project.id, version=models.Project.get_by_id(project.id).version,
                csrf_token=csrf_token(client, "/admin/"))
    return client.post("/admin/project/register_contract/", data=data)


def test_r10_contract_needs_the_voucher_clause(client, as_role, clock):
    w = factories.world()
    p = granted_project(w)
    as_role("clerk")
    contract = dict(contract_amount="100000.00", contract_signed_on="2026-03-10", contract_voucher_amount="50000.00")
    refused(register_contract(client, p, **contract), "合同须约定创新券相关内容")
    refused(register_contract(client, p, **dict(contract, contract_signed_on="2026-02-01")),
            "早于创新券发放（2026-03-01），且未约定创新券内容")
    refused(register_contract(client, p, **dict(contract, contract_has_voucher_clause="y", contract_voucher_amount="")),
            "此项为必填项")
    assert models.Project.get_by_id(p.id).contract_signed_on is None
    saved(register_contract(client, p, **dict(contract, contract_has_voucher_clause="y")))
    assert models.Project.get_by_id(p.id).contract_has_voucher_clause


def test_r10_amounts_in_order(client, as_role, clock):
    w = factories.world()
    p = granted_project(w)
    as_role("clerk")
    contract = dict(contract_amount="100000.00", contract_signed_on="2026-03-10", contract_has_voucher_clause="y")
    refused(register_contract(client, p, **dict(contract, contract_voucher_amount="50000.01")),
            "合同约定的创新券额度 50,000.01 元 超过创新券金额 50,000.00 元")
    refused(register_contract(client, p, **dict(contract, contract_amount="49999.99", contract_voucher_amount="40000.00")),
            "创新券金额 50,000.00 元 超过审定合同额 49,999.99 元")
    saved(register_contract(client, p, **dict(contract, contract_amount="50000.00", contract_voucher_amount="50000.00")))


def test_amounts_must_be_positive(client, as_role):
    w = factories.world()
    as_role("clerk")
    refused(create(client, "project", **project_form(w, voucher_amount="0")), "创新券金额（元）应大于 0")
    refused(create(client, "project", **project_form(w, voucher_amount="-5")), "应大于 0")


# --- R11 -----------------------------------------------------------------------------

def purchase_form(project, product, amount, on="2026-06-01"):
    return dict(project=project.id, product=product.id, amount=amount, purchased_on=on)


def test_r11_exactly_thirty_percent_passes_one_fen_more_fails(client, as_role):
    w = factories.world()  # contract 100,000.00 with a 1,000.00 purchase already
    as_role("clerk")
    p, prod = w["project"], w["new_tech_product"]
    refused(create(client, "project_purchase", **purchase_form(p, prod, "29000.01")),
            "合计将为 30,000.01 元，超过审定合同额 100,000.00 元 的 30%（30,000.00 元）")
    assert models.Project.purchases_total(p.id) == Decimal("1000.00")
    saved(create(client, "project_purchase", **purchase_form(p, prod, "29000.00")))
    assert models.Project.purchases_total(p.id) == Decimal("30000.00")
    refused(create(client, "project_purchase", **purchase_form(p, prod, "0.01")), "超过")


def test_r11_one_by_one_and_edits(client, as_role):
    w = factories.world()
    as_role("clerk")
    p, prod = w["project"], w["new_tech_product"]
    for _ in range(4):
        saved(create(client, "project_purchase", **purchase_form(p, prod, "7000.00")))
    assert models.Project.purchases_total(p.id) == Decimal("29000.00")
    refused(create(client, "project_purchase", **purchase_form(p, prod, "1000.01")), "超过")
    first = w["project_purchase"]
    refused(resubmit(client, edit_url("project_purchase", first), amount="2000.01"), "30,000.01 元")
    assert models.ProjectPurchase.get_by_id(first.id).amount == Decimal("1000.00")
    saved(resubmit(client, edit_url("project_purchase", first), amount="2000.00"))


def test_r11_contract_amount_cannot_drop_below_purchases():
    w = factories.world()
    factories.purchase(w["project"], w["new_tech_product"], amount=Decimal("14000.00"))  # 15,000 in all
    # The contract's amount is locked once registered (program/locks.py); the
    # rule still stands for any path that would lower it.
    project = models.Project.get_by_id(w["project"].id)
    project.contract_amount = Decimal("49999.99")
    with pytest.raises(RuleViolation, match="合同额不能低于 50,000.00 元"):
        rules.r11_contract_covers_purchases(project)
    project.contract_amount = Decimal("50000.00")
    rules.r11_contract_covers_purchases(project)


def test_r11_product_valid_on_the_purchase_date_inclusive(client, as_role):
    w = factories.world()
    prod = factories.product(valid_from=datetime.date(2026, 2, 1), valid_to=datetime.date(2026, 8, 31))
    as_role("clerk")
    p = w["project"]
    refused(create(client, "project_purchase", **purchase_form(p, prod, "100.00", "2026-01-31")),
            "不在“" + prod.name + "”的公示有效期（2026-02-01 至 2026-08-31）内")
    refused(create(client, "project_purchase", **purchase_form(p, prod, "100.00", "2026-09-01")), "公示有效期")
    saved(create(client, "project_purchase", **purchase_form(p, prod, "100.00", "2026-02-01")))
    saved(create(client, "project_purchase", **purchase_form(p, prod, "100.00", "2026-08-31")))
    assert models.ProjectPurchase.select().where(models.ProjectPurchase.product == prod).count() == 2


def test_r11_needs_a_contract_amount(client, as_role):
    w = factories.world()
    p = granted_project(w)
    as_role("clerk")
    refused(create(client, "project_purchase", **purchase_form(p, w["new_tech_product"], "100.00")),
            "尚无审定合同额")


def test_r11_follows_the_policy_setting(client, as_role):
    w = factories.world()
    factories.set_policy("r11_purchase_cap_ratio", "0.40")
    as_role("clerk")
    saved(create(client, "project_purchase", **purchase_form(w["project"], w["new_tech_product"], "39000.00")))
    refused(create(client, "project_purchase", **purchase_form(w["project"], w["new_tech_product"], "0.01")),
            "的 40%（40,000.00 元）")


# --- annual cap per enterprise (policy) -------------------------------------------------

def test_annual_voucher_cap_per_enterprise(client, as_role):
    w = factories.world()  # the enterprise already has a 50,000.00 project this year
    as_role("clerk")
    saved(create(client, "project", **project_form(w, voucher_amount="90000.00")))  # no cap by default
    factories.set_policy("annual_voucher_cap_per_enterprise", "200000")
    refused(create(client, "project", **project_form(w, title="第三个", voucher_amount="60000.01")),
            "年度创新券金额合计将为 200,000.01 元，超过年度上限 200,000.00 元")
    saved(create(client, "project", **project_form(w, title="第三个", voucher_amount="60000.00")))


# --- R12 -----------------------------------------------------------------------------

def test_r12_completion_review_records(app):
    w = factories.world()
    p = models.Project.get_by_id(w["project"].id)
    p.completion_result = "failed"
    p.completion_reason = "未完成约定的研发任务"
    with pytest.raises(checks.RuleViolation, match="须认定责任方"):
        p.save()
    p.liable_party = "per_contract"
    p.save()
    p.completion_result, p.completion_reason, p.liable_party = "passed", "", None
    with pytest.raises(checks.RuleViolation, match="结题意见"):
        p.save()
    p.completion_reason = "按合同完成"
    p.save()
    assert models.Project.get_by_id(p.id).completion_result == "passed"


# --- General -------------------------------------------------------------------------

def test_contacts_are_checked(client, as_role):
    ri = factories.recommending_institution()
    as_role("clerk")
    url = edit_url("recommending_institution", ri)
    refused(resubmit(client, url, contact_phone="1380013800"), "联系电话格式不正确")
    refused(resubmit(client, url, contact_email="wang@"), "电子邮箱格式不正确")
    saved(resubmit(client, url, contact_phone="010-62345678", contact_email="wang@example.com.cn"))


def test_product_dates_are_consistent(client, as_role):
    as_role("clerk")
    refused(create(client, "new_tech_product", name="检测仪", supplier="某公司", catalogue_ref="XJS-1",
                   valid_from="2026-05-02", valid_to="2026-05-01"), "有效期止 2026-05-01 早于有效期起 2026-05-02")
    saved(create(client, "new_tech_product", name="检测仪", supplier="某公司", catalogue_ref="XJS-1",
                 valid_from="2026-05-01", valid_to="2026-05-01"))


def test_evaluation_score_range(client, as_role):
    si = factories.service_institution()
    as_role("clerk")
    refused(create(client, "performance_evaluation", institution=si.id, year="2025", score="100.1", grade="excellent"),
            "得分应在 0 至 100 之间")
    saved(create(client, "performance_evaluation", institution=si.id, year="2025", score="100", grade="excellent"))


def test_several_problems_are_shown_at_once(client, as_role):
    ri = factories.recommending_institution(status="rejected")
    as_role("clerk")
    errors = field_errors(resubmit(client, edit_url("recommending_institution", ri),
                                   served_enterprise_count="3", contact_email="bad"))
    assert any("应不少于 30 家" in e for e in errors) and any("电子邮箱格式不正确" in e for e in errors)


# --- policy settings ---------------------------------------------------------------

def test_every_policy_setting_has_a_chinese_name_on_its_screen(client, as_role, app):
    from program import parameters

    assert set(models.PolicySetting.NAMES) == set(parameters.PARAMETERS)
    app.test_cli_runner().invoke(args=["init-db"])
    as_role("admin")
    page = client.get("/admin/policy_setting/").get_data(as_text=True)
    assert "每家企业年度创新券金额上限" in page and "不设上限" in page
    assert "annual_voucher_cap_per_enterprise" not in page.split('id="filter-groups-data"')[0].split("<table")[1]


def test_policy_settings_are_admin_only_checked_and_audited(client, as_role, app):
    """A change is a new version from a later date; a pending one is changed
    or withdrawn; every write audited (tests/test_policy_versions.py: the
    rules that read them)."""
    app.test_cli_runner().invoke(args=["init-db"])
    setting = models.PolicySetting.get(models.PolicySetting.key == "r11_purchase_cap_ratio")
    assert setting.value == "0.30"
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    as_role("clerk")
    assert client.get(edit_url("policy_setting", setting)).status_code == 403
    assert client.get("/admin/policy_setting/new/").status_code == 403
    as_role("admin")

    def add(value, since):
        return create(client, "policy_setting", key="r11_purchase_cap_ratio", value=value,
                      effective_from=since.isoformat())

    refused(add("1.5", tomorrow), "比例应为大于 0、不大于 1 的小数")
    refused(add("0.25", datetime.date.today()), "生效日期应晚于今天")
    refused(add("0.25", datetime.date(2026, 1, 1)), "生效日期应晚于今天")
    saved(add("0.25", tomorrow))
    refused(add("0.20", tomorrow), f"已有自 {tomorrow} 起生效的版本")
    assert parameters.ratio("r11_purchase_cap_ratio") == Decimal("0.30")
    assert parameters.ratio("r11_purchase_cap_ratio", tomorrow) == Decimal("0.25")
    pending = models.PolicySetting.get(models.PolicySetting.effective_from == tomorrow)
    created = models.AuditLog.get(models.AuditLog.model == "policy_setting", models.AuditLog.action == "create")
    assert created.object_id == pending.id and created.changes_dict["value"] == [None, "0.25"]
    saved(resubmit(client, edit_url("policy_setting", pending), value="0.20"))
    assert parameters.ratio("r11_purchase_cap_ratio", tomorrow) == Decimal("0.20")
    withdrawn = client.post("/admin/policy_setting/delete/", data={
        "id": pending.id, "csrf_token": csrf_token(client, "/admin/policy_setting/")})
    assert withdrawn.status_code == 302
    assert models.PolicySetting.get_or_none(models.PolicySetting.id == pending.id) is None
    assert models.AuditLog.get(models.AuditLog.model == "policy_setting", models.AuditLog.action == "delete")
    assert parameters.ratio("r11_purchase_cap_ratio", tomorrow) == Decimal("0.30")


def test_the_form_shows_field_names_of_the_model(client, as_role):
    w = factories.world()
    draft = factories.project(w["enterprise"], w["lab"])
    as_role("clerk")
    fields = set(read_form(client, edit_url("project", draft)))
    assert {"title", "enterprise", "lab", "activity_type", "voucher_amount"} <= fields
