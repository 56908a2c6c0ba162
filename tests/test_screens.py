"""Every screen in Chinese, lists that search, filter and sort, details with
related records, ajax lookups, exports, and no N+1 queries."""
import csv
import io
import json
import re

import pytest

import models
from tests import factories
from tests.support import csrf_token

TABLES = ("recommending_institution", "promotion_event", "service_institution", "performance_evaluation",
          "domain_center_member", "lab", "enterprise", "new_tech_product", "project", "project_purchase",
          "user", "policy_setting", "audit_log")

# flask-admin's English, which must never reach a clerk's screen.
ENGLISH = ("Save", "Cancel", "List", "Create", "Edit", "Delete", "Search", "Filter", "Export",
           "Details", "Add Filter", "Apply", "Reset", "Home", "Are you sure", "Record was",
           "This field is required", "Not a valid", "Previous", "Next", "Actions", "With selected", "None", "True", "False")


def visible_text(html):
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    html = re.sub(r'<div id="filter-groups-data".*?</div>', " ", html, flags=re.S)
    html = re.sub(r'<div id="active-filters-data".*?</div>', " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    attributes = " "
    return html + attributes


def assert_chinese(html, where):
    text = visible_text(html)
    for word in ENGLISH:
        assert not re.search(rf"\b{re.escape(word)}\b", text), f"English “{word}” on {where}"
    titles = " ".join(re.findall(r'(?:title|placeholder)="([^"]*)"', html))
    for word in ENGLISH:
        assert not re.search(rf"\b{re.escape(word)}\b", titles), f"English “{word}” in a tooltip on {where}"
    assert re.search(r"[\u4e00-\u9fff]", text), where


@pytest.mark.parametrize("table", TABLES)
def test_every_screen_renders_in_chinese(client, as_role, table):
    w = factories.world()
    as_role("admin")
    record_id = w[table].id if table in w else models.User.select().first().id
    urls = [f"/admin/{table}/", f"/admin/{table}/details/?id={record_id}"]
    if table != "audit_log":
        urls.append(f"/admin/{table}/edit/?id={record_id}")
    if table not in ("audit_log", "policy_setting"):  # the trail and the policy's keys are never added by hand
        urls.append(f"/admin/{table}/new/")
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_chinese(response.get_data(as_text=True), url)


def test_menus_are_grouped_by_area(client, as_role):
    as_role("admin")
    page = client.get("/admin/").get_data(as_text=True)
    for area in ("机构管理", "实验室", "企业与项目", "系统管理"):
        assert area in page
    for name in ("推荐机构", "专业服务机构", "领域中心成员单位", "开放实验室", "创新券项目", "审计日志"):
        assert name in page


def test_menu_shows_only_what_the_role_may_open(client, as_role):
    ri = factories.recommending_institution()
    as_role("institution", institution=ri)
    page = client.get("/admin/").get_data(as_text=True)
    assert "/admin/recommending_institution/" in page and "/admin/promotion_event/" in page
    assert "/admin/enterprise/" not in page and "/admin/user/" not in page


def test_list_shows_chinese_values_and_labels(client, as_role):
    w = factories.world()
    as_role("clerk")
    page = client.get("/admin/project/").get_data(as_text=True)
    assert "测试检验" in page and "已签合同" in page and "项目编号" in page and "创新券金额（元）" in page
    assert w["project"].code in page and w["enterprise"].name in page


def test_search_filter_and_sort(client, as_role):
    si = factories.service_institution()
    a = factories.lab(si, name="甲醛检测北京市重点实验室", category="beijing_key_lab")
    b = factories.lab(si, name="工业设计创新中心", category="beijing_design_center",
                      capabilities=["industrial_design"], status="submitted")
    as_role("clerk")
    found = client.get("/admin/lab/?search=甲醛").get_data(as_text=True)
    assert a.name in found and b.name not in found

    view_filters = client.get("/admin/lab/").get_data(as_text=True)
    groups = json.loads(re.search(r'<div id="filter-groups-data" class="d-none">(.*?)</div>', view_filters, re.S).group(1))
    status_arg = groups["状态"][0]["arg"]
    only_submitted = client.get(f"/admin/lab/?flt0_{status_arg}=submitted").get_data(as_text=True)
    assert b.name in only_submitted and a.name not in only_submitted
    capability_arg = groups["服务能力"][0]["arg"]
    design = client.get(f"/admin/lab/?flt0_{capability_arg}=industrial_design").get_data(as_text=True)
    assert b.name in design and a.name not in design

    ascending = client.get("/admin/lab/?sort=0").get_data(as_text=True)
    descending = client.get("/admin/lab/?sort=0&desc=1").get_data(as_text=True)
    assert (ascending.index(a.name) < ascending.index(b.name)) != (descending.index(a.name) < descending.index(b.name))


def test_search_on_a_joined_table_and_filter_together(client, as_role):
    w = factories.world()
    as_role("clerk")
    page = client.get(f"/admin/lab/?search={w['service_institution'].name[2:8]}&flt0_0=approved")
    assert page.status_code == 200 and w["lab"].name in page.get_data(as_text=True)


def test_details_show_related_records(client, as_role):
    w = factories.world()
    as_role("clerk")
    institution = client.get(f"/admin/service_institution/details/?id={w['service_institution'].id}").get_data(as_text=True)
    assert "开放实验室" in institution and w["lab"].name in institution and "查看全部" in institution
    enterprise = client.get(f"/admin/enterprise/details/?id={w['enterprise'].id}").get_data(as_text=True)
    assert w["project"].code in enterprise
    all_link = re.search(r'href="(/admin/project/\?flt0_[^"]+)"', enterprise.replace("&amp;", "&")).group(1)
    listing = client.get(all_link).get_data(as_text=True)
    assert w["project"].code in listing


def test_user_data_is_escaped_everywhere(client, as_role):
    si = factories.service_institution()
    factories.lab(si, name="<script>alert(1)</script>实验室")
    as_role("clerk")
    for url in ("/admin/lab/", f"/admin/service_institution/details/?id={si.id}"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_ajax_lookup_is_bounded_and_finds_by_name(client, as_role):
    for n in range(30):
        factories.enterprise(name=f"北京查找科技有限公司{n}")
    factories.enterprise(name="上海另一家公司")
    as_role("clerk")
    rows = json.loads(client.get("/admin/project/ajax/lookup/?name=enterprise&query=查找&limit=500").data)
    assert 0 < len(rows) <= 20
    assert all("查找" in label for _, label in rows)
    assert client.get("/admin/project/ajax/lookup/?name=nothing&query=x").status_code == 404


def test_foreign_keys_to_large_tables_use_ajax(client, as_role):
    factories.world()
    as_role("clerk")
    page = client.get("/admin/project/new/").get_data(as_text=True)
    assert 'data-role="select2-ajax"' in page and 'data-url="/admin/project/ajax/lookup/?name=enterprise"' in page
    assert "<option" not in page.split('name="enterprise"')[1].split("</div>")[0]
    purchase = client.get("/admin/project_purchase/new/").get_data(as_text=True)
    assert purchase.count('data-role="select2-ajax"') == 2


def test_crafted_post_with_an_unknown_id_is_refused_not_a_500(client, as_role):
    w = factories.world()
    as_role("clerk")
    url = "/admin/project/new/"
    response = client.post(url, data={
        "title": "伪造项目", "enterprise": "999999", "lab": w["lab"].id, "activity_type": "testing",
        "priority_theme": "none", "voucher_amount": "100.00", "csrf_token": csrf_token(client, url)})
    assert response.status_code == 200
    assert not models.Project.select().where(models.Project.title == "伪造项目").exists()


def test_csv_export_has_chinese_headers_and_values(client, as_role):
    w = factories.world()
    as_role("clerk")
    response = client.get("/admin/project/export/csv/")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["项目编号", "项目名称", "企业"]
    assert rows[1][0] == w["project"].code and "测试检验" in rows[1] and "已签合同" in rows[1]
    assert models.AuditLog.select().where(models.AuditLog.action == "export").exists()


@pytest.mark.parametrize("table", ("project", "lab", "enterprise", "promotion_event", "domain_center_member",
                                   "performance_evaluation", "project_purchase", "user"))
def test_list_pages_have_no_n_plus_one(client, as_role, count_queries, table):
    ri = factories.recommending_institution()
    si = factories.service_institution()
    center = factories.domain_center()
    prod = factories.product()
    for n in range(25):
        lab = factories.lab(si)
        ent = factories.enterprise(recommended_by=ri)
        project = factories.project(ent, lab, **factories.contracted())
        factories.purchase(project, prod)
        factories.promotion_event(ri)
        factories.member(center)
        factories.evaluation(si, year=2000 + n)
    from tests.support import make_user

    for n in range(25):
        make_user(f"inst{n}", "institution", institution=factories.recommending_institution())
    as_role("admin")
    with count_queries() as small:
        assert client.get(f"/admin/{table}/?page_size=20").status_code == 200
    with count_queries() as few:
        client.get(f"/admin/{table}/?search=zzzz-none")
    # A full page of 20 rows costs what an empty page costs: no query per row.
    assert small.count <= few.count + 1, small.statements
    assert small.count <= 6, small.statements
