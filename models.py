"""The program's records (DOMAIN.md §1), on peewee.

Table and field names are canonical: tools outside the code read them. Each
field carries its Chinese label (`verbose_name`) and each enumeration its
Chinese names, so lists, forms, details pages and exports all read the same
words from here.
"""
import datetime
import decimal
import itertools
import json

from peewee import (
    JOIN,
    AutoField,
    BigIntegerField,
    BooleanField,
    Case,
    CharField,
    CompositeKey,
    DatabaseProxy,
    DateField,
    DateTimeField,
    DecimalField,
    DeferredForeignKey,
    ForeignKeyField,
    IntegerField,
    PostgresqlDatabase,
    SqliteDatabase,
    TextField,
    fn,
)
from playhouse.db_url import connect
from playhouse.signals import Model

from compat import VersionedSave
from program import policy

db = DatabaseProxy()


# --- enumerations: stored English word -> Chinese name ----------------------

class Choices(tuple):
    """An enumeration: its stored English words and their Chinese names, in
    order. It iterates as (word, name) pairs, which is what peewee's
    `choices=`, WTForms' selects and flask-admin's filters take; label() is
    the one place a word becomes the name a clerk reads (lists, details,
    history, reports, the rules' messages, exports)."""

    def __new__(cls, *pairs):
        choices = super().__new__(cls, pairs)
        choices.names = dict(pairs)
        return choices

    def __getnewargs__(self):
        return tuple(self)

    def __deepcopy__(self, memo):
        return self  # immutable: peewee copies fields into subclasses

    def label(self, word):
        return self.names.get(word, word)

    @property
    def words(self):
        return tuple(self.names)

    def __contains__(self, word):
        return word in self.names


YES_NO = {True: "是", False: "否", None: ""}


def shown(field, value):
    """A stored value as the screens, reports and exports show it: an
    enumeration's Chinese name, several of them joined, yes or no, or the
    value itself (None as nothing)."""
    if isinstance(field, MultiChoiceField):
        return "、".join(field.options.label(word) for word in value or ())
    if isinstance(getattr(field, "choices", None), Choices):
        return field.choices.label(value)
    if isinstance(value, bool) or value is None:
        return YES_NO.get(value, value)
    return value


ENTERPRISE_KINDS = Choices(
    ("small", "小型企业"),
    ("micro", "微型企业"),
    ("startup_team", "创业团队"),
)

DISTRICTS = Choices(
    ("dongcheng", "东城区"),
    ("xicheng", "西城区"),
    ("chaoyang", "朝阳区"),
    ("fengtai", "丰台区"),
    ("shijingshan", "石景山区"),
    ("haidian", "海淀区"),
    ("mentougou", "门头沟区"),
    ("fangshan", "房山区"),
    ("tongzhou", "通州区"),
    ("shunyi", "顺义区"),
    ("changping", "昌平区"),
    ("daxing", "大兴区"),
    ("huairou", "怀柔区"),
    ("pinggu", "平谷区"),
    ("miyun", "密云区"),
    ("yanqing", "延庆区"),
)

APPLICATION_STATUSES = Choices(
    ("draft", "草稿"),
    ("submitted", "已提交"),
    ("approved", "已通过"),
    ("rejected", "已驳回"),
)

# Q4: after approval the office opens the account, the institution completes
# its profile and the office trains it.
RECOMMENDING_STATUSES = Choices(
    *APPLICATION_STATUSES,
    ("account_opened", "已开通账号"),
    ("profile_completed", "已完善信息"),
    ("trained", "已培训"),
)

EVENT_KINDS = Choices(
    ("promotion", "宣传活动"),
    ("matchmaking", "对接活动"),
)

PARENT_ORG_TYPES = Choices(
    ("university", "高校"),
    ("research_institute", "科研院所"),
    ("central_soe_group", "大型央企集团"),
)

MEMBER_ORG_TYPES = Choices(
    ("university_outside_platform", "未加入条件平台的高校"),
    ("research_institute_outside_platform", "未加入条件平台的科研院所"),
    ("private_enterprise", "民营企业"),
)

# The fields of the six domain centers of Q5; a member joins one by field.
DOMAIN_FIELDS = Choices(
    ("productivity", "生产力促进"),
    ("new_materials", "新材料"),
    ("scientific_instruments", "科学仪器装备"),
    ("green_environment", "环境治理"),
    ("industrial_design", "工业设计"),
    ("rural_development", "农村发展"),
)

# (name, domain) of the six domain centers named in Q5.
DOMAIN_CENTERS = (
    ("北京生产力促进中心", "productivity"),
    ("北京新材料发展中心", "new_materials"),
    ("北京科学仪器装备协作服务中心", "scientific_instruments"),
    ("中关村绿创环境治理产业技术创新战略委员会", "green_environment"),
    ("北京工业设计促进中心", "industrial_design"),
    ("北京市科学技术委员会农村发展中心", "rural_development"),
)

# R6 (Q7): the recognised kinds of lab; "other" is recorded but never eligible.
LAB_CATEGORIES = Choices(
    ("national_key_lab", "国家重点实验室"),
    ("beijing_key_lab", "北京市重点实验室"),
    ("national_engineering_center", "国家工程技术研究中心"),
    ("beijing_engineering_center", "北京市工程技术研究中心"),
    ("beijing_design_center", "北京市设计创新中心"),
    ("public_service", "公共服务机构"),
    ("other", "其他"),
)

# Q1 (and Q3 for industrial design): what a voucher pays for.
ACTIVITY_TYPES = Choices(
    ("testing", "测试检验"),
    ("joint_rd", "合作研发"),
    ("commissioned_dev", "委托开发"),
    ("rd_design", "研发设计"),
    ("tech_solution", "技术解决方案"),
    ("industrial_design", "工业设计"),
)
CAPABILITIES = ACTIVITY_TYPES

