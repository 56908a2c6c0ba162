"""Lists a clerk can read: amounts with thousands separators, right-aligned;
states as badges; business dates; related records as links; a related
record's filter by name; the whole table on a 1,366 px screen; "/" to search."""
import datetime
import json
import re
from decimal import Decimal

from tests import factories
from tests.browser import front_end, needs_browser
from tests.support import PASSWORD, make_user


def _cell(html, column):
    return re.findall(rf'<td class="col-{column}[^"]*">(.*?)</td>', html)


def test_project_list_reads_like_a_ledger(as_role, client):
    w = factories.world()
    project = factories.project(w["enterprise"], w["lab"], voucher_amount=Decimal("1234567.50"),
                                status="granted", submitted_at=datetime.datetime(2026, 3, 2, 9, 30),
                                voucher_granted_on=datetime.date(2026, 3, 20))
    as_role("clerk")
    html = client.get("/admin/project/").get_data(as_text=True)
    assert '<td class="col-voucher_amount num">1,234,567.50</td>' in html
    assert '<th class="column-header col-voucher_amount num">' in html
    assert '<span class="badge state state-granted">已发放创新券</span>' in html or \
        f'state-{project.status}' in html
    assert "2026-03-02" in _cell(html, "submitted_at")
    assert "2026-03-20" in _cell(html, "voucher_granted_on")
    assert "创建时间" not in html
    # The enterprise by name, a link to its details.
    assert (f'<a href="/admin/enterprise/details/?id={w["enterprise"].id}">{w["enterprise"].name}</a>'
            in _cell(html, "enterprise"))


def test_related_names_are_links_only_where_the_user_may_open_them(as_role, client):
    w = factories.world()
    institution = w["recommending_institution"]
    as_role("institution", institution=institution)
    html = client.get("/admin/promotion_event/").get_data(as_text=True)
    # An institution account sees its own institution's name, linked to its own record.
    assert (f'<a href="/admin/recommending_institution/details/?id={institution.id}">{institution.name}</a>'
            in _cell(html, "institution"))
    # A reviewer reads the audit trail's users by name, but may not open accounts.
    as_role("reviewer")
    html = client.get("/admin/lab/").get_data(as_text=True)
    assert f'/admin/service_institution/details/?id={w["service_institution"].id}' in html
    assert "/admin/user/details/" not in client.get("/admin/audit_log/").get_data(as_text=True)


def test_details_show_money_and_moments_as_clerks_write_them(as_role, client):
    w = factories.world()
    as_role("clerk")
    html = client.get(f"/admin/project/details/?id={w['project'].id}").get_data(as_text=True)
    assert "100,000.00" in html and "50,000.00" in html
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d\s*<", html)
    assert not re.search(r"\d\d:\d\d:\d\d", html)


def test_a_related_record_filter_shows_the_name_and_stays_out_of_the_menu(as_role, client):
    w = factories.world()
    other = factories.enterprise(name="另一家企业")
    factories.project(other, w["lab"], title="另一家的项目")
    as_role("clerk")
    html = client.get("/admin/project/").get_data(as_text=True)
    groups = json.loads(re.search(r'id="filter-groups-data"[^>]*>([^<]*)<', html).group(1))
    arg = groups["企业"][0]["arg"]
    menu = re.search(r'<div class="dropdown-menu field-filters">(.*?)</div>', html, re.S).group(1)
    assert ">企业<" not in menu and ">企业名称<" in menu

    html = client.get(f"/admin/project/?flt0_{arg}={w['enterprise'].id}").get_data(as_text=True)
    groups = json.loads(re.search(r'id="filter-groups-data"[^>]*>([^<]*)<', html).group(1))
    assert groups["企业"][0]["options"] == [[str(w["enterprise"].id), w["enterprise"].name]]
    assert w["project"].title in html and "另一家的项目" not in html
    # A made-up id: no name, no rows, no error.
    page = client.get(f"/admin/project/?flt0_{arg}=999999")
    assert page.status_code == 200 and w["project"].title not in page.get_data(as_text=True)


LISTS = ("/admin/recommending_institution/", "/admin/promotion_event/", "/admin/service_institution/",
         "/admin/performance_evaluation/", "/admin/domain_center_member/", "/admin/lab/",
         "/admin/enterprise/", "/admin/project/", "/admin/new_tech_product/", "/admin/project_purchase/",
         "/admin/user/", "/admin/policy_setting/", "/admin/audit_log/")


@needs_browser
@front_end
def test_every_list_fits_a_laptop_screen(app, page):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    make_user("admin_lists", "admin")
    page.login("admin_lists", PASSWORD)
    browser_page = page.page
    too_wide = []
    for path in LISTS:
        page.go(path + "?page_size=50")
        overflow = browser_page.evaluate(
            "() => { const t = document.querySelector('.table-responsive');"
            " return t ? t.scrollWidth - t.clientWidth : 0; }")
        if overflow > 0:
            too_wide.append((path, overflow))
            page.shot("too-wide-" + path)
        # A state's badge is one line.
        heights = browser_page.evaluate(
            "() => Array.from(document.querySelectorAll('.badge.state')).map(b => b.getClientRects().length)")
        assert all(h == 1 for h in heights), path
    page.go("/admin/project/")
    page.shot("project-list")
    assert too_wide == []
    # "/" goes to the search box.
    browser_page.keyboard.press("/")
    assert browser_page.evaluate("() => document.activeElement.name") == "search"
    assert page.problems == []
