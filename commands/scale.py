"""seed-scale: a national-size data set, bulk-inserted, deterministic for a
seed, consistent with the program rules (the rules' own checks are not run
row by row: the generator only makes what they allow, and the tests check a
sample against rules.py).

Shape for N projects: ~0.3 N enterprises, max(200, N/200) labs, institutions,
products and purchases in proportion, projects in every state.
"""
import datetime
import random
import time
from decimal import Decimal

import models
from commands.generators import random_credit_code
from commands.setup import ensure_domain_centers
from commands.words import CITY_WORDS
from models import (
    ACTIVITY_TYPES,
    DISTRICTS,
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
    db,
)
from program import search, tallies

# Two-character words: a title holds three of them, so a two-character
# search hits roughly 1-3 % of the projects, as a clerk's search does.
WORDS = (
    "智能", "检测", "材料", "医疗", "环保", "精密", "数据", "能源", "光电", "芯片",
    "软件", "农业", "设计", "仪器", "机器", "健康", "传感", "云端", "网络", "安全",
    "疫苗", "诊断", "试剂", "电池", "储能", "氢能", "风电", "光伏", "航空", "卫星",
    "导航", "遥感", "交通", "物流", "电商", "金融", "教育", "文创", "动漫", "游戏",
    "食品", "饮料", "纺织", "服装", "家居", "建材", "化工", "涂料", "塑料", "橡胶",
    "金属", "合金", "陶瓷", "玻璃", "纤维", "纳米", "石墨", "半导", "显示", "照明",
    "声学", "光学", "激光", "雷达", "通信", "基站", "终端", "手机", "平板", "穿戴",
    "康复", "养老", "宠物", "兽药", "种子", "灌溉", "温室", "养殖", "水产", "林业",
    "水务", "污水", "固废", "土壤", "大气", "噪声", "节能", "减排", "碳汇", "循环",
    "机械", "模具", "焊接", "铸造", "锻压", "轴承", "齿轮", "液压", "气动", "电机",
)
TOPICS = ("性能检测", "联合研发", "工艺优化", "样机试制", "结构改进", "平台开发", "系统研发", "检验检测",
          "技术攻关", "方案设计")
SUFFIX = ("科技有限公司", "信息技术有限公司", "生物科技有限公司", "智能装备有限公司", "新材料有限公司")

# Project states in proportion: every state present, most projects further along.
PROJECT_STATES = (("draft", 5), ("submitted", 8), ("rejected", 7), ("granted", 15),
                  ("contracted", 25), ("passed", 32), ("failed", 8),
                  ("redemption_requested", 3), ("redeemed", 5), ("voided", 2))

CHUNK = 5000


def _insert(model, fields, rows):
    """Bulk insert in chunks, one transaction per chunk."""
    for start in range(0, len(rows), CHUNK):
        with db.atomic():
            model.insert_many(rows[start:start + CHUNK], fields=fields).execute()


def _ids(model):
    return [i for (i,) in model.select(model.id).order_by(model.id).tuples()]


