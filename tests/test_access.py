"""The access matrix of DOMAIN.md §5, checked on the server for every view,
every role and every operation. The expectations are written out here from
the spec, not read from admin/access.py, so the two can catch each other."""
import json
import re

import pytest

import models
from tests import factories
from tests.support import csrf_token, make_user

PROGRAM = ("recommending_institution", "promotion_event", "service_institution",
           "performance_evaluation", "domain_center_member", "lab", "enterprise",
           "new_tech_product", "project", "project_purchase")
TABLES = PROGRAM + ("user", "policy_setting", "audit_log")
OPS = ("list", "details", "create", "edit", "delete", "export")
ALL, READ = set(OPS), {"list", "details", "export"}


def expected(role, table):
    if role == "admin":
        # The trail is read only; a policy version is added, and changed or
        # withdrawn while pending (one in force is locked: its delete refuses).
        return READ if table == "audit_log" else ALL
    if role == "clerk":
        if table == "user":
            return set()
        return ALL if table in PROGRAM else READ
    if role == "reviewer":
        return set() if table == "user" else READ
    if role == "institution":
        return {"recommending_institution": {"list", "details", "edit"},
                "promotion_event": {"list", "details", "create", "edit", "delete"}}.get(table, set())
    raise AssertionError(role)


def target_id(world, table, role):
    if table == "user":
        return make_user(f"target_{role}", "clerk").id
    return world[table].id


def check(client, table, op, record_id, token):
    base = f"/admin/{table}"
    if op == "list":
        return client.get(f"{base}/").status_code
    if op == "details":
        return client.get(f"{base}/details/?id={record_id}").status_code
    if op == "create":
        return client.get(f"{base}/new/").status_code
    if op == "edit":
        return client.get(f"{base}/edit/?id={record_id}").status_code
    if op == "export":
        return client.get(f"{base}/export/csv/").status_code
    if op == "delete":
        return client.post(f"{base}/delete/", data={"id": record_id, "csrf_token": token}).status_code
    raise AssertionError(op)


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("role", ("admin", "clerk", "reviewer", "institution"))
def test_access_matrix(client, as_role, role, table):
    world = factories.world()
    institution = world["recommending_institution"] if role == "institution" else None
    as_role(role, institution=institution)
    token = csrf_token(client, "/admin/")
    record_id = target_id(world, table, role)
    allowed = expected(role, table)
    for op in OPS:
        status = check(client, table, op, record_id, token)
        if op in allowed:
            # Pages answer 200; a delete answers with the redirect back to
            # the list (done or refused with a message), never 403 or 404.
            assert status == (302 if op == "delete" else 200), f"{role} {op} {table}: {status}"
        else:
            assert status == 403, f"{role} should not {op} {table}, got {status}"


