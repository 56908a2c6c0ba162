"""The program's rules, one home each, named by their id in DOMAIN.md §3.

Every check raises RuleViolation(field, message): the Chinese message a clerk
reads beside the field (field None: at the top of the form), naming the limit
and the value given. This module knows nothing of Flask or WTForms.

The single functions (r1_…, r11_…) serve the workflow's guards and the
reports; program/invariants.py says which of them (and of the general
checks) apply to each kind of record, always.
"""
import datetime
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from typing import Iterable, Optional

import models
from models import (
    DomainCenterMember,
    Enterprise,
    Lab,
    NewTechProduct,
    Project,
    ProjectPurchase,
    RecommendingInstitution,
    ServiceInstitution,
)
from program import parameters
from program.checks import (
    RuleViolation,
    each,
    general_credit_code,
    raise_all,
    yuan,
)

# --- R1 (Q4): a recommending institution's application ------------------------------

def r1_recommending_institution_complete(ri: RecommendingInstitution) -> None:
    """Served enterprises, promised events, work mechanism, safeguards and the
    two materials: what an application needs to be submitted (every gap
    named at once), by the minimums in force today, the submission's date."""
    raise_all(each(lambda: r1_counts(ri, on=models.today()), lambda: r1_mechanism_and_materials(ri)))


# The counts R1 asks for, with the policy parameter of each minimum.
R1_COUNTS = {"served_enterprise_count": "r1_min_served_enterprises",
             "promised_event_count": "r1_min_promised_events"}


def r1_counts(ri: RecommendingInstitution, fields: Iterable[str] = tuple(R1_COUNTS),
              on: Optional[datetime.date] = None) -> None:
    """The counts against the minimums (政策参数) in force on the
    application's submission date (`on`, else its own, else today)."""
    on = on or (ri.submitted_at.date() if ri.submitted_at else None)
    problems = []
    if "served_enterprise_count" in fields:
        least, served = parameters.count(R1_COUNTS["served_enterprise_count"], on), ri.served_enterprise_count or 0
        if served < least:
            problems.append(RuleViolation("served_enterprise_count", f"服务企业数量为 {served} 家，应不少于 {least} 家"))
    if "promised_event_count" in fields:
        least, promised = parameters.count(R1_COUNTS["promised_event_count"], on), ri.promised_event_count or 0
        if promised < least:
            problems.append(RuleViolation("promised_event_count",
                                          f"承诺组织宣传、对接活动 {promised} 次，应不少于 {least} 次"))
    raise_all(problems)


def r1_mechanism_and_materials(ri: RecommendingInstitution) -> None:
    problems = []
    if not (ri.work_mechanism or "").strip():
        problems.append(RuleViolation("work_mechanism",
                                      "请填写工作机制：管理机制、服务流程、可辐射的小微企业（创业团队）总体情况"))
    if not (ri.safeguards or "").strip():
        problems.append(RuleViolation("safeguards", "请填写保障措施：组织保障、业务流程、工作计划"))
    if ri.application_form_id is None:
        problems.append(RuleViolation("application_form", "请上传推荐机构申请表"))
    if ri.commitment_letter_id is None:
        problems.append(RuleViolation("commitment_letter", "请上传推荐机构承诺函"))
    raise_all(problems)


# --- R4 (Q5): a professional service institution ------------------------------------

def r4_service_institution_qualified(si: ServiceInstitution) -> None:
    """An independent legal entity authorised by a university, research
    institute or central SOE group that has joined the platform, with the four
    materials. The six domain centers are named by the FAQ itself."""
    if si.is_domain_center:
        r4_domain_with_center(si)
        return
    problems = []
    if not si.is_independent_legal_entity:
        problems.append(RuleViolation("is_independent_legal_entity", "专业服务机构应为独立法人单位"))
    if si.parent_org_type not in models.PARENT_ORG_TYPES:
        problems.append(RuleViolation("parent_org_type", "请选择授权单位类型：高校、科研院所或大型央企集团"))
    if not (si.parent_org_name or "").strip():
        problems.append(RuleViolation("parent_org_name", "请填写授权单位名称"))
    if not si.parent_in_platform:
        problems.append(RuleViolation(
            "parent_in_platform", "授权单位须已加入首都科技条件平台；未加入的，请通过领域中心成员单位申请"))
    for name, label in (("application_form", "专业服务机构申请表"), ("commitment_letter", "承诺函"),
                        ("management_rules", "机构内创新券管理办法细则"), ("authorization_letter", "授权函")):
        if getattr(si, f"{name}_id") is None:
            problems.append(RuleViolation(name, f"请上传{label}"))
    raise_all(problems)


