"""Read a rendered form back as the browser would submit it, so a test can
change one field and post the rest as they were."""
from html.parser import HTMLParser

from tests.support import csrf_token


class _FormReader(HTMLParser):
    def __init__(self):
        super().__init__()
        self.values = {}
        self._select = None
        self._textarea = None
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and "admin-form" in (a.get("class") or ""):
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("submit", "button", "file"):
                return
            if kind == "checkbox":
                if "checked" in a:
                    self.values.setdefault(name, []).append(a.get("value", "y"))
                return
            self.values[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            # A browser drops the newline right after <textarea>.
            value = self.values[self._textarea]
            self.values[self._textarea] = value[2:] if value.startswith("\r\n") else value.removeprefix("\n")
            self._textarea = None
        elif tag == "form":
            self._in_form = False

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def read_form(client, url):
    reader = _FormReader()
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    reader.feed(page.get_data(as_text=True))
    values = {k: (v[0] if isinstance(v, list) and len(v) == 1 and k not in _MULTI else v)
              for k, v in reader.values.items()}
    return values


# Check-box lists that post several values under one name.
_MULTI = {"capabilities"}


def resubmit(client, url, **changes):
    """Post the form at `url` with its current values, changed as given
    (None removes a field, as an unticked box)."""
    data = read_form(client, url)
    data.pop("csrf_token", None)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    data["csrf_token"] = csrf_token(client, url)
    return client.post(url, data=data)


def field_errors(response):
    import re

    text = response.get_data(as_text=True)
    errors = [
        item.strip()
        for block in re.findall(r'<div class="invalid-feedback">(.*?)</div>', text, re.S)
        for item in re.findall(r"<li>(.*?)</li>", block, re.S)
    ]
    flashes = re.findall(r'class="alert alert-danger[^"]*"[^>]*>(?:\s*<button.*?</button>)?\s*(.*?)\s*</div>', text, re.S)
    return errors + [f.strip() for f in flashes]
