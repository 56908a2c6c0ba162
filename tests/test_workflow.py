"""The state machines of DOMAIN.md §2 through their screens: every transition
allowed and refused, role guards, separation of duties, the rules at each
step, concurrency, optimistic locking, bulk actions and the audit trail."""
import datetime
import re
from decimal import Decimal

import pytest

import models
from program import workflow
from tests import factories
from tests.formtools import field_errors, resubmit
from tests.support import TEST_DB, csrf_token, make_user, version_of

# Written out from the issue and DOMAIN.md §2, not read from workflow.py.
EXPECTED = {
    ("recommending_institution", "submit"): (("draft", "rejected"), "submitted", {"admin", "clerk"}),
    ("recommending_institution", "approve"): (("submitted",), "approved", {"admin", "reviewer"}),
    ("recommending_institution", "reject"): (("submitted",), "rejected", {"admin", "reviewer"}),
    ("recommending_institution", "open_account"): (("approved",), "account_opened", {"admin", "clerk"}),
    ("recommending_institution", "record_training"): (("account_opened", "profile_completed"), "trained",
                                                      {"admin", "clerk"}),
    ("project", "submit"): (("draft",), "submitted", {"admin", "clerk"}),
    ("project", "grant"): (("submitted",), "granted", {"admin", "clerk"}),
    ("project", "reject"): (("submitted",), "rejected", {"admin", "clerk"}),
    ("project", "register_contract"): (("granted",), "contracted", {"admin", "clerk"}),
    ("project", "pass_review"): (("contracted",), "passed", {"admin", "clerk"}),
    ("project", "fail_review"): (("contracted",), "failed", {"admin", "clerk"}),
    # DOMAIN.md §6: redemption (兑付) after 结题通过, decided by another clerk.
    ("project", "request_redemption"): (("passed",), "redemption_requested", {"admin", "clerk"}),
    ("project", "redeem"): (("redemption_requested",), "redeemed", {"admin", "clerk"}),
    ("project", "reject_redemption"): (("redemption_requested",), "passed", {"admin", "clerk"}),
    # DOMAIN.md §6: the office reopens a decided record (or one under review) as a draft.
    ("project", "return_for_revision"): (("submitted", "granted", "contracted"), "draft", {"admin", "clerk"}),
    ("recommending_institution", "return_for_revision"): (("submitted", "approved"), "draft", {"admin", "clerk"}),
}
for _table in ("service_institution", "domain_center_member", "lab"):
    EXPECTED[(_table, "submit")] = (("draft", "rejected"), "submitted", {"admin", "clerk"})
    EXPECTED[(_table, "approve")] = (("submitted",), "approved", {"admin", "clerk"})
    EXPECTED[(_table, "reject")] = (("submitted",), "rejected", {"admin", "clerk"})
    EXPECTED[(_table, "return_for_revision")] = (("submitted", "approved"), "draft", {"admin", "clerk"})

# What each transition's form needs besides the opinion.
FIELDS = {
    "open_account": {},
    "record_training": {"trained_on": "2026-06-01"},
    "grant": {"voucher_granted_on": "2026-03-01"},
    "register_contract": {"contract_signed_on": "2026-03-15", "contract_amount": "100000.00",
                          "contract_has_voucher_clause": "y", "contract_voucher_amount": "50000.00"},
    "pass_review": {"completion_reason": "按合同完成，同意结题"},
    "fail_review": {"completion_reason": "研发任务未完成", "liable_party": "lab"},
    "request_redemption": {"redemption_amount": "50000.00", "invoice_no": "No.0012345",
                           "redemption_requested_on": "2026-09-01", "redemption_materials": factories.pdf_upload},
    "redeem": {"redeemed_on": "2026-09-20", "payment_ref": "兑付〔2026〕18号"},
}


def test_the_transition_table_is_the_one_specified():
    actual = {(t.table, t.name): (tuple(t.sources), t.target, set(t.roles))
              for t in workflow.TRANSITIONS if t.name != "complete_profile"}
    assert actual == EXPECTED


