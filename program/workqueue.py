"""What waits for a user, by kind and age: the 工作台's work queue.

A kind of waiting record is a state some transition leaves from (WAITING);
a user sees it when they may take such a transition (workflow.TRANSITIONS,
by role). A step the submitter may not take (separation of duties) counts
only what others submitted. The counts come from the tallies kept in step
with every write (program/tallies.py); the age is that of the oldest
record, found at the start of an index.

Knows nothing of Flask: the screens turn items into links.
"""
import datetime
from dataclasses import dataclass, field
from typing import Any, Optional

import models
from models import (
    DomainCenterMember,
    Lab,
    PerformanceEvaluation,
    Project,
    RecommendingInstitution,
    ServiceInstitution,
)
from program import deadlines, policy, tallies, workflow


@dataclass(frozen=True)
class Waiting:
    model: Any
    states: tuple
    label: str
    # The date it has waited since (an indexed column, sortable on the list).
    since: str

    @property
    def table(self):
        return self.model._meta.table_name


WAITING = (
    Waiting(Project, ("submitted",), "项目申报待审核（发放创新券）", "submitted_at"),
    Waiting(Project, ("granted",), "已发放待登记合同", "voucher_granted_on"),
    Waiting(Project, ("contracted",), "已签合同待结题", "voucher_granted_on"),
    Waiting(Project, ("passed",), "结题通过待申请兑付", "contract_signed_on"),
    Waiting(Project, ("redemption_requested",), "已申请兑付待审核", "redemption_requested_on"),
    Waiting(RecommendingInstitution, ("submitted",), "推荐机构待审核", "submitted_at"),
    Waiting(RecommendingInstitution, ("approved",), "推荐机构待开通账号", "submitted_at"),
    Waiting(RecommendingInstitution, ("account_opened",), "推荐机构已开通账号，待完善信息", "submitted_at"),
    Waiting(RecommendingInstitution, ("profile_completed",), "推荐机构已完善信息，待登记培训", "submitted_at"),
    Waiting(ServiceInstitution, ("submitted",), "专业服务机构待审核", "submitted_at"),
    Waiting(DomainCenterMember, ("submitted",), "领域中心成员单位待审核", "submitted_at"),
    Waiting(Lab, ("submitted",), "开放实验室待审核", "submitted_at"),
)


@dataclass
class Item:
    waiting: Waiting
    count: int
    oldest: Optional[datetime.date]
    # Only what others submitted (the user may not decide their own).
    others_only: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def days(self) -> Optional[int]:
        return (models.today() - self.oldest).days if self.oldest else None


def _steps(waiting, user):
    """The transitions out of the waiting states this user may take (not a
    correction: a record does not wait for one)."""
    return [t for t in workflow.for_table(waiting.table)
            if set(t.sources) & set(waiting.states) and not t.automatic and not t.correction
            and policy.may_take(user, t.roles)]


def queue(user: Any, counts: Optional[dict] = None) -> list:
    """The user's work: every kind of waiting record they may act on, with
    how many there are and since when the oldest has waited."""
    counts = tallies.read() if counts is None else counts
    mine = None
    items = []
    for waiting in WAITING:
        steps = _steps(waiting, user)
        if not steps:
            continue
        # The decision is another's to take (separation of duties): only
        # what others submitted waits for this user.
        not_by = next((t.not_by for t in steps if t.not_by), None)
        others_only = not_by is not None
        by_state = counts.get(f"status:{waiting.table}", {})
        count = sum(by_state.get(state, (0,))[0] for state in waiting.states)
        model = waiting.model
        query = model.select().where(model.status.in_(waiting.states))
        if not_by is not None and count:
            column = getattr(model, not_by)
            if not_by == "submitted_by":  # kept in the tallies
                mine = tallies.submitted_by(user.id) if mine is None else mine
                count -= sum(mine.get((waiting.table, state), 0) for state in waiting.states)
            else:  # few records wait in such a state: counted where they are
                count -= query.where(column == user.id).count()
            query = query.where((column != user.id) | column.is_null())
        first = _oldest(waiting, query, counts, user.id if others_only else None) if count else None
        items.append(Item(waiting, max(count, 0), first, others_only, extra={"not_by": not_by}))
    return items


def lapsing(counts: dict, today: datetime.date) -> list:
    """(state, count) of the vouchers that lapse within deadlines.WARN_DAYS
    days (program/deadlines.py), read again after a write to projects."""
    def compute():
        return [(deadline.state, query.count())
                for deadline, query in zip(deadlines.DEADLINES, deadlines.lapsing_soon(today))]
    return _cached(f"lapsing:{today}", ("project", "policy_setting"), counts, compute)


def _oldest(waiting, query, counts, user_id):
    """The date the oldest waiting record has waited since: read again only
    after a write to its table (one index probe per kind, not per request)."""
    def compute():
        since = getattr(waiting.model, waiting.since)
        first = query.select(since).where(since.is_null(False)).order_by(since).limit(1).scalar()
        return first.date() if isinstance(first, datetime.datetime) else first
    name = f"oldest:{waiting.table}:{','.join(waiting.states)}:{user_id or ''}"
    return _cached(name, (waiting.table,), counts, compute)


# --- figures computed from several tables, cached until any of them changes ------

_CACHE: dict = {}
CACHE_SIZE = 1000


def forget() -> None:
    """Drop every cached figure (the tests empty the tally table between
    tests, which the versions cannot tell from an earlier state)."""
    _CACHE.clear()


def _cached(name, tables, counts, compute):
    """`compute()`, again only after a write to one of `tables` (their
    tallies' change counters are the version)."""
    version = tuple(counts.get(f"rows:{t}", {}).get("*", (0, 0, 0)) for t in tables)
    hit = _CACHE.get(name)
    if hit is None or hit[0] != version:
        if len(_CACHE) > CACHE_SIZE:
            _CACHE.clear()  # figures asked for by many different arguments (a report's pages)
        hit = (version, compute())
        _CACHE[name] = hit
    return hit[1]


cached = _cached


def laggards(counts: dict, year: int) -> list:
    """R3 (Q4): the active recommending institutions behind on their
    promised events this year, the furthest behind first."""
    def compute():
        rows = RecommendingInstitution.event_tally(year, behind_only=True).dicts()
        return [(row["id"], row["name"], row["held"], row["promised_event_count"]) for row in rows]
    return _cached(f"laggards:{year}", ("recommending_institution", "promotion_event"), counts, compute)


def evaluation_year() -> int:
    return PerformanceEvaluation.latest_year() or models.today().year - 1


def evaluations_missing(counts: dict, year: int) -> int:
    """Q5: approved service institutions without an evaluation for the year."""
    def compute():
        return sum(1 for row in ServiceInstitution.evaluated_in(year).dicts() if row["evaluation_id"] is None)
    return _cached(f"evaluations:{year}", ("service_institution", "performance_evaluation"), counts, compute)
