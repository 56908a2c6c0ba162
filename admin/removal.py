"""Deleting on every screen: never recursive (a lab's projects do not go
with it), refused with a Chinese list of what still refers to the record,
with its audit row and its materials in one transaction; bulk delete says,
record by record, what was deleted and what was not."""
from flask import current_app, flash
from flask_admin.actions import action
from flask_admin.helpers import get_redirect_target
from flask_login import current_user
from peewee import DatabaseError, IntegrityError
from wtforms import HiddenField
from wtforms.validators import InputRequired

import compat
import models
from admin.errors import database_error_message
from models import ALL_MODELS, db
from program import audit, materials
from program.checks import RuleViolation


class RemovalMixin:
    def get_delete_form(self):
        """flask-admin's delete form, its hidden id named in Chinese (a
        request without it is told so in the office's words)."""
        class DeleteForm(super().get_delete_form()):
            id = HiddenField("记录编号", validators=[InputRequired(message="未指定要删除的记录")])
        return DeleteForm

    def references(self, model):
        """What still refers to this record, as Chinese phrases."""
        found = []
        for fk, related in model._meta.backrefs.items():
            if related not in ALL_MODELS:
                continue  # the abstract Application base has no table
            count = related.select().where(fk == model.id).count()
            if count:
                found.append(f"{related._meta.verbose_name} {count} 条")
        return found

    def delete_record(self, model):
        """Delete one record with its audit row and its materials. Returns
        None when done, else the Chinese reason it was not."""
        before = audit.snapshot(model)
        try:
            with materials.Staging(current_app.config["UPLOAD_DIR"]) as stage, db.atomic():
                # Counted inside the transaction: on SQLite it holds the
                # write lock, so nothing can start referring meanwhile.
                refs = self.references(model)
                if refs:
                    return f"“{model}”仍被以下记录引用，不能删除：" + "、".join(refs)
                for name in self.material_fields():
                    stage.retire(compat.stored(model, name))
                model.delete_instance()
                stage.delete_retired()
                audit.record(current_user._get_current_object(), "delete", self.table, model.id,
                             before=before, after={})
        except RuleViolation as exc:
            return exc.message
        except IntegrityError:
            return f"“{model}”仍被其他记录引用，不能删除。"
        except DatabaseError as exc:
            return database_error_message(exc)
        return None

    def delete_model(self, model):
        refusal = self.delete_record(model)
        if refusal:
            flash(refusal, "error")
            return False
        return True

    @action("delete", "删除", "确定要删除所选记录吗？被其他记录引用的记录不会被删除。")
    def action_delete(self, ids):
        records = self.scope(self.model.select()).where(self.model.id.in_(models.parse_ids(ids)))
        results = []
        for record in records.order_by(self.model.id):
            refusal = self.delete_record(record)
            results.append((str(record), refusal is None, refusal or "已删除"))
        return self.render("admin/bulk_result.html", title="批量删除", results=results,
                           return_url=get_redirect_target() or self.get_url(".index_view"))
