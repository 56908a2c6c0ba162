"""Create, read, edit and delete every record through the screens, reading
the database back; refusals in Chinese that write nothing; no cascades."""
import datetime
from decimal import Decimal

import pytest

import models
from tests import factories
from tests.support import csrf_token


def post_form(client, url, data):
    data = dict(data, csrf_token=csrf_token(client, url))
    return client.post(url, data=data)


def payloads(w):
    """A valid create form for each table, and the field an edit changes."""
    return {
        "recommending_institution": (models.RecommendingInstitution, {
            "name": "北京海淀创业服务中心", "credit_code": factories.credit_code(900001),
            "contact_name": "王芳", "contact_phone": "13812345678", "contact_email": "wf@example.cn",
            "served_enterprise_count": "45", "promised_event_count": "3",
            "work_mechanism": "专人负责", "safeguards": "年度计划"}, ("contact_name", "李强")),
        "promotion_event": (models.PromotionEvent, {
            "institution": w["recommending_institution"].id, "kind": "promotion",
            "held_on": "2026-04-02", "title": "海淀区创新券政策宣讲会", "participant_count": "60"},
            ("participant_count", "75")),
        "service_institution": (models.ServiceInstitution, {
            "name": "北京科技大学技术转移中心", "credit_code": factories.credit_code(900002),
            "parent_org_name": "北京科技大学", "parent_org_type": "university",
            "parent_in_platform": "y", "is_independent_legal_entity": "y"}, ("parent_org_name", "北京科技大学（本部）")),
        "performance_evaluation": (models.PerformanceEvaluation, {
            "institution": w["service_institution"].id, "year": "2024", "score": "91.5",
            "grade": "excellent", "comments": "服务突出"}, ("comments", "持续优秀")),
        "domain_center_member": (models.DomainCenterMember, {
            "name": "北京精工设计股份有限公司", "credit_code": factories.credit_code(900003),
            "org_type": "private_enterprise", "domain_center": w["domain_center_member"].domain_center_id,
            "field": "industrial_design"}, ("name", "北京精工设计集团")),
        "lab": (models.Lab, {
            "name": "材料表面工程北京市重点实验室", "category": "beijing_key_lab",
            "recognition_ref": "京科发〔2023〕12号", "service_institution": w["service_institution"].id,
            "capabilities": ["testing", "industrial_design"]}, ("recognition_ref", "京科发〔2024〕8号")),
        "enterprise": (models.Enterprise, {
            "name": "北京云岗智能科技有限公司", "kind": "micro", "credit_code": factories.credit_code(900004),
            "district": "fengtai", "employee_count": "12", "annual_revenue": "1500000.50",
            "contact_name": "陈静", "contact_phone": "13612345678", "contact_email": "cj@example.cn"},
            ("employee_count", "15")),
        "new_tech_product": (models.NewTechProduct, {
            "name": "工业视觉检测系统", "supplier": "北京视觉股份有限公司", "catalogue_ref": "XJS-2026-9001",
            "valid_from": "2026-01-01", "valid_to": "2027-12-31"}, ("supplier", "北京视觉科技股份有限公司")),
        "project": (models.Project, {
            "title": "精密零件性能检测项目", "enterprise": w["enterprise"].id, "lab": w["lab"].id,
            "activity_type": "testing", "priority_theme": "digital", "voucher_amount": "30000.00"},
            ("title", "精密零件性能检测与改进项目")),
        "project_purchase": (models.ProjectPurchase, {
            "project": w["project"].id, "product": w["new_tech_product"].id, "amount": "2000.00",
            "purchased_on": "2026-05-01"}, ("amount", "2500.00")),
    }


# policy_setting has rules of its own (tests/test_input_safety.py): its keys
# are fixed and never deleted.
TABLES = ("recommending_institution", "promotion_event", "service_institution", "performance_evaluation",
          "domain_center_member", "lab", "enterprise", "new_tech_product", "project", "project_purchase")