PRIORITY_THEMES = Choices(
    ("none", "无"),
    ("epidemic", "疫情防控"),
    ("digital", "数字化转型"),
    ("instrument_online", "科研设施与仪器在线服务"),
)

PROJECT_STATUSES = Choices(
    ("draft", "草稿"),
    ("submitted", "已申报"),
    ("granted", "申报成功"),
    ("rejected", "申报未通过"),
    ("contracted", "已签合同"),
    ("passed", "结题通过"),
    ("failed", "结题未通过"),
    # Redemption (兑付, DOMAIN.md §6): the lab is paid for the work.
    ("redemption_requested", "已申请兑付"),
    ("redeemed", "已兑付"),
    # A voucher that lapsed by its deadlines (DOMAIN.md §6).
    ("voided", "已作废"),
)

COMPLETION_RESULTS = Choices(
    ("passed", "通过"),
    ("failed", "未通过"),
)

LIABLE_PARTIES = Choices(
    ("enterprise", "企业（甲方）"),
    ("lab", "实验室（乙方）"),
    ("both", "双方"),
    ("per_contract", "按合同约定"),
)

GRADES = Choices(
    ("excellent", "优秀"),
    ("good", "良好"),
    ("pass", "合格"),
    ("fail", "不合格"),
)

# The roles are the access policy's (program/policy.py).
ROLES = Choices(*policy.ROLES)


def clock():
    """The office's clock: every stamp (now) and every date a rule reads
    (today) come from here, so a test moves them together by replacing it."""
    return datetime.datetime.now()


def now():
    return clock().replace(microsecond=0)


def today():
    return clock().date()


# A policy parameter's first version is in force from the program's start.
POLICY_ORIGIN = datetime.date(2000, 1, 1)


# Ids are PostgreSQL `integer`s; SQLite stores 64 bits. Anything outside
# this range cannot name a row on either, and a larger Python int overflows
# SQLite's driver, so it is refused before it reaches a query.
MAX_ID = 2_147_483_647


def parse_id(value):
    """A row id from untrusted input (URL, form, ajax), or None: ASCII digits
    only (str.isdigit() also accepts "²", which int() refuses), within MAX_ID."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 1 <= value <= MAX_ID else None
    text = str(value or "").strip()
    if not text or len(text) > 10 or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


def parse_ids(values, limit=500):
    """Row ids from a list or a comma-separated string (bulk actions), the
    unusable ones left out, at most `limit`, in the order given. Only the
    first few times `limit` values are read: a request of millions of ids
    costs no more than one of a page's."""
    if isinstance(values, str):
        values = values[:limit * 4 * 21].split(",", limit * 4)
    ids = []
    for value in itertools.islice(values or (), limit * 4):
        pk = parse_id(value)
        if pk is not None and pk not in ids:
            ids.append(pk)
            if len(ids) == limit:
                break
    return ids


