"""工作台: the signed-in user's work queue (program/workqueue.py), the
counts of every state as links to their lists, and the charts of projects
by state, vouchers granted by month and the institutions behind on events.

Everything here is read from the tallies kept in step with each write
(program/tallies.py) and from figures cached until the tables under them
change: at a million projects the page costs what it does at a thousand.
"""
from flask import redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_login import current_user

import compat
import models
from models import DomainCenterMember, Enterprise, Lab, Project, RecommendingInstitution, ServiceInstitution
from program import deadlines, policy, tallies, workflow, workqueue

# The cards of counts, in the order clerks read them.
CARDS = (Project, RecommendingInstitution, ServiceInstitution, DomainCenterMember, Lab, Enterprise)
MONTHS = 12
LAGGARDS_CHARTED = 10


class DashboardView(AdminIndexView):
    def is_accessible(self):
        return current_user.is_authenticated and current_user.is_active

    def inaccessible_callback(self, name, **kwargs):
        return redirect(url_for("auth.login", next=request.full_path))

    @expose("/")
    def index(self):
        if not policy.sees_office_records(current_user):
            # An institution sees its own records only, never the office's totals.
            return self.render("admin/dashboard.html", office=False)
        counts = tallies.read()
        user = current_user._get_current_object()
        return self.render("admin/dashboard.html", office=True, work=self.work(user, counts),
                           reminders=self.reminders(counts), lapsing=self.lapsing(counts), cards=self.cards(counts),
                           charts=self.charts(counts))

    # --- the parts of the page -------------------------------------------------------
    def view_for(self, table):
        return next((v for v in compat.registered_views(self.admin) if getattr(v, "table", None) == table), None)

    def work(self, user, counts):
        """The queue's items, each a link to its list filtered and oldest first."""
        rows = []
        for item in workqueue.queue(user, counts):
            waiting = item.waiting
            view = self.view_for(waiting.table)
            values = {"status": waiting.states[0]}
            if item.extra.get("not_by"):
                values[item.extra["not_by"]] = "others"  # what the user may decide
            rows.append(dict(label=waiting.label, count=item.count, days=item.days, oldest=item.oldest,
                             others_only=item.others_only, table=waiting.table,
                             url=view.list_url_with(sort=waiting.since, **values) if view else None))
        return rows

    def lapsing(self, counts):
        """Vouchers about to lapse (DOMAIN.md §6), for those who register
        contracts and review projects: a link to the list, the nearest first."""
        if not policy.allows(current_user, "project", "edit"):
            return []
        view = self.view_for("project")
        labels = {"granted": "未登记合同", "contracted": "未结题"}
        since = {d.state: d.since for d in deadlines.DEADLINES}
        return [dict(label=f"{deadlines.WARN_DAYS} 日内到期作废（{labels[state]}）", count=n, state=state,
                     url=view.list_url_with(sort=since[state], status=state))
                for state, n in workqueue.lapsing(counts, workflow.today())]

    def reminders(self, counts):
        """R3 and the annual evaluations, for those who read the reports."""
        if not policy.allows(current_user, "report", "list"):
            return None
        year = models.today().year
        behind = workqueue.laggards(counts, year)
        evaluation_year = workqueue.evaluation_year()
        return dict(year=year, behind=behind, evaluation_year=evaluation_year,
                    missing=workqueue.evaluations_missing(counts, evaluation_year),
                    behind_url=url_for("reports.index", year=year, behind=1),
                    evaluations_url=url_for("reports.evaluations", year=evaluation_year))

    def cards(self, counts):
        cards = []
        for model in CARDS:
            table = model._meta.table_name
            if not policy.allows(current_user, table, "list"):
                continue
            view = self.view_for(table)
            status = model._meta.fields.get("status")
            if status is None:
                total = counts.get(f"rows:{table}", {}).get("*", (0,))[0]
                cards.append(dict(title=model._meta.verbose_name, table=table, total=total, states=[]))
                continue
            by_state = counts.get(f"status:{table}", {})
            states = [(label, by_state.get(value, (0,))[0], view.list_url_with(status=value) if view else None,
                       value) for value, label in status.choices if by_state.get(value, (0,))[0]]
            cards.append(dict(title=model._meta.verbose_name, table=table,
                              total=sum(n for _label, n, _url, _value in states), states=states))
        return cards

    def charts(self, counts):
        """The data of the three charts (static/js/dashboard.js draws them)."""
        by_state = counts.get("status:project", {})
        states = [(label, by_state.get(value, (0,))[0]) for value, label in Project.status.choices]
        months = _last_months(MONTHS)
        granted = counts.get("granted_month", {})
        behind = []
        if policy.allows(current_user, "report", "list"):
            rows = workqueue.laggards(counts, models.today().year)[:LAGGARDS_CHARTED]
            behind = [dict(name=name, held=held, promised=promised) for _id, name, held, promised in rows]
        return dict(
            states=dict(labels=[label for label, _ in states], values=[n for _, n in states]),
            months=dict(labels=[f"{m[:4]}年{int(m[5:])}月" for m in months],
                        counts=[granted.get(m, (0, 0))[0] for m in months],
                        amounts=[round(granted.get(m, (0, 0))[1] / 1_000_000, 2) for m in months]),
            behind=behind,
        )


def _last_months(n):
    """'YYYY-MM' of the last n months, this one last."""
    today = models.today()
    year, month = today.year, today.month
    found = []
    for _ in range(n):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return found[::-1]
