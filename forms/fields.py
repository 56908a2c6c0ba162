"""Form fields the generated admin forms need beyond WTForms' own."""
from decimal import Decimal, InvalidOperation

from flask import current_app, g
from flask_login import current_user
from markupsafe import Markup, escape
from wtforms import DecimalField, FileField, SelectMultipleField, widgets
from wtforms.validators import ValidationError
from wtfpeewee.fields import ModelSelectField

import compat
from models import parse_id
from program import checks, materials


def strip_text(value):
    """What a clerk typed, without the spaces around it (full-width ones
    included) or invisible characters: "  海淀区 " and "海淀区" are one name."""
    return checks.trim(value) if isinstance(value, str) else value


class AmountField(DecimalField):
    """An amount of money or a score. Accepts "37,700.00"; refuses NaN,
    Infinity and anything that is not a number with a Chinese message; shows
    what was typed rather than breaking on a value it cannot format (the
    bounds themselves are checks.general_field_bounds')."""

    def process_formdata(self, valuelist):
        self.data = None
        raw = (valuelist[0] if valuelist else "") or ""
        raw = raw.strip().replace(",", "").replace("，", "")
        if not raw:
            return
        try:
            value = Decimal(raw)
        except (InvalidOperation, ValueError):
            raise ValueError("请输入数字，如 37700.00") from None
        if not value.is_finite():
            raise ValueError("请输入有效的数字（不能是 NaN 或 Infinity）")
        if value and not -12 <= value.adjusted() <= 15:
            raise ValueError("数字超出允许范围")
        self.data = value

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        try:
            return format(self.data.quantize(Decimal(1).scaleb(-(self.places or 0))), "f")
        except (InvalidOperation, AttributeError):
            return str(self.data)


class SafeModelSelectField(ModelSelectField):
    """wtf-peewee's select of a related record, refusing an id that is not
    one (text, a negative or a 30-digit number) as "not a valid choice"
    instead of handing it to the database."""

    def get_model(self, pk):
        if parse_id(pk) is None:
            return None
        return super().get_model(parse_id(pk))

    def pre_validate(self, form):
        # wtf-peewee queries a value its null filter handed back unchecked.
        data = self.data
        if data is not None and not hasattr(data, "_meta") and parse_id(data) is None:
            raise ValidationError("请选择列表中的一项")
        super().pre_validate(form)


class ChineseFileInput(widgets.FileInput):
    """The browser's own file button speaks the browser's language ("Choose
    File"): Bootstrap's custom file box instead, labelled in Chinese (its
    label follows the chosen file: static/js/app.js), offering only the
    types the office accepts."""

    def __call__(self, field, **kwargs):
        # flask-admin's classes kept (is-invalid shows the refusal below the box).
        kept = kwargs.get("class", "").replace("form-control-file", "").replace("form-control", "").split()
        kwargs["class"] = " ".join(["custom-file-input", *kept])
        kwargs.setdefault("accept", ",".join("." + ext for ext in (*materials.ALLOWED_TYPES, "jpeg")))
        box = super().__call__(field, **kwargs)
        return Markup(f'<div class="custom-file">{box}<label class="custom-file-label" for="{escape(field.id)}" '
                      f'data-browse="选择文件">未选择文件</label></div>')


class MaterialUploadField(FileField):
    """Upload of one application material; an empty submission keeps the file
    already attached."""

    widget = ChineseFileInput()

    def process(self, formdata, data=None, **kwargs):
        super().process(formdata, data=data, **kwargs)
        self.current = data if hasattr(data, "original_name") else None
        self._checked = None
        limit = current_app.config["MAX_UPLOAD_BYTES"]
        rule = f"可上传 {materials.ALLOWED_LABEL}，不超过 {materials.size_text(limit)}。"
        if self.current is not None:
            kb = max(1, self.current.size // 1024)
            rule = f"当前文件：{self.current.original_name}（{kb} KB）。选择新文件将替换它；{rule}"
        self.description = escape(rule)

    def process_formdata(self, valuelist):
        upload = valuelist[0] if valuelist else None
        self.data = upload if getattr(upload, "filename", None) else None

    def pre_validate(self, form):
        if self.data is None:
            return
        try:
            self._checked = materials.read_checked(
                self.data.stream, current_app.config["MAX_UPLOAD_BYTES"]
            )
        except materials.MaterialError as exc:
            raise ValidationError(str(exc)) from exc

    def checked_upload(self):
        """(bytes, extension) of the upload that passed validation, or None."""
        return self._checked

    def populate_obj(self, obj, name):
        if not self._checked:
            return
        # The save's staging (admin/base.py): the file is moved into place
        # only when the record's transaction commits.
        stage = g.get("material_stage")
        if stage is None:
            raise RuntimeError("uploads are stored only inside a staged save")
        data, extension = self._checked
        stage.retire(compat.stored(obj, name))
        stored = stage.store(
            data, extension, self.data.filename,
            user=current_user._get_current_object() if current_user.is_authenticated else None,
        )
        setattr(obj, name, stored)


class CheckboxListWidget(widgets.ListWidget):
    # flask-admin styles fields by input_type: "checkbox" keeps it from
    # squeezing the list into a one-line form-control box.
    input_type = "checkbox"

    def __call__(self, field, **kwargs):
        kwargs["class"] = ("checkbox-list " + kwargs.get("class", "")).strip()
        return super().__call__(field, **kwargs)


class MultiCheckboxField(SelectMultipleField):
    """Several enumeration words, ticked one by one."""

    widget = CheckboxListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def process_data(self, value):
        self.data = list(value or [])

    def populate_obj(self, obj, name):
        setattr(obj, name, list(self.data or []))


def ordered(form_class, names):
    """Lay a generated form out in the order the view lists its columns
    (wtf-peewee follows the model's field order otherwise)."""
    for position, name in enumerate(names or ()):
        compat.place_field(form_class, name, position)
    return form_class
