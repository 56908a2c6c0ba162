"""The list page's table and the cells shared with the details page, written
in Python.

Jinja spent more on the table than the database spent on the page: a macro
call, a context lookup and an escape per cell, each piece then passed up
through five levels of template inheritance. Here the markup around the
values is prepared once per page and every value goes through the same
markupsafe escape Jinja uses: user data is escaped exactly as in a template,
and nothing is trusted as markup unless it already is Markup.
"""
import urllib.parse

from flask import request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

import compat
from admin import present
from models import shown
from program import locks, workflow


class TransitionLinks:
    """The transitions a user may take on a record now, as links to their
    confirmation pages (perform() checks again when one is taken). One the
    user's role allows but a rule forbids here (the submitter may not
    approve their own application) shows disabled, saying why. The links
    depend only on the record's state and whether the user submitted it,
    so each such case is built once."""

    def __init__(self, view, user, size="sm", prefix=None, back=None):
        self.view, self.user, self.size = view, user, size
        self.prefix = escape(prefix or view.get_url(".index_view"))
        self.back = escape(back or urllib.parse.quote(request.full_path, safe=""))
        self.by_case = {}

    def parts(self, record):
        state = getattr(record, "status", None)  # a table without a workflow has none
        case = (state, getattr(record, "submitted_by_id", None) == getattr(self.user, "id", None))
        if case not in self.by_case:
            self.by_case[case] = [self._part(t, record) for t in workflow.available(record, self.user)] \
                if self.user.is_authenticated else []
        return self.by_case[case]

    def _part(self, transition, record):
        label = escape(transition.label)
        reason = workflow.why_not(transition, record, self.user)
        if reason:
            said = f' <small class="text-muted transition-reason">{escape(reason)}</small>' if self.size != "sm" else ""
            return (f'<span class="btn btn-{self.size} btn-outline-secondary disabled mr-1 mb-1 transition-blocked" '
                    f'aria-disabled="true" title="{escape(reason)}">{label}</span>{said}', None)
        return (f'<a class="btn btn-{self.size} btn-outline-primary mr-1 mb-1 transition-link" '
                f'href="{self.prefix}{escape(transition.name)}/?id=', f'&amp;url={self.back}">{label}</a>')

    def __call__(self, record):
        pk = int(record.id)
        return Markup("".join(head if tail is None else f"{head}{pk}{tail}" for head, tail in self.parts(record)))


def transition_links(view, record, user, size="sm"):
    return TransitionLinks(view, user, size)(record)


def material_link(record, column):
    """A material's download link, through the record's own view (scope and
    role apply); the file's name is escaped like any user data."""
    stored = getattr(record, column)
    if not stored:
        return Markup('<span class="text-muted">未上传</span>')
    size = f"{stored.size} 字节" if stored.size < 1024 else f"{round(stored.size / 1024)} KB"
    href = escape(url_for(".material_view", field=column, id=record.id))
    return Markup(f'<a href="{href}" class="material-link"><i class="fa fa-paperclip"></i> '
                  f'{escape(stored.original_name)}</a> <small class="text-muted">（{size}）</small>')


def list_table(view, data, *, cells, classes, list_columns, actions, sort_column, sort_desc, sort_url,
               return_url, links):
    """The list's table as one Markup string: header with sort links, a row
    per record with its buttons and cells, or the empty message."""
    out = ['<div class="table-responsive">\n'
           '<table class="table table-striped table-bordered table-hover model-list">\n<thead><tr>']
    if actions:
        out.append('<th class="list-checkbox-column"><input type="checkbox" name="rowtoggle" '
                   'class="action-rowtoggle" title="全选"></th>')
    out.append("<th>&nbsp;</th>")
    out += [_header_cell(view, index, column, name, classes[column], sort_column, sort_desc, sort_url)
            for index, (column, name) in enumerate(list_columns)]
    out.append("</tr></thead>\n")
    buttons = _row_buttons(links, return_url)
    columns = [(f'<td class="{classes[c]}">', cells[c]) for c, _ in list_columns]
    for row in data:
        out += _row(row, actions, buttons, columns)
    if not data:
        out.append(f'<tr><td colspan="999"><div class="text-center">{escape(view.get_empty_list_message())}'
                   "</div></td></tr>")
    out.append("</table>\n</div>\n")
    # Every value above went through escape(): the pieces join as they are.
    return Markup("".join(out))


