"""The program's rules, one home each, named by their id in DOMAIN.md §3.

Every check raises RuleViolation(field, message): the Chinese message a clerk
reads beside the field (field None: at the top of the form), naming the limit
and the value given. This module knows nothing of Flask or WTForms.

Who calls what:
- `violations(record)` — every rule that applies to a record as it stands;
  the admin forms show these beside their fields (forms/validators.py).
- `enforce(record)` — the same, raising the first; peewee's pre_save signal
  runs it before any record is saved, so the command line, the demo data and
  later imports cannot write what a form would refuse.
- the single functions (r1_…, r11_…) — for workflow guards and reports.
"""
import datetime
import re
import unicodedata
from decimal import ROUND_DOWN, ROUND_UP, Decimal, InvalidOperation

from peewee import AutoField, CharField, DateField, DecimalField, ForeignKeyField, IntegerField, TextField
from playhouse.signals import pre_delete, pre_save

import models
from models import (
    DomainCenterMember,
    Enterprise,
    Lab,
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


class RuleViolation(ValueError):
    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
        self.message = message


def _yuan(amount):
    return f"{Decimal(amount):,.2f} 元"


# --- policy settings (政策参数) ------------------------------------------------

# key: (default value, Chinese description, kind). A policy revision changes
# the row in policy_setting; the rules read it every time.
POLICY = {
    "r1_min_served_enterprises": ("30", "推荐机构须拥有的服务企业数量下限（家）", "count"),
    "r1_min_promised_events": ("2", "推荐机构须承诺组织的宣传、对接活动次数下限（次）", "count"),
    "r11_purchase_cap_ratio": ("0.30", "新技术新产品购买额占审定合同额的比例上限（0 至 1）", "ratio"),
    "annual_voucher_cap_per_enterprise": ("", "每家企业每年度创新券金额上限（元），空为不设上限", "amount_or_empty"),
}


def policy(key):
    """The value in force: the policy_setting row, else the default."""
    value = PolicySetting.select(PolicySetting.value).where(PolicySetting.key == key).scalar()
    if value is None and not PolicySetting.select().where(PolicySetting.key == key).exists():
        value = POLICY[key][0]
    return (value or "").strip()


def policy_count(key):
    return int(policy(key))


def policy_decimal(key):
    value = policy(key)
    return Decimal(value) if value else None


def ensure_policy_defaults():
    """Write the defaults that are missing; never overwrite a decision."""
    created = 0
    for key, (value, description, _) in POLICY.items():
        _, was_created = PolicySetting.get_or_create(
            key=key, defaults={"value": value, "description": description}
        )
        created += was_created
    return created


def check_policy_setting(setting):
    """The keys are the program's (POLICY): none added, renamed or, once in
    force, removed (a missing row would silently bring back the default)."""
    known = POLICY.get(setting.key)
    if known is None:
        raise RuleViolation("key", f"未知的参数键“{setting.key}”；可设置的参数为：" + "、".join(POLICY))
    if setting.id is not None:
        stored = PolicySetting.select(PolicySetting.key).where(PolicySetting.id == setting.id).scalar()
        if stored is not None and stored != setting.key:
            raise RuleViolation("key", f"参数键“{stored}”不能修改；如需调整，请修改其参数值")
    kind, value = known[2], (setting.value or "").strip()
    if kind == "count":
        if not value.isdigit():
            raise RuleViolation("value", f"参数值应为不小于 0 的整数，您输入的是“{value}”")
    elif kind == "ratio":
        ratio = _finite_decimal(value)
        if ratio is None or not Decimal(0) < ratio <= Decimal(1):
            raise RuleViolation("value", f"比例应为大于 0、不大于 1 的小数（如 0.30），您输入的是“{value}”")
    elif kind == "amount_or_empty" and value:
        amount = _finite_decimal(value)
        if amount is None or amount <= 0:
            raise RuleViolation("value", f"上限应为正的金额（元）或留空，您输入的是“{value}”")


def _finite_decimal(text):
    """A number as typed, or None (NaN and Infinity are not numbers here)."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def deletable(record):
    """Raise when the program forbids deleting this record."""
    if isinstance(record, PolicySetting) and record.key in POLICY:
        raise RuleViolation(None, f"政策参数“{record.key}”正在使用，不能删除；如需调整，请修改其参数值")
    if isinstance(record, User) and record.role == models.ADMIN_ROLE and record.is_active \
            and not _other_active_admins(record):
        raise RuleViolation(None, LAST_ADMIN.format(what="删除"))


# --- General: 统一社会信用代码 (GB 32100-2015) ------------------------------------

CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(body):
    """The 18th character for the first 17 of a credit code."""
    total = sum(CREDIT_CODE_CHARSET.index(ch) * w for ch, w in zip(body, _CREDIT_CODE_WEIGHTS))
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def check_credit_code(code, field="credit_code"):
    """Raise unless `code` is a well-formed credit code; return it normalised."""
    raw = (code or "").strip()
    if len(raw) != 18:
        raise RuleViolation(field, f"统一社会信用代码应为 18 位，您输入的是 {len(raw)} 位")
    code = raw.upper()
    bad = sorted({ch for ch in code if ch not in CREDIT_CODE_CHARSET})
    if bad:
        raise RuleViolation(
            field,
            "统一社会信用代码含有不允许的字符：" + "、".join(bad) + "（只用数字和除 I、O、Z、S、V 外的大写字母）",
        )
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        raise RuleViolation(
            field, f"统一社会信用代码校验位错误：第 18 位应为 {expected}，您输入的是 {code[17]}"
        )
    return code


# --- General: every stored value within what its column and the program hold ----------

# Business dates a clerk enters: the People's Republic's years, and no
# further ahead than any voucher could plan.
EARLIEST_DATE = datetime.date(1949, 1, 1)
LATEST_DATE = datetime.date(2100, 12, 31)
# PostgreSQL `integer`; larger numbers also overflow SQLite's driver.
MAX_INTEGER = 2_147_483_647


def unprintable(value, allow_line_breaks):
    """Control characters (NUL included); in one-line fields also the
    invisible format characters (zero-width space, direction overrides)
    that make two names look alike."""
    for ch in value:
        if ch in "\t\n\r" and allow_line_breaks:
            continue
        category = unicodedata.category(ch)
        if category == "Cc" or (category in ("Cf", "Zl", "Zp") and not allow_line_breaks) or category == "Cs":
            return True
    return False


def _text_bounds(record, field, value):
    label = type(record).label(field.name)
    if unprintable(value, allow_line_breaks=isinstance(field, TextField)):
        return f"{label}含有不允许的控制字符或不可见字符，请删除后重试"
    limit = getattr(field, "max_length", None)
    if limit and len(value) > limit:
        return f"{label}最多 {limit} 个字，您输入了 {len(value)} 个"
    if not field.null and field.default is None and not value.strip():
        return f"请填写{label}（不能只有空格或不可见字符）"
    return None


def _decimal_bounds(record, field, value):
    label = type(record).label(field.name)
    try:
        value = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return f"{label}应为数字"
    if not value.is_finite():
        return f"{label}应为有限的数字，不能是 NaN 或 Infinity"
    whole = field.max_digits - field.decimal_places
    if abs(value) >= Decimal(10) ** whole:
        return f"{label}超出允许范围：整数部分最多 {whole} 位"
    if value.as_tuple().exponent < -field.decimal_places:
        return f"{label}最多保留 {field.decimal_places} 位小数"
    return None


def _field_bounds(record, field, value):
    if isinstance(field, models.MultiChoiceField):
        return None
    if isinstance(value, str) and isinstance(field, (CharField, TextField)):
        return _text_bounds(record, field, value)
    if isinstance(field, DecimalField):
        return _decimal_bounds(record, field, value)
    if isinstance(field, ForeignKeyField):
        # An id in range (a form's placeholder for a file being uploaded
        # is negative, and never reaches the database).
        if isinstance(value, int) and value > models.MAX_ID or isinstance(value, str) and models.parse_id(value) is None:
            return f"请选择有效的{type(record).label(field.name)}"
    elif isinstance(field, IntegerField) and not isinstance(field, AutoField):
        if not isinstance(value, int) or abs(value) > MAX_INTEGER:
            return f"{type(record).label(field.name)}应为不超过 {MAX_INTEGER:,} 的整数"
    elif isinstance(field, DateField) and isinstance(value, datetime.date):
        if not EARLIEST_DATE <= value <= LATEST_DATE:
            return (f"{type(record).label(field.name)}应在 {EARLIEST_DATE} 至 {LATEST_DATE} 之间，"
                    f"您输入的是 {value}")
    return None


def general_field_bounds(record):
    """Every field's value within what its column holds: text without NUL or
    invisible-only content and within its length, money finite and within
    14 digits (so SQLite, which keeps NUMERIC as floating point past 15
    digits, stores it exactly too), integers and ids within 32 bits, dates
    within 1949–2100. One violation per field, all of them at once."""
    found = []
    for field in record._meta.sorted_fields:
        value = record.__data__.get(field.name)
        if value is None:
            continue
        message = _field_bounds(record, field, value)
        if message:
            found.append(RuleViolation(field.name, message))
    return found


# An opinion written at a transition: a paragraph or two.
OPINION_LENGTH = 2000
_USERNAME = re.compile(r"^[A-Za-z0-9._@-]{1,60}$")


def opinion_problem(text):
    if len(text or "") > OPINION_LENGTH:
        return f"意见最多 {OPINION_LENGTH} 个字，您输入了 {len(text)} 个"
    if unprintable(text or "", allow_line_breaks=True):
        return "意见含有不允许的控制字符，请删除后重试"
    return None


def username_problem(username):
    if not _USERNAME.match(username or ""):
        return "用户名只能用英文字母、数字或 . _ - @，最多 60 位（如 haidian_fhq）"
    return None


def general_username(user):
    problem = username_problem(user.username)
    if problem:
        raise RuleViolation("username", problem)


LAST_ADMIN = "这是系统中最后一个启用的系统管理员账号，不能{what}；请先为另一位同事开通系统管理员账号"


def _other_active_admins(user):
    return (User.select()
            .where(User.role == models.ADMIN_ROLE, User.is_active == True, User.id != user.id)  # noqa: E712
            .exists())


def general_keeps_an_admin(user):
    """Nobody locks the office out of its own system: the last active
    administrator cannot be demoted or disabled."""
    if user.id is None or (user.role == models.ADMIN_ROLE and user.is_active):
        return
    stored = User.get_or_none(User.id == user.id)
    if stored is None or stored.role != models.ADMIN_ROLE or not stored.is_active:
        return
    if not _other_active_admins(user):
        what, field = ("停用", "is_active") if user.role == models.ADMIN_ROLE else ("改为其他角色", "role")
        raise RuleViolation(field, LAST_ADMIN.format(what=what))


# --- General: contacts, amounts, dates ---------------------------------------------

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


def check_phone(value, field="contact_phone"):
    value = (value or "").strip()
    if not (_MOBILE.match(value) or _LANDLINE.match(value)):
        raise RuleViolation(field, f"联系电话格式不正确：“{value}”（手机号 11 位，或座机如 010-12345678）")
    return value


def check_email(value, field="contact_email"):
    value = (value or "").strip()
    if not _EMAIL.match(value):
        raise RuleViolation(field, f"电子邮箱格式不正确：“{value}”")
    return value


def general_credit_code(record, required):
    code = getattr(record, "credit_code", None)
    if code:
        record.credit_code = check_credit_code(code)
    elif required:
        raise RuleViolation("credit_code", "请填写统一社会信用代码")


def general_positive(record, *fields):
    for name in fields:
        value = getattr(record, name)
        if value is not None and value <= 0:
            label = type(record).label(name)
            raise RuleViolation(name, f"{label}应大于 0，您输入的是 {value}")


def general_not_negative(record, *fields):
    for name in fields:
        value = getattr(record, name)
        if value is not None and value < 0:
            raise RuleViolation(name, f"{type(record).label(name)}不能为负数，您输入的是 {value}")


# --- R1 (Q4): a recommending institution's application ------------------------------

def r1_recommending_institution_complete(ri):
    """Served enterprises, promised events, work mechanism, safeguards and the
    two materials: what an application needs to be submitted."""
    least_served = policy_count("r1_min_served_enterprises")
    served = ri.served_enterprise_count or 0
    if served < least_served:
        raise RuleViolation(
            "served_enterprise_count", f"服务企业数量为 {served} 家，应不少于 {least_served} 家"
        )
    least_events = policy_count("r1_min_promised_events")
    promised = ri.promised_event_count or 0
    if promised < least_events:
        raise RuleViolation(
            "promised_event_count", f"承诺组织宣传、对接活动 {promised} 次，应不少于 {least_events} 次"
        )
    if not (ri.work_mechanism or "").strip():
        raise RuleViolation("work_mechanism", "请填写工作机制：管理机制、服务流程、可辐射的小微企业（创业团队）总体情况")
    if not (ri.safeguards or "").strip():
        raise RuleViolation("safeguards", "请填写保障措施：组织保障、业务流程、工作计划")
    if ri.application_form_id is None:
        raise RuleViolation("application_form", "请上传推荐机构申请表")
    if ri.commitment_letter_id is None:
        raise RuleViolation("commitment_letter", "请上传推荐机构承诺函")


# --- R4 (Q5): a professional service institution ------------------------------------

def r4_service_institution_qualified(si):
    """An independent legal entity authorised by a university, research
    institute or central SOE group that has joined the platform, with the four
    materials. The six domain centers are named by the FAQ itself."""
    if si.is_domain_center:
        if not si.domain:
            raise RuleViolation("domain", "领域中心须选择所属领域")
        return
    if not si.is_independent_legal_entity:
        raise RuleViolation("is_independent_legal_entity", "专业服务机构应为独立法人单位")
    if si.parent_org_type not in dict(models.PARENT_ORG_TYPES):
        raise RuleViolation("parent_org_type", "请选择授权单位类型：高校、科研院所或大型央企集团")
    if not (si.parent_org_name or "").strip():
        raise RuleViolation("parent_org_name", "请填写授权单位名称")
    if not si.parent_in_platform:
        raise RuleViolation(
            "parent_in_platform", "授权单位须已加入首都科技条件平台；未加入的，请通过领域中心成员单位申请"
        )
    for name, label in (("application_form", "专业服务机构申请表"), ("commitment_letter", "承诺函"),
                        ("management_rules", "机构内创新券管理办法细则"), ("authorization_letter", "授权函")):
        if getattr(si, f"{name}_id") is None:
            raise RuleViolation(name, f"请上传{label}")


# --- R5 (Q5): who reports a lab -----------------------------------------------------------

def r5_lab_reported_by_approved_institution(lab):
    reporter = ServiceInstitution.get_or_none(ServiceInstitution.id == lab.service_institution_id)
    if reporter is None or reporter.status != "approved":
        state = dict(models.APPLICATION_STATUSES).get(reporter.status, reporter.status) if reporter else "不存在"
        raise RuleViolation(
            "service_institution", f"实验室须由审核通过的专业服务机构上报；所选机构的状态为“{state}”"
        )


# --- R6 (Q7): the open-lab directory -------------------------------------------------------

ELIGIBLE_LAB_CATEGORIES = (
    "national_key_lab",
    "beijing_key_lab",
    "national_engineering_center",
    "beijing_engineering_center",
    "beijing_design_center",
    "public_service",
)


def r6_directory():
    """The condition of the 开放实验室目录: approved and of a recognised kind."""
    return (Lab.status == "approved") & (Lab.category.in_(ELIGIBLE_LAB_CATEGORIES))


def r6_lab_in_directory(lab_id, field="lab"):
    lab = Lab.get_or_none(Lab.id == lab_id)
    if lab is None:
        raise RuleViolation(field, "请选择开放实验室目录中的实验室")
    if not Lab.select().where(Lab.id == lab.id, r6_directory()).exists():
        if lab.category not in ELIGIBLE_LAB_CATEGORIES:
            why = f"类别为“{lab.display('category')}”，不属于可合作的实验室类别"
        else:
            why = f"状态为“{lab.display('status')}”，尚未进入开放实验室目录"
        raise RuleViolation(field, f"实验室“{lab.name}”{why}，与目录外实验室合作无法使用创新券")
    return lab


# --- R7 (Q5): domain-center members and their labs ----------------------------------------

def r7_member_joins_domain_center(member):
    center = ServiceInstitution.get_or_none(ServiceInstitution.id == member.domain_center_id)
    if center is None or not center.is_domain_center:
        raise RuleViolation("domain_center", "成员单位须加盟领域中心之一")
    if member.field != center.domain:
        raise RuleViolation(
            "field",
            f"成员单位应按行业领域加盟：“{center.name}”的领域为“{center.display('domain')}”，"
            f"所选行业领域为“{dict(models.DOMAIN_FIELDS).get(member.field, member.field)}”",
        )


def r7_member_lab_through_its_center(lab):
    if lab.member_unit_id is None:
        return
    member = DomainCenterMember.get_by_id(lab.member_unit_id)
    if member.status != "approved":
        raise RuleViolation("member_unit", f"成员单位“{member.name}”尚未审核通过，其实验室不能上报")
    if lab.service_institution_id != member.domain_center_id:
        raise RuleViolation(
            "service_institution",
            f"成员单位的实验室须由其所属领域中心“{member.domain_center.name}”上报",
        )


# --- R8 (Q1, Q7): who takes part -------------------------------------------------------------

def r8_enterprise(enterprise):
    if enterprise.kind not in dict(models.ENTERPRISE_KINDS):
        raise RuleViolation("kind", "创新券只支持小型企业、微型企业和创业团队")
    if enterprise.district not in dict(models.DISTRICTS):
        raise RuleViolation("district", "请选择北京市 16 个区之一")
    general_credit_code(enterprise, required=enterprise.kind != "startup_team")


def r8_project_enterprise(project):
    enterprise = Enterprise.get_or_none(Enterprise.id == project.enterprise_id)
    if enterprise is None or enterprise.kind not in dict(models.ENTERPRISE_KINDS):
        raise RuleViolation("enterprise", "项目只能属于小微企业或创业团队")


# --- R9 (Q3): industrial design ----------------------------------------------------------------

def r9_industrial_design_lab(project):
    if project.activity_type != "industrial_design":
        return
    lab = Lab.get_or_none(Lab.id == project.lab_id)
    if lab is not None and "industrial_design" not in lab.capabilities:
        raise RuleViolation(
            "lab", f"工业设计类项目须选择能提供工业设计服务的实验室；“{lab.name}”不提供工业设计服务"
        )


# --- R10 (Q6): the contract ----------------------------------------------------------------------

def r10_contract(project):
    """Once a contract is registered: the voucher clause with its amount, and
    contract voucher amount ≤ voucher amount ≤ contract amount."""
    if project.contract_signed_on is None and not project.contract_has_voucher_clause \
            and project.contract_voucher_amount is None:
        return
    if project.contract_signed_on is None:
        raise RuleViolation("contract_signed_on", "请填写合同签订日期")
    granted = project.voucher_granted_on
    if not project.contract_has_voucher_clause:
        if granted is not None and project.contract_signed_on < granted:
            raise RuleViolation(
                "contract_has_voucher_clause",
                f"合同签订于 {project.contract_signed_on}，早于创新券发放（{granted}），且未约定创新券内容，"
                "不能作为创新券项目的有效合同",
            )
        raise RuleViolation("contract_has_voucher_clause", "合同须约定创新券相关内容（如使用创新券的额度）")
    if project.contract_voucher_amount is None:
        raise RuleViolation("contract_voucher_amount", "请填写合同中约定的创新券额度")
    if project.contract_amount is None:
        raise RuleViolation("contract_amount", "请填写审定后的合同额")
    if project.voucher_amount is not None and project.contract_voucher_amount > project.voucher_amount:
        raise RuleViolation(
            "contract_voucher_amount",
            f"合同约定的创新券额度 {_yuan(project.contract_voucher_amount)} 超过创新券金额 {_yuan(project.voucher_amount)}",
        )


def general_voucher_within_contract(project):
    if project.contract_amount is not None and project.voucher_amount is not None \
            and project.voucher_amount > project.contract_amount:
        raise RuleViolation(
            "voucher_amount",
            f"创新券金额 {_yuan(project.voucher_amount)} 超过审定合同额 {_yuan(project.contract_amount)}",
        )


# --- R11 (Q2): new technologies and products ----------------------------------------------------

def r11_percent():
    """The cap in force, as clerks write it: 30%."""
    return f"{(policy_decimal('r11_purchase_cap_ratio') * 100).normalize():f}%"


def r11_cap(contract_amount):
    # Rounded down to the fen: 30 % of 49,999.99 is 14,999.997, so 15,000.00
    # of purchases is over the line, not on it.
    return (contract_amount * policy_decimal("r11_purchase_cap_ratio")).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def r11_purchases_total(project_id, excluding=None):
    query = ProjectPurchase.select(ProjectPurchase.amount).where(ProjectPurchase.project == project_id)
    if excluding is not None:
        query = query.where(ProjectPurchase.id != excluding)
    # Summed in Python, in Decimal: SQLite would add floats.
    return sum((amount for (amount,) in query.tuples()), Decimal("0.00"))


def r11_product_valid_on(purchase):
    product = NewTechProduct.get_or_none(NewTechProduct.id == purchase.product_id)
    if product is None:
        raise RuleViolation("product", "请选择已公示的新技术新产品（服务）")
    if purchase.purchased_on is None:
        raise RuleViolation("purchased_on", "请填写购买日期")
    if not product.valid_from <= purchase.purchased_on <= product.valid_to:
        raise RuleViolation(
            "purchased_on",
            f"购买日期 {purchase.purchased_on} 不在“{product.name}”的公示有效期"
            f"（{product.valid_from} 至 {product.valid_to}）内",
        )


def r11_purchase_within_cap(purchase):
    if purchase.amount is None:
        return
    project = Project.get_or_none(Project.id == purchase.project_id)
    if project is None:
        raise RuleViolation("project", "请选择项目")
    if project.contract_amount is None:
        raise RuleViolation("project", f"项目 {project.code} 尚无审定合同额，不能登记新技术新产品购买")
    cap = r11_cap(project.contract_amount)
    total = r11_purchases_total(project.id, excluding=purchase.id) + purchase.amount
    if total > cap:
        raise RuleViolation(
            "amount",
            f"本项目新技术新产品购买合计将为 {_yuan(total)}，超过审定合同额 {_yuan(project.contract_amount)} "
            f"的 {r11_percent()}（{_yuan(cap)}）",
        )


def r11_contract_covers_purchases(project):
    if project.id is None:
        return
    used = r11_purchases_total(project.id)
    if not used:
        return
    if project.contract_amount is None:
        raise RuleViolation("contract_amount", f"本项目已登记新技术新产品购买 {_yuan(used)}，审定合同额不能为空")
    cap = r11_cap(project.contract_amount)
    if used > cap:
        least = (used / policy_decimal("r11_purchase_cap_ratio")).quantize(Decimal("0.01"), rounding=ROUND_UP)
        raise RuleViolation(
            "contract_amount",
            f"本项目已登记新技术新产品购买 {_yuan(used)}，审定合同额 {_yuan(project.contract_amount)} 的 "
            f"{r11_percent()} 仅为 {_yuan(cap)}，合同额不能低于 {_yuan(least)}",
        )


# --- annual cap per enterprise (policy) ------------------------------------------------------

def annual_voucher_cap(project):
    cap = policy_decimal("annual_voucher_cap_per_enterprise")
    if cap is None or project.voucher_amount is None:
        return
    year = (project.created_at or models.now()).year
    start, end = datetime.datetime(year, 1, 1), datetime.datetime(year + 1, 1, 1)
    others = (
        Project.select(Project.voucher_amount)
        .where(Project.enterprise == project.enterprise_id,
               Project.created_at >= start, Project.created_at < end,
               Project.status != "rejected")
    )
    if project.id is not None:
        others = others.where(Project.id != project.id)
    total = sum((amount for (amount,) in others.tuples()), Decimal("0.00")) + project.voucher_amount
    if total > cap:
        raise RuleViolation(
            "voucher_amount",
            f"该企业 {year} 年度创新券金额合计将为 {_yuan(total)}，超过年度上限 {_yuan(cap)}",
        )


# --- R12 (Q8): completion review ----------------------------------------------------------------

def r12_completion(project):
    """Pass or fail with the experts' reasons; a failure names the liable
    party. Nothing beyond that is imposed (Q8)."""
    if project.completion_result is None:
        if project.liable_party:
            raise RuleViolation("liable_party", "尚无结题结论，不能认定责任方")
        return
    if not (project.completion_reason or "").strip():
        raise RuleViolation("completion_reason", "请填写专家给出的结题意见和原因")
    if project.completion_result == "failed" and not project.liable_party:
        raise RuleViolation("liable_party", "结题未通过的项目须认定责任方（企业、实验室、双方或按合同约定）")
    if project.completion_result == "passed" and project.liable_party:
        raise RuleViolation("liable_party", "结题通过的项目不认定责任方")


# --- which rules apply to which record ---------------------------------------------------------

def _lab_changed(project):
    if project.id is None:
        return True
    stored = Project.select(Project.lab, Project.activity_type).where(Project.id == project.id).first()
    return stored is None or stored.lab_id != project.lab_id or stored.activity_type != project.activity_type


def _r1_past_draft(ri):
    # An application past draft keeps what R1 asked of it at submission.
    if ri.status != "draft":
        r1_recommending_institution_complete(ri)


def _r4_past_draft(si):
    if si.status != "draft":
        r4_service_institution_qualified(si)


def _r6_when_lab_chosen(project):
    # A lab leaving the directory later does not freeze its running projects.
    if _lab_changed(project):
        r6_lab_in_directory(project.lab_id)


def _r9_when_lab_chosen(project):
    if _lab_changed(project):
        r9_industrial_design_lab(project)


def _product_dates(product):
    if product.valid_from and product.valid_to and product.valid_from > product.valid_to:
        raise RuleViolation("valid_to", f"有效期止 {product.valid_to} 早于有效期起 {product.valid_from}")


def _evaluation(evaluation):
    if evaluation.score is not None and not Decimal(0) <= evaluation.score <= Decimal(100):
        raise RuleViolation("score", f"得分应在 0 至 100 之间，您输入的是 {evaluation.score}")
    if evaluation.year is not None and not 2000 <= evaluation.year <= models.now().year:
        raise RuleViolation("year", f"评价年度应在 2000 至 {models.now().year} 之间，您输入的是 {evaluation.year}")


def _required_code(record):
    general_credit_code(record, required=True)


def _phone(record):
    if getattr(record, "contact_phone", None):
        record.contact_phone = check_phone(record.contact_phone)


def _email(record):
    if getattr(record, "contact_email", None):
        record.contact_email = check_email(record.contact_email)


def _not_negative(*fields):
    return lambda record: general_not_negative(record, *fields)


def _positive(*fields):
    return lambda record: general_positive(record, *fields)


# Per record kind, the checks that apply; each raises at most one violation,
# so a form shows every problem at once.
RECORD_RULES = {
    RecommendingInstitution: (_required_code, _phone, _email,
                              _not_negative("served_enterprise_count", "promised_event_count"),
                              _r1_past_draft),
    ServiceInstitution: (lambda si: general_credit_code(si, required=not si.is_domain_center),
                         _phone, _email, _r4_past_draft),
    DomainCenterMember: (_required_code, _phone, _email, r7_member_joins_domain_center),
    Lab: (_phone, _email, r5_lab_reported_by_approved_institution, r7_member_lab_through_its_center),
    Enterprise: (r8_enterprise, _phone, _email, _not_negative("employee_count", "annual_revenue")),
    NewTechProduct: (_product_dates,),
    Project: (_positive("voucher_amount", "contract_amount", "contract_voucher_amount"),
              r8_project_enterprise, _r6_when_lab_chosen, _r9_when_lab_chosen,
              general_voucher_within_contract, r10_contract, r11_contract_covers_purchases,
              annual_voucher_cap, r12_completion),
    ProjectPurchase: (_positive("amount"), r11_product_valid_on, r11_purchase_within_cap),
    PromotionEvent: (_not_negative("participant_count"),),
    PerformanceEvaluation: (_evaluation,),
    PolicySetting: (check_policy_setting,),
    User: (general_username, general_keeps_an_admin),
}


def violations(record):
    """Every refusal for the record as it stands, as a list. Values out of
    their column's bounds are reported first and alone: the program's rules
    compare amounts and dates, which such values cannot be."""
    found = general_field_bounds(record)
    if found:
        return found
    for check in RECORD_RULES.get(type(record), ()):
        try:
            check(record)
        except RuleViolation as exc:
            found.append(exc)
    return found


def enforce(record):
    for violation in general_field_bounds(record):
        raise violation
    for check in RECORD_RULES.get(type(record), ()):
        check(record)


@pre_save(sender=None)
def _enforce_before_save(sender, instance, created):
    enforce(instance)


@pre_delete(sender=None)
def _check_before_delete(sender, instance):
    deletable(instance)
