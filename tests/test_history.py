"""History in plain words: each record's 操作记录 and the 审计日志 speak the
clerk's language (Chinese names of fields, tables and states, people by
姓名, moments to the minute, no version counter, an opinion once), the
audit log is searched and filtered in Chinese, and the stored JSON stays
one click away."""
import datetime
import json
import re

import models
from tests import factories
from tests.support import csrf_token, make_user, version_of

MOMENT = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")


def take(client, table, name, record, opinion="", **fields):
    data = {"id": record.id, "version": version_of(table, record.id), "opinion": opinion,
            "csrf_token": csrf_token(client, "/admin/")}
    data.update(fields)
    response = client.post(f"/admin/{table}/{name}/", data=data)
    assert response.status_code in (200, 302), response.status_code
    return response


def _history(client, table, record_id):
    page = client.get(f"/admin/{table}/details/?id={record_id}").get_data(as_text=True)
    return page.split('id="record-history"')[1]


def _text(html):
    return re.sub(r"<[^>]+>", "", html)


def test_a_projects_history_reads_in_words(client, as_role):
    w = factories.world()
    project = factories.project(w["enterprise"], w["lab"], title="历史记录项目")
    make_user("zhang", "clerk", display_name="张明")
    make_user("li", "clerk", display_name="李华")
    as_role.user("zhang")
    take(client, "project", "submit", project)
    as_role.user("li")
    take(client, "project", "grant", project, voucher_granted_on="2026-03-01")
    assert models.Project.get_by_id(project.id).status == "granted"

    history = _text(_history(client, "project", project.id))
    state = models.PROJECT_STATUSES.label
    assert f"状态：{state('submitted')} → {state('granted')}" in history
    assert f"状态：{state('draft')} → {state('submitted')}" in history
    assert "申报提交人：（空） → 张明" in history
    assert "创新券发放日期：（空） → 2026-03-01" in history
    # People by 姓名, never by id or login name; no version counter; moments to the minute.
    assert "张明" in history and "李华" in history and "zhang" not in history
    assert "版本" not in history and "version" not in history
    assert MOMENT.search(history) and not re.search(r"\d\dT\d\d|\d\d:\d\d:\d\d", history)
    for code in ("granted", "submitted", "draft", "null", "true"):
        assert code not in history


def test_an_opinion_is_shown_once(client, as_role):
    lab = factories.lab(factories.service_institution(), status="submitted")
    as_role("clerk")
    take(client, "lab", "reject", lab, opinion="缺少认定文件扫描件")
    history = _text(_history(client, "lab", lab.id))
    assert history.count("缺少认定文件扫描件") == 1
    assert "意见：缺少认定文件扫描件" in history
    state = models.APPLICATION_STATUSES.label
    assert f"状态：{state('submitted')} → {state('rejected')}" in history


def test_an_edit_names_related_records_and_amounts_in_words(client, as_role):
    w = factories.world()
    other = factories.enterprise(name="后来的企业")
    as_role("clerk")
    before = {"before": {"enterprise": w["enterprise"].id, "voucher_amount": "50000.00"},
              "after": {"enterprise": other.id, "voucher_amount": "1234567.00"}}
    from program import audit
    audit.record(None, "edit", "project", w["project"].id, **before)
    history = _text(_history(client, "project", w["project"].id))
    assert f"企业：{w['enterprise'].name} → 后来的企业" in history
    assert "创新券金额（元）：50,000.00 → 1,234,567.00" in history


def _audit_rows(client, query=""):
    html = client.get("/admin/audit_log/" + query).get_data(as_text=True)
    return re.findall(r'<td class="col-action[^"]*">(.*?)</td>', html), html


