#!/usr/bin/env bash
# Copy the front-end assets the back office serves itself from the npm
# registry into static/vendor/ (committed: neither the app nor CI needs npm).
#   moment 2.29.4 — the zh-cn locale of the moment flask-admin ships (2.29.4):
#                   Chinese month and day names, weeks from Monday, in the date pickers
#   echarts 6.1.0 — the dashboard's charts (Apache ECharts)
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund --silent
mkdir -p static/vendor/moment static/vendor/echarts
cp node_modules/moment/locale/zh-cn.js static/vendor/moment/zh-cn.js
cp node_modules/moment/LICENSE static/vendor/moment/LICENSE
cp node_modules/echarts/dist/echarts.min.js static/vendor/echarts/echarts.min.js
cp node_modules/echarts/LICENSE static/vendor/echarts/LICENSE
echo "static/vendor/ updated from package-lock.json"