class MoneyField(DecimalField):
    """Yuan with two places; Decimal end to end, never float. SQLite's
    NUMERIC affinity drops trailing zeros, so values are re-quantized on read."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("auto_round", False)
        super().__init__(*args, **kwargs)

    def python_value(self, value):
        value = super().python_value(value)
        if value is None or not value.is_finite():
            return value
        try:
            return value.quantize(decimal.Decimal(1).scaleb(-self.decimal_places))
        except decimal.InvalidOperation:
            # A value stored before the bounds of checks.general_field_bounds
            # existed: shown as it is rather than breaking every page it is on.
            return value

    @property
    def max_value(self):
        """The largest amount the column holds (10^12 - 0.01 yuan)."""
        return decimal.Decimal(10) ** (self.max_digits - self.decimal_places) - decimal.Decimal(1).scaleb(
            -self.decimal_places)


class LongTextField(TextField):
    """Free text with a length cap that fits its purpose (TEXT in the
    database; the cap is the program's, checked by rules and forms)."""

    def __init__(self, *args, max_length=2000, **kwargs):
        self.max_length = max_length
        super().__init__(*args, **kwargs)


def text(label, max_length=2000, **kwargs):
    return LongTextField(verbose_name=label, max_length=max_length, **kwargs)


def money(label, **kwargs):
    return MoneyField(verbose_name=label, **kwargs)


class MultiChoiceField(TextField):
    """Several enumeration words in one column, stored as ",a,b," so that a
    LIKE '%,a,%' finds exactly the rows that hold word a."""

    def __init__(self, *args, options=(), **kwargs):
        self.options = options
        super().__init__(*args, **kwargs)

    def db_value(self, value):
        if not value:
            return ""
        if isinstance(value, str):
            value = [v for v in value.split(",") if v]
        return "," + ",".join(sorted(set(value))) + ","

    def python_value(self, value):
        return [v for v in (value or "").split(",") if v]

    def holds(self, word):
        return self.contains(f",{word},")


class StaleRecord(Exception):
    """The record changed in the database since this copy was read."""

    message = "此记录已被他人修改（您打开编辑页之后有人保存过），您的修改未保存。请重新打开后再改。"


class BaseModel(VersionedSave, Model):
    # playhouse.signals' Model: rules.py checks every record before it is saved.
    id = AutoField()
    created_at = DateTimeField(default=now, index=True, verbose_name="创建时间")
    updated_at = DateTimeField(default=now, verbose_name="更新时间")
    # Optimistic locking: every update says which version it started from.
    version = IntegerField(default=1, verbose_name="版本")

    # The fields __str__ reads: what a list needs of a related record.
    display_fields: tuple = ("name",)

    class Meta:
        database = db
        legacy_table_names = False

    def save(self, force_insert=False, only=None):
        self.updated_at = now()
        if self.id is None or force_insert:
            return super().save(force_insert=force_insert, only=only)
        expected = int(self.version or 1)
        self.version = expected + 1
        self._expected_version = expected
        try:
            rows = super().save(force_insert=force_insert, only=only)
        except Exception:
            self.version = expected
            raise
        finally:
            self._expected_version = None
        if not rows:
            # Somebody saved since this copy was read: write nothing over it.
            self.version = expected
            raise StaleRecord(StaleRecord.message)
        return rows

    @classmethod
    def label(cls, field_name):
        field = cls._meta.fields.get(field_name)
        return (field.verbose_name if field else None) or field_name

    def display(self, field_name):
        """The field's value as a clerk reads it (models.shown)."""
        return shown(self._meta.fields[field_name], getattr(self, field_name))


class User(BaseModel):
    username = CharField(max_length=60, unique=True, verbose_name="用户名")
    display_name = CharField(max_length=60, null=True, verbose_name="姓名")
    password_hash = CharField(max_length=255, verbose_name="密码哈希")
    role = CharField(max_length=20, choices=ROLES, index=True, verbose_name="角色")
    # The circle user -> institution -> reviewed_by user is closed with a
    # deferred key; init_db adds its constraint where the database allows it.
    # One system account per institution (Q4): the unique index refuses a
    # second one whoever tries.
    institution = DeferredForeignKey(
        "RecommendingInstitution", null=True, unique=True, on_delete="RESTRICT", verbose_name="所属推荐机构"
    )
    is_active = BooleanField(default=True, verbose_name="启用")
    must_change_password = BooleanField(default=False, verbose_name="须修改密码")
    last_login_at = DateTimeField(null=True, verbose_name="最近登录")
    # Part of every session's id (get_id): logging out, a new password or a
    # disabled account moves it on, and every session signed with the old
    # value stops working at its next request.
    session_generation = IntegerField(default=0, verbose_name="会话代次")

    display_fields = ("username", "display_name")

    class Meta:
        verbose_name = "系统账号"

    def __str__(self):
        return self.display_name or self.username

    @classmethod
    def active_admins(cls):
        """The active accounts that keep the system (program/policy.py)."""
        return cls.select().where(cls.role.in_(policy.ADMINISTRATORS), cls.is_active == True)  # noqa: E712

    # flask-login's interface
    @property
    def is_authenticated(self):
        return True

    @property
    def is_anonymous(self):
        return False

    def get_id(self):
        return f"{self.id}:{self.session_generation}"


class StoredFile(BaseModel):
    """An uploaded application material, kept under UPLOAD_DIR by a generated name."""

    stored_name = CharField(max_length=80, unique=True, verbose_name="存储名")
    original_name = CharField(max_length=255, verbose_name="原文件名")
    content_type = CharField(max_length=120, verbose_name="文件类型")
    size = IntegerField(verbose_name="大小（字节）")
    sha256 = CharField(max_length=64, verbose_name="SHA-256")
    uploaded_by = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT", verbose_name="上传人")

    class Meta:
        verbose_name = "申请材料文件"

    def __str__(self):
        return self.original_name


class MaterialField(ForeignKeyField):
    """A foreign key to an uploaded file: the forms show an upload, not a select."""


def material(label):
    return MaterialField(
        StoredFile, null=True, backref="+", on_delete="RESTRICT", verbose_name=label
    )


# Who to reach at an applying unit or an enterprise.
CONTACTS = ("contact_name", "contact_phone", "contact_email")


class Application(BaseModel):
    """What every applying unit carries: contacts, and status with the
    office's (or the commission's) review. Not a table of its own."""

    contact_name = CharField(max_length=50, null=True, verbose_name="联系人")
    contact_phone = CharField(max_length=30, null=True, verbose_name="联系电话")
    contact_email = CharField(max_length=120, null=True, verbose_name="电子邮箱")
    status = CharField(
        max_length=20, choices=APPLICATION_STATUSES, default="draft", index=True,
        verbose_name="状态",
    )
    submitted_at = DateTimeField(null=True, verbose_name="提交时间")
    # Who submitted: separation of duties reads it here (workflow.check), so
    # records that arrive by import or command line are covered too.
    submitted_by = ForeignKeyField(
        User, null=True, backref="+", on_delete="RESTRICT", verbose_name="提交人"
    )
    review_opinion = text("审核意见", null=True)
    reviewed_by = ForeignKeyField(
        User, null=True, backref="+", on_delete="RESTRICT", verbose_name="审核人"
    )
    reviewed_at = DateTimeField(null=True, verbose_name="审核时间")


class RecommendingInstitution(Application):
    name = CharField(max_length=120, unique=True, verbose_name="机构名称")
    credit_code = CharField(max_length=18, unique=True, null=True, verbose_name="统一社会信用代码",
                            help_text="18 位统一社会信用代码，见营业执照或登记证书")
    served_enterprise_count = IntegerField(default=0, verbose_name="服务企业数量")
    promised_event_count = IntegerField(default=0, verbose_name="承诺活动次数")
    work_mechanism = text("工作机制", max_length=5000, null=True,
                          help_text="管理机制、服务流程、可辐射的小微企业（创业团队）总体情况")
    safeguards = text("保障措施", max_length=5000, null=True, help_text="组织保障、业务流程、工作计划")
    application_form = material("推荐机构申请表")
    commitment_letter = material("推荐机构承诺函")
    status = CharField(
        max_length=20, choices=RECOMMENDING_STATUSES, default="draft", index=True,
        verbose_name="状态",
    )
    account_opened_at = DateTimeField(null=True, verbose_name="开通账号时间")
    introduction = text("机构介绍", null=True, help_text="开通账号后由机构自行填写和更新")
    service_features = text("服务特色", null=True, help_text="开通账号后由机构自行填写和更新")
    trained_on = DateField(null=True, verbose_name="培训日期")

    class Meta:
        verbose_name = "推荐机构"

    # Institutions that work for the program: approved, and on from there (Q4).
    ACTIVE = ("approved", "account_opened", "profile_completed", "trained")

    def __str__(self):
        return self.name

    @classmethod
    def active(cls):
        return cls.select().where(cls.status.in_(cls.ACTIVE))

    @classmethod
    def event_tally(cls, year=None, behind_only=False):
        """R3 (Q4): per active institution, the events held (in the year, if
        given) against those promised, the furthest behind first."""
        joined = PromotionEvent.institution == cls.id
        if year:
            joined &= PromotionEvent.held_on.between(datetime.date(year, 1, 1), datetime.date(year, 12, 31))
        held = fn.COUNT(PromotionEvent.id)
        kind = PromotionEvent.kind
        query = (
            cls.active()
            .select(cls.id, cls.name, cls.status, cls.promised_event_count, held.alias("held"),
                    fn.SUM(Case(None, [(kind == "promotion", 1)], 0)).alias("promotions"),
                    fn.SUM(Case(None, [(kind == "matchmaking", 1)], 0)).alias("matchmakings"),
                    fn.MAX(PromotionEvent.held_on).alias("last_held_on"))
            .join(PromotionEvent, JOIN.LEFT_OUTER, on=joined)
            .group_by(cls.id, cls.name, cls.status, cls.promised_event_count)
            .order_by((held - cls.promised_event_count).asc(), cls.name)
        )
        return query.having(held < cls.promised_event_count) if behind_only else query


class PromotionEvent(BaseModel):
    institution = ForeignKeyField(
        RecommendingInstitution, backref="events", on_delete="RESTRICT", verbose_name="推荐机构"
    )
    kind = CharField(max_length=20, choices=EVENT_KINDS, verbose_name="活动类型")
    held_on = DateField(index=True, verbose_name="举办日期", help_text="活动举办后登记，不能晚于今天")
    title = CharField(max_length=200, verbose_name="活动名称")
    participant_count = IntegerField(default=0, verbose_name="参加人数")

    class Meta:
        verbose_name = "宣传对接活动"
        indexes = ((("institution", "held_on"), False),)

    def __str__(self):
        return self.title


class ServiceInstitution(Application):
    name = CharField(max_length=120, unique=True, verbose_name="机构名称")
    credit_code = CharField(max_length=18, unique=True, null=True, verbose_name="统一社会信用代码",
                            help_text="18 位统一社会信用代码，见营业执照或登记证书")
    parent_org_name = CharField(max_length=120, null=True, verbose_name="授权单位（高校院所/央企集团）")
    parent_org_type = CharField(
        max_length=30, choices=PARENT_ORG_TYPES, null=True, verbose_name="授权单位类型"
    )
    parent_in_platform = BooleanField(default=False, verbose_name="授权单位已加入首都科技条件平台",
                                      help_text="未加入的，请通过领域中心成员单位申请")
    is_independent_legal_entity = BooleanField(default=False, verbose_name="独立法人单位")
    is_domain_center = BooleanField(default=False, index=True, verbose_name="领域中心",
                                    help_text="六大领域中心之一；勾选后须选择所属领域")
    domain = CharField(max_length=30, choices=DOMAIN_FIELDS, null=True, verbose_name="所属领域")
    application_form = material("专业服务机构申请表")
    commitment_letter = material("承诺函")
    management_rules = material("机构内创新券管理办法细则")
    authorization_letter = material("授权函")

    class Meta:
        verbose_name = "专业服务机构"

    def __str__(self):
        return self.name

    @classmethod
    def active(cls):
        """Approved: they report labs (R5) and are evaluated yearly (R4)."""
        return cls.select().where(cls.status == "approved")

    @classmethod
    def authorised(cls):
        """Approved and authorised by a parent organisation (not a domain center)."""
        return cls.active().where(cls.is_domain_center == False)  # noqa: E712

    @classmethod
    def domain_centers(cls):
        return cls.select().where(cls.is_domain_center == True)  # noqa: E712

    @classmethod
    def evaluated_in(cls, year):
        """Q5: every active institution with its evaluation of the year, if
        any, the best first and the missing last."""
        PE = PerformanceEvaluation
        return (cls.active()
                .select(cls.id, cls.name, cls.is_domain_center, PE.id.alias("evaluation_id"), PE.score, PE.grade)
                .join(PE, JOIN.LEFT_OUTER, on=((PE.institution == cls.id) & (PE.year == year)))
                .order_by(PE.score.desc(nulls="LAST"), cls.name))


class PerformanceEvaluation(BaseModel):
    institution = ForeignKeyField(
        ServiceInstitution, backref="evaluations", on_delete="RESTRICT", verbose_name="专业服务机构"
    )
    year = IntegerField(verbose_name="评价年度")
    score = DecimalField(max_digits=5, decimal_places=1, auto_round=False, verbose_name="得分",
                         help_text="0 至 100 分，保留一位小数")
    grade = CharField(max_length=20, choices=GRADES, index=True, verbose_name="等级")
    comments = text("评价意见", null=True)

    class Meta:
        verbose_name = "年度绩效评价"
        indexes = ((("institution", "year"), True),)

    @classmethod
    def years(cls):
        return [y for (y,) in cls.select(cls.year).distinct().order_by(cls.year.desc()).tuples()]

    @classmethod
    def latest_year(cls):
        return cls.select(fn.MAX(cls.year)).scalar()

    def __str__(self):
        return f"{self.year} 年度"


class DomainCenterMember(Application):
    name = CharField(max_length=120, unique=True, verbose_name="单位名称")
    credit_code = CharField(max_length=18, unique=True, null=True, verbose_name="统一社会信用代码",
                            help_text="18 位统一社会信用代码，见营业执照或登记证书")
    org_type = CharField(max_length=40, choices=MEMBER_ORG_TYPES, verbose_name="单位类型")
    domain_center = ForeignKeyField(
        ServiceInstitution, backref="members", on_delete="RESTRICT", verbose_name="所属领域中心"
    )
    field = CharField(max_length=30, choices=DOMAIN_FIELDS, verbose_name="行业领域")
    authorization_letter = material("授权委托书")

    class Meta:
        verbose_name = "领域中心成员单位"

    def __str__(self):
        return self.name

    @classmethod
    def approved(cls):
        return cls.select().where(cls.status == "approved")


class Lab(Application):
    name = CharField(max_length=150, unique=True, verbose_name="实验室名称")
    category = CharField(max_length=40, choices=LAB_CATEGORIES, index=True, verbose_name="实验室类别")
    recognition_ref = CharField(max_length=100, null=True, verbose_name="认定文号",
                                help_text="如：京科发〔2024〕12号")
    service_institution = ForeignKeyField(
        ServiceInstitution, backref="labs", on_delete="RESTRICT", verbose_name="上报专业服务机构"
    )
    member_unit = ForeignKeyField(
        DomainCenterMember, null=True, backref="labs", on_delete="RESTRICT", verbose_name="领域中心成员单位"
    )
    capabilities = MultiChoiceField(options=CAPABILITIES, default="", verbose_name="服务能力",
                                    help_text="工业设计类项目只能选择提供工业设计服务的实验室")

    class Meta:
        verbose_name = "开放实验室"

    # R6 (Q7): the recognised kinds of lab; "other" is recorded, never eligible.
    ELIGIBLE_CATEGORIES = ("national_key_lab", "beijing_key_lab", "national_engineering_center",
                           "beijing_engineering_center", "beijing_design_center", "public_service")

    def __str__(self):
        return self.name

    @classmethod
    def directory_condition(cls):
        """The 开放实验室目录 (R6): approved and of a recognised kind."""
        return (cls.status == "approved") & (cls.category.in_(cls.ELIGIBLE_CATEGORIES))

    @classmethod
    def in_directory(cls):
        return cls.select().where(cls.directory_condition())


class Enterprise(BaseModel):
    name = CharField(max_length=150, unique=True, verbose_name="企业（团队）名称")
    kind = CharField(max_length=20, choices=ENTERPRISE_KINDS, index=True, verbose_name="类型",
                     help_text="创新券支持小型企业、微型企业和创业团队")
    credit_code = CharField(max_length=18, unique=True, null=True, verbose_name="统一社会信用代码",
                            help_text="18 位统一社会信用代码；创业团队可不填")
    district = CharField(max_length=20, choices=DISTRICTS, index=True, verbose_name="所在区")
    employee_count = IntegerField(null=True, verbose_name="从业人数")
    annual_revenue = money("年营业收入（元）", null=True)
    contact_name = CharField(max_length=50, null=True, verbose_name="联系人")
    contact_phone = CharField(max_length=30, null=True, verbose_name="联系电话")
    contact_email = CharField(max_length=120, null=True, verbose_name="电子邮箱")
    recommended_by = ForeignKeyField(
        RecommendingInstitution, null=True, backref="enterprises", on_delete="RESTRICT",
        verbose_name="推荐机构",
    )

    class Meta:
        verbose_name = "企业"

    def __str__(self):
        return self.name


class NewTechProduct(BaseModel):
    name = CharField(max_length=150, index=True, verbose_name="产品（服务）名称")
    supplier = CharField(max_length=150, verbose_name="供应单位")
    catalogue_ref = CharField(max_length=60, unique=True, verbose_name="目录编号")
    valid_from = DateField(verbose_name="有效期起")
    valid_to = DateField(index=True, verbose_name="有效期止")

    display_fields = ("name", "catalogue_ref")

    class Meta:
        verbose_name = "新技术新产品"

    def __str__(self):
        return f"{self.name}（{self.catalogue_ref}）"


class Project(BaseModel):
    code = CharField(max_length=20, unique=True, verbose_name="项目编号")
    title = CharField(max_length=200, verbose_name="项目名称")
    enterprise = ForeignKeyField(
        Enterprise, backref="projects", on_delete="RESTRICT", verbose_name="企业"
    )
    lab = ForeignKeyField(Lab, backref="projects", on_delete="RESTRICT", verbose_name="实验室",
                          help_text="输入名称查找；只列出开放实验室目录中的实验室")
    activity_type = CharField(max_length=30, choices=ACTIVITY_TYPES, index=True, verbose_name="活动类型",
                              help_text="工业设计类须选择提供工业设计服务的实验室")
    priority_theme = CharField(
        max_length=30, choices=PRIORITY_THEMES, default="none", index=True, verbose_name="优先支持方向"
    )
    voucher_amount = money("创新券金额（元）")
    contract_amount = money("审定合同额（元）", null=True)
    voucher_granted_on = DateField(null=True, index=True, verbose_name="创新券发放日期")
    contract_signed_on = DateField(null=True, verbose_name="合同签订日期")
    contract_has_voucher_clause = BooleanField(default=False, verbose_name="合同含创新券条款")
    contract_voucher_amount = money("合同约定创新券额度（元）", null=True)
    status = CharField(
        max_length=20, choices=PROJECT_STATUSES, default="draft", index=True, verbose_name="状态"
    )
    submitted_at = DateTimeField(null=True, index=True, verbose_name="申报时间")
    submitted_by = ForeignKeyField(
        User, null=True, backref="+", on_delete="RESTRICT", verbose_name="申报提交人"
    )
    completion_result = CharField(
        max_length=10, choices=COMPLETION_RESULTS, null=True, verbose_name="结题结论"
    )
    completion_reason = text("专家意见", null=True)
    liable_party = CharField(max_length=20, choices=LIABLE_PARTIES, null=True, verbose_name="责任方")
    # 兑付 (DOMAIN.md §6): asked for by the office on the lab's behalf,
    # decided by another clerk.
    redemption_amount = money("兑付金额（元）", null=True,
                              help_text="不超过创新券金额，也不超过合同约定的创新券额度")
    invoice_no = CharField(max_length=60, null=True, verbose_name="发票号码")
    redemption_materials = material("兑付材料（发票及结题证明等）")
    redemption_requested_on = DateField(null=True, verbose_name="兑付申请日期")
    redemption_requested_by = ForeignKeyField(
        User, null=True, backref="+", on_delete="RESTRICT", verbose_name="兑付申请人"
    )
    redeemed_on = DateField(null=True, verbose_name="兑付日期")
    payment_ref = CharField(max_length=60, null=True, verbose_name="兑付凭证号")
    void_reason = text("作废原因", max_length=500, null=True)

    display_fields = ("code", "title")

    # States whose voucher no longer counts against the annual cap.
    NOT_COUNTED = ("rejected", "voided")

    class Meta:
        verbose_name = "创新券项目"
        # The work queue: each waiting state, oldest first (migrations/m0002).
        indexes = ((("status", "created_at"), False), (("status", "submitted_at"), False),
                   (("status", "voucher_granted_on"), False), (("status", "contract_signed_on"), False),
                   (("status", "redemption_requested_on"), False),
                   # The clerk's own requests, left out of their queue (migrations/m0009).
                   (("status", "redemption_requested_by"), False))

    def __str__(self):
        return f"{self.code} {self.title}"

    def save(self, *args, **kwargs):
        if not self.code:
            self.code = Project.next_code()
        return super().save(*args, **kwargs)

    @classmethod
    def vouchers_in_year(cls, enterprise_id, year, excluding=None):
        """The enterprise's voucher amounts applied for in the year (all but
        the rejected and the voided: a lapsed voucher frees the cap),
        summed in Decimal (the annual cap)."""
        start, end = datetime.datetime(year, 1, 1), datetime.datetime(year + 1, 1, 1)
        query = cls.select(cls.voucher_amount).where(
            cls.enterprise == enterprise_id, cls.created_at >= start, cls.created_at < end,
            cls.status.not_in(cls.NOT_COUNTED))
        if excluding is not None:
            query = query.where(cls.id != excluding)
        return sum((amount for (amount,) in query.tuples()), decimal.Decimal("0.00"))

    @classmethod
    def purchases_total(cls, project_id, excluding=None):
        """The project's new-technology purchases together (R11), summed in
        Python in Decimal: SQLite would add floats."""
        query = ProjectPurchase.select(ProjectPurchase.amount).where(ProjectPurchase.project == project_id)
        if excluding is not None:
            query = query.where(ProjectPurchase.id != excluding)
        return sum((amount for (amount,) in query.tuples()), decimal.Decimal("0.00"))

    @classmethod
    def next_code(cls, today=None):
        """CXQ + year + six-digit sequence within the year."""
        prefix = f"CXQ{(today or datetime.date.today()).year}"
        last = (
            cls.select(cls.code)
            .where(cls.code.startswith(prefix))
            # By length first: past 999,999 in a year a code has seven digits.
            .order_by(fn.LENGTH(cls.code).desc(), cls.code.desc())
            .limit(1)
            .scalar()
        )
        seq = int(last[len(prefix):]) + 1 if last else 1
        return f"{prefix}{seq:06d}"


class ProjectPurchase(BaseModel):
    project = ForeignKeyField(Project, backref="purchases", on_delete="RESTRICT", verbose_name="项目")
    product = ForeignKeyField(
        NewTechProduct, backref="purchases", on_delete="RESTRICT", verbose_name="新技术新产品"
    )
    amount = money("购买金额（元）")
    purchased_on = DateField(verbose_name="购买日期")

    class Meta:
        verbose_name = "新技术新产品购买"

    def __str__(self):
        return f"{self.product_id} / {self.amount}"


class PolicySetting(BaseModel):
    """One version of a policy parameter: the value in force from
    `effective_from` until the key's next version (DOMAIN.md §6). A change
    adds a version; a version once in force is never rewritten."""

    # What a clerk calls each parameter (the key is the program's
    # identifier; defaults, meanings and checks: program/parameters.py).
    NAMES = {
        "r1_min_served_enterprises": "推荐机构服务企业数量下限",
        "r1_min_promised_events": "推荐机构承诺活动次数下限",
        "r11_purchase_cap_ratio": "新技术新产品购买比例上限",
        "annual_voucher_cap_per_enterprise": "每家企业年度创新券金额上限",
        "contract_register_days": "登记合同期限（天）",
        "voucher_valid_months": "创新券有效期（月）",
    }

    key = CharField(max_length=60, choices=Choices(*NAMES.items()), verbose_name="参数")
    value = CharField(max_length=60, null=True, verbose_name="参数值")
    description = CharField(max_length=255, null=True, verbose_name="调整说明")
    effective_from = DateField(default=POLICY_ORIGIN, verbose_name="生效日期")
    STANDINGS = {"pending": "待生效", "in_force": "现行", "superseded": "已被取代"}

    class Meta:
        verbose_name = "政策参数"
        indexes = ((("key", "effective_from"), True),)

    def __str__(self):
        since = self.since() if self.effective_from == POLICY_ORIGIN else f"{self.since()} 起"
        return f"{self.NAMES.get(self.key, self.key)}（{since}）"

    def since(self):
        """Its 生效日期 as a clerk reads it: the first version is 初始值."""
        if self.effective_from == POLICY_ORIGIN:
            return "初始值"
        day = self.effective_from
        return day.isoformat() if isinstance(day, datetime.date) else str(day)

    @classmethod
    def versions(cls, key):
        """The key's versions, oldest first."""
        return (cls.select()
                .where(cls.key == key)
                .order_by(cls.effective_from))

    @classmethod
    def latest(cls, key):
        """The key's last version, pending or in force, or None."""
        return cls.versions(key).order_by(cls.effective_from.desc()).first()

    @classmethod
    def in_force(cls, key, day):
        """The version in force on `day`: the latest from that day or
        before (the first version runs from the program's start, however
        early the day), or None (the default applies)."""
        return (cls.versions(key)
                .where(cls.effective_from <= max(day, POLICY_ORIGIN))
                .order_by(cls.effective_from.desc())
                .first())

    def standing(self, day=None):
        """待生效, 现行 or 已被取代 on `day` (today)."""
        day = day or today()
        if self.effective_from > day:
            return "pending"
        following = (PolicySetting.select()
                     .where(PolicySetting.key == self.key,
                            PolicySetting.effective_from > self.effective_from,
                            PolicySetting.effective_from <= day)
                     .exists())
        return "superseded" if following else "in_force"


class AuditLog(BaseModel):
    at = DateTimeField(default=now, index=True, verbose_name="时间")
    user = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT", verbose_name="操作人")
    username = CharField(max_length=60, null=True, verbose_name="用户名")
    action = CharField(max_length=40, index=True, verbose_name="操作")
    model = CharField(max_length=60, null=True, verbose_name="数据表")
    object_id = IntegerField(null=True, verbose_name="记录编号")
    changes = TextField(null=True, verbose_name="变更内容")

    class Meta:
        verbose_name = "审计日志"
        indexes = ((("model", "object_id"), False),)

    def save(self, *args, **kwargs):
        # Audit rows are written once and never changed, whoever asks.
        if self.id is not None and not kwargs.get("force_insert"):
            raise PermissionError("audit_log rows are append-only")
        return super().save(*args, **kwargs)

    def delete_instance(self, *args, **kwargs):
        raise PermissionError("audit_log rows are append-only")

    @property
    def changes_dict(self):
        return json.loads(self.changes) if self.changes else {}

    @classmethod
    def history_of(cls, table, object_id, limit=50):
        """A record's trail, newest first."""
        return (cls.select(cls, User)
                .join(User, JOIN.LEFT_OUTER, on=(cls.user == User.id))
                .where(cls.model == table, cls.object_id == object_id)
                .order_by(cls.id.desc())
                .limit(limit))


class SavedFilter(BaseModel):
    """A list's filters saved under a name by a user (常用筛选)."""

    user = ForeignKeyField(User, backref="saved_filters", on_delete="CASCADE", verbose_name="用户")
    table_name = CharField(max_length=60, verbose_name="数据表")
    name = CharField(max_length=40, verbose_name="名称")
    query = CharField(max_length=1000, verbose_name="筛选条件")

    class Meta:
        verbose_name = "常用筛选"
        table_name = "saved_filter"
        indexes = ((("user", "table_name", "name"), True),)

    def __str__(self):
        return self.name

    @classmethod
    def of(cls, user, table):
        return cls.select().where(cls.user == user.id, cls.table_name == table).order_by(cls.name)


NOTICE_STATUSES = Choices(
    ("pending", "待发送"),
    ("sent", "已发送"),
    ("failed", "发送失败"),
)


class Notice(BaseModel):
    """An e-mail the program owes someone (program/notices.py), written in
    the transaction of the decision it tells of and sent by the worker
    (`send-notices`): once, by its key, whatever crashes in between."""

    key = CharField(max_length=120, unique=True, verbose_name="幂等键")
    kind = CharField(max_length=40, verbose_name="通知类型")
    table_name = CharField(max_length=60, null=True, verbose_name="数据表")
    object_id = IntegerField(null=True, verbose_name="记录编号")
    recipient = CharField(max_length=120, verbose_name="收件人")
    subject = CharField(max_length=200, verbose_name="主题")
    body = TextField(verbose_name="正文")
    status = CharField(max_length=20, choices=NOTICE_STATUSES, default="pending", index=True, verbose_name="状态")
    attempts = IntegerField(default=0, verbose_name="尝试次数")
    next_attempt_at = DateTimeField(default=now, index=True, verbose_name="下次尝试时间")
    sent_at = DateTimeField(null=True, verbose_name="发送时间")
    last_error = TextField(null=True, verbose_name="最近一次错误")

    display_fields = ("subject",)

    class Meta:
        verbose_name = "通知邮件"
        table_name = "notice"

    def __str__(self):
        return self.subject


IMPORT_STATUSES = Choices(
    ("committed", "已导入"),
    ("undone", "已撤销"),
)


class ImportBatch(BaseModel):
    """One imported file (program/importing): who, when, which file, how
    many rows; every record it wrote is an ImportBatchItem."""

    table_name = CharField(max_length=60, index=True, verbose_name="数据表")
    user = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT", verbose_name="导入人")
    username = CharField(max_length=60, null=True, verbose_name="用户名")
    # A scoped account's institution: its batches are its own (policy.SCOPE).
    institution = ForeignKeyField(RecommendingInstitution, null=True, backref="+", on_delete="RESTRICT",
                                  verbose_name="所属推荐机构")
    file_name = CharField(max_length=255, verbose_name="文件名")
    sha256 = CharField(max_length=64, verbose_name="文件 SHA-256")
    row_count = IntegerField(default=0, verbose_name="数据行数")
    created_count = IntegerField(default=0, verbose_name="新建")
    updated_count = IntegerField(default=0, verbose_name="更新")
    unchanged_count = IntegerField(default=0, verbose_name="无变化")
    status = CharField(max_length=20, choices=IMPORT_STATUSES, default="committed", index=True,
                       verbose_name="状态")
    undone_at = DateTimeField(null=True, verbose_name="撤销时间")
    undone_by = ForeignKeyField(User, null=True, backref="+", on_delete="RESTRICT", verbose_name="撤销人")

    display_fields = ("file_name",)

    class Meta:
        verbose_name = "导入批次"
        table_name = "import_batch"

    def __str__(self):
        return f"第 {self.id} 批：{self.file_name}"

    @property
    def model(self):
        return TABLES.get(self.table_name)


class ImportBatchItem(Model):
    """A record an import created or changed: its version right after the
    import (an undo refuses once it moved on) and, for a change, the values
    before it (JSON)."""

    batch = ForeignKeyField(ImportBatch, backref="items", on_delete="CASCADE")
    table_name = CharField(max_length=60)
    record_id = IntegerField()
    created = BooleanField(default=False)
    version = IntegerField()
    before = TextField(null=True)

    class Meta:
        database = db
        table_name = "import_batch_item"
        indexes = ((("table_name", "record_id"), False),)


class Tally(Model):
    """Counts kept in step by triggers (program/tallies.py); never written
    by the application itself."""

    kind = CharField(max_length=60)
    key = CharField(max_length=60)
    n = BigIntegerField(default=0)
    amount = BigIntegerField(default=0)  # fen
    changes = BigIntegerField(default=0)

    class Meta:
        database = db
        table_name = "tally"
        primary_key = CompositeKey("kind", "key")


ALL_MODELS = (
    User,
    StoredFile,
    RecommendingInstitution,
    PromotionEvent,
    ServiceInstitution,
    PerformanceEvaluation,
    DomainCenterMember,
    Lab,
    Enterprise,
    NewTechProduct,
    Project,
    ProjectPurchase,
    PolicySetting,
    AuditLog,
    SavedFilter,
    ImportBatch,
    ImportBatchItem,
    Notice,
    # Last: emptied after the tables its triggers count (tests/support.wipe).
    Tally,
)

TABLES = {model._meta.table_name: model for model in ALL_MODELS}

# The key that closes a circle of references; its constraint is added
# after the tables exist (see init_db.create_schema).
DEFERRED_KEYS = (User.institution,)


def open_database(url, default_sqlite_path):
    """The database named by DATABASE_URL, or the embedded SQLite file."""
    if not url or url.startswith("sqlite:"):
        path = default_sqlite_path
        if url and url.startswith("sqlite:///"):
            path = url[len("sqlite:///"):]
        # foreign_keys: SQLite only enforces them when asked; WAL lets readers
        # go on while a clerk saves. Every transaction takes the write lock
        # when it begins (BEGIN IMMEDIATE): a deferred one that reads first
        # and writes later fails at once with "database is locked" if another
        # writer got in between (busy_timeout does not cover that upgrade),
        # while an immediate one waits its turn for up to busy_timeout.
        return SqliteDatabase(
            path,
            pragmas={"foreign_keys": 1, "journal_mode": "wal", "busy_timeout": 10_000,
                     "cache_size": -32000},
            lock_type="IMMEDIATE",
        )
    if url.startswith(("postgresql://", "postgres://")):
        # A pool: each request borrows a connection instead of opening one
        # (a PostgreSQL connection costs milliseconds to set up).
        url = "postgres+pool://" + url.split("://", 1)[1]
        separator = "&" if "?" in url else "?"
        url += f"{separator}max_connections=20&stale_timeout=300"
    return connect(url)


def hold(query):
    """Lock the rows of `query` until the transaction ends, so that a rule
    which reads them and then allows a write is not raced by another
    clerk doing the same (PostgreSQL's READ COMMITTED would let both
    through). SQLite needs nothing: its write transactions run one at a
    time (BEGIN IMMEDIATE)."""
    if is_postgres():
        list(query.order_by(query.model.id).for_update())


def is_postgres(database=None):
    return isinstance(database or db.obj, PostgresqlDatabase)


def create_schema(database=None):
    """Create what is missing; safe to run again."""
    database = database or db.obj
    with database.connection_context():
        database.create_tables(ALL_MODELS, safe=True)
        if is_postgres(database):
            # SQLite cannot add a constraint to an existing table; there the
            # application's reference check before a delete covers this key.
            for field in DEFERRED_KEYS:
                table = field.model._meta.table_name
                name = f"fk_{table}_{field.column_name}_refs_{field.rel_model._meta.table_name}"
                exists = database.execute_sql(
                    "SELECT 1 FROM information_schema.table_constraints"
                    " WHERE constraint_name = %s",
                    (name,),
                ).fetchone()
                if not exists:
                    database.execute_sql(
                        f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}"'
                        f' FOREIGN KEY ("{field.column_name}")'
                        f' REFERENCES "{field.rel_model._meta.table_name}" ("id")'
                    )