def test_the_audit_log_speaks_chinese_and_is_searched_in_chinese(client, as_role):
    lab = factories.lab(factories.service_institution(), status="submitted")
    make_user("wang", "clerk", display_name="王芳")
    as_role.user("wang")
    take(client, "lab", "approve", lab)
    actions, html = _audit_rows(client)
    assert "审核通过" in actions
    assert '<td class="col-model">lab</td>' not in html
    assert '<td class="col-model">开放实验室</td>' in html
    assert '<td class="col-user">王芳</td>' in html
    state = models.APPLICATION_STATUSES.label
    assert f"状态：</span>{state('submitted')} → {state('approved')}" in html

    for words in ("审核通过", "approve", "王芳", "开放实验室"):
        found, _ = _audit_rows(client, f"?search={words}")
        assert "审核通过" in found, words
    found, _ = _audit_rows(client, "?search=审核通过")
    assert set(found) == {"审核通过"}


def test_the_audit_log_filters_by_action_table_person_and_dates(client, as_role):
    lab = factories.lab(factories.service_institution(), status="submitted")
    make_user("zhao", "clerk", display_name="赵强")
    as_role.user("zhao")
    take(client, "lab", "approve", lab)
    html = client.get("/admin/audit_log/").get_data(as_text=True)
    groups = json.loads(re.search(r'id="filter-groups-data"[^>]*>([^<]*)<', html).group(1))
    assert {"操作", "数据表", "操作人", "时间"} <= set(groups)
    arg = {name: {item["operation"]: item["arg"] for item in items} for name, items in groups.items()}
    assert ["approve", "审核通过"] in groups["操作"][0]["options"]
    assert ["lab", "开放实验室"] in groups["数据表"][0]["options"]

    found, _ = _audit_rows(client, f"?flt0_{arg['操作']['等于']}=approve")
    assert set(found) == {"审核通过"}
    found, _ = _audit_rows(client, f"?flt0_{arg['数据表']['等于']}=lab")
    assert found and "登录" not in found
    found, _ = _audit_rows(client, f"?flt0_{arg['操作人']['包含']}=赵强")
    assert "审核通过" in found and "登录" in found
    today = datetime.date.today()
    span = f"{today:%Y-%m-%d} 00:00:00 至 {today:%Y-%m-%d} 23:59:59"
    found, page = _audit_rows(client, f"?flt0_{arg['时间']['介于']}={span}")
    assert "审核通过" in found, page[:300]
    found, _ = _audit_rows(client, "?flt0_{}=2001-01-01 00:00:00 至 2001-01-02 00:00:00".format(arg["时间"]["介于"]))
    assert found == []


def test_the_stored_json_is_one_click_away(client, as_role):
    lab = factories.lab(factories.service_institution(), status="submitted")
    as_role("clerk")
    take(client, "lab", "reject", lab, opinion="请补充材料")
    row = models.AuditLog.select().where(models.AuditLog.action == "reject").get()
    page = client.get(f"/admin/audit_log/details/?id={row.id}").get_data(as_text=True)
    assert "意见：</span>请补充材料" in page
    raw = re.search(r'<details[^>]*id="raw-changes"><summary>原始记录（JSON）</summary><pre[^>]*>(.*?)</pre>',
                    page, re.S).group(1)
    assert "&#34;status&#34;" in raw and "&#34;rejected&#34;" in raw


def test_a_saved_filters_query_is_a_change_and_a_whole_list_export_names_no_filter(client, as_role):
    as_role("clerk")
    client.post("/admin/project/filters/save/", data={"name": "草稿", "query": "flt0_0=draft",
                                                      "csrf_token": csrf_token(client, "/admin/")})
    client.get("/admin/project/export/csv/")
    as_role("admin")
    saved = models.AuditLog.get(models.AuditLog.action == "save_filter")
    history = _text(client.get(f"/admin/audit_log/details/?id={saved.id}").get_data(as_text=True)
                    .split('id="raw-changes"')[0])
    assert "None" not in history and "flt0_0=draft" in history
    exported = models.AuditLog.get(models.AuditLog.action == "export")
    history = _text(client.get(f"/admin/audit_log/details/?id={exported.id}").get_data(as_text=True)
                    .split('id="raw-changes"')[0])
    assert "导出格式：csv" in history.replace(" ", "") and "筛选条件" not in history