@pytest.mark.parametrize("table", TABLES)
def test_anonymous_is_sent_to_login(client, table):
    world = factories.world()
    record_id = world[table].id if table in world else 1
    for url in (f"/admin/{table}/", f"/admin/{table}/details/?id={record_id}", f"/admin/{table}/new/",
                f"/admin/{table}/edit/?id={record_id}", f"/admin/{table}/export/csv/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login" in response.headers["Location"]


def test_forbidden_writes_change_nothing(client, as_role):
    world = factories.world()
    as_role("reviewer")
    token = csrf_token(client, "/admin/")
    lab = world["lab"]
    assert client.post("/admin/lab/new/", data={"name": "审核人新建的实验室", "csrf_token": token}).status_code == 403
    assert client.post(f"/admin/lab/edit/?id={lab.id}", data={"name": "改名", "csrf_token": token}).status_code == 403
    assert client.post("/admin/lab/delete/", data={"id": lab.id, "csrf_token": token}).status_code == 403
    assert client.post("/admin/lab/action/", data={"action": "delete", "rowid": [lab.id], "csrf_token": token}).status_code == 403
    assert models.Lab.select().count() == 1
    assert models.Lab.get_by_id(lab.id).name == lab.name
    assert not models.Lab.select().where(models.Lab.name == "审核人新建的实验室").exists()


def test_institution_sees_only_its_own_rows(client, as_role):
    mine = factories.recommending_institution(name="本机构")
    other = factories.recommending_institution(name="别的机构")
    my_event = factories.promotion_event(mine, title="本机构的宣讲会")
    other_event = factories.promotion_event(other, title="别人的宣讲会")
    as_role("institution", institution=mine)
    token = csrf_token(client, "/admin/")

    listing = client.get("/admin/recommending_institution/").get_data(as_text=True)
    assert "本机构" in listing and "别的机构" not in listing
    events = client.get("/admin/promotion_event/").get_data(as_text=True)
    assert "本机构的宣讲会" in events and "别人的宣讲会" not in events

    for url in (f"/admin/recommending_institution/details/?id={other.id}",
                f"/admin/recommending_institution/edit/?id={other.id}",
                f"/admin/promotion_event/details/?id={other_event.id}",
                f"/admin/promotion_event/edit/?id={other_event.id}"):
        assert client.get(url).status_code == 404, url
    # Another's record cannot be changed or deleted by a crafted POST either.
    assert client.post(f"/admin/recommending_institution/edit/?id={other.id}",
                       data={"introduction": "篡改", "csrf_token": token}).status_code == 404
    assert client.post("/admin/promotion_event/delete/",
                       data={"id": other_event.id, "csrf_token": token}).status_code == 404
    client.post("/admin/promotion_event/action/",
                data={"action": "delete", "rowid": [other_event.id], "csrf_token": token})
    assert models.PromotionEvent.get_or_none(models.PromotionEvent.id == other_event.id) is not None
    assert models.RecommendingInstitution.get_by_id(other.id).introduction is None
    assert models.PromotionEvent.get_by_id(my_event.id)


def test_a_filter_names_only_records_the_user_may_see(client, as_role):
    """A related-record filter shows the names its URL asks for: never
    another institution's, whatever ids the URL carries."""
    mine = factories.recommending_institution(name="本机构")
    other = factories.recommending_institution(name="别的机构甲", status="draft")
    as_role("institution", institution=mine)

    def named(url):
        groups = json.loads(re.search(r'<div id="filter-groups-data" class="d-none">(.*?)</div>',
                                      client.get(url).get_data(as_text=True), re.S).group(1))
        return groups["推荐机构"][0]

    arg = named("/admin/promotion_event/")["arg"]
    options = named(f"/admin/promotion_event/?flt0_{arg}={other.id}&flt1_{arg}={mine.id}")["options"]
    assert options == [[str(mine.id), "本机构"]]


def test_institution_edits_only_its_profile_fields(client, as_role):
    mine = factories.recommending_institution(name="本机构", served_enterprise_count=40)
    as_role("institution", institution=mine)
    page = client.get(f"/admin/recommending_institution/edit/?id={mine.id}").get_data(as_text=True)
    assert 'name="introduction"' in page and 'name="served_enterprise_count"' not in page
    token = csrf_token(client, f"/admin/recommending_institution/edit/?id={mine.id}")
    response = client.post(
        f"/admin/recommending_institution/edit/?id={mine.id}",
        data={"introduction": "我们服务海淀区小微企业", "service_features": "政策辅导",
              "contact_name": "赵敏", "contact_phone": "13700137000", "contact_email": "a@example.cn",
              # fields outside the self-service profile are ignored
              "name": "改名", "served_enterprise_count": "999", "status": "trained",
              "version": mine.version, "csrf_token": token},
    )
    assert response.status_code == 302
    row = models.RecommendingInstitution.get_by_id(mine.id)
    assert row.introduction == "我们服务海淀区小微企业"
    assert row.contact_name == "赵敏"
    assert (row.name, row.served_enterprise_count, row.status) == ("本机构", 40, "approved")


def test_institution_event_is_always_its_own(client, as_role):
    mine = factories.recommending_institution()
    other = factories.recommending_institution()
    as_role("institution", institution=mine)
    token = csrf_token(client, "/admin/promotion_event/new/")
    response = client.post("/admin/promotion_event/new/", data={
        "institution": other.id, "kind": "matchmaking", "held_on": "2026-05-20",
        "title": "企业实验室对接会", "participant_count": "45", "csrf_token": token,
    })
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    event = models.PromotionEvent.get(models.PromotionEvent.title == "企业实验室对接会")
    assert event.institution_id == mine.id


def test_disabled_account_loses_access(client, as_role):
    as_role("clerk")
    assert client.get("/admin/lab/").status_code == 200
    models.User.update(is_active=False).where(models.User.role == "clerk").execute()
    response = client.get("/admin/lab/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_ajax_lookup_needs_write_permission(client, as_role):
    factories.world()
    as_role("reviewer")
    assert client.get("/admin/project/ajax/lookup/?name=enterprise&query=测试").status_code == 403