def _header_cell(view, index, column, name, css, sort_column, sort_desc, sort_url):
    name = escape(name)
    if not view.is_sortable(column):
        return f'<th class="column-header {css}">{name}</th>'
    if sort_column == index:
        arrow = "down" if sort_desc else "up"
        return (f'<th class="column-header {css}"><a href="{escape(sort_url(index, True))}" '
                f'title="按{name}排序">{name} <span class="fa fa-chevron-{arrow}"></span></a></th>')
    return (f'<th class="column-header {css}"><a href="{escape(sort_url(index))}" '
            f'title="按{name}排序">{name}</a></th>')


def _row_buttons(links, return_url):
    """Each row button as the markup before and after the row's id."""
    back = escape(links["back"])
    buttons = []
    if links["details"]:
        buttons.append(("details", f'<a class="icon" href="{escape(links["details"])}',
                        f'&amp;url={back}" title="查看记录"><span class="fa fa-eye"></span></a>'))
    if links["edit"]:
        buttons.append(("edit", f'<a class="icon" href="{escape(links["edit"])}',
                        f'&amp;url={back}" title="编辑记录"><span class="fa fa-pencil"></span></a>'))
    if links["delete"]:
        buttons.append((
            "delete",
            f'<form class="icon" method="POST" action="{escape(links["delete"])}">'
            f'<input type="hidden" name="id" value="',
            f'"><input type="hidden" name="url" value="{escape(return_url)}">'
            f'<input type="hidden" name="csrf_token" value="{escape(links["token"])}">'
            # Confirmed by static/js/app.js: the Content-Security-Policy runs no inline handler.
            '<button type="submit" data-confirm="确定要删除这条记录吗？" title="删除记录">'
            '<span class="fa fa-trash"></span></button></form>',
        ))
    return buttons


def _row(row, actions, buttons, columns):
    pk = int(row.id)  # an int: nothing in it to escape
    out = ["<tr>\n"]
    if actions:
        out.append(f'<td><input type="checkbox" name="rowid" class="action-checkbox" '
                   f'value="{pk}" title="选择记录"></td>')
    out.append('<td class="list-buttons-column">')
    for kind, head, tail in buttons:
        # No pencil on a record whose every field is locked, no bin on one
        # a decision rests on (program/locks.py): they would only refuse.
        if (kind == "edit" and locks.everything_locked(row)) or (kind == "delete" and locks.is_locked(row)):
            continue
        out += (head, str(pk), tail)
    out.append("</td>\n")
    for opening, cell in columns:
        value = cell(row)
        out += (opening, "" if value is None else escape(value), "</td>")
    out.append("\n</tr>\n")
    return out


