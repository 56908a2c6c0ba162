"""Deadlines as policy (DOMAIN.md §6, issue 13 item 3): a granted voucher
whose contract is not registered within `contract_register_days` days of
its grant lapses; a registered one not reviewed (结题) within
`voucher_valid_months` months of the contract's signing lapses. A lapsed
project is voided (已作废) with its reason, by the system, audited; its
amount no longer counts against the enterprise's annual cap
(Project.NOT_COUNTED).

Everything takes `today` (an injected clock: the tests move it, nothing
sleeps). `expire()` is idempotent: a project is voided once, by a
conditional UPDATE on the state it was read in, so two runs at once (cron
and a clerk's manual run) void it exactly once.
"""
import calendar
import datetime
import functools
import operator
from dataclasses import dataclass
from typing import Any, Optional

import models
from models import Project, db, now
from program import audit, notices, parameters
from program.checks import RuleViolation

SYSTEM = "系统（到期作废）"
# The work queue warns this many days before a voucher lapses.
WARN_DAYS = 3
BATCH = 500


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later (the month's last day where it is shorter)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Deadline:
    state: str
    since: str            # the date the deadline runs from
    key: str              # the policy setting that gives its length
    reason: str

    def limit(self, start: datetime.date) -> int:
        """Its length for a voucher whose deadline runs from `start`: the
        version in force on that date (政策参数 versions)."""
        return parameters.count(self.key, start)

    def lapse_day(self, project: Any) -> datetime.date:
        start = getattr(project, self.since)
        return self.lapses_on(start, self.limit(start))

    def lapses_on(self, start: datetime.date, n: int) -> datetime.date:
        """The first day the voucher is void (the day after its last day),
        for a deadline of n days or months."""
        if self.state == "granted":
            return start + datetime.timedelta(days=n + 1)
        return add_months(start, n) + datetime.timedelta(days=1)

    def last_start(self, today: datetime.date, n: int) -> datetime.date:
        """The latest start date whose voucher has lapsed by `today` (its
        lapse day is monotonic in the start: found next to the estimate)."""
        one = datetime.timedelta(days=1)
        day = today - one * (n + 1) if self.state == "granted" else today - one * (31 * n + 1)
        while self.lapses_on(day + one, n) <= today:
            day += one
        while self.lapses_on(day, n) > today:
            day -= one
        return day


DEADLINES = (
    Deadline("granted", "voucher_granted_on", "contract_register_days",
             "创新券发放后 {n} 日内未登记合同，已于 {day} 到期作废"),
    Deadline("contracted", "contract_signed_on", "voucher_valid_months",
             "登记合同后 {n} 个月内未结题，创新券已于 {day} 到期作废"),
)


def _query(deadline: Deadline, by: datetime.date, after: Optional[datetime.date] = None) -> Any:
    """The vouchers in the deadline's state that have lapsed by `by` (and
    not by `after`): per version of its length, the start dates that
    version covers and the latest start that has lapsed under it."""
    since = getattr(Project, deadline.since)
    windows = []
    for first, last, value in parameters.periods(deadline.key):
        n = int(value)
        window = since <= deadline.last_start(by, n)
        if after is not None:
            window &= since > deadline.last_start(after, n)
        if first is not None:
            window &= since >= first
        if last is not None:
            window &= since <= last
        windows.append(window)
    return Project.select().where(Project.status == deadline.state, since.is_null(False),
                                  functools.reduce(operator.or_, windows))


def lapsed(today: datetime.date) -> list:
    """(deadline, project) of every voucher that has lapsed by `today`."""
    return [(d, p) for d in DEADLINES for p in _query(d, today).order_by(Project.id)]


def lapsing_soon(today: datetime.date, days: int = WARN_DAYS) -> Any:
    """The vouchers that lapse within `days` days (the work queue's warning)."""
    return [_query(deadline, today + datetime.timedelta(days=days), after=today) for deadline in DEADLINES]


def warn(today: datetime.date) -> list:
    """A notice to each enterprise whose voucher lapses within WARN_DAYS
    days (once per voucher and deadline, program/notices.py)."""
    sent = []
    for deadline, query in zip(DEADLINES, lapsing_soon(today)):
        for project in query:
            notice = notices.lapsing(project, deadline.lapse_day(project))
            if notice is not None:
                sent.append(notice)
    return sent


def contract_in_time(project: Any) -> None:
    """登记合同 (a transition's check): the contract was signed, and is
    registered today, within the days the policy allows after the grant;
    later, the voucher has lapsed, whether or not the nightly run has
    voided it yet."""
    granted = DEADLINES[0]
    if project.voucher_granted_on is None or project.contract_signed_on is None:
        return
    n = granted.limit(project.voucher_granted_on)
    lapsed_on = granted.lapses_on(project.voucher_granted_on, n)
    lead = f"创新券于 {project.voucher_granted_on} 发放，须在 {n} 日内签订并登记合同；"
    if project.contract_signed_on >= lapsed_on:
        raise RuleViolation("contract_signed_on",
                            lead + f"合同签订于 {project.contract_signed_on}，创新券已于 {lapsed_on} 到期作废")
    if models.today() >= lapsed_on:
        raise RuleViolation(None, lead + f"创新券已于 {lapsed_on} 到期作废，不能再登记合同")


def reviewed_in_time(project: Any) -> None:
    """结题 (a transition's check): on a day the voucher is still valid;
    after its validity it has lapsed, whether or not the nightly run has
    voided it yet."""
    valid = DEADLINES[1]
    if project.contract_signed_on is None:
        return
    n = valid.limit(project.contract_signed_on)
    lapsed_on = valid.lapses_on(project.contract_signed_on, n)
    if models.today() >= lapsed_on:
        raise RuleViolation(None, f"合同于 {project.contract_signed_on} 签订，创新券有效期 {n} 个月，"
                                  f"已于 {lapsed_on} 到期作废，不能再办理结题")


def _reason(deadline, project):
    start = getattr(project, deadline.since)
    n = deadline.limit(start)
    return deadline.reason.format(n=n, day=deadline.lapses_on(start, n))


def expire(today: datetime.date) -> list:
    """Void every lapsed voucher; returns the projects voided by this run
    (none by a second run on the same day)."""
    done = []
    for deadline, project in lapsed(today):
        with db.atomic():
            before = audit.snapshot(project)
            reason = _reason(deadline, project)
            stamp = now()
            rows = (Project.update(status="voided", void_reason=reason, version=Project.version + 1, updated_at=stamp)
                    .where(Project.id == project.id, Project.status == deadline.state)
                    .execute())
            if not rows:
                continue  # decided meanwhile (registered, reviewed, or voided by another run)
            after = audit.snapshot(Project.get_by_id(project.id))
            audit.record(None, "void", "project", project.id, before=before, after=after, username=SYSTEM,
                         extra={"reason": reason})
            notices.voided(project, reason)
        done.append(project)
    return done