def r4_domain_with_center(si: ServiceInstitution) -> None:
    """A domain center names its domain; any other institution names none
    (the form shows 所属领域 only with 领域中心 ticked)."""
    if si.is_domain_center and not si.domain:
        raise RuleViolation("domain", "领域中心须选择所属领域")
    if not si.is_domain_center and si.domain:
        raise RuleViolation("domain", "只有领域中心选择所属领域：请勾选“领域中心”，或清空所属领域")


# --- R5 (Q5): who reports a lab -----------------------------------------------------------

def r5_lab_reported_by_approved_institution(lab: Lab) -> None:
    reporter = ServiceInstitution.get_or_none(ServiceInstitution.id == lab.service_institution_id)
    if reporter is None or reporter.status != "approved":
        state = reporter.display("status") if reporter else "不存在"
        raise RuleViolation(
            "service_institution", f"实验室须由审核通过的专业服务机构上报；所选机构的状态为“{state}”"
        )


# --- R6 (Q7): the open-lab directory -------------------------------------------------------

def r6_lab_in_directory(lab_id: Optional[int], field: str = "lab") -> Lab:
    lab = Lab.get_or_none(Lab.id == lab_id)
    if lab is None:
        raise RuleViolation(field, "请选择开放实验室目录中的实验室")
    if not Lab.in_directory().where(Lab.id == lab.id).exists():
        if lab.category not in Lab.ELIGIBLE_CATEGORIES:
            why = f"类别为“{lab.display('category')}”，不属于可合作的实验室类别"
        else:
            why = f"状态为“{lab.display('status')}”，尚未进入开放实验室目录"
        raise RuleViolation(field, f"实验室“{lab.name}”{why}，与目录外实验室合作无法使用创新券")
    return lab


# --- R7 (Q5): domain-center members and their labs ----------------------------------------

def r7_member_joins_domain_center(member: DomainCenterMember) -> None:
    center = ServiceInstitution.get_or_none(ServiceInstitution.id == member.domain_center_id)
    if center is None or not center.is_domain_center:
        raise RuleViolation("domain_center", "成员单位须加盟领域中心之一")
    if member.field != center.domain:
        raise RuleViolation(
            "field",
            f"成员单位应按行业领域加盟：“{center.name}”的领域为“{center.display('domain')}”，"
            f"所选行业领域为“{models.DOMAIN_FIELDS.label(member.field)}”",
        )


def r7_member_lab_through_its_center(lab: Lab) -> None:
    if lab.member_unit_id is None:
        return
    member = DomainCenterMember.get_by_id(lab.member_unit_id)
    if member.status != "approved":
        raise RuleViolation("member_unit", f"成员单位“{member.name}”尚未审核通过，其实验室不能上报")
    if lab.service_institution_id != member.domain_center_id:
        raise RuleViolation(
            "service_institution",
            f"成员单位的实验室须由其所属领域中心“{member.domain_center.name}”上报",
        )


# --- R8 (Q1, Q7): who takes part -------------------------------------------------------------

def r8_enterprise(enterprise: Enterprise) -> None:
    def kind():
        if enterprise.kind not in models.ENTERPRISE_KINDS:
            raise RuleViolation("kind", "创新券只支持小型企业、微型企业和创业团队")

    def district():
        if enterprise.district not in models.DISTRICTS:
            raise RuleViolation("district", "请选择北京市 16 个区之一")

    raise_all(each(kind, district,
                   lambda: general_credit_code(enterprise, required=enterprise.kind != "startup_team")))


def r8_project_enterprise(project: Project) -> None:
    enterprise = Enterprise.get_or_none(Enterprise.id == project.enterprise_id)
    if enterprise is None or enterprise.kind not in models.ENTERPRISE_KINDS:
        raise RuleViolation("enterprise", "项目只能属于小微企业或创业团队")


# --- R9 (Q3): industrial design ----------------------------------------------------------------

