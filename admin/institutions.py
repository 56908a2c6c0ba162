"""机构管理: recommending institutions and their events, professional service
institutions and their evaluations, domain-center member units."""
from admin.base import FilterLike, SecureModelView
from program import parameters
from models import (
    CONTACTS,
    DomainCenterMember,
    Enterprise,
    Lab,
    PerformanceEvaluation,
    PromotionEvent,
    RecommendingInstitution,
    ServiceInstitution,
    User,
)

# Status and review fields change only through workflow actions, never a form.
REVIEW_FIELDS = ("status", "submitted_at", "review_opinion", "reviewed_by", "reviewed_at")


def _r1_least(ri, key):
    submitted = getattr(ri, "submitted_at", None)
    # A draft (or a rejected one, submitted again) is judged on its next submission: today's.
    return parameters.count(key, submitted.date() if submitted and ri.status not in ("draft", "rejected") else None)


class RecommendingInstitutionView(SecureModelView):
    # An institution account edits only its profile fields (program/policy.py
    # EDITABLE), and saving a complete one moves it to 已完善信息 (the
    # automatic transition complete_profile, in the save's transaction).
    column_list = ("name", "credit_code", "contact_name", "contact_phone",
                   "served_enterprise_count", "promised_event_count", "status", "submitted_at")
    column_searchable_list = ("name", "credit_code", "contact_name")
    column_filters = ("status", "submitted_at", "trained_on")
    column_sortable_list = ("name", "served_enterprise_count", "promised_event_count", "status", "submitted_at")
    column_details_list = ("name", "credit_code", *CONTACTS, "served_enterprise_count",
                           "promised_event_count", "work_mechanism", "safeguards",
                           "application_form", "commitment_letter", "introduction",
                           "service_features", *REVIEW_FIELDS, "account_opened_at",
                           "trained_on", "created_at", "updated_at")
    form_columns = ("name", "credit_code", *CONTACTS, "served_enterprise_count",
                    "promised_event_count", "work_mechanism", "safeguards",
                    "application_form", "commitment_letter", "introduction", "service_features")
    form_fieldsets = (
        ("机构信息", ("name", "credit_code")),
        ("推荐服务能力", ("served_enterprise_count", "promised_event_count", "work_mechanism", "safeguards")),
        ("申请材料", ("application_form", "commitment_letter")),
        ("联系人", CONTACTS),
        ("机构介绍（开通账号后由机构维护）", ("introduction", "service_features")),
    )
    # The minimums in force on the application's submission date (a draft's: today's).
    form_help = {
        "served_enterprise_count": lambda ri: f"应不少于 {_r1_least(ri, 'r1_min_served_enterprises')} 家（政策参数）",
        "promised_event_count": lambda ri: f"每年应不少于 {_r1_least(ri, 'r1_min_promised_events')} 次（政策参数）",
    }
    details_related = (
        (PromotionEvent.institution, ("title", "kind", "held_on", "participant_count")),
        (Enterprise.recommended_by, ("name", "kind", "district")),
        (User.institution, ("username", "display_name", "is_active")),
    )


class PromotionEventView(SecureModelView):
    # An institution account's events are its own: the institution field is
    # set by the server for it (admin/editing.py: EditingMixin._owned).
    list_joins = ("institution",)
    column_list = ("title", "institution", "kind", "held_on", "participant_count")
    column_searchable_list = ("title", RecommendingInstitution.name)
    column_filters = ("kind", "held_on", "institution",
                      FilterLike(RecommendingInstitution.name, "推荐机构名称"))
    column_sortable_list = ("title", "kind", "held_on", "participant_count",
                            ("institution", RecommendingInstitution.name))
    column_default_sort = ("held_on", True)
    form_columns = ("institution", "kind", "held_on", "title", "participant_count")


class ServiceInstitutionView(SecureModelView):
    column_list = ("name", "credit_code", "parent_org_name", "parent_org_type",
                   "is_domain_center", "domain", "status", "submitted_at")
    column_searchable_list = ("name", "credit_code", "parent_org_name")
    column_filters = ("status", "parent_org_type", "parent_in_platform",
                      "is_independent_legal_entity", "is_domain_center", "domain")
    column_sortable_list = ("name", "parent_org_type", "status", "submitted_at")
    column_details_exclude_list = ()
    form_columns = ("name", "credit_code", "parent_org_name", "parent_org_type",
                    "parent_in_platform", "is_independent_legal_entity", "is_domain_center",
                    "domain", *CONTACTS, "application_form", "commitment_letter",
                    "management_rules", "authorization_letter")
    form_fieldsets = (
        ("机构信息", ("name", "credit_code", "is_independent_legal_entity", "is_domain_center", "domain")),
        ("授权单位", ("parent_org_name", "parent_org_type", "parent_in_platform")),
        ("申请材料", ("application_form", "commitment_letter", "management_rules", "authorization_letter")),
        ("联系人", CONTACTS),
    )
    # 所属领域 is a domain center's: shown with the box, required with it (rules.py).
    form_depends = {"domain": "is_domain_center"}
    details_related = (
        (Lab.service_institution, ("name", "category", "status")),
        (DomainCenterMember.domain_center, ("name", "org_type", "field", "status")),
        (PerformanceEvaluation.institution, ("year", "score", "grade")),
    )


class PerformanceEvaluationView(SecureModelView):
    list_joins = ("institution",)
    column_list = ("institution", "year", "score", "grade", "created_at")
    column_searchable_list = (ServiceInstitution.name,)
    column_filters = ("year", "grade", "institution",
                      FilterLike(ServiceInstitution.name, "专业服务机构名称"))
    column_sortable_list = ("year", "score", "grade", ("institution", ServiceInstitution.name))
    column_default_sort = ("year", True)
    form_columns = ("institution", "year", "score", "grade", "comments")


class DomainCenterMemberView(SecureModelView):
    list_joins = ("domain_center",)
    column_list = ("name", "credit_code", "org_type", "domain_center", "field", "status", "submitted_at")
    column_searchable_list = ("name", "credit_code")
    column_filters = ("status", "org_type", "field", "domain_center")
    column_sortable_list = ("name", "org_type", "field", "status", "submitted_at",
                            ("domain_center", ServiceInstitution.name))
    form_columns = ("name", "credit_code", "org_type", "domain_center", "field",
                    *CONTACTS, "authorization_letter")
    form_fieldsets = (
        ("成员单位信息", ("name", "credit_code", "org_type")),
        ("加盟领域中心", ("domain_center", "field")),
        ("申请材料", ("authorization_letter",)),
        ("联系人", CONTACTS),
    )
    # R7: a member joins one of the domain centers, nothing else.
    form_queries = {"domain_center": ServiceInstitution.domain_centers}
    details_related = ((Lab.member_unit, ("name", "category", "status")),)
