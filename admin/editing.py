"""Forms and saves on every screen: the generated form in the view's field
order, narrowed selects, the fields the policy lets the user edit, the
version a form was opened at (optimistic locking), the rules beside the
fields, and the save as one transaction with its uploads and audit row."""
from flask import current_app, flash, g, request
from flask_admin import expose
from flask_admin.contrib.peewee.form import get_form
from flask_admin.helpers import get_form_data
from flask_login import current_user
from peewee import ForeignKeyField

import compat
from admin.errors import database_error_message
from forms.fields import ordered
from forms.validators import apply_record_rules
from models import StaleRecord, db, parse_id
from program import audit, materials, policy, workflow
from program.checks import RuleViolation


class EditingMixin:
    # Select fields offered (and accepted, on the server) from a narrower
    # query than the whole related table: {field name: callable -> query}.
    form_queries = {}

    # --- the forms ------------------------------------------------------------------
    def scaffold_form(self):
        return ordered(super().scaffold_form(), self.form_columns)

    def create_form(self, obj=None):
        form = self._narrow(super().create_form(obj))
        # A new record starts at version 1, whatever a crafted form says.
        if "version" in form:
            del form.version
        if request.method == "GET":
            self._prefill(form)
        return self.with_related_add(self.with_help(self._owned(form), obj))

    def _prefill(self, form):
        """A new record from a related list (新增 on a details page) starts
        with its parent chosen: ?institution=12. Only a record the field
        would offer is taken; anything else is ignored."""
        for name, field in self.model._meta.fields.items():
            if isinstance(field, ForeignKeyField) and name in form and name in request.args:
                record_id = parse_id(request.args.get(name))
                query = getattr(form[name], "query", None) or field.rel_model.select()
                found = query.where(field.rel_model.id == record_id).first() if record_id else None
                if found is not None:
                    form[name].data = found

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        """flask-admin's create page; opened from another form (+ 新建企业,
        ?popup=<field>), it hands the new record back to that form."""
        response = super().create_view()
        created = g.pop("created_record", None)
        field = request.args.get("popup", "")
        if created is not None and field.isidentifier() and field.isascii() and len(field) <= 40 \
                and getattr(response, "status_code", None) == 302:
            return self.render("admin/popup_created.html", record=created, field=field)
        return response

    def edit_form(self, obj=None):
        fields = policy.editable_fields(current_user, self.table)
        if fields is not None:
            form = self.restricted_form(fields)(get_form_data(), obj=obj)
        else:
            form = self._owned(self._narrow(super().edit_form(obj)))
        form = self.with_related_add(self.with_help(form, obj))
        return self.lock(form, obj) if obj is not None else form

    def restricted_form(self, fields):
        """The form of only the fields the policy lets this user edit (and
        the version), made once per set of fields."""
        cache = self.__dict__.setdefault("_restricted_forms", {})
        if fields not in cache:
            names = (*fields, "version")
            cache[fields] = ordered(get_form(self.model, self.model_form_converter(self),
                                             base_class=self.form_base_class, only=names,
                                             field_args=self.form_args), names)
        return cache[fields]

    def _narrow(self, form):
        for name, make_query in self.form_queries.items():
            if hasattr(form, name):
                getattr(form, name).query = make_query()
        return form

    def _owned(self, form):
        """A scoped user's records belong to their institution: the field
        that says so is set by the server (on_model_change), never chosen."""
        owner = policy.owner_field(current_user, self.table) if self.is_scoped() else None
        if owner is not None and owner in form:
            delattr(form, owner)
        return form

    def on_model_change(self, form, model, is_created):
        owner = policy.owner_field(current_user, self.table) if self.is_scoped() else None
        if owner and owner != "id":
            setattr(model, owner, current_user.institution_id)

    # --- checks ----------------------------------------------------------------------
    def validate_form(self, form):
        """The fields' own checks and the program's rules together: every
        refusal beside its field in one round trip, not the rules only
        once the fields are clean."""
        valid = super().validate_form(form)
        if request.endpoint in (f"{self.endpoint}.create_view", f"{self.endpoint}.edit_view") \
                and request.method == "POST":
            stored = compat.form_record(form)
            if stored is not None and self.posted_version() != stored.version:
                # An edit says which version it was opened at; a form that
                # does not say is refused like a stale one, never waved through.
                flash(StaleRecord.message, "error")
                return False
            valid = apply_record_rules(form, self.model, stored) and valid
        return valid

    @staticmethod
    def posted_version():
        value = request.form.get("version", "")
        return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None

    def handle_view_exception(self, exc):
        if isinstance(exc, StaleRecord):
            flash(exc.args[0], "error")
            return True
        if isinstance(exc, RuleViolation):
            # The save-time backstop caught what the form check could not see.
            flash(exc.message, "error")
            return True
        message = database_error_message(exc)
        if message:
            flash(message, "error")
            return True
        return super().handle_view_exception(exc)

    # --- the save: one transaction with its audit row ------------------------------------
    def create_model(self, form):
        model = self._save(form, self.model(), created=True)
        return model or False

    def update_model(self, form, model):
        return bool(self._save(form, model, created=False))

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        """flask-admin's edit page; after an edit that changed nothing, its
        保存记录成功 (whichever save button) says so instead."""
        response = super().edit_view()
        if g.pop("nothing_changed", False):
            compat.replace_last_flash("success", "没有修改任何内容，记录未变。", "info")
        return response

    def _save(self, form, model, created):
        """Populate, check, save, store the uploads, write the audit row and
        take the automatic transitions the record now meets, in one
        transaction; the files are moved into place only after it has
        committed (materials.Staging), and nothing of a refused save stays."""
        user = current_user._get_current_object()
        before = None if created else audit.snapshot(model)
        try:
            with materials.Staging(current_app.config["UPLOAD_DIR"]) as stage, db.atomic():
                g.material_stage = stage
                form.populate_obj(model)
                self.on_model_change(form, model, created)
                if not created and not stage.pending and not audit.diff(before, audit.snapshot(model)):
                    # Nothing to write: no new version, no audit row (a
                    # locked record's form, or 保存 pressed to leave).
                    g.nothing_changed = True
                    workflow.follow_up(model, user)  # e.g. a profile complete since before
                    return model
                model.save(force_insert=created)
                stage.delete_retired()
                audit.record(user, "create" if created else "edit", self.table, model.id,
                             before=before, after=audit.snapshot(model))
                workflow.follow_up(model, user)
            if created:
                g.created_record = model
        except Exception as exc:
            if not self.handle_view_exception(exc):
                raise
            return None
        finally:
            g.pop("material_stage", None)
        self.after_model_change(form, model, created)
        return model
