"""The admin site: screens grouped by area, and the office's dashboard."""
import os

from flask import render_template_string
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_login import current_user
from markupsafe import Markup

from admin.accounts import AuditLogView, PolicySettingView, UserView
from admin.batches import ImportBatchView, NoticeView
from admin.dashboard import DashboardView
from admin.institutions import (
    DomainCenterMemberView,
    PerformanceEvaluationView,
    PromotionEventView,
    RecommendingInstitutionView,
    ServiceInstitutionView,
)
from admin.labs import LabView
from admin.projects import (
    EnterpriseView,
    NewTechProductView,
    ProjectPurchaseView,
    ProjectView,
)
from admin.reports import ReportsView
from models import (
    AuditLog,
    DomainCenterMember,
    Enterprise,
    ImportBatch,
    Lab,
    Notice,
    NewTechProduct,
    PerformanceEvaluation,
    PolicySetting,
    Project,
    ProjectPurchase,
    PromotionEvent,
    RecommendingInstitution,
    ServiceInstitution,
    User,
)

# (menu, [(view class, model)]) — the order clerks see.
AREAS = (
    ("机构管理", (
        (RecommendingInstitutionView, RecommendingInstitution),
        (PromotionEventView, PromotionEvent),
        (ServiceInstitutionView, ServiceInstitution),
        (PerformanceEvaluationView, PerformanceEvaluation),
        (DomainCenterMemberView, DomainCenterMember),
    )),
    ("实验室", (
        (LabView, Lab),
    )),
    ("企业与项目", (
        (EnterpriseView, Enterprise),
        (ProjectView, Project),
        (NewTechProductView, NewTechProduct),
        (ProjectPurchaseView, ProjectPurchase),
    )),
    ("系统管理", (
        (UserView, User),
        (PolicySettingView, PolicySetting),
        (AuditLogView, AuditLog),
        (ImportBatchView, ImportBatch),
        (NoticeView, Notice),
    )),
)

# flask-admin's own menu macro, rendered once per role and screen: which
# items show depends on the role alone (program/policy.py), which is active on
# the screen; re-running the macro cost every page about half a millisecond.
MENU = """<ul class="nav navbar-nav mr-auto">
{%- import 'admin/layout.html' as layout with context %}{{ layout.menu() }}</ul>"""


def main_menu(admin_view):
    cache = admin_view.admin.menu_cache
    key = (current_user.role if current_user.is_authenticated else None, admin_view.endpoint)
    if key not in cache:
        cache[key] = Markup(render_template_string(MENU, admin_view=admin_view))
    return cache[key]


def init_admin(app):
    admin = Admin(
        name="首都科技创新券管理系统",
        theme=Bootstrap4Theme(base_template="admin/master_cn.html", swatch="default", fluid=True),
        index_view=DashboardView(name="工作台", url="/admin"),
        # Chinese for the strings flask-admin's own catalog leaves out.
        translations_path=os.path.join(os.path.dirname(os.path.dirname(__file__)), "translations"),
    )
    for category, views in AREAS:
        for view_class, model in views:
            admin.add_view(view_class(model, category=category))
    admin.add_view(ReportsView(name="统计报表", endpoint="reports", url="/admin/reports"))
    admin.init_app(app)
    admin.menu_cache = {}
    app.jinja_env.globals["main_menu"] = main_menu
    return admin
