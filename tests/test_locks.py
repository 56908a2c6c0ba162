"""Records lock by state (program/locks.py): what a decision rests on is
shown as text, a crafted POST cannot change it, a decided record is not
deleted, and 退回修改 reopens it as a draft, audited."""
import datetime
import re
from decimal import Decimal

import pytest

import models
from program import locks
from program.checks import RuleViolation
from tests import factories
from tests.formtools import field_errors, read_form
from tests.support import csrf_token, version_of


def crafted_edit(client, table, record, **values):
    """An edit posted by hand: the form's fields, and others it does not have."""
    url = f"/admin/{table}/edit/?id={record.id}"
    data = {k: v for k, v in read_form(client, url).items() if k != "csrf_token"}
    data.update(values, csrf_token=csrf_token(client, url))
    return client.post(url, data=data)


def test_a_granted_projects_application_is_read_only_text(client, as_role):
    w = factories.world()
    project = factories.project(w["enterprise"], w["lab"], status="granted", title="已发放项目",
                                voucher_granted_on=datetime.date(2026, 3, 1))
    as_role("clerk")
    html = client.get(f"/admin/project/edit/?id={project.id}").get_data(as_text=True)
    assert 'id="lock-note"' in html and "退回修改" in html
    assert 'id="locked-title"' in html and "已发放项目" in html
    assert 'id="locked-voucher_amount"' in html and "50,000.00" in html
    assert 'name="title"' not in html and 'name="voucher_amount"' not in html


@pytest.mark.parametrize("state", ("submitted", "granted", "contracted", "passed", "failed"))
def test_a_crafted_post_changes_no_locked_field(client, as_role, state):
    w = factories.world()
    if state == "submitted":
        extra = {}
    elif state == "granted":
        extra = {"voucher_granted_on": datetime.date(2026, 3, 1)}
    else:
        extra = factories.contracted()
    extra["status"] = state
    if state == "passed":
        extra.update(completion_result="passed", completion_reason="完成")
    if state == "failed":
        extra.update(completion_result="failed", completion_reason="未完成", liable_party="lab")
    project = factories.project(w["enterprise"], w["lab"], title="原名称", **extra)
    before = models.Project.get_by_id(project.id)
    as_role("clerk")
    response = crafted_edit(client, "project", project, title="改过的名称", voucher_amount="99999.00",
                            contract_amount="1.00", status="draft", completion_reason="改写")
    assert response.status_code == 302  # taken as a save of the form's open fields: none changed
    after = models.Project.get_by_id(project.id)
    for name in ("title", "voucher_amount", "contract_amount", "status", "completion_reason"):
        assert getattr(after, name) == getattr(before, name), name


def test_an_approved_labs_qualification_locks_but_its_contacts_stay_open(client, as_role):
    w = factories.world()
    lab = w["lab"]
    as_role("clerk")
    html = client.get(f"/admin/lab/edit/?id={lab.id}").get_data(as_text=True)
    assert 'id="locked-name"' in html and 'id="locked-category"' in html and 'name="contact_name"' in html
    response = crafted_edit(client, "lab", lab, name="偷改的名称", category="other", contact_name="新联系人")
    assert response.status_code == 302, field_errors(response)
    kept = models.Lab.get_by_id(lab.id)
    assert kept.name == lab.name and kept.category == lab.category and kept.contact_name == "新联系人"


def test_no_path_changes_a_locked_field(client):
    w = factories.world()
    lab = models.Lab.get_by_id(w["lab"].id)
    lab.name = "命令行改名"
    with pytest.raises(RuleViolation, match="已锁定"):
        lab.save()
    assert models.Lab.get_by_id(lab.id).name == w["lab"].name
    assert "name" in locks.locked_fields(lab) and locks.locked_fields(factories.lab(w["service_institution"],
                                                                                   status="draft")) == ()


def test_a_decided_record_is_not_deleted(client, as_role):
    w = factories.world()
    as_role("clerk")
    response = client.post("/admin/lab/delete/", data={"id": w["lab"].id,
                                                       "csrf_token": csrf_token(client, "/admin/lab/")})
    assert response.status_code == 302
    assert models.Lab.get_or_none(models.Lab.id == w["lab"].id) is not None
    assert "不能删除" in client.get("/admin/lab/").get_data(as_text=True)


