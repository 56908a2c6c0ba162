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
from models import (
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
from commands.demo import CITY_WORDS, random_credit_code
from program.rules import ELIGIBLE_LAB_CATEGORIES

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
                  ("contracted", 25), ("passed", 32), ("failed", 8))

CHUNK = 5000


def _insert(model, fields, rows):
    """Bulk insert in chunks, one transaction per chunk."""
    for start in range(0, len(rows), CHUNK):
        with db.atomic():
            model.insert_many(rows[start:start + CHUNK], fields=fields).execute()


def _ids(model):
    return [i for (i,) in model.select(model.id).order_by(model.id).tuples()]


def seed_scale(n_projects, seed=1, echo=print):
    """Generate the data set; returns {table: rows}."""
    rnd = random.Random(seed)
    started = time.perf_counter()
    now = models.now()
    today = datetime.date(2026, 11, 1)  # fixed: the same seed gives the same rows
    codes = set()
    counts = {}

    def tick(label):
        echo(f"  {label}：{time.perf_counter() - started:.1f} 秒")

    n_ri = max(50, n_projects // 2000)
    n_si = max(60, n_projects // 5000)
    n_labs = max(200, n_projects // 200)
    n_members = max(30, n_labs // 10)
    n_enterprises = max(100, int(n_projects * 0.3))
    n_products = max(100, n_projects // 1000)

    # --- recommending institutions and their events -------------------------
    ri_states = [s for s, _ in models.RECOMMENDING_STATUSES]
    fields = [RecommendingInstitution.name, RecommendingInstitution.credit_code,
              RecommendingInstitution.contact_name, RecommendingInstitution.contact_phone,
              RecommendingInstitution.served_enterprise_count, RecommendingInstitution.promised_event_count,
              RecommendingInstitution.work_mechanism, RecommendingInstitution.safeguards,
              RecommendingInstitution.status, RecommendingInstitution.created_at,
              RecommendingInstitution.updated_at]
    rows = []
    for i in range(n_ri):
        status = ri_states[i % len(ri_states)]
        rows.append((f"北京{CITY_WORDS[i % len(CITY_WORDS)]}创业服务中心第{i + 1}分中心", random_credit_code(rnd, codes), "王伟",
                     f"138{rnd.randint(10000000, 99999999)}", rnd.randint(30, 300), rnd.randint(2, 6),
                     "专人负责，建立企业需求台账", "年度工作计划", status,
                     now, now))
    _insert(RecommendingInstitution, fields, rows)
    # Applications past draft carry their materials (R1): one shared demo file.
    material = models.StoredFile.create(stored_name=f"scale-{seed}-{n_projects}.pdf", original_name="申请材料.pdf",
                                        content_type="application/pdf", size=0, sha256="0" * 64)
    (RecommendingInstitution.update(application_form=material, commitment_letter=material)
     .where(RecommendingInstitution.status != "draft").execute())
    active_ri = [i for (i,) in RecommendingInstitution.select(RecommendingInstitution.id)
                 .where(RecommendingInstitution.status.in_(("approved", "account_opened", "profile_completed",
                                                            "trained"))).tuples()]
    events = []
    for ri in active_ri:
        for _ in range(rnd.randint(0, 6)):
            events.append((ri, rnd.choice(("promotion", "matchmaking")),
                           today - datetime.timedelta(days=rnd.randint(0, 900)),
                           f"{rnd.choice(CITY_WORDS)}创新券{rnd.choice(('政策宣讲会', '企业实验室对接会'))}",
                           rnd.randint(10, 200), now, now))
    _insert(PromotionEvent, [PromotionEvent.institution, PromotionEvent.kind, PromotionEvent.held_on,
                             PromotionEvent.title, PromotionEvent.participant_count,
                             PromotionEvent.created_at, PromotionEvent.updated_at], events)
    counts["recommending_institution"], counts["promotion_event"] = n_ri, len(events)
    tick("推荐机构")

    # --- service institutions, domain centers, members ------------------------
    from commands import cli

    cli.ensure_domain_centers()
    si_rows = []
    for i in range(n_si):
        status = "approved" if i % 5 else rnd.choice(("draft", "submitted", "rejected"))
        si_rows.append((f"北京高校院所{i + 1}号技术转移中心", random_credit_code(rnd, codes), "北京理工大学", "university",
                        True, True, status, material.id, material.id, material.id, material.id, now, now))
    _insert(ServiceInstitution, [ServiceInstitution.name, ServiceInstitution.credit_code,
                                 ServiceInstitution.parent_org_name, ServiceInstitution.parent_org_type,
                                 ServiceInstitution.parent_in_platform, ServiceInstitution.is_independent_legal_entity,
                                 ServiceInstitution.status, ServiceInstitution.application_form,
                                 ServiceInstitution.commitment_letter, ServiceInstitution.management_rules,
                                 ServiceInstitution.authorization_letter, ServiceInstitution.created_at,
                                 ServiceInstitution.updated_at], si_rows)
    approved_si = [i for (i,) in ServiceInstitution.select(ServiceInstitution.id)
                   .where(ServiceInstitution.status == "approved", ServiceInstitution.is_domain_center == False)  # noqa: E712
                   .tuples()]
    centers = list(ServiceInstitution.select().where(ServiceInstitution.is_domain_center == True))  # noqa: E712
    evaluations = [(si, year, Decimal(rnd.randint(55, 99)), "good", now, now)
                   for si in approved_si for year in (2024, 2025)]
    _insert(PerformanceEvaluation, [PerformanceEvaluation.institution, PerformanceEvaluation.year,
                                    PerformanceEvaluation.score, PerformanceEvaluation.grade,
                                    PerformanceEvaluation.created_at, PerformanceEvaluation.updated_at], evaluations)
    member_rows = []
    for i in range(n_members):
        center = centers[i % len(centers)]
        member_rows.append((f"北京成员单位{i + 1}号科技有限公司", random_credit_code(rnd, codes), "private_enterprise",
                            center.id, center.domain, "approved" if i % 4 else "submitted", now, now))
    _insert(DomainCenterMember, [DomainCenterMember.name, DomainCenterMember.credit_code,
                                 DomainCenterMember.org_type, DomainCenterMember.domain_center,
                                 DomainCenterMember.field, DomainCenterMember.status,
                                 DomainCenterMember.created_at, DomainCenterMember.updated_at], member_rows)
    counts.update(service_institution=n_si + len(centers), domain_center_member=n_members,
                  performance_evaluation=len(evaluations))
    tick("专业服务机构与成员单位")

    # --- labs ---------------------------------------------------------------------------
    lab_rows = []
    capabilities = ("testing", "joint_rd", "commissioned_dev", "rd_design", "tech_solution")
    for i in range(n_labs):
        status = "approved" if i % 10 else rnd.choice(("draft", "submitted", "rejected"))
        category = ELIGIBLE_LAB_CATEGORIES[i % len(ELIGIBLE_LAB_CATEGORIES)]
        caps = set(rnd.sample(capabilities, 2))
        if category == "beijing_design_center":
            caps |= {"industrial_design"}
        lab_rows.append((f"{rnd.choice(WORDS)}{rnd.choice(WORDS)}第{i + 1}号实验室", category,
                         f"京科发〔{rnd.randint(2015, 2025)}〕{i + 1}号", rnd.choice(approved_si),
                         Lab.capabilities.db_value(sorted(caps)), status, now, now))
    _insert(Lab, [Lab.name, Lab.category, Lab.recognition_ref, Lab.service_institution, Lab.capabilities,
                  Lab.status, Lab.created_at, Lab.updated_at], lab_rows)
    directory = [(i, c) for (i, c) in Lab.select(Lab.id, Lab.capabilities).where(Lab.status == "approved").tuples()]
    design_labs = [i for i, c in directory if ",industrial_design," in (c or "")]
    plain_labs = [i for i, _ in directory]
    counts["lab"] = n_labs
    tick("实验室")

    # --- enterprises ----------------------------------------------------------------------
    districts = [d for d, _ in DISTRICTS]
    ent_rows = []
    for i in range(n_enterprises):
        kind = ("small", "micro", "micro", "startup_team")[i % 4]
        suffix = "创业团队" if kind == "startup_team" else SUFFIX[i % len(SUFFIX)]
        ent_rows.append((f"北京{CITY_WORDS[i % len(CITY_WORDS)]}{rnd.choice(WORDS)}{rnd.choice(WORDS)}{suffix}{i + 1}号",
                         kind, None if kind == "startup_team" else random_credit_code(rnd, codes),
                         rnd.choice(districts), rnd.randint(3, 99), "李娜",
                         f"139{rnd.randint(10000000, 99999999)}", rnd.choice(active_ri) if i % 3 else None,
                         now, now))
    _insert(Enterprise, [Enterprise.name, Enterprise.kind, Enterprise.credit_code, Enterprise.district,
                         Enterprise.employee_count, Enterprise.contact_name, Enterprise.contact_phone,
                         Enterprise.recommended_by, Enterprise.created_at, Enterprise.updated_at], ent_rows)
    enterprise_ids = _ids(Enterprise)
    counts["enterprise"] = n_enterprises
    tick("企业")

    # --- products -----------------------------------------------------------------------
    prod_rows = []
    for i in range(n_products):
        start = datetime.date(2018, 1, 1) + datetime.timedelta(days=rnd.randint(0, 364))
        prod_rows.append((f"{rnd.choice(WORDS)}{rnd.choice(WORDS)}在线监测系统{i + 1}型", "北京供应商股份有限公司",
                          f"XJS-S{seed}-{i + 1:07d}", start, datetime.date(2030, 12, 31), now, now))
    _insert(NewTechProduct, [NewTechProduct.name, NewTechProduct.supplier, NewTechProduct.catalogue_ref,
                             NewTechProduct.valid_from, NewTechProduct.valid_to, NewTechProduct.created_at,
                             NewTechProduct.updated_at], prod_rows)
    product_ids = _ids(NewTechProduct)
    counts["new_tech_product"] = n_products
    tick("新技术新产品")

    # --- projects -----------------------------------------------------------------------------
    states = [s for s, weight in PROJECT_STATES for _ in range(weight)]
    activities = ("testing", "joint_rd", "commissioned_dev", "rd_design", "tech_solution", "industrial_design")
    themes = ("none", "none", "none", "epidemic", "digital", "instrument_online")
    fields = [Project.code, Project.title, Project.enterprise, Project.lab, Project.activity_type,
              Project.priority_theme, Project.voucher_amount, Project.contract_amount, Project.voucher_granted_on,
              Project.contract_signed_on, Project.contract_has_voucher_clause, Project.contract_voucher_amount,
              Project.status, Project.completion_result, Project.completion_reason, Project.liable_party,
              Project.created_at, Project.updated_at]
    years = list(range(2019, 2027))
    per_year = -(-n_projects // len(years))
    rows, purchases = [], []
    for i in range(n_projects):
        year = years[i // per_year]
        status = states[i % len(states)]
        activity = activities[i % len(activities)]
        lab = rnd.choice(design_labs) if activity == "industrial_design" and design_labs else rnd.choice(plain_labs)
        if activity == "industrial_design" and not design_labs:
            activity = "testing"
        contract = Decimal(rnd.randint(10, 200) * 1000)
        voucher = contract / 2
        created = datetime.datetime(year, 1, 1, 9) + datetime.timedelta(minutes=(i % per_year) * 2)
        granted = signed = None
        has_contract = status in ("contracted", "passed", "failed")
        if status in ("granted", "contracted", "passed", "failed"):
            granted = created.date() + datetime.timedelta(days=30)
        if has_contract:
            signed = granted + datetime.timedelta(days=20)
        result = {"passed": "passed", "failed": "failed"}.get(status)
        rows.append((
            f"CXQ{year}{i % per_year + 1:06d}",
            f"{rnd.choice(WORDS)}{rnd.choice(WORDS)}{rnd.choice(WORDS)}{rnd.choice(TOPICS)}项目",
            rnd.choice(enterprise_ids), lab, activity, themes[i % len(themes)], voucher,
            contract if has_contract else None, granted, signed, has_contract,
            voucher if has_contract else None, status, result,
            {"passed": "按合同完成，同意结题", "failed": "未完成约定任务"}.get(status),
            rnd.choice(("enterprise", "lab", "both", "per_contract")) if status == "failed" else None,
            created, created,
        ))
        if len(rows) == CHUNK:
            _insert(Project, fields, rows)
            rows = []
    _insert(Project, fields, rows)
    counts["project"] = n_projects
    tick("创新券项目")

    # --- purchases: a tenth of contracted projects, 10 % of the contract (R11) ----------------
    query = (Project.select(Project.id, Project.contract_amount, Project.contract_signed_on)
             .where(Project.status.in_(("contracted", "passed"))).tuples())
    for project_id, amount, signed in query:
        if project_id % 10:
            continue
        purchases.append((project_id, rnd.choice(product_ids), (amount / 10).quantize(Decimal("0.01")),
                          signed + datetime.timedelta(days=5), now, now))
    _insert(ProjectPurchase, [ProjectPurchase.project, ProjectPurchase.product, ProjectPurchase.amount,
                              ProjectPurchase.purchased_on, ProjectPurchase.created_at,
                              ProjectPurchase.updated_at], purchases)
    counts["project_purchase"] = len(purchases)
    tick("新技术新产品购买")
    from program import search

    for model in search.SPECS:
        search.rebuild(model)
    tick("搜索索引")
    # Fresh statistics for the planner (and, on PostgreSQL, the visibility
    # map that lets index-only scans skip the table).
    if models.is_postgres():
        db.obj.execute_sql("VACUUM ANALYZE")
    else:
        db.obj.execute_sql("ANALYZE")
    tick("统计信息")
    return counts
