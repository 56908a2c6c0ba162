"""A real browser for the tests: Debian's Chromium driven by Playwright,
against the test app served on a loopback port.

Playwright's own browser download cannot work on these machines; the tests
use /usr/bin/chromium (`apt-get install chromium`, which .ci/run does). Where
it is missing the browser tests are skipped, unless REQUIRE_BROWSER=1 (CI)
makes that a failure. Screenshots go to tests/screenshots/ (ignored by git), or to
the folder SCREENSHOTS names.
"""
import os
import re
import shutil
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# tests/screenshots/ is ignored by git; SCREENSHOTS names another folder.
SHOTS = os.environ.get("SCREENSHOTS") or os.path.join(os.path.dirname(__file__), "screenshots")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage"]


def _available():
    return shutil.which(CHROMIUM) is not None or os.path.exists(CHROMIUM)


needs_browser = pytest.mark.skipif(
    not _available() and os.environ.get("REQUIRE_BROWSER") != "1",
    reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")


# When scripts/test.sh runs the SQLite and PostgreSQL passes side by side
# (TEST_PASSES=both), a test of front-end behaviour the database does not
# reach (a widget's language, the Content-Security-Policy, a layout) is taken
# by one pass only: the PostgreSQL one, since the SQLite one carries the
# English walk (tests/test_no_english.py). Run alone, every pass takes all.
_BOTH = os.environ.get("TEST_PASSES") == "both"
_DB = os.environ.get("TEST_DB", "sqlite")
front_end = pytest.mark.skipif(_BOTH and _DB != "postgres", reason="前端行为，由 PostgreSQL 一轮测试")
walked_once = pytest.mark.skipif(_BOTH and _DB == "postgres", reason="同一画面文字，由 SQLite 一轮走一遍")


@pytest.fixture(scope="session")
def live_server(app):
    """The test app on a free loopback port, one thread per request."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()


class Page:
    """A Playwright page that remembers what the browser complained about."""

    def __init__(self, page, base):
        self.page, self.base = page, base
        self.problems = []
        page.on("console", lambda m: self.problems.append(f"console {m.type}: {m.text}")
                if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e} {e.stack}"))
        page.on("response", lambda r: self.problems.append(f"HTTP {r.status}: {r.url}")
                if r.status >= 400 else None)

    def go(self, path):
        response = self.page.goto(self.base + path)
        return response

    def login(self, username, password):
        # A new sign-in starts from no session, as on a shared office PC after
        # 退出: the old page left first, so no late response of it (the
        # favicon's, with the session cookie) lands after the cookies are cleared.
        self.page.goto("about:blank")
        self.page.context.clear_cookies()
        self.go("/login")
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.submit("button[type=submit]")

    def submit(self, selector):
        """Click what sends a form, and wait for the page that answers (not
        only the old one's load state, which may still hold)."""
        with self.page.expect_navigation():
            self.page.click(selector)

    def shot(self, name):
        os.makedirs(SHOTS, exist_ok=True)
        self.page.screenshot(path=os.path.join(SHOTS, re.sub(r"[^\w.-]", "_", name) + ".png"), full_page=True)

    def csp_violations(self):
        return [p for p in self.problems if "Content Security Policy" in p or "Refused to" in p]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.browser_failed = report.failed


@pytest.fixture
def page(request, browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    wrapped = Page(context.new_page(), live_server)
    yield wrapped
    if getattr(request.node, "browser_failed", False):
        # What the browser showed when the test failed, for whoever reads CI's log.
        wrapped.shot("FAILED-" + request.node.name)
        print(f"\nbrowser at {wrapped.page.url}; problems: {wrapped.problems}")
    context.close()