def r9_industrial_design_lab(project: Project) -> None:
    if project.activity_type != "industrial_design":
        return
    lab = Lab.get_or_none(Lab.id == project.lab_id)
    if lab is not None and "industrial_design" not in lab.capabilities:
        raise RuleViolation(
            "lab", f"工业设计类项目须选择能提供工业设计服务的实验室；“{lab.name}”不提供工业设计服务"
        )


# --- R10 (Q6): the contract ----------------------------------------------------------------------

def r10_contract(project: Project) -> None:
    """Once a contract is registered: the voucher clause with its amount, and
    contract voucher amount ≤ voucher amount ≤ contract amount."""
    if project.contract_signed_on is None and not project.contract_has_voucher_clause \
            and project.contract_voucher_amount is None:
        return
    problems = []
    granted = project.voucher_granted_on
    if project.contract_signed_on is None:
        problems.append(RuleViolation("contract_signed_on", "请填写合同签订日期"))
    if not project.contract_has_voucher_clause:
        if granted is not None and project.contract_signed_on is not None and project.contract_signed_on < granted:
            problems.append(RuleViolation(
                "contract_has_voucher_clause",
                f"合同签订于 {project.contract_signed_on}，早于创新券发放（{granted}），且未约定创新券内容，"
                "不能作为创新券项目的有效合同"))
        else:
            problems.append(RuleViolation("contract_has_voucher_clause", "合同须约定创新券相关内容（如使用创新券的额度）"))
    if project.contract_voucher_amount is None:
        problems.append(RuleViolation("contract_voucher_amount", "请填写合同中约定的创新券额度"))
    if project.contract_amount is None:
        problems.append(RuleViolation("contract_amount", "请填写审定后的合同额"))
    if project.voucher_amount is not None and project.contract_voucher_amount is not None \
            and project.contract_voucher_amount > project.voucher_amount:
        problems.append(RuleViolation(
            "contract_voucher_amount",
            f"合同约定的创新券额度 {yuan(project.contract_voucher_amount)} 超过创新券金额 {yuan(project.voucher_amount)}"))
    raise_all(problems)


def r10_redemption(project: Project) -> None:
    """兑付 (DOMAIN.md §6): what the lab is paid is at most the voucher and
    at most the voucher sum the contract names; only a project that passed
    its completion review is redeemed (Q8: a failed one is settled by the
    parties under their contract)."""
    amount = project.redemption_amount
    if amount is None:
        return
    problems = []
    if project.completion_result != "passed":
        problems.append(RuleViolation(None, "只有结题通过的项目才能兑付；结题未通过的，由双方按合同约定处理"))
    if amount <= 0:
        problems.append(RuleViolation("redemption_amount", f"兑付金额应大于 0，您输入的是 {amount}"))
    for limit, what in ((project.voucher_amount, "创新券金额"), (project.contract_voucher_amount, "合同约定的创新券额度")):
        if limit is not None and amount > limit:
            problems.append(RuleViolation("redemption_amount", f"兑付金额 {yuan(amount)} 超过{what} {yuan(limit)}"))
    asked, signed, paid = project.redemption_requested_on, project.contract_signed_on, project.redeemed_on
    if asked and signed and asked < signed:
        problems.append(RuleViolation("redemption_requested_on", f"兑付申请日期 {asked} 早于合同签订日期 {signed}"))
    if paid and asked and paid < asked:
        problems.append(RuleViolation("redeemed_on", f"兑付日期 {paid} 早于兑付申请日期 {asked}"))
    raise_all(problems)


def redemption_limit_text(project: Project) -> str:
    """申请兑付's hint: the most that may be paid, in figures."""
    limits = [v for v in (project.voucher_amount, project.contract_voucher_amount) if v is not None]
    if not limits:
        return ""
    return f"不超过 {yuan(min(limits))}（创新券金额与合同约定的创新券额度中的较小者）"


def general_voucher_within_contract(project: Project) -> None:
    if project.contract_amount is not None and project.voucher_amount is not None \
            and project.voucher_amount > project.contract_amount:
        raise RuleViolation(
            "voucher_amount",
            f"创新券金额 {yuan(project.voucher_amount)} 超过审定合同额 {yuan(project.contract_amount)}",
        )


