"""机构管理: recommending institutions and their events, professional service
institutions and their evaluations, domain-center member units."""
from flask_admin.contrib.peewee.form import get_form
from flask_admin.helpers import get_form_data
from flask_login import current_user

from program import workflow
from admin.base import FilterLike, SecureModelView
from forms.fields import ordered
from models import (
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
CONTACTS = ("contact_name", "contact_phone", "contact_email")


class RecommendingInstitutionView(SecureModelView):
    owner_field = "id"
    column_list = ("name", "credit_code", "contact_name", "contact_phone",
                   "served_enterprise_count", "promised_event_count", "status", "created_at")
    column_searchable_list = ("name", "credit_code", "contact_name")
    column_filters = ("status", "created_at", "trained_on")
    column_sortable_list = ("name", "served_enterprise_count", "promised_event_count", "status", "created_at")
    column_details_list = ("name", "credit_code", *CONTACTS, "served_enterprise_count",
                           "promised_event_count", "work_mechanism", "safeguards",
                           "application_form", "commitment_letter", "introduction",
                           "service_features", *REVIEW_FIELDS, "account_opened_at",
                           "trained_on", "created_at", "updated_at")
    form_columns = ("name", "credit_code", *CONTACTS, "served_enterprise_count",
                    "promised_event_count", "work_mechanism", "safeguards",
                    "application_form", "commitment_letter", "introduction", "service_features")
    # Q4: an institution completes its introduction, features and contacts.
    self_service_columns = ("introduction", "service_features", *CONTACTS, "version")
    details_related = (
        (PromotionEvent.institution, ("title", "kind", "held_on", "participant_count")),
        (Enterprise.recommended_by, ("name", "kind", "district")),
        (User.institution, ("username", "display_name", "is_active")),
    )

    def edit_form(self, obj=None):
        if current_user.role == "institution":
            if not hasattr(self, "_self_service_form"):
                self._self_service_form = ordered(
                    get_form(self.model, self.model_form_converter(self), base_class=self.form_base_class,
                             only=self.self_service_columns, field_args=self.form_args),
                    self.self_service_columns,
                )
            return self._self_service_form(get_form_data(), obj=obj)
        return super().edit_form(obj)

    def on_saved(self, form, model, is_created):
        # Q4: an opened institution that has completed its introduction,
        # features and contacts moves on to 已完善信息 by itself, in the
        # same transaction as the save.
        complete = all(getattr(model, name) for name in self.self_service_columns if name != "version")
        if current_user.role == "institution" and model.status == "account_opened" and complete:
            workflow.perform(workflow.get(self.table, "complete_profile"), model.id,
                             current_user._get_current_object())


class PromotionEventView(SecureModelView):
    owner_field = "institution"
    list_joins = ("institution",)
    column_list = ("title", "institution", "kind", "held_on", "participant_count")
    column_searchable_list = ("title", RecommendingInstitution.name)
    column_filters = ("kind", "held_on", "institution",
                      FilterLike(RecommendingInstitution.name, "推荐机构名称"))
    column_sortable_list = ("title", "kind", "held_on", "participant_count",
                            ("institution", RecommendingInstitution.name))
    column_default_sort = ("held_on", True)
    form_columns = ("institution", "kind", "held_on", "title", "participant_count")

    def create_form(self, obj=None):
        form = super().create_form(obj)
        if current_user.role == "institution":
            del form.institution  # its own institution, set on save
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if current_user.role == "institution":
            del form.institution
        return form

    def on_model_change(self, form, model, is_created):
        if current_user.role == "institution":
            model.institution = current_user.institution_id


class ServiceInstitutionView(SecureModelView):
    column_list = ("name", "credit_code", "parent_org_name", "parent_org_type",
                   "is_domain_center", "domain", "status", "created_at")
    column_searchable_list = ("name", "credit_code", "parent_org_name")
    column_filters = ("status", "parent_org_type", "parent_in_platform",
                      "is_independent_legal_entity", "is_domain_center", "domain")
    column_sortable_list = ("name", "parent_org_type", "status", "created_at")
    column_details_exclude_list = ()
    form_columns = ("name", "credit_code", "parent_org_name", "parent_org_type",
                    "parent_in_platform", "is_independent_legal_entity", "is_domain_center",
                    "domain", *CONTACTS, "application_form", "commitment_letter",
                    "management_rules", "authorization_letter")
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
    column_list = ("name", "credit_code", "org_type", "domain_center", "field", "status", "created_at")
    column_searchable_list = ("name", "credit_code")
    column_filters = ("status", "org_type", "field", "domain_center")
    column_sortable_list = ("name", "org_type", "field", "status", "created_at",
                            ("domain_center", ServiceInstitution.name))
    form_columns = ("name", "credit_code", "org_type", "domain_center", "field",
                    *CONTACTS, "authorization_letter")
    # R7: a member joins one of the domain centers, nothing else.
    form_queries = {
        "domain_center": lambda: ServiceInstitution.select().where(ServiceInstitution.is_domain_center == True)  # noqa: E712
    }
    details_related = ((Lab.member_unit, ("name", "category", "status")),)
