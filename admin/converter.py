"""How a model's field becomes a form field on every screen: uploads for
materials, check boxes for multi-valued enumerations, amounts that refuse
NaN, selects that refuse an id that is none, a uniqueness check and a
Chinese "required" for every column, text trimmed and free of control
characters."""
from flask_admin.contrib.peewee.form import CustomModelConverter
from markupsafe import escape
from peewee import CharField, DecimalField, TextField
from wtforms.validators import InputRequired, Length

import compat
from forms.fields import (
    AmountField,
    MaterialUploadField,
    MultiCheckboxField,
    SafeModelSelectField,
    strip_text,
)
from forms.validators import ChoiceRequired, Printable, Unique
from models import LongTextField, MaterialField, MultiChoiceField

REQUIRED = "此项为必填项"


def _must_choose(field):
    return not field.null and field.default is None


def _is_text(field):
    return isinstance(field, (CharField, TextField)) and not isinstance(field, MultiChoiceField)


class AppModelConverter(CustomModelConverter):
    def __init__(self, view, additional=None):
        super().__init__(view, additional)
        # wtf-peewee tries converters in order; ours must come before the
        # generic ForeignKeyField one.
        self.converters = {
            MaterialField: self.handle_material,
            MultiChoiceField: self.handle_multi_choice,
            **self.converters,
            DecimalField: self.handle_decimal,
        }

    def convert(self, model, field, field_args):
        field_args = dict(field_args or {})
        field_args["validators"] = self._validators(field, field_args.get("validators", []))
        if field.help_text and "description" not in field_args:
            # flask-admin renders a description as markup: ours is text.
            field_args["description"] = escape(field.help_text)
        if field.choices and (field.null or _must_choose(field)):
            # A choice the clerk must make starts empty ("请选择") and is
            # refused if left so: never a plausible first option by default.
            # (One with a default, such as 优先支持方向 = 无, keeps it.)
            field_args.setdefault("allow_blank", True)
            field_args.setdefault("blank_text", "请选择" if _must_choose(field) else "（不填）")
            if _must_choose(field):
                field_args["validators"].append(ChoiceRequired())
        if _is_text(field):
            field_args["filters"] = [strip_text, *field_args.get("filters", ())]
        name, form_field = super().convert(model, field, field_args)
        if form_field is not None:
            # wtf-peewee's own "required" is invisible to flask-admin's
            # required marker and speaks English; InputRequired shows the *.
            form_field.kwargs["validators"] = [
                InputRequired(message=REQUIRED) if compat.is_value_required(v) else v
                for v in form_field.kwargs.get("validators", [])
            ]
        return name, form_field

    @staticmethod
    def _validators(field, given):
        validators = list(given)
        if _is_text(field):
            validators.insert(0, Printable(one_line=isinstance(field, CharField)))
        if field.unique and not field.primary_key:
            validators.append(Unique(field))
        if isinstance(field, LongTextField):
            validators.append(Length(max=field.max_length, message=f"最多 {field.max_length} 个字"))
        return validators

    def handle_foreign_key(self, model, field, **kwargs):
        if field.name in compat.ajax_loaders(self.view):
            return super().handle_foreign_key(model, field, **kwargs)
        kwargs["allow_blank"] = True
        kwargs["blank_text"] = "（不填）" if field.null else "请选择"
        if not field.null:
            kwargs["validators"] = [*kwargs["validators"], ChoiceRequired()]
        return field.name, SafeModelSelectField(model=field.rel_model, **kwargs)

    def handle_decimal(self, model, field, **kwargs):
        return field.name, AmountField(**kwargs)

    def handle_material(self, model, field, **kwargs):
        kwargs.pop("filters", None)
        kwargs["validators"] = []
        return field.name, MaterialUploadField(**kwargs)

    def handle_multi_choice(self, model, field, **kwargs):
        kwargs["validators"] = [v for v in kwargs["validators"] if not compat.is_value_required(v)]
        kwargs.pop("filters", None)
        return field.name, MultiCheckboxField(choices=list(field.options), **kwargs)
