"""seed-scale: deterministic, in proportion, every state, and consistent
with the rules (a sample of every table passes rules.py)."""
import random

import models
from program import invariants


def table_digest():
    return [
        (p.code, p.title, p.status, str(p.voucher_amount), p.enterprise_id, p.lab_id)
        for p in models.Project.select().order_by(models.Project.id).limit(300)
    ]


def test_seed_scale_shape_and_rules(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-scale", "--projects", "3000", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert models.Project.select().count() == 3000
    assert models.Enterprise.select().count() == 900
    assert models.Lab.select().count() >= 200
    present = {s for (s,) in models.Project.select(models.Project.status).distinct().tuples()}
    assert present == {s for s, _ in models.PROJECT_STATUSES}
    assert models.ProjectPurchase.select().count() > 0
    codes = [c for (c,) in models.Project.select(models.Project.code).tuples()]
    assert len(set(codes)) == len(codes)

    sample = random.Random(1)
    for model in (models.RecommendingInstitution, models.ServiceInstitution, models.DomainCenterMember,
                  models.Lab, models.Enterprise, models.NewTechProduct, models.Project,
                  models.ProjectPurchase, models.PerformanceEvaluation, models.PromotionEvent):
        ids = [i for (i,) in model.select(model.id).tuples()]
        for record_id in sample.sample(ids, min(60, len(ids))):
            record = model.get_by_id(record_id)
            assert invariants.violations(record) == [], (model.__name__, record_id, invariants.violations(record))

    again = runner.invoke(args=["seed-scale", "--projects", "10"])
    assert again.exit_code != 0 and "已有项目数据" in again.output


def test_seed_scale_is_deterministic_for_a_seed(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["seed-scale", "--projects", "500", "--seed", "3"])
    first = table_digest()
    from tests.support import wipe as _wipe

    _wipe(models.db.obj)
    runner.invoke(args=["seed-scale", "--projects", "500", "--seed", "3"])
    assert table_digest() == first
