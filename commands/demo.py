"""A realistic demo data set in Chinese, consistent with the program rules:
dozens of each record, in every state. Deterministic for a seed."""
import datetime
import random
import secrets
from decimal import Decimal

from program import materials
from models import (
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
from program.checks import CREDIT_CODE_CHARSET, credit_code_check_char

# Beijing district administrative codes, for credit codes of the right shape.
REGION_CODES = ("110101", "110102", "110105", "110106", "110107", "110108", "110109", "110111",
                "110112", "110113", "110114", "110115", "110116", "110117", "110118", "110119")

CITY_WORDS = ("中关村", "京华", "燕山", "海淀", "朝阳", "亦庄", "未来", "望京", "金隅", "长城",
              "北辰", "博雅", "清源", "永定", "紫光", "天坛", "昌平", "通惠", "京西", "云岗")
TRADE_WORDS = ("智能", "生物", "新材料", "信息", "医疗", "环保", "精密", "数据", "能源", "光电",
               "微电子", "检测", "软件", "农业", "设计", "仪器", "机器人", "健康", "传感", "云计算")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林高罗"
GIVEN = ("伟", "芳", "娜", "敏", "静", "磊", "强", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "霞", "平", "刚", "玲")
UNIVERSITIES = ("北京理工大学", "北京航空航天大学", "北京科技大学", "北京化工大学", "北京工业大学",
                "北京邮电大学", "北京交通大学", "北京林业大学", "中国农业大学", "北京师范大学")
INSTITUTES = ("中国科学院北京分院", "北京市科学技术研究院", "中国电子科技集团第十五研究所",
              "中国建筑材料科学研究总院", "机械科学研究总院")
SOES = ("中国电子信息产业集团", "中国航天科工集团", "国家电网有限公司", "中国中化控股")

# A minimal, well-formed PDF: the demo's application materials.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def random_credit_code(rnd, seen):
    """A well-formed credit code of a Beijing enterprise, not yet in `seen`."""
    while True:
        body = "91" + rnd.choice(REGION_CODES) + "".join(rnd.choice(CREDIT_CODE_CHARSET) for _ in range(9))
        code = body + credit_code_check_char(body)
        if code not in seen:
            seen.add(code)
            return code


class Demo:
    def __init__(self, seed, upload_dir):
        self.rnd = random.Random(seed)
        self.upload_dir = upload_dir
        self.used_names = set()
        self.used_codes = set()

    # --- small generators ---------------------------------------------------
    def credit_code(self):
        return random_credit_code(self.rnd, self.used_codes)

    def unique(self, make):
        while True:
            name = make()
            if name not in self.used_names:
                self.used_names.add(name)
                return name

    def person(self):
        return self.rnd.choice(SURNAMES) + "".join(self.rnd.choice(GIVEN) for _ in range(self.rnd.randint(1, 2)))

    def phone(self):
        return "1" + self.rnd.choice("3456789") + "".join(self.rnd.choice("0123456789") for _ in range(9))

    def email(self, i, domain="example.cn"):
        return f"contact{i:03d}@{domain}"

    def day(self, start, span_days):
        return start + datetime.timedelta(days=self.rnd.randint(0, span_days))

    def pdf(self, name):
        return materials.store(DEMO_PDF, "pdf", name, self.upload_dir)

    def reviewed(self, status, reviewer, when):
        if status in ("draft",):
            return {}
        fields = {"submitted_at": when}
        if status not in ("submitted",):
            fields.update(
                reviewed_by=reviewer,
                reviewed_at=when + datetime.timedelta(days=self.rnd.randint(3, 20)),
                review_opinion="材料齐全，符合条件，同意。" if status != "rejected" else "材料不完整，请补充后重新提交。",
            )
        return fields


def seed(seed, upload_dir=None):
    """Create the demo records; returns ({table: count}, [(username, role, password)])."""
    from flask import current_app

    d = Demo(seed, upload_dir or current_app.config["UPLOAD_DIR"])
    rnd = d.rnd
    today = datetime.date.today()
    start = datetime.datetime(today.year - 2, 1, 5, 9, 0)

    passwords = {}

    def account(username, role, display_name, institution=None):
        from werkzeug.security import generate_password_hash

        password = secrets.token_urlsafe(9)
        passwords[username] = (role, password)
        return User.create(
            username=username, display_name=display_name, role=role, institution=institution,
            password_hash=generate_password_hash(password),
        )

    account("admin", "admin", "系统管理员")
    clerk = account("clerk", "clerk", "办公室 " + d.person())
    reviewer = account("reviewer", "reviewer", "市科委 " + d.person())

    # --- recommending institutions, every state of Q4 --------------------------
    ri_states = (["draft"] * 3 + ["submitted"] * 4 + ["rejected"] * 3 + ["approved"] * 4
                 + ["account_opened"] * 4 + ["profile_completed"] * 3 + ["trained"] * 5)
    institutions = []
    for i, status in enumerate(ri_states):
        name = d.unique(lambda: f"北京{rnd.choice(CITY_WORDS)}{rnd.choice(TRADE_WORDS)}"
                        f"{rnd.choice(('科技企业孵化器', '创业服务中心', '产业促进会', '众创空间', '科技服务有限公司'))}")
        when = start + datetime.timedelta(days=rnd.randint(0, 400))
        complete = status != "draft"
        ri = RecommendingInstitution.create(
            name=name, credit_code=d.credit_code(),
            contact_name=d.person(), contact_phone=d.phone(), contact_email=d.email(i, "fuhuaqi.cn"),
            served_enterprise_count=rnd.randint(30, 260) if complete else rnd.randint(5, 40),
            promised_event_count=rnd.randint(2, 8) if complete else rnd.randint(0, 3),
            work_mechanism=("设立创新券服务专员，建立企业需求台账，按月走访在孵企业，"
                            "辐射小微企业约 " + str(rnd.randint(50, 400)) + " 家。") if complete else None,
            safeguards="成立创新券工作小组，明确业务流程，制定年度工作计划。" if complete else None,
            application_form=d.pdf(f"{name}-推荐机构申请表.pdf") if complete else None,
            commitment_letter=d.pdf(f"{name}-承诺函.pdf") if complete else None,
            status=status,
            **d.reviewed(status, reviewer, when),
        )
        if status in ("account_opened", "profile_completed", "trained"):
            ri.account_opened_at = when + datetime.timedelta(days=25)
        if status in ("profile_completed", "trained"):
            ri.introduction = f"{name}长期服务{rnd.choice(TRADE_WORDS)}领域小微企业，提供政策辅导与对接服务。"
            ri.service_features = "政策宣讲、需求挖掘、实验室对接、项目申报辅导。"
        if status == "trained":
            ri.trained_on = (when + datetime.timedelta(days=40)).date()
        ri.save()
        institutions.append(ri)

    active = [ri for ri in institutions if ri.status in ("approved", "account_opened", "profile_completed", "trained")]
    events = 0
    for ri in active:
        # Some institutions are behind their promise (R3 report).
        held = rnd.randint(0, ri.promised_event_count + 2)
        for _ in range(held):
            kind = rnd.choice(("promotion", "matchmaking"))
            PromotionEvent.create(
                institution=ri, kind=kind,
                held_on=d.day(today - datetime.timedelta(days=500), 480),
                title=f"{rnd.choice(CITY_WORDS)}创新券{'政策宣讲会' if kind == 'promotion' else '企业实验室对接会'}",
                participant_count=rnd.randint(15, 180),
            )
            events += 1

    opened = [ri for ri in institutions if ri.account_opened_at]
    for n, ri in enumerate(opened, start=1):
        account(f"jigou{n:02d}", "institution", ri.name, institution=ri)

    # --- professional service institutions (R4) ----------------------------------
    si_states = ["draft"] * 3 + ["submitted"] * 4 + ["rejected"] * 2 + ["approved"] * 13
    centers = list(ServiceInstitution.select().where(ServiceInstitution.is_domain_center == True))  # noqa: E712
    services = []
    for i, status in enumerate(si_states):
        kind = rnd.choice(("university", "university", "research_institute", "central_soe_group"))
        parent = rnd.choice({"university": UNIVERSITIES, "research_institute": INSTITUTES,
                             "central_soe_group": SOES}[kind])
        name = d.unique(lambda: f"{parent}{rnd.choice(TRADE_WORDS)}{rnd.choice(('技术转移中心', '科技开发有限公司', '测试中心', '资产经营有限公司'))}")
        when = start + datetime.timedelta(days=rnd.randint(0, 300))
        si = ServiceInstitution.create(
            name=name, credit_code=d.credit_code(), parent_org_name=parent, parent_org_type=kind,
            parent_in_platform=True, is_independent_legal_entity=True,
            contact_name=d.person(), contact_phone=d.phone(), contact_email=d.email(i, "keji.cn"),
            application_form=d.pdf(f"{name}-申请表.pdf") if status != "draft" else None,
            commitment_letter=d.pdf(f"{name}-承诺函.pdf") if status != "draft" else None,
            management_rules=d.pdf(f"{name}-创新券管理办法细则.pdf") if status != "draft" else None,
            authorization_letter=d.pdf(f"{name}-授权函.pdf") if status != "draft" else None,
            status=status, **d.reviewed(status, clerk, when),
        )
        services.append(si)
    approved_services = [s for s in services if s.status == "approved"]
    evaluations = 0
    for si in approved_services + centers:
        for year in (today.year - 2, today.year - 1):
            score = Decimal(rnd.randint(55, 98))
            grade = "excellent" if score >= 90 else "good" if score >= 80 else "pass" if score >= 60 else "fail"
            PerformanceEvaluation.create(institution=si, year=year, score=score, grade=grade,
                                         comments="服务规范，按时报送数据。" if score >= 60 else "服务量不足，需整改。")
            evaluations += 1

    # --- domain-center members (R7) ------------------------------------------------
    member_states = ["draft"] * 3 + ["submitted"] * 4 + ["rejected"] * 3 + ["approved"] * 14
    members = []
    domain_names = dict(DOMAIN_FIELDS)
    for i, status in enumerate(member_states):
        center = centers[i % len(centers)]
        org_type = rnd.choice(("university_outside_platform", "research_institute_outside_platform",
                               "private_enterprise", "private_enterprise"))
        suffix = {"university_outside_platform": "学院", "research_institute_outside_platform": "研究所",
                  "private_enterprise": "科技股份有限公司"}[org_type]
        name = d.unique(lambda: f"北京{rnd.choice(CITY_WORDS)}{rnd.choice(TRADE_WORDS)}{suffix}")
        when = start + datetime.timedelta(days=rnd.randint(0, 300))
        members.append(DomainCenterMember.create(
            name=name, credit_code=d.credit_code(), org_type=org_type, domain_center=center,
            field=center.domain, contact_name=d.person(), contact_phone=d.phone(),
            contact_email=d.email(i, "member.cn"),
            authorization_letter=d.pdf(f"{name}-授权委托书（{domain_names[center.domain]}）.pdf") if status != "draft" else None,
            status=status, **d.reviewed(status, clerk, when),
        ))
    approved_members = [m for m in members if m.status == "approved"]

    # --- labs (R5, R6, R7) --------------------------------------------------------------
    eligible = ("national_key_lab", "beijing_key_lab", "national_engineering_center",
                "beijing_engineering_center", "beijing_design_center", "public_service")
    lab_states = ["draft"] * 4 + ["submitted"] * 5 + ["rejected"] * 3 + ["approved"] * 36
    labs = []
    for i, status in enumerate(lab_states):
        category = "other" if status == "rejected" and i % 2 else rnd.choice(eligible)
        via_member = approved_members and i % 4 == 0
        member = rnd.choice(approved_members) if via_member else None
        reporter = member.domain_center if member else rnd.choice(approved_services)
        capabilities = set(rnd.sample([c for c, _ in Lab.capabilities.options][:5], rnd.randint(1, 3)))
        if category == "beijing_design_center" or (member and member.field == "industrial_design"):
            capabilities |= {"industrial_design", "rd_design"}
        owner = member.name if member else reporter.parent_org_name
        label = {"national_key_lab": "国家重点实验室", "beijing_key_lab": "北京市重点实验室",
                 "national_engineering_center": "国家工程技术研究中心",
                 "beijing_engineering_center": "北京市工程技术研究中心",
                 "beijing_design_center": "设计创新中心", "public_service": "公共检测服务平台",
                 "other": "联合实验室"}[category]
        name = d.unique(lambda: f"{owner}{rnd.choice(TRADE_WORDS)}{label}")
        when = start + datetime.timedelta(days=rnd.randint(0, 400))
        labs.append(Lab.create(
            name=name, category=category,
            recognition_ref=f"京科发〔{rnd.randint(2015, today.year - 1)}〕{rnd.randint(10, 300)}号" if category != "other" else None,
            service_institution=reporter, member_unit=member, capabilities=sorted(capabilities),
            contact_name=d.person(), contact_phone=d.phone(), contact_email=d.email(i, "lab.cn"),
            status=status, **d.reviewed(status, clerk, when),
        ))
    directory = [lab for lab in labs if lab.status == "approved" and lab.category in eligible]
    design_labs = [lab for lab in directory if "industrial_design" in lab.capabilities]

    # --- enterprises (R8) ------------------------------------------------------------------
    enterprises = []
    district_codes = [c for c, _ in DISTRICTS]
    for i in range(90):
        kind = rnd.choice(("small", "small", "micro", "micro", "startup_team"))
        suffix = "创业团队" if kind == "startup_team" else rnd.choice(("科技有限公司", "信息技术有限公司", "生物科技有限公司"))
        name = d.unique(lambda: f"北京{rnd.choice(CITY_WORDS)}{rnd.choice(TRADE_WORDS)}{suffix}")
        enterprises.append(Enterprise.create(
            name=name, kind=kind, credit_code=None if kind == "startup_team" else d.credit_code(),
            district=rnd.choice(district_codes),
            employee_count=rnd.randint(3, 15) if kind == "startup_team" else rnd.randint(8, 95),
            annual_revenue=None if kind == "startup_team" else Decimal(rnd.randint(50, 4000)) * 10000,
            contact_name=d.person(), contact_phone=d.phone(), contact_email=d.email(i, "qiye.cn"),
            recommended_by=rnd.choice(active) if rnd.random() < 0.7 else None,
        ))

    # --- new technology products (R11) ---------------------------------------------------------
    products = []
    for i in range(32):
        valid_from = d.day(today - datetime.timedelta(days=900), 500)
        products.append(NewTechProduct.create(
            name=d.unique(lambda: f"{rnd.choice(TRADE_WORDS)}{rnd.choice(('在线监测系统', '检测试剂盒', '工业软件', '智能终端', '数据平台服务', '精密传感器'))}"),
            supplier=f"北京{rnd.choice(CITY_WORDS)}{rnd.choice(TRADE_WORDS)}股份有限公司",
            catalogue_ref=f"XJS-{valid_from.year}-{i + 1:04d}",
            valid_from=valid_from, valid_to=valid_from + datetime.timedelta(days=rnd.choice((365, 730, 1095))),
        ))

    # --- projects, every state --------------------------------------------------------------------
    project_states = (["draft"] * 12 + ["submitted"] * 15 + ["rejected"] * 10 + ["granted"] * 20
                      + ["contracted"] * 25 + ["passed"] * 28 + ["failed"] * 10)
    themes = ("none", "none", "none", "epidemic", "digital", "instrument_online")
    topics = ("性能检测", "联合攻关", "工艺优化", "样机试制", "结构改进", "数据平台开发", "在线服务系统研发", "检验检测")
    purchases = 0
    for status in project_states:
        activity = rnd.choice(("testing", "joint_rd", "commissioned_dev", "rd_design", "tech_solution", "industrial_design"))
        lab = rnd.choice(design_labs if activity == "industrial_design" and design_labs else directory)
        if activity == "industrial_design" and "industrial_design" not in lab.capabilities:
            activity = "testing"
        enterprise = rnd.choice(enterprises)
        contract_amount = Decimal(rnd.randint(10, 200)) * 1000
        voucher = (contract_amount * Decimal(rnd.choice(("0.5", "0.6", "0.8")))).quantize(Decimal("0.01"))
        project = Project(
            title=f"{enterprise.name[2:6]}{rnd.choice(TRADE_WORDS)}{rnd.choice(topics)}项目",
            enterprise=enterprise, lab=lab, activity_type=activity, priority_theme=rnd.choice(themes),
            voucher_amount=voucher, status=status,
        )
        if status in ("granted", "contracted", "passed", "failed"):
            project.voucher_granted_on = d.day(today - datetime.timedelta(days=600), 400)
        if status in ("contracted", "passed", "failed"):
            # R10: signed after the grant, with the voucher clause and amount.
            project.contract_amount = contract_amount
            project.contract_signed_on = project.voucher_granted_on + datetime.timedelta(days=rnd.randint(5, 60))
            project.contract_has_voucher_clause = True
            project.contract_voucher_amount = voucher
        if status == "passed":
            project.completion_result = "passed"
            project.completion_reason = "项目按合同完成，材料齐全，同意结题。"
        if status == "failed":
            project.completion_result = "failed"
            project.completion_reason = "未按合同约定完成研发任务，成果不达标。"
            project.liable_party = rnd.choice(("enterprise", "lab", "both", "per_contract"))
        project.save()
        if status in ("contracted", "passed") and rnd.random() < 0.4:
            # R11: valid on the purchase date, together at most 30 % of the contract.
            budget = (contract_amount * Decimal("0.30")).quantize(Decimal("0.01"))
            for _ in range(rnd.randint(1, 2)):
                on = project.contract_signed_on + datetime.timedelta(days=rnd.randint(1, 60))
                valid = [p for p in products if p.valid_from <= on <= p.valid_to]
                amount = (budget / 2).quantize(Decimal("0.01"))
                if valid and amount > 0:
                    ProjectPurchase.create(project=project, product=rnd.choice(valid), amount=amount, purchased_on=on)
                    purchases += 1

    summary = {
        "推荐机构": len(institutions), "宣传对接活动": events, "专业服务机构": len(services) + len(centers),
        "年度绩效评价": evaluations, "领域中心成员单位": len(members), "开放实验室": len(labs),
        "企业": len(enterprises), "新技术新产品": len(products), "创新券项目": len(project_states),
        "新技术新产品购买": purchases, "系统账号": len(passwords),
    }
    accounts = [(u, role, pw) for u, (role, pw) in passwords.items() if u in ("admin", "clerk", "reviewer", "jigou01")]
    return summary, accounts


__all__ = ["seed", "now"]
