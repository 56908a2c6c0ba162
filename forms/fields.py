"""Form fields the generated admin forms need beyond WTForms' own."""
from flask import current_app
from flask_login import current_user
from markupsafe import escape
from wtforms import FileField, SelectMultipleField, widgets
from wtforms.fields.core import UnboundField
from wtforms.validators import ValidationError

import materials


class MaterialUploadField(FileField):
    """Upload of one application material; an empty submission keeps the file
    already attached."""

    def process(self, formdata, data=None, **kwargs):
        super().process(formdata, data=data, **kwargs)
        self.current = data if hasattr(data, "original_name") else None
        self._checked = None
        if self.current is not None:
            kb = max(1, self.current.size // 1024)
            self.description = escape(
                f"当前文件：{self.current.original_name}（{kb} KB）。选择新文件将替换它。"
            )

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

    def populate_obj(self, obj, name):
        if not self._checked:
            return
        data, extension = self._checked
        stored = materials.store(
            data,
            extension,
            self.data.filename,
            current_app.config["UPLOAD_DIR"],
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
        unbound = form_class.__dict__.get(name)
        if isinstance(unbound, UnboundField):
            unbound.creation_counter = -10_000 + position
    return form_class
