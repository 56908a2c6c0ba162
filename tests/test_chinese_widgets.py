"""Chinese in every widget a clerk touches: the list menus (filters, page
size, bulk actions), the date pickers and the lookups — read in the page the
server sends and in Chromium, where the widgets are built."""
import datetime
import re

from tests import factories
from tests.browser import front_end, needs_browser
from tests.support import PASSWORD, make_user

LATIN = re.compile(r"[A-Za-z]{2,}")


def _filter_arg(html, label, operation):
    """The URL argument of the list filter `label` / `operation`."""
    import json

    groups = json.loads(re.search(r'id="filter-groups-data"[^>]*>([^<]*)<', html).group(1))
    return next(item["arg"] for item in groups[label] if item["operation"] == operation)


def test_list_menus_speak_the_office_words(as_role, client):
    as_role("clerk")
    html = client.get("/admin/project/").get_data(as_text=True)
    assert "每页 20 条" in html and "每页 100 条" in html
    assert "批量操作" in html
    for english in ("items", "With selected", "之间", "不是之间", "在列表中"):
        assert english not in html
    for operation in ("晚于", "早于", "介于", "不介于", "为空"):
        assert _filter_arg(html, "创新券发放日期", operation)


def test_a_date_range_reads_in_the_pickers_chinese_form(as_role, client):
    w = factories.world()
    inside = factories.project(w["enterprise"], w["lab"], title="区间内的项目",
                               voucher_granted_on=datetime.date(2026, 2, 10))
    factories.project(w["enterprise"], w["lab"], title="区间外的项目",
                      voucher_granted_on=datetime.date(2025, 2, 10))
    as_role("clerk")
    arg = _filter_arg(client.get("/admin/project/").get_data(as_text=True), "创新券发放日期", "介于")
    for written in ("2026-02-01 至 2026-02-28", "2026-02-01 to 2026-02-28"):
        page = client.get("/admin/project/", query_string={f"flt0_{arg}": written})
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert inside.title in html and "区间外的项目" not in html, written
        assert "无效" not in html
    # Half a range is refused (flask-admin's message), never an error page.
    page = client.get("/admin/project/", query_string={f"flt0_{arg}": "2026-02-01 至"})
    assert page.status_code == 200 and "区间外的项目" in page.get_data(as_text=True)


@needs_browser
@front_end
def test_date_picker_and_lookup_speak_chinese_in_the_browser(page):
    w = factories.world()
    make_user("clerk_zh", "clerk")
    page.login("clerk_zh", PASSWORD)
    browser_page = page.page

    page.go("/admin/promotion_event/new/")
    browser_page.click("#held_on")
    picker = browser_page.locator(".daterangepicker").first
    assert picker.is_visible()
    text = picker.text_content()
    assert "月" in text and not LATIN.search(text), text
    # Weeks start on Monday, as on a Chinese calendar.
    assert picker.locator("thead tr").nth(1).locator("th").nth(0).text_content().strip() == "一"
    page.shot("zh-date-picker")
    browser_page.keyboard.press("Escape")
    assert not picker.is_visible()

    # A step's own date (发放日期 on 申报成功) has the same picker.
    submitted = factories.project(w["enterprise"], w["lab"], status="submitted")
    page.go(f"/admin/project/grant/?id={submitted.id}")
    browser_page.click("#voucher_granted_on")
    assert browser_page.locator(".daterangepicker:visible").count() == 1
    browser_page.keyboard.press("Escape")

    page.go("/admin/project/new/")
    browser_page.click("#s2id_enterprise")
    browser_page.keyboard.type("没有这样的企业")
    browser_page.wait_for_selector(".select2-drop-active .select2-no-results")
    assert browser_page.inner_text(".select2-drop-active .select2-no-results") == "没有找到匹配的记录"
    page.shot("zh-lookup-no-match")

    # A range filter: the picker writes "… 至 …", the server reads it.
    factories.project(w["enterprise"], w["lab"], title="发放于二月的项目",
                      voucher_granted_on=datetime.date(2026, 2, 10))
    page.go("/admin/project/")
    browser_page.click("text=添加筛选")
    browser_page.click("a.filter:text-is('创新券发放日期')")
    # The operation menu is a select2 over the <select>.
    browser_page.click("table.filters .select2-container.filter-op a")
    browser_page.click(".select2-drop-active .select2-result-label:text-is('介于')")
    field = browser_page.locator("table.filters input.filter-val").first
    field.click()
    range_picker = browser_page.locator(".daterangepicker:visible")
    assert "确定" in range_picker.text_content() and "取消" in range_picker.text_content()
    assert not LATIN.search(range_picker.text_content())
    page.shot("zh-range-picker")
    range_picker.locator("button.applyBtn").click()
    assert " 至 " in field.input_value()
    field.fill("2026-02-01 至 2026-02-28")
    browser_page.click("#filter_form button[type=submit]")
    browser_page.wait_for_load_state()
    assert "发放于二月的项目" in browser_page.inner_text("table.model-list")
    assert w["project"].title not in browser_page.inner_text("table.model-list")
    assert page.problems == []
