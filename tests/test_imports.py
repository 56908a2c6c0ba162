"""Spreadsheet import, for every importable table, through HTTP with the
database read back: template → fill → test run → confirm; a file with
errors writes nothing and lists each; a change between the test run and
the confirmation is caught; an unchanged batch is undone; an export
imports back with no change."""
import datetime
import io
import re
import time
from decimal import Decimal

import openpyxl
import pytest

import models
from program.importing.specs import SPECS
from tests import factories
from tests.support import csrf_token

TABLES = sorted(SPECS)


def new_row(table, w):
    """A valid new record of the table, by its Chinese labels' field names."""
    code = factories.credit_code()
    contacts = {"contact_name": "赵敏", "contact_phone": "13700137000", "contact_email": "zm@example.cn"}
    center = w["domain_center_member"].domain_center
    return {
        "enterprise": {"name": "导入测试企业", "kind": "微型企业", "credit_code": code, "district": "朝阳区",
                       "employee_count": 12, "annual_revenue": 1234567.89, **contacts,
                       "recommended_by": w["recommending_institution"].name},
        "lab": {"name": "导入测试实验室", "category": "北京市重点实验室", "recognition_ref": "京科发〔2025〕7号",
                "service_institution": w["service_institution"].name, "capabilities": "测试检验、合作研发",
                **contacts},
        "domain_center_member": {"name": "导入测试成员单位", "credit_code": code, "org_type": "民营企业",
                                 "domain_center": center.name, "field": center.display("domain"), **contacts},
        "new_tech_product": {"name": "导入测试产品", "supplier": "北京供应商", "catalogue_ref": "XJS-IMPORT-1",
                             "valid_from": datetime.date(2026, 1, 1), "valid_to": datetime.date(2027, 6, 30)},
        "recommending_institution": {"name": "导入测试推荐机构", "credit_code": code, **contacts,
                                     "served_enterprise_count": 80, "promised_event_count": 6,
                                     "work_mechanism": "专人对接", "safeguards": "工作小组"},
        "service_institution": {"name": "导入测试服务机构", "credit_code": code, "parent_org_name": "北京理工大学",
                                "parent_org_type": "高校", "parent_in_platform": "是",
                                "is_independent_legal_entity": "是", "is_domain_center": "否", **contacts},
        "project": {"title": "导入测试项目", "enterprise": w["enterprise"].name, "lab": w["lab"].name,
                    "activity_type": "测试检验", "priority_theme": "无", "voucher_amount": 30000},
        "promotion_event": {"institution": w["recommending_institution"].name, "kind": "宣传活动",
                            "held_on": datetime.date(2026, 3, 1), "title": "导入测试宣讲会",
                            "participant_count": 20},
    }[table]


def bad_row(table, w):
    """A row with a refusal in each of three columns."""
    row = new_row(table, w)
    first, *_ = SPECS[table].fields
    bad = {"enterprise": {"kind": "大型企业", "district": "火星区", "employee_count": "很多"},
           "lab": {"category": "不存在的类别", "service_institution": "没有这个机构", "capabilities": "测试检验、飞行"},
           "domain_center_member": {"org_type": "个人", "domain_center": "没有这个中心", "credit_code": "123"},
           "new_tech_product": {"valid_from": "去年", "valid_to": "2026-13-45", "catalogue_ref": ""},
           "recommending_institution": {"credit_code": "ABC", "served_enterprise_count": "-", "contact_email": "x@"},
           "service_institution": {"parent_org_type": "公司", "parent_in_platform": "也许", "credit_code": "1"},
           "project": {"enterprise": "没有这家企业", "activity_type": "吃饭", "voucher_amount": "五万"},
           "promotion_event": {"kind": "聚餐", "held_on": "明天", "participant_count": 1.5}}[table]
    row.update(bad)
    return row, first


