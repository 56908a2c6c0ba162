"""Two clerks at once, and a busy morning, on both databases: the loser of a
race reads "已被他人处理" (never a 500 or "database is locked"), writes from
several gunicorn workers on SQLite all succeed, and a bulk action goes on
past a record the database refuses."""
import http.cookiejar
import multiprocessing
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from decimal import Decimal

import pytest
from peewee import OperationalError

import models
from program import workflow
from tests import factories
from tests.support import PASSWORD, TEST_DB, csrf_token, login, make_user, other_app

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# --- two clerks, one record, at the same moment ---------------------------------------

_WORKER = {}


def _start_worker(database_url, upload_dir):
    _WORKER["context"] = other_app(database_url, upload_dir)
    _WORKER["app"] = _WORKER["context"].__enter__()


def _approve_at_once(username, record_id, barrier):
    client = _WORKER["app"].test_client()
    login(client, username)
    page = client.get(f"/admin/lab/approve/?id={record_id}").get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    barrier.wait()
    response = client.post("/admin/lab/approve/", data={
        "id": record_id, "version": version, "opinion": "同意", "csrf_token": token})
    models.db.close()
    return response.status_code, response.get_data(as_text=True)


def test_two_clerks_approving_at_once_end_in_one_approval_and_a_clear_refusal(database_url, upload_dir):
    clerks = [make_user(f"clerk_race{n}", "clerk").username for n in range(2)]
    reporter = factories.service_institution()
    labs = [factories.lab(reporter, status="submitted") for _ in range(5)]
    models.db.close()
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(2, _start_worker, (database_url, upload_dir)) as pool:
        for lab in labs:
            barrier = manager.Barrier(2)
            results = pool.starmap(_approve_at_once, [(name, lab.id, barrier) for name in clerks])
            statuses = sorted(status for status, _ in results)
            assert statuses == [200, 302], statuses
            loser = next(text for status, text in results if status == 200)
            assert "该记录刚刚已被他人处理，当前状态为“已通过”" in loser
    models.db.connect(reuse_if_open=True)
    for lab in labs:
        assert models.Lab.get_by_id(lab.id).status == "approved"
        assert models.AuditLog.select().where(models.AuditLog.action == "approve",
                                              models.AuditLog.object_id == lab.id).count() == 1


# --- a bulk action goes on past a record the database refuses ---------------------------

def test_a_bulk_action_reports_each_record_and_goes_on_past_a_failure(client, as_role, monkeypatch):
    reporter = factories.service_institution()
    labs = [factories.lab(reporter, status="submitted") for _ in range(3)]
    as_role("clerk")
    real = workflow.perform

    def busy_on_the_second(transition, record_id, *args, **kwargs):
        if record_id == labs[1].id:
            raise OperationalError("database is locked")
        return real(transition, record_id, *args, **kwargs)

    monkeypatch.setattr(workflow, "perform", busy_on_the_second)
    token = csrf_token(client, "/admin/lab/")
    response = client.post("/admin/lab/bulk/approve/", data={
        "ids": ",".join(str(lab.id) for lab in labs), "opinion": "材料齐全", "csrf_token": token,
        **{f"version_{lab.id}": lab.version for lab in labs}})
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "批量审核通过：办理 2 条，未办理 1 条" in text and "系统繁忙" in text
    assert [models.Lab.get_by_id(lab.id).status for lab in labs] == ["approved", "submitted", "approved"]


# --- a busy morning: two gunicorn workers on one SQLite file ---------------------------------

