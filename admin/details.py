"""The details page of every screen: the record's transitions, its related
records (with a link to each full list) and its history from the audit
trail, for the office's eyes."""
from flask import request, url_for
from flask_login import current_user

import compat
from admin import history, listing, present
from models import AuditLog
from program import policy


class DetailsMixin:
    # Related lists on the details page: (backref field, columns).
    details_related = ()
    details_template = "admin/model/details_related.html"

    def related_sections(self, model):
        sections = []
        for fk, columns in self.details_related:
            related = fk.model
            table = related._meta.table_name
            if not policy.allows(current_user, table, "list"):
                continue
            query = related.select().where(fk == model.id)
            view = self.admin_view_for(table)
            sections.append(dict(
                title=related._meta.verbose_name, table=table,
                columns=[(c, related.label(c)) for c in columns],
                rows=list(query.order_by(related.id.desc()).limit(20)), total=query.count(),
                list_url=view.filtered_list_url(fk, model.id) if view is not None else None,
                can_open=policy.allows(current_user, table, "details"),
                # 新增 with this record already chosen as its parent.
                add_url=url_for(f"{table}.create_view", **{fk.name: model.id, "url": request.full_path})
                if view is not None and policy.allows(current_user, table, "create")
                and self.may_add_related(table, model) else None,
            ))
        return sections

    def may_add_related(self, table, model):
        """Whether 新增 on a related list makes sense for this record now (a
        screen names what its rules would refuse outright)."""
        return True

    def admin_view_for(self, table):
        for view in compat.registered_views(self.admin):
            if getattr(view, "table", None) == table:
                return view
        return None

    def history(self, model):
        """The record's audit trail, newest first and in plain words
        (admin/history.py), for the office's eyes."""
        if not policy.sees_office_records(current_user):
            return None
        return history.readable(AuditLog.history_of(self.table, model.id))

    def render(self, template, **kwargs):
        if template == self.details_template and "model" in kwargs:
            kwargs["transition_links"] = listing.TransitionLinks(self, current_user._get_current_object(), "md")
            kwargs["related_sections"] = self.related_sections(kwargs["model"])
            kwargs["display_value"] = present.value
            kwargs["history"] = self.history(kwargs["model"])
            kwargs["history_changes"] = history.changes_html
        return super().render(template, **kwargs)

