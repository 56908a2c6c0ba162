"""The application states of DOMAIN.md §2, as data, and the one mechanism
that serves them.

A transition is a row of TRANSITIONS: table, name, from-states, to-state, who
may take it, which rules guard it, which fields it asks for. `perform()` is the
only way a status changes: it checks role, state, opinion, separation of
duties and the rules, changes the state with a conditional UPDATE (so two
clerks at once end in exactly one transition), runs the transition's effect
(opening an account) and writes the audit trail, all in one database
transaction.
"""
import datetime
from dataclasses import dataclass, field
from typing import Any, Optional

from peewee import IntegrityError
from werkzeug.security import generate_password_hash

import models
from models import (
    DomainCenterMember,
    Lab,
    Project,
    RecommendingInstitution,
    ServiceInstitution,
    User,
    db,
    now,
)
from program import audit, caps, checks, deadlines, invariants, notices, passwords, policy, rules

OFFICE, COMMISSION, SELF = policy.OFFICE, policy.COMMISSION, policy.SELF


class WorkflowError(Exception):
    """A refusal with the Chinese message a user reads (field: where it goes)."""

    def __init__(self, message, field=None, forbidden=False):
        super().__init__(message)
        self.message = message
        self.field = field
        self.forbidden = forbidden


@dataclass(frozen=True)
class Transition:
    model: type
    name: str
    label: str
    sources: tuple
    target: str
    roles: frozenset
    # rules.py checks beyond the record's own invariants (invariants.enforce).
    checks: tuple = ()
    # Model fields the user fills in on the confirmation form, and which of
    # them are required there.
    fields: tuple = ()
    required: tuple = ()
    # {field: hint(record) -> text}: what the form says beside a field, in figures.
    hints: dict = field(default_factory=dict)
    opinion_required: bool = False
    # The user named in this field (the one who submitted, or asked for a
    # redemption) may not take this one (separation of duties).
    not_by: Optional[str] = None
    # Fixed values the transition writes besides the status.
    sets: dict = field(default_factory=dict)
    # Which bookkeeping fields it stamps: "submitted", "reviewed" or None.
    stamp: Optional[str] = None
    # Extra work inside the same transaction; returns what the result page shows.
    effect: Any = None
    bulk: bool = False
    # A correction (退回修改), open at many states: a record does not wait
    # for it (the work queue), and a lock note points to it.
    correction: bool = False
    # Taken by the system, not by a button: when a save by one of `roles`
    # leaves the record in a source state and this condition holds, in the
    # save's own transaction (follow_up()).
    automatic: Any = None

    @property
    def table(self):
        return self.model._meta.table_name

    @property
    def not_by_submitter(self):
        return self.not_by == "submitted_by"


def _open_account(record, user, values):
    """R2 (Q4): after approval, one institution account (the state guard and
    the unique user.institution_id refuse a second), a random first password
    shown once, stored only hashed, to be changed at first login."""
    username = (values.get("username") or "").strip() or f"jigou{record.id:04d}"
    existing = User.get_or_none(User.institution == record.id)
    if existing is not None:
        # Linked by hand (account screen or command line) before opening.
        raise WorkflowError(f"该机构已有系统账号“{existing.username}”，不能重复开通；"
                            "如需重新发放，请由系统管理员在“系统账号”中重置其密码")
    if User.select().where(User.username == username).exists():
        raise WorkflowError(f"用户名“{username}”已被使用，请换一个", field="username")
    password = passwords.generate()
    account = User.create(
        username=username,
        display_name=record.name[:60],
        role=policy.INSTITUTION,
        institution=record.id,
        password_hash=generate_password_hash(password),
        must_change_password=True,
    )
    audit.record(user, "open_account", "user", account.id, after=audit.snapshot(account))
    return {"username": username, "password": password, "account_id": account.id}


def _application(model, review_roles, submit_checks=()):
    """submit / approve / reject of an application (institutions, members,
    labs), and 退回修改: a submitted or approved one reopened as a draft
    (its qualification locked until then, program/locks.py)."""
    return (
        Transition(model, "submit", "提交申请", ("draft", "rejected"), "submitted", OFFICE,
                   checks=submit_checks, stamp="submitted", bulk=True),
        Transition(model, "approve", "审核通过", ("submitted",), "approved", review_roles,
                   not_by="submitted_by", stamp="reviewed", bulk=True),
        Transition(model, "reject", "驳回", ("submitted",), "rejected", review_roles,
                   opinion_required=True, stamp="reviewed", bulk=True),
        _return_for_revision(model, ("submitted", "approved")),
    )


