"""统计报表: the office's reports (R3 events against promises; the annual
evaluations of service institutions). One aggregated query each."""
import datetime

from flask import abort, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

from admin import listing
from models import (
    GRADES,
    PerformanceEvaluation,
    RecommendingInstitution,
    ServiceInstitution,
    parse_id,
)
from program.policy import allows

REPORT_PAGE_SIZE = 100


class ReportsView(BaseView):
    def is_accessible(self):
        return allows(current_user, "report", "list")

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)

    @staticmethod
    def _year_arg():
        year = parse_id(request.args.get("year"))
        return year if year is not None and 2000 <= year <= 2100 else None

    @expose("/")
    def index(self):
        """R3 (Q4): per recommending institution, events held against
        promised, and which institutions are behind."""
        year = self._year_arg()
        behind_only = request.args.get("behind") == "1"
        RI = RecommendingInstitution
        query = RI.event_tally(year, behind_only)
        rows = list(query.dicts())
        for row in rows:
            row["status_label"] = RI.status.choices.label(row["status"])
            row["gap"] = max(0, row["promised_event_count"] - row["held"])
        behind = sum(1 for row in rows if row["gap"])
        # The totals cover every institution; the table shows a page of them
        # (at national size some five hundred rows were most of the page's time).
        page = self._page_arg()
        shown = rows[page * REPORT_PAGE_SIZE:(page + 1) * REPORT_PAGE_SIZE]
        pager = listing.pager(page, len(rows), REPORT_PAGE_SIZE, False,
                              lambda p: url_for(".index", year=year, behind=1 if behind_only else None,
                                                page=p or None))
        return self.render("admin/report_events.html", rows=shown, total=len(rows), year=year,
                           behind_only=behind_only, behind=behind, pager=pager)

    @staticmethod
    def _page_arg():
        page = parse_id(request.args.get("page"))
        return page if page is not None and page < 100_000 else 0

    @expose("/evaluations/")
    def evaluations(self):
        """Q5: each approved service institution's evaluation for a year."""
        year = self._year_arg() or PerformanceEvaluation.latest_year() or datetime.date.today().year - 1
        rows = list(ServiceInstitution.evaluated_in(year).dicts())
        counts = {label: 0 for _, label in GRADES}
        for row in rows:
            row["grade_label"] = GRADES.label(row["grade"]) if row["grade"] else ""
            if row["grade"]:
                counts[row["grade_label"]] += 1
        missing = sum(1 for row in rows if row["evaluation_id"] is None)
        years = PerformanceEvaluation.years()
        return self.render("admin/report_evaluations.html", rows=rows, year=year, years=years,
                           counts=counts, missing=missing)
