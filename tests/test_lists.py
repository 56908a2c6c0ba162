"""Lists at scale: honest counts, constant queries whatever the page size,
deep pages, and search that means substring."""
import datetime
import re

import pytest

import admin.reading
from tests import factories


def count_text(client, url):
    page = client.get(url).get_data(as_text=True)
    return re.search(r'id="list-count">([^<]*)<', page).group(1)


def test_counts_are_exact_below_the_bound_and_a_bound_above(client, as_role, monkeypatch):
    w = factories.world()
    for _ in range(7):
        factories.enterprise()
    as_role("clerk")
    assert count_text(client, "/admin/enterprise/") == "列表（8 条）"
    monkeypatch.setattr(admin.reading, "COUNT_BOUND", 5)
    assert count_text(client, "/admin/enterprise/") == "列表（超过 5 条）"
    assert count_text(client, f"/admin/enterprise/?search={w['enterprise'].name}") == "列表（1 条）"


@pytest.mark.parametrize("page_size", (20, 50, 100))
def test_queries_per_page_do_not_grow_with_the_page_size(client, as_role, count_queries, page_size):
    ri = factories.recommending_institution()
    si = factories.service_institution()
    for _ in range(110):
        factories.project(factories.enterprise(recommended_by=ri), factories.lab(si))
    as_role("clerk")
    with count_queries() as counted:
        assert client.get(f"/admin/project/?page_size={page_size}").status_code == 200
    # session user, bounded count, page ids, page rows with related records
    assert counted.count <= 5, counted.statements


def test_deep_pages_return_the_right_rows(client, as_role):
    si = factories.service_institution()
    labs = [factories.lab(si, name=f"深页实验室{n:03d}") for n in range(45)]
    as_role("clerk")
    page = client.get("/admin/lab/?page=2&page_size=20").get_data(as_text=True)
    newest_first = [lab.name for lab in reversed(labs)]
    shown = re.findall(r"深页实验室\d{3}", page)
    assert shown == newest_first[40:45]


# --- search means substring, whatever index answers it ------------------------------

import random  # noqa: E402

import models  # noqa: E402
from program import search  # noqa: E402

CHARS = "智能检测材料医疗环保精密数据能源光电芯片软件农业设计仪器北京科技5GAIxy（）·"


def listed_ids(client, table, term):
    page = client.get(f"/admin/{table}/?search={term}&page_size=100").get_data(as_text=True)
    return {int(i) for i in re.findall(r'name="rowid"[^>]*value="(\d+)"', page)}


def scan(model, term, fields):
    """The plain substring scan the index must agree with."""
    term = term.lower()
    return {r.id for r in model.select() if any(term in (getattr(r, f) or "").lower() for f in fields)}


def test_search_results_equal_a_substring_scan(client, as_role):
    rnd = random.Random(42)
    w = factories.world()
    for n in range(60):
        title = "".join(rnd.choice(CHARS) for _ in range(rnd.randint(3, 12)))
        factories.project(w["enterprise"], w["lab"], title=title)
        factories.enterprise(name="".join(rnd.choice(CHARS) for _ in range(rnd.randint(4, 10))) + f"公司{n}",
                             contact_name=rnd.choice(("王伟", "李娜", "Alex")))
    as_role("clerk")
    projects = list(models.Project.select())
    terms = {"智", "能", "G", "x", "（", "智能", "检测", "5G", "北京科技", "·智"}
    for p in rnd.sample(projects, 15):
        start = rnd.randrange(len(p.title))
        terms.add(p.title[start:start + rnd.randint(1, 4)])
    for term in sorted(terms):
        if not term.strip():
            continue
        expected = scan(models.Project, term, ("title", "code"))
        assert listed_ids(client, "project", term) == expected, term
        expected = scan(models.Enterprise, term, ("name", "credit_code", "contact_name"))
        assert listed_ids(client, "enterprise", term) == expected, term


def test_exact_codes_are_found(client, as_role):
    w = factories.world()
    as_role("clerk")
    assert listed_ids(client, "project", w["project"].code) == {w["project"].id}
    assert listed_ids(client, "project", w["project"].code.lower()) == {w["project"].id}
    assert listed_ids(client, "project", w["project"].code[3:9]) == {w["project"].id}
    assert listed_ids(client, "enterprise", w["enterprise"].credit_code) == {w["enterprise"].id}
    assert listed_ids(client, "enterprise", w["enterprise"].credit_code[-6:]) == {w["enterprise"].id}


