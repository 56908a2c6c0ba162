"""No visible English on any screen, for any role: in Chromium, on the demo
data set, every menu entry is walked — its list, a record's details, its edit
form, the create form, a transition's confirmation — with its menus, filter
choices, autocomplete and date-picker messages, placeholders and tooltips.
Every Latin word found must be one of the allowed: a code, a unit, a file
format, or a value the office itself keeps in the database (a username, an
e-mail address, a company name with Latin letters)."""
import re
from urllib.parse import urlsplit

import pytest
from peewee import CharField, TextField

import models
from commands import demo
from commands.setup import ensure_domain_centers
from program import parameters
from tests.browser import needs_browser, walked_once
from tests import support
from tests.support import PASSWORD

# The words on a screen do not depend on the database: with both passes
# side by side, one walk (on SQLite) keeps CI's time for the paths that do.
pytestmark = [needs_browser, walked_once]

# Units, formats and codes a Chinese office writes in Latin letters.
ALLOWED = {"CSV", "XLSX", "KB", "MB", "PDF", "PNG", "JPG", "JPEG", "Word", "Excel", "SHA-256", "CXQ", "ID",
           "doc", "docx", "xls", "xlsx",
           "Email", "E-mail", "URL", "IP",
           # the encodings a CSV to import may be saved in, as Excel names them
           "UTF-8", "GB18030"}
# The password rule names a common password as its example (program/passwords.py).
PASSWORD_RULE_PAGES = ("/change-password", "/admin/user/")
PATTERNS = (
    re.compile(r"^CXQ\d+$"),                         # project codes
    re.compile(r"^[0-9A-Z]{18}$"),                   # unified social credit codes
    re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$"),      # e-mail addresses
    re.compile(r"^https?://"),                        # addresses (the login address on a notice)
    re.compile(r"^[\w.-]+\.(pdf|png|jpe?g|docx?|xlsx?|csv)$", re.I),  # uploaded file names
)
TOKEN = re.compile(r"https?://\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|[A-Za-z][A-Za-z0-9]*(?:[-_.][A-Za-z0-9]+)*")

# Everything a user can read on a page: text (hidden menus included, since
# one click shows them), what fields and buttons say, tooltips, the filter
# menu's operations and choices (flask-admin keeps those as JSON until used)
# and the questions confirm() will ask.
READ_PAGE = """() => {
  const out = [document.title];
  const skip = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE']);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const parent = n.parentElement;
    if (!parent || skip.has(parent.tagName)) continue;
    if (parent.closest('#filter-groups-data, #active-filters-data, #actions-confirmation-data, #message-data, #raw-changes')) {
      continue;
    }
    out.push(n.nodeValue);
  }
  for (const el of document.querySelectorAll('[placeholder], [title], [aria-label], [alt], [data-confirm], '
                                             + '[data-placeholder], input[type=submit], input[type=button]')) {
    for (const a of ['placeholder', 'title', 'aria-label', 'alt', 'data-confirm', 'data-placeholder']) {
      if (el.hasAttribute(a)) out.push(el.getAttribute(a));
    }
    if (el.matches('input[type=submit], input[type=button]')) out.push(el.value);
  }
  const groups = document.getElementById('filter-groups-data');
  if (groups) {
    const data = JSON.parse(groups.textContent);
    for (const [name, filters] of Object.entries(data)) {
      out.push(name);
      for (const f of filters) {
        out.push(f.operation);
        for (const option of (f.options || [])) out.push(String(option[1]));
      }
    }
  }
  const questions = document.getElementById('actions-confirmation-data');
  if (questions) out.push(...Object.values(JSON.parse(questions.textContent)));
  const message = document.getElementById('message-data');
  if (message) out.push(JSON.parse(message.textContent));
  return out.join('\\n');
}"""


def kept_values():
    """The Latin words the office keeps as data (not the audit trail's raw
    JSON, which shows only behind 原始记录)."""
    words = set()
    for model in models.ALL_MODELS:
        if model is models.AuditLog:
            continue
        # Free text only: a stored code (a state, a role, a district) must
        # never reach a screen as such, so it is no excuse for a Latin word.
        text_fields = [f for f in model._meta.sorted_fields
                       if isinstance(f, (CharField, TextField)) and not f.choices
                       and not isinstance(f, models.MultiChoiceField)
                       and not any(f is code for code in (models.PolicySetting.key, models.StoredFile.content_type))]
        if not text_fields:
            continue
        for row in model.select(*text_fields).tuples():
            for value in row:
                words.update(TOKEN.findall(value if isinstance(value, str) else ""))
    return words


def foreign(text, allowed):
    found = set()
    for token in TOKEN.findall(text):
        if token in allowed or token in ALLOWED or any(p.search(token) for p in PATTERNS):
            continue
        found.add(token)
    return found


