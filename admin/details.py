"""The details page of every screen: the record's transitions, its related
records (with a link to each full list) and its history from the audit
trail, for the office's eyes."""
from flask_login import current_user

import compat
from admin import listing, present
from models import AuditLog
from program import policy, workflow


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
            ))
        return sections

    def admin_view_for(self, table):
        for view in compat.registered_views(self.admin):
            if getattr(view, "table", None) == table:
                return view
        return None

    def history(self, model):
        """The record's audit trail, newest first, for the office's eyes."""
        if not policy.sees_office_records(current_user):
            return None
        rows = list(AuditLog.history_of(self.table, model.id))
        for row in rows:
            row.action_label = workflow.action_label(row.action, self.table)
            row.change_list = [
                (self.model.label(k) if k != "opinion" else "意见", *(v if isinstance(v, list) else [None, v]))
                for k, v in row.changes_dict.items()
            ]
        return rows

    def render(self, template, **kwargs):
        if template == self.details_template and "model" in kwargs:
            kwargs["transition_links"] = listing.TransitionLinks(self, current_user._get_current_object(), "md")
            kwargs["related_sections"] = self.related_sections(kwargs["model"])
            kwargs["display_value"] = present.value
            kwargs["history"] = self.history(kwargs["model"])
        return super().render(template, **kwargs)

