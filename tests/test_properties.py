"""Property-based checks (hypothesis) of the credit-code checker and the
R11 purchase cap."""
import datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import models
from program import checks
from tests import factories

CHARSET = checks.CREDIT_CODE_CHARSET
bodies = st.text(alphabet=CHARSET, min_size=17, max_size=17)


@given(bodies)
def test_a_code_with_its_computed_check_char_passes(body):
    code = body + checks.credit_code_check_char(body)
    assert checks.check_credit_code(code) == code
    assert checks.check_credit_code(" " + code.lower() + " ") == code


@given(bodies, st.integers(min_value=0, max_value=17), st.sampled_from(CHARSET))
def test_any_single_character_change_is_caught(body, position, replacement):
    code = body + checks.credit_code_check_char(body)
    if code[position] == replacement:
        return
    changed = code[:position] + replacement + code[position + 1:]
    with pytest.raises(checks.RuleViolation):
        checks.check_credit_code(changed)


@given(st.text(min_size=0, max_size=30).filter(lambda s: len(s.strip()) != 18))
def test_wrong_lengths_are_refused(text):
    with pytest.raises(checks.RuleViolation, match="应为 18 位"):
        checks.check_credit_code(text)


@given(bodies, st.sampled_from("IOZSV"), st.integers(min_value=0, max_value=16))
def test_letters_outside_the_set_are_named(body, letter, position):
    code = body[:position] + letter + body[position + 1:]
    code = code + checks.credit_code_check_char(body)
    with pytest.raises(checks.RuleViolation, match=letter):
        checks.check_credit_code(code)


fen = st.integers(min_value=1, max_value=5_000_000).map(lambda n: Decimal(n) / 100)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(contract=fen, amounts=st.lists(fen, min_size=1, max_size=6),
       ratio=st.sampled_from(["0.30", "0.25", "0.5", "1"]))
def test_purchase_cap_accepts_exactly_what_fits(app, contract, amounts, ratio):
    models.PolicySetting.delete().execute()
    factories.set_policy("r11_purchase_cap_ratio", ratio)
    si = factories.service_institution()
    lab = factories.lab(si)
    ent = factories.enterprise()
    product = factories.product()
    project = factories.project(ent, lab, **factories.contracted(
        contract_amount=str(contract), voucher_amount=str(contract)))
    accepted = Decimal("0")
    limit = contract * Decimal(ratio)  # exact: no rounding in the model of the rule
    for amount in amounts:
        fits = accepted + amount <= limit
        try:
            models.ProjectPurchase.create(project=project, product=product, amount=amount,
                                          purchased_on=datetime.date(2026, 6, 1))
        except checks.RuleViolation:
            assert not fits, (contract, accepted, amount)
        else:
            assert fits, (contract, accepted, amount)
            accepted += amount
    assert models.Project.purchases_total(project.id) == accepted