class Walk:
    def __init__(self, page, allowed):
        self.page, self.browser_page, self.allowed = page, page.page, allowed
        self.english, self.seen, self.widgets_read = {}, set(), []

    def read(self, where):
        allowed = self.allowed
        if "/policy_setting/details/" in where:
            # A parameter's key, the program's identifier, is shown there as 参数键.
            allowed = allowed | set(parameters.PARAMETERS)
        if where.startswith(PASSWORD_RULE_PAGES):
            allowed = allowed | {"password"}
        words = foreign(self.browser_page.evaluate(READ_PAGE), allowed)
        if words:
            self.english[where] = sorted(words)

    def visit(self, path):
        if path in self.seen:
            return False
        self.seen.add(path)
        response = self.page.go(path)
        assert response.status < 500, path
        self.read(path)
        return True

    def widgets(self, path):
        """The autocomplete's first message and an open date picker."""
        b = self.browser_page
        lookup = b.locator("form.admin-form .select2-container").first
        if lookup.count() and lookup.is_visible():
            lookup.click()
            drop = b.locator(".select2-drop-active")
            if drop.count():
                self.read_text(drop.inner_text(), path + " 自动补全")
                self.widgets_read.append(drop.inner_text())
            b.keyboard.press("Escape")
        date = b.locator("form.admin-form input[data-role=datepicker], form.admin-form input[data-role=datetimepicker]")
        if date.count() and date.first.is_visible():
            date.first.click()
            picker = b.locator(".daterangepicker:visible")
            if picker.count():
                self.read_text(picker.first.inner_text(), path + " 日期选择")
                self.widgets_read.append(picker.first.inner_text())
            b.keyboard.press("Escape")

    def read_text(self, text, where):
        words = foreign(text, self.allowed)
        if words:
            self.english[where] = sorted(words)

    def links(self, selector):
        hrefs = self.browser_page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('href'))")
        return [h for h in hrefs if h and h.startswith("/")]

    def screen(self, list_path):
        """A list and what it leads to: a record, its edit form, a new one,
        a transition's confirmation."""
        if not self.visit(list_path):
            return
        news = self.links("a[href*='/new/']")
        details = self.links("table a[href*='/details/?id=']")
        for path in self.links("#import-link")[:1]:
            self.visit(path)  # 导入: the upload page, its steps and recent batches
        for path in news[:1]:
            if self.visit(path):
                self.widgets(path)
        if not details:
            return
        self.visit(details[0])
        transitions = self.links("#record-transitions a[href]")
        edits = self.links("a[href*='/edit/?id=']")
        for path in transitions[:2]:
            self.visit(path)
        for path in edits[:1]:
            if self.visit(path):
                self.widgets(path)


def demo_world(upload_dir):
    ensure_domain_centers()
    parameters.ensure_defaults()
    with models.db.atomic():
        demo.seed(2026, upload_dir)
    known = support.make_user("hash_source", "clerk")  # the suite's one hash of PASSWORD
    (models.User.update(password_hash=known.password_hash, must_change_password=False)
     .execute())
    known.delete_instance()


@pytest.mark.parametrize("username", ["admin", "clerk", "reviewer", "jigou01"])
def test_no_english_on_any_screen(page, upload_dir, username):
    demo_world(upload_dir)
    walk = Walk(page, kept_values())
    walk.visit("/login")
    page.login(username, PASSWORD)
    walk.read("/admin/ (" + username + ")")
    menu = walk.links("nav a[href^='/admin/'], nav a[href^='/reports'], nav a[href^='/change-password']")
    assert menu, "no menu"
    for path in dict.fromkeys(menu):
        if urlsplit(path).path.rstrip("/").count("/") == 2 and "/admin/" in path:
            walk.screen(path)  # a table's list
        else:
            walk.visit(path)
    assert len(walk.seen) >= {"admin": 50, "clerk": 45, "reviewer": 25, "jigou01": 8}[username]
    if username != "reviewer":  # a reviewer only reads
        assert any("一\t二" in text for text in walk.widgets_read), "no date picker was opened"
    if username in ("admin", "clerk"):  # the office's forms look records up
        assert any("请再输入" in text for text in walk.widgets_read), "no lookup was opened"
    assert page.problems == []
    walk.visit("/admin/project/details/?id=999999999")  # the not-found page
    walk.visit("/admin/user/")  # forbidden to all but the admin
    by_word = {}
    for where, words in walk.english.items():
        for word in words:
            by_word.setdefault(word, []).append(where)
    assert by_word == {}, "\n".join(f"{w}: {len(p)} 页，如 {p[0]}" for w, p in sorted(by_word.items()))