# --- R11 (Q2): new technologies and products ----------------------------------------------------

def r11_ratio(project: Project) -> Decimal:
    """The cap in force on the project's grant date (today before it)."""
    return parameters.ratio("r11_purchase_cap_ratio", project.voucher_granted_on)


def r11_percent(project: Project) -> str:
    """The project's cap, as clerks write it: 30%."""
    return f"{(r11_ratio(project) * 100).normalize():f}%"


def r11_cap(project: Project) -> Decimal:
    # Rounded down to the fen: 30 % of 49,999.99 is 14,999.997, so 15,000.00
    # of purchases is over the line, not on it.
    return (project.contract_amount * r11_ratio(project)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def r11_room(project: Project, excluding: Optional[int] = None) -> Optional[tuple]:
    """(cap, registered, left) of the project's new-technology purchases, or
    None before its contract amount is known (the purchase form shows it)."""
    if project.contract_amount is None:
        return None
    cap = r11_cap(project)
    used = Project.purchases_total(project.id, excluding=excluding)
    return cap, used, cap - used


def r11_product_valid_on(purchase: ProjectPurchase) -> None:
    product = NewTechProduct.get_or_none(NewTechProduct.id == purchase.product_id)
    if product is None:
        raise RuleViolation("product", "请选择已公示的新技术新产品（服务）")
    if purchase.purchased_on is None:
        raise RuleViolation("purchased_on", "请填写购买日期")
    if not product.valid_from <= purchase.purchased_on <= product.valid_to:
        raise RuleViolation(
            "purchased_on",
            f"购买日期 {purchase.purchased_on} 不在“{product.name}”的公示有效期"
            f"（{product.valid_from} 至 {product.valid_to}）内",
        )


def r11_purchase_within_cap(purchase: ProjectPurchase) -> None:
    if purchase.amount is None:
        return
    # Two purchases at once: the second waits for the first, then adds it.
    models.hold(Project.select(Project.id).where(Project.id == purchase.project_id))
    project = Project.get_or_none(Project.id == purchase.project_id)
    if project is None:
        raise RuleViolation("project", "请选择项目")
    if project.contract_amount is None:
        raise RuleViolation("project", f"项目 {project.code} 尚无审定合同额，不能登记新技术新产品购买")
    cap = r11_cap(project)
    total = Project.purchases_total(project.id, excluding=purchase.id) + purchase.amount
    if total > cap:
        raise RuleViolation(
            "amount",
            f"本项目新技术新产品购买合计将为 {yuan(total)}，超过审定合同额 {yuan(project.contract_amount)} "
            f"的 {r11_percent(project)}（{yuan(cap)}）",
        )


def r11_contract_covers_purchases(project: Project) -> None:
    if project.id is None:
        return
    used = Project.purchases_total(project.id)
    if not used:
        return
    if project.contract_amount is None:
        raise RuleViolation("contract_amount", f"本项目已登记新技术新产品购买 {yuan(used)}，审定合同额不能为空")
    cap = r11_cap(project)
    if used > cap:
        least = (used / r11_ratio(project)).quantize(Decimal("0.01"), rounding=ROUND_UP)
        raise RuleViolation(
            "contract_amount",
            f"本项目已登记新技术新产品购买 {yuan(used)}，审定合同额 {yuan(project.contract_amount)} 的 "
            f"{r11_percent(project)} 仅为 {yuan(cap)}，合同额不能低于 {yuan(least)}",
        )


# --- R12 (Q8): completion review ----------------------------------------------------------------

def r12_completion(project: Project) -> None:
    """Pass or fail with the experts' reasons; a failure names the liable
    party. Nothing beyond that is imposed (Q8)."""
    if project.completion_result is None:
        if project.liable_party:
            raise RuleViolation("liable_party", "尚无结题结论，不能认定责任方")
        return
    if not (project.completion_reason or "").strip():
        raise RuleViolation("completion_reason", "请填写专家给出的结题意见和原因")
    if project.completion_result == "failed" and not project.liable_party:
        raise RuleViolation("liable_party", "结题未通过的项目须认定责任方（企业、实验室、双方或按合同约定）")
    if project.completion_result == "passed" and project.liable_party:
        raise RuleViolation("liable_party", "结题通过的项目不认定责任方")
