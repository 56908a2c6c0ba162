#!/usr/bin/env bash
# Install the back office into .venv, create the embedded database with demo
# data on first run, and start it on http://127.0.0.1:5000/.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt

if [ ! -f instance/voucher.db ]; then
  .venv/bin/flask --app app init-db
  .venv/bin/flask --app app seed-demo
else
  # An existing database is brought up to the code's schema, its data kept.
  .venv/bin/flask --app app init-db
  echo "使用已有数据库 instance/voucher.db；如需重新生成演示数据，请先删除 instance/ 目录。"
  echo "忘记演示密码时可新建账号：.venv/bin/flask --app app create-user 新用户名 --role admin"
fi
PORT=${PORT:-5000}
echo
echo "请用浏览器打开 http://127.0.0.1:${PORT}/login ，使用上面列出的演示账号登录（按 Ctrl+C 停止）。"
exec .venv/bin/flask --app app run --host 127.0.0.1 --port "$PORT"
