"""统计报表: the office's reports (R3 events against promises; the annual
evaluations of service institutions). One aggregated query each."""
from flask import abort, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

from admin import listing
from admin.writers import download, xlsx_stream
import models
from models import (
    GRADES,
    PerformanceEvaluation,
    RecommendingInstitution,
    ServiceInstitution,
    parse_id,
)
from program import audit, ledger, tallies, workqueue
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

    @staticmethod
    def _events(year, behind_only):
        """R3 rows, each with its state's name and how many events it lacks."""
        RI = RecommendingInstitution
        rows = list(RI.event_tally(year, behind_only).dicts())
        for row in rows:
            row["status_label"] = RI.status.choices.label(row["status"])
            row["gap"] = max(0, row["promised_event_count"] - row["held"])
        return rows

    @expose("/")
    def index(self):
        """R3 (Q4): per recommending institution, events held against
        promised, and which institutions are behind."""
        year = self._year_arg()
        behind_only = request.args.get("behind") == "1"
        rows = self._events(year, behind_only)
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

    @expose("/export/")
    def export_events(self):
        """The events report as on the screen (same year, same filter), every
        row, and its totals."""
        year = self._year_arg()
        behind_only = request.args.get("behind") == "1"
        rows = self._events(year, behind_only)
        headers = ["推荐机构", "状态", "承诺次数", "已举办", "其中宣传", "其中对接", "尚差", "最近一次"]
        table = [[r["name"], r["status_label"], r["promised_event_count"], r["held"], r["promotions"] or 0,
                  r["matchmakings"] or 0, r["gap"], r["last_held_on"]] for r in rows]
        behind = sum(1 for row in rows if row["gap"])
        total = [f"合计：{len(rows)} 家，{behind} 家未完成承诺", "",
                 *(sum(r[i] for r in table) for i in range(2, 7)), ""]
        title = f"推荐机构活动开展情况_{year or '全部年度'}{'_未完成' if behind_only else ''}"
        return self._xlsx(title, headers, [*table, total])

    @expose("/evaluations/export/")
    def export_evaluations(self):
        year, rows, counts, missing = self._evaluations(self._year_arg())
        headers = ["专业服务机构", "领域中心", "得分", "等级"]
        table = [[r["name"], "是" if r["is_domain_center"] else "", r["score"], r["grade_label"] or "未评价"]
                 for r in rows]
        totals = [[f"{label}：{n} 家", "", None, ""] for label, n in counts.items()]
        totals.append([f"未评价：{missing} 家", "", None, ""])
        return self._xlsx(f"专业服务机构年度绩效评价_{year}", headers, [*table, *totals])

    def _xlsx(self, title, headers, rows):
        audit.record(current_user._get_current_object(), "export", None,
                     extra={"format": "xlsx", "report": title})
        return download(xlsx_stream(headers, iter(rows), sheet_name="报表"), "report.xlsx", f"{title}.xlsx")

    @staticmethod
    def _page_arg():
        page = parse_id(request.args.get("page"))
        return page if page is not None and page < 100_000 else 0

    @staticmethod
    def _evaluations(year):
        year = year or PerformanceEvaluation.latest_year() or models.today().year - 1
        rows = list(ServiceInstitution.evaluated_in(year).dicts())
        counts = {label: 0 for _, label in GRADES}
        for row in rows:
            row["grade_label"] = GRADES.label(row["grade"]) if row["grade"] else ""
            if row["grade"]:
                counts[row["grade_label"]] += 1
        missing = sum(1 for row in rows if row["evaluation_id"] is None)
        return year, rows, counts, missing

    # --- 创新券台账 (issue 13 item 2) ---------------------------------------------------
    def _ledger_args(self):
        year = request.args.get("year")
        year = None if year == "all" else (self._year_arg() or models.today().year)
        by = request.args.get("by")
        return year, by if by in ledger.GROUPINGS else "enterprise"

    @staticmethod
    def _ledger(year, by, page, size):
        """The ledger's figures, read again only after a write to projects or
        to the records it names (program/tallies.py)."""
        counts = tallies.read()
        tables = ("project", "enterprise", "lab", "service_institution")
        return workqueue.cached(f"ledger:{year}:{by}:{page}:{size}", tables, counts, lambda: (
            ledger.totals(year), ledger.rows(by, year, limit=size, offset=page * size), ledger.groups(by, year)))

    @expose("/ledger/")
    def ledger_view(self):
        year, by = self._ledger_args()
        page = self._page_arg()
        totals, rows, total = self._ledger(year, by, page, REPORT_PAGE_SIZE)
        pager = listing.pager(page, total, REPORT_PAGE_SIZE, False,
                              lambda p: url_for(".ledger_view", year=year or "all", by=by, page=p or None))
        return self.render("admin/report_ledger.html", year=year, by=by, groupings=ledger.GROUPINGS,
                           totals=totals, rows=rows, total=total, pager=pager, labels=ledger.LABELS,
                           columns=ledger.COLUMNS, this_year=models.today().year)

    @expose("/ledger/export/")
    def export_ledger(self):
        year, by = self._ledger_args()
        totals = ledger.totals(year)
        headers = [ledger.GROUPINGS[by].label, "项目数", *(f"{ledger.LABELS[c]}（元）" for c in ledger.COLUMNS)]

        def rows():
            offset = 0
            while True:
                chunk = ledger.rows(by, year, limit=2000, offset=offset)
                if not chunk:
                    break
                yield from ([r["name"], r["projects"], *(r[c] for c in ledger.COLUMNS)] for r in chunk)
                offset += len(chunk)
            yield ["合计", totals["projects"], *(totals[c] for c in ledger.COLUMNS)]

        return self._xlsx(f"创新券台账_{year or '全部年度'}_按{ledger.GROUPINGS[by].label}", headers, rows())

    @expose("/evaluations/")
    def evaluations(self):
        """Q5: each approved service institution's evaluation for a year."""
        year, rows, counts, missing = self._evaluations(self._year_arg())
        years = PerformanceEvaluation.years()
        return self.render("admin/report_evaluations.html", rows=rows, year=year, years=years,
                           counts=counts, missing=missing)
