"""Lists at scale: honest counts, constant queries whatever the page size,
deep pages, and search that means substring."""
import re

import pytest

import admin.base
from tests import factories


def count_text(client, url):
    page = client.get(url).get_data(as_text=True)
    return re.search(r'id="list-count">([^<]*)<', page).group(1)


def test_counts_are_exact_below_the_bound_and_a_bound_above(client, as_role, monkeypatch):
    w = factories.world()
    for _ in range(7):
        factories.enterprise()
    as_role("clerk")
    assert count_text(client, "/admin/enterprise/") == "列表（8 条）"
    monkeypatch.setattr(admin.base, "COUNT_BOUND", 5)
    assert count_text(client, "/admin/enterprise/") == "列表（超过 5 条）"
    assert count_text(client, f"/admin/enterprise/?search={w['enterprise'].name}") == "列表（1 条）"


@pytest.mark.parametrize("page_size", (20, 50, 100))
def test_queries_per_page_do_not_grow_with_the_page_size(client, as_role, count_queries, page_size):
    ri = factories.recommending_institution()
    si = factories.service_institution()
    for _ in range(110):
        factories.project(factories.enterprise(recommended_by=ri), factories.lab(si))
    as_role("clerk")
    with count_queries() as counted:
        assert client.get(f"/admin/project/?page_size={page_size}").status_code == 200
    # session user, bounded count, page ids, page rows with related records
    assert counted.count <= 5, counted.statements


def test_deep_pages_return_the_right_rows(client, as_role):
    si = factories.service_institution()
    labs = [factories.lab(si, name=f"深页实验室{n:03d}") for n in range(45)]
    as_role("clerk")
    page = client.get("/admin/lab/?page=2&page_size=20").get_data(as_text=True)
    newest_first = [lab.name for lab in reversed(labs)]
    shown = re.findall(r"深页实验室\d{3}", page)
    assert shown == newest_first[40:45]
