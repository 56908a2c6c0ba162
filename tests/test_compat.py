"""The contract with the libraries underneath (compat.py): the versions it
was written for, the private state it reads, and the markup and scripts of
Flask-Admin that the hand-built list table and our own script rely on. An
upgrade that moves any of it fails here, loudly, before a clerk sees it."""
import importlib.metadata
import os
import re

import pytest

import compat
import models
from tests import factories

FLASK_ADMIN = os.path.dirname(__import__("flask_admin").__file__)
FLASK_ADMIN_STATIC = os.path.join(FLASK_ADMIN, "static", "admin", "js")
FLASK_ADMIN_TEMPLATES = os.path.join(FLASK_ADMIN, "templates", "bootstrap4", "admin")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_the_versions_compat_was_written_for():
    written_for = {"Flask-Admin": "2.2.1", "wtf-peewee": "3.2.1", "WTForms": "3.3.2", "peewee": "4.5.3"}
    installed = {name: importlib.metadata.version(name) for name in written_for}
    assert installed == written_for
    text = open(compat.__file__, encoding="utf-8").read()
    assert all(f"{name} {version}" in text for name, version in written_for.items())


def test_flask_admin_scripts_still_find_what_our_table_writes():
    actions = open(os.path.join(FLASK_ADMIN_STATIC, "actions.js"), encoding="utf-8").read()
    for selector in ("input.action-checkbox", ".action-rowtoggle", "#action_form", "var modelActions"):
        assert selector in actions, selector
    # The filters script the Bootstrap 4 list page loads.
    list_page = open(os.path.join(FLASK_ADMIN_TEMPLATES, "model", "list.html"), encoding="utf-8").read()
    script = re.search(r"admin/js/(\w+filters\.js)", list_page).group(1)
    assert script == "bs4_filters.js"
    filters = open(os.path.join(FLASK_ADMIN_STATIC, script), encoding="utf-8").read()
    for selector in ("a.filter", "#filter-groups-data", ".field-filters"):
        assert selector in filters, selector
    ours = open(os.path.join(ROOT, "static", "js", "app.js"), encoding="utf-8").read()
    assert "[data-model-action]" in ours and "modelActions.execute" in ours
    assert "button[data-confirm]" in ours and "a.filter" in ours


def test_the_list_page_writes_the_markup_those_scripts_expect(client, as_role):
    w = factories.world()
    as_role("clerk")
    page = client.get("/admin/new_tech_product/").get_data(as_text=True)
    assert 'class="action-rowtoggle"' in page
    assert re.search(rf'<input type="checkbox" name="rowid" class="action-checkbox" value="{w["new_tech_product"].id}"',
                     page)
    assert 'id="action_form"' in page and 'data-model-action="delete"' in page
    assert 'button type="submit" data-confirm="确定要删除这条记录吗？"' in page
    assert 'id="filter-groups-data"' in page and 'class="dropdown-item filter"' in page
    assert "onclick=" not in page


def test_the_private_state_compat_reads(app, client, as_role):
    as_role("clerk")
    client.get("/admin/project/")
    view = next(v for v in compat.registered_views(app.extensions["admin"][0]) if getattr(v, "table", "") == "project")
    columns = compat.list_columns(view)
    assert ("code", "项目编号") in columns
    assert compat.sortable_column(view, "code") is not None and compat.sortable_column(view, "nonsense") is None
    assert compat.column_by_index(view, 0) == columns[0] and compat.column_by_index(view, 999) is None
    assert compat.default_order(view) == [("id", True)]
    assert compat.filters(view) and all(hasattr(f, "apply") for f in compat.filters(view))
    assert compat.search_supported(view) and compat.export_columns(view)
    loaders = compat.ajax_loaders(view)
    assert set(loaders) == {"enterprise", "lab"}
    assert all(hasattr(field, "contains") for field in compat.loader_fields(loaders["enterprise"]))


def test_form_field_order_and_wtf_peewee_required(app, client, as_role):
    w = factories.world()
    as_role("clerk")
    page = client.get(f"/admin/enterprise/edit/?id={w['enterprise'].id}").get_data(as_text=True)
    names = re.findall(r'<(?:input|select)[^>]*name="(name|kind|credit_code|district)"', page)
    assert names == ["name", "kind", "credit_code", "district"]  # the view's order, not the model's
    assert 'required' in re.search(r'<input[^>]*name="name"[^>]*>', page).group(0)


def test_the_optimistic_lock_is_in_the_update_itself():
    w = factories.world()
    first = models.Enterprise.get_by_id(w["enterprise"].id)
    second = models.Enterprise.get_by_id(w["enterprise"].id)
    first.employee_count = 30
    first.save()
    second.employee_count = 40
    with pytest.raises(models.StaleRecord):
        second.save()
    assert models.Enterprise.get_by_id(first.id).employee_count == 30


def test_our_row_delete_button_is_flask_admins_with_its_confirmation_moved():
    """admin/listing.py writes the delete form flask-admin's row_actions.html
    writes (the same fields to the same view), with the confirmation
    flask-admin wrote inline (faHelpers.safeConfirm) done by app.js."""
    row_actions = open(os.path.join(FLASK_ADMIN_TEMPLATES, "model", "row_actions.html"), encoding="utf-8").read()
    delete_row = row_actions[row_actions.index("macro delete_row"):row_actions.index("endmacro", row_actions.index(
        "macro delete_row"))]
    for piece in ("get_url('.delete_view')", "delete_form.id(", "delete_form.url(", "csrf_token", "faHelpers.safeConfirm"):
        assert piece in delete_row, piece
    helpers = open(os.path.join(FLASK_ADMIN_STATIC, "helpers.js"), encoding="utf-8").read()
    assert "safeConfirm" in helpers
    actions = open(os.path.join(FLASK_ADMIN, "actions.py"), encoding="utf-8").read()
    assert 'request.form.getlist("rowid")' in actions


def test_the_delete_form_and_the_action_data(app, client, as_role):
    factories.world()
    as_role("clerk")
    page = client.get("/admin/new_tech_product/").get_data(as_text=True)
    view = next(v for v in compat.registered_views(app.extensions["admin"][0])
                if getattr(v, "table", "") == "new_tech_product")
    with app.test_request_context():
        assert set(view.get_delete_form()()._fields) >= {"id", "url"}
    for name in ("id", "url", "csrf_token"):
        assert f'name="{name}"' in page
    assert 'id="message-data"' in page and 'id="actions-confirmation-data"' in page
