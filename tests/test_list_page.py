"""The list page as a clerk meets it: the table built in Python
(admin/listing.py) with its row buttons, transition links and escaping, the
menu rendered once per role and screen, and the server's garbage collected
after each response (gunicorn.conf.py)."""
import gc
import os
import re
import runpy
import weakref

import models
from tests import factories
from tests.support import login, make_user


def other_client(app, role, institution=None):
    """A second browser, logged in as a fresh user of another role."""
    client = app.test_client()
    username = f"{role}_other"
    make_user(username, role, institution=institution)
    assert login(client, username).status_code == 302
    return client


def rows(page):
    """Per row of the list: its id and the markup of the row."""
    return {int(m.group(1)): m.group(0)
            for m in re.finditer(r'<tr>\s*<td><input type="checkbox" name="rowid"[^>]*value="(\d+)".*?</tr>',
                                 page, re.S)}


def test_row_buttons_follow_the_role(app, client, as_role):
    si = factories.service_institution()
    lab = factories.lab(si, name="按钮测试实验室", status="draft")  # deletable: no decision rests on it
    as_role("clerk")
    row = rows(client.get("/admin/lab/").get_data(as_text=True))[lab.id]
    assert f'href="/admin/lab/details/?id={lab.id}&amp;url=' in row
    assert f'href="/admin/lab/edit/?id={lab.id}&amp;url=' in row
    assert 'action="/admin/lab/delete/"' in row and f'name="id" value="{lab.id}"' in row

    page = other_client(app, "reviewer").get("/admin/lab/").get_data(as_text=True)
    assert f"/admin/lab/details/?id={lab.id}" in page
    assert "/admin/lab/edit/" not in page and "/admin/lab/delete/" not in page


def test_the_row_delete_form_works_as_rendered(client, as_role):
    si = factories.service_institution()
    lab = factories.lab(si, name="待删除实验室", status="draft")
    as_role("clerk")
    page = client.get("/admin/lab/").get_data(as_text=True)
    form = re.search(rf'<form class="icon" method="POST" action="([^"]+)"><input type="hidden" name="id" '
                     rf'value="{lab.id}"><input type="hidden" name="url" value="([^"]+)">'
                     r'<input type="hidden" name="csrf_token" value="([^"]+)">', page)
    action, back, token = form.groups()
    response = client.post(action, data={"id": lab.id, "url": back.replace("&amp;", "&"), "csrf_token": token})
    assert response.status_code == 302
    assert models.Lab.get_or_none(models.Lab.id == lab.id) is None


def test_transition_links_follow_state_and_role(app, client, as_role):
    si = factories.service_institution()
    waiting = factories.lab(si, name="待审实验室", status="submitted")
    done = factories.lab(si, name="已批实验室", status="approved")
    as_role("clerk")
    listed = rows(client.get("/admin/lab/").get_data(as_text=True))
    assert f'href="/admin/lab/approve/?id={waiting.id}&amp;url=' in listed[waiting.id]
    assert f'href="/admin/lab/reject/?id={waiting.id}&amp;url=' in listed[waiting.id]
    assert "/admin/lab/approve/" not in listed[done.id] and "/admin/lab/reject/" not in listed[done.id]
    assert f'href="/admin/lab/return_for_revision/?id={done.id}&amp;url=' in listed[done.id]
    # The link leads to the transition's own confirmation page.
    link = re.search(r'href="(/admin/lab/approve/\?id=\d+&amp;url=[^"]+)"', listed[waiting.id]).group(1)
    assert "审核通过" in client.get(link.replace("&amp;", "&")).get_data(as_text=True)

    # Labs are reviewed by the office, not the commission.
    page = other_client(app, "reviewer").get("/admin/lab/").get_data(as_text=True)
    assert "transition-link" not in page


def test_every_cell_is_escaped(client, as_role):
    w = factories.world()
    nasty = '"><img src=x onerror=alert(1)>'
    ent = factories.enterprise(name="企业" + nasty)
    project = factories.project(ent, w["lab"], title="项目<script>alert(2)</script>")
    as_role("clerk")
    page = client.get("/admin/project/").get_data(as_text=True)
    row = rows(page)[project.id]
    assert "<img" not in page and "<script>alert(2)" not in page
    assert "企业&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in row
    assert "项目&lt;script&gt;alert(2)&lt;/script&gt;" in row


def test_sorted_column_shows_its_direction(client, as_role):
    factories.world()
    as_role("clerk")
    page = client.get("/admin/project/?sort=1").get_data(as_text=True)
    header = re.search(r'<th class="column-header col-title">(.*?)</th>', page).group(1)
    assert "fa-chevron-up" in header
    page = client.get("/admin/project/?sort=1&desc=1").get_data(as_text=True)
    header = re.search(r'<th class="column-header col-title">(.*?)</th>', page).group(1)
    assert "fa-chevron-down" in header


def test_an_empty_list_says_so(client, as_role):
    as_role("clerk")
    page = client.get("/admin/new_tech_product/").get_data(as_text=True)
    assert '<td colspan="999"><div class="text-center">表中没有任何记录</div>' in page


def test_the_menu_rendered_once_still_follows_the_role(app, client, as_role):
    ri = factories.recommending_institution()
    as_role("admin")
    admin_page = client.get("/admin/promotion_event/").get_data(as_text=True)
    assert 'href="/admin/user/"' in admin_page and 'href="/admin/enterprise/"' in admin_page
    # Same screen, another role: not the admin's cached menu.
    institution = other_client(app, "institution", institution=ri)
    page = institution.get("/admin/promotion_event/").get_data(as_text=True)
    assert 'href="/admin/promotion_event/"' in page
    assert 'href="/admin/user/"' not in page and 'href="/admin/enterprise/"' not in page
    # And the active item follows the screen.
    active = re.search(r'<a class="dropdown-item active[^"]*" href="([^"]+)"', page).group(1)
    assert active == "/admin/promotion_event/"
    profile = institution.get("/admin/recommending_institution/").get_data(as_text=True)
    active = re.search(r'<a class="dropdown-item active[^"]*" href="([^"]+)"', profile).group(1)
    assert active == "/admin/recommending_institution/"


def test_gunicorn_collects_a_requests_garbage_after_the_response():
    hooks = runpy.run_path(os.path.join(os.path.dirname(os.path.dirname(__file__)), "gunicorn.conf.py"))

    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle: reference counting alone never frees it
    alive = weakref.ref(a)
    del a, b
    enabled = gc.isenabled()
    gc.disable()
    try:
        assert alive() is not None
        hooks["post_request"](None, None, {}, None)
        assert alive() is None
    finally:
        if enabled:
            gc.enable()
