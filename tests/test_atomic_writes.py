"""Every write is one transaction with its audit row: a save whose audit row
cannot be written leaves nothing; uploads are moved into place only after
the commit, and a failed save leaves no file; replaced and deleted
materials go with their rows; the submitter is kept on the record."""
import io
import os

import pytest

import models
from program import audit
from tests import factories
from tests.formtools import read_form
from tests.support import csrf_token, make_user, version_of
from tests.test_crud import payloads
from tests.test_materials import PDF, ri_form, upload


def files_in(folder):
    return sorted(os.path.join(root, name) for root, _, names in os.walk(folder) for name in names)


@pytest.fixture
def break_audit(monkeypatch):
    """From the moment it is called, no audit row can be written."""

    def fail(*args, **kwargs):
        raise RuntimeError("the audit trail could not be written")

    return lambda: monkeypatch.setattr(audit, "record", fail)


def test_a_create_whose_audit_row_fails_writes_nothing(client, as_role, break_audit):
    w = factories.world()
    as_role("clerk")
    break_audit()
    _, data, _ = payloads(w)["enterprise"]
    with pytest.raises(RuntimeError):
        client.post("/admin/enterprise/new/", data=dict(data, csrf_token=csrf_token(client, "/admin/enterprise/new/")))
    assert not models.Enterprise.select().where(models.Enterprise.name == data["name"]).exists()


def test_an_edit_whose_audit_row_fails_changes_nothing(client, as_role, break_audit):
    w = factories.world()
    ent = w["enterprise"]
    as_role("clerk")
    break_audit()
    url = f"/admin/enterprise/edit/?id={ent.id}"
    form = dict(read_form(client, url), employee_count="77", csrf_token=csrf_token(client, url))
    with pytest.raises(RuntimeError):
        client.post(url, data=form)
    stored = models.Enterprise.get_by_id(ent.id)
    assert stored.employee_count == 20 and stored.version == ent.version


def test_a_delete_whose_audit_row_fails_deletes_nothing(client, as_role, break_audit):
    product = factories.product()
    as_role("clerk")
    break_audit()
    with pytest.raises(RuntimeError):
        client.post("/admin/new_tech_product/delete/", data={
            "id": product.id, "csrf_token": csrf_token(client, "/admin/new_tech_product/")})
    assert models.NewTechProduct.get_or_none(models.NewTechProduct.id == product.id) is not None


def test_a_failed_save_leaves_no_uploaded_file_behind(client, as_role, upload_dir, break_audit):
    w = factories.world()
    ri = factories.reopened(w["recommending_institution"])
    as_role("clerk")
    before_rows = models.StoredFile.select().count()
    before_files = files_in(upload_dir)
    break_audit()
    with pytest.raises(RuntimeError):
        upload(client, "recommending_institution", ri.id, "application_form", PDF, "申请表.pdf", ri_form(w))
    assert models.StoredFile.select().count() == before_rows
    assert files_in(upload_dir) == before_files
    assert models.RecommendingInstitution.get_by_id(ri.id).application_form_id == ri.application_form_id


def test_a_refused_save_leaves_no_uploaded_file_behind(client, as_role, upload_dir):
    w = factories.world()
    ri = w["recommending_institution"]
    as_role("clerk")
    url = f"/admin/recommending_institution/edit/?id={ri.id}"
    data = dict(ri_form(w), version=ri.version - 1, csrf_token=csrf_token(client, url))  # a stale form
    data["application_form"] = (io.BytesIO(PDF), "申请表.pdf")
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 200
    assert files_in(upload_dir) == []


def test_a_replaced_material_goes_with_its_row(client, as_role, upload_dir):
    w = factories.world()
    ri = factories.reopened(w["recommending_institution"])
    as_role("clerk")
    assert upload(client, "recommending_institution", ri.id, "application_form", PDF, "一.pdf",
                  ri_form(w)).status_code == 302
    first = models.RecommendingInstitution.get_by_id(ri.id).application_form
    first_path = os.path.join(upload_dir, first.stored_name[:2], first.stored_name)
    assert os.path.exists(first_path)
    assert upload(client, "recommending_institution", ri.id, "application_form", PDF + b"%2", "二.pdf",
                  ri_form(w)).status_code == 302
    second = models.RecommendingInstitution.get_by_id(ri.id).application_form
    assert second.original_name == "二.pdf"
    assert models.StoredFile.get_or_none(models.StoredFile.id == first.id) is None
    assert not os.path.exists(first_path)
    assert files_in(upload_dir) == [os.path.join(upload_dir, second.stored_name[:2], second.stored_name)]
    # No temporary file is left either.
    assert not any(name.endswith(".part") for name in files_in(upload_dir))


