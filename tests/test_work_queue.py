"""工作台 as a work queue: what waits for the signed-in user, by kind and
age, each a link to its list filtered and oldest first; counts kept in
step with every write (program/tallies.py) and equal to the database's;
counts per state as links; the charts drawn by the vendored ECharts."""
import datetime
import re

import models
from program import tallies
from tests import factories
from tests.browser import front_end, needs_browser
from tests.support import PASSWORD, csrf_token, make_user, version_of


def _queue(client):
    html = client.get("/admin/").get_data(as_text=True)
    table = re.search(r'<div class="card h-100" id="work-queue">(.*?)</table>', html, re.S).group(1)
    rows = {}
    for row in re.findall(r"<tr id=\"work-[^\"]+\"[^>]*>(.*?)</tr>", table, re.S):
        label = re.sub(r"<[^>]+>|（他人提交的）", "", re.search(r"<td>(.*?)</td>", row, re.S).group(1)).strip()
        count = int(re.search(r'class="work-count">([\d,]+)<', row).group(1).replace(",", ""))
        link = re.search(r'<a href="([^"]+)"', row)
        rows[label] = (count, link.group(1).replace("&amp;", "&") if link else None, row)
    return rows, html


def test_the_kept_counts_equal_the_database_after_every_kind_of_write(client, as_role):
    w = factories.world()
    as_role("clerk")
    # A form's save, a transition, a bulk transition, a delete, a raw UPDATE.
    url = "/admin/project/new/"
    client.post(url, data={"title": "计数项目", "enterprise": w["enterprise"].id, "lab": w["lab"].id,
                           "activity_type": "testing", "priority_theme": "none", "voucher_amount": "1000.00",
                           "csrf_token": csrf_token(client, url)})
    created = models.Project.get(models.Project.title == "计数项目")
    client.post("/admin/project/submit/", data={"id": created.id, "version": version_of("project", created.id),
                                                "csrf_token": csrf_token(client, "/admin/")})
    assert models.Project.get_by_id(created.id).status == "submitted"
    drafts = [factories.project(w["enterprise"], w["lab"]) for _ in range(3)]
    ids = ",".join(str(p.id) for p in drafts)
    client.post("/admin/project/bulk/submit/", data={
        "ids": ids, "csrf_token": csrf_token(client, "/admin/"),
        **{f"version_{p.id}": version_of("project", p.id) for p in drafts}})
    client.post("/admin/enterprise/delete/", data={"id": factories.enterprise().id,
                                                   "csrf_token": csrf_token(client, "/admin/enterprise/")})
    models.Project.update(voucher_granted_on=datetime.date(2025, 7, 1), voucher_amount=models.Project.voucher_amount
                          + 1).where(models.Project.id == w["project"].id).execute()
    models.db.obj.execute_sql("DELETE FROM project_purchase")
    models.Project.delete().where(models.Project.id == drafts[0].id).execute()
    assert tallies.differences() == {}
    kept = tallies.read()
    assert kept["status:project"]["submitted"][0] == 3
    assert kept["granted_month"]["2025-07"][:2] == (1, 5_000_100)  # 50,001.00 yuan, in fen


def test_the_oldest_wait_is_read_again_after_a_write(client, as_role):
    """The queue keeps each kind's oldest date until its table is written."""
    w = factories.world()
    factories.project(w["enterprise"], w["lab"], status="submitted",
                      submitted_at=datetime.datetime(2026, 3, 1, 9, 0))
    as_role("clerk")
    row = _queue(client)[0]["项目申报待审核（发放创新券）"][2]
    assert f"（自 {datetime.date(2026, 3, 1)}）" in row
    factories.project(w["enterprise"], w["lab"], status="submitted",
                      submitted_at=datetime.datetime(2026, 1, 2, 9, 0))
    row = _queue(client)[0]["项目申报待审核（发放创新券）"][2]
    assert f"（自 {datetime.date(2026, 1, 2)}）" in row


