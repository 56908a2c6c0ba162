"""常用筛选: a list remembers the filters a user last used on it (in their
session: a preference, not a record of the office), and keeps named filters
the user saves (in `saved_filter`, audited like any write)."""
import urllib.parse

from flask import flash, redirect, request, session
from flask_admin import expose
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from models import SavedFilter, db, parse_id
from program import audit, checks

# What of a list's URL is a filter worth keeping (not the page it was on).
KEPT = ("search", "sort", "desc", "page_size")
MAX_QUERY = 1000
MAX_NAME = 40
# The session is a cookie (4 KB at most in browsers): the last filters of a
# few lists, each short, or the cookie would be dropped with the login.
REMEMBERED_LISTS = 6
MAX_REMEMBERED = 300


def kept_query(args):
    """The filter, search and sort of a list's URL, as a query string."""
    pairs = [(k, v) for k, v in args.items(multi=True)
             if (k in KEPT or (k.startswith("flt") and "_" in k)) and isinstance(v, str)]
    query = urllib.parse.urlencode(pairs)
    return query if len(query) <= MAX_QUERY else ""


class SavedFiltersMixin:
    def remember_filters(self):
        """The filters of this request, kept as the user's last on this list."""
        query = kept_query(request.args)
        if query and query != "page_size=20" and len(query) <= MAX_REMEMBERED:
            # [table, query] pairs, the most recent last (a list: the
            # session's JSON sorts a dict's keys).
            last = _last_filters()
            if last.get(self.table) != query:
                last.pop(self.table, None)
                last[self.table] = query
                session["last_filters"] = [[t, q] for t, q in list(last.items())[-REMEMBERED_LISTS:]]

    def filter_menu(self):
        """What the list's 常用筛选 menu offers: the last filters (when not
        the ones shown) and the saved ones, each with its URL."""
        base = self.get_url(".index_view")
        current = kept_query(request.args)
        last = _last_filters().get(self.table)
        saved = [(f.id, f.name, f"{base}?{f.query}") for f in SavedFilter.of(current_user, self.table)]
        return dict(last=f"{base}?{last}" if last and last != current else None, saved=saved,
                    current=current, action=self.get_url(".save_filter_view"),
                    delete=self.get_url(".delete_filter_view"))

    @expose("/filters/save/", methods=("POST",))
    def save_filter_view(self):
        name = (request.form.get("name") or "").strip()
        raw = request.form.get("query") or ""
        # Read only what could be kept: a longer query is refused unparsed.
        query = kept_query(MultiDict(urllib.parse.parse_qsl(raw, keep_blank_values=True))) \
            if len(raw) <= MAX_QUERY * 3 else ""
        back = f"{self.get_url('.index_view')}?{query}"
        problem = _name_problem(name) or (None if query else "当前列表没有筛选、搜索或排序，无需保存")
        if problem:
            flash(problem, "error")
            return redirect(back)
        user = current_user._get_current_object()
        with db.atomic():
            kept = SavedFilter.get_or_none(SavedFilter.user == user.id, SavedFilter.table_name == self.table,
                                           SavedFilter.name == name)
            before = audit.snapshot(kept) if kept else None
            kept = kept or SavedFilter(user=user.id, table_name=self.table, name=name)
            kept.query = query
            kept.save()
            audit.record(user, "save_filter", "saved_filter", kept.id, before=before, after=audit.snapshot(kept))
        # Saved again under its name: the clerk is told it replaced the old one.
        flash(f"已更新常用筛选“{name}”（原有的筛选条件已替换）" if before else f"已保存常用筛选“{name}”", "success")
        return redirect(back)

    @expose("/filters/delete/", methods=("POST",))
    def delete_filter_view(self):
        user = current_user._get_current_object()
        kept = SavedFilter.get_or_none(SavedFilter.id == parse_id(request.form.get("id")),
                                       SavedFilter.user == user.id, SavedFilter.table_name == self.table)
        if kept is not None:
            with db.atomic():
                before = audit.snapshot(kept)
                kept.delete_instance()
                audit.record(user, "delete_filter", "saved_filter", kept.id, before=before, after={})
            flash(f"已删除常用筛选“{kept.name}”", "success")
        return redirect(self.get_url(".index_view"))


def _last_filters():
    kept = session.get("last_filters")
    # A session from before the list (a dict) is read, and rewritten on the next change.
    pairs = kept.items() if isinstance(kept, dict) else (kept or ())
    return {str(t): str(q) for t, q in pairs}


def _name_problem(name):
    if not name:
        return "请填写常用筛选的名称"
    if len(name) > MAX_NAME:
        return f"名称最多 {MAX_NAME} 个字"
    if checks.unprintable(name, allow_line_breaks=False):
        return "名称含有不允许的控制字符或不可见字符"
    return None
