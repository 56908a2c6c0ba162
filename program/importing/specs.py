"""What each importable table takes from a spreadsheet: the fields a form
offers (no status, no material, nothing a workflow step fills), how a row
finds the record it updates, and an example row for the template."""
from dataclasses import dataclass, field
from typing import Any

from models import (
    CONTACTS,
    DomainCenterMember,
    Enterprise,
    Lab,
    NewTechProduct,
    Project,
    PromotionEvent,
    RecommendingInstitution,
    ServiceInstitution,
)
from program.checks import credit_code_check_char

def _code(body):
    return body + credit_code_check_char(body)


EXAMPLE_CONTACT = {"contact_name": "张明", "contact_phone": "010-62345678", "contact_email": "zhangming@example.cn"}


@dataclass(frozen=True)
class ImportSpec:
    model: Any
    fields: tuple
    # Fields that find the record a row updates, tried in order (the first
    # one the row fills decides).
    keys: tuple
    example: dict = field(default_factory=dict)
    # Rules that read no other row: created records are inserted in bulk
    # (each still checked by the same rules first).
    bulk: bool = False
    # Fields the row must fill (the form's required ones are found from the
    # model; these are required although nullable in the table).
    required: tuple = ()

    @property
    def table(self) -> str:
        return self.model._meta.table_name

    @property
    def name(self) -> str:
        return self.model._meta.verbose_name

    def label(self, name: str) -> str:
        return self.model._meta.fields[name].verbose_name


SPECS = {spec.table: spec for spec in (
    ImportSpec(
        Enterprise,
        ("name", "kind", "credit_code", "district", "employee_count", "annual_revenue", *CONTACTS,
         "recommended_by"),
        keys=("credit_code", "name"), bulk=True,
        example={"name": "北京示例科技有限公司", "kind": "small", "credit_code": _code("91110108MA01ABCD1"),
                 "district": "haidian", "employee_count": 35, "annual_revenue": "12500000.00",
                 **EXAMPLE_CONTACT}),
    ImportSpec(
        Lab,
        ("name", "category", "recognition_ref", "service_institution", "member_unit", "capabilities", *CONTACTS),
        keys=("name",),
        example={"name": "示例材料检测重点实验室", "category": "beijing_key_lab", "recognition_ref": "京科发〔2024〕12号",
                 "service_institution": "北京新材料发展中心", "capabilities": ["testing", "joint_rd"], **EXAMPLE_CONTACT}),
    ImportSpec(
        DomainCenterMember,
        ("name", "credit_code", "org_type", "domain_center", "field", *CONTACTS),
        keys=("credit_code", "name"),
        example={"name": "北京示例新材料有限公司", "credit_code": _code("91110105MA02EFGH3"), "org_type": "private_enterprise",
                 "domain_center": "北京新材料发展中心", "field": "new_materials", **EXAMPLE_CONTACT}),
    ImportSpec(
        NewTechProduct,
        ("name", "supplier", "catalogue_ref", "valid_from", "valid_to"),
        keys=("catalogue_ref",), bulk=True,
        example={"name": "高精度光谱分析仪", "supplier": "北京示例仪器有限公司", "catalogue_ref": "XJS2025-0001",
                 "valid_from": "2025-01-01", "valid_to": "2027-12-31"}),
    ImportSpec(
        RecommendingInstitution,
        ("name", "credit_code", *CONTACTS, "served_enterprise_count", "promised_event_count", "work_mechanism",
         "safeguards", "introduction", "service_features"),
        keys=("credit_code", "name"), bulk=True,
        example={"name": "北京示例科技企业孵化器有限公司", "credit_code": _code("91110108MA03JKLM5"), **EXAMPLE_CONTACT,
                 "served_enterprise_count": 60, "promised_event_count": 6,
                 "work_mechanism": "设专人对接入孵企业，每季度走访", "safeguards": "成立创新券工作小组"}),
    ImportSpec(
        ServiceInstitution,
        ("name", "credit_code", "parent_org_name", "parent_org_type", "parent_in_platform",
         "is_independent_legal_entity", "is_domain_center", "domain", *CONTACTS),
        keys=("credit_code", "name"), bulk=True,
        example={"name": "示例大学技术转移中心", "credit_code": _code("12110000MB0123456"), "parent_org_name": "示例大学",
                 "parent_org_type": "university", "parent_in_platform": True, "is_independent_legal_entity": True,
                 "is_domain_center": False, **EXAMPLE_CONTACT}),
    ImportSpec(
        Project,
        ("code", "title", "enterprise", "lab", "activity_type", "priority_theme", "voucher_amount"),
        keys=("code",),
        example={"title": "新型复合材料力学性能测试", "enterprise": "北京示例科技有限公司", "lab": "示例材料检测重点实验室",
                 "activity_type": "testing", "priority_theme": "none", "voucher_amount": "50000.00"}),
    ImportSpec(
        PromotionEvent,
        ("institution", "kind", "held_on", "title", "participant_count"),
        keys=(("institution", "held_on", "title"),),
        example={"institution": "北京示例科技企业孵化器有限公司", "kind": "promotion", "held_on": "2026-03-15",
                 "title": "创新券政策宣讲会", "participant_count": 45}),
)}

# A project's code is given by the office's numbering: a row without one
# is a new application, numbered when it is written.
GENERATED = {Project: ("code",)}


def natural_key(spec: ImportSpec, values: dict) -> Any:
    """The (field, value) a row is matched by, or None when it fills none."""
    for key in spec.keys:
        if isinstance(key, tuple):
            parts = tuple(values.get(k) for k in key)
            if all(p not in (None, "") for p in parts):
                return key, tuple(getattr(p, "id", p) for p in parts)
        elif values.get(key) not in (None, ""):
            return key, values[key]
    return None