STRESS_SECONDS = float(os.environ.get("VOUCHER_STRESS_SECONDS", "10"))  # longer soaks: set it


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Clerk:
    """A browser's worth of HTTP: cookies, CSRF tokens, form posts."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())

    def request(self, path, data=None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=30) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")

    def form(self, path):
        status, page = self.request(path)
        fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
        return status, fields

    def login(self, username):
        _, fields = self.form("/login")
        return self.request("/login", {"username": username, "password": PASSWORD,
                                       "csrf_token": fields["csrf_token"]})


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _busy_clerk(base, username, enterprise_ids, lab_ids, until, tally):
    clerk = Clerk(base)
    status, _ = clerk.login(username)
    tally.append(("login", status))
    n = 0
    while time.monotonic() < until:
        n += 1
        kind = n % 5
        if kind == 0:
            _, fields = clerk.form("/admin/enterprise/new/")
            status, page = clerk.request("/admin/enterprise/new/", {
                "name": f"并发企业{uuid.uuid4().hex[:10]}", "kind": "small", "district": "haidian",
                "credit_code": factories.credit_code(int(uuid.uuid4().int % 10**12)),
                "csrf_token": fields.get("csrf_token", "")})
        elif kind == 1:
            ent = enterprise_ids[n % len(enterprise_ids)]
            _, fields = clerk.form(f"/admin/enterprise/edit/?id={ent}")
            status, page = clerk.request(f"/admin/enterprise/edit/?id={ent}", {
                **{k: v for k, v in fields.items() if k in ("name", "credit_code", "version", "csrf_token")},
                "kind": "small", "district": "chaoyang", "employee_count": str(n % 90 + 1)})
        elif kind == 2 and lab_ids:
            lab = lab_ids.pop()
            _, fields = clerk.form(f"/admin/lab/approve/?id={lab}")
            status, page = clerk.request("/admin/lab/approve/", {
                "id": lab, "version": fields.get("version", ""), "opinion": "同意",
                "csrf_token": fields.get("csrf_token", "")})
        else:
            status, page = clerk.request("/admin/enterprise/" if kind == 3 else "/admin/lab/")
        failed = status >= 500 or "database is locked" in page or "系统繁忙" in page
        tally.append((f"kind{kind}", 500 if failed else status))


@pytest.mark.skipif(TEST_DB != "sqlite", reason="SQLite's write lock between processes")
def test_two_gunicorn_workers_write_to_sqlite_without_a_single_error(tmp_path):
    database_url = f"sqlite:///{tmp_path}/busy.db"
    uploads = str(tmp_path / "uploads")
    clerks = [f"busy_clerk{n}" for n in range(4)]
    with other_app(database_url, uploads):
        for name in clerks:
            make_user(name, "clerk")
        reporter = factories.service_institution()
        enterprises = {name: [factories.enterprise().id for _ in range(5)] for name in clerks}
        labs = {name: [factories.lab(reporter, status="submitted").id for _ in range(200)] for name in clerks}
        models.db.close()
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=database_url, UPLOAD_DIR=uploads, SECRET_KEY=uuid.uuid4().hex)
    server = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "app:create_app()"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/login", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        until = time.monotonic() + STRESS_SECONDS
        tally = []
        threads = [threading.Thread(target=_busy_clerk, args=(base, name, enterprises[name], labs[name],
                                                               until, tally)) for name in clerks]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.terminate()
        server.wait(10)
    errors = [(kind, status) for kind, status in tally if status >= 500]
    writes = sum(1 for kind, status in tally if kind in ("kind0", "kind1", "kind2") and status == 302)
    assert errors == [], f"{len(errors)} errors of {len(tally)} requests"
    assert writes > 50, tally[:20]


# --- rules that count rows, two clerks at once (PostgreSQL's READ COMMITTED) -------------

def _post_at_once(username, path, data, barrier):
    client = _WORKER["app"].test_client()
    login(client, username)
    page = client.get(path).get_data(as_text=True)
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    barrier.wait()
    response = client.post(path, data={**data, "version": fields.get("version", ""),
                                       "csrf_token": fields["csrf_token"]})
    models.db.close()
    return response.status_code


def _at_once(database_url, upload_dir, tasks):
    models.db.close()
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(2, _start_worker, (database_url, upload_dir)) as pool:
        barrier = manager.Barrier(2)
        results = pool.starmap(_post_at_once, [(*task, barrier) for task in tasks])
    models.db.connect(reuse_if_open=True)
    return results


def test_two_administrators_stepping_down_at_once_leave_one(database_url, upload_dir):
    first, second = make_user("admin_one", "admin"), make_user("admin_two", "admin")
    form = {"role": "clerk", "is_active": "y"}
    for _round in range(3):
        _at_once(database_url, upload_dir, [
            ("admin_one", f"/admin/user/edit/?id={second.id}", dict(form, username="admin_two")),
            ("admin_two", f"/admin/user/edit/?id={first.id}", dict(form, username="admin_one")),
        ])
        active = models.User.select().where(models.User.role == "admin", models.User.is_active == True)  # noqa: E712
        assert active.count() >= 1
        models.User.update(role="admin", is_active=True).where(models.User.id.in_((first.id, second.id))).execute()


def test_two_purchases_at_once_stay_within_the_cap(database_url, upload_dir):
    w = factories.world()  # a contract of 100,000: purchases up to 30,000 (one of 1,000 already)
    make_user("clerk_a", "clerk")
    make_user("clerk_b", "clerk")
    data = {"project": w["project"].id, "product": w["new_tech_product"].id, "amount": "20000.00",
            "purchased_on": "2026-06-01"}
    _at_once(database_url, upload_dir, [("clerk_a", "/admin/project_purchase/new/", data),
                                        ("clerk_b", "/admin/project_purchase/new/", data)])
    total = models.Project.purchases_total(w["project"].id)
    assert total == Decimal("21000.00"), total
