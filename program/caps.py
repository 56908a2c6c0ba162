"""The annual cap per enterprise (政策参数 `annual_voucher_cap_per_enterprise`):
judged when a project is applied for (by its year of application, against
the projects applied for) and again at grant, against the ledger (the
vouchers granted that year and not voided). The cap is the version in force
on the grant date; before the grant, on the application's date."""
import datetime
from decimal import Decimal
from typing import Optional

import models
from models import Enterprise, Project
from program import ledger, parameters
from program.checks import RuleViolation, yuan


def annual_cap(project: Project) -> Optional[Decimal]:
    """The annual cap in force on the project's grant date (before the
    grant: on its application's date), or None (no cap)."""
    day = project.voucher_granted_on or (project.created_at or models.now()).date()
    return parameters.number("annual_voucher_cap_per_enterprise", day)


def annual_room(enterprise_id: int, year: int, excluding: Optional[int] = None,
                on: Optional[datetime.date] = None) -> tuple:
    """(applied for this year, annual cap or None) of an enterprise (the
    project form shows it beside the amount)."""
    cap = parameters.number("annual_voucher_cap_per_enterprise", on)
    return Project.vouchers_in_year(enterprise_id, year, excluding=excluding), cap


def annual_cap_at_grant(project: Project) -> None:
    """The annual cap per enterprise at grant, read from the ledger
    (program/ledger.py): the vouchers granted to it in the grant's year and
    not voided, with this one."""
    cap = annual_cap(project)
    if cap is None or project.voucher_amount is None or project.voucher_granted_on is None:
        return
    year = project.voucher_granted_on.year
    models.hold(Enterprise.select(Enterprise.id).where(Enterprise.id == project.enterprise_id))
    total = ledger.enterprise_granted(project.enterprise_id, year) + project.voucher_amount
    if total > cap:
        raise RuleViolation(
            "voucher_granted_on",
            f"该企业 {year} 年度已发放的创新券合计将为 {yuan(total)}（台账），超过年度上限 {yuan(cap)}",
        )


def annual_cap_message(year: int, total: Decimal, cap: Decimal) -> str:
    """The annual cap's refusal, wherever it is judged (forms, imports)."""
    return f"该企业 {year} 年度创新券金额合计将为 {yuan(total)}，超过年度上限 {yuan(cap)}"


def annual_voucher_cap(project: Project) -> None:
    cap = annual_cap(project)
    if cap is None or project.voucher_amount is None:
        return
    year = (project.created_at or models.now()).year
    # Two applications at once: the second waits for the first, then adds it.
    models.hold(Enterprise.select(Enterprise.id).where(Enterprise.id == project.enterprise_id))
    total = Project.vouchers_in_year(project.enterprise_id, year, excluding=project.id) + project.voucher_amount
    if total > cap:
        raise RuleViolation(
            "voucher_amount",
            annual_cap_message(year, total, cap),
        )
