#!/usr/bin/env bash
# Install what the tests need into .venv, then run the suite on the embedded
# SQLite database and again on PostgreSQL when a server answers at TEST_PG_URL.
# Extra arguments go to pytest (e.g. -x, -k name).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt -r dev-requirements.txt

export TEST_PG_URL=${TEST_PG_URL:-postgresql://postgres@127.0.0.1:5432/postgres}

# The two passes run side by side (two cores; each waits on its database and
# browser much of the time); the PostgreSQL pass's output follows the SQLite one's.
pg_pid=""
if .venv/bin/python -c "import os, psycopg2; psycopg2.connect(os.environ['TEST_PG_URL'], connect_timeout=3).close()" 2>/dev/null; then
  export TEST_PASSES=both  # tests/browser.py: front-end tests taken by one pass
  pg_log=$(mktemp)
  TEST_DB=postgres .venv/bin/python -m pytest -q -p no:cacheprovider "$@" >"$pg_log" 2>&1 &
  pg_pid=$!
elif [ "${REQUIRE_POSTGRES:-0}" = "1" ]; then
  echo "PostgreSQL 不可用（$TEST_PG_URL），而本次运行要求 PostgreSQL。" >&2
  exit 1
fi

echo "== 测试（SQLite）"
sqlite_rc=0
.venv/bin/python -m pytest -q -p no:cacheprovider "$@" || sqlite_rc=$?

if [ -n "$pg_pid" ]; then
  pg_rc=0
  wait "$pg_pid" || pg_rc=$?
  echo "== 测试（PostgreSQL：本次运行自建数据库，结束后删除）"
  cat "$pg_log"
  rm -f "$pg_log"
  [ "$sqlite_rc" = 0 ] && [ "$pg_rc" = 0 ] || exit 1
else
  [ "$sqlite_rc" = 0 ] || exit 1
  echo "== PostgreSQL 不可用（$TEST_PG_URL），已跳过 PostgreSQL 测试；SQLite 测试已通过。"
fi
