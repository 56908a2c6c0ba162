"""No value a client can send gives a 500: every screen, every parameter,
every form field, fed absurd numbers, ids, encodings and sizes, as an
administrator (who may reach every one of them)."""
import pytest

import compat
import models
from program import workflow
from tests import factories
from tests.support import csrf_token

ABSURD = (
    "99999999999999999999999",   # past 64 bits
    "-9223372036854775809",
    "2147483648",                # past PostgreSQL's integer
    "-1", "0",
    "1e309", "NaN", "-Infinity", "1E+1000000", "1E-999999",
    "İ", "a İ",                  # lower-cases to two characters
    "abc", "²", "١٢",            # str.isdigit() says yes to both
    "\x00", "a\x00b", "\u202e\u200b", "ab\uffffcd",
    "' OR 1=1 --",
    "9" * 400,
    "中" * 3000,
)

TABLES = ("recommending_institution", "promotion_event", "service_institution", "performance_evaluation",
          "domain_center_member", "lab", "enterprise", "new_tech_product", "project", "project_purchase",
          "user", "policy_setting", "audit_log")


def views(app):
    admin = app.extensions["admin"][0]
    return {view.endpoint: view for view in admin._views if getattr(view, "table", None) in TABLES}


def assert_no_500(response, what):
    assert response.status_code < 500, f"{what}: {response.status_code}"


@pytest.fixture
def admin_client(client, as_role):
    factories.world()
    return as_role("admin")


def test_list_parameters_and_filters(app, admin_client):
    for endpoint, view in views(app).items():
        base = f"/admin/{endpoint}/"
        filter_args = [f"flt{i}_{view.get_filter_arg(i, f)}" for i, f in enumerate(compat.filters(view))]
        for value in ABSURD:
            for name in ("page", "page_size", "sort", "desc", "search"):
                assert_no_500(admin_client.get(base, query_string={name: value}), f"{base}?{name}={value!r}")
            # Every filter at once: each is read and checked on its own (a
            # refused value is dropped, the others still apply).
            if filter_args:
                assert_no_500(admin_client.get(base, query_string={name: value for name in filter_args}),
                              f"{base} filters={value!r}")
            assert_no_500(admin_client.get(f"{base}export/csv/", query_string={"search": value, "sort": value}),
                          f"export {endpoint} {value!r}")


def test_record_ids_everywhere(app, admin_client):
    token = csrf_token(admin_client, "/admin/")
    for endpoint, view in views(app).items():
        base = f"/admin/{endpoint}"
        for value in ABSURD:
            for path in ("details/", "edit/"):
                assert_no_500(admin_client.get(f"{base}/{path}", query_string={"id": value}), f"{path} {value!r}")
            assert_no_500(admin_client.post(f"{base}/delete/", data={"id": value, "csrf_token": token}),
                          f"delete {endpoint} {value!r}")
            assert_no_500(admin_client.post(f"{base}/action/", data={
                "action": "delete", "rowid": [value, "1"], "csrf_token": token}), f"action {endpoint} {value!r}")
            for field in view.material_fields():
                assert_no_500(admin_client.get(f"{base}/material/{field}/", query_string={"id": value}), field)
            for t in workflow.for_table(endpoint):
                assert_no_500(admin_client.get(f"{base}/{t.name}/", query_string={"id": value}), t.name)
                assert_no_500(admin_client.post(f"{base}/{t.name}/", data={
                    "id": value, "version": value, "opinion": value, "csrf_token": token}), t.name)
                if t.bulk:
                    assert_no_500(admin_client.get(f"{base}/bulk/{t.name}/", query_string={"ids": value}), "bulk")
                    assert_no_500(admin_client.post(f"{base}/bulk/{t.name}/", data={
                        "ids": f"{value},1", "opinion": value, "version_1": value, "csrf_token": token}), "bulk")


def test_ajax_lookups(app, admin_client):
    for endpoint, view in views(app).items():
        for name in (view.form_ajax_refs or {}):
            for value in ABSURD:
                for key in ("query", "offset", "limit"):
                    params = {"name": name, "query": "测试", "offset": "0", "limit": "10", key: value}
                    assert_no_500(admin_client.get(f"/admin/{endpoint}/ajax/lookup/", query_string=params),
                                  f"ajax {endpoint} {name} {key}={value!r}")


def test_every_form_field(app, admin_client):
    """Each form, every field at once set to the same absurd value: refused
    beside the fields, nothing written."""
    for endpoint, view in views(app).items():
        if not view.can_create:
            continue
        page = admin_client.get(f"/admin/{endpoint}/new/")
        assert page.status_code == 200, endpoint
        form = view.create_form()
        names = [name for name in form._fields if name != "csrf_token"]
        model = view.model
        before = model.select().count()
        for value in ABSURD:
            data = {name: value for name in names}
            data["csrf_token"] = csrf_token(admin_client, f"/admin/{endpoint}/new/")
            response = admin_client.post(f"/admin/{endpoint}/new/", data=data)
            assert_no_500(response, f"new {endpoint} {value!r}")
        assert model.select().count() == before, endpoint


def test_reports_and_login(admin_client):
    for value in ABSURD:
        for path in ("/admin/reports/", "/admin/reports/evaluations/"):
            for name in ("year", "page", "behind"):
                assert_no_500(admin_client.get(path, query_string={name: value}), f"{path} {name}={value!r}")
        assert_no_500(admin_client.get("/login", query_string={"next": value}), f"next={value!r}")


def test_login_form_and_change_password(client):
    for value in ABSURD:
        token = csrf_token(client, "/login")
        assert_no_500(client.post("/login", data={"username": value, "password": value, "csrf_token": token}),
                      f"login {value!r}")
    assert not models.User.select().exists()


def test_each_field_of_a_valid_form(client, as_role):
    """A valid form with one field at a time made absurd: the other fields
    pass their checks, so this one's reaches the queries behind them."""
    from tests.test_crud import payloads

    w = factories.world()
    as_role("admin")
    for table, (model, data, _) in payloads(w).items():
        before = model.select().count()
        for name in data:
            for value in ("a\x00b", "99999999999999999999999", "NaN", "9" * 400, "\u200b"):
                form = dict(data, **{name: value}, csrf_token=csrf_token(client, f"/admin/{table}/new/"))
                response = client.post(f"/admin/{table}/new/", data=form)
                assert_no_500(response, f"new {table} {name}={value!r}")
                if response.status_code == 302:  # the value was fine after all: start again from the valid form
                    model.delete().where(model.id == model.select(model.id).order_by(model.id.desc()).scalar()).execute()
        assert model.select().count() == before, table


def test_optional_related_selects(client, as_role):
    """A related record that may be left empty (推荐机构, 成员单位, 所属推荐机构):
    wtf-peewee queried whatever came back from its empty-value filter."""
    from tests.test_crud import payloads

    w = factories.world()
    as_role("admin")
    forms = (("enterprise", "recommended_by", payloads(w)["enterprise"][1]),
             ("lab", "member_unit", payloads(w)["lab"][1]),
             ("user", "institution", {"username": "new_account", "role": "clerk", "password": "Qiuyue-lantern-58"}))
    for table, field, data in forms:
        for value in ABSURD:
            form = dict(data, **{field: value}, csrf_token=csrf_token(client, f"/admin/{table}/new/"))
            response = client.post(f"/admin/{table}/new/", data=form)
            assert_no_500(response, f"{table}.{field}={value!r}")
            assert response.status_code == 200, (table, field, value)