@pytest.mark.parametrize("table", TABLES)
def test_create_edit_delete_round_trip(client, as_role, table):
    w = factories.world()
    as_role("admin")
    model, data, (edit_field, edit_value) = payloads(w)[table]
    before = model.select().count()

    response = post_form(client, f"/admin/{table}/new/", data)
    assert response.status_code == 302, _errors(response)
    assert model.select().count() == before + 1
    row = model.select().order_by(model.id.desc()).get()
    for name, value in data.items():
        stored = getattr(row, name)
        stored = getattr(stored, "id", stored)
        if isinstance(value, list):
            assert sorted(stored) == sorted(value)
        elif isinstance(stored, bool):
            assert stored is (value == "y")
        elif isinstance(stored, Decimal):
            assert stored == Decimal(value)
        elif isinstance(stored, datetime.date):
            assert stored.isoformat() == value
        else:
            assert str(stored if stored is not None else "") == str(value), name
    assert models.AuditLog.select().where(models.AuditLog.action == "create", models.AuditLog.model == table,
                                          models.AuditLog.object_id == row.id).exists()

    details = client.get(f"/admin/{table}/details/?id={row.id}")
    assert details.status_code == 200

    edit_url = f"/admin/{table}/edit/?id={row.id}"
    response = post_form(client, edit_url, dict(data, version=row.version, **{edit_field: edit_value}))
    assert response.status_code == 302, _errors(response)
    stored = getattr(model.get_by_id(row.id), edit_field)
    assert str(stored) == edit_value
    change = models.AuditLog.get(models.AuditLog.action == "edit", models.AuditLog.object_id == row.id,
                                 models.AuditLog.model == table)
    assert edit_field in change.changes_dict

    response = client.post(
        f"/admin/{table}/delete/", data={"id": row.id, "csrf_token": csrf_token(client, f"/admin/{table}/")})
    assert response.status_code == 302
    assert model.get_or_none(model.id == row.id) is None
    assert models.AuditLog.select().where(models.AuditLog.action == "delete", models.AuditLog.object_id == row.id,
                                          models.AuditLog.model == table).exists()


def _errors(response):
    import re

    text = response.get_data(as_text=True)
    found = re.findall(r'<div class="invalid-feedback">(.*?)</div>', text, re.S)
    flashes = re.findall(r'alert-(?:danger|error)[^>]*>(.*?)</div>', text, re.S)
    return f"{response.status_code} {found} {flashes}"


def test_required_fields_are_refused_in_chinese_and_nothing_is_written(client, as_role):
    as_role("clerk")
    response = post_form(client, "/admin/enterprise/new/", {"name": "", "kind": "", "district": ""})
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This field is required" not in text and "Not a valid choice" not in text
    assert "invalid-feedback" in text
    assert models.Enterprise.select().count() == 0


def test_duplicate_name_is_refused_beside_the_field(client, as_role):
    w = factories.world()
    as_role("clerk")
    _, data, _ = payloads(w)["enterprise"]
    response = post_form(client, "/admin/enterprise/new/", dict(data, name=w["enterprise"].name))
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"企业（团队）名称“{w['enterprise'].name}”已存在" in text
    assert models.Enterprise.select().count() == 1


def test_duplicate_check_ignores_the_record_itself(client, as_role):
    w = factories.world()
    as_role("clerk")
    ent = w["enterprise"]
    _, data, _ = payloads(w)["enterprise"]
    data = dict(data, name=ent.name, credit_code=ent.credit_code, version=ent.version)
    response = post_form(client, f"/admin/enterprise/edit/?id={ent.id}", data)
    assert response.status_code == 302, _errors(response)