def test_return_for_revision_reopens_a_granted_project(client, as_role):
    w = factories.world()
    project = factories.project(w["enterprise"], w["lab"], status="granted",
                                voucher_granted_on=datetime.date(2026, 3, 1))
    as_role("clerk")
    url = "/admin/project/return_for_revision/"
    refused = client.post(url, data={"id": project.id, "version": version_of("project", project.id),
                                     "opinion": "", "csrf_token": csrf_token(client, "/admin/")})
    assert "退回修改须填写意见" in refused.get_data(as_text=True)
    client.post(url, data={"id": project.id, "version": version_of("project", project.id),
                           "opinion": "企业申请调整合作内容", "csrf_token": csrf_token(client, "/admin/")})
    reopened = models.Project.get_by_id(project.id)
    assert reopened.status == "draft" and reopened.voucher_granted_on is None
    row = models.AuditLog.get(models.AuditLog.action == "return_for_revision")
    assert row.changes_dict["opinion"] == "企业申请调整合作内容"
    # Open again: the application can be corrected.
    response = crafted_edit(client, "project", reopened, voucher_amount="40000.00")
    assert response.status_code == 302, field_errors(response)
    assert models.Project.get_by_id(project.id).voucher_amount == Decimal("40000.00")


def test_a_project_with_purchases_keeps_its_contract(client, as_role):
    w = factories.world()  # its project is contracted, with a purchase (R11)
    as_role("clerk")
    response = client.post("/admin/project/return_for_revision/", data={
        "id": w["project"].id, "version": version_of("project", w["project"].id), "opinion": "调整",
        "csrf_token": csrf_token(client, "/admin/")})
    assert "审定合同额不能为空" in response.get_data(as_text=True)
    assert models.Project.get_by_id(w["project"].id).status == "contracted"


def test_the_form_for_a_closed_project_says_everything_is_locked(client, as_role):
    w = factories.world()
    closed = factories.project(w["enterprise"], w["lab"], **dict(factories.contracted(), status="passed",
                                                                   completion_result="passed",
                                                                   completion_reason="完成"))
    as_role("clerk")
    html = client.get(f"/admin/project/edit/?id={closed.id}").get_data(as_text=True)
    assert "全部字段均已锁定" in html
    assert not re.search(r'<(input|select|textarea)[^>]*name="(title|enterprise|lab|voucher_amount)"', html)


def test_the_approver_cannot_rewrite_what_was_submitted(client, as_role):
    """What is approved is what was submitted: under review, the application
    is locked, so the colleague who grants cannot first change the amount."""
    w = factories.world()
    project = factories.project(w["enterprise"], w["lab"], status="submitted", title="原申报")
    lab = factories.lab(w["service_institution"], name="待审实验室", status="submitted")
    as_role("clerk")
    assert crafted_edit(client, "project", project, title="审核人改过", voucher_amount="49000.00").status_code == 302
    assert (models.Project.get_by_id(project.id).title, models.Project.get_by_id(project.id).voucher_amount) == (
        "原申报", Decimal("50000.00"))
    crafted_edit(client, "lab", lab, name="改名实验室")
    assert models.Lab.get_by_id(lab.id).name == "待审实验室"
    html = client.get(f"/admin/project/edit/?id={project.id}").get_data(as_text=True)
    assert "已提交审核" in html and 'name="voucher_amount"' not in html
    assert f'id="lock-reopen" href="/admin/project/return_for_revision/?id={project.id}"' in html

    # To change it, the office returns it for revision: a draft again, audited.
    url = f"/admin/project/return_for_revision/?id={project.id}"
    client.post(url, data={"id": project.id, "version": version_of("project", project.id),
                           "opinion": "金额需按合同报价调整", "csrf_token": csrf_token(client, url)})
    assert models.Project.get_by_id(project.id).status == "draft"
    row = models.AuditLog.get(models.AuditLog.action == "return_for_revision")
    assert row.object_id == project.id and "金额需按合同报价调整" in row.changes


def test_saving_a_fully_locked_record_writes_nothing(client, as_role):
    w = factories.world()
    project = factories.project(w["enterprise"], w["lab"], **{**factories.contracted(), "status": "passed"},
                                completion_result="passed", completion_reason="完成")
    as_role("clerk")
    trail = models.AuditLog.select().count()
    response = crafted_edit(client, "project", project, title="改过的名称")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "没有修改任何内容" in page and "保存记录成功" not in page
    assert models.Project.get_by_id(project.id).version == project.version
    assert models.AuditLog.select().count() == trail


def test_the_list_offers_no_edit_on_a_closed_record_and_no_delete_on_a_decided_one(client, as_role):
    w = factories.world()
    closed = factories.project(w["enterprise"], w["lab"], **{**factories.contracted(), "status": "passed"},
                               completion_result="passed", completion_reason="完成")
    draft = factories.project(w["enterprise"], w["lab"], title="草稿项目")
    as_role("clerk")
    html = client.get("/admin/project/").get_data(as_text=True)
    assert f"/admin/project/edit/?id={closed.id}&" not in html
    assert f"/admin/project/edit/?id={draft.id}&" in html
    granted = w["project"]  # the world's contracted project: editable in part, never deleted
    assert f"/admin/project/edit/?id={granted.id}&" in html
    rows = re.findall(r'<form class="icon" method="POST" action="/admin/project/delete/">.*?name="id" value="(\d+)"',
                      html, re.S)
    assert str(draft.id) in rows and str(granted.id) not in rows and str(closed.id) not in rows
