"""Benchmark: importing a large spreadsheet of enterprises (issue 12's
target: the test run of 100,000 rows ≤ 60 s, its commit ≤ 60 s, peak
memory ≤ 300 MB, on SQLite).

    .venv/bin/python bench/imports.py [--rows 100000] [--db sqlite|postgres]

Writes an XLSX of that many new enterprises (each with a credit code, a
district, an amount, a contact and a recommending institution by name) to
bench/data/, loads it into a fresh database in a process of its own, and
prints the test run's and the commit's times and the process's peak
resident memory. Asserts nothing.
"""
import argparse
import os
import resource
import secrets
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
DATA = os.path.join(ROOT, "bench", "data")


def write_file(path, rows, institutions):
    from openpyxl import Workbook

    from program.importing.specs import SPECS
    from tests.factories import credit_code

    spec = SPECS["enterprise"]
    book = Workbook(write_only=True)
    sheet = book.create_sheet("企业")
    sheet.append([spec.label(name) for name in spec.fields])
    districts = ["海淀区", "朝阳区", "东城区", "昌平区", "大兴区"]
    kinds = ["小型企业", "微型企业"]
    for n in range(rows):
        sheet.append([f"北京导入基准科技有限公司{n:06d}", kinds[n % 2], credit_code(10_000_000 + n),
                      districts[n % 5], 10 + n % 90, 1_000_000 + (n % 1000) * 1234.56, f"联系人{n % 997}",
                      f"010-6{n % 10_000_000:07d}", f"contact{n}@example.cn", institutions[n % len(institutions)]])
    book.save(path)


def child(args):
    """The measured process: a fresh database, the test run, the commit."""
    from app import create_app
    import models
    from program.importing import apply, plan
    from program.importing.specs import SPECS
    from tests import factories

    create_app({"DATABASE_URL": args.url, "SECRET_KEY": secrets.token_hex(8),
                "INSTANCE_PATH": os.path.join(DATA, "import-instance")})
    models.db.connect(reuse_if_open=True)
    names = [factories.recommending_institution(name=f"基准推荐机构{i}").name for i in range(5)]
    path = os.path.join(DATA, f"enterprises-{args.rows}.xlsx")
    if not os.path.exists(path):
        started = time.perf_counter()
        write_file(path, args.rows, names)
        print(f"wrote {path} ({os.path.getsize(path) / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s")
    spec = SPECS["enterprise"]
    started = time.perf_counter()
    report = plan.plan(spec, None, path, os.path.basename(path))
    tested = time.perf_counter() - started
    print(f"test run: {report.rows:,} rows, {report.counts['create']:,} to create, "
          f"{len(report.errors)} errors, {tested:.1f} s ({report.rows / tested:,.0f} rows/s)")
    started = time.perf_counter()
    batch = apply.commit(spec, None, path, os.path.basename(path), "bench", report, username="bench")
    committed = time.perf_counter() - started
    print(f"commit: {batch.created_count:,} created in {committed:.1f} s "
          f"({batch.created_count / committed:,.0f} rows/s), enterprises now {models.Enterprise.select().count():,}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of the importing process: {peak:.0f} MB")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    os.makedirs(DATA, exist_ok=True)
    if args.db == "sqlite":
        db_path = os.path.join(DATA, "import-bench.db")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db_path + suffix):
                os.remove(db_path + suffix)
        url = f"sqlite:///{db_path}"
    else:
        import psycopg2

        server = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
        conn = psycopg2.connect(server)
        conn.autocommit = True
        conn.cursor().execute("DROP DATABASE IF EXISTS voucher_import_bench")
        conn.cursor().execute("CREATE DATABASE voucher_import_bench")
        conn.close()
        url = server.rsplit("/", 1)[0] + "/voucher_import_bench"
    print(f"\nimport of {args.rows:,} enterprises into a fresh {args.db} database\n")
    subprocess.run([sys.executable, __file__, "--child", "--rows", str(args.rows), "--url", url], check=True)


if __name__ == "__main__":
    main()
