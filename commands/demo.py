"""A realistic demo data set in Chinese, consistent with the program rules:
dozens of each record, in every state. Deterministic for a seed."""
import datetime
from decimal import Decimal

from werkzeug.security import generate_password_hash

from commands.generators import Demo
from commands.words import CITY_WORDS, INSTITUTES, SOES, TRADE_WORDS, UNIVERSITIES
from models import (
    ACTIVITY_TYPES,
    DISTRICTS,
    DOMAIN_FIELDS,
    DomainCenterMember,
    Enterprise,
    Lab,
    NewTechProduct,
    PerformanceEvaluation,
    Project,
    ProjectPurchase,
    PromotionEvent,
    RecommendingInstitution,
    ServiceInstitution,
    User,
    now,
)
from program import parameters, passwords, policy

# The states of each kind of record, in the numbers the demo shows.
RI_STATES = (["draft"] * 3 + ["submitted"] * 4 + ["rejected"] * 3 + ["approved"] * 4
             + ["account_opened"] * 4 + ["profile_completed"] * 3 + ["trained"] * 5)
SI_STATES = ["draft"] * 3 + ["submitted"] * 4 + ["rejected"] * 2 + ["approved"] * 13
MEMBER_STATES = ["draft"] * 3 + ["submitted"] * 4 + ["rejected"] * 3 + ["approved"] * 14
LAB_STATES = ["draft"] * 4 + ["submitted"] * 5 + ["rejected"] * 3 + ["approved"] * 36
PROJECT_STATES = (["draft"] * 12 + ["submitted"] * 15 + ["rejected"] * 10 + ["granted"] * 20
                  + ["contracted"] * 25 + ["passed"] * 28 + ["failed"] * 10)
THEMES = ("none", "none", "none", "epidemic", "digital", "instrument_online")
TOPICS = ("性能检测", "联合攻关", "工艺优化", "样机试制", "结构改进", "数据平台开发", "在线服务系统研发", "检验检测")
# How a lab of each category is named.
LAB_NAMES = {"national_key_lab": "国家重点实验室", "beijing_key_lab": "北京市重点实验室",
             "national_engineering_center": "国家工程技术研究中心",
             "beijing_engineering_center": "北京市工程技术研究中心",
             "beijing_design_center": "设计创新中心", "public_service": "公共检测服务平台",
             "other": "联合实验室"}
DEMO_ACCOUNTS = ("admin", "clerk", "reviewer", "jigou01")


