"""企业与项目: enterprises, voucher projects, new technology products and the
purchases of them."""
from admin.base import FilterLike, SecureModelView
from program import caps, rules
from program.checks import yuan
from models import (
    Enterprise,
    Lab,
    NewTechProduct,
    Project,
    ProjectPurchase,
    RecommendingInstitution,
    now,
)


def vouchers_this_year(enterprise_id, project_id):
    """An enterprise's vouchers applied for this year, against the annual
    cap when one is set (the project form, beside the amount)."""
    enterprise = Enterprise.get_or_none(Enterprise.id == enterprise_id)
    if enterprise is None:
        return ""
    project = Project.get_or_none(Project.id == project_id) if project_id else None
    year = (project.created_at if project else now()).year
    # The cap of the project's grant date (application date); a new one's: today's.
    day = (project.voucher_granted_on or project.created_at.date()) if project else None
    applied, cap = caps.annual_room(enterprise.id, year, excluding=project_id, on=day)
    text = f"“{enterprise.name}”{year} 年已申请创新券 {yuan(applied)}"
    if cap is None:
        return text + "（未设年度上限）"
    return text + f"，年度上限 {yuan(cap)}，尚可申请 {yuan(max(cap - applied, 0))}"


def purchase_room(project_id, purchase_id):
    """R11 for the purchase form: the cap, what is registered, what is left."""
    project = Project.get_or_none(Project.id == project_id)
    if project is None:
        return ""
    room = rules.r11_room(project, excluding=purchase_id)
    if room is None:
        return f"项目 {project.code} 尚无审定合同额，不能登记新技术新产品购买"
    cap, used, left = room
    return (f"购买上限为审定合同额 {yuan(project.contract_amount)} 的 {rules.r11_percent(project)}，即 {yuan(cap)}；"
            f"已登记 {yuan(used)}，尚可登记 {yuan(max(left, 0))}")


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
    form_fieldsets = (
        ("企业信息", ("name", "kind", "credit_code", "district", "employee_count", "annual_revenue")),
        ("联系人", ("contact_name", "contact_phone", "contact_email")),
        ("推荐机构", ("recommended_by",)),
    )
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
    column_sortable_list = ("code", "title", "activity_type", "voucher_amount", "status", "submitted_at",
                            "voucher_granted_on", ("enterprise", Enterprise.name), ("lab", Lab.name))
    # The application: the grant's date and the contract are asked for by
    # their steps (发放创新券, 登记合同), never on this form.
    form_columns = ("title", "enterprise", "lab", "activity_type", "priority_theme", "voucher_amount")
    form_fieldsets = (("申报信息", form_columns),)
    form_hints = {"voucher_amount": ("enterprise", vouchers_this_year)}
    form_related_add = ("enterprise",)
    form_ajax_refs = {
        "enterprise": {"fields": ("name", "credit_code"), "placeholder": "输入企业名称或信用代码"},
        # R6: only the open-lab directory is offered (and R6 refuses the rest).
        "lab": {"fields": ("name",), "placeholder": "输入开放实验室名称", "where": Lab.directory_condition},
    }
    details_related = ((ProjectPurchase.project, ("product", "amount", "purchased_on")),)

    def may_add_related(self, table, model):
        # R11: a purchase is measured against the registered contract amount.
        return table != "project_purchase" or model.contract_amount is not None


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
    form_hints = {"amount": ("project", purchase_room)}
    form_ajax_refs = {
        "project": {"fields": ("code", "title"), "placeholder": "输入项目编号或名称"},
        # Its publication period named, so an expired product is not chosen blind (R11).
        "product": {"fields": ("name", "catalogue_ref"), "placeholder": "输入产品名称或目录编号",
                    "label": lambda p: f"{p.name}（公示有效期 {p.valid_from} 至 {p.valid_to}）"},
    }