def _return_for_revision(model, sources, resets=None):
    """DOMAIN.md §6: a decided record reopened by the office as a draft,
    with an opinion, audited; what the later steps filled is reset."""
    return Transition(model, "return_for_revision", "退回修改", sources, "draft", OFFICE,
                      opinion_required=True, sets=dict(resets or {}), correction=True,
                      stamp="reviewed" if "reviewed_by" in model._meta.fields else None)


def _profile_complete(institution):
    """Q4: the institution has filled in what it maintains itself (the
    fields the policy lets it edit: introduction, features, contacts)."""
    fields = policy.editable_fields_for(policy.INSTITUTION, institution._meta.table_name)
    return all((getattr(institution, name) or "").strip() for name in fields)


def _r6_and_r9(project):
    rules.r6_lab_in_directory(project.lab_id)
    rules.r9_industrial_design_lab(project)


TRANSITIONS = (
    # Q4: the commission approves recommending institutions; the office opens
    # the account and trains the institution.
    *_application(RecommendingInstitution, COMMISSION,
                  submit_checks=(rules.r1_recommending_institution_complete,)),
    Transition(RecommendingInstitution, "open_account", "开通系统账号", ("approved",), "account_opened",
               OFFICE, fields=("username",), sets={"account_opened_at": now}, effect=_open_account),
    Transition(RecommendingInstitution, "complete_profile", "完善机构信息", ("account_opened",),
               "profile_completed", SELF, automatic=_profile_complete),
    Transition(RecommendingInstitution, "record_training", "登记业务培训",
               ("account_opened", "profile_completed"), "trained", OFFICE,
               fields=("trained_on",), required=("trained_on",), bulk=True),
    # Q5: the office reviews service institutions, members and labs.
    *_application(ServiceInstitution, OFFICE,
                  submit_checks=(rules.r4_service_institution_qualified,)),
    *_application(DomainCenterMember, OFFICE, submit_checks=(rules.r7_member_joins_domain_center,)),
    *_application(Lab, OFFICE, submit_checks=(rules.r5_lab_reported_by_approved_institution,
                                              rules.r7_member_lab_through_its_center)),
    # Projects: application, grant, contract (Q6), completion review (Q8).
    Transition(Project, "submit", "提交申报", ("draft",), "submitted", OFFICE,
               checks=(rules.r8_project_enterprise, _r6_and_r9), stamp="submitted", bulk=True),
    Transition(Project, "grant", "申报成功（发放创新券）", ("submitted",), "granted", OFFICE,
               fields=("voucher_granted_on",), required=("voucher_granted_on",), not_by="submitted_by",
               checks=(caps.annual_voucher_cap, caps.annual_cap_at_grant), bulk=True),
    Transition(Project, "reject", "申报未通过", ("submitted",), "rejected", OFFICE, opinion_required=True,
               bulk=True),
    Transition(Project, "register_contract", "登记合同", ("granted",), "contracted", OFFICE,
               fields=("contract_signed_on", "contract_amount", "contract_has_voucher_clause",
                       "contract_voucher_amount"),
               required=("contract_signed_on", "contract_amount", "contract_voucher_amount"),
               checks=(rules.r10_contract, rules.r11_contract_covers_purchases, deadlines.contract_in_time)),
    Transition(Project, "pass_review", "结题通过", ("contracted",), "passed", OFFICE,
               fields=("completion_reason",), required=("completion_reason",),
               sets={"completion_result": "passed", "liable_party": None},
               checks=(rules.r12_completion, deadlines.reviewed_in_time), bulk=True),
    Transition(Project, "fail_review", "结题未通过", ("contracted",), "failed", OFFICE,
               fields=("completion_reason", "liable_party"), required=("completion_reason", "liable_party"),
               sets={"completion_result": "failed"}, checks=(rules.r12_completion, deadlines.reviewed_in_time),
               bulk=True),
    # 兑付 (DOMAIN.md §6): asked for by the office on the lab's behalf after
    # 结题通过, decided by another clerk (paid, or sent back with a reason).
    Transition(Project, "request_redemption", "申请兑付", ("passed",), "redemption_requested", OFFICE,
               fields=("redemption_amount", "invoice_no", "redemption_requested_on", "redemption_materials"),
               required=("redemption_amount", "invoice_no", "redemption_requested_on", "redemption_materials"),
               hints={"redemption_amount": rules.redemption_limit_text}, stamp="redemption_requested"),
    Transition(Project, "redeem", "兑付审核通过（已兑付）", ("redemption_requested",), "redeemed", OFFICE,
               fields=("redeemed_on", "payment_ref"), required=("redeemed_on", "payment_ref"),
               not_by="redemption_requested_by", bulk=True),
    Transition(Project, "reject_redemption", "兑付驳回", ("redemption_requested",), "passed", OFFICE,
               opinion_required=True, not_by="redemption_requested_by", bulk=True,
               # The request's materials stay with the project: the next
               # request keeps them or replaces them with a new upload.
               sets={"redemption_amount": None, "invoice_no": None, "redemption_requested_on": None,
                     "redemption_requested_by": None}),
    # A granted or contracted project reopened: the grant and the contract
    # are undone with it (a project with purchases keeps its contract: R11).
    _return_for_revision(Project, ("submitted", "granted", "contracted"),
                         resets={"voucher_granted_on": None, "contract_signed_on": None, "contract_amount": None,
                                 "contract_has_voucher_clause": False, "contract_voucher_amount": None}),
)