def test_the_queue_says_what_waits_for_a_clerk_not_their_own(client, as_role):
    w = factories.world()
    make_user("wang", "clerk", display_name="王芳")
    wang = models.User.get(models.User.username == "wang")
    own = factories.project(w["enterprise"], w["lab"], status="submitted", submitted_by=wang,
                            submitted_at=datetime.datetime(2026, 1, 5, 9, 0))
    oldest = factories.project(w["enterprise"], w["lab"], status="submitted",
                               submitted_at=datetime.datetime(2026, 2, 1, 9, 0), title="最早的他人申报")
    factories.project(w["enterprise"], w["lab"], status="submitted",
                      submitted_at=datetime.datetime(2026, 3, 1, 9, 0))
    factories.lab(w["service_institution"], status="submitted")
    as_role.user("wang")
    rows, html = _queue(client)
    count, link, row = rows["项目申报待审核（发放创新券）"]
    assert count == 2  # three waiting, one of them her own
    assert f"（自 {datetime.date(2026, 2, 1)}）" in row
    assert rows["开放实验室待审核"][0] == 1
    assert rows["已签合同待结题"][0] == 1  # the world's contracted project
    # The link: the list filtered to the others' submissions, the oldest first.
    listed = client.get(link).get_data(as_text=True)
    titles = re.findall(r'<td class="col-title">([^<]*)</td>', listed)
    assert titles[0] == "最早的他人申报" and own.title not in titles and len(titles) == 2
    # The commission's decisions are not the office's work.
    assert "推荐机构待审核" not in rows
    assert oldest.status == "submitted"


def test_the_redemptions_waiting_are_those_others_asked_for(client, as_role):
    w = factories.world()
    make_user("wang", "clerk", display_name="王芳")
    wang = models.User.get(models.User.username == "wang")
    own = factories.project(w["enterprise"], w["lab"], **factories.completed("redemption_requested"),
                            redemption_requested_by=wang, title="本人申请的兑付")
    others = factories.project(w["enterprise"], w["lab"], **factories.completed("redemption_requested"),
                               title="他人申请的兑付")
    as_role.user("wang")
    rows, _ = _queue(client)
    count, link, _row = rows["已申请兑付待审核"]
    assert count == 1
    listed = client.get(link).get_data(as_text=True)
    titles = re.findall(r'<td class="col-title">([^<]*)</td>', listed)
    assert titles == [others.title] and own.title not in listed


def test_a_reviewer_sees_the_commissions_work_only(client, as_role):
    factories.recommending_institution(status="submitted")
    as_role("reviewer")
    rows, _ = _queue(client)
    assert rows["推荐机构待审核"][0] == 1
    assert not any(label.startswith("项目申报") for label in rows)


def test_counts_per_state_are_links_to_their_lists(client, as_role):
    w = factories.world()
    factories.project(w["enterprise"], w["lab"], status="submitted")
    as_role("clerk")
    html = client.get("/admin/").get_data(as_text=True)
    card = re.search(r'id="card-project">(.*?)</div>\s*</div>', html, re.S).group(1)
    link = re.search(r'<a class="badge state state-submitted[^"]*" href="([^"]+)">已申报 1</a>', card).group(1)
    listed = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert re.findall(r'state-(\w+)">', listed.split("model-list")[1]) == ["submitted"]


def test_reminders_follow_the_events_and_evaluations_as_they_change(client, as_role):
    ri = factories.recommending_institution(status="trained", promised_event_count=2)
    as_role("clerk")
    rows, _ = _queue(client)
    year = datetime.date.today().year
    label = f"{year} 年宣传、对接活动未达承诺的推荐机构"
    assert rows[label][0] == 1
    for day in (1, 2):
        factories.promotion_event(ri, held_on=datetime.date(year, 1, day))
    rows, _ = _queue(client)
    assert rows[label][0] == 0  # the cached figure went with the write


def test_the_dashboard_reads_the_same_few_rows_at_any_size(client, as_role, count_queries):
    w = factories.world()
    factories.project(w["enterprise"], w["lab"], status="submitted")
    as_role("clerk")
    client.get("/admin/")
    with count_queries() as few:
        client.get("/admin/")
    for _ in range(30):
        factories.project(w["enterprise"], w["lab"], status="submitted")
    with count_queries() as after_writes:  # the oldest waits read again, once
        client.get("/admin/")
    with count_queries() as more:
        client.get("/admin/")
    assert more.count == few.count and few.count <= 30 and after_writes.count <= few.count + 12
    assert not any("COUNT" in sql.upper() and '"project"' in sql and "submitted_by" not in sql
                   for sql in more.statements)


