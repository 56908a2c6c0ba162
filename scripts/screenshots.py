"""The README's screenshots (docs/screenshots/), taken in Debian's Chromium
on the demo data set in a throwaway instance: the 工作台, the project list,
a project form with its refusals, a record's history, an import's test run.

    .venv/bin/python scripts/screenshots.py

Needs Chromium (`apt-get install chromium`) and, for readable Chinese, a CJK
font (`apt-get install fonts-noto-cjk`); with pngquant (`apt-get install
pngquant`) the files are made small.
"""
import io
import os
import shutil
import subprocess
import sys
import tempfile
import threading

import openpyxl
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
OUT = os.path.join(ROOT, "docs", "screenshots")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PASSWORD = "Screenshots-2026"


def demo_app(instance):
    from app import create_app

    app = create_app({"INSTANCE_PATH": instance, "DATABASE_URL": f"sqlite:///{instance}/demo.db",
                      "SECRET_KEY": os.urandom(16).hex(), "UPLOAD_DIR": os.path.join(instance, "uploads")})
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    import models

    with app.app_context():
        models.User.update(password_hash=generate_password_hash(PASSWORD), must_change_password=False).execute()
    return app


def take(base):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 820}).new_page()
        page.goto(base + "/login")
        page.fill("#username", "clerk")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(800)  # the charts' animation
        page.screenshot(path=os.path.join(OUT, "dashboard.png"))

        page.goto(base + "/admin/project/")
        page.screenshot(path=os.path.join(OUT, "project-list.png"))

        page.goto(base + "/admin/project/new/")
        page.fill("#title", "智能传感器联合研发项目")
        page.fill("#voucher_amount", "0")
        page.click("form.admin-form input[type=submit][value='保存']")
        page.wait_for_load_state()
        page.locator("form.admin-form").screenshot(path=os.path.join(OUT, "form-refusals.png"))

        # A history to show: an application returned, corrected and submitted again.
        page.goto(base + "/admin/project/?flt0_0=submitted")
        page.click("table.model-list a[href*='/details/?id=']")
        page.wait_for_load_state()
        details = page.url
        page.click("#record-transitions a:text-is('退回修改')")
        page.wait_for_load_state()
        page.fill("#opinion", "创新券金额应按合同报价的 50% 申请，请修改后重新提交。")
        page.click("form.admin-form button[type=submit]")
        page.wait_for_load_state()
        page.goto(details.replace("/details/", "/edit/"))
        page.fill("#voucher_amount", "45000")
        page.click("form.admin-form input[type=submit][value='保存']")
        page.wait_for_load_state()
        page.goto(details)
        page.click("#record-transitions a:text-is('提交申报')")
        page.wait_for_load_state()
        page.click("form.admin-form button[type=submit]")
        page.wait_for_load_state()
        page.goto(details)
        page.locator("#record-history").screenshot(path=os.path.join(OUT, "history.png"))

        # An import's test run: the enterprise list exported, one contact
        # changed, one district mistyped, one enterprise added.
        book = openpyxl.load_workbook(io.BytesIO(page.request.get(base + "/admin/enterprise/export/xlsx/").body()))
        sheet = book.active
        headers = [c.value for c in sheet[1]]
        sheet.cell(row=2, column=headers.index("联系人") + 1, value="王晓雨")
        sheet.cell(row=4, column=headers.index("所在区") + 1, value="滨海新区")
        sheet.append([{"企业（团队）名称": "北京星河智造科技有限公司", "类型": "小型企业", "所在区": "海淀区",
                       "统一社会信用代码": "91110108MA01ABCD1E", "联系人": "赵敏"}.get(h) for h in headers])
        upload = os.path.join(os.path.dirname(OUT), "企业名录.xlsx")
        book.save(upload)
        try:
            page.goto(base + "/admin/enterprise/import/")
            page.set_input_files("#file", upload)
            page.click("#import-form button[type=submit]")
            page.wait_for_selector("#import-summary")
            page.screenshot(path=os.path.join(OUT, "import-report.png"))
        finally:
            os.remove(upload)
        browser.close()


def main():
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as instance:
        app = demo_app(instance)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            take(f"http://127.0.0.1:{server.server_port}")
        finally:
            server.shutdown()
    for name in sorted(os.listdir(OUT)):
        path = os.path.join(OUT, name)
        if shutil.which("pngquant"):
            subprocess.run(["pngquant", "--force", "--skip-if-larger", "--quality", "60-85", "--output", path, path],
                           check=False)
        print(f"{name}: {os.path.getsize(os.path.join(OUT, name)) // 1024} KB")


if __name__ == "__main__":
    main()
