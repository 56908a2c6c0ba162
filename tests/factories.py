"""Records of every kind, valid by the program's rules, for tests to build on."""
import datetime
import io
import itertools
import tempfile
from decimal import Decimal

import models
from program import materials
from program.checks import CREDIT_CODE_CHARSET, credit_code_check_char

_seq = itertools.count(1)
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
_FILES = tempfile.mkdtemp(prefix="voucher-factory-")


def stored_pdf(name="材料.pdf"):
    return materials.store(PDF, "pdf", name, _FILES)


def pdf_upload(name="发票及结题证明.pdf"):
    """A PDF as a browser uploads it (the test client's file tuple)."""
    return (io.BytesIO(PDF), name)


def credit_code(n=None):
    n = next(_seq) if n is None else n
    digits = []
    for _ in range(9):
        digits.append(CREDIT_CODE_CHARSET[n % 31])
        n //= 31
    body = "91110108" + "".join(reversed(digits))
    return body + credit_code_check_char(body)


def set_policy(key, value, since=models.POLICY_ORIGIN):
    """A policy version written straight to the table (a test's premise,
    not a clerk's change: those go through 政策参数 and its rules)."""
    models.PolicySetting.insert(key=key, value=value, effective_from=since).on_conflict(
        conflict_target=[models.PolicySetting.key, models.PolicySetting.effective_from],
        update={models.PolicySetting.value: value}).execute()


def recommending_institution(**kw):
    n = next(_seq)
    data = dict(name=f"测试推荐机构{n}", credit_code=credit_code(n), contact_name="王伟",
                contact_phone="13800138000", contact_email=f"ri{n}@example.cn",
                served_enterprise_count=40, promised_event_count=2,
                work_mechanism="工作机制", safeguards="保障措施", status="approved")
    data.update(kw)
    data.setdefault("application_form", stored_pdf("申请表.pdf"))
    data.setdefault("commitment_letter", stored_pdf("承诺函.pdf"))
    return models.RecommendingInstitution.create(**data)


def promotion_event(institution, **kw):
    data = dict(institution=institution, kind="promotion", held_on=datetime.date(2026, 3, 1),
                title=f"创新券宣讲会{next(_seq)}", participant_count=30)
    data.update(kw)
    return models.PromotionEvent.create(**data)


def service_institution(**kw):
    n = next(_seq)
    data = dict(name=f"测试专业服务机构{n}", credit_code=credit_code(n), parent_org_name="北京理工大学",
                parent_org_type="university", parent_in_platform=True,
                is_independent_legal_entity=True, status="approved")
    data.update(kw)
    if not data.get("is_domain_center"):
        for name in ("application_form", "commitment_letter", "management_rules", "authorization_letter"):
            data.setdefault(name, stored_pdf(f"{name}.pdf"))
    return models.ServiceInstitution.create(**data)


def domain_center(**kw):
    return service_institution(is_domain_center=True, domain="industrial_design", **kw)


def evaluation(institution, **kw):
    data = dict(institution=institution, year=2025, score=Decimal("88.0"), grade="good")
    data.update(kw)
    return models.PerformanceEvaluation.create(**data)


def member(center, **kw):
    n = next(_seq)
    data = dict(name=f"测试成员单位{n}", credit_code=credit_code(n), org_type="private_enterprise",
                domain_center=center, field=center.domain or "industrial_design", status="approved")
    data.update(kw)
    return models.DomainCenterMember.create(**data)


def lab(reporter, **kw):
    n = next(_seq)
    data = dict(name=f"测试重点实验室{n}", category="beijing_key_lab", recognition_ref=f"京科发〔2024〕{n}号",
                service_institution=reporter, capabilities=["testing", "joint_rd"], status="approved")
    data.update(kw)
    return models.Lab.create(**data)


def enterprise(**kw):
    n = next(_seq)
    data = dict(name=f"北京测试科技有限公司{n}", kind="small", credit_code=credit_code(n),
                district="haidian", employee_count=20, contact_name="李娜",
                contact_phone="13900139000", contact_email=f"e{n}@example.cn")
    data.update(kw)
    return models.Enterprise.create(**data)


def product(**kw):
    n = next(_seq)
    data = dict(name=f"在线监测系统{n}", supplier="北京供应商股份有限公司", catalogue_ref=f"XJS-2026-{n:04d}",
                valid_from=datetime.date(2026, 1, 1), valid_to=datetime.date(2026, 12, 31))
    data.update(kw)
    return models.NewTechProduct.create(**data)


def project(enterprise_, lab_, **kw):
    data = dict(title=f"测试项目{next(_seq)}", enterprise=enterprise_, lab=lab_, activity_type="testing",
                voucher_amount=Decimal("50000.00"), status="draft")
    data.update(kw)
    return models.Project.create(**data)


def contracted(contract_amount="100000.00", voucher_amount="50000.00"):
    """The fields of a project whose contract is registered (R10)."""
    return dict(status="contracted", voucher_amount=Decimal(voucher_amount),
                contract_amount=Decimal(contract_amount), voucher_granted_on=datetime.date(2026, 3, 1),
                contract_signed_on=datetime.date(2026, 3, 15), contract_has_voucher_clause=True,
                contract_voucher_amount=Decimal(voucher_amount))


def completed(state="passed"):
    """The fields of a project past its completion review: passed or failed,
    and for a passed one on to redemption (requested by nobody in the tests'
    accounts, so that any clerk may decide it)."""
    data = dict(contracted(), completion_reason="按合同完成" if state != "failed" else "未完成约定任务",
                completion_result="failed" if state == "failed" else "passed", status=state)
    if state == "failed":
        data["liable_party"] = "lab"
    if state in ("redemption_requested", "redeemed"):
        data.update(redemption_amount=Decimal("50000.00"), invoice_no="No.0001",
                    redemption_requested_on=datetime.date(2026, 9, 1))
    if state == "redeemed":
        data.update(redeemed_on=datetime.date(2026, 9, 20), payment_ref="兑付〔2026〕1号")
    return data


def purchase(project_, product_, **kw):
    data = dict(project=project_, product=product_, amount=Decimal("1000.00"),
                purchased_on=datetime.date(2026, 6, 1))
    data.update(kw)
    return models.ProjectPurchase.create(**data)


def world():
    """One of every record, linked the way the program links them."""
    ri = recommending_institution()
    si = service_institution()
    center = domain_center()
    m = member(center)
    the_lab = lab(si)
    ent = enterprise(recommended_by=ri)
    prod = product()
    proj = project(ent, the_lab, **contracted())
    return dict(
        recommending_institution=ri,
        promotion_event=promotion_event(ri),
        service_institution=si,
        performance_evaluation=evaluation(si),
        domain_center_member=m,
        lab=the_lab,
        enterprise=ent,
        new_tech_product=prod,
        project=proj,
        project_purchase=purchase(proj, prod),
        policy_setting=models.PolicySetting.get_or_create(key="r1_min_promised_events",
                                                          defaults={"value": "2", "description": "测试参数"})[0],
        audit_log=models.AuditLog.create(action="create", model="lab", object_id=the_lab.id),
    )


def reopened(record):
    """The record back to 草稿 (draft): its fields open to edits, as before
    submission locked them (program/locks.py)."""
    model = type(record)
    model.update(status="draft").where(model.id == record.id).execute()
    record.status = "draft"
    return record