_BY_KEY = {(t.table, t.name): t for t in TRANSITIONS}


def get(table: Optional[str], name: str) -> Optional[Transition]:
    return _BY_KEY.get((table, name))


def for_table(table: str) -> list[Transition]:
    return [t for t in TRANSITIONS if t.table == table]


def correction_for(record: Any) -> Optional[Transition]:
    """The transition that reopens this record from its state, if any."""
    return next((t for t in for_table(record._meta.table_name)
                 if t.correction and record.status in t.sources), None)


def state_label(model: Any, value: str) -> str:
    return model.status.choices.label(value)


def action_label(action: str, table: Optional[str] = None) -> str:
    """The Chinese name of an audited action: one of the audit trail's own,
    or a transition's."""
    if action in audit.ACTIONS:
        return audit.ACTIONS.label(action)
    transition = get(table, action) or next((t for t in TRANSITIONS if t.name == action), None)
    return transition.label if transition else action


def available(record: Any, user: Any) -> list[Transition]:
    """The transitions this user may take on this record now (the list and
    details pages show these; perform() checks again)."""
    table = record._meta.table_name
    return [t for t in for_table(table)
            if record.status in t.sources and not t.automatic and policy.may_take(user, t.roles)]


def follow_up(record: Any, user: Any) -> None:
    """After a save by this user (in its transaction): the automatic
    transitions the record now meets, such as 完善机构信息."""
    for transition in for_table(record._meta.table_name):
        if (transition.automatic and record.status in transition.sources
                and policy.may_take(user, transition.roles) and transition.automatic(record)):
            perform(transition, record.id, user)
            record.status, record.version = transition.target, record.version + 1


TAKEN_MEANWHILE = "该记录刚刚已被他人处理，当前状态为“{state}”，未做任何修改"


def why_not(transition: Transition, record: Any, user: Any) -> Optional[str]:
    """Why this user cannot take this transition on this record now, before
    any form is filled in (None: they can): the state, and the separation
    of duties."""
    model = transition.model
    if record.status not in transition.sources:
        allowed = "、".join(state_label(model, s) for s in transition.sources)
        return f"当前状态为“{state_label(model, record.status)}”，不能{transition.label}（须为“{allowed}”）"
    if transition.not_by and getattr(record, f"{transition.not_by}_id") == user.id:
        return ("您申请的兑付需由其他工作人员审核" if transition.not_by == "redemption_requested_by"
                else "您提交的申请需由其他工作人员审核")
    return None


