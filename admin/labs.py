"""实验室: the open labs reported by service institutions."""
from admin.base import FilterLike, SecureModelView
from models import CONTACTS, DomainCenterMember, Project, ServiceInstitution


class LabView(SecureModelView):
    list_joins = ("service_institution",)
    column_list = ("name", "category", "recognition_ref", "service_institution",
                   "capabilities", "status", "submitted_at")
    column_searchable_list = ("name", "recognition_ref", ServiceInstitution.name)
    column_filters = ("status", "category", "capabilities", "service_institution",
                      FilterLike(ServiceInstitution.name, "上报机构名称"))
    column_sortable_list = ("name", "category", "status", "submitted_at",
                            ("service_institution", ServiceInstitution.name))
    form_columns = ("name", "category", "recognition_ref", "service_institution",
                    "member_unit", "capabilities", *CONTACTS)
    form_fieldsets = (
        ("实验室信息", ("name", "category", "recognition_ref", "capabilities")),
        ("上报单位", ("service_institution", "member_unit")),
        ("联系人", CONTACTS),
    )
    # R5 and R7: offer approved reporters and approved member units only.
    form_queries = {
        "service_institution": ServiceInstitution.active,
        "member_unit": DomainCenterMember.approved,
    }
    details_related = ((Project.lab, ("code", "title", "activity_type", "status")),)
