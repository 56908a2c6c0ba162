"""The small holes: exports that are safe to open, no open redirect, the
browser headers, the password policy on every path, owner-only files,
clean upload names, and the version a form cannot set or leave out."""
import csv
import io
import os
import re
import stat

import openpyxl
import pytest

import models
from program import materials, passwords
from tests import factories
from tests.formtools import field_errors, read_form, resubmit
from tests.support import PASSWORD, csrf_token, log_out, login, make_user
from tests.test_materials import PDF, ri_form, upload

PLANTED = "=cmd|' /C calc'!A0"


def test_a_formula_planted_as_a_login_name_is_plain_text_in_both_exports(client, as_role):
    token = csrf_token(client)
    client.post("/login", data={"username": PLANTED, "password": "x", "csrf_token": token})
    client.post("/login", data={"username": "+1+1", "password": "x", "csrf_token": token})
    as_role("admin")
    text = client.get("/admin/audit_log/export/csv/").get_data().decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert "'" + PLANTED in cells and PLANTED not in cells and "'+1+1" in cells
    book = openpyxl.load_workbook(io.BytesIO(client.get("/admin/audit_log/export/xlsx/").get_data()))
    values = [cell.value for row in book.active.iter_rows() for cell in row]
    assert "'" + PLANTED in values and PLANTED not in values
    assert not any(isinstance(v, str) and v.startswith(("=", "+", "-", "@")) for v in values)


@pytest.mark.parametrize("target", ("/%09/evil.example", "/\t/evil.example", "//evil.example", "/\\evil.example",
                                    "https://evil.example/", "/%0A", "\n", "/admin/\r\nSet-Cookie:x=1",
                                    "javascript:alert(1)", "/ /evil.example"))
