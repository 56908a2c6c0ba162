"""企业与项目: enterprises, voucher projects, new technology products and the
purchases of them."""
from admin.base import FilterLike, SecureModelView
from models import (
    Enterprise,
    Lab,
    NewTechProduct,
    Project,
    ProjectPurchase,
    RecommendingInstitution,
)


class EnterpriseView(SecureModelView):
    list_joins = ("recommended_by",)
    column_list = ("name", "kind", "credit_code", "district", "employee_count",
                   "contact_name", "recommended_by", "created_at")
    column_searchable_list = ("name", "credit_code", "contact_name")
    column_filters = ("kind", "district", "recommended_by",
                      FilterLike(RecommendingInstitution.name, "推荐机构名称"))
    column_sortable_list = ("name", "kind", "district", "employee_count", "created_at")
    form_columns = ("name", "kind", "credit_code", "district", "employee_count",
                    "annual_revenue", "contact_name", "contact_phone", "contact_email",
                    "recommended_by")
    details_related = ((Project.enterprise, ("code", "title", "activity_type", "voucher_amount", "status")),)


class ProjectView(SecureModelView):
    list_joins = ("enterprise", "lab")
    # Chosen for a 1,366 px screen: the amounts of the contract and the
    # priority theme are on the details page.
    column_list = ("code", "title", "enterprise", "lab", "activity_type", "voucher_amount", "status",
                   "submitted_at", "voucher_granted_on")
    # Code and title, through the gram index (search.py); the enterprise is
    # found by its own filter.
    column_searchable_list = ("code", "title")
    column_filters = ("status", "activity_type", "priority_theme", "contract_has_voucher_clause",
                      "completion_result", "liable_party", "voucher_granted_on", "contract_signed_on",
                      "enterprise", "lab",
                      FilterLike(Enterprise.name, "企业名称"), FilterLike(Lab.name, "实验室名称"))
    column_sortable_list = ("code", "title", "activity_type", "priority_theme", "voucher_amount",
                            "contract_amount", "status", "created_at",
                            ("enterprise", Enterprise.name), ("lab", Lab.name))
    form_columns = ("title", "enterprise", "lab", "activity_type", "priority_theme",
                    "voucher_amount", "contract_amount", "voucher_granted_on", "contract_signed_on",
                    "contract_has_voucher_clause", "contract_voucher_amount")
    form_ajax_refs = {
        "enterprise": {"fields": ("name", "credit_code"), "placeholder": "输入企业名称或信用代码"},
        # R6: only the open-lab directory is offered (and R6 refuses the rest).
        "lab": {"fields": ("name",), "placeholder": "输入开放实验室名称", "where": Lab.directory_condition},
    }
    details_related = ((ProjectPurchase.project, ("product", "amount", "purchased_on")),)


class NewTechProductView(SecureModelView):
    column_list = ("name", "supplier", "catalogue_ref", "valid_from", "valid_to")
    column_searchable_list = ("name", "supplier", "catalogue_ref")
    column_filters = ("valid_from", "valid_to")
    column_sortable_list = ("name", "supplier", "catalogue_ref", "valid_from", "valid_to")
    form_columns = ("name", "supplier", "catalogue_ref", "valid_from", "valid_to")
    details_related = ((ProjectPurchase.product, ("project", "amount", "purchased_on")),)


class ProjectPurchaseView(SecureModelView):
    list_joins = ("project", "product")
    column_list = ("project", "product", "amount", "purchased_on")
    column_searchable_list = (Project.code, NewTechProduct.name)
    column_filters = ("purchased_on", "project", "product")
    column_sortable_list = ("amount", "purchased_on", ("project", Project.code))
    column_default_sort = ("purchased_on", True)
    form_columns = ("project", "product", "amount", "purchased_on")
    form_ajax_refs = {
        "project": {"fields": ("code", "title"), "placeholder": "输入项目编号或名称"},
        "product": {"fields": ("name", "catalogue_ref"), "placeholder": "输入产品名称或目录编号"},
    }
