"""Load: many clerks at once on PostgreSQL, under gunicorn with several
workers, on loopback; stops by itself. A benchmark, not a test.

    .venv/bin/python bench/load.py [--projects 100000] [--clerks 50] [--seconds 60] [--workers 4]
                                   [--think 1.0] [--db postgres]

Builds (or reuses) bench.py's database of that size, opens an account per
simulated clerk, starts gunicorn on 127.0.0.1 and lets the clerks work for
the given time: lists, searches, filters, details, edits of enterprises and
the grant of submitted projects, some of them contended by two clerks at
once. Each clerk waits `think` seconds on average between requests (0: none).
Prints p50/p95 per kind of request, the error count (5xx, a refused write
that was not a business refusal, a failed connection), and checks that every
project granted during the run was granted exactly once (one audit row, one
success reported to one clerk).
"""
import argparse
import multiprocessing
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench  # noqa: E402 - bench/bench.py, beside this file

ROOT = bench.ROOT
PASSWORD = "Load-clerk-pass-2026"
WORDS = ("智能", "检测", "材料", "设计", "北京", "数字")


def prepare(args, env):
    """The data set, one account per clerk, and the projects the clerks will
    grant (submitted ones, shared out with some overlap)."""
    bench.ensure_database(args.db, args.projects, env)
    from peewee import fn
    from werkzeug.security import generate_password_hash

    from app import create_app
    import models
    from program import policy

    create_app({"DATABASE_URL": env["DATABASE_URL"], "SECRET_KEY": "load"})
    models.db.connect(reuse_if_open=True)
    hashed = generate_password_hash(PASSWORD)
    names = [f"load_clerk{n:02d}" for n in range(args.clerks)]
    existing = {u for (u,) in models.User.select(models.User.username).where(models.User.username.in_(names)).tuples()}
    with models.db.atomic():
        for name in names:
            if name not in existing:
                models.User.create(username=name, role=policy.CLERK, password_hash=hashed, display_name=name)
    submitted = [p for (p,) in models.Project.select(models.Project.id)
                 .where(models.Project.status == "submitted").order_by(models.Project.id.desc())
                 .limit(args.clerks * 40).tuples()]
    enterprises = [e for (e,) in models.Enterprise.select(models.Enterprise.id)
                   .where(models.Enterprise.credit_code.is_null(False)).order_by(models.Enterprise.id)
                   .limit(args.clerks * 5).tuples()]
    sample = models.Project.select(models.Project.id).order_by(models.Project.id).offset(args.projects // 2).scalar()
    started_audit = models.AuditLog.select(fn.MAX(models.AuditLog.id)).scalar() or 0
    models.db.close()
    return names, submitted, enterprises, sample, started_audit


class Clerk(bench.Client):
    def fields(self, path):
        started = time.perf_counter()
        status, page = self.get(path)
        elapsed = time.perf_counter() - started
        found = dict(re.findall(rb'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
        return elapsed, status, {k.decode(): v.decode() for k, v in found.items()}

    def post(self, path, data):
        import urllib.error
        import urllib.parse

        body = urllib.parse.urlencode(data).encode()
        started = time.perf_counter()
        try:
            with self.opener.open(self.base + path, data=body, timeout=120) as response:
                return time.perf_counter() - started, response.status, response.read(), response.geturl()
        except urllib.error.HTTPError as error:
            return time.perf_counter() - started, error.code, error.read(), path


def work(base, username, grants, enterprises, sample, until, think, results):
    """One clerk's day, compressed."""
    rng = random.Random(username)
    clerk = Clerk(base)
    _, _, form = clerk.fields("/login")
    clerk.post("/login", {"username": username, "password": PASSWORD, "csrf_token": form["csrf_token"]})
    while time.monotonic() < until:
        roll = rng.random()
        try:
            if roll < 0.30:
                path = rng.choice(("/admin/project/", "/admin/enterprise/", "/admin/lab/",
                                   "/admin/project/?flt0_0=contracted", f"/admin/project/?page={rng.randint(1, 400)}"))
                elapsed, status, _ = clerk.timed(path)
                results.append(("list", elapsed, status, ""))
            elif roll < 0.50:
                import urllib.parse

                word = urllib.parse.quote(rng.choice(WORDS))
                elapsed, status, _ = clerk.timed(rng.choice((f"/admin/project/?search={word}",
                                                             f"/admin/enterprise/?search={word}")))
                results.append(("search", elapsed, status, ""))
            elif roll < 0.70:
                elapsed, status, _ = clerk.timed(f"/admin/project/details/?id={sample + rng.randint(0, 5000)}")
                results.append(("details", elapsed, status, ""))
            elif roll < 0.85:
                ent = rng.choice(enterprises)
                elapsed, status, form = clerk.fields(f"/admin/enterprise/edit/?id={ent}")
                data = {k: v for k, v in form.items() if k in ("name", "credit_code", "contact_name", "contact_phone",
                                                               "contact_email", "version", "csrf_token")}
                data.update(kind="small", district="haidian", employee_count=str(rng.randint(1, 90)))
                posted, status, page, url = clerk.post(f"/admin/enterprise/edit/?id={ent}", data)
                stale = "此记录已被他人修改".encode() in page
                results.append(("edit", elapsed + posted, status if status >= 500 or stale or "/edit/" not in url
                                else 599, "stale" if stale else ""))
            elif grants:
                project = grants.pop()
                elapsed, status, form = clerk.fields(f"/admin/project/grant/?id={project}")
                posted, status, page, url = clerk.post("/admin/project/grant/", {
                    "id": project, "version": form.get("version", ""), "voucher_granted_on": "2026-11-29",
                    "opinion": "同意", "csrf_token": form.get("csrf_token", "")})
                taken = "已被他人处理".encode() in page or "当前状态为".encode() in page
                ok = status < 400 and "/details/" in url
                results.append(("grant", elapsed + posted, status if ok or taken or status >= 500 else 599,
                                f"granted:{project}" if ok else ("taken" if taken else "")))
        except OSError as error:
            results.append(("connection", 0.0, 598, str(error)[:80]))
        if think:
            time.sleep(rng.uniform(0.5 * think, 1.5 * think))


def run_clerks(base, names, grant_lists, enterprises, sample, until, think, queue):
    """A client process: its share of the clerks, one thread each."""
    results = []
    threads = [threading.Thread(target=work, args=(base, name, grants, enterprises, sample, until, think, results))
               for name, grants in zip(names, grant_lists)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put(results)


def check_exactly_once(env, started_audit, results):
    from app import create_app
    import models

    create_app({"DATABASE_URL": env["DATABASE_URL"], "SECRET_KEY": "load"})
    models.db.connect(reuse_if_open=True)
    reported = [int(note.split(":")[1]) for kind, _, _, note in results if note.startswith("granted:")]
    A = models.AuditLog
    audited = [i for (i,) in A.select(A.object_id).where(A.id > started_audit, A.action == "grant",
                                                          A.model == "project").tuples()]
    granted = models.Project.select().where(models.Project.id.in_(audited or [0]),
                                            models.Project.status == "granted").count()
    models.db.close()
    twice = len(audited) - len(set(audited))
    return (f"grants reported to clerks: {len(reported)} (on {len(set(reported))} projects); audit rows 'grant': "
            f"{len(audited)} on {len(set(audited))} projects; granted now: {granted}; granted twice: {twice}"), \
        len(reported) == len(set(reported)) == len(audited) == len(set(audited)) == granted


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--clerks", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between a clerk's requests")
    parser.add_argument("--client-processes", type=int, default=5)
    args = parser.parse_args()
    env = dict(os.environ, DATABASE_URL=bench.database_url(args.db, args.projects),
               SECRET_KEY=secrets.token_hex(16), FLASK_APP="app", RATELIMIT_STORAGE_URI="memory://")
    names, submitted, enterprises, sample, started_audit = prepare(args, env)
    # Each clerk's own projects to grant, and a third of them also in a
    # colleague's list: two clerks on one record at once.
    rng = random.Random(1)
    grant_lists = [submitted[n::args.clerks] for n in range(args.clerks)]
    for n, grants in enumerate(grant_lists):
        colleague = grant_lists[(n + 1) % args.clerks]
        grants.extend(rng.sample(colleague, len(colleague) // 3))
        rng.shuffle(grants)

    port = bench.free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(args.workers), "-b", f"127.0.0.1:{port}", "--timeout", "120",
         "app:create_app()"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                bench.Client(base).get("/login")
                break
            except OSError:
                time.sleep(0.1)
        print(f"{args.db}, {args.projects:,} projects; gunicorn {args.workers} workers; {args.clerks} clerks for "
              f"{args.seconds:.0f} s, think time {args.think} s on average; clients in {args.client_processes} "
              f"processes\n{bench.machine_noise()} — before", flush=True)
        until = time.monotonic() + args.seconds
        queue = multiprocessing.Queue()
        share = -(-args.clerks // args.client_processes)
        clients = [multiprocessing.Process(target=run_clerks, args=(
            base, names[i:i + share], grant_lists[i:i + share], enterprises, sample, until, args.think, queue))
            for i in range(0, args.clerks, share)]
        for client in clients:
            client.start()
        results = [r for _ in clients for r in queue.get()]
        for client in clients:
            client.join()
    finally:
        server.terminate()
        server.wait(timeout=60)
    report(results, args.seconds)
    print(bench.machine_noise() + " — after")
    summary, exact = check_exactly_once(env, started_audit, results)
    print(summary)
    print("exactly once: " + ("yes" if exact else "NO"))


def report(results, seconds):
    print(f"\n{'kind':<12}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}  notes")
    for kind in ("list", "search", "details", "edit", "grant"):
        rows = [r for r in results if r[0] == kind]
        if not rows:
            continue
        times = sorted(r[1] for r in rows)
        p95 = times[max(0, int(round(0.95 * len(times))) - 1)]
        notes = {}
        for r in rows:
            if r[3] and not r[3].startswith("granted:"):
                notes[r[3]] = notes.get(r[3], 0) + 1
        print(f"{kind:<12}{len(rows):>9}{statistics.median(times) * 1000:>9.1f}{p95 * 1000:>9.1f}  "
              + ", ".join(f"{k} {v}" for k, v in notes.items()))
    errors = [r for r in results if r[2] >= 500]
    print(f"\nall: {len(results)} requests in {seconds:.0f} s ({len(results) / seconds:.1f}/s); errors: {len(errors)}")
    for r in errors[:10]:
        print("  error:", r)


if __name__ == "__main__":
    main()