class ScaleSeed:
    """The data set for n projects, a step per table, each step drawing on
    the ids the ones before it wrote."""

    def __init__(self, n_projects, seed, echo):
        self.n, self.seed, self.echo = n_projects, seed, echo
        self.rnd = random.Random(seed)
        self.started = time.perf_counter()
        self.now = models.now()
        self.today = datetime.date(2026, 11, 1)  # fixed: the same seed gives the same rows
        self.codes = set()
        self.counts = {}
        self.n_labs = max(200, n_projects // 200)

    def tick(self, label):
        self.echo(f"  {label}：{time.perf_counter() - self.started:.1f} 秒")

    def code(self):
        return random_credit_code(self.rnd, self.codes)

    # --- recommending institutions and their events -------------------------------------
    def recommending_institutions(self):
        rnd, now, n = self.rnd, self.now, max(50, self.n // 2000)
        states = models.RECOMMENDING_STATUSES.words
        RI = RecommendingInstitution
        rows = [(f"北京{CITY_WORDS[i % len(CITY_WORDS)]}创业服务中心第{i + 1}分中心", self.code(), "王伟",
                 f"138{rnd.randint(10000000, 99999999)}", rnd.randint(30, 300), rnd.randint(2, 6),
                 "专人负责，建立企业需求台账", "年度工作计划", states[i % len(states)], now, now)
                for i in range(n)]
        _insert(RI, [RI.name, RI.credit_code, RI.contact_name, RI.contact_phone, RI.served_enterprise_count,
                     RI.promised_event_count, RI.work_mechanism, RI.safeguards, RI.status, RI.created_at,
                     RI.updated_at], rows)
        # Applications past draft carry their materials (R1): one shared demo file.
        self.material = models.StoredFile.create(
            stored_name=f"scale-{self.seed}-{self.n}.pdf", original_name="申请材料.pdf",
            content_type="application/pdf", size=0, sha256="0" * 64)
        RI.update(application_form=self.material, commitment_letter=self.material).where(RI.status != "draft").execute()
        self.active_ri = [i for (i,) in RI.active().select(RI.id).tuples()]
        self.counts["recommending_institution"] = n
        self.events()
        self.tick("推荐机构")

    def events(self):
        rnd, rows = self.rnd, []
        for ri in self.active_ri:
            for _ in range(rnd.randint(0, 6)):
                rows.append((ri, rnd.choice(("promotion", "matchmaking")),
                             self.today - datetime.timedelta(days=rnd.randint(0, 900)),
                             f"{rnd.choice(CITY_WORDS)}创新券{rnd.choice(('政策宣讲会', '企业实验室对接会'))}",
                             rnd.randint(10, 200), self.now, self.now))
        E = PromotionEvent
        _insert(E, [E.institution, E.kind, E.held_on, E.title, E.participant_count, E.created_at, E.updated_at], rows)
        self.counts["promotion_event"] = len(rows)

    # --- service institutions, domain centers, members ----------------------------------------
    def service_institutions(self):
        ensure_domain_centers()
        rnd, now, n, m = self.rnd, self.now, max(60, self.n // 5000), self.material.id
        rows = []
        for i in range(n):
            status = "approved" if i % 5 else rnd.choice(("draft", "submitted", "rejected"))
            rows.append((f"北京高校院所{i + 1}号技术转移中心", self.code(), "北京理工大学", "university", True, True,
                         status, m, m, m, m, now, now))
        SI = ServiceInstitution
        _insert(SI, [SI.name, SI.credit_code, SI.parent_org_name, SI.parent_org_type, SI.parent_in_platform,
                     SI.is_independent_legal_entity, SI.status, SI.application_form, SI.commitment_letter,
                     SI.management_rules, SI.authorization_letter, SI.created_at, SI.updated_at], rows)
        self.approved_si = [i for (i,) in SI.authorised().select(SI.id).tuples()]
        self.centers = list(SI.domain_centers())
        self.counts["service_institution"] = n + len(self.centers)
        self.evaluations()
        self.members()
        self.tick("专业服务机构与成员单位")

    def evaluations(self):
        rows = [(si, year, Decimal(self.rnd.randint(55, 99)), "good", self.now, self.now)
                for si in self.approved_si for year in (2024, 2025)]
        PE = PerformanceEvaluation
        _insert(PE, [PE.institution, PE.year, PE.score, PE.grade, PE.created_at, PE.updated_at], rows)
        self.counts["performance_evaluation"] = len(rows)

    def members(self):
        n = max(30, self.n_labs // 10)
        rows = []
        for i in range(n):
            center = self.centers[i % len(self.centers)]
            rows.append((f"北京成员单位{i + 1}号科技有限公司", self.code(), "private_enterprise", center.id,
                         center.domain, "approved" if i % 4 else "submitted", self.now, self.now))
        M = DomainCenterMember
        _insert(M, [M.name, M.credit_code, M.org_type, M.domain_center, M.field, M.status, M.created_at,
                    M.updated_at], rows)
        self.counts["domain_center_member"] = n

    # --- labs -----------------------------------------------------------------------------------
    def labs(self):
        rnd, rows = self.rnd, []
        capabilities = ACTIVITY_TYPES.words[:5]
        categories = Lab.ELIGIBLE_CATEGORIES
        for i in range(self.n_labs):
            status = "approved" if i % 10 else rnd.choice(("draft", "submitted", "rejected"))
            category = categories[i % len(categories)]
            caps = set(rnd.sample(capabilities, 2))
            if category == "beijing_design_center":
                caps |= {"industrial_design"}
            rows.append((f"{rnd.choice(WORDS)}{rnd.choice(WORDS)}第{i + 1}号实验室", category,
                         f"京科发〔{rnd.randint(2015, 2025)}〕{i + 1}号", rnd.choice(self.approved_si),
                         Lab.capabilities.db_value(sorted(caps)), status, self.now, self.now))
        _insert(Lab, [Lab.name, Lab.category, Lab.recognition_ref, Lab.service_institution, Lab.capabilities,
                      Lab.status, Lab.created_at, Lab.updated_at], rows)
        directory = list(Lab.in_directory().select(Lab.id, Lab.capabilities).tuples())
        self.design_labs = [i for i, c in directory if ",industrial_design," in (c or "")]
        self.plain_labs = [i for i, _ in directory]
        self.counts["lab"] = self.n_labs
        self.tick("实验室")

    # --- enterprises and products ---------------------------------------------------------------------
    def enterprises(self):
        rnd, rows, n = self.rnd, [], max(100, int(self.n * 0.3))
        for i in range(n):
            kind = ("small", "micro", "micro", "startup_team")[i % 4]
            suffix = "创业团队" if kind == "startup_team" else SUFFIX[i % len(SUFFIX)]
            rows.append((f"北京{CITY_WORDS[i % len(CITY_WORDS)]}{rnd.choice(WORDS)}{rnd.choice(WORDS)}{suffix}{i + 1}号",
                         kind, None if kind == "startup_team" else self.code(),
                         rnd.choice(DISTRICTS.words), rnd.randint(3, 99), "李娜",
                         f"139{rnd.randint(10000000, 99999999)}", rnd.choice(self.active_ri) if i % 3 else None,
                         self.now, self.now))
        E = Enterprise
        _insert(E, [E.name, E.kind, E.credit_code, E.district, E.employee_count, E.contact_name, E.contact_phone,
                    E.recommended_by, E.created_at, E.updated_at], rows)
        self.enterprise_ids = _ids(Enterprise)
        self.counts["enterprise"] = n
        self.tick("企业")

    def products(self):
        rnd, rows, n = self.rnd, [], max(100, self.n // 1000)
        for i in range(n):
            start = datetime.date(2018, 1, 1) + datetime.timedelta(days=rnd.randint(0, 364))
            rows.append((f"{rnd.choice(WORDS)}{rnd.choice(WORDS)}在线监测系统{i + 1}型", "北京供应商股份有限公司",
                         f"XJS-S{self.seed}-{i + 1:07d}", start, datetime.date(2030, 12, 31), self.now, self.now))
        P = NewTechProduct
        _insert(P, [P.name, P.supplier, P.catalogue_ref, P.valid_from, P.valid_to, P.created_at, P.updated_at], rows)
        self.product_ids = _ids(NewTechProduct)
        self.counts["new_tech_product"] = n
        self.tick("新技术新产品")

    # --- projects and purchases -------------------------------------------------------------------------
    PROJECT_FIELDS = (Project.code, Project.title, Project.enterprise, Project.lab, Project.activity_type,
                      Project.priority_theme, Project.voucher_amount, Project.contract_amount,
                      Project.voucher_granted_on, Project.contract_signed_on, Project.contract_has_voucher_clause,
                      Project.contract_voucher_amount, Project.status, Project.completion_result,
                      Project.completion_reason, Project.liable_party, Project.created_at, Project.updated_at,
                      Project.redemption_amount, Project.invoice_no, Project.redemption_requested_on,
                      Project.redeemed_on, Project.payment_ref, Project.void_reason)

    def projects(self):
        states = [s for s, weight in PROJECT_STATES for _ in range(weight)]
        years = list(range(2019, 2027))
        per_year = -(-self.n // len(years))
        rows = []
        for i in range(self.n):
            rows.append(self.project(i, years[i // per_year], i % per_year, states[i % len(states)]))
            if len(rows) == CHUNK:
                _insert(Project, self.PROJECT_FIELDS, rows)
                rows = []
        _insert(Project, self.PROJECT_FIELDS, rows)
        self.counts["project"] = self.n
        self.tick("创新券项目")

    def project(self, i, year, number, status):
        rnd = self.rnd
        activity = ACTIVITY_TYPES.words[i % len(ACTIVITY_TYPES.words)]
        design = activity == "industrial_design" and self.design_labs
        lab = rnd.choice(self.design_labs) if design else rnd.choice(self.plain_labs)
        if activity == "industrial_design" and not self.design_labs:
            activity = "testing"  # R9
        contract = Decimal(rnd.randint(10, 200) * 1000)
        voucher = contract / 2
        created = datetime.datetime(year, 1, 1, 9) + datetime.timedelta(minutes=number * 2)
        granted = created.date() + datetime.timedelta(days=30) if status in GRANTED else None
        has_contract = status in CONTRACTED
        signed = granted + datetime.timedelta(days=10) if has_contract else None
        asked = signed + datetime.timedelta(days=120) if status in REDEMPTION else None
        return (f"CXQ{year}{number + 1:06d}",
                f"{rnd.choice(WORDS)}{rnd.choice(WORDS)}{rnd.choice(WORDS)}{rnd.choice(TOPICS)}项目",
                rnd.choice(self.enterprise_ids), lab, activity, THEMES[i % len(THEMES)], voucher,
                contract if has_contract else None, granted, signed, has_contract,
                voucher if has_contract else None, status, RESULTS.get(status), REASONS.get(status),
                rnd.choice(("enterprise", "lab", "both", "per_contract")) if status == "failed" else None,
                created, created, *_redemption(status, year, number, voucher, asked))

    def purchases(self):
        """A tenth of the contracted projects, 10 % of the contract each (R11)."""
        query = (Project.select(Project.id, Project.contract_amount, Project.contract_signed_on)
                 .where(Project.status.in_(("contracted", "passed"))).tuples())
        rows = [(project_id, self.rnd.choice(self.product_ids), (amount / 10).quantize(Decimal("0.01")),
                 signed + datetime.timedelta(days=5), self.now, self.now)
                for project_id, amount, signed in query if not project_id % 10]
        PP = ProjectPurchase
        _insert(PP, [PP.project, PP.product, PP.amount, PP.purchased_on, PP.created_at, PP.updated_at], rows)
        self.counts["project_purchase"] = len(rows)
        self.tick("新技术新产品购买")

    def finish(self):
        for model in search.SPECS:
            search.rebuild(model)
        self.tick("搜索索引")
        # Fresh statistics for the planner (and, on PostgreSQL, the visibility
        # map that lets index-only scans skip the table).
        db.obj.execute_sql("VACUUM ANALYZE" if models.is_postgres() else "ANALYZE")
        self.tick("统计信息")


def _redemption(status, year, number, voucher, asked):
    """A project's redemption fields and void reason, by its state."""
    paid = status == "redeemed"
    return (voucher if asked else None, f"No.{number + 1:08d}" if asked else None, asked,
            asked + datetime.timedelta(days=20) if paid else None, f"兑付〔{year}〕{number + 1}号" if paid else None,
            "发放后 15 日内未登记合同，创新券已作废" if status == "voided" else None)


THEMES = ("none", "none", "none", "epidemic", "digital", "instrument_online")
REDEMPTION = ("redemption_requested", "redeemed")
CONTRACTED = ("contracted", "passed", "failed", *REDEMPTION)
GRANTED = ("granted", "voided", *CONTRACTED)
RESULTS = {"passed": "passed", "failed": "failed", "redemption_requested": "passed", "redeemed": "passed"}
REASONS = {"passed": "按合同完成，同意结题", "failed": "未完成约定任务", "redemption_requested": "按合同完成，同意结题",
           "redeemed": "按合同完成，同意结题"}
STEPS = ("recommending_institutions", "service_institutions", "labs", "enterprises", "products", "projects",
         "purchases", "finish")


def seed_scale(n_projects, seed=1, echo=print):
    """Generate the data set; returns {table: rows}."""
    data = ScaleSeed(n_projects, seed, echo)
    # Counted once at the end rather than by a trigger per row inserted.
    with tallies.suspended():
        for step in STEPS:
            getattr(data, step)()
    return data.counts
