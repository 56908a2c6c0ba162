"""Exports Excel computes with: the record's full field set, typed cells
(amounts as numbers in a money format, dates as dates, states as their
Chinese names, related records by name), read back with openpyxl; CSV
with the same columns; formulas stay text."""
import csv
import datetime
import io
from decimal import Decimal

import openpyxl

import models
from admin import writers
from tests import factories


def _sheet(client, url):
    response = client.get(url)
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    sheet = book.active
    rows = list(sheet.iter_rows())
    return sheet, [c.value for c in rows[0]], rows[1:]


def test_a_project_export_is_typed_and_complete(client, as_role):
    w = factories.world()
    project = w["project"]
    models.Project.update(completion_result="passed", completion_reason="按期完成").where(
        models.Project.id == project.id).execute()
    as_role("clerk")
    sheet, headers, rows = _sheet(client, "/admin/project/export/xlsx/")
    assert sheet.freeze_panes == "A2"
    assert all(c.font.b for c in next(sheet.iter_rows(max_row=1)))
    # Every field of the details page, not only the list's ten.
    for label in ("项目编号", "合同签订日期", "审定合同额（元）", "结题结论", "专家意见", "合同含创新券条款",
                  "优先支持方向", "申报提交人", "创建时间"):
        assert label in headers, label
    row = {h: c for h, c in zip(headers, rows[0])}
    amount = row["创新券金额（元）"]
    assert amount.value == 50000 and isinstance(amount.value, (int, float)) and amount.number_format == "#,##0.00"
    assert row["审定合同额（元）"].value == 100000
    signed = row["合同签订日期"]
    assert signed.is_date and signed.value.date() == datetime.date(2026, 3, 15)
    assert signed.number_format == "yyyy-mm-dd"
    assert row["创建时间"].is_date and row["创建时间"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert row["状态"].value == "已签合同" and row["结题结论"].value == "通过"
    assert row["活动类型"].value == "测试检验" and row["合同含创新券条款"].value == "是"
    assert row["企业"].value == w["enterprise"].name and row["实验室"].value == w["lab"].name
    assert row["项目编号"].data_type == "s"


def test_fen_survive_the_export(client, as_role):
    w = factories.world()
    factories.enterprise(name="分毫不差", annual_revenue=Decimal("123456789012.34"),
                         recommended_by=w["recommending_institution"])
    as_role("clerk")
    _, headers, rows = _sheet(client, "/admin/enterprise/export/xlsx/?search=分毫不差")
    cell = rows[0][headers.index("年营业收入（元）")]
    assert Decimal(repr(cell.value)) == Decimal("123456789012.34")
    body = client.get("/admin/enterprise/export/csv/?search=分毫不差").get_data(as_text=True)
    table = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert table[1][table[0].index("年营业收入（元）")] == "123456789012.34"


def test_lab_capabilities_and_materials_read_as_words(client, as_role):
    w = factories.world()
    as_role("clerk")
    _, headers, rows = _sheet(client, "/admin/lab/export/xlsx/")
    row = {h: c.value for h, c in zip(headers, rows[0])}
    assert set(row["服务能力"].split("、")) == {"测试检验", "合作研发"}
    assert row["上报专业服务机构"] == w["service_institution"].name
    _, headers, rows = _sheet(client, "/admin/recommending_institution/export/xlsx/")
    row = {h: c.value for h, c in zip(headers, rows[-1])}
    assert row["推荐机构申请表"] == "已上传" and row["服务企业数量"] == 40


def test_formulas_stay_text_in_typed_exports(client, as_role):
    w = factories.world()
    factories.enterprise(name="=HYPERLINK(\"http://x\")", recommended_by=w["recommending_institution"],
                         contact_name="-1+2")
    as_role("clerk")
    _, headers, rows = _sheet(client, "/admin/enterprise/export/xlsx/")
    names = [r[headers.index("企业（团队）名称")] for r in rows]
    assert all(c.data_type == "s" for c in names)
    assert "'=HYPERLINK(\"http://x\")" in [c.value for c in names]
    body = client.get("/admin/enterprise/export/csv/").get_data(as_text=True)
    assert "'=HYPERLINK" in body and "'-1+2" in body


def test_the_writer_types_each_cell():
    rows = [[Decimal("1234.5"), 7, datetime.date(2025, 1, 31), datetime.datetime(2025, 1, 31, 8, 30, 5), "文字",
             None, "=1+1", Decimal("-0.01")]]
    data = b"".join(writers.xlsx_stream(["金额", "数量", "日期", "时间", "文字", "空", "公式", "负数"], iter(rows)))
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = list(sheet.iter_rows(min_row=2))[0]
    assert cells[0].value == 1234.5 and cells[0].number_format == "#,##0.00"
    assert cells[1].value == 7 and cells[1].data_type == "n"
    assert cells[2].value == datetime.datetime(2025, 1, 31)
    assert cells[3].value == datetime.datetime(2025, 1, 31, 8, 30, 5)
    assert cells[4].value == "文字" and cells[5].value is None
    assert cells[6].value == "'=1+1" and cells[6].data_type == "s"
    assert cells[7].value == -0.01


def test_each_report_exports_with_the_screens_filters_and_totals(client, as_role):
    busy = factories.recommending_institution(name="活跃的孵化器", promised_event_count=2)
    idle = factories.recommending_institution(name="落后的孵化器", promised_event_count=3)
    for _ in range(2):
        factories.promotion_event(busy)
    factories.promotion_event(idle, kind="matchmaking")
    si = factories.service_institution(name="评优的机构")
    factories.service_institution(name="未评的机构")
    factories.evaluation(si, year=2025, score=Decimal("91.5"), grade="excellent")
    as_role("reviewer")
    page = client.get("/admin/reports/?behind=1").get_data(as_text=True)
    assert 'id="report-export" href="/admin/reports/export/?behind=1"' in page
    _, headers, rows = _sheet(client, "/admin/reports/export/?behind=1")
    values = [[c.value for c in row] for row in rows]
    assert headers[:4] == ["推荐机构", "状态", "承诺次数", "已举办"]
    assert [v[0] for v in values[:-1]] == ["落后的孵化器"]  # the screen's filter
    assert values[0][2:7] == [3, 1, 0, 1, 2]
    assert values[-1][0] == "合计：1 家，1 家未完成承诺" and values[-1][2:7] == [3, 1, 0, 1, 2]
    _, _, rows = _sheet(client, "/admin/reports/export/")
    total = [c.value for c in rows[-1]]
    assert total[0] == "合计：2 家，1 家未完成承诺" and total[2:4] == [5, 3]
    _, headers, rows = _sheet(client, "/admin/reports/evaluations/export/?year=2025")
    values = [[c.value for c in row] for row in rows]
    assert values[0] == ["评优的机构", None, 91.5, "优秀"]
    assert ["未评的机构", None, None, "未评价"] in values
    assert ["优秀：1 家", None, None, None] in values and ["未评价：1 家", None, None, None] in values
    exports = models.AuditLog.select().where(models.AuditLog.action == "export")
    assert [e.changes_dict["report"] for e in exports] == [
        "推荐机构活动开展情况_全部年度_未完成", "推荐机构活动开展情况_全部年度", "专业服务机构年度绩效评价_2025"]


def test_a_cell_cut_at_excels_limit_stays_readable():
    rows = [["a" * 32_756 + "&" * 20], ["<" * 40_000]]
    data = b"".join(writers.xlsx_stream(["文字"], iter(rows)))
    cells = [row[0].value for row in openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(min_row=2)]
    assert all(len(c) <= 32_767 and c.endswith("…（已截断）") for c in cells)
    assert cells[0].startswith("a" * 100) and cells[1].startswith("<" * 100)


def test_the_largest_amount_exports_to_the_fen(client, as_role):
    w = factories.world()
    factories.enterprise(name="十四位金额", annual_revenue=Decimal("999999999999.99"),
                         recommended_by=w["recommending_institution"])
    as_role("clerk")
    body = client.get("/admin/enterprise/export/csv/?search=十四位金额").get_data(as_text=True)
    table = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert table[1][table[0].index("年营业收入（元）")] == "999999999999.99"
    _, headers, rows = _sheet(client, "/admin/enterprise/export/xlsx/?search=十四位金额")
    assert rows[0][headers.index("年营业收入（元）")].value == 999999999999.99
