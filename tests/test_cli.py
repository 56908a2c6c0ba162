"""The command line on a fresh database: init-db, create-user, seed-demo."""
from decimal import Decimal

from werkzeug.security import check_password_hash

import models
from program.checks import RuleViolation, check_credit_code


def test_init_db_is_idempotent_and_creates_the_six_domain_centers(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["init-db"])
    assert first.exit_code == 0, first.output
    assert "新建领域中心 6 个" in first.output
    second = runner.invoke(args=["init-db"])
    assert second.exit_code == 0 and "新建领域中心 0 个" in second.output
    centers = list(models.ServiceInstitution.select().where(models.ServiceInstitution.is_domain_center == True))  # noqa: E712
    assert len(centers) == 6
    assert {c.name for c in centers} >= {"北京生产力促进中心", "北京工业设计促进中心", "北京市科学技术委员会农村发展中心"}
    assert all(c.status == "approved" and c.domain for c in centers)


def test_create_user_with_password(app):
    result = app.test_cli_runner().invoke(args=["create-user", "zhangsan", "--role", "clerk", "--password", "Abcdefg-12"])
    assert result.exit_code == 0, result.output
    user = models.User.get(models.User.username == "zhangsan")
    assert user.role == "clerk" and check_password_hash(user.password_hash, "Abcdefg-12")
    assert "Abcdefg-12" not in (models.AuditLog.get(models.AuditLog.model == "user").changes or "")


def test_create_user_prompts_for_the_password(app):
    result = app.test_cli_runner().invoke(args=["create-user", "lisi", "--role", "reviewer"],
                                          input="Secret-pass-1\nSecret-pass-1\n")
    assert result.exit_code == 0, result.output
    assert check_password_hash(models.User.get(models.User.username == "lisi").password_hash, "Secret-pass-1")


def test_create_user_refuses_bad_input(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["create-user", "a", "--role", "boss", "--password", "Abcdefg-12"]).exit_code != 0
    assert runner.invoke(args=["create-user", "a", "--role", "clerk", "--password", "short"]).exit_code != 0
    runner.invoke(args=["create-user", "a", "--role", "clerk", "--password", "Abcdefg-12"])
    again = runner.invoke(args=["create-user", "a", "--role", "clerk", "--password", "Abcdefg-12"])
    assert again.exit_code != 0 and "已存在" in again.output
    orphan = runner.invoke(args=["create-user", "b", "--role", "institution", "--password", "Abcdefg-12"])
    assert orphan.exit_code != 0 and "所属推荐机构" in orphan.output
    assert models.User.select().count() == 1


def test_seed_demo_is_realistic_and_consistent(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "admin" in result.output and "密码" in result.output

    # Dozens of each record, in every state.
    for model in (models.RecommendingInstitution, models.ServiceInstitution, models.DomainCenterMember,
                  models.Lab, models.Enterprise, models.NewTechProduct, models.Project):
        assert model.select().count() >= 24, model
    for model, states in ((models.RecommendingInstitution, models.RECOMMENDING_STATUSES),
                          (models.ServiceInstitution, models.APPLICATION_STATUSES),
                          (models.DomainCenterMember, models.APPLICATION_STATUSES),
                          (models.Lab, models.APPLICATION_STATUSES),
                          (models.Project, models.PROJECT_STATUSES)):
        present = {s for (s,) in model.select(model.status).distinct().tuples()}
        assert present == {s for s, _ in states}, model

    # Consistent with the program rules.
    eligible = {c for c, _ in models.LAB_CATEGORIES} - {"other"}
    for p in models.Project.select():
        assert p.lab.status == "approved" and p.lab.category in eligible
        assert p.enterprise.kind in ("small", "micro", "startup_team")
        if p.activity_type == "industrial_design":
            assert "industrial_design" in p.lab.capabilities
        if p.status in ("redemption_requested", "redeemed"):
            assert p.completion_result == "passed" and p.invoice_no and p.redemption_requested_on
            assert p.redemption_amount <= min(p.voucher_amount, p.contract_voucher_amount)
        if p.status == "redeemed":
            assert p.redeemed_on >= p.redemption_requested_on and p.payment_ref
        if p.status == "voided":
            assert p.void_reason and p.voucher_granted_on
        if p.status in ("contracted", "passed", "failed", "redemption_requested", "redeemed"):
            assert p.contract_has_voucher_clause and p.contract_signed_on >= p.voucher_granted_on
            assert p.contract_voucher_amount <= p.voucher_amount <= p.contract_amount
            total = sum((x.amount for x in p.purchases), Decimal("0"))
            assert total <= p.contract_amount * Decimal("0.30")
            for x in p.purchases:
                assert x.product.valid_from <= x.purchased_on <= x.product.valid_to
        if p.status == "failed":
            assert p.liable_party and p.completion_reason
    for e in models.Enterprise.select():
        if e.kind != "startup_team":
            check_credit_code(e.credit_code)
        else:
            assert e.credit_code is None
    for ri in models.RecommendingInstitution.select().where(models.RecommendingInstitution.status != "draft"):
        assert ri.served_enterprise_count >= 30 and ri.promised_event_count >= 2
        assert ri.application_form and ri.commitment_letter
    for m in models.DomainCenterMember.select():
        assert m.domain_center.is_domain_center and m.field == m.domain_center.domain
    assert models.User.select().where(models.User.role == "institution").count() >= 1
    assert all(u.institution.account_opened_at for u in models.User.select().where(models.User.role == "institution"))

    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0 and "未重复生成" in again.output


def test_credit_code_checker_knows_a_real_shape():
    # 91110108MA01 style: the check digit is computed, a wrong one is named.
    from tests.factories import credit_code

    code = credit_code(12345)
    assert check_credit_code(code.lower()) == code
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    try:
        check_credit_code(wrong)
    except RuleViolation as exc:
        assert "校验位错误" in exc.message and code[17] in exc.message
    else:
        raise AssertionError("a wrong check digit passed")
