"""A clerk imports a spreadsheet in Chromium: from the list's 导入 button,
the template, the upload (the file box in Chinese), the test run's report
with its refusals, a corrected file, the confirmation and the batch."""
import io
import re

import openpyxl

import models
from tests import factories
from tests.browser import needs_browser
from tests.test_no_english import foreign
from tests.support import PASSWORD, make_user

pytestmark = needs_browser


def _file(tmp_path, name, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["产品（服务）名称", "供应单位", "目录编号", "有效期起", "有效期止"])
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return str(path)


def _words(browser_page):
    """The page's text but the file's SHA-256 (a fingerprint, shown as such)."""
    return re.sub(r"SHA-256 [0-9a-f]+", "", browser_page.inner_text("body"))


def test_a_clerk_imports_products_from_a_spreadsheet(page, tmp_path):
    factories.product(catalogue_ref="XJS-OLD-1")
    make_user("import_clerk", "clerk", display_name="王芳")
    browser_page = page.page
    page.login("import_clerk", PASSWORD)
    page.go("/admin/new_tech_product/")
    page.submit("#import-link")
    with browser_page.expect_download() as download:
        browser_page.click("#import-template")
    assert download.value.suggested_filename.endswith("导入模板.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
    assert [c.value for c in book.active[1]][:3] == ["产品（服务）名称", "供应单位", "目录编号"]
    assert "未选择文件" in browser_page.inner_text("#import-form")

    bad = _file(tmp_path, "有错的.xlsx", [["监测仪", "甲公司", "XJS-NEW-1", "2026-01-01", "2025-01-01"],
                                         ["监测仪二", "乙公司", "XJS-NEW-1", "明年", "2027-01-01"]])
    browser_page.set_input_files("#file", bad)
    assert "有错的.xlsx" in browser_page.inner_text(".custom-file-label")
    page.submit("#import-form button[type=submit]")
    summary = browser_page.inner_text("#import-summary")
    assert "有问题 2 行" in summary
    errors = browser_page.inner_text("#import-errors")
    assert "早于有效期起" in errors and "请输入日期" in errors and "与第 2 行重复" in errors
    assert browser_page.locator("#import-confirm").count() == 0
    assert foreign(_words(browser_page), {"XJS-NEW-1"}) == set()
    page.shot("import-refusals")

    page.go("/admin/new_tech_product/import/")
    good = _file(tmp_path, "改好的.xlsx", [["监测仪", "甲公司", "XJS-NEW-1", "2026-01-01", "2027-01-01"],
                                          ["监测仪二", "乙公司", "XJS-NEW-2", "2026-02-01", "2027-01-01"]])
    browser_page.set_input_files("#file", good)
    page.submit("#import-form button[type=submit]")
    assert "将新建 2 条" in browser_page.inner_text("#import-summary")
    assert "XJS-NEW-2" in browser_page.inner_text("#import-creates")
    page.submit("#import-confirm button[type=submit]")
    assert "已导入：新建 2 条" in browser_page.inner_text("#import-done")
    assert foreign(_words(browser_page), {"XJS-NEW-1", "XJS-NEW-2"}) == set()
    assert models.NewTechProduct.select().where(models.NewTechProduct.catalogue_ref.startswith("XJS-NEW")).count() == 2
    page.shot("import-done")
    browser_page.click("#import-done a >> nth=0")
    browser_page.wait_for_selector("#undo-batch")
    assert "改好的.xlsx" in browser_page.inner_text("body")