def record_in(table, state):
    """A record of the table in the given state, valid by the rules."""
    w = factories.world()
    if table == "recommending_institution":
        return factories.recommending_institution(status=state)
    if table == "service_institution":
        return factories.service_institution(status=state)
    if table == "domain_center_member":
        return factories.member(models.ServiceInstitution.get_by_id(w["domain_center_member"].domain_center_id),
                                status=state)
    if table == "lab":
        return factories.lab(w["service_institution"], status=state)
    if table == "project":
        extra = {}
        if state in ("granted", "contracted"):
            extra = factories.contracted() if state == "contracted" else {
                "voucher_granted_on": datetime.date(2026, 3, 1)}
        if state in ("passed", "failed", "redemption_requested", "redeemed"):
            extra = factories.completed(state)
        extra["status"] = state
        return factories.project(w["enterprise"], w["lab"], **extra)
    raise AssertionError(table)


def take(client, table, name, record, opinion="同意", **fields):
    data = {"id": record.id, "version": version_of(table, record.id), "opinion": opinion,
            "csrf_token": csrf_token(client, "/admin/")}
    data.update({name: value() if callable(value) else value for name, value in fields.items()})
    return client.post(f"/admin/{table}/{name}/", data=data)


def status_of(table, record):
    model = {m._meta.table_name: m for m in models.ALL_MODELS}[table]
    return model.get_by_id(record.id).status


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_each_transition_moves_the_state_and_is_audited(client, as_role, key, clock):
    table, name = key
    sources, target, roles = EXPECTED[key]
    record = record_in(table, sources[0])
    # The office's day is that of the dates the step records (none later than today).
    dated = [value for value in FIELDS.get(name, {}).values() if isinstance(value, str) and value[:4] == "2026"]
    if dated:
        clock(datetime.date.fromisoformat(max(dated)))
    role = "clerk" if "clerk" in roles else "reviewer"
    as_role(role)
    page = client.get(f"/admin/{table}/{name}/?id={record.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "确认" in text and 'name="opinion"' in text and 'name="id"' in text
    response = take(client, table, name, record, **FIELDS.get(name, {}))
    assert response.status_code in (200, 302), field_errors(response)
    assert status_of(table, record) == target, field_errors(response)
    row = models.AuditLog.get(models.AuditLog.action == name, models.AuditLog.object_id == record.id,
                              models.AuditLog.model == table)
    assert row.changes_dict["status"] == [sources[0], target]
    assert row.user.role == role


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_each_transition_refuses_the_wrong_state(client, as_role, key):
    table, name = key
    sources, target, roles = EXPECTED[key]
    states = {"project": [s for s, _ in models.PROJECT_STATUSES],
              "recommending_institution": [s for s, _ in models.RECOMMENDING_STATUSES]}.get(
        table, [s for s, _ in models.APPLICATION_STATUSES])
    wrong = next(s for s in states if s not in sources and s != target)
    record = record_in(table, wrong)
    as_role("admin")
    response = take(client, table, name, record, **FIELDS.get(name, {}))
    assert response.status_code == 200
    assert any("不能" in e and "当前状态为" in e for e in field_errors(response)), field_errors(response)
    assert status_of(table, record) == wrong


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_each_transition_refuses_other_roles(client, as_role, key):
    table, name = key
    sources, target, roles = EXPECTED[key]
    record = record_in(table, sources[0])
    outsider = next(r for r in ("reviewer", "clerk", "institution") if r not in roles)
    institution = factories.recommending_institution() if outsider == "institution" else None
    as_role(outsider, institution=institution)
    token = csrf_token(client, "/admin/")
    assert client.get(f"/admin/{table}/{name}/?id={record.id}").status_code == 403
    response = client.post(f"/admin/{table}/{name}/", data={
        "id": record.id, "opinion": "越权", "csrf_token": token, **FIELDS.get(name, {})})
    assert response.status_code == 403
    assert status_of(table, record) == sources[0]


def test_unknown_transition_is_404(client, as_role):
    lab = record_in("lab", "submitted")
    as_role("clerk")
    assert client.get(f"/admin/lab/open_account/?id={lab.id}").status_code == 404
    assert client.get(f"/admin/lab/fly_away/?id={lab.id}").status_code == 404


def test_reject_needs_an_opinion(client, as_role):
    lab = record_in("lab", "submitted")
    as_role("clerk")
    for blank in ("  ", "\u200b\u200b", "\u2060\ufeff "):  # spaces, or characters nobody sees
        response = take(client, "lab", "reject", lab, opinion=blank)
        assert "驳回须填写意见" in field_errors(response), repr(blank)
        assert status_of("lab", lab) == "submitted"
    take(client, "lab", "reject", lab, opinion="认定文号与实验室名称不符")
    row = models.Lab.get_by_id(lab.id)
    assert row.status == "rejected" and row.review_opinion == "认定文号与实验室名称不符"
    assert row.reviewed_by.role == "clerk" and row.reviewed_at is not None


def test_a_rejected_application_can_be_corrected_and_submitted_again(client, as_role):
    lab = record_in("lab", "rejected")
    as_role("clerk")
    take(client, "lab", "submit", lab)
    assert status_of("lab", lab) == "submitted"


def test_the_submitter_may_not_approve(client, as_role):
    lab = record_in("lab", "draft")
    as_role("clerk")
    take(client, "lab", "submit", lab)
    response = take(client, "lab", "approve", lab)
    assert any("需由其他工作人员审核" in e for e in field_errors(response))
    assert status_of("lab", lab) == "submitted"
    as_role("clerk")
    take(client, "lab", "approve", lab)
    assert status_of("lab", lab) == "approved"


def test_only_the_commission_approves_recommending_institutions(client, as_role):
    ri = record_in("recommending_institution", "submitted")
    as_role("clerk")
    assert take(client, "recommending_institution", "approve", ri).status_code == 403
    as_role("reviewer")
    take(client, "recommending_institution", "approve", ri, opinion="市科委审核通过")
    row = models.RecommendingInstitution.get_by_id(ri.id)
    assert row.status == "approved" and row.reviewed_by.role == "reviewer"


def test_r1_is_checked_at_submit(client, as_role):
    ri = factories.recommending_institution(status="draft", served_enterprise_count=29, application_form=None)
    as_role("clerk")
    response = take(client, "recommending_institution", "submit", ri)
    assert "服务企业数量为 29 家，应不少于 30 家" in field_errors(response)
    assert status_of("recommending_institution", ri) == "draft"
    models.RecommendingInstitution.update(served_enterprise_count=30).where(
        models.RecommendingInstitution.id == ri.id).execute()
    response = take(client, "recommending_institution", "submit", ri)
    assert any("请上传推荐机构申请表" in e for e in field_errors(response))


def test_r4_is_checked_before_a_service_institution_goes_forward(client, as_role):
    si = factories.service_institution(status="draft", parent_in_platform=False)
    as_role("clerk")
    response = take(client, "service_institution", "submit", si)
    assert any("首都科技条件平台" in e for e in field_errors(response))
    assert status_of("service_institution", si) == "draft"


def test_r5_is_checked_before_a_lab_is_approved(client, as_role):
    lab = record_in("lab", "submitted")
    models.ServiceInstitution.update(status="rejected").where(
        models.ServiceInstitution.id == lab.service_institution_id).execute()
    as_role("clerk")
    response = take(client, "lab", "approve", lab)
    assert any("审核通过的专业服务机构上报" in e for e in field_errors(response))
    assert status_of("lab", lab) == "submitted"


def test_r6_and_r9_are_checked_at_project_submit(client, as_role):
    project = record_in("project", "draft")
    models.Lab.update(status="rejected").where(models.Lab.id == project.lab_id).execute()
    as_role("clerk")
    response = take(client, "project", "submit", project)
    assert any("尚未进入开放实验室目录" in e for e in field_errors(response))
    models.Lab.update(status="approved").where(models.Lab.id == project.lab_id).execute()
    models.Project.update(activity_type="industrial_design").where(models.Project.id == project.id).execute()
    response = take(client, "project", "submit", project)
    assert any("不提供工业设计服务" in e for e in field_errors(response))
    assert status_of("project", project) == "draft"


def test_r10_is_checked_at_register_contract(client, as_role, clock):
    project = record_in("project", "granted")
    as_role("clerk")
    fields = dict(FIELDS["register_contract"])
    fields.pop("contract_has_voucher_clause")
    response = take(client, "project", "register_contract", project, **dict(fields, contract_signed_on="2026-02-20"))
    assert any("早于创新券发放" in e for e in field_errors(response))
    response = take(client, "project", "register_contract", project,
                    **dict(FIELDS["register_contract"], contract_voucher_amount=""))
    assert "此项为必填项" in field_errors(response)
    assert status_of("project", project) == "granted"
    take(client, "project", "register_contract", project, **FIELDS["register_contract"])
    row = models.Project.get_by_id(project.id)
    assert row.status == "contracted" and row.contract_amount == Decimal("100000.00")


def test_fail_review_records_reason_and_liable_party(client, as_role, clock):
    project = record_in("project", "contracted")
    as_role("clerk")
    response = take(client, "project", "fail_review", project, completion_reason="未完成", liable_party="")
    assert "此项为必填项" in field_errors(response)
    take(client, "project", "fail_review", project, completion_reason="未完成约定任务", liable_party="both")
    row = models.Project.get_by_id(project.id)
    assert (row.status, row.completion_result, row.liable_party) == ("failed", "failed", "both")
    assert row.completion_reason == "未完成约定任务"


def test_status_is_read_only_in_every_form(client, as_role):
    w = factories.world()
    as_role("admin")
    for table, record in w.items():
        if table in ("audit_log",):
            continue
        page = client.get(f"/admin/{table}/edit/?id={record.id}").get_data(as_text=True)
        assert 'name="status"' not in page, table


# --- lists, details, bulk ------------------------------------------------------------

def test_lists_and_details_show_the_transitions_the_user_may_take(client, as_role):
    submitted = record_in("lab", "submitted")
    approved = factories.lab(submitted.service_institution)
    as_role("clerk")
    page = client.get("/admin/lab/").get_data(as_text=True)
    assert f"/admin/lab/approve/?id={submitted.id}" in page.replace("&amp;", "&")
    assert f"/admin/lab/approve/?id={approved.id}" not in page.replace("&amp;", "&")
    details = client.get(f"/admin/lab/details/?id={submitted.id}").get_data(as_text=True)
    assert "审核通过" in details and "驳回" in details
    as_role("reviewer")
    page = client.get("/admin/lab/").get_data(as_text=True)
    assert "/admin/lab/approve/" not in page


def test_bulk_approve_with_one_opinion(client, as_role):
    a = record_in("lab", "submitted")
    b = factories.lab(a.service_institution, status="submitted")
    draft = factories.lab(a.service_institution, status="draft")
    as_role("clerk")
    token = csrf_token(client, "/admin/lab/")
    response = client.post("/admin/lab/action/", data={
        "action": "approve", "rowid": [a.id, b.id, draft.id], "csrf_token": token})
    assert response.status_code == 302 and "/admin/lab/bulk/approve/" in response.headers["Location"]
    confirm = client.get(response.headers["Location"])
    assert confirm.status_code == 200 and "批量审核通过" in confirm.get_data(as_text=True)
    ids = re.search(r'name="ids" value="([^"]+)"', confirm.get_data(as_text=True)).group(1)
    versions = dict(re.findall(r'name="(version_\d+)" value="(\d+)"', confirm.get_data(as_text=True)))
    assert len(versions) == 3
    done = client.post("/admin/lab/bulk/approve/", data={"ids": ids, "opinion": "批量审核：材料齐全",
                                                         "csrf_token": token, **versions}, follow_redirects=True)
    text = done.get_data(as_text=True)
    # One line per record: what was done, and why the draft was not.
    assert "批量审核通过：办理 2 条，未办理 1 条" in text and "当前状态为“草稿”" in text
    assert text.count("已审核通过（当前状态：已通过）") == 2
    assert [status_of("lab", r) for r in (a, b, draft)] == ["approved", "approved", "draft"]
    assert models.Lab.get_by_id(a.id).review_opinion == "批量审核：材料齐全"


def test_bulk_reject_needs_the_opinion_and_the_role(client, as_role):
    a = record_in("lab", "submitted")
    as_role("clerk")
    token = csrf_token(client, "/admin/lab/")
    client.post("/admin/lab/bulk/reject/", data={"ids": str(a.id), "opinion": "", "csrf_token": token})
    assert status_of("lab", a) == "submitted"
    as_role("reviewer")
    token = csrf_token(client, "/admin/")
    assert client.post("/admin/lab/bulk/reject/", data={"ids": str(a.id), "opinion": "x",
                                                        "csrf_token": token}).status_code == 403
    assert client.post("/admin/lab/action/", data={"action": "reject", "rowid": [a.id],
                                                   "csrf_token": token}).status_code == 403


def test_details_page_shows_the_record_history(client, as_role):
    lab = record_in("lab", "draft")
    as_role("clerk")
    take(client, "lab", "submit", lab, opinion="材料已收齐")
    page = client.get(f"/admin/lab/details/?id={lab.id}").get_data(as_text=True)
    history = page.split('id="record-history"')[1]
    assert "提交申请" in history and "材料已收齐" in history
    assert "状态：</span>草稿 → 已提交" in history and "submitted" not in history


# --- optimistic locking and concurrency ---------------------------------------------

def test_a_stale_form_is_refused_not_overwritten(client, as_role):
    w = factories.world()
    ent = w["enterprise"]
    as_role("clerk")
    url = f"/admin/enterprise/edit/?id={ent.id}"
    stale = dict(re.findall(r'name="(version)"[^>]*value="(\d+)"', client.get(url).get_data(as_text=True)))
    assert stale["version"] == "1"
    saved_by_other = models.Enterprise.get_by_id(ent.id)
    saved_by_other.contact_name = "另一位办事员"
    saved_by_other.save()
    response = resubmit(client, url, contact_name="我的修改", version=stale["version"])
    assert response.status_code == 200
    assert any("已被他人修改" in e for e in field_errors(response))
    assert models.Enterprise.get_by_id(ent.id).contact_name == "另一位办事员"


def test_saving_a_stale_copy_raises_in_code_too():
    w = factories.world()
    factories.reopened(w["lab"])
    first = models.Lab.get_by_id(w["lab"].id)
    second = models.Lab.get_by_id(w["lab"].id)
    first.recognition_ref = "京科发〔2025〕1号"
    first.save()
    second.recognition_ref = "京科发〔2025〕2号"
    with pytest.raises(models.StaleRecord):
        second.save()
    assert models.Lab.get_by_id(w["lab"].id).recognition_ref == "京科发〔2025〕1号"


def _race(database_url, upload_dir, table, name, record_id, user_id, barrier, values):
    from app import create_app

    create_app({"DATABASE_URL": database_url, "UPLOAD_DIR": upload_dir, "SECRET_KEY": "race",
                "INSTANCE_PATH": f"{upload_dir}-instance"})
    models.db.connect(reuse_if_open=True)
    user = models.User.get_by_id(user_id)
    barrier.wait()
    try:
        workflow.perform(workflow.get(table, name), record_id, user, opinion="并发", values=values)
        return "ok"
    except workflow.WorkflowError as exc:
        return exc.message
    finally:
        models.db.close()


@pytest.mark.skipif(TEST_DB != "postgres", reason="two processes against one server: PostgreSQL")
@pytest.mark.parametrize("name", ("approve", "open_account"))
def test_two_clerks_at_once_end_in_exactly_one_transition(database_url, upload_dir, name):
    import multiprocessing

    state = "submitted" if name == "approve" else "approved"
    ri = factories.recommending_institution(status=state)
    role = "reviewer" if name == "approve" else "clerk"
    users = [make_user(f"{role}{n}", role).id for n in range(2)]
    models.db.close()
    context = multiprocessing.get_context("spawn")
    barrier = context.Manager().Barrier(2)
    with context.Pool(2) as pool:
        results = pool.starmap(_race, [
            (database_url, upload_dir, "recommending_institution", name, ri.id, uid, barrier, {})
            for uid in users])
    models.db.connect(reuse_if_open=True)
    assert sorted(r == "ok" for r in results) == [False, True], results
    assert models.AuditLog.select().where(models.AuditLog.action == name,
                                          models.AuditLog.object_id == ri.id).count() == 1
    assert models.User.select().where(models.User.institution == ri.id).count() == (1 if name == "open_account" else 0)


# --- account opening (Q4) ------------------------------------------------------------

def test_account_opening_end_to_end(client, as_role, app):
    ri = record_in("recommending_institution", "approved")
    as_role("clerk")
    response = take(client, "recommending_institution", "open_account", ri, username="haidian_fhq")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    password = re.search(r'id="one-time-password"[^>]*>([^<]+)<', page).group(1)
    account = models.User.get(models.User.institution == ri.id)
    assert account.username == "haidian_fhq" and account.role == "institution" and account.must_change_password
    assert password not in account.password_hash
    assert models.RecommendingInstitution.get_by_id(ri.id).status == "account_opened"
    assert models.RecommendingInstitution.get_by_id(ri.id).account_opened_at is not None
    for row in models.AuditLog.select():
        assert password not in (row.changes or "")
        assert account.password_hash not in (row.changes or "")
    again = take(client, "recommending_institution", "open_account", ri)
    assert any("不能开通系统账号" in e for e in field_errors(again))
    assert models.User.select().where(models.User.institution == ri.id).count() == 1
    as_role.out()

    # First login goes to the forced password change before anything else.
    token = csrf_token(client)
    first = client.post("/login", data={"username": "haidian_fhq", "password": password, "csrf_token": token})
    assert first.status_code == 302
    blocked = client.get("/admin/recommending_institution/")
    assert blocked.status_code == 302 and blocked.headers["Location"].endswith("/change-password")
    form = client.get("/change-password").get_data(as_text=True)
    for name in ("current_password", "new_password", "new_password_confirm"):
        assert f'name="{name}"' in form
    token = csrf_token(client, "/change-password")
    wrong = client.post("/change-password", data={"current_password": "nope", "new_password": "New-pass-2026",
                                                  "new_password_confirm": "New-pass-2026", "csrf_token": token})
    assert "当前密码不正确" in wrong.get_data(as_text=True)
    mismatch = client.post("/change-password", data={"current_password": password, "new_password": "New-pass-2026",
                                                     "new_password_confirm": "New-pass-2027", "csrf_token": token})
    assert "两次输入的新密码不一致" in mismatch.get_data(as_text=True)
    done = client.post("/change-password", data={"current_password": password, "new_password": "New-pass-2026",
                                                 "new_password_confirm": "New-pass-2026", "csrf_token": token})
    assert done.status_code == 302
    assert client.get("/admin/recommending_institution/").status_code == 200
    assert not models.User.get_by_id(account.id).must_change_password
    as_role.out()

    token = csrf_token(client)
    old = client.post("/login", data={"username": "haidian_fhq", "password": password, "csrf_token": token})
    assert "用户名或密码错误" in old.get_data(as_text=True)
    new = client.post("/login", data={"username": "haidian_fhq", "password": "New-pass-2026", "csrf_token": token})
    assert new.status_code == 302 and client.get("/admin/").status_code == 200

    # The institution completes its profile: 已完善信息, by itself.
    url = f"/admin/recommending_institution/edit/?id={ri.id}"
    resubmit(client, url, introduction="服务海淀小微企业", service_features="政策辅导、需求对接")
    assert models.RecommendingInstitution.get_by_id(ri.id).status == "profile_completed"
    as_role.out()

    # Admin disables the account; it can no longer log in.
    as_role("admin")
    resubmit(client, f"/admin/user/edit/?id={account.id}", is_active=None)
    assert not models.User.get_by_id(account.id).is_active
    as_role.out()
    token = csrf_token(client)
    refused = client.post("/login", data={"username": "haidian_fhq", "password": "New-pass-2026", "csrf_token": token})
    assert "用户名或密码错误" in refused.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_a_profile_complete_already_is_taken_at_the_institutions_first_save(client, as_role):
    """The office filled the profile before opening the account: the
    institution's 保存, changing nothing, still moves it to 已完善信息."""
    ri = factories.recommending_institution(status="account_opened", introduction="服务海淀小微企业",
                                            service_features="政策辅导、需求对接")
    as_role("institution", institution=ri)
    resubmit(client, f"/admin/recommending_institution/edit/?id={ri.id}")
    assert models.RecommendingInstitution.get_by_id(ri.id).status == "profile_completed"


def test_record_training(client, as_role):
    ri = record_in("recommending_institution", "profile_completed")
    as_role("clerk")
    take(client, "recommending_institution", "record_training", ri, trained_on="2026-07-08")
    row = models.RecommendingInstitution.get_by_id(ri.id)
    assert row.status == "trained" and row.trained_on == datetime.date(2026, 7, 8)


# --- institution self-service: every path with another's id --------------------------

def test_institution_cannot_reach_anothers_records_by_any_path(client, as_role):
    mine = factories.recommending_institution()
    other = factories.recommending_institution(status="submitted")
    their_event = factories.promotion_event(other)
    as_role("institution", institution=mine)
    token = csrf_token(client, "/admin/")
    gets = [
        f"/admin/recommending_institution/details/?id={other.id}",
        f"/admin/recommending_institution/edit/?id={other.id}",
        f"/admin/recommending_institution/material/application_form/?id={other.id}",
        f"/admin/promotion_event/details/?id={their_event.id}",
        f"/admin/promotion_event/edit/?id={their_event.id}",
    ]
    for url in gets:  # another's row: not found, as if it did not exist
        assert client.get(url).status_code == 404, url
    forbidden = [
        "/admin/recommending_institution/export/csv/",
        "/admin/promotion_event/export/csv/",
        f"/admin/recommending_institution/approve/?id={other.id}",
        f"/admin/recommending_institution/open_account/?id={other.id}",
        "/admin/project/ajax/lookup/?name=enterprise&query=a",
        "/admin/reports/",
        "/admin/audit_log/",
    ]
    for url in forbidden:
        assert client.get(url).status_code == 403, url
    posts = [  # an operation the role lacks: 403; an operation it has, on another's row: 404
        ("/admin/recommending_institution/delete/", {"id": other.id}, 403),
        ("/admin/recommending_institution/approve/", {"id": other.id, "opinion": "x"}, 403),
        ("/admin/recommending_institution/action/", {"action": "approve", "rowid": [other.id]}, 403),
        ("/admin/recommending_institution/bulk/approve/", {"ids": str(other.id), "opinion": "x"}, 403),
        ("/admin/promotion_event/delete/", {"id": their_event.id}, 404),
        (f"/admin/promotion_event/edit/?id={their_event.id}", {"title": "改"}, 404),
    ]
    for url, data, status in posts:
        assert client.post(url, data=dict(data, csrf_token=token)).status_code == status, url
    assert models.RecommendingInstitution.get_by_id(other.id).status == "submitted"
    assert models.PromotionEvent.get_by_id(their_event.id).title == their_event.title


# --- audit trail ---------------------------------------------------------------------

def test_audit_rows_cannot_be_edited_or_deleted_through_the_screens(client, as_role):
    row = models.AuditLog.create(action="login", model="user", object_id=1)
    as_role("admin")
    token = csrf_token(client, "/admin/")
    assert client.get(f"/admin/audit_log/edit/?id={row.id}").status_code == 403
    assert client.post(f"/admin/audit_log/edit/?id={row.id}", data={"action": "x", "csrf_token": token}).status_code == 403
    assert client.post("/admin/audit_log/delete/", data={"id": row.id, "csrf_token": token}).status_code == 403
    assert client.post("/admin/audit_log/action/", data={"action": "delete", "rowid": [row.id],
                                                         "csrf_token": token}).status_code == 403
    assert models.AuditLog.get_by_id(row.id).action == "login"


def test_every_kind_of_write_is_audited(client, as_role):
    w = factories.world()
    as_role("clerk")
    resubmit(client, f"/admin/enterprise/edit/?id={w['enterprise'].id}", contact_name="新联系人")
    client.get("/admin/enterprise/export/csv/")
    lab = record_in("lab", "draft")
    take(client, "lab", "submit", lab)
    actions = {a for (a,) in models.AuditLog.select(models.AuditLog.action).tuples()}
    assert {"login", "edit", "export", "submit"} <= actions
    edit = models.AuditLog.get(models.AuditLog.action == "edit", models.AuditLog.model == "enterprise")
    assert edit.changes_dict["contact_name"] == ["李娜", "新联系人"] and edit.user.role == "clerk"


# --- reports ------------------------------------------------------------------------

def test_events_report_shows_who_is_behind(client, as_role):
    busy = factories.recommending_institution(name="活跃的孵化器", promised_event_count=2)
    idle = factories.recommending_institution(name="落后的孵化器", promised_event_count=3)
    factories.recommending_institution(name="草稿机构", status="draft")
    for _ in range(2):
        factories.promotion_event(busy)
    factories.promotion_event(idle, kind="matchmaking")
    as_role("reviewer")
    page = client.get("/admin/reports/").get_data(as_text=True)
    assert "活跃的孵化器" in page and "落后的孵化器" in page and "草稿机构" not in page
    behind = client.get("/admin/reports/?behind=1").get_data(as_text=True)
    assert "落后的孵化器" in behind and "活跃的孵化器" not in behind
    row = re.search(rf'data-institution="{idle.id}".*?</tr>', behind, re.S).group(0)
    assert re.search(r'class="held">1<', row) and re.search(r'class="gap">2<', row)
    link = re.search(r'<a href="([^"]+)">落后的孵化器</a>', row).group(1)
    assert link == f"/admin/recommending_institution/details/?id={idle.id}"
    assert "落后的孵化器" in client.get(link).get_data(as_text=True)
    assert client.get("/admin/reports/?year=2020").status_code == 200


def test_events_report_pages_its_rows_and_counts_them_all(client, as_role, monkeypatch):
    import admin.reports

    for n in range(3):
        factories.recommending_institution(name=f"分页推荐机构{n}", promised_event_count=n + 2)
    monkeypatch.setattr(admin.reports, "REPORT_PAGE_SIZE", 2)
    as_role("clerk")
    first = client.get("/admin/reports/?behind=1").get_data(as_text=True)
    assert "共 3 家推荐机构" in first and "<strong>3</strong> 家" in first
    shown = re.findall(r"分页推荐机构\d", first)
    assert len(shown) == 2
    onward = re.search(r'<a class="page-link" href="([^"]+)">2</a>', first).group(1).replace("&amp;", "&")
    assert "behind=1" in onward and "page=1" in onward
    second = client.get(onward).get_data(as_text=True)
    rest = re.findall(r"分页推荐机构\d", second)
    assert len(rest) == 1 and set(shown + rest) == {f"分页推荐机构{n}" for n in range(3)}
    assert client.get("/admin/reports/?page=abc").status_code == 200


def test_evaluations_report_shows_missing_evaluations(client, as_role):
    done = factories.service_institution(name="已评价机构")
    factories.service_institution(name="未评价机构")
    factories.evaluation(done, year=2025, score=Decimal("92.0"), grade="excellent")
    as_role("clerk")
    page = client.get("/admin/reports/evaluations/?year=2025").get_data(as_text=True)
    assert "已评价机构" in page and "优秀" in page and "未评价机构" in page
    assert "未评价 <strong>1</strong> 家" in page
    assert f'<a href="/admin/service_institution/details/?id={done.id}">已评价机构</a>' in page


def test_a_confirmation_that_does_not_say_its_version_is_refused(client, as_role):
    lab = record_in("lab", "submitted")
    as_role("clerk")
    for version in (None, "", "abc", "99999999999"):
        data = {"id": lab.id, "opinion": "同意", "csrf_token": csrf_token(client, "/admin/")}
        if version is not None:
            data["version"] = version
        response = client.post("/admin/lab/approve/", data=data)
        assert response.status_code == 200 and "页面已过期" in response.get_data(as_text=True), version
    assert status_of("lab", lab) == "submitted"


def test_a_transition_that_cannot_be_taken_says_why_before_its_form(client, as_role):
    project = factories.project(factories.enterprise(), factories.lab(factories.service_institution()))
    as_role("clerk")
    response = client.get(f"/admin/project/grant/?id={project.id}", follow_redirects=True)
    assert "当前状态为“草稿”，不能申报成功" in response.get_data(as_text=True)
    assert 'name="voucher_granted_on"' not in response.get_data(as_text=True)
