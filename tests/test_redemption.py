"""兑付 (redemption, DOMAIN.md §6, issue 13 item 1) through the screens: a
project taken from application to 已兑付 by two clerks; the amount bounded
by the voucher and the contract's voucher sum; a failed project never
redeemed; a rejected request back to 结题通过 with its reason; the
separation of duties; the locks; the work queue."""
import datetime
import io
import os
from decimal import Decimal

import pytest

import models
from program import invariants
from program.checks import RuleViolation
from tests import factories
from tests.formtools import field_errors
from tests.support import csrf_token, version_of


def take(client, name, project, opinion="同意", **fields):
    data = {"id": project.id, "version": version_of("project", project.id), "opinion": opinion,
            "csrf_token": csrf_token(client, "/admin/"), **fields}
    return client.post(f"/admin/project/{name}/", data=data)


def fresh(project):
    return models.Project.get_by_id(project.id)


def request(**changes):
    """申请兑付's fields, with the materials (a new upload each time)."""
    return {"redemption_amount": "50000.00", "invoice_no": "No.20260901", "redemption_requested_on": "2026-09-01",
            "redemption_materials": factories.pdf_upload(), **changes}


PAY = {"redeemed_on": "2026-09-20", "payment_ref": "兑付〔2026〕18号"}


def test_a_project_from_application_to_redeemed(client, as_role, clock):
    w = factories.world()
    project = factories.project(w["enterprise"], w["lab"], voucher_amount=Decimal("60000.00"))
    as_role("clerk")
    steps = [("submit", {}), ("grant", {"voucher_granted_on": "2026-03-01"}),
             ("register_contract", {"contract_signed_on": "2026-03-15", "contract_amount": "150000.00",
                                    "contract_has_voucher_clause": "y", "contract_voucher_amount": "50000.00"}),
             ("pass_review", {"completion_reason": "按合同完成，同意结题"})]
    for n, (name, fields) in enumerate(steps):
        if name == "grant":
            as_role("clerk")  # another clerk decides what one submitted
        response = take(client, name, project, **fields)
        assert response.status_code == 302, field_errors(response)
    assert fresh(project).status == "passed"

    # Dates that have not happened, or out of order: refused beside their field.
    clock(datetime.date(2026, 8, 31))
    response = take(client, "request_redemption", project, **request())
    assert "“兑付申请日期”为 2026-09-01，不能晚于今天（2026-08-31）" in field_errors(response)
    response = take(client, "request_redemption", project, **request(redemption_requested_on="2026-03-10"))
    assert "兑付申请日期 2026-03-10 早于合同签订日期 2026-03-15" in field_errors(response)
    clock(datetime.date(2026, 9, 25))
    # More than the contract's voucher sum (50,000), or than the voucher: refused, nothing moves.
    response = take(client, "request_redemption", project, **request(redemption_amount="55000.00"))
    assert "兑付金额 55,000.00 元 超过合同约定的创新券额度 50,000.00 元" in field_errors(response)
    assert fresh(project).status == "passed" and fresh(project).redemption_amount is None
    response = take(client, "request_redemption", project, **request())
    assert response.status_code == 302, field_errors(response)
    requested = fresh(project)
    assert requested.status == "redemption_requested" and requested.redemption_amount == Decimal("50000.00")
    assert requested.invoice_no == "No.20260901" and requested.redemption_requested_on == datetime.date(2026, 9, 1)

    # The clerk who asked does not decide.
    page = client.get(f"/admin/project/redeem/?id={project.id}", follow_redirects=True).get_data(as_text=True)
    assert "您申请的兑付需由其他工作人员审核" in page
    assert take(client, "redeem", project, **PAY).status_code == 200
    assert fresh(project).status == "redemption_requested"

    as_role("clerk")
    queue = client.get("/admin/").get_data(as_text=True)
    assert "已申请兑付待审核" in queue
    response = take(client, "redeem", project, **{**PAY, "redeemed_on": "2026-08-30"})
    assert "兑付日期 2026-08-30 早于兑付申请日期 2026-09-01" in field_errors(response)
    response = take(client, "redeem", project, **PAY)
    assert response.status_code == 302, field_errors(response)
    paid = fresh(project)
    assert (paid.status, paid.redeemed_on, paid.payment_ref) == ("redeemed", datetime.date(2026, 9, 20), "兑付〔2026〕18号")
    trail = [a.action for a in models.AuditLog.select().where(models.AuditLog.model == "project",
                                                                 models.AuditLog.object_id == project.id)
             .order_by(models.AuditLog.id)]
    assert trail[-2:] == ["request_redemption", "redeem"]
    # Redeemed is final: the record is locked and cannot be deleted.
    token = csrf_token(client, "/admin/")
    client.post(f"/admin/project/edit/?id={project.id}", data={"title": "改名", "version": paid.version,
                                                                "csrf_token": token})
    assert fresh(project).title == paid.title
    client.post("/admin/project/delete/", data={"id": project.id, "csrf_token": token})
    assert fresh(project).status == "redeemed"


def files_under(folder):
    return sorted(os.path.join(root, name) for root, _, names in os.walk(folder) for name in names)


