"""Deadlines as policy (DOMAIN.md §6, issue 13 item 3), under an injected
clock: a granted voucher lapses 15 days after its grant without a
contract, a contracted one 3 months after signing without a review; the
nightly command voids them once, as the system, audited, freeing the annual
cap; the policy's days and months are read when it runs; the 工作台 warns 3
days ahead."""
import datetime
from decimal import Decimal

import models
from program import deadlines, workflow
from tests import factories
from tests.formtools import field_errors
from tests.support import csrf_token, version_of

D = datetime.date


def granted(w, on, **kw):
    return factories.project(w["enterprise"], w["lab"], status="granted", voucher_granted_on=on, **kw)


def contracted(w, signed):
    data = factories.contracted()
    data.update(voucher_granted_on=signed - datetime.timedelta(days=5), contract_signed_on=signed)
    return factories.project(w["enterprise"], w["lab"], **data)


def status(project):
    return models.Project.get_by_id(project.id).status


def test_a_granted_voucher_lapses_after_its_fifteen_days_once():
    w = factories.world()
    project = granted(w, D(2026, 5, 1))
    assert deadlines.expire(D(2026, 5, 16)) == []  # the fifteenth day: still valid
    assert status(project) == "granted"
    voided = deadlines.expire(D(2026, 5, 17))
    assert [p.id for p in voided] == [project.id]
    record = models.Project.get_by_id(project.id)
    assert record.status == "voided"
    assert record.void_reason == "创新券发放后 15 日内未登记合同，已于 2026-05-17 到期作废"
    row = models.AuditLog.get(models.AuditLog.action == "void")
    assert (row.user_id, row.username, row.object_id) == (None, "系统（到期作废）", project.id)
    assert row.changes_dict["status"] == ["granted", "voided"]
    assert deadlines.expire(D(2026, 5, 18)) == []  # idempotent
    assert models.AuditLog.select().where(models.AuditLog.action == "void").count() == 1


def test_a_contracted_voucher_lapses_three_months_after_signing():
    w = factories.world()
    project = contracted(w, D(2026, 2, 28))
    world_project = w["project"]  # signed 2026-03-15 (factories.contracted)
    assert deadlines.expire(D(2026, 5, 28)) == []
    assert [p.id for p in deadlines.expire(D(2026, 5, 29))] == [project.id]
    assert status(world_project) == "contracted"
    assert [p.id for p in deadlines.expire(D(2026, 6, 16))] == [world_project.id]
    assert "登记合同后 3 个月内未结题" in models.Project.get_by_id(project.id).void_reason


def test_the_policys_days_are_read_when_it_runs_and_decided_projects_stay():
    w = factories.world()
    early = granted(w, D(2026, 5, 1))
    registered = granted(w, D(2026, 5, 1))
    factories.set_policy("contract_register_days", "5")
    models.Project.update(status="contracted", contract_signed_on=D(2026, 5, 3), contract_amount=Decimal("100000"),
                          contract_has_voucher_clause=True, contract_voucher_amount=Decimal("50000")).where(
        models.Project.id == registered.id).execute()
    assert [p.id for p in deadlines.expire(D(2026, 5, 7))] == [early.id]
    assert status(registered) == "contracted"
    assert "5 日内未登记合同" in models.Project.get_by_id(early.id).void_reason


def test_a_lapsed_voucher_frees_the_cap_through_the_screens(client, as_role):
    w = factories.world()  # its project: 50,000, contracted 2026-03-15
    old = granted(w, D(2026, 1, 10), voucher_amount=Decimal("30000.00"))
    project = factories.project(w["enterprise"], w["lab"], voucher_amount=Decimal("40000.00"), status="submitted")
    factories.set_policy("annual_voucher_cap_per_enterprise", "100000")
    as_role("clerk")

    def grant():
        return client.post("/admin/project/grant/", data={
            "id": project.id, "version": version_of("project", project.id), "opinion": "同意",
            "voucher_granted_on": "2026-02-01", "csrf_token": csrf_token(client, "/admin/")})

    assert any("超过年度上限" in e for e in field_errors(grant()))
    deadlines.expire(D(2026, 1, 26))
    assert status(old) == "voided"
    assert grant().status_code == 302
    assert status(project) == "granted"


