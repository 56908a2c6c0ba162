"""The screens of workflow.py, shared by every view whose table has
transitions: a confirmation form per transition at /admin/<table>/<name>/,
the buttons on lists and details pages, and every transition marked bulk
in the list's 批量操作 menu: one confirmation with the transition's fields
and opinion shared by the records, and a result per record."""
from flask import abort, current_app, flash, make_response, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.peewee.form import get_form
from flask_admin.helpers import get_form_data, get_redirect_target
from flask_login import current_user
from markupsafe import escape
from peewee import DatabaseError
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional

import compat
from admin.errors import database_error_message
from forms.fields import MaterialUploadField, ordered, strip_text
from forms.validators import OPINION_CHECKS, USERNAME_CHECKS, place_error
from models import db, parse_id, parse_ids
from program import materials, policy, workflow
from program.checks import RuleViolation


class TransitionsMixin:
    def transitions(self):
        return workflow.for_table(self.table)

    def available_transitions(self, record):
        if not current_user.is_authenticated:
            return []
        return workflow.available(record, current_user)

    def transition_or_404(self, name):
        transition = workflow.get(self.table, name)
        if transition is None:
            abort(404)
        return transition

    def may_take(self, transition):
        return policy.may_take(current_user, transition.roles) and not transition.automatic

    def init_actions(self):
        """flask-admin's actions (delete), then one per bulk transition."""
        super().init_actions()
        for t in self.transitions():
            if t.bulk:
                compat.add_action(self, t.name, f"批量{t.label}",
                                  lambda ids, name=t.name: self._bulk_redirect(name, ids))

    # --- the confirmation form ---------------------------------------------
    def transition_form(self, transition, record, formdata=None):
        """The transition's fields and opinion, for one record (id and
        version carried) or, without a record, for a bulk confirmation."""
        names = [n for n in transition.fields if n in self.model._meta.fields]
        base = ordered(get_form(self.model, self.model_form_converter(self), base_class=self.form_base_class,
                                only=names), names) if names else self.form_base_class

        class TransitionForm(base):
            id = HiddenField()
            # The version the user saw: if the record moves on before the
            # confirmation, perform() says it was taken meanwhile.
            version = HiddenField()
            opinion = TextAreaField(
                "意见",  # required or not: the form's * says
                validators=[InputRequired(message=f"{transition.label}须填写意见") if transition.opinion_required
                            else Optional(), *OPINION_CHECKS],
                filters=[strip_text],
            )

        if "username" in transition.fields:
            TransitionForm.username = StringField(
                "系统账号用户名", validators=[Optional(), *USERNAME_CHECKS],
                description="留空则自动生成（如 jigou0012）", filters=[strip_text],
            )
        form = TransitionForm(formdata, obj=record)
        if record is not None:
            form.id.data = record.id
        if formdata is None and record is not None:
            form.version.data = record.version
        for name in (n for n in transition.required if n in form):
            self._require(form[name])
        for name, hint in transition.hints.items():
            if name in form and record is not None:
                form[name].description = escape(hint(record))
        return form

    @staticmethod
    def _require(field):
        """A field the transition requires: starred and checked; a date
        starts at today; a material already on file serves unless a new
        upload replaces it."""
        if isinstance(field, MaterialUploadField) and field.current is not None:
            return
        field.validators = [InputRequired(message="此项为必填项")] + [
            v for v in field.validators if not isinstance(v, Optional)]
        field.flags.required = True
        if field.data is None and field.name.endswith("_on"):
            field.data = workflow.today()

    @expose("/<transition>/", methods=("GET", "POST"))
    def transition_view(self, transition):
        t = self.transition_or_404(transition)
        return_url = get_redirect_target() or self.get_url(".index_view")
        record_id = request.form.get("id") if request.method == "POST" else request.args.get("id")
        record = self.get_one(record_id)  # scoped: 404 outside the user's rows
        refusal = workflow.why_not(t, record, current_user._get_current_object())
        if request.method == "GET" and refusal:
            # Said before any form is filled in, not after it is confirmed.
            flash(refusal, "error")
            return redirect(self.get_url(".details_view", id=record.id, url=return_url))
        # The form with its uploads (a material: 申请兑付's).
        form = self.transition_form(t, record, get_form_data() if request.method == "POST" else None)
        if request.method == "POST" and form.validate():
            done = self.take(t, record, form, return_url)
            if done is not None:
                return done
        return self.render("admin/transition.html", transition=t, record=record, form=form,
                           return_url=return_url, workflow=workflow)

    def take(self, t, record, form, return_url):
        """Take the confirmed transition: its result page, or None with the
        refusal placed on the form."""
        # From the request itself: a form field absent from it would take
        # the record's current version (WTForms' object data).
        version = parse_id(request.form.get("version"))
        if version is None:
            # Like an edit, a confirmation says which version it was opened
            # at; one that does not is never waved through.
            place_error(form, None, "页面已过期（缺少版本信息），未做任何修改，请重新打开后再办理。")
            return None
        user = current_user._get_current_object()
        try:
            # An uploaded material is stored in the transition's transaction
            # and moved into place once it commits (materials.Staging).
            with materials.Staging(current_app.config["UPLOAD_DIR"]) as stage, db.atomic():
                values = self.transition_values(t, form, record, stage, user)
                result = workflow.perform(t, record.id, user, opinion=form.opinion.data or "", values=values,
                                          expected_version=version)
                stage.delete_retired()  # a replaced material, no longer referred to
        except workflow.WorkflowError as exc:
            if exc.forbidden:
                abort(403)
            place_error(form, exc.field, exc.message)
        except RuleViolation as exc:
            for problem in exc.every:
                place_error(form, problem.field, problem.message)
        except DatabaseError as exc:
            place_error(form, None, database_error_message(exc))
        else:
            return self.taken(t, record, result, return_url)
        return None

    @staticmethod
    def transition_values(t, form, record, stage, user):
        """The confirmed fields' values; an upload becomes its stored file's
        id (none chosen: the one the record holds)."""
        values = {}
        for name in (n for n in t.fields if n in form):
            field = form[name]
            if isinstance(field, MaterialUploadField):
                held = compat.stored(record, name) if record is not None else None
                checked = field.checked_upload()
                if checked:
                    stage.retire(held)
                values[name] = stage.store(*checked, field.data.filename, user=user).id if checked else held
            else:
                values[name] = field.data
        return values

    def taken(self, t, record, result, return_url):
        fresh = self.model.get_by_id(record.id)
        if result.get("password"):
            login_url = (current_app.config.get("PUBLIC_URL") or request.url_root).rstrip("/") + url_for("auth.login")
            response = make_response(self.render(
                "admin/account_opened.html", record=fresh, result=result, return_url=return_url,
                login_url=login_url, today=workflow.today()))
            # The one-time password must not linger in any cache.
            response.headers["Cache-Control"] = "no-store"
            return response
        flash(f"已{t.label}：{fresh}（当前状态：{fresh.display('status')}）", "success")
        return redirect(self.get_url(".details_view", id=record.id, url=return_url))

    # --- bulk transitions -------------------------------------------------------
    def _bulk_redirect(self, name, ids):
        return redirect(self.get_url(".bulk_view", transition=name, ids=",".join(ids),
                                     url=get_redirect_target() or self.get_url(".index_view")))

    def bulk_allowed(self, name):
        t = workflow.get(self.table, name)
        return t is not None and t.bulk and self.may_take(t)

    @expose("/bulk/<transition>/", methods=("GET", "POST"))
    def bulk_view(self, transition):
        t = self.transition_or_404(transition)
        if not t.bulk:
            abort(404)
        return_url = get_redirect_target() or self.get_url(".index_view")
        source = request.form if request.method == "POST" else request.args
        ids = parse_ids(source.get("ids", ""))
        records = list(self.scope(self.model.select()).where(self.model.id.in_(ids)).order_by(self.model.id))
        form = self.transition_form(t, None, request.form if request.method == "POST" else None)
        if request.method == "POST" and form.validate():
            values = {name: form[name].data for name in t.fields if name in form}
            opinion = form.opinion.data or ""
            results = [self.bulk_take(t, record, opinion, values) for record in records]
            return self.render("admin/bulk_result.html", title=f"批量{t.label}", results=results,
                               return_url=return_url)
        user = current_user._get_current_object()
        reasons = {r.id: workflow.why_not(t, r, user) for r in records}
        return self.render("admin/bulk_transition.html", transition=t, records=records, form=form,
                           ids=",".join(str(r.id) for r in records), return_url=return_url, reasons=reasons,
                           takeable=sum(1 for r in records if not reasons[r.id]),
                           target_label=workflow.state_label(self.model, t.target))

    def bulk_take(self, t, record, opinion, values):
        """One record of a bulk action: (record, done, what happened). A
        record's refusal, or the database's, never stops the others."""
        version = parse_id(request.form.get(f"version_{record.id}"))
        if version is None:
            return (str(record), False, "页面已过期（缺少版本信息），未办理，请重新打开后再办理")
        try:
            workflow.perform(t, record.id, current_user._get_current_object(), opinion=opinion,
                             values=values, expected_version=version)
        except workflow.WorkflowError as exc:
            return (str(record), False, exc.message)
        except RuleViolation as exc:
            return (str(record), False, "；".join(problem.message for problem in exc.every))
        except DatabaseError as exc:
            return (str(record), False, database_error_message(exc))
        fresh = self.model.get_by_id(record.id)
        return (str(fresh), True, f"已{t.label}（当前状态：{fresh.display('status')}）")

