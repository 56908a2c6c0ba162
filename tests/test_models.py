"""The schema: canonical names, indexes, constraints, money, pragmas."""
import datetime
from decimal import Decimal

import peewee
import pytest

import models
from tests import factories
from tests.support import TEST_DB

CANONICAL = {
    "enterprise": {"name", "kind", "credit_code", "district", "employee_count", "annual_revenue",
                   "contact_name", "contact_phone", "contact_email", "recommended_by_id"},
    "recommending_institution": {"name", "credit_code", "served_enterprise_count", "promised_event_count",
                                 "work_mechanism", "safeguards", "status", "review_opinion", "reviewed_by_id",
                                 "reviewed_at", "account_opened_at", "introduction", "service_features", "trained_on"},
    "promotion_event": {"institution_id", "kind", "held_on", "title", "participant_count"},
    "service_institution": {"name", "credit_code", "parent_org_name", "parent_org_type", "parent_in_platform",
                            "is_independent_legal_entity", "is_domain_center", "domain", "status"},
    "performance_evaluation": {"institution_id", "year", "score", "grade", "comments"},
    "domain_center_member": {"name", "credit_code", "org_type", "domain_center_id", "field",
                             "authorization_letter_id", "status"},
    "lab": {"name", "category", "recognition_ref", "service_institution_id", "member_unit_id", "capabilities", "status"},
    "new_tech_product": {"name", "supplier", "catalogue_ref", "valid_from", "valid_to"},
    "project": {"code", "title", "enterprise_id", "lab_id", "activity_type", "priority_theme", "voucher_amount",
                "contract_amount", "voucher_granted_on", "contract_signed_on", "contract_has_voucher_clause",
                "contract_voucher_amount", "status", "completion_result", "completion_reason", "liable_party",
                # DOMAIN.md §6: redemption and lapsed vouchers.
                "redemption_amount", "invoice_no", "redemption_requested_on", "redeemed_on", "payment_ref",
                "void_reason"},
    "project_purchase": {"project_id", "product_id", "amount", "purchased_on"},
    "policy_setting": {"key", "value", "description", "effective_from"},  # §6: policy versions
    "user": {"username", "password_hash", "role", "institution_id", "is_active", "must_change_password"},
    "audit_log": {"at", "user_id", "action", "model", "object_id", "changes"},
}


def columns(table):
    return {c.name for c in models.db.obj.get_columns(table)}


@pytest.mark.parametrize("table", sorted(CANONICAL))
def test_canonical_tables_and_columns(table):
    present = columns(table)
    assert CANONICAL[table] | {"id", "created_at", "updated_at"} <= present


def test_every_foreign_key_is_indexed():
    for model in models.ALL_MODELS:
        table = model._meta.table_name
        indexed = set()
        for index in models.db.obj.get_indexes(table):
            indexed.add(index.columns[0])
        for field in model._meta.sorted_fields:
            if isinstance(field, peewee.ForeignKeyField):
                assert field.column_name in indexed, f"{table}.{field.column_name}"


def test_unique_constraints_hold_in_the_database():
    factories.enterprise(name="唯一企业")
    with pytest.raises(peewee.IntegrityError):
        with models.db.atomic():
            factories.enterprise(name="唯一企业")
    si = factories.service_institution()
    factories.evaluation(si, year=2025)
    with pytest.raises(peewee.IntegrityError):
        with models.db.atomic():
            factories.evaluation(si, year=2025)


def test_foreign_keys_are_enforced():
    with pytest.raises(peewee.IntegrityError):
        with models.db.atomic():
            models.PromotionEvent.create(institution=987654, kind="promotion", held_on=datetime.date.today(),
                                         title="孤儿活动")


@pytest.mark.skipif(TEST_DB != "sqlite", reason="SQLite pragmas")
def test_sqlite_runs_with_foreign_keys_and_wal():
    database = models.db.obj
    assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_money_is_decimal_with_two_places():
    w = factories.world()
    models.Project.update(voucher_amount=Decimal("12345.60"), contract_amount=Decimal("20000")).where(
        models.Project.id == w["project"].id).execute()
    p = models.Project.get_by_id(w["project"].id)
    assert p.voucher_amount == Decimal("12345.60") and str(p.voucher_amount) == "12345.60"
    assert str(p.contract_amount) == "20000.00" and isinstance(p.contract_amount, Decimal)


def test_capabilities_are_stored_as_words_and_found_exactly():
    si = factories.service_institution()
    design = factories.lab(si, capabilities=["industrial_design"])
    rd = factories.lab(si, capabilities=["rd_design", "testing"])
    raw = models.db.obj.execute_sql("SELECT capabilities FROM lab WHERE id = %s" % design.id).fetchone()[0]
    assert raw == ",industrial_design,"
    found = {lab.id for lab in models.Lab.select().where(models.Lab.capabilities.holds("rd_design"))}
    assert found == {rd.id}


def test_audit_rows_cannot_be_changed_or_deleted():
    row = models.AuditLog.create(action="login", model="user")
    row.action = "tampered"
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        row.delete_instance()


def test_the_database_is_the_one_asked_for():
    database = models.db.obj
    if TEST_DB == "postgres":
        assert isinstance(database, peewee.PostgresqlDatabase)
        assert "PostgreSQL" in database.execute_sql("SELECT version()").fetchone()[0]
    else:
        assert isinstance(database, peewee.SqliteDatabase)


def test_project_codes_go_on_past_999999_in_a_year():
    import datetime

    w = factories.world()
    year = datetime.date.today().year
    models.Project.update(code=f"CXQ{year}999999").where(models.Project.id == w["project"].id).execute()
    assert models.Project.next_code() == f"CXQ{year}1000000"
    second = factories.project(w["enterprise"], w["lab"])
    assert second.code == f"CXQ{year}1000000"
    assert models.Project.next_code() == f"CXQ{year}1000001"
