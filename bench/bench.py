"""Benchmark: the back office's screens at scale, under gunicorn, timed from a
client on loopback, next to the plain SQL that returns the same rows.

    .venv/bin/python bench/bench.py --projects 100000 [--db sqlite|postgres] [--requests 100]

Builds (or reuses) a database of that size with `seed-scale`, starts gunicorn
with one sync worker on 127.0.0.1, logs in as a clerk and prints, per
scenario, the median and p95 over the timed requests (after warm-up). Not part
of the test suite: it prints numbers, it asserts nothing.
"""
import argparse
import http.cookiejar
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
PYTHON = sys.executable
BENCH_PASSWORD = "bench-clerk-password"
WARM_UP = 20


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(kind, n):
    if kind == "sqlite":
        os.makedirs(os.path.join(ROOT, "bench", "data"), exist_ok=True)
        return f"sqlite:///{os.path.join(ROOT, 'bench', 'data', f'bench-{n}.db')}"
    server = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    return server.rsplit("/", 1)[0] + f"/voucher_bench_{n}"


def flask(env, *args):
    return subprocess.run([PYTHON, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)


def ensure_database(kind, n, env):
    url = env["DATABASE_URL"]
    if kind == "postgres":
        import psycopg2

        server = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
        conn = psycopg2.connect(server)
        conn.autocommit = True
        name = url.rsplit("/", 1)[1]
        cur = conn.cursor()
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{name}"')
        conn.close()
    started = time.perf_counter()
    result = flask(env, "seed-scale", "--projects", str(n))
    if result.returncode == 0:
        print(f"seed-scale --projects {n}: {time.perf_counter() - started:.1f} s", flush=True)
    elif "已有项目数据" in (result.stdout + result.stderr):
        print(f"reusing the database at {url}", flush=True)
        # A database seeded by an older version of the code is brought up to date first.
        migrated = flask(env, "migrate")
        if migrated.returncode != 0:
            raise SystemExit(migrated.stdout + migrated.stderr)
    else:
        raise SystemExit(result.stdout + result.stderr)
    flask(env, "create-user", "bench_clerk", "--role", "clerk", "--password", BENCH_PASSWORD)


class Client:
    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path):
        with self.opener.open(self.base + path, timeout=600) as response:
            return response.status, response.read()

    def timed(self, path):
        started = time.perf_counter()
        status, body = self.get(path)
        return time.perf_counter() - started, status, body

    def login(self):
        _, page = self.get("/login")
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1).decode()
        data = urllib.parse.urlencode({"username": "bench_clerk", "password": BENCH_PASSWORD,
                                       "csrf_token": token}).encode()
        with self.opener.open(self.base + "/login", data=data, timeout=60) as response:
            assert "/login" not in response.geturl(), "login failed"


def plain_sql(scenarios_sql, repeat):
    """Time the SQL that returns the same rows, on the same database."""
    import models

    timings = {}
    database = models.db.obj
    for name, (sql, params) in scenarios_sql.items():
        samples = []
        for i in range(repeat + 3):
            started = time.perf_counter()
            database.execute_sql(sql, params).fetchall()
            if i >= 3:
                samples.append(time.perf_counter() - started)
        timings[name] = statistics.median(samples)
    return timings