def test_the_index_follows_inserts_edits_and_deletes(client, as_role):
    from tests.formtools import resubmit

    w = factories.world()
    as_role("clerk")
    created = factories.project(w["enterprise"], w["lab"], title="冷链物流温控检测项目")
    assert listed_ids(client, "project", "温控") == {created.id}
    resubmit(client, f"/admin/project/edit/?id={created.id}", title="冷链物流湿度检测项目")
    assert listed_ids(client, "project", "温控") == set()
    assert listed_ids(client, "project", "湿度") == {created.id}
    from tests.support import csrf_token

    token = csrf_token(client, "/admin/project/")
    client.post("/admin/project/delete/", data={"id": created.id, "csrf_token": token})
    assert models.Project.get_or_none(models.Project.id == created.id) is None
    spec = search.SPECS[models.Project]
    key = "id" if search._postgres() else "rowid"
    left = models.db.obj.execute_sql(f'SELECT COUNT(*) FROM "{spec.table}" WHERE {key} = {created.id}').fetchone()[0]
    assert left == 0


def test_reindex_rebuilds_what_a_bulk_load_left_out(app, client, as_role):
    w = factories.world()
    models.Project.insert(code="CXQ2026999999", title="批量导入的氢能项目", enterprise=w["enterprise"].id,
                          lab=w["lab"].id, activity_type="testing", voucher_amount=1000).execute()
    as_role("clerk")
    assert listed_ids(client, "project", "氢能") == set()
    result = app.test_cli_runner().invoke(args=["reindex"])
    assert result.exit_code == 0 and "搜索索引已重建" in result.output
    assert len(listed_ids(client, "project", "氢能")) == 1


def test_ajax_lookup_uses_the_same_substring_search(client, as_role):
    import json

    w = factories.world()
    target = factories.enterprise(name="北京燕山氢能科技有限公司")
    as_role("clerk")
    rows = json.loads(client.get("/admin/project/ajax/lookup/?name=enterprise&query=氢").data)
    assert [r[0] for r in rows] == [target.id]
    assert w["enterprise"].id not in [r[0] for r in rows]


def test_a_product_is_offered_with_its_publication_period(client, as_role):
    import json

    expired = factories.product(name="已过期检测仪", valid_from=datetime.date(2024, 1, 1),
                                valid_to=datetime.date(2024, 12, 31))
    as_role("clerk")
    rows = json.loads(client.get("/admin/project_purchase/ajax/lookup/?name=product&query=过期检测").data)
    assert rows == [[expired.id, "已过期检测仪（公示有效期 2024-01-01 至 2024-12-31）"]]


# --- exports stream ---------------------------------------------------------------

import csv  # noqa: E402
import io  # noqa: E402
import xml.etree.ElementTree as ET  # noqa: E402
import zipfile  # noqa: E402


def make_projects(n):
    ri = factories.recommending_institution()
    si = factories.service_institution()
    lab = factories.lab(si)
    ent = factories.enterprise(recommended_by=ri)
    return [factories.project(ent, lab, title=f"导出项目{k:04d}") for k in range(n)]


def test_csv_export_streams_every_row_in_list_order(client, as_role, monkeypatch):
    from admin import exports, writers

    monkeypatch.setattr(exports, "BATCH", 7)
    monkeypatch.setattr(writers, "BATCH", 7)
    projects = make_projects(30)
    as_role("clerk")
    response = client.get("/admin/project/export/csv/", buffered=False)
    assert response.is_streamed
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    chunks = list(response.response)
    assert len(chunks) > 3  # several batches, not one body built in memory
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8").lstrip("\ufeff"))))
    assert rows[0][0] == "项目编号"
    assert [r[1] for r in rows[1:]] == [p.title for p in reversed(projects)]


def test_export_follows_search_filter_and_sort(client, as_role):
    make_projects(12)
    as_role("clerk")
    body = client.get("/admin/project/export/csv/?search=导出项目000&sort=1").get_data(as_text=True)
    titles = [r[1] for r in list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))[1:]]
    assert titles == [f"导出项目{k:04d}" for k in range(10)]