def test_the_request_carries_its_materials(client, as_role, app):
    """申请兑付 takes the invoice and completion papers as an upload: stored
    in the transition's transaction, nothing left of a refused request."""
    w = factories.world()
    project = factories.project(w["enterprise"], w["lab"], **factories.completed("passed"))
    folder, files_before = app.config["UPLOAD_DIR"], models.StoredFile.select().count()
    on_disk = files_under(app.config["UPLOAD_DIR"])
    as_role("clerk")
    page = client.get(f"/admin/project/request_redemption/?id={project.id}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'name="redemption_materials"' in page
    assert "不超过 50,000.00 元（创新券金额与合同约定的创新券额度中的较小者）" in page
    refusals = (
        (request(redemption_materials=None), "此项为必填项"),
        (request(redemption_materials=(io.BytesIO(b"just text, not an invoice"), "发票.txt")), "文件类型不允许"),
        (request(redemption_amount="55000.00"), "超过合同约定的创新券额度"),  # a valid PDF, a refused amount
    )
    for data, message in refusals:
        data = {k: v for k, v in data.items() if v is not None}
        errors = field_errors(take(client, "request_redemption", project, **data))
        assert any(message in e for e in errors), errors
        assert fresh(project).status == "passed" and fresh(project).redemption_materials_id is None
    assert models.StoredFile.select().count() == files_before and files_under(folder) == on_disk

    response = take(client, "request_redemption", project, **request())
    assert response.status_code == 302, field_errors(response)
    requested = fresh(project)
    stored = requested.redemption_materials
    assert stored.original_name == "发票及结题证明.pdf" and stored.content_type == "application/pdf"
    assert len(files_under(folder)) == len(on_disk) + 1
    row = models.AuditLog.get(models.AuditLog.action == "request_redemption")
    assert row.changes_dict["redemption_materials"][1] == stored.id
    details = client.get(f"/admin/project/details/?id={project.id}").get_data(as_text=True)
    link = f"/admin/project/material/redemption_materials/?id={project.id}"
    assert link in details.replace("&amp;", "&")
    download = client.get(link)
    assert download.status_code == 200 and download.data == factories.PDF

    # Sent back: the file stays with the project, still a link; the next
    # request keeps it or replaces it with a new upload.
    as_role("clerk")
    assert take(client, "reject_redemption", project, opinion="发票金额与申请不符").status_code == 302
    assert fresh(project).redemption_materials_id == stored.id
    assert client.get(link).data == factories.PDF
    page = client.get(f"/admin/project/request_redemption/?id={project.id}").get_data(as_text=True)
    assert "当前文件：发票及结题证明.pdf" in page
    replaced = take(client, "request_redemption", project,
                    **request(redemption_materials=factories.pdf_upload("更正后的发票.pdf")))
    assert replaced.status_code == 302, field_errors(replaced)
    assert fresh(project).redemption_materials.original_name == "更正后的发票.pdf"
    assert models.StoredFile.get_or_none(models.StoredFile.id == stored.id) is None  # replaced: row and file go
    assert len(files_under(folder)) == len(on_disk) + 1


def test_a_rejected_request_goes_back_with_its_reason(client, as_role):
    w = factories.world()
    project = factories.project(w["enterprise"], w["lab"], **factories.completed("redemption_requested"))
    as_role("clerk")
    response = take(client, "reject_redemption", project, opinion="")
    assert "兑付驳回须填写意见" in field_errors(response)
    response = take(client, "reject_redemption", project, opinion="发票抬头与合同甲方不一致")
    assert response.status_code == 302, field_errors(response)
    back = fresh(project)
    assert back.status == "passed" and back.redemption_amount is None and back.invoice_no is None
    row = models.AuditLog.get(models.AuditLog.action == "reject_redemption")
    assert row.changes_dict["opinion"] == "发票抬头与合同甲方不一致"
    assert row.changes_dict["redemption_amount"] == ["50000.00", None]


def test_a_failed_project_is_never_redeemed(client, as_role):
    w = factories.world()
    project = factories.project(w["enterprise"], w["lab"], **factories.completed("failed"))
    as_role("admin")
    response = take(client, "request_redemption", project, **request())
    assert any("不能申请兑付" in e for e in field_errors(response))
    details = client.get(f"/admin/project/details/?id={project.id}").get_data(as_text=True)
    assert "申请兑付" not in details
    # Nor by any other path: the rule refuses a redemption amount on it
    # (and the lock of a decided project before it).
    project = fresh(project)
    project.redemption_amount = Decimal("100.00")
    assert "只有结题通过的项目才能兑付；结题未通过的，由双方按合同约定处理" in [
        v.message for v in invariants.violations(project)]
    with pytest.raises(RuleViolation):
        project.save()


def test_redemption_decisions_in_bulk(client, as_role):
    w = factories.world()
    projects = [factories.project(w["enterprise"], w["lab"], **factories.completed("redemption_requested"))
                for _ in range(3)]
    as_role("clerk")
    ids = ",".join(str(p.id) for p in projects)
    page = client.get(f"/admin/project/bulk/redeem/?ids={ids}").get_data(as_text=True)
    assert "兑付审核通过" in page
    token = csrf_token(client, "/admin/")
    versions = {f"version_{p.id}": version_of("project", p.id) for p in projects}
    client.post("/admin/project/bulk/redeem/", data={"csrf_token": token, "ids": ids, **PAY, **versions,
                                                     "opinion": ""})
    assert {fresh(p).status for p in projects} == {"redeemed"}


def test_a_voided_voucher_frees_the_annual_cap(client, as_role):
    w = factories.world()  # its project: 50,000 this year
    project = factories.project(w["enterprise"], w["lab"], voucher_amount=Decimal("40000.00"), status="submitted")
    factories.set_policy("annual_voucher_cap_per_enterprise", "80000")
    as_role("clerk")
    response = take(client, "grant", project, voucher_granted_on="2026-03-01")
    assert any("超过年度上限" in e for e in field_errors(response))
    models.Project.update(status="voided", void_reason="发放后 15 日内未登记合同").where(
        models.Project.id == w["project"].id).execute()
    response = take(client, "grant", project, voucher_granted_on="2026-03-01")
    assert response.status_code == 302, field_errors(response)
    assert fresh(project).status == "granted"