def test_login_never_redirects_off_the_site(client, target):
    make_user("zhangwei", "clerk")
    token = csrf_token(client)
    response = client.post("/login", query_string={"next": target},
                           data={"username": "zhangwei", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] in ("/admin/", "http://localhost/admin/")


def test_login_keeps_a_path_on_the_site(client):
    make_user("zhangwei", "clerk")
    token = csrf_token(client)
    response = client.post("/login", query_string={"next": "/admin/project/?page=2"},
                           data={"username": "zhangwei", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/admin/project/?page=2"


@pytest.mark.parametrize("path", ("/login", "/admin/", "/admin/enterprise/", "/admin/no-such-page/"))
def test_every_page_carries_the_browser_headers(client, as_role, path):
    if path != "/login":
        as_role("clerk")
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_static_assets_may_be_cached(client):
    response = client.get("/static/js/app.js")
    assert response.status_code == 200 and response.headers.get("Cache-Control") != "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_no_template_has_inline_script():
    root = os.path.join(os.path.dirname(os.path.dirname(__file__)), "templates")
    for folder, _, names in os.walk(root):
        for name in names:
            text = open(os.path.join(folder, name), encoding="utf-8").read()
            assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), name
            assert not re.search(r"\son[a-z]+\s*=", text), name


WEAK = ("12345678", "password", "        ", "Password1", "qwertyuiop", "zhangwei2026", "11111111aa")


@pytest.mark.parametrize("weak", WEAK)
def test_the_password_policy_refuses_weak_passwords(weak):
    assert passwords.problems(weak, "zhangwei"), weak


def test_the_policy_accepts_a_decent_password_and_generates_plain_ones():
    assert passwords.problems("Qiuyue-lantern-58", "zhangwei") == []
    for _ in range(20):
        generated = passwords.generate()
        assert passwords.problems(generated) == []
        assert not set(generated) & set("0Oo1lI-_")


@pytest.mark.parametrize("weak", ("12345678", "password", "        ", "zhangwei99"))
def test_change_password_applies_the_policy(client, weak):
    make_user("zhangwei", "clerk")
    login(client, "zhangwei")
    token = csrf_token(client, "/change-password")
    response = client.post("/change-password", data={
        "current_password": PASSWORD, "new_password": weak, "new_password_confirm": weak, "csrf_token": token})
    assert response.status_code == 200 and 'class="invalid-feedback">密码' in response.get_data(as_text=True)
    log_out(client)
    assert login(client, "zhangwei").status_code == 302  # the old password still works


def test_the_account_screen_applies_the_policy(client, as_role):
    as_role("admin")
    url = "/admin/user/new/"
    response = client.post(url, data={"username": "newclerk", "role": "clerk", "is_active": "y",
                                      "password": "12345678", "csrf_token": csrf_token(client, url)})
    assert any("全是数字" in e for e in field_errors(response)), field_errors(response)
    assert not models.User.select().where(models.User.username == "newclerk").exists()
    existing = make_user("zhangwei", "clerk")
    response = resubmit(client, f"/admin/user/edit/?id={existing.id}", password="zhangwei2026")
    assert any("用户名" in e for e in field_errors(response)), field_errors(response)


def test_create_user_on_the_command_line_applies_the_policy(app):
    runner = app.test_cli_runner()
    for weak in ("12345678", "password", "        "):
        result = runner.invoke(args=["create-user", "zhangwei", "--role", "clerk", "--password", weak])
        assert result.exit_code != 0, weak
    assert not models.User.select().where(models.User.username == "zhangwei").exists()


def test_an_opened_account_gets_a_first_password_the_policy_accepts(client, as_role):
    ri = factories.recommending_institution(status="approved")
    as_role("clerk")
    response = client.post(f"/admin/recommending_institution/open_account/?id={ri.id}", data={
        "id": ri.id, "username": "haidian_fhq", "version": ri.version, "csrf_token": csrf_token(client, "/admin/")})
    password = re.search(r'id="one-time-password"[^>]*>([^<]+)<', response.get_data(as_text=True)).group(1)
    assert passwords.problems(password, "haidian_fhq") == []


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_database_instance_and_uploads_are_the_owners_alone(app, client, as_role, upload_dir):
    assert mode(app.instance_path) == 0o700
    assert mode(upload_dir) == 0o700
    database = models.db.obj
    if not models.is_postgres(database):
        assert mode(database.database) & 0o077 == 0
    w = factories.world()
    factories.reopened(w["recommending_institution"])
    as_role("clerk")
    upload(client, "recommending_institution", w["recommending_institution"].id, "application_form", PDF,
           "申请表.pdf", ri_form(w))
    stored = models.RecommendingInstitution.get_by_id(w["recommending_institution"].id).application_form
    path = os.path.join(upload_dir, stored.stored_name[:2], stored.stored_name)
    assert mode(path) == 0o600 and mode(os.path.dirname(path)) == 0o700


@pytest.mark.parametrize("raw, clean", (("申请\r\n表\x00.pdf", "申请表.pdf"), ("../../etc/passwd\u202efdp.pdf", "passwdfdp.pdf"),
                                        ("\x00\x01", "材料.pdf"), ("  承诺函 .pdf ", "承诺函 .pdf"),
                                        ("长" * 300 + ".pdf", "长" * 116 + ".pdf")))
def test_upload_names_lose_what_cannot_go_into_a_header(raw, clean):
    assert materials.clean_name(raw, "pdf") == clean


def test_upload_names_are_cleaned_before_they_reach_a_header(client, as_role):
    w = factories.world()
    ri = factories.reopened(w["recommending_institution"])
    as_role("clerk")
    response = upload(client, "recommending_institution", ri.id, "application_form", PDF,
                      "新\t申请\u202e表\u200b.pdf", ri_form(w))
    assert response.status_code == 302
    stored = models.RecommendingInstitution.get_by_id(ri.id).application_form
    assert stored.original_name == "新申请表.pdf"
    download = client.get(f"/admin/recommending_institution/material/application_form/?id={ri.id}")
    disposition = download.headers["Content-Disposition"]
    assert not any(ord(ch) < 0x20 for ch in disposition)


def test_a_new_record_starts_at_version_one_whatever_the_form_says(client, as_role):
    w = factories.world()
    as_role("clerk")
    from tests.test_crud import payloads

    _, data, _ = payloads(w)["enterprise"]
    client.post("/admin/enterprise/new/", data=dict(data, version="99", csrf_token=csrf_token(client, "/admin/")))
    assert models.Enterprise.get(models.Enterprise.name == data["name"]).version == 1


def test_an_edit_that_does_not_say_its_version_is_refused(client, as_role):
    w = factories.world()
    ent = w["enterprise"]
    as_role("clerk")
    url = f"/admin/enterprise/edit/?id={ent.id}"
    form = read_form(client, url)
    form.pop("version")
    response = client.post(url, data=dict(form, employee_count="77", csrf_token=csrf_token(client, url)))
    assert response.status_code == 200 and "此记录已被他人修改" in response.get_data(as_text=True)
    assert models.Enterprise.get_by_id(ent.id).employee_count == 20


def test_long_passwords_are_judged_not_crashed_on(client, app):
    make_user("zhangwei", "clerk")
    login(client, "zhangwei")
    token = csrf_token(client, "/change-password")
    long_one = "Qiuyue-lantern-58-" * 5 + "x"  # 91 characters
    response = client.post("/change-password", data={
        "current_password": PASSWORD, "new_password": long_one, "new_password_confirm": long_one,
        "csrf_token": token})
    assert response.status_code == 302
    result = app.test_cli_runner().invoke(args=["create-user", "lisi", "--role", "clerk", "--password", long_one])
    assert result.exit_code == 0, result.output


def test_an_xlsx_export_stays_readable_whatever_a_cell_holds():
    from admin import exports

    rows = [["ab\uffffcd", "\ud83d\ude00 表情", "x" * 40_000, "=1+1", "\x01控制"]]
    data = b"".join(exports.xlsx_stream(["甲", "乙", "丙", "丁", "戊"], iter(rows)))
    book = openpyxl.load_workbook(io.BytesIO(data))
    values = [cell.value for cell in list(book.active.iter_rows())[1]]
    assert values[0] == "abcd" and len(values[2]) <= 32_767 and values[3] == "'=1+1" and values[4] == "控制"