def check(transition: Transition, record: Any, user: Any, opinion: str = "",
          expected_version: Optional[int] = None) -> None:
    """Everything but the rules on the new values: role, state, opinion,
    separation of duties. `expected_version` is the version the user saw
    (the confirmation form carries it): if the record moved on since, the
    user is told so, whichever database and whoever came first."""
    if not policy.may_take(user, transition.roles):
        raise WorkflowError(f"您的角色无权执行“{transition.label}”", forbidden=True)
    model = transition.model
    if expected_version is not None and record.version != expected_version:
        raise WorkflowError(TAKEN_MEANWHILE.format(state=state_label(model, record.status)))
    refusal = why_not(transition, record, user)
    if refusal:
        raise WorkflowError(refusal)
    if transition.opinion_required and not checks.trim(opinion or ""):
        raise WorkflowError(f"{transition.label}须填写意见", field="opinion")


def perform(transition: Transition, record_id: int, user: Any, opinion: str = "",
            values: Optional[dict] = None, expected_version: Optional[int] = None) -> dict:
    """Take the transition on the record; returns the effect's result (or {})."""
    try:
        return _perform(transition, record_id, user, opinion, dict(values or {}), expected_version)
    except IntegrityError as exc:
        # What the checks above could not see: a race on a unique column.
        raise WorkflowError("办理失败：数据与已有记录冲突（如用户名或关联账号已存在），未做任何修改") from exc


def _perform(transition, record_id, user, opinion, values, expected_version):
    """The steps of perform(), in one transaction: read and check, decide the
    changes, check the record as it will be, write it if it is still in a
    source state, run the effect, audit."""
    model = transition.model
    with db.atomic():
        record = model.get_or_none(model.id == record_id)
        if record is None:
            raise WorkflowError("记录不存在", forbidden=True)
        check(transition, record, user, opinion, expected_version)
        before = audit.snapshot(record)
        stamp = now()
        changes = _changes(transition, user, opinion, values, stamp)
        _check_result(transition, record, changes)
        _write_if_unchanged(transition, record, changes, stamp)
        result = transition.effect(record, user, values) if transition.effect else {}
        fresh = model.get_by_id(record.id)
        row = audit.record(user, transition.name, transition.table, record.id, before=before,
                           after=audit.snapshot(fresh), extra={"opinion": opinion} if opinion else None)
        # The e-mail it owes, in the same transaction (program/notices.py).
        notices.after_transition(transition, fresh, checks.trim(opinion or ""), row)
    return result or {}


def _changes(transition, user, opinion, values, stamp):
    """What the transition writes: the fields the user filled in, its fixed
    values, the bookkeeping stamps and the new state."""
    changes = {name: values.get(name) for name in transition.fields if name in transition.model._meta.fields}
    for name, value in transition.sets.items():
        changes[name] = value() if callable(value) else value
    if transition.stamp == "submitted":
        changes.update(submitted_at=stamp, submitted_by=user.id)
    elif transition.stamp == "redemption_requested":
        changes.update(redemption_requested_by=user.id)
    elif transition.stamp == "reviewed":
        changes.update(reviewed_by=user.id, reviewed_at=stamp, review_opinion=checks.trim(opinion or "") or None)
    changes["status"] = transition.target
    return changes


def _check_result(transition, record, changes):
    """The record as it will be, checked by the transition's rules and by
    every invariant of rules.py, before anything is written."""
    for name, value in changes.items():
        setattr(record, name, value)
    today = models.today()
    for name in transition.fields:  # whatever path the values came by
        value = changes.get(name)
        if name in transition.required and value in (None, ""):
            raise checks.RuleViolation(name, f"请填写“{transition.model.label(name)}”")
        # A step records what has happened: a grant, a signing, a payment
        # dated later would also be judged by a policy version still pending.
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime) and value > today:
            raise checks.RuleViolation(name, f"“{transition.model.label(name)}”为 {value}，不能晚于今天（{today}）")
    for guard in transition.checks:
        guard(record)
    invariants.enforce(record)


def _write_if_unchanged(transition, record, changes, stamp):
    """Conditional on the state it was read in: of two clerks acting at
    once, exactly one changes it."""
    model = transition.model
    columns = {getattr(model, name): value for name, value in changes.items()}
    columns[model.version] = model.version + 1
    columns[model.updated_at] = stamp
    updated = (
        model.update(columns)
        .where(model.id == record.id, model.status.in_(transition.sources))
        .execute()
    )
    if updated != 1:
        current = model.get_by_id(record.id)
        raise WorkflowError(TAKEN_MEANWHILE.format(state=state_label(model, current.status)))


def today() -> datetime.date:
    return models.today()