def test_xlsx_export_is_a_workbook_with_every_row(client, as_role, monkeypatch):
    from admin import exports, writers

    monkeypatch.setattr(exports, "BATCH", 5)
    monkeypatch.setattr(writers, "BATCH", 5)
    projects = make_projects(23)
    as_role("clerk")
    response = client.get("/admin/project/export/xlsx/", buffered=False)
    assert response.is_streamed
    data = b"".join(response.response)
    book = zipfile.ZipFile(io.BytesIO(data))
    assert {"[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml"} <= set(book.namelist())
    ns = {"s": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    sheet = ET.fromstring(book.read("xl/worksheets/sheet1.xml"))
    rows = [[t.text or "" for t in row.iterfind(".//s:t", ns)] for row in sheet.iterfind(".//s:row", ns)]
    assert rows[0][0] == "项目编号" and len(rows) == 24
    assert [r[1] for r in rows[1:]] == [p.title for p in reversed(projects)]


def test_export_needs_the_export_permission_and_is_audited(client, as_role):
    make_projects(2)
    as_role("reviewer")
    assert client.get("/admin/project/export/xlsx/").status_code == 200
    assert models.AuditLog.select().where(models.AuditLog.action == "export").count() == 1
    assert client.get("/admin/project/export/pdf/").status_code == 404


def test_first_export_bytes_leave_before_the_last_rows_are_read(client, as_role, count_queries, monkeypatch):
    from admin import exports, writers

    monkeypatch.setattr(exports, "BATCH", 5)
    monkeypatch.setattr(writers, "BATCH", 5)
    make_projects(40)
    as_role("clerk")
    response = client.get("/admin/project/export/csv/", buffered=False)
    body = iter(response.response)
    with count_queries() as before_first:
        first = next(body)
    assert "项目编号".encode() in first
    with count_queries() as rest:
        remainder = b"".join(body)
    # The first bytes went out after one batch of rows; the other batches were
    # read afterwards, while the download was already under way.
    assert len(before_first.statements) <= 3, before_first.statements
    assert len(rest.statements) >= 6, rest.statements
    assert remainder.count(b"\n") >= 35


def test_search_counts_have_their_own_bound(client, as_role, monkeypatch):
    for n in range(3):
        factories.enterprise(name=f"北京氢能科技有限公司{n}", contact_name="Alex")
    as_role("clerk")
    assert count_text(client, "/admin/enterprise/?search=氢能") == "列表（3 条）"
    monkeypatch.setattr(admin.reading, "SEARCH_COUNT_BOUND", 2)
    assert count_text(client, "/admin/enterprise/?search=氢能") == "列表（超过 2 条）"   # from the index
    assert count_text(client, "/admin/enterprise/?search=alex") == "列表（超过 2 条）"   # through the table
    assert count_text(client, "/admin/enterprise/") == "列表（3 条）"


def pager_links(page):
    pager = re.search(r'<ul class="pagination">(.*?)</ul>', page, re.S).group(1)
    return {label: href for href, label in re.findall(r'<a class="page-link" href="([^"]+)">([^<]+)</a>', pager)}


def test_the_pager_goes_on_past_a_bound(client, as_role, monkeypatch):
    si = factories.service_institution()
    for n in range(45):
        factories.lab(si, name=f"翻页实验室{n:03d}")
    as_role("clerk")
    links = pager_links(client.get("/admin/lab/").get_data(as_text=True))
    assert {"1", "2", "3"} <= set(links)  # exact count: every page is known
    assert "4" not in links

    monkeypatch.setattr(admin.reading, "COUNT_BOUND", 30)
    first = client.get("/admin/lab/").get_data(as_text=True)
    assert count_text(client, "/admin/lab/") == "列表（超过 30 条）"
    links = pager_links(first)
    assert links["&raquo;"] == "javascript:void(0)" and "3" not in links  # past a bound the end is unknown
    second = client.get("/admin/lab/?page=1").get_data(as_text=True)
    onward = pager_links(second)["&gt;"].replace("&amp;", "&")
    assert "page=2" in onward  # beyond what was counted, as long as pages come back full
    third = client.get(onward).get_data(as_text=True)
    assert re.findall(r"翻页实验室\d{3}", third) == [f"翻页实验室{n:03d}" for n in range(4, -1, -1)]
    assert pager_links(third)["&gt;"] == "javascript:void(0)"


def test_a_text_search_counts_and_pages_in_one_query(client, as_role, count_queries, monkeypatch):
    w = factories.world()
    for n in range(7):
        factories.project(w["enterprise"], w["lab"], title=f"氢能储运检测项目{n}")
    as_role("clerk")
    with count_queries() as counted:
        page = client.get("/admin/project/?search=氢能").get_data(as_text=True)
    assert re.search(r'id="list-count">([^<]*)<', page).group(1) == "列表（7 条）"
    # session user, the newest matches (count and page), their rows, the user's saved filters
    assert counted.count <= 4, counted.statements

    monkeypatch.setattr(admin.reading, "SEARCH_COUNT_BOUND", 3)
    assert count_text(client, "/admin/project/?search=氢能") == "列表（超过 3 条）"
    # A page reaching past the bound still shows every one of its rows.
    first = client.get("/admin/project/?search=氢能").get_data(as_text=True)
    assert sorted(re.findall(r"氢能储运检测项目\d", first)) == [f"氢能储运检测项目{n}" for n in range(7)]
    deep = client.get("/admin/project/?search=氢能&page=1&page_size=20").get_data(as_text=True)
    assert "氢能储运检测项目" not in deep  # 7 matches fit on the first page of 20
