"""创新券台账 (issue 13 item 2): the identities on random histories
(hypothesis), to the fen; the report through HTTP at each step of a
project's life, with its export; the annual cap at grant read from it."""
import datetime
import io
import re
from decimal import Decimal

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import models
from program import ledger
from tests import factories
from tests.formtools import field_errors
from tests.support import csrf_token, version_of, wipe

# Each project's fate after its grant, with what it fills.
FATES = ("granted", "voided", "contracted", "passed", "failed", "redemption_requested", "redeemed")
fen = st.integers(min_value=1, max_value=99_999_999).map(lambda n: Decimal(n).scaleb(-2))


def _project(w, fate, voucher, paid_share, year, enterprise):
    data = factories.contracted()
    if fate in ("passed", "failed", "redemption_requested", "redeemed"):
        data = factories.completed(fate)
    data.update(contract_amount=voucher * 2, voucher_amount=voucher, contract_voucher_amount=voucher,
                voucher_granted_on=datetime.date(year, 3, 1), contract_signed_on=datetime.date(year, 3, 15))
    if fate in ("passed", "failed", "redemption_requested", "redeemed"):
        if fate in ("redemption_requested", "redeemed"):
            data["redemption_amount"] = max((voucher * paid_share).quantize(Decimal("0.01")), Decimal("0.01"))
    if fate in ("granted", "voided"):
        data = {k: v for k, v in data.items() if not k.startswith("contract")}
        data["void_reason"] = "到期" if fate == "voided" else None
    data["status"] = fate
    return factories.project(enterprise, w["lab"], **data)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(FATES), fen, st.sampled_from([Decimal("0.3"), Decimal("1")]),
                          st.sampled_from([2025, 2026]), st.integers(min_value=0, max_value=2)),
                min_size=1, max_size=12))
def test_the_ledger_adds_up_on_any_history(app, history):
    wipe(models.db.obj)
    w = factories.world()
    models.ProjectPurchase.delete().execute()
    models.Project.delete().where(models.Project.id == w["project"].id).execute()
    enterprises = [w["enterprise"], factories.enterprise(), factories.enterprise(district="chaoyang")]
    made = [(fate, voucher, share, year, _project(w, fate, voucher, share, year, enterprises[e]))
            for fate, voucher, share, year, e in history]
    for year in (2025, 2026, None):
        mine = [m for m in made if year is None or m[3] == year]
        totals = ledger.totals(year)
        assert totals["granted"] == sum((m[1] for m in mine), Decimal("0.00"))
        assert totals["voided"] == sum((m[1] for m in mine if m[0] == "voided"), Decimal("0.00"))
        assert totals["redeemed"] == sum((m[4].redemption_amount for m in mine if m[0] == "redeemed"),
                                         Decimal("0.00"))
        assert totals["outstanding"] == sum((m[1] for m in mine if m[0] in ledger.PAYABLE), Decimal("0.00"))
        for row in [totals, *(r for g in ledger.GROUPINGS for r in ledger.rows(g, year, limit=1000))]:
            assert row["granted"] == row["contracted"] + row["voided"] + row["open"]
            assert row["redeemed"] <= row["contracted"]
            assert row["outstanding"] <= row["granted"] - row["voided"]
        for grouping in ledger.GROUPINGS:
            rows = ledger.rows(grouping, year, limit=1000)
            assert sum((r["granted"] for r in rows), Decimal("0.00")) == totals["granted"]
            assert len(rows) == ledger.groups(grouping, year)


def _totals(client, year=2026):
    page = client.get(f"/admin/reports/ledger/?year={year}").get_data(as_text=True)
    row = re.search(r'id="ledger-totals">(.*?)</tr>', page, re.S).group(1)
    cells = re.findall(r'<td class="num">([^<]*)</td>', row)
    return dict(zip(("projects", *ledger.COLUMNS), cells))


def take(client, name, project, **fields):
    return client.post(f"/admin/project/{name}/", data={
        "id": project.id, "version": version_of("project", project.id), "opinion": "同意",
        "csrf_token": csrf_token(client, "/admin/"), **fields})


def test_the_ledger_follows_a_project_to_redeemed(client, as_role, clock):
    w = factories.world()  # its project: 50,000 granted 2026-03-01, contracted
    project = factories.project(w["enterprise"], w["lab"], voucher_amount=Decimal("30000.00"), status="submitted")
    as_role("clerk")
    assert _totals(client) == {"projects": "1", "granted": "50,000.00", "contracted": "50,000.00", "open": "0.00",
                               "voided": "0.00", "redeemed": "0.00", "outstanding": "50,000.00"}
    steps = [("grant", {"voucher_granted_on": "2026-04-01"},
              {"granted": "80,000.00", "open": "30,000.00", "outstanding": "80,000.00"}),
             ("register_contract", {"contract_signed_on": "2026-04-10", "contract_amount": "60000.00",
                                    "contract_has_voucher_clause": "y", "contract_voucher_amount": "30000.00"},
              {"contracted": "80,000.00", "open": "0.00"}),
             ("pass_review", {"completion_reason": "按合同完成"}, {"contracted": "80,000.00"}),
             ("request_redemption", {"redemption_amount": "29999.99", "invoice_no": "No.1",
                                     "redemption_requested_on": "2026-08-01",
                                     "redemption_materials": factories.pdf_upload()}, {"redeemed": "0.00"})]
    for name, fields, expected in steps:
        dated = [v for k, v in fields.items() if k.endswith("_on")]
        if dated:
            clock(datetime.date.fromisoformat(dated[0]))  # the step is taken on the day it records
        response = take(client, name, project, **fields)
        assert response.status_code == 302, field_errors(response)
        got = _totals(client)
        assert {k: got[k] for k in expected} == expected, name
    as_role("clerk")  # another clerk decides the redemption
    clock(datetime.date(2026, 8, 20))
    assert take(client, "redeem", project, redeemed_on="2026-08-20", payment_ref="P-1").status_code == 302
    assert _totals(client)["redeemed"] == "29,999.99"
    assert _totals(client)["outstanding"] == "50,000.00"  # the world's contracted project; this one is settled
    page = client.get("/admin/reports/ledger/?year=2026&by=district").get_data(as_text=True)
    assert "海淀区" in page
    book = openpyxl.load_workbook(io.BytesIO(client.get("/admin/reports/ledger/export/?year=2026&by=lab").get_data()))
    values = [[c.value for c in row] for row in book.active.iter_rows()]
    assert values[0][:3] == ["实验室", "项目数", "已发放（元）"]
    assert values[-1][0] == "合计" and values[-1][2] == 80000 and values[-1][6] == 29999.99


def test_the_cap_at_grant_reads_the_ledgers_year(client, as_role):
    w = factories.world()  # 50,000 granted in 2026
    project = factories.project(w["enterprise"], w["lab"], voucher_amount=Decimal("40000.00"), status="submitted")
    factories.set_policy("annual_voucher_cap_per_enterprise", "80000")
    # Applied for this year, so the application's cap (by year of application) is met... not at grant:
    models.Project.update(created_at=datetime.datetime(2025, 12, 30)).where(
        models.Project.id == project.id).execute()
    as_role("clerk")
    response = take(client, "grant", project, voucher_granted_on="2026-01-05")
    assert any("该企业 2026 年度已发放的创新券合计将为 90,000.00 元（台账）" in e for e in field_errors(response))
    response = take(client, "grant", project, voucher_granted_on="2025-12-31")
    assert response.status_code == 302, field_errors(response)