class DemoData(Demo):
    """The demo data set, a step per kind of record, each step drawing on
    the ones before (institutions before their events, labs before projects)."""

    def __init__(self, seed, upload_dir):
        super().__init__(seed, upload_dir)
        self.today = datetime.date.today()
        self.start = datetime.datetime(self.today.year - 2, 1, 5, 9, 0)
        self.passwords = {}
        self.summary = {}

    def when(self, days):
        return self.start + datetime.timedelta(days=self.rnd.randint(0, days))

    def account(self, username, role, display_name, institution=None):
        password = passwords.generate()
        self.passwords[username] = (role, password)
        # R2 (Q4): an institution's first password is changed at its first login.
        return User.create(username=username, display_name=display_name, role=role, institution=institution,
                           password_hash=generate_password_hash(password),
                           must_change_password=policy.needs_institution(role))

    def office_accounts(self):
        self.account("admin", policy.ADMIN, "系统管理员")
        self.clerk = self.account("clerk", policy.CLERK, "办公室 " + self.person())
        self.reviewer = self.account("reviewer", policy.REVIEWER, "市科委 " + self.person())
        # Who entered and submitted the demo's applications: a colleague, so
        # that `clerk` may decide them (separation of duties).
        self.applicant = self.account("clerk_li", policy.CLERK, "办公室 李华")

    # --- recommending institutions, every state of Q4 -------------------------------------
    def recommending_institutions(self):
        self.institutions = [self.recommending_institution(i, status) for i, status in enumerate(RI_STATES)]
        self.active = [ri for ri in self.institutions if ri.status in RecommendingInstitution.ACTIVE]
        self.summary["推荐机构"] = len(self.institutions)

    def recommending_institution(self, i, status):
        rnd = self.rnd
        name = self.unique(lambda: f"北京{rnd.choice(CITY_WORDS)}{rnd.choice(TRADE_WORDS)}"
                           f"{rnd.choice(('科技企业孵化器', '创业服务中心', '产业促进会', '众创空间', '科技服务有限公司'))}")
        when = self.when(400)
        complete = status != "draft"
        ri = RecommendingInstitution.create(
            name=name, credit_code=self.credit_code(),
            contact_name=self.person(), contact_phone=self.phone(), contact_email=self.email(i, "fuhuaqi.cn"),
            served_enterprise_count=rnd.randint(30, 260) if complete else rnd.randint(5, 40),
            promised_event_count=rnd.randint(2, 8) if complete else rnd.randint(0, 3),
            work_mechanism=("设立创新券服务专员，建立企业需求台账，按月走访在孵企业，"
                            "辐射小微企业约 " + str(rnd.randint(50, 400)) + " 家。") if complete else None,
            safeguards="成立创新券工作小组，明确业务流程，制定年度工作计划。" if complete else None,
            application_form=self.pdf(f"{name}-推荐机构申请表.pdf") if complete else None,
            commitment_letter=self.pdf(f"{name}-承诺函.pdf") if complete else None,
            status=status, **self.reviewed(status, self.reviewer, when, self.applicant),
        )
        self.after_approval(ri, when)
        return ri

    def after_approval(self, ri, when):
        """Q4: the account opened, the profile completed, the training held."""
        if ri.status in ("account_opened", "profile_completed", "trained"):
            ri.account_opened_at = when + datetime.timedelta(days=25)
        if ri.status in ("profile_completed", "trained"):
            ri.introduction = f"{ri.name}长期服务{self.rnd.choice(TRADE_WORDS)}领域小微企业，提供政策辅导与对接服务。"
            ri.service_features = "政策宣讲、需求挖掘、实验室对接、项目申报辅导。"
        if ri.status == "trained":
            ri.trained_on = (when + datetime.timedelta(days=40)).date()
        ri.save()

    def events(self):
        rnd, count = self.rnd, 0
        for ri in self.active:
            # Some institutions are behind their promise (R3 report).
            for _ in range(rnd.randint(0, ri.promised_event_count + 2)):
                kind = rnd.choice(("promotion", "matchmaking"))
                PromotionEvent.create(
                    institution=ri, kind=kind, held_on=self.day(self.today - datetime.timedelta(days=500), 480),
                    title=f"{rnd.choice(CITY_WORDS)}创新券{'政策宣讲会' if kind == 'promotion' else '企业实验室对接会'}",
                    participant_count=rnd.randint(15, 180))
                count += 1
        self.summary["宣传对接活动"] = count

    def institution_accounts(self):
        opened = [ri for ri in self.institutions if ri.account_opened_at]
        for n, ri in enumerate(opened, start=1):
            self.account(f"jigou{n:02d}", policy.INSTITUTION, ri.name, institution=ri)

    # --- professional service institutions (R4) and their evaluations -----------------------
    def service_institutions(self):
        self.centers = list(ServiceInstitution.domain_centers())
        self.services = [self.service_institution(i, status) for i, status in enumerate(SI_STATES)]
        self.approved_services = [s for s in self.services if s.status == "approved"]
        self.summary["专业服务机构"] = len(self.services) + len(self.centers)

    def service_institution(self, i, status):
        rnd = self.rnd
        kind = rnd.choice(("university", "university", "research_institute", "central_soe_group"))
        parent = rnd.choice({"university": UNIVERSITIES, "research_institute": INSTITUTES,
                             "central_soe_group": SOES}[kind])
        name = self.unique(lambda: f"{parent}{rnd.choice(TRADE_WORDS)}"
                           f"{rnd.choice(('技术转移中心', '科技开发有限公司', '测试中心', '资产经营有限公司'))}")
        when = self.when(300)
        submitted = status != "draft"
        return ServiceInstitution.create(
            name=name, credit_code=self.credit_code(), parent_org_name=parent, parent_org_type=kind,
            parent_in_platform=True, is_independent_legal_entity=True,
            contact_name=self.person(), contact_phone=self.phone(), contact_email=self.email(i, "keji.cn"),
            application_form=self.pdf(f"{name}-申请表.pdf") if submitted else None,
            commitment_letter=self.pdf(f"{name}-承诺函.pdf") if submitted else None,
            management_rules=self.pdf(f"{name}-创新券管理办法细则.pdf") if submitted else None,
            authorization_letter=self.pdf(f"{name}-授权函.pdf") if submitted else None,
            status=status, **self.reviewed(status, self.clerk, when, self.applicant),
        )

    def evaluations(self):
        count = 0
        for si in self.approved_services + self.centers:
            for year in (self.today.year - 2, self.today.year - 1):
                score = Decimal(self.rnd.randint(55, 98))
                grade = "excellent" if score >= 90 else "good" if score >= 80 else "pass" if score >= 60 else "fail"
                PerformanceEvaluation.create(institution=si, year=year, score=score, grade=grade,
                                             comments="服务规范，按时报送数据。" if score >= 60 else "服务量不足，需整改。")
                count += 1
        self.summary["年度绩效评价"] = count

    # --- domain-center members (R7) and labs (R5, R6, R7) ------------------------------------------
    def members(self):
        self.members_made = [self.member(i, status) for i, status in enumerate(MEMBER_STATES)]
        self.approved_members = [m for m in self.members_made if m.status == "approved"]
        self.summary["领域中心成员单位"] = len(self.members_made)

    def member(self, i, status):
        rnd = self.rnd
        center = self.centers[i % len(self.centers)]
        org_type = rnd.choice(("university_outside_platform", "research_institute_outside_platform",
                               "private_enterprise", "private_enterprise"))
        suffix = {"university_outside_platform": "学院", "research_institute_outside_platform": "研究所",
                  "private_enterprise": "科技股份有限公司"}[org_type]
        name = self.unique(lambda: f"北京{rnd.choice(CITY_WORDS)}{rnd.choice(TRADE_WORDS)}{suffix}")
        when = self.when(300)
        letter = f"{name}-授权委托书（{DOMAIN_FIELDS.label(center.domain)}）.pdf"
        return DomainCenterMember.create(
            name=name, credit_code=self.credit_code(), org_type=org_type, domain_center=center,
            field=center.domain, contact_name=self.person(), contact_phone=self.phone(),
            contact_email=self.email(i, "member.cn"),
            authorization_letter=self.pdf(letter) if status != "draft" else None,
            status=status, **self.reviewed(status, self.clerk, when, self.applicant),
        )

    def labs(self):
        self.labs_made = [self.lab(i, status) for i, status in enumerate(LAB_STATES)]
        self.directory = list(Lab.in_directory().order_by(Lab.id))
        self.design_labs = [lab for lab in self.directory if "industrial_design" in lab.capabilities]
        self.summary["开放实验室"] = len(self.labs_made)

    def lab(self, i, status):
        rnd = self.rnd
        category = "other" if status == "rejected" and i % 2 else rnd.choice(Lab.ELIGIBLE_CATEGORIES)
        member = rnd.choice(self.approved_members) if self.approved_members and i % 4 == 0 else None
        reporter = member.domain_center if member else rnd.choice(self.approved_services)
        capabilities = set(rnd.sample(ACTIVITY_TYPES.words[:5], rnd.randint(1, 3)))
        if category == "beijing_design_center" or (member and member.field == "industrial_design"):
            capabilities |= {"industrial_design", "rd_design"}
        owner = member.name if member else reporter.parent_org_name
        name = self.unique(lambda: f"{owner}{rnd.choice(TRADE_WORDS)}{LAB_NAMES[category]}")
        when = self.when(400)
        recognised = category in Lab.ELIGIBLE_CATEGORIES
        return Lab.create(
            name=name, category=category,
            recognition_ref=f"京科发〔{rnd.randint(2015, self.today.year - 1)}〕{rnd.randint(10, 300)}号"
            if recognised else None,
            service_institution=reporter, member_unit=member, capabilities=sorted(capabilities),
            contact_name=self.person(), contact_phone=self.phone(), contact_email=self.email(i, "lab.cn"),
            status=status, **self.reviewed(status, self.clerk, when, self.applicant),
        )

    # --- enterprises (R8) and new technology products (R11) ------------------------------------------
    def enterprises(self):
        self.enterprises_made = [self.enterprise(i) for i in range(90)]
        self.summary["企业"] = len(self.enterprises_made)

    def enterprise(self, i):
        rnd = self.rnd
        kind = rnd.choice(("small", "small", "micro", "micro", "startup_team"))
        team = kind == "startup_team"
        suffix = "创业团队" if team else rnd.choice(("科技有限公司", "信息技术有限公司", "生物科技有限公司"))
        name = self.unique(lambda: f"北京{rnd.choice(CITY_WORDS)}{rnd.choice(TRADE_WORDS)}{suffix}")
        return Enterprise.create(
            name=name, kind=kind, credit_code=None if team else self.credit_code(),
            district=rnd.choice(DISTRICTS.words),
            employee_count=rnd.randint(3, 15) if team else rnd.randint(8, 95),
            annual_revenue=None if team else Decimal(rnd.randint(50, 4000)) * 10000,
            contact_name=self.person(), contact_phone=self.phone(), contact_email=self.email(i, "qiye.cn"),
            recommended_by=rnd.choice(self.active) if rnd.random() < 0.7 else None,
        )

    def products(self):
        rnd, self.products_made = self.rnd, []
        for i in range(32):
            valid_from = self.day(self.today - datetime.timedelta(days=900), 500)
            kinds = ("在线监测系统", "检测试剂盒", "工业软件", "智能终端", "数据平台服务", "精密传感器")
            self.products_made.append(NewTechProduct.create(
                name=self.unique(lambda: f"{rnd.choice(TRADE_WORDS)}{rnd.choice(kinds)}"),
                supplier=f"北京{rnd.choice(CITY_WORDS)}{rnd.choice(TRADE_WORDS)}股份有限公司",
                catalogue_ref=f"XJS-{valid_from.year}-{i + 1:04d}",
                valid_from=valid_from, valid_to=valid_from + datetime.timedelta(days=rnd.choice((365, 730, 1095))),
            ))
        self.summary["新技术新产品"] = len(self.products_made)

    # --- projects, every state, and their purchases (R10, R11, R12) ----------------------------------
    def projects(self):
        self.purchases = 0
        for status in PROJECT_STATES:
            self.project(status)
        self.summary["创新券项目"] = len(PROJECT_STATES)
        self.summary["新技术新产品购买"] = self.purchases

    def project(self, status):
        rnd = self.rnd
        activity = rnd.choice(ACTIVITY_TYPES.words)
        lab = rnd.choice(self.design_labs if activity == "industrial_design" and self.design_labs else self.directory)
        if activity == "industrial_design" and "industrial_design" not in lab.capabilities:
            activity = "testing"  # R9
        enterprise = rnd.choice(self.enterprises_made)
        contract_amount = Decimal(rnd.randint(10, 200)) * 1000
        voucher = (contract_amount * Decimal(rnd.choice(("0.5", "0.6", "0.8")))).quantize(Decimal("0.01"))
        project = Project(
            title=f"{enterprise.name[2:6]}{rnd.choice(TRADE_WORDS)}{rnd.choice(TOPICS)}项目",
            enterprise=enterprise, lab=lab, activity_type=activity, priority_theme=rnd.choice(THEMES),
            voucher_amount=voucher, status=status,
        )
        self.decided(project, contract_amount, voucher)
        project.save()
        if status in ("contracted", "passed") and rnd.random() < 0.4:
            self.purchases_of(project, contract_amount)

    def decided(self, project, contract_amount, voucher):
        """The fields each later step fills: grant, contract (R10), review (R12)."""
        status, rnd = project.status, self.rnd
        if status in ("granted", "contracted", "passed", "failed"):
            project.voucher_granted_on = self.day(self.today - datetime.timedelta(days=600), 400)
        if status != "draft":
            # Applied for a few weeks before the grant, or lately if still waiting
            # (derived, not drawn: the demo's other values stay as they were).
            spread = len(project.title)
            decided_on = project.voucher_granted_on or self.today - datetime.timedelta(days=3 + spread % 20)
            project.submitted_by = self.applicant
            project.submitted_at = datetime.datetime.combine(
                decided_on - datetime.timedelta(days=7 + spread % 30), datetime.time(9 + spread % 8, 30))
        if status == "granted":
            self.lapsed(project)
        if status in ("contracted", "passed", "failed"):
            # R10: signed after the grant, with the voucher clause and amount.
            project.contract_amount = contract_amount
            project.contract_signed_on = project.voucher_granted_on + datetime.timedelta(days=rnd.randint(3, 15))
            project.contract_has_voucher_clause = True
            project.contract_voucher_amount = voucher
        if status == "passed":
            project.completion_result = "passed"
            project.completion_reason = "项目按合同完成，材料齐全，同意结题。"
            self.redemption(project)
        if status == "failed":
            project.completion_result = "failed"
            project.completion_reason = "未按合同约定完成研发任务，成果不达标。"
            project.liable_party = rnd.choice(("enterprise", "lab", "both", "per_contract"))

    def lapsed(self, project):
        """Of the granted projects, one in four let its contract deadline
        pass (DOMAIN.md §6): voided, its reason given (derived from the
        title, not drawn)."""
        if len(project.title) % 4 == 0:
            project.status = "voided"
            project.void_reason = "发放后 15 日内未登记合同，创新券已作废"

    def redemption(self, project):
        """Of the passed projects, a third asked for redemption and a third
        redeemed (derived from the title, not drawn: the demo's other values
        stay as they were)."""
        step = len(project.title) % 3
        if step == 0:
            return
        asked = min(project.contract_signed_on + datetime.timedelta(days=90), self.today)
        project.redemption_amount = project.contract_voucher_amount
        project.invoice_no = f"No.{project.contract_signed_on:%Y%m%d}{len(project.title):02d}"
        project.redemption_requested_on = asked
        project.redemption_requested_by = self.applicant
        project.status = "redemption_requested"
        if step == 2:
            project.status = "redeemed"
            project.redeemed_on = min(asked + datetime.timedelta(days=20), self.today)
            project.payment_ref = f"兑付〔{asked.year}〕{len(project.title)}号"

    def purchases_of(self, project, contract_amount):
        """R11: valid on the purchase date, together at most the cap in force on the grant date."""
        ratio = parameters.ratio("r11_purchase_cap_ratio", project.voucher_granted_on)
        budget = (contract_amount * ratio).quantize(Decimal("0.01"))
        for _ in range(self.rnd.randint(1, 2)):
            on = project.contract_signed_on + datetime.timedelta(days=self.rnd.randint(1, 60))
            valid = [p for p in self.products_made if p.valid_from <= on <= p.valid_to]
            amount = (budget / 2).quantize(Decimal("0.01"))
            if valid and amount > 0:
                ProjectPurchase.create(project=project, product=self.rnd.choice(valid), amount=amount, purchased_on=on)
                self.purchases += 1


STEPS = ("office_accounts", "recommending_institutions", "events", "institution_accounts", "service_institutions",
         "evaluations", "members", "labs", "enterprises", "products", "projects")


def seed(seed, upload_dir):
    """Create the demo records; returns ({table: count}, [(username, role, password)])."""
    data = DemoData(seed, upload_dir)
    for step in STEPS:
        getattr(data, step)()
    data.summary["系统账号"] = len(data.passwords)
    accounts = [(u, role, pw) for u, (role, pw) in data.passwords.items() if u in DEMO_ACCOUNTS]
    return data.summary, accounts


__all__ = ["seed", "now"]