def pager(page, count, page_size, full_page, url):
    """flask-admin's pager, aware of a bounded count: past a bound (超过 …)
    the last page is unknown, so « and the page numbers stop at what is
    known, and › stays open while pages come back full."""
    if count is None:
        pages, bounded = page + 2 if full_page else page + 1, True
    else:
        pages = -(-int(count) // page_size) if page_size else 1
        bounded = getattr(count, "bounded", False)
        if bounded and full_page:
            pages = max(pages, page + 2)
    if pages <= 1 and page == 0:
        return Markup("")
    low, high = max(0, page - 3), min(pages, max(page - 3, 0) + 7)
    low = max(0, min(low, high - 7))

    def item(label, target, active=False):
        if target is None:
            return f'<li class="page-item disabled"><a class="page-link" href="javascript:void(0)">{label}</a></li>'
        if active:
            return f'<li class="page-item active"><a class="page-link" href="javascript:void(0)">{label}</a></li>'
        return f'<li class="page-item"><a class="page-link" href="{escape(url(target))}">{label}</a></li>'

    out = ['<ul class="pagination">',
           item("&laquo;", 0 if low > 0 else None),
           item("&lt;", page - 1 if page > 0 else None)]
    out += [item(p + 1, p, active=p == page) for p in range(low, high)]
    out.append(item("&gt;", page + 1 if page + 1 < pages else None))
    out.append(item("&raquo;", pages - 1 if high < pages and not bounded else None))
    out.append("</ul>")
    return Markup("".join(out))


class ListingMixin:
    """The list page of every screen: its table and pager built here."""

    list_template = "admin/model/list_cn.html"
    # Number columns shown as words (the audit log's 记录 is a record's name).
    text_columns: tuple = ()

    def cell_functions(self):
        """Per list column, a plain function from row to shown value (flask-
        admin's general path costs a formatter lookup per cell). Formatters
        are Python functions here, never template macros."""
        if getattr(self, "_cells", None) is not None:
            return self._cells
        cells = {}
        for name, _label in compat.list_columns(self):
            formatter = self.column_formatters.get(name)
            field = self.model._meta.fields.get(name)
            if formatter is not None:
                cells[name] = lambda row, f=formatter, n=name: f(self, None, row, n)
            elif field is not None:
                cells[name] = lambda row, n=name, f=field: shown(f, getattr(row, n))
            else:
                cells[name] = lambda row, n=name: self.get_list_value(None, row, n)
        self._cells = cells
        return cells

    def column_classes(self):
        """Per list column, its cell's classes: numbers right-aligned (num),
        states and dates kept on one line (nowrap)."""
        if getattr(self, "_column_classes", None) is None:
            classes = {}
            for name, _label in compat.list_columns(self):
                field = self.model._meta.fields.get(name)
                css = [f"col-{escape(name)}"]
                if field is not None and present.is_number(field) and name not in self.text_columns:
                    css.append("num")
                if field is not None and (field.name == "status" or field.field_type in ("DATE", "DATETIME")):
                    css.append("nowrap")
                classes[name] = " ".join(css)
            self._column_classes = classes
        return self._column_classes

    def list_table(self, page):
        """The table of the list page (flask-admin's context `page`): row
        links from prefixes made once per page, not three URLs and a delete
        form per row."""
        user = current_user._get_current_object()
        back = urllib.parse.quote(page.get("return_url") or "", safe="")
        cells = self.cell_functions()
        if "transitions" in cells:
            cells = {**cells, "transitions": TransitionLinks(self, user, prefix=self.list_path(), back=back)}
        links = {
            "details": self.get_url(".details_view") + "?id=" if self.can_view_details else None,
            "edit": self.get_url(".edit_view") + "?id=" if self.can_edit else None,
            "delete": self.get_url(".delete_view") if self.can_delete else None,
            "back": back,
            "token": generate_csrf(),
        }
        return list_table(
            self, page["data"], cells=cells, classes=self.column_classes(), list_columns=page["list_columns"],
            actions=page["actions"],
            sort_column=page["sort_column"], sort_desc=page["sort_desc"], sort_url=page["sort_url"],
            return_url=page["return_url"], links=links)

    def render(self, template, **kwargs):
        if template == self.list_template:
            self.remember_filters()
            kwargs["filter_menu"] = self.filter_menu()
            kwargs["list_table"] = self.list_table(kwargs)
            kwargs["list_pager"] = pager(kwargs["page"], kwargs["count"], kwargs["page_size"],
                                         len(kwargs["data"]) == kwargs["page_size"], kwargs["pager_url"])
        return super().render(template, **kwargs)