def ms(value):
    return f"{value * 1000:8.1f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--skip-export", action="store_true")
    args = parser.parse_args()

    env = dict(os.environ, DATABASE_URL=database_url(args.db, args.projects),
               SECRET_KEY=secrets.token_hex(16), FLASK_APP="app",
               # One client asks thousands of times a minute: not the public's limit.
               DIRECTORY_RATE_LIMIT="1000000 per minute")
    ensure_database(args.db, args.projects, env)

    from app import create_app
    import models

    create_app({"DATABASE_URL": env["DATABASE_URL"], "SECRET_KEY": "bench"})
    models.db.connect(reuse_if_open=True)
    sample = models.Project.select().order_by(models.Project.id).offset(args.projects // 2).first()
    enterprise = models.Enterprise.select().where(models.Enterprise.credit_code.is_null(False)).order_by(
        models.Enterprise.id).offset(1000).first()
    word = "智能"

    scenarios = [
        ("工作台（待办事项）", "/admin/"),
        ("项目列表第 1 页", "/admin/project/"),
        ("项目列表第 500 页", "/admin/project/?page=499"),
        ("筛选 状态=已签合同", "/admin/project/?flt0_0=contracted"),
        (f"两字中文搜索“{word}”", "/admin/project/?search=" + urllib.parse.quote(word)),
        ("精确项目编号", "/admin/project/?search=" + sample.code),
        ("企业精确信用代码", "/admin/enterprise/?search=" + enterprise.credit_code),
        ("企业列表第 1 页", "/admin/enterprise/"),
        ("企业 ajax 查找（两字）", "/admin/project/ajax/lookup/?name=enterprise&query=" + urllib.parse.quote(word)),
        ("项目详情页", f"/admin/project/details/?id={sample.id}"),
        ("统计报表（活动）", "/admin/reports/"),
        ("统计报表（绩效）", "/admin/reports/evaluations/"),
        ("创新券台账（2025，按企业）", "/admin/reports/ledger/?year=2025"),
        ("公开目录：实验室搜索（两字）", "/directory/labs?q=" + urllib.parse.quote("材料")),
        ("公开目录：有效期内产品", "/directory/products"),
    ]
    P, E = "project", "enterprise"
    ph = "%s" if args.db == "postgres" else "?"
    like = f"%{word}%"
    sql = {
        "项目列表第 1 页": (f'SELECT * FROM "{P}" ORDER BY id DESC LIMIT 20', ()),
        "项目列表第 500 页": (f'SELECT * FROM "{P}" ORDER BY id DESC LIMIT 20 OFFSET 9980', ()),
        "筛选 状态=已签合同": (f'SELECT * FROM "{P}" WHERE status = \'contracted\' ORDER BY id DESC LIMIT 20', ()),
        f"两字中文搜索“{word}”": (f'SELECT * FROM "{P}" WHERE title LIKE {ph} ORDER BY id DESC LIMIT 20', (like,)),
        "精确项目编号": (f'SELECT * FROM "{P}" WHERE code = \'{sample.code}\'', ()),
        "企业精确信用代码": (f'SELECT * FROM "{E}" WHERE credit_code = \'{enterprise.credit_code}\'', ()),
        "企业列表第 1 页": (f'SELECT * FROM "{E}" ORDER BY id DESC LIMIT 20', ()),
        "企业 ajax 查找（两字）": (f'SELECT * FROM "{E}" WHERE name LIKE {ph} ORDER BY id DESC LIMIT 10', (like,)),
        "项目详情页": (f'SELECT * FROM "{P}" WHERE id = {sample.id}', ()),
    }
    sql_times = plain_sql(sql, args.requests)
    ledger_times = ledger_uncached()
    models.db.close()

    port = free_port()
    server = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "--timeout", "900", "app:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        client = Client(f"http://127.0.0.1:{port}")
        for _ in range(100):
            try:
                client.get("/login")
                break
            except OSError:
                time.sleep(0.1)
        client.login()
        print(f"\n{args.db}, {args.projects:,} projects, {args.requests} timed requests per scenario "
              f"after {WARM_UP} warm-up, scenarios taken in turn\n")
        print(machine_noise() + " — before\n")
        # Scenarios in turn, request by request: a slow spell of the shared
        # machine then weighs on every scenario alike instead of on whichever
        # one happened to be running.
        for _ in range(WARM_UP):
            for _name, path in scenarios:
                client.timed(path)
        timings = {name: [] for name, _ in scenarios}
        statuses = {name: set() for name, _ in scenarios}  # every status seen, not just the last
        for _ in range(args.requests):
            for name, path in scenarios:
                elapsed, status, _ = client.timed(path)
                timings[name].append(elapsed)
                statuses[name].add(status)
        print(f"{'scenario':<24}{'median ms':>10}{'p95 ms':>10}{'SQL ms':>10}  status")
        for name, _path in scenarios:
            samples, status = sorted(timings[name]), ",".join(map(str, sorted(statuses[name])))
            p95 = samples[max(0, int(round(0.95 * len(samples))) - 1)]
            sql_ms = ms(sql_times[name]) if name in sql_times else "       -"
            print(f"{name:<24}{ms(statistics.median(samples))}{ms(p95)}{sql_ms:>10}  {status}", flush=True)
        print("\n创新券台账 computed afresh (the page caches it until a project changes): " + ", ".join(
            f"{name} {seconds * 1000:.0f} ms" for name, seconds in ledger_times))
        if not args.skip_export:
            floor = export_floor(env["DATABASE_URL"])
            print(f"export floor (plain Python loop: project rows with enterprise and lab names, csv.writer): "
                  f"{floor:.1f} s")
            for kind in ("csv", "xlsx"):
                started = time.perf_counter()
                first = None
                with client.opener.open(client.base + f"/admin/project/export/{kind}/", timeout=3600) as response:
                    size = 0
                    while True:
                        chunk = response.read(65536)
                        if first is None:
                            first = time.perf_counter() - started
                        if not chunk:
                            break
                        size += len(chunk)
                total = time.perf_counter() - started
                print(f"export {kind}: first bytes {first * 1000:.0f} ms, all {total:.1f} s, {size / 1e6:.1f} MB, "
                      f"{total / floor:.2f}× the floor (target {2 if kind == 'csv' else 3}×)")
        peaks = {pid: peak_rss_kb(pid) for pid in [server.pid, *worker_pids(server.pid)]}
        print(f"\nserver peak RSS: " + ", ".join(
            f"{'master' if pid == server.pid else 'worker'} {kb / 1024:.0f} MB" for pid, kb in peaks.items()))
        print(machine_noise() + " — after")
    finally:
        server.terminate()
        server.wait(timeout=30)


def ledger_uncached():
    """The ledger's figures as the first view after a write computes them:
    the year's totals, its first page by each grouping and the count of rows."""
    from program import ledger

    out = []
    for grouping in ledger.GROUPINGS:
        started = time.perf_counter()
        ledger.totals(2025)
        ledger.rows(grouping, 2025)
        ledger.groups(grouping, 2025)
        out.append((f"2025 按{ledger.GROUPINGS[grouping].label}", time.perf_counter() - started))
    started = time.perf_counter()
    ledger.totals(None)
    ledger.rows("district", None)
    out.append(("全部年度 按所在区", time.perf_counter() - started))
    return out


def export_floor(url):
    """The export's floor: the same rows (every project column with its
    enterprise's and lab's names), newest first, read by a plain loop on
    the database driver and written by csv.writer, nothing else."""
    import csv
    import io

    if url.startswith("sqlite:///"):
        import sqlite3
        conn = sqlite3.connect(url[len("sqlite:///"):])
    else:
        import psycopg2
        conn = psycopg2.connect(url)
    started = time.perf_counter()
    cursor = conn.cursor()
    cursor.execute('SELECT p.*, e.name, l.name FROM "project" p JOIN "enterprise" e ON e.id = p.enterprise_id '
                   'JOIN "lab" l ON l.id = p.lab_id ORDER BY p.id DESC')
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    while True:
        rows = cursor.fetchmany(2000)
        if not rows:
            break
        writer.writerows(rows)
        buffer.seek(0)
        buffer.truncate()
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def worker_pids(master):
    with open(f"/proc/{master}/task/{master}/children") as f:
        return [int(pid) for pid in f.read().split()]


def peak_rss_kb(pid):
    """The process's high-water mark of resident memory (VmHWM)."""
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))


def machine_noise(repeat=30):
    """The same pure-Python work timed like a scenario: how steady the machine
    itself was (on a shared 2-vCPU machine its p95 can drift well above its
    median, and every scenario's p95 with it)."""
    def work():
        total = 0
        for i in range(200_000):
            total += i * i
        return total

    samples = []
    for i in range(repeat + 5):
        started = time.perf_counter()
        work()
        if i >= 5:
            samples.append(time.perf_counter() - started)
    samples.sort()
    p95 = samples[max(0, int(round(0.95 * len(samples))) - 1)]
    median = statistics.median(samples)
    return (f"machine steadiness (fixed CPU work, client side): median {median * 1000:.1f} ms, "
            f"p95 {p95 * 1000:.1f} ms (×{p95 / median:.2f})")


if __name__ == "__main__":
    main()