@needs_browser
@front_end
def test_the_charts_are_drawn_offline(app, page):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    make_user("clerk_charts", "clerk")
    page.login("clerk_charts", PASSWORD)
    page.go("/admin/")
    browser_page = page.page
    for chart in ("#chart-states", "#chart-months", "#chart-behind"):
        browser_page.wait_for_selector(f"{chart} svg")
    assert "结题通过" in browser_page.inner_text("#chart-states")
    page.shot("dashboard")
    assert page.problems == []


# --- lists remember their filters -----------------------------------------------------

def test_a_list_remembers_the_last_filters_and_keeps_named_ones(client, as_role):
    w = factories.world()
    factories.project(w["enterprise"], w["lab"], status="submitted", title="待审的项目")
    as_role("clerk")
    client.get("/admin/project/?flt0_0=submitted&sort=1")
    html = client.get("/admin/project/").get_data(as_text=True)
    last = re.search(r'<a class="dropdown-item" href="([^"]+)" id="last-filters">上次的筛选</a>', html).group(1)
    assert last.replace("&amp;", "&") == "/admin/project/?flt0_0=submitted&sort=1"

    url = "/admin/project/filters/save/"
    response = client.post(url, data={"name": "待我审核", "query": "flt0_0=submitted&sort=1&page=3&evil=1",
                                      "csrf_token": csrf_token(client, "/admin/project/")})
    assert response.status_code == 302
    kept = models.SavedFilter.get(models.SavedFilter.name == "待我审核")
    assert kept.query == "flt0_0=submitted&sort=1"  # the page and anything else are not kept
    assert models.AuditLog.select().where(models.AuditLog.action == "save_filter").count() == 1
    html = client.get("/admin/project/").get_data(as_text=True)
    assert '<a class="dropdown-item" href="/admin/project/?flt0_0=submitted&amp;sort=1">待我审核</a>' in html
    # Another clerk does not see it, nor delete it.
    as_role("clerk")
    assert "待我审核" not in client.get("/admin/project/").get_data(as_text=True)
    client.post("/admin/project/filters/delete/", data={"id": kept.id, "csrf_token": csrf_token(client, "/admin/")})
    assert models.SavedFilter.get_or_none(models.SavedFilter.id == kept.id) is not None


def test_remembered_filters_keep_the_session_cookie_small(client, as_role):
    """Long searches on every list cannot push the session past a browser's
    4 KB (which would drop the login with it)."""
    as_role("clerk")
    tables = ("recommending_institution", "promotion_event", "service_institution", "domain_center_member",
              "lab", "enterprise", "new_tech_product", "project", "project_purchase")
    for table in tables:
        client.get(f"/admin/{table}/", query_string={"search": "检" * 280})
        client.get(f"/admin/{table}/", query_string={"search": "测试"})
    with client.session_transaction() as session:
        last = session["last_filters"]
    assert [t for t, _ in last] == list(tables[-6:]) and all(q == "search=%E6%B5%8B%E8%AF%95" for _, q in last)
    cookie = client.get_cookie("session")
    assert len(cookie.value) < 2500


def test_saving_again_under_a_name_says_it_replaced_the_filter(client, as_role):
    as_role("clerk")
    for query, message in (("flt0_0=draft", "已保存常用筛选“草稿”"), ("flt0_0=submitted", "已更新常用筛选“草稿”")):
        response = client.post("/admin/project/filters/save/", data={
            "name": "草稿", "query": query, "csrf_token": csrf_token(client, "/admin/")}, follow_redirects=True)
        assert message in response.get_data(as_text=True)
    assert models.SavedFilter.get().query == "flt0_0=submitted"


def test_a_saved_filter_needs_a_sane_name(client, as_role):
    as_role("clerk")
    for name, message in (("", "请填写常用筛选的名称"), ("名" * 41, "最多 40 个字"), ("坏\x00名", "控制字符")):
        response = client.post("/admin/project/filters/save/", data={
            "name": name, "query": "flt0_0=draft", "csrf_token": csrf_token(client, "/admin/")},
            follow_redirects=True)
        assert message in response.get_data(as_text=True), name
    assert not models.SavedFilter.select().exists()
