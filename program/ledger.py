"""创新券台账: the vouchers' money by year of grant (DOMAIN.md §6; issue 13
item 2), per enterprise, lab, service institution or district, and the
program's totals. Amounts are summed in fen, as integers, on both
databases (SQLite would add floating point), and read back as Decimal.

For a year (of `voucher_granted_on`), over the projects granted in it:
- granted (已发放): every voucher granted, whatever became of it;
- contracted (已签合同): those whose contract was registered (and on from
  there: reviewed, redeemed);
- open (待签合同): granted, no contract yet;
- voided (已作废): lapsed by their deadlines;
- redeemed (已兑付): what the labs were paid (the redemption amounts);
- outstanding (未兑付): the vouchers still to be paid: granted, contracted,
  reviewed as passed or waiting for their redemption. A redeemed voucher is
  settled (what was not asked for is not owed), a failed one is settled by
  the parties' contract (Q8), a voided one lapsed.

Identities, for every row and the totals: granted = contracted + voided +
open; redeemed ≤ contracted; outstanding ≤ granted − voided.
A project sent back to draft (退回修改) leaves the ledger with its grant.
"""
import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Optional

from peewee import Case, fn

from models import DISTRICTS, Enterprise, Lab, Project, ServiceInstitution

CONTRACTED = ("contracted", "passed", "failed", "redemption_requested", "redeemed")
# The vouchers that may still be paid.
PAYABLE = ("granted", "contracted", "passed", "redemption_requested")
COLUMNS = ("granted", "contracted", "open", "voided", "redeemed", "outstanding")
LABELS = {"granted": "已发放", "contracted": "已签合同", "open": "待签合同", "voided": "已作废",
          "redeemed": "已兑付", "outstanding": "未兑付"}
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Grouping:
    name: str
    label: str
    key: Any              # the column grouped by
    joins: tuple = ()     # (model, on) joined to reach it


GROUPINGS = {g.name: g for g in (
    Grouping("enterprise", "企业", Project.enterprise),
    Grouping("lab", "实验室", Project.lab),
    Grouping("service_institution", "专业服务机构", Lab.service_institution, ((Lab, Project.lab == Lab.id),)),
    Grouping("district", "所在区", Enterprise.district, ((Enterprise, Project.enterprise == Enterprise.id),)),
)}


def _fen(amount):
    return fn.SUM(fn.ROUND(amount * 100).cast("BIGINT"))


def _when(condition, amount):
    return _fen(Case(None, [(condition, amount)], 0))


def _sums():
    status, voucher = Project.status, Project.voucher_amount
    return [
        _fen(voucher).alias("granted"),
        _when(status.in_(CONTRACTED), voucher).alias("contracted"),
        _when(status == "granted", voucher).alias("open"),
        _when(status == "voided", voucher).alias("voided"),
        _when(status == "redeemed", Project.redemption_amount).alias("redeemed"),
        _when(status.in_(PAYABLE), voucher).alias("outstanding"),
        fn.COUNT(Project.id).alias("projects"),
    ]


def _granted_in(query, year: Optional[int]):
    query = query.where(Project.voucher_granted_on.is_null(False))
    if year:
        query = query.where(Project.voucher_granted_on.between(datetime.date(year, 1, 1), datetime.date(year, 12, 31)))
    return query


def _amounts(row: dict) -> dict:
    out: dict = {name: (Decimal(int(row.get(name) or 0)) / 100).quantize(CENT) for name in COLUMNS}
    out["projects"] = int(row.get("projects") or 0)
    return out


def totals(year: Optional[int] = None) -> dict:
    """The program's totals for the year (every year if None)."""
    row = _granted_in(Project.select(*_sums()), year).dicts().get()
    return _amounts(row)


def rows(grouping: str, year: Optional[int] = None, limit: int = 100, offset: int = 0,
         key: Any = None) -> list:
    """The ledger by a grouping, the largest grants first: [{key, name, amounts…}]."""
    group = GROUPINGS[grouping]
    query = Project.select(group.key.alias("key"), *_sums())
    for model, on in group.joins:
        query = query.join(model, on=on)
    query = _granted_in(query, year)
    if key is not None:
        query = query.where(group.key == key)
    query = (query.group_by(group.key)
             .order_by(fn.SUM(Project.voucher_amount).desc(), group.key)
             .limit(limit).offset(offset))
    found = [dict(_amounts(row), key=row["key"]) for row in query.dicts()]
    names = _names(grouping, [r["key"] for r in found])
    for row in found:
        row["name"] = names.get(row["key"], row["key"])
    return found


def groups(grouping: str, year: Optional[int] = None) -> int:
    """How many rows the ledger has by this grouping."""
    group = GROUPINGS[grouping]
    query = Project.select(group.key)
    for model, on in group.joins:
        query = query.join(model, on=on)
    return _granted_in(query, year).distinct().count()


def _names(grouping, keys):
    if grouping == "district":
        return {key: DISTRICTS.label(key) for key in keys}
    model = {"enterprise": Enterprise, "lab": Lab, "service_institution": ServiceInstitution}[grouping]
    return dict(model.select(model.id, model.name).where(model.id.in_(keys)).tuples()) if keys else {}


def enterprise_granted(enterprise_id: int, year: int) -> Decimal:
    """The enterprise's vouchers granted in the year and not voided (the
    annual cap at grant, read from the ledger)."""
    row = rows("enterprise", year, limit=1, key=enterprise_id)
    return row[0]["granted"] - row[0]["voided"] if row else Decimal("0.00")
