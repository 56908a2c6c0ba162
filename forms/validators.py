"""Thin WTForms adapters: each calls its rule in rules.py or checks the
database the way the rule needs, and turns a refusal into a field error."""
from wtforms.validators import StopValidation, ValidationError

import rules


class Rule:
    """Run a rules.py check on the field's value (blank values are left to
    Optional / required validators)."""

    def __init__(self, check):
        self.check = check

    def __call__(self, form, field):
        if field.data in (None, ""):
            return
        try:
            normalised = self.check(field.data, field.name)
        except rules.RuleViolation as exc:
            raise StopValidation(exc.message) from exc
        if normalised is not None:
            field.data = normalised


class Unique:
    """The value is not already taken by another record of the table."""

    def __init__(self, model_field):
        self.model_field = model_field

    def __call__(self, form, field):
        value = field.data
        if value in (None, ""):
            return
        model = self.model_field.model
        query = model.select(model.id).where(self.model_field == value)
        current = getattr(form, "_obj", None)
        if current is not None and current.id is not None:
            query = query.where(model.id != current.id)
        if query.exists():
            raise ValidationError(f"{field.label.text}“{value}”已存在，不能重复")