def test_bad_number_is_refused_in_chinese(client, as_role):
    w = factories.world()
    as_role("clerk")
    _, data, _ = payloads(w)["project"]
    response = post_form(client, "/admin/project/new/", dict(data, voucher_amount="三万"))
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Not a valid decimal value" not in text and "invalid-feedback" in text
    assert models.Project.select().count() == 1


def test_status_cannot_be_set_through_a_form(client, as_role):
    w = factories.world()
    as_role("clerk")
    lab = w["lab"]
    models.Lab.update(status="draft").where(models.Lab.id == lab.id).execute()
    _, data, _ = payloads(w)["lab"]
    page = client.get(f"/admin/lab/edit/?id={lab.id}").get_data(as_text=True)
    assert 'name="status"' not in page
    response = post_form(client, f"/admin/lab/edit/?id={lab.id}",
                         dict(data, status="approved", version=models.Lab.get_by_id(lab.id).version))
    assert response.status_code == 302, _errors(response)
    assert models.Lab.get_by_id(lab.id).status == "draft"


def test_project_code_is_generated_and_unique(client, as_role):
    w = factories.world()
    as_role("clerk")
    _, data, _ = payloads(w)["project"]
    post_form(client, "/admin/project/new/", data)
    post_form(client, "/admin/project/new/", dict(data, title="第二个项目"))
    codes = [p.code for p in models.Project.select()]
    assert len(codes) == len(set(codes)) == 3
    assert all(c.startswith(f"CXQ{datetime.date.today().year}") and len(c) == 13 for c in codes)


def test_a_referenced_record_is_not_deleted_in_cascade(client, as_role):
    w = factories.world()
    as_role("admin")
    lab = w["lab"]
    token = csrf_token(client, "/admin/lab/")
    response = client.post("/admin/lab/delete/", data={"id": lab.id, "csrf_token": token}, follow_redirects=True)
    assert "仍被以下记录引用，不能删除" in response.get_data(as_text=True)
    assert "创新券项目 1 条" in response.get_data(as_text=True)
    assert models.Lab.get_or_none(models.Lab.id == lab.id) is not None
    assert models.Project.select().where(models.Project.lab == lab.id).count() == 1


def test_bulk_delete_refuses_referenced_rows_and_deletes_the_rest(client, as_role):
    w = factories.world()
    spare = factories.product(name="无人购买的产品")
    as_role("clerk")
    token = csrf_token(client, "/admin/new_tech_product/")
    response = client.post("/admin/new_tech_product/action/", data={
        "action": "delete", "rowid": [w["new_tech_product"].id, spare.id], "csrf_token": token,
    }, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "不能删除" in text and "批量删除：办理 1 条，未办理 1 条" in text
    assert models.NewTechProduct.get_or_none(models.NewTechProduct.id == spare.id) is None
    assert models.NewTechProduct.get_or_none(models.NewTechProduct.id == w["new_tech_product"].id) is not None


def test_user_accounts_by_admin_hash_the_password(client, as_role):
    as_role("admin")
    response = post_form(client, "/admin/user/new/", {
        "username": "newclerk", "display_name": "新同事", "role": "clerk", "is_active": "y",
        "password": "Sehr-geheim-123"})
    assert response.status_code == 302, _errors(response)
    user = models.User.get(models.User.username == "newclerk")
    assert "Sehr-geheim-123" not in user.password_hash
    created = models.AuditLog.get(models.AuditLog.action == "create", models.AuditLog.model == "user")
    assert not {"password", "password_hash"} & set(created.changes_dict)
    assert user.password_hash not in created.changes
    details = client.get(f"/admin/user/details/?id={user.id}").get_data(as_text=True)
    assert user.password_hash not in details


def test_new_account_without_password_is_refused(client, as_role):
    as_role("admin")
    response = post_form(client, "/admin/user/new/", {"username": "nopass", "role": "clerk", "is_active": "y"})
    assert "新建账号必须设置密码" in response.get_data(as_text=True)
    assert not models.User.select().where(models.User.username == "nopass").exists()