def test_a_deleted_record_takes_its_materials(client, as_role, upload_dir):
    w = factories.world()
    member = factories.reopened(w["domain_center_member"])
    as_role("clerk")
    form = payloads(w)["domain_center_member"][1]
    form = dict(form, name=member.name, credit_code=member.credit_code)
    assert upload(client, "domain_center_member", member.id, "authorization_letter", PDF, "授权委托书.pdf",
                  form).status_code == 302
    stored = models.DomainCenterMember.get_by_id(member.id).authorization_letter
    models.Lab.update(member_unit=None).where(models.Lab.member_unit == member.id).execute()
    response = client.post("/admin/domain_center_member/delete/", data={
        "id": member.id, "csrf_token": csrf_token(client, "/admin/domain_center_member/")})
    assert response.status_code == 302
    assert models.DomainCenterMember.get_or_none(models.DomainCenterMember.id == member.id) is None
    assert models.StoredFile.get_or_none(models.StoredFile.id == stored.id) is None
    assert files_in(upload_dir) == []


def test_the_submitter_is_kept_on_the_record_and_may_not_approve(client, as_role):
    reporter = factories.service_institution()
    lab = factories.lab(reporter, status="draft")
    clerk = as_role("clerk")
    me = models.User.select().order_by(models.User.id.desc()).get()
    token = csrf_token(clerk, "/admin/")
    assert clerk.post("/admin/lab/submit/", data={"id": lab.id, "opinion": "", "version": lab.version,
                                                  "csrf_token": token}).status_code == 302
    stored = models.Lab.get_by_id(lab.id)
    assert stored.submitted_by_id == me.id and stored.submitted_at is not None
    refused = clerk.post("/admin/lab/approve/", data={"id": lab.id, "opinion": "同意", "csrf_token": token,
                                                      "version": version_of("lab", lab.id)})
    assert "需由其他工作人员审核" in refused.get_data(as_text=True)
    assert models.Lab.get_by_id(lab.id).status == "submitted"


def test_a_record_submitted_outside_the_screens_keeps_its_submitter_out_of_the_approval(client, as_role):
    """Imported or created on the command line: no audit row says who
    submitted, the record itself does."""

    submitter = make_user("importer", "clerk")
    make_user("reviewer_clerk", "clerk")
    reporter = factories.service_institution()
    lab = factories.lab(reporter, status="submitted", submitted_by=submitter)
    assert not models.AuditLog.select().where(models.AuditLog.action == "submit").exists()
    as_role.user("importer")
    token = csrf_token(client, "/admin/")
    refused = client.post("/admin/lab/approve/", data={"id": lab.id, "opinion": "同意", "csrf_token": token,
                                                       "version": lab.version})
    assert "需由其他工作人员审核" in refused.get_data(as_text=True)
    as_role.user("reviewer_clerk")
    token = csrf_token(client, "/admin/")
    assert client.post("/admin/lab/approve/", data={"id": lab.id, "opinion": "同意", "version": lab.version,
                                                    "csrf_token": token}).status_code == 302
    assert models.Lab.get_by_id(lab.id).status == "approved"


def test_a_completed_profile_moves_on_in_the_same_transaction(client, as_role, monkeypatch):
    ri = factories.recommending_institution(status="account_opened")
    as_role("institution", institution=ri)
    url = f"/admin/recommending_institution/edit/?id={ri.id}"
    real = audit.record
    calls = []

    def fail_on_the_transition(user, action, *args, **kwargs):
        calls.append(action)
        if action == "complete_profile":
            raise RuntimeError("audit down")
        return real(user, action, *args, **kwargs)

    monkeypatch.setattr(audit, "record", fail_on_the_transition)
    data = dict(read_form(client, url), introduction="服务海淀区小微企业", service_features="政策辅导",
                contact_name="赵敏", contact_phone="13700137000", contact_email="a@example.cn",
                csrf_token=csrf_token(client, url))
    with pytest.raises(RuntimeError):
        client.post(url, data=data)
    # The edit and its transition are one: neither stayed.
    stored = models.RecommendingInstitution.get_by_id(ri.id)
    assert calls == ["edit", "complete_profile"]
    assert stored.status == "account_opened" and stored.introduction != "服务海淀区小微企业"
