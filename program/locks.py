"""Records lock by state (DOMAIN.md §6): once a step has decided on a
record, the fields that decision rests on are read-only. A change then goes
through `return_for_revision` (退回修改, program/workflow.py), which reopens
the record as a draft, with an opinion, audited.

- a `submitted` record, under review: what the reviewer is deciding on (a
  project's application, an institution's qualification), so that what is
  approved is what was submitted, and the one who approves cannot first
  rewrite it (the separation of duties of `not_by_submitter`);
- a `granted` or `contracted` project: its application fields and voucher
  amount (the contract's own fields are filled by 登记合同, never a form);
- a `passed` or `failed` project, one whose redemption is asked for or
  done, a voided one: everything (兑付 fills its own fields by its steps);
- a policy version (`policy_setting`) once its date has come: everything;
  a change is a new version from a later date (program/parameters.py);
- an `approved` institution, member unit or lab (and a recommending
  institution whose account has been opened since): the qualification
  fields and materials. Contacts and the institution's own introduction stay
  open: they are what the institution keeps up to date.

The edit forms leave locked fields out and show them as text (admin/
editing.py); `enforce` runs before every save (program/signals.py), so a
crafted POST, the command line or a later import cannot change them either.
Decided records are not deleted: a trail of public money is kept.
"""
import datetime
from typing import Any, Optional

import compat
import models
from models import DomainCenterMember, Lab, PolicySetting, Project, RecommendingInstitution, ServiceInstitution
from program.checks import RuleViolation

EVERYTHING = "*"

PROJECT_APPLICATION = ("title", "enterprise", "lab", "activity_type", "priority_theme", "voucher_amount")
PROJECT_CONTRACT = ("voucher_granted_on", "contract_signed_on", "contract_amount", "contract_has_voucher_clause",
                    "contract_voucher_amount")

QUALIFICATION = {
    RecommendingInstitution: ("name", "credit_code", "served_enterprise_count", "promised_event_count",
                              "work_mechanism", "safeguards", "application_form", "commitment_letter"),
    ServiceInstitution: ("name", "credit_code", "parent_org_name", "parent_org_type", "parent_in_platform",
                         "is_independent_legal_entity", "is_domain_center", "domain", "application_form",
                         "commitment_letter", "management_rules", "authorization_letter"),
    DomainCenterMember: ("name", "credit_code", "org_type", "domain_center", "field", "authorization_letter"),
    Lab: ("name", "category", "recognition_ref", "service_institution", "member_unit", "capabilities"),
}
APPROVED = ("approved", "account_opened", "profile_completed", "trained")

# Per model and state, the locked fields.
LOCKS: dict = {
    Project: {
        "submitted": PROJECT_APPLICATION,
        "granted": PROJECT_APPLICATION,
        "contracted": PROJECT_APPLICATION + PROJECT_CONTRACT,
        "passed": EVERYTHING,
        "failed": EVERYTHING,
        "redemption_requested": EVERYTHING,
        "redeemed": EVERYTHING,
        "voided": EVERYTHING,
    },
    **{model: {state: fields for state in ("submitted",) + APPROVED} for model, fields in QUALIFICATION.items()},
    PolicySetting: {"in_force": EVERYTHING},
}

# Bookkeeping written by the system, never by a form.
_NEVER_LOCKED = ("id", "version", "created_at", "updated_at")


def _state(record: Any) -> Optional[str]:
    """The state a record locks by: its status; a policy version's standing
    (in force from its date on, superseded or not)."""
    if isinstance(record, PolicySetting):
        day = record.effective_from
        return "in_force" if isinstance(day, datetime.date) and day <= models.today() else "pending"
    return getattr(record, "status", None)


def locked_fields(record: Any, state: Optional[str] = None) -> tuple:
    """The fields of the record that its state (or `state`) locks."""
    by_state = LOCKS.get(type(record), {})
    fields = by_state.get(state if state is not None else _state(record), ())
    if fields == EVERYTHING:
        return tuple(name for name in record._meta.fields if name not in _NEVER_LOCKED)
    return tuple(fields)


def is_locked(record: Any) -> bool:
    return bool(record.id is not None and locked_fields(record))


def everything_locked(record: Any) -> bool:
    return LOCKS.get(type(record), {}).get(_state(record)) == EVERYTHING


def why(record: Any, reopenable: bool = True) -> str:
    """What a clerk reads at the top of a locked record's form (reopenable:
    whether 退回修改 can be taken from the record's state)."""
    if isinstance(record, PolicySetting):
        since = record.since() if record.effective_from == models.POLICY_ORIGIN else f"自 {record.since()} 起的版本"
        return (f"该参数的{since}已生效，已生效的政策参数不能修改或删除；"
                "如需调整，请新增一个自以后日期起生效的版本。")
    state = record.display("status")
    if everything_locked(record):
        return f"该记录状态为“{state}”，全部字段均已锁定，不能再修改。"
    lead = ("该记录已提交审核，审核所依据的字段已锁定，显示为只读；" if record.status == "submitted"
            else f"该记录状态为“{state}”，其审核所依据的字段已锁定，显示为只读；")
    if not reopenable:
        return lead + "如需更正，请联系办公室工作人员。"
    return lead + "如需修改，须经“退回修改”（办公室工作人员办理）后重新提交审核。"


def enforce(record: Any) -> None:
    """Before a save: no locked field of the stored record changes."""
    if record.id is None or type(record) not in LOCKS:
        return
    model = type(record)
    stored = model.get_or_none(model.id == record.id)
    if stored is None:
        return
    for name in locked_fields(stored):
        field = model._meta.fields[name]
        if _stored(stored, field) != _stored(record, field):
            raise RuleViolation(name, f"“{field.verbose_name}”已锁定，不能修改：{why(stored)}")


def deletable(record: Any) -> None:
    """A decided record stays: deleting it would erase the trail of a
    decision. One under review neither: 退回修改 first, then delete the draft."""
    if record.id is not None and type(record) in LOCKS and locked_fields(record):
        if isinstance(record, PolicySetting):
            raise RuleViolation(None, f"“{record}”已生效，不能删除：政策参数的历史版本永久保留")
        raise RuleViolation(None, f"“{record}”状态为“{record.display('status')}”，不能删除")


def _stored(record, field):
    return compat.stored(record, field.name)
