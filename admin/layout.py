"""How a form is laid out and what of it may be typed into:

- fieldsets with a heading (a view's `form_fieldsets`), through
  flask-admin's public form rules;
- help under a field: the model field's `help_text`, or a view's
  `form_help` for what changes with the policy parameters;
- a hint that follows another field (`form_hints`): the cap of a project's
  purchases and what is left of it, an enterprise's vouchers this year
  against the annual cap, asked of the server as the other field changes;
- a field shown only with the one it depends on (`form_depends`:
  所属领域 with 领域中心), required together by the rules;
- + 新建… beside a related record's field (`form_related_add`), handing
  the new record back to the form that asked;
- the fields a decision has locked (program/locks.py): taken out of the
  form, so nothing posted for them is read, and shown as text in place.
"""
from flask import jsonify, request, url_for
from flask_admin import expose
from flask_login import current_user
from flask_admin.form import rules
from markupsafe import Markup, escape

from admin import present
from models import parse_id
from program import locks, policy, workflow


class ShownField(rules.Field):
    """A form field, or in its place the locked value as text, or nothing
    when this form leaves the field out (an institution's own form, a
    stage that does not fill it)."""

    def __init__(self, field_name, depends_on=None):
        super().__init__(field_name)
        self.depends_on = depends_on

    def __call__(self, form, form_opts=None, field_args=None):
        locked = getattr(form, "locked_display", {})
        if self.field_name in locked:
            label, value = locked[self.field_name]
            return Markup(f'<div class="form-group locked-field" id="locked-{escape(self.field_name)}">'
                          f'<label class="col-form-label">{escape(label)} <span class="badge badge-light">'
                          f'已锁定</span></label><div class="form-control-plaintext">{escape(value)}</div></div>')
        if getattr(form, self.field_name, None) is None:
            return ""
        rendered = super().__call__(form, form_opts, field_args)
        if self.depends_on:
            return Markup(f'<div class="dependent-field" data-shown-with="{escape(self.depends_on)}">'
                          f"{rendered}</div>")
        return rendered


class Section(rules.NestedRule):
    """A fieldset with its legend; left out when none of its fields shows."""

    def __init__(self, title, children):
        super().__init__(children)
        self.title = title

    def __call__(self, form, form_opts=None, field_args=None):
        inner = super().__call__(form, form_opts, field_args)
        if not str(inner).strip():
            return ""
        legend = f"<legend>{escape(self.title)}</legend>" if self.title else ""
        return Markup(f'<fieldset class="form-section">{legend}{inner}</fieldset>')


class LockNote(rules.BaseRule):
    """Why some fields are read-only, above the form."""

    @property
    def visible_fields(self):
        return []

    def __call__(self, form, form_opts=None, field_args=None):
        note = getattr(form, "locked_note", None)
        if not note:
            return ""
        reopen = getattr(form, "reopen_url", None)
        link = (f' <a class="btn btn-sm btn-outline-primary ml-2" id="lock-reopen" href="{escape(reopen)}">退回修改</a>'
                if reopen else "")
        return Markup(f'<div class="alert alert-info" id="lock-note">{escape(note)}{link}</div>')


class Hidden(rules.BaseRule):
    """A hidden field (the version): rendered with the form's hidden tags,
    named here so that flask-admin keeps it in the form."""

    def __init__(self, field_name):
        super().__init__()
        self.field_name = field_name

    @property
    def visible_fields(self):
        return [self.field_name]

    def __call__(self, form, form_opts=None, field_args=None):
        return ""


class LayoutMixin:
    # (heading, field names) in order; None: one section of form_columns.
    form_fieldsets = None
    # {field name: callable(record or None) -> help text} for help that follows the policy.
    form_help: dict = {}
    # {field name: the check box it is shown with}
    form_depends: dict = {}
    # {field name: (the field it follows, hint(that field's id, this record's id) -> text)}
    form_hints: dict = {}
    # Fields whose record can be added from this form (+ 新建企业): their names.
    form_related_add: tuple = ()

    def layout_rules(self):
        """The form rules of this screen's fieldsets (set at start-up)."""
        columns = [c for c in (self.form_columns or ()) if c != "version"]
        sections = self.form_fieldsets or ((None, columns),)
        listed = [name for _title, names in sections for name in names]
        missing = [c for c in columns if c not in listed]
        if missing:
            raise ValueError(f"{type(self).__name__}: fields missing from form_fieldsets: {missing}")
        return [LockNote(),
                *[Section(title, [ShownField(n, self.form_depends.get(n)) for n in names if n in columns])
                  for title, names in sections],
                Hidden("version")]

    def with_help(self, form, record=None):
        for name, text in self.form_help.items():
            if name in form:
                form[name].description = escape(text(record))
        for name, (source, hint) in self.form_hints.items():
            if name in form:
                source_id = getattr(record, f"{source}_id", None) if record is not None else None
                text = hint(source_id, getattr(record, "id", None)) if source_id else ""
                url = self.get_url(".form_hint_view", field=name, id=getattr(record, "id", None))
                form[name].description = Markup(
                    f'{form[name].description or ""}<span class="form-hint d-block" id="hint-{escape(name)}" '
                    f'data-hint-url="{escape(url)}" data-hint-from="{escape(source)}">{escape(text)}</span>')
        return form

    def with_related_add(self, form):
        """+ 新建… beside a related record's field, where the user may create
        one: it opens that table's form, which hands the new record back."""
        for name in self.form_related_add:
            related = self.model._meta.fields[name].rel_model
            table = related._meta.table_name
            if name in form and policy.allows(current_user, table, "create"):
                href = url_for(f"{table}.create_view", popup=name)
                form[name].description = Markup(
                    f'{form[name].description or ""}<a class="related-add d-inline-block mt-1" href="{escape(href)}" '
                    f'data-for="{escape(name)}">+ 新建{escape(related._meta.verbose_name)}</a>')
        return form

    @expose("/hint/")
    def form_hint_view(self):
        """The hint of a field as the field it follows now reads (JSON)."""
        name = request.args.get("field", "")
        if name not in self.form_hints:
            return jsonify(text="")
        source, hint = self.form_hints[name]
        source_id = parse_id(request.args.get(source))
        return jsonify(text=hint(source_id, parse_id(request.args.get("id"))) if source_id else "")

    def lock(self, form, record):
        """Leave out what the record's state has locked, shown as text."""
        names = [n for n in locks.locked_fields(record) if n in form]
        if not names:
            return form
        display = {}
        for name in names:
            value = present.value(record, name)
            display[name] = (form[name].label.text, value if value not in (None, "") else "（空）")
            del form[name]
        form.locked_display = display
        reopen = workflow.correction_for(record)
        form.locked_note = locks.why(record, reopenable=reopen is not None)
        if reopen and reopen in workflow.available(record, current_user):
            # The one who may reopen it is told so, with the button, not
            # sent to look for "the office".
            form.reopen_url = self.get_url(".transition_view", transition=reopen.name, id=record.id)
        return form
