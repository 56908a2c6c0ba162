"""Which rules apply to which record, always: the general checks and the
program's rules (R1–R12) per kind of record, and what may not be deleted.

Who calls what:
- `violations(record)` — every rule that applies to a record as it stands;
  the admin forms show these beside their fields (forms/validators.py).
- `enforce(record)` — the same, raising the first; peewee's pre_save signal
  runs it before any record is saved (program/signals.py), so the command
  line, the demo data and later imports cannot write what a form would refuse.
"""
from decimal import Decimal
from typing import Any

import models
from models import (
    DomainCenterMember,
    Enterprise,
    Lab,
    NewTechProduct,
    PerformanceEvaluation,
    PolicySetting,
    Project,
    ProjectPurchase,
    PromotionEvent,
    RecommendingInstitution,
    ServiceInstitution,
    User,
)
from program import locks, parameters, policy
from program.checks import (
    LAST_ADMIN,
    RuleViolation,
    check_email,
    check_phone,
    general_account_institution,
    general_credit_code,
    general_field_bounds,
    general_keeps_an_admin,
    general_not_negative,
    general_positive,
    general_username,
    hold_active_admins,
    other_active_admins,
)
from program.caps import annual_voucher_cap
from program.rules import (
    R1_COUNTS,
    general_voucher_within_contract,
    r1_counts,
    r1_mechanism_and_materials,
    r4_domain_with_center,
    r4_service_institution_qualified,
    r5_lab_reported_by_approved_institution,
    r6_lab_in_directory,
    r7_member_joins_domain_center,
    r7_member_lab_through_its_center,
    r8_enterprise,
    r8_project_enterprise,
    r9_industrial_design_lab,
    r10_contract,
    r10_redemption,
    r11_contract_covers_purchases,
    r11_product_valid_on,
    r11_purchase_within_cap,
    r12_completion,
)


def deletable(record: Any) -> None:
    """Raise when the program forbids deleting this record."""
    if isinstance(record, User) and policy.administers(record.role) and record.is_active:
        hold_active_admins()
        if not other_active_admins(record):
            raise RuleViolation(None, LAST_ADMIN.format(what="删除"))


def _lab_changed(project):
    if project.id is None:
        return True
    stored = Project.select(Project.lab, Project.activity_type).where(Project.id == project.id).first()
    return stored is None or stored.lab_id != project.lab_id or stored.activity_type != project.activity_type


def _r1_past_draft(ri):
    """An application past draft keeps what R1 asked of it at submission:
    its texts and materials stay, and a count it changes meets the minimum
    in force. A count left as it was is not judged again by a minimum
    raised since (that would freeze the record, the institution's own
    contacts included)."""
    if ri.status == "draft":
        return
    r1_mechanism_and_materials(ri)
    stored = RecommendingInstitution.get_or_none(RecommendingInstitution.id == ri.id) if ri.id else None
    changed = [name for name in R1_COUNTS
               if stored is None or getattr(stored, name) != getattr(ri, name)]
    r1_counts(ri, changed)


def _r4_past_draft(si):
    if si.status != "draft":
        r4_service_institution_qualified(si)


def _r6_when_lab_chosen(project):
    # A lab leaving the directory later does not freeze its running projects.
    if _lab_changed(project):
        r6_lab_in_directory(project.lab_id)


def _r9_when_lab_chosen(project):
    if _lab_changed(project):
        r9_industrial_design_lab(project)


def _held_already(event):
    """R3 counts the events held: one dated in the future has not been."""
    if event.held_on is not None and event.held_on > models.today():
        raise RuleViolation("held_on", f"举办日期 {event.held_on} 晚于今天；请在活动举办后登记")


def _product_dates(product):
    if product.valid_from and product.valid_to and product.valid_from > product.valid_to:
        raise RuleViolation("valid_to", f"有效期止 {product.valid_to} 早于有效期起 {product.valid_from}")


def _evaluation(evaluation):
    if evaluation.score is not None and not Decimal(0) <= evaluation.score <= Decimal(100):
        raise RuleViolation("score", f"得分应在 0 至 100 之间，您输入的是 {evaluation.score}")
    if evaluation.year is not None and not 2000 <= evaluation.year <= models.now().year:
        raise RuleViolation("year", f"评价年度应在 2000 至 {models.now().year} 之间，您输入的是 {evaluation.year}")


def _required_code(record):
    general_credit_code(record, required=True)


def _phone(record):
    if getattr(record, "contact_phone", None):
        record.contact_phone = check_phone(record.contact_phone)


def _email(record):
    if getattr(record, "contact_email", None):
        record.contact_email = check_email(record.contact_email)


def _not_negative(*fields):
    return lambda record: general_not_negative(record, *fields)


def _positive(*fields):
    return lambda record: general_positive(record, *fields)


# Per record kind, the checks that apply; each raises at most one violation,
# so a form shows every problem at once.
RECORD_RULES = {
    RecommendingInstitution: (_required_code, _phone, _email,
                              _not_negative("served_enterprise_count", "promised_event_count"),
                              _r1_past_draft),
    ServiceInstitution: (lambda si: general_credit_code(si, required=not si.is_domain_center),
                         _phone, _email, r4_domain_with_center, _r4_past_draft),
    DomainCenterMember: (_required_code, _phone, _email, r7_member_joins_domain_center),
    Lab: (_phone, _email, r5_lab_reported_by_approved_institution, r7_member_lab_through_its_center),
    Enterprise: (r8_enterprise, _phone, _email, _not_negative("employee_count", "annual_revenue")),
    NewTechProduct: (_product_dates,),
    Project: (_positive("voucher_amount", "contract_amount", "contract_voucher_amount"),
              r8_project_enterprise, _r6_when_lab_chosen, _r9_when_lab_chosen,
              general_voucher_within_contract, r10_contract, r10_redemption, r11_contract_covers_purchases,
              annual_voucher_cap, r12_completion),
    ProjectPurchase: (_positive("amount"), r11_product_valid_on, r11_purchase_within_cap),
    PromotionEvent: (_not_negative("participant_count"), _held_already),
    PerformanceEvaluation: (_evaluation,),
    PolicySetting: (parameters.check_setting,),
    User: (general_username, general_account_institution, general_keeps_an_admin),
}


def violations(record: Any) -> list[RuleViolation]:
    """Every refusal for the record as it stands, as a list. Values out of
    their column's bounds are reported first and alone: the program's rules
    compare amounts and dates, which such values cannot be."""
    found = general_field_bounds(record)
    if found:
        return found
    for check in RECORD_RULES.get(type(record), ()):
        try:
            check(record)
        except RuleViolation as exc:
            found.extend(exc.every)
    return found


def enforce(record: Any) -> None:
    for violation in general_field_bounds(record):
        raise violation
    for check in RECORD_RULES.get(type(record), ()):
        check(record)


def before_save(sender: type, instance: Any, created: bool) -> None:
    """peewee's pre_save receiver (program/signals.py): no path saves what
    a form would refuse, or changes what a decision has locked."""
    locks.enforce(instance)
    enforce(instance)


def before_delete(sender: type, instance: Any) -> None:
    """peewee's pre_delete receiver: what the program forbids deleting."""
    locks.deletable(instance)
    deletable(instance)

