"""The public directory (issue 13 item 5): no login, in Chinese, only what
is meant to be public (approved labs of a recognised kind, products within
their validity, active recommending institutions; no drafts, no refused
records, no internal ids, no mobile numbers), cacheable, with its own rate
limit; and a walk in Chromium."""
import datetime
import re

import pytest

import models
from tests import factories
from tests.browser import needs_browser
from tests.test_no_english import foreign


@pytest.fixture
def public(client):
    w = factories.world()  # an approved beijing_key_lab reported by an approved institution
    si = w["service_institution"]
    hidden = [factories.lab(si, name="草稿实验室", status="draft"),
              factories.lab(si, name="驳回的实验室", status="rejected"),
              factories.lab(si, name="其他类别实验室", category="other")]
    factories.lab(si, name="纳米材料测试中心实验室", category="public_service", contact_phone="13912345678",
                  contact_email="lab@example.cn")
    factories.product(name="在有效期内的产品", valid_from=datetime.date(2020, 1, 1), valid_to=datetime.date(2099, 1, 1))
    factories.product(name="已过期的产品", valid_from=datetime.date(2020, 1, 1), valid_to=datetime.date(2021, 1, 1))
    models.RecommendingInstitution.update(service_features="专注硬科技初创企业", contact_phone="010-62345678").where(
        models.RecommendingInstitution.id == w["recommending_institution"].id).execute()
    factories.recommending_institution(name="草稿推荐机构", status="draft")
    return w, hidden


def test_the_labs_are_the_directorys_and_nothing_private(client, public):
    w, hidden = public
    response = client.get("/directory/labs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert w["lab"].name in page and "纳米材料测试中心实验室" in page
    for lab in hidden:
        assert lab.name not in page
    assert "13912345678" not in page and "lab@example.cn" in page  # a mobile is a person's
    assert not re.search(r"[?&]id=\d", page) and "/admin/" not in page.replace("/admin/static/", "")
    assert "共 2 家实验室" in page
    found = client.get("/directory/labs?q=纳米&category=public_service").get_data(as_text=True)
    assert "纳米材料测试中心实验室" in found and w["lab"].name not in found
    none = client.get("/directory/labs?category=other").get_data(as_text=True)
    assert "共 3 家实验室" not in none  # "other" is not a directory category: the filter is ignored
    by_field = client.get("/directory/labs?field=new_materials").get_data(as_text=True)
    assert "共 0 家实验室" in by_field


def test_a_lab_whose_institution_was_reopened_leaves_the_directory(client, public):
    w, _ = public
    models.ServiceInstitution.update(status="draft").where(
        models.ServiceInstitution.id == w["service_institution"].id).execute()
    page = client.get("/directory/labs").get_data(as_text=True)
    assert w["lab"].name not in page and "纳米材料测试中心实验室" not in page


def test_a_signed_in_visitors_page_is_not_for_shared_caches(client, as_role, public):
    as_role("clerk")
    response = client.get("/directory/labs")
    assert response.headers["Cache-Control"] == "private, max-age=300"


def test_products_within_validity_and_active_institutions(client, public):
    w, _ = public
    page = client.get("/directory/products").get_data(as_text=True)
    assert "在有效期内的产品" in page and "已过期的产品" not in page
    page = client.get("/directory/recommending").get_data(as_text=True)
    assert w["recommending_institution"].name in page and "专注硬科技初创企业" in page and "010-62345678" in page
    assert "草稿推荐机构" not in page


def test_the_directory_is_cacheable_and_public(client, public):
    response = client.get("/directory/labs")
    assert response.headers["Cache-Control"] == "public, max-age=300" and response.headers["ETag"]
    again = client.get("/directory/labs", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    factories.lab(public[0]["service_institution"], name="新通过的实验室")
    changed = client.get("/directory/labs", headers={"If-None-Match": response.headers["ETag"]})
    assert changed.status_code == 200 and "新通过的实验室" in changed.get_data(as_text=True)
    assert "Set-Cookie" not in changed.headers
    assert client.get("/admin/lab/").status_code == 302  # the back office still asks to log in


def test_the_directory_has_its_own_rate_limit(client, app, public, monkeypatch):
    from limits import parse

    limiter = app.extensions["directory_limiter"]
    monkeypatch.setattr(limiter, "rate", parse("3 per minute"))
    limiter.window.storage.reset()
    codes = [client.get("/directory/products").status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    assert "访问过于频繁" in client.get("/directory/products").get_data(as_text=True)
    assert client.get("/login").status_code == 200  # the back office is not limited by it
    limiter.window.storage.reset()


def test_absurd_queries_answer_in_words(client, public):
    for query in ("q=" + "长" * 5000, "page=99999999999", "category=%00", "field=../../etc", "page=-1", "q=%FF%FE"):
        assert client.get(f"/directory/labs?{query}").status_code == 200, query
        assert client.get(f"/directory/products?{query}").status_code == 200, query


@needs_browser
def test_an_enterprise_finds_a_lab_in_the_browser(page, public):
    browser_page = page.page
    page.go("/directory/labs")
    browser_page.fill("input[name=q]", "纳米")
    browser_page.select_option("select[name=category]", "public_service")
    page.submit("#directory-search button[type=submit]")
    assert "共 1 家实验室" in browser_page.inner_text("#directory-count")
    assert "纳米材料测试中心实验室" in browser_page.inner_text("#directory-labs")
    assert foreign(browser_page.inner_text("body"), set()) == set()
    page.submit("a:text-is('新技术新产品')")
    assert "在有效期内的产品" in browser_page.inner_text("#directory-products")
    page.shot("directory")
    assert page.problems == []