def test_the_nightly_command_under_a_moved_clock(app, monkeypatch):
    w = factories.world()
    project = granted(w, D(2026, 5, 1))
    monkeypatch.setattr(workflow, "today", lambda: D(2026, 5, 20))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["expire-vouchers", "--dry-run"])
    assert result.exit_code == 0 and project.code in result.output and "到期应作废 1 项" in result.output
    assert status(project) == "granted"
    result = runner.invoke(args=["expire-vouchers"])
    assert result.exit_code == 0 and "作废到期创新券 1 项" in result.output
    assert status(project) == "voided"
    assert "作废到期创新券 0 项" in runner.invoke(args=["expire-vouchers"]).output


def test_the_work_queue_warns_three_days_ahead(client, as_role, monkeypatch):
    w = factories.world()
    granted(w, D(2026, 5, 1))  # last valid day 2026-05-16
    as_role("clerk")
    monkeypatch.setattr(workflow, "today", lambda: D(2026, 5, 10))
    page = client.get("/admin/").get_data(as_text=True)
    row = page[page.index('id="work-lapsing-granted"'):][:600]
    assert "3 日内到期作废（未登记合同）" in row and '<span class="work-count">0</span>' in row
    monkeypatch.setattr(workflow, "today", lambda: D(2026, 5, 14))
    page = client.get("/admin/").get_data(as_text=True)
    row = page[page.index('id="work-lapsing-granted"'):][:600]
    assert '<span class="work-count">1</span>' in row and "table-warning" in page[page.index('id="work-lapsing-granted"') - 80:][:200]


def test_a_contract_signed_after_the_voucher_lapsed_is_not_registered(client, as_role, clock):
    w = factories.world()
    project = granted(w, D(2026, 1, 1))
    as_role("clerk")

    def register(signed):
        return client.post("/admin/project/register_contract/", data={
            "id": project.id, "version": version_of("project", project.id), "opinion": "",
            "contract_signed_on": signed, "contract_amount": "100000.00", "contract_has_voucher_clause": "y",
            "contract_voucher_amount": "50000.00", "csrf_token": csrf_token(client, "/admin/")})

    clock(D(2026, 3, 1))
    errors = field_errors(register("2026-03-01"))
    assert any("创新券已于 2026-01-17 到期作废" in e for e in errors), errors
    assert status(project) == "granted"
    # Signed in time, but registered the day after the lapse, before the
    # nightly run: refused all the same.
    clock(D(2026, 1, 17))
    errors = field_errors(register("2026-01-16"))
    assert "创新券于 2026-01-01 发放，须在 15 日内签订并登记合同；创新券已于 2026-01-17 到期作废，不能再登记合同" \
        in errors, errors
    assert status(project) == "granted"
    clock(D(2026, 1, 16))
    assert register("2026-01-16").status_code == 302  # the fifteenth day: in time
    assert status(project) == "contracted"


def test_a_voucher_past_its_validity_is_not_reviewed(client, as_role, clock):
    """结题 after the months of validity: refused at the transition, before
    the nightly run has voided it."""
    w = factories.world()
    project = contracted(w, D(2026, 2, 10))  # valid to 2026-05-10, void from 05-11
    as_role("clerk")

    def review(name, **fields):
        return client.post(f"/admin/project/{name}/", data={
            "id": project.id, "version": version_of("project", project.id), "opinion": "",
            "completion_reason": "按合同完成", "csrf_token": csrf_token(client, "/admin/"), **fields})

    clock(D(2026, 5, 11))
    for name, fields in (("pass_review", {}), ("fail_review", {"liable_party": "lab"})):
        errors = field_errors(review(name, **fields))
        assert "合同于 2026-02-10 签订，创新券有效期 3 个月，已于 2026-05-11 到期作废，不能再办理结题" in errors, errors
        assert status(project) == "contracted"
    clock(D(2026, 5, 10))  # its last day
    assert review("pass_review").status_code == 302
    assert status(project) == "passed"
