"""Thin WTForms adapters: the rules live in program/ (rules, checks,
invariants); these put their refusals beside the fields a clerk filled in."""
from flask import flash
from peewee import ForeignKeyField
from wtforms.validators import StopValidation, ValidationError

import compat
from forms.fields import MaterialUploadField
from models import parse_id
from program import checks, invariants


class Checked:
    """A rules.py check of one value (returning its Chinese refusal or None)
    as a WTForms validator."""

    def __init__(self, problem):
        self.problem = problem

    def __call__(self, form, field):
        message = self.problem(field.data or "")
        if message:
            raise ValidationError(message)


class Printable:
    """No control character reaches a query (PostgreSQL refuses NUL in any
    string, before the rules could say so): stops the field's other
    validators, such as Unique, with the rules' own message."""

    def __init__(self, one_line):
        self.one_line = one_line

    def __call__(self, form, field):
        if isinstance(field.data, str) and checks.unprintable(field.data, allow_line_breaks=not self.one_line):
            raise StopValidation(f"{field.label.text}含有不允许的控制字符或不可见字符，请删除后重试")


class ChoiceRequired:
    """A choice left at 请选择 is refused beside its field."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        if field.data in (None, ""):
            raise StopValidation(f"请选择{field.label.text}")


OPINION_CHECKS = (Checked(checks.opinion_problem),)
USERNAME_CHECKS = (Checked(checks.username_problem),)


class Unique:
    """The value is not already taken by another record of the table."""

    def __init__(self, model_field):
        self.model_field = model_field

    def __call__(self, form, field):
        value = field.data
        if value in (None, ""):
            return
        if isinstance(self.model_field, ForeignKeyField):
            # A related record, or what a client sent instead of one: only a
            # real id is looked up (the select itself refuses the rest).
            value = parse_id(getattr(value, "id", value))
            if value is None:
                return
        model = self.model_field.model
        query = model.select(model.id).where(self.model_field == value)
        current = compat.form_record(form)
        if current is not None and current.id is not None:
            query = query.where(model.id != current.id)
        if query.exists():
            raise ValidationError(f"{field.label.text}“{value}”已存在，不能重复")


# Stands for a file uploaded with this very form: it will be attached on save.
PENDING_UPLOAD = -1


def apply_record_rules(form, model, stored=None):
    """Check the record the form would write against rules.py, without
    writing anything; put each refusal beside its field. True when clean.
    A field already refused by its own check keeps that one message: the
    rules see the stored value in its place (or none), and a rule that
    needs the missing value says nothing twice."""
    record = model()
    if stored is not None:
        compat.copy_stored(stored, record)
    for field in form:
        name = field.name
        if field.errors:
            continue
        if isinstance(field, MaterialUploadField):
            if field.data is not None:
                compat.store(record, name, PENDING_UPLOAD)
            continue
        if name in model._meta.fields:
            field.populate_obj(record, name)
    found = [v for v in invariants.violations(record)
             if not (v.field and v.field in form and form[v.field].errors)]
    for violation in found:
        place_error(form, violation.field, violation.message)
    return not found


def place_error(form, field_name, message):
    """A refusal beside its field, or at the top of the form when the rule
    spans fields or names one this form does not show."""
    field = form[field_name] if field_name and field_name in form else None
    if field is not None:
        field.errors = list(field.errors) + [message]
    else:
        flash(message, "error")