def workbook(table, rows, headers=None):
    """An XLSX of these rows under the template's own headers."""
    spec = SPECS[table]
    headers = headers or [spec.label(name) for name in spec.fields]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    names = {spec.label(name): name for name in spec.fields}
    for row in rows:
        sheet.append([row.get(names.get(h, h), row.get(h)) for h in headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, table, data, filename="导入.xlsx"):
    token = csrf_token(client, f"/admin/{table}/import/")
    response = client.post(f"/admin/{table}/import/", data={"csrf_token": token, "file": (io.BytesIO(data), filename)},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    report_url = response.headers["Location"]
    return report_url, settled(client, report_url)


def settled(client, url):
    """The report page once its run has finished (a larger file runs in the
    background and the page refreshes itself until then)."""
    for _ in range(600):
        page = client.get(url).get_data(as_text=True)
        if 'http-equiv="refresh"' not in page:
            return page
        time.sleep(0.05)
    raise AssertionError("the import did not finish")


def confirm(client, report_url):
    token = csrf_token(client, report_url)
    response = client.post(report_url + "commit/", data={"csrf_token": token})
    assert response.status_code == 302
    return settled(client, response.headers["Location"])


def summary(page):
    match = re.search(r'id="import-summary">([^<]+)<', page)
    assert match, page[:3000]
    return match.group(1)


def counts(table):
    return SPECS[table].model.select().count(), models.ImportBatch.select().count()


@pytest.fixture
def w():
    return factories.world()


@pytest.mark.parametrize("table", TABLES)
def test_template_filled_then_test_run_then_confirm_writes_the_row(client, as_role, w, table):
    as_role("clerk")
    response = client.get(f"/admin/{table}/import/template/")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    sheet, allowed = book.worksheets
    headers = [c.value for c in sheet[1]]
    assert headers == [SPECS[table].label(n) for n in SPECS[table].fields]
    assert all(c.comment is not None and c.value in c.comment.text for c in sheet[1])
    assert sheet.max_row == 2 and allowed.title == "可选值"
    listed = {c.value for row in allowed.iter_rows() for c in row}
    for name in SPECS[table].fields:
        field = SPECS[table].model._meta.fields[name]
        if field.choices:
            assert {label for _, label in field.choices} <= listed, name
    if "status" in SPECS[table].model._meta.fields:
        assert "草稿" in listed
    sheet.delete_rows(2)
    names = {SPECS[table].label(n): n for n in SPECS[table].fields}
    row = new_row(table, w)
    sheet.append([row.get(names[h]) for h in headers])
    out = io.BytesIO()
    book.save(out)
    before = counts(table)[0]
    report_url, page = upload(client, table, out.getvalue())
    assert "将新建 1 条" in summary(page) and "有问题 0 行" in summary(page)
    assert counts(table)[0] == before  # the test run writes nothing
    page = confirm(client, report_url)
    assert "已导入：新建 1 条" in page
    model = SPECS[table].model
    record = model.select().order_by(model.id.desc()).get()
    key = "title" if "title" in row else "name"
    assert getattr(record, key) == row[key]
    if "status" in model._meta.fields:
        assert record.status == "draft"
    batch = models.ImportBatch.get()
    assert (batch.table_name, batch.created_count, batch.status) == (table, 1, "committed")
    item = models.ImportBatchItem.get()
    assert (item.record_id, item.created) == (record.id, True)
    trail = models.AuditLog.select().where(models.AuditLog.model == table, models.AuditLog.object_id == record.id)
    assert [t.action for t in trail] == ["import"]


@pytest.mark.parametrize("table", TABLES)
def test_a_file_with_errors_lists_every_one_and_writes_nothing(client, as_role, w, table):
    as_role("clerk")
    row, _ = bad_row(table, w)
    good = new_row(table, w)
    before = counts(table)
    report_url, page = upload(client, table, workbook(table, [good, row, good]))
    # The third row repeats the first: a second record of the same name or
    # code (projects may share a title).
    assert f"有问题 {1 if table == 'project' else 2} 行" in summary(page)
    errors = re.findall(r'<tr class="table-warning"><td class="text-nowrap">第 (\d+) 行</td>'
                        r'<td class="text-nowrap">([^<]*)</td><td>([^<]*)</td>', page)
    bad_columns = {SPECS[table].label(n) for n in bad_row(table, w)[0] if n in dict(bad_row(table, w)[0])}
    third = [e for e in errors if e[0] == "3"]
    assert len(third) >= 3, errors
    assert {e[1] for e in third} <= bad_columns | {SPECS[table].label(n) for n in SPECS[table].fields}
    assert any(("与第 2 行重复" in e[2] or "与第 2 行是同一条记录" in e[2]) for e in errors if e[0] == "4") \
        or table == "project"
    assert "确认导入" not in page
    token = csrf_token(client, report_url)
    client.post(report_url + "commit/", data={"csrf_token": token})
    assert counts(table) == before


def export_xlsx(client, table):
    response = client.get(f"/admin/{table}/export/xlsx/")
    assert response.status_code == 200
    return response.get_data()


@pytest.mark.parametrize("table", TABLES)
def test_an_export_imports_back_with_no_change(client, as_role, w, table):
    as_role("clerk")
    data = export_xlsx(client, table)
    n = SPECS[table].model.select().count()
    _, page = upload(client, table, data, "导出.xlsx")
    assert f"将新建 0 条，将更新 0 条，无变化 {n} 条，有问题 0 行" in summary(page), page[page.find("import-errors"):][:2000]


def _one_changed(client, table, w):
    """The export with one change, tested: (report url, page, field, the
    record it changes). A contracted project's title is locked: reopened."""
    model = SPECS[table].model
    if table == "project":
        factories.reopened(w["project"])
    data, field = _changed_export(client, table)
    report_url, page = upload(client, table, data)
    return report_url, page, field, model.select().order_by(model.id).first()  # the export's last row


def _changed_export(client, table):
    """The export with one importable text cell changed in its last row."""
    book = openpyxl.load_workbook(io.BytesIO(export_xlsx(client, table)))
    sheet = book.active
    headers = [c.value for c in sheet[1]]
    field = {"project": "title", "promotion_event": "participant_count", "new_tech_product": "supplier"}.get(
        table, "contact_name")
    column = headers.index(SPECS[table].label(field)) + 1
    sheet.cell(row=sheet.max_row, column=column, value=77 if field == "participant_count" else "改过的值")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), field


@pytest.mark.parametrize("table", TABLES)
def test_an_edit_between_test_run_and_confirmation_is_caught(client, as_role, w, table):
    as_role("clerk")
    model = SPECS[table].model
    if table == "project":
        factories.reopened(w["project"])  # a contracted project's title is locked
    data, field = _changed_export(client, table)
    report_url, page = upload(client, table, data)
    assert "将更新 1 条" in summary(page)
    record = model.select().order_by(model.id).first()  # the export's last row: the oldest
    record.save()  # somebody saves it meanwhile (its version moves on)
    page = confirm(client, report_url)
    assert "在试导入之后已被修改" in page or "试导入之后数据已有变化" in page
    assert getattr(model.get_by_id(record.id), field) != ("改过的值" if field != "participant_count" else 77)
    assert models.ImportBatch.select().count() == 0


@pytest.mark.parametrize("table", TABLES)
def test_an_unchanged_batch_is_undone_and_a_changed_one_is_not(client, as_role, w, table):
    as_role("clerk")
    model = SPECS[table].model
    report_url, _, field, updated = _one_changed(client, table, w)
    confirm(client, report_url)
    old = getattr(model.get_by_id(updated.id), field)
    assert old == (77 if field == "participant_count" else "改过的值")
    report_url, _ = upload(client, table, workbook(table, [new_row(table, w)]))
    confirm(client, report_url)
    first, second = models.ImportBatch.select().order_by(models.ImportBatch.id)
    created_id = models.ImportBatchItem.get(models.ImportBatchItem.batch == second.id).record_id
    token = csrf_token(client, f"/admin/import_batch/details/?id={second.id}")
    response = client.post("/admin/import_batch/undo/", data={"csrf_token": token, "id": second.id})
    assert response.status_code == 302
    assert model.get_or_none(model.id == created_id) is None
    assert models.ImportBatch.get_by_id(second.id).status == "undone"
    # The first batch's record changed after it: its undo is refused, nothing moves.
    record = model.get_by_id(updated.id)
    record.save()
    client.post("/admin/import_batch/undo/", data={"csrf_token": token, "id": first.id})
    assert models.ImportBatch.get_by_id(first.id).status == "committed"
    assert getattr(model.get_by_id(updated.id), field) == old
    page = client.get(f"/admin/import_batch/details/?id={first.id}").get_data(as_text=True)
    assert "不能撤销" in page


@pytest.mark.parametrize("table", TABLES)
def test_undo_restores_the_values_before_the_import(client, as_role, w, table):
    as_role("clerk")
    model = SPECS[table].model
    report_url, page, field, record = _one_changed(client, table, w)
    before = {name: getattr(record, name) for name in SPECS[table].fields}
    assert "将更新 1 条" in summary(page)
    confirm(client, report_url)
    assert getattr(model.get_by_id(record.id), field) != before[field]
    batch = models.ImportBatch.get()
    token = csrf_token(client, f"/admin/import_batch/details/?id={batch.id}")
    assert client.post("/admin/import_batch/undo/", data={"csrf_token": token, "id": batch.id}).status_code == 302
    restored = model.get_by_id(record.id)
    assert {name: getattr(restored, name) for name in SPECS[table].fields} == before
    assert models.ImportBatch.get_by_id(batch.id).status == "undone"


def test_an_enterprise_change_shows_old_and_new_and_its_history(client, as_role, w):
    as_role("clerk")
    enterprise = w["enterprise"]
    data, _ = _changed_export(client, "enterprise")
    report_url, page = upload(client, "enterprise", data)
    assert "改过的值" in page and enterprise.contact_name in page  # old → new shown
    confirm(client, report_url)
    assert models.Enterprise.get_by_id(enterprise.id).contact_name == "改过的值"
    details = client.get(f"/admin/enterprise/details/?id={enterprise.id}").get_data(as_text=True)
    history = details[details.index('id="record-history"'):]
    assert "导入" in history and "第 1 批" in history and "改过的值" in history and "batch" not in history
    batch = models.ImportBatch.get()
    token = csrf_token(client, f"/admin/import_batch/details/?id={batch.id}")
    client.post("/admin/import_batch/undo/", data={"csrf_token": token, "id": batch.id})
    assert models.Enterprise.get_by_id(enterprise.id).contact_name == enterprise.contact_name


def test_csv_in_gb18030_and_utf8_and_headers_written_loosely(client, as_role, w):
    as_role("clerk")
    ri = w["recommending_institution"]
    lines = ["企业（团队）名称, 类 型 ,统一社会信用代码,所在区,年营业收入,推荐机构名称",
             f"甲企业,小型企业,{factories.credit_code()},海淀区,\"1,000.50\",{ri.credit_code}"]
    for encoding in ("gb18030", "utf-8-sig", "utf-8"):
        _, page = upload(client, "enterprise", "\r\n".join(lines).encode(encoding), "企业.csv")
        assert "将新建 1 条" in summary(page) and "有问题 0 行" in summary(page), encoding
    wide = ["ＥＮ", "企业(团队)名称", "类型"]  # full-width letters and brackets; an unknown column
    _, page = upload(client, "enterprise", workbook("enterprise", [{"name": "乙", "kind": "微型企业"}], wide))
    assert "以下列不导入，已忽略：ＥＮ" in page
    assert "所在区" in page and "此项为必填项" in page


def test_status_cannot_be_imported_and_unknown_names_are_row_errors(client, as_role, w):
    as_role("clerk")
    headers = ["项目名称", "企业", "实验室名称", "活动类型", "创新券金额（元）", "状态"]
    row = {"title": "带状态的项目", "enterprise": w["enterprise"].name, "实验室名称": "查无此实验室",
           "activity_type": "测试检验", "voucher_amount": 1000, "状态": "结题通过"}
    _, page = upload(client, "project", workbook("project", [row], headers))
    assert "已忽略：状态" in page
    assert "找不到开放实验室“查无此实验室”" in page


def test_access_is_the_forms(client, as_role, w):
    as_role("reviewer")
    assert client.get("/admin/enterprise/import/").status_code == 403
    assert client.get("/admin/enterprise/import/template/").status_code == 403
    ri = w["recommending_institution"]
    other = factories.recommending_institution()
    as_role("institution", institution=ri)
    assert client.get("/admin/enterprise/import/").status_code == 403
    assert client.get("/admin/promotion_event/import/").status_code == 200
    rows = [{"institution": ri.name, "kind": "宣传活动", "held_on": datetime.date(2026, 2, 1), "title": "本机构活动"},
            {"institution": other.name, "kind": "宣传活动", "held_on": datetime.date(2026, 2, 1), "title": "他人活动"}]
    _, page = upload(client, "promotion_event", workbook("promotion_event", rows))
    assert "有问题 1 行" in summary(page)
    assert f"找不到推荐机构“{other.name}”" in page
    no_column = workbook("promotion_event", [{"kind": "对接活动", "held_on": datetime.date(2026, 2, 2),
                                              "title": "不写机构的活动"}],
                         ["活动类型", "举办日期", "活动名称"])
    report_url, page = upload(client, "promotion_event", no_column)
    assert "将新建 1 条" in summary(page)
    confirm(client, report_url)
    assert models.PromotionEvent.get(models.PromotionEvent.title == "不写机构的活动").institution_id == ri.id


def test_a_report_belongs_to_its_uploader(client, as_role, w):
    as_role("clerk")
    report_url, _ = upload(client, "enterprise", workbook("enterprise", [new_row("enterprise", w)]))
    as_role("clerk")
    assert client.get(report_url).status_code == 404
    token = csrf_token(client, "/admin/enterprise/import/")
    assert client.post(report_url + "commit/", data={"csrf_token": token}).status_code == 404
    assert models.Enterprise.select().count() == 1


@pytest.mark.parametrize("name,data,message", [
    ("a.xls", b"\xd0\xcf\x11\xe0", "只能导入 .xlsx 或 .csv 文件"),
    ("a.xlsx", b"not a zip", "无法读取 XLSX 文件"),
    ("a.csv", b"", "文件是空的"),
    ("a.csv", "目录编号,其他\n".encode(), "没有数据行"),
    ("a.csv", "随便,其他\n1,2\n".encode(), "没有一列能对应到字段"),
    ("a.csv", b"\xff\xfe\x00\x00\x81", "无法识别文件编码"),
])
def test_unreadable_files_are_refused_with_a_message(client, as_role, name, data, message):
    as_role("clerk")
    token = csrf_token(client, "/admin/new_tech_product/import/")
    response = client.post("/admin/new_tech_product/import/", data={"csrf_token": token, "file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert models.ImportBatch.select().count() == 0


def test_a_file_over_the_cap_is_refused(client, as_role, app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 1000)
    as_role("clerk")
    token = csrf_token(client, "/admin/enterprise/import/")
    response = client.post("/admin/enterprise/import/",
                           data={"csrf_token": token, "file": (io.BytesIO(b"a" * 5000), "big.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    assert "文件超过" in response.get_data(as_text=True)


def test_amounts_keep_their_fen(client, as_role, w):
    as_role("clerk")
    row = new_row("enterprise", w)
    row["annual_revenue"] = "12,345,678.91"
    report_url, _ = upload(client, "enterprise", workbook("enterprise", [row]))
    confirm(client, report_url)
    assert models.Enterprise.get(models.Enterprise.name == row["name"]).annual_revenue == Decimal("12345678.91")


def test_a_large_file_runs_in_the_background_and_shows_its_progress(client, as_role, w, app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_BACKGROUND_BYTES", 0)  # every file is "large"
    as_role("clerk")
    rows = [dict(new_row("new_tech_product", w), name=f"后台产品{n}", catalogue_ref=f"BG-{n:04d}")
            for n in range(1500)]

    def settled(url, states):
        for _ in range(300):
            page = client.get(url).get_data(as_text=True)
            if not any(s in page for s in states):
                return page
            assert 'http-equiv="refresh"' in page and "已处理" in page
            time.sleep(0.05)
        raise AssertionError("the import did not finish")

    token = csrf_token(client, "/admin/new_tech_product/import/")
    response = client.post("/admin/new_tech_product/import/", content_type="multipart/form-data",
                           data={"csrf_token": token, "file": (io.BytesIO(workbook("new_tech_product", rows)), "大.xlsx")})
    report_url = response.headers["Location"]
    page = settled(report_url, ("正在试导入",))
    assert "将新建 1,500 条" in summary(page)
    token = csrf_token(client, report_url)
    response = client.post(report_url + "commit/", data={"csrf_token": token})
    page = settled(response.headers["Location"], ("正在导入",))
    assert "已导入：新建 1500 条" in page
    assert models.NewTechProduct.select().where(models.NewTechProduct.catalogue_ref.startswith("BG-")).count() == 1500
    # A second confirmation of the same file writes nothing more.
    client.post(report_url + "commit/", data={"csrf_token": token})
    assert models.ImportBatch.select().count() == 1


def test_the_annual_cap_counts_the_files_own_earlier_rows(client, as_role, w):
    factories.set_policy("annual_voucher_cap_per_enterprise", "150000")
    as_role("clerk")
    row = new_row("project", w)  # the enterprise has 50,000 this year already (world())
    rows = [dict(row, title=f"分拆项目{n}", voucher_amount=40000) for n in range(3)]
    _, page = upload(client, "project", workbook("project", rows))
    assert "有问题 1 行" in summary(page)
    assert "第 4 行" in page and "超过年度上限 150,000.00 元" in page and "170,000.00 元" in page
    report_url, page = upload(client, "project", workbook("project", rows[:2]))
    assert "有问题 0 行" in summary(page)
    assert "已导入：新建 2 条" in confirm(client, report_url)
    assert models.Project.select().where(models.Project.title.startswith("分拆项目")).count() == 2


def test_the_import_command_tests_by_default_and_writes_with_commit(app, w, tmp_path):
    runner = app.test_cli_runner()
    good = tmp_path / "企业.xlsx"
    good.write_bytes(workbook("enterprise", [new_row("enterprise", w)]))
    bad = tmp_path / "有错.xlsx"
    bad.write_bytes(workbook("enterprise", [bad_row("enterprise", w)[0]]))
    before = counts("enterprise")

    result = runner.invoke(args=["import", "enterprise", str(bad)])
    assert result.exit_code == 1
    assert "有问题 1 行" in result.output and "第 2 行 [类型]" in result.output
    result = runner.invoke(args=["import", "enterprise", str(bad), "--commit"])
    assert result.exit_code == 1 and "未写入任何数据" in result.output
    result = runner.invoke(args=["import", "enterprise", str(good)])
    assert result.exit_code == 0 and "将新建 1 条" in result.output and "--commit" in result.output
    assert counts("enterprise") == before  # the test run writes nothing

    result = runner.invoke(args=["import", "enterprise", str(good), "--commit"])
    assert result.exit_code == 0 and "已导入第" in result.output, result.output
    assert counts("enterprise") == (before[0] + 1, before[1] + 1)
    batch = models.ImportBatch.get()
    assert (batch.username, batch.file_name, batch.created_count) == ("命令行", "企业.xlsx", 1)
    assert runner.invoke(args=["import", "enterprise", str(good)]).output.count("无变化 1 条") == 1
    assert runner.invoke(args=["import", "user", str(good)]).exit_code == 2  # not an importable table


def _rezipped(data, name, change):
    """The workbook with one of its parts changed."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            part = source.read(item.filename)
            target.writestr(item, change(part) if item.filename == name else part)
    return out.getvalue()


@pytest.mark.parametrize("name,change", [
    ("xl/worksheets/sheet1.xml", lambda part: part[:len(part) // 2]),
    ("xl/workbook.xml", lambda part: part[:40]),
    ("xl/styles.xml", lambda part: b"<x"),
])
def test_a_damaged_workbook_is_refused_in_words(client, as_role, w, name, change):
    as_role("clerk")
    data = _rezipped(workbook("new_tech_product", [new_row("new_tech_product", w)]), name, change)
    token = csrf_token(client, "/admin/new_tech_product/import/")
    response = client.post("/admin/new_tech_product/import/", content_type="multipart/form-data",
                           data={"csrf_token": token, "file": (io.BytesIO(data), "坏.xlsx")}, follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "文件已损坏" in page and "Error" not in page


def test_every_row_is_read_whatever_size_the_file_declares(client, as_role, w):
    as_role("clerk")
    rows = [dict(new_row("new_tech_product", w), name=f"产品{n}", catalogue_ref=f"DIM-{n}") for n in range(5)]
    data = _rezipped(workbook("new_tech_product", rows), "xl/worksheets/sheet1.xml",
                     lambda part: part.replace(b'<dimension ref="A1:E6" />', b'<dimension ref="A1:C2" />'))
    assert b"A1:C2" in __import__("zipfile").ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    _, page = upload(client, "new_tech_product", data)
    assert "将新建 5 条" in summary(page) and "有问题 0 行" in summary(page)


def test_a_file_name_with_invisible_characters_is_kept_plain(client, as_role, w):
    as_role("clerk")
    report_url, _ = upload(client, "promotion_event", workbook("promotion_event", [new_row("promotion_event", w)]),
                           "活动\t表\u202e\u200b.xlsx")
    assert "已导入：新建 1 条" in confirm(client, report_url)
    assert models.ImportBatch.get().file_name == "活动表.xlsx"


def test_a_csv_cell_too_long_to_read_is_said_in_chinese(client, as_role):
    as_role("clerk")
    data = ("产品（服务）名称,目录编号\n\"" + "长" * 140_000 + "\",X1\n").encode("utf-8")
    _, page = upload(client, "new_tech_product", data, "长.csv")
    assert "CSV 文件格式有误" in page and "field larger" not in page


def test_a_project_code_that_names_no_project_is_refused(client, as_role, w):
    as_role("clerk")
    rows = [dict(new_row("project", w), code=code) for code in ("CXQ2026-ABCDEFGHIJ", "CXQ2099999999")]
    _, page = upload(client, "project", workbook("project", rows))
    assert "有问题 2 行" in summary(page)
    assert "找不到项目编号为“CXQ2026-ABCDEFGHIJ”的创新券项目；新申报的创新券项目请不填项目编号" in page
    assert models.Project.select().count() == 1


def test_the_templates_example_row_is_not_imported(client, as_role):
    as_role("clerk")
    data = client.get("/admin/new_tech_product/import/template/").get_data()
    _, page = upload(client, "new_tech_product", data)
    assert "这是导入模板中的示例行" in page and "有问题 1 行" in summary(page)


def test_a_lowercase_credit_code_finds_its_record(client, as_role, w):
    as_role("clerk")
    enterprise = w["enterprise"]
    row = dict(new_row("enterprise", w), name=enterprise.name, credit_code=enterprise.credit_code.lower(),
               contact_name="小写代码")
    report_url, page = upload(client, "enterprise", workbook("enterprise", [row]))
    assert "将更新 1 条" in summary(page)
    confirm(client, report_url)
    assert models.Enterprise.get_by_id(enterprise.id).contact_name == "小写代码"


def test_a_related_name_that_looks_like_a_formula_round_trips(client, as_role, w):
    as_role("clerk")
    models.RecommendingInstitution.update(name="+创新孵化器").where(
        models.RecommendingInstitution.id == w["recommending_institution"].id).execute()
    _, page = upload(client, "enterprise", export_xlsx(client, "enterprise"), "导出.xlsx")
    assert "无变化 1 条，有问题 0 行" in summary(page)


def test_the_test_run_lists_every_row_in_its_full_report(client, as_role, w, monkeypatch):
    from program.importing import outcome

    monkeypatch.setattr(outcome, "SHOWN_ERRORS", 3)
    monkeypatch.setattr(outcome, "SHOWN", 2)
    as_role("clerk")
    rows = [dict(new_row("new_tech_product", w), name=f"产品{n}", catalogue_ref=f"FULL-{n}",
                 valid_from="不是日期" if n % 2 else "2026-01-01") for n in range(10)]
    report_url, page = upload(client, "new_tech_product", workbook("new_tech_product", rows))
    assert "有问题 5 行" in summary(page) and "显示前 3 处，全部见完整报告" in page
    assert "显示前 2 条，全部见完整报告" in page
    response = client.get(report_url + "listing/")
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    listing = [[c.value for c in row] for row in sheet.iter_rows()]
    assert listing[0] == ["行号", "结果", "记录", "列", "原值", "新值或问题"]
    assert sorted(r[0] for r in listing[1:] if r[1] == "有问题") == [3, 5, 7, 9, 11]
    assert sorted(r[0] for r in listing[1:] if r[1] == "新建") == [2, 4, 6, 8, 10]
    assert all("请输入日期" in r[5] for r in listing[1:] if r[1] == "有问题")


def test_a_run_that_stopped_says_so_and_cannot_be_confirmed(client, as_role, w, app):
    import json
    import os

    as_role("clerk")
    report_url, _ = upload(client, "enterprise", workbook("enterprise", [new_row("enterprise", w)]))
    token = report_url.rstrip("/").rsplit("/", 1)[1]
    path = os.path.join(app.config["IMPORT_DIR"], token, "meta.json")
    meta = json.load(open(path, encoding="utf-8"))
    json.dump({**meta, "state": "committing", "beat": time.time() - 600}, open(path, "w", encoding="utf-8"))
    page = client.get(report_url).get_data(as_text=True)
    assert "中断" in page and 'http-equiv="refresh"' not in page
    csrf = csrf_token(client, "/admin/enterprise/import/")
    client.post(report_url + "commit/", data={"csrf_token": csrf})
    assert models.ImportBatch.select().count() == 0


def test_a_workbook_that_unpacks_too_large_or_too_long_is_refused(client, as_role, w, monkeypatch):
    from program import sheets

    as_role("clerk")
    monkeypatch.setattr(sheets, "MAX_UNPACKED", 5000)
    _, page = upload(client, "new_tech_product", workbook("new_tech_product", [new_row("new_tech_product", w)]))
    assert "解压后的内容过大" in page
    monkeypatch.setattr(sheets, "MAX_UNPACKED", 2 * 1024 * 1024 * 1024)
    monkeypatch.setattr(sheets, "MAX_ROWS", 100)
    data = _rezipped(workbook("new_tech_product", [new_row("new_tech_product", w)]), "xl/worksheets/sheet1.xml",
                     lambda part: part.replace(b'<row r="2"', b'<row r="99999999999"').replace(b'r="A2"', b'r="A99999999999"'))
    _, page = upload(client, "new_tech_product", data)
    assert "超过 100 行" in page
    assert models.NewTechProduct.select().count() == 1


def test_the_cap_counts_a_changed_project_once(client, as_role, w):
    factories.set_policy("annual_voucher_cap_per_enterprise", "150000")
    project = factories.reopened(w["project"])  # 50,000 this year
    as_role("clerk")
    raised = dict(new_row("project", w), code=project.code, title=project.title, voucher_amount=60000)
    added = dict(new_row("project", w), title="新增项目", voucher_amount=45000)
    _, page = upload(client, "project", workbook("project", [raised, added]))
    assert "有问题 0 行" in summary(page), page[page.find("import-errors"):][:500]


def test_the_command_imports_only_for_an_account_that_may(app, w, tmp_path):
    from tests.support import make_user

    make_user("reader", "reviewer")
    good = tmp_path / "企业.xlsx"
    good.write_bytes(workbook("enterprise", [new_row("enterprise", w)]))
    result = app.test_cli_runner().invoke(args=["import", "enterprise", str(good), "--user", "reader"])
    assert result.exit_code == 1 and "无权导入企业" in result.output
