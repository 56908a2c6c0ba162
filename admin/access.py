"""Access and scope for every screen, from the one policy
(program/policy.py): which operations the signed-in user has here, which
rows they see, and the one way a single row is fetched."""
from flask import abort, redirect, request, url_for
from flask_login import current_user

import models
from program import policy

# flask-admin's view functions -> the operation of the access table. A view
# function not named here is closed to everyone (check_access).
OPERATIONS = {
    "index_view": "list",
    "details_view": "details",
    "material_view": "details",
    "create_view": "create",
    "edit_view": "edit",
    "delete_view": "delete",
    "export": "export",
    "ajax_update": "edit",
    "unlock_view": "edit",
    # A user's own saved filters of a list they may read.
    "save_filter_view": "list",
    "delete_filter_view": "list",
    # Spreadsheet import (admin/imports.py).
    "import_view": "import",
    "import_template_view": "import",
    "import_report_view": "import",
    "import_commit_view": "import",
    "import_listing_view": "import",
    "undo_view": "undo",
}


class AccessMixin:
    table: str

    def allowed(self, operation):
        return policy.allows(current_user, self.table, operation)

    @property
    def can_create(self):
        return self.allowed("create")

    @property
    def can_edit(self):
        return self.allowed("edit")

    @property
    def can_delete(self):
        return self.allowed("delete")

    @property
    def can_export(self):
        return self.allowed("export")

    def is_accessible(self):
        return self.allowed("list")

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)

    def check_access(self, name, **kwargs):
        """Every view function of every screen, on the server: the operation
        it stands for must be the user's (compat.ModelViewHooks calls this
        for each request, after flask-admin's own is_accessible)."""
        if name in ("ajax_lookup", "form_hint_view"):
            allowed = self.allowed("create") or self.allowed("edit")
        elif name == "action_view":
            allowed = self.is_action_allowed(request.form.get("action"))
        elif name == "transition_view":
            transition = self.transition_or_404(kwargs.get("transition"))
            allowed = self.allowed("details") and self.may_take(transition)
        elif name == "bulk_view":
            allowed = self.allowed("list") and self.bulk_allowed(kwargs.get("transition"))
        else:
            operation = OPERATIONS.get(name)
            allowed = operation is not None and self.allowed(operation)
        if not allowed:
            abort(403)
        return None

    def is_action_allowed(self, name):
        if name == "delete":
            return self.allowed("delete")
        return self.bulk_allowed(name)

    # --- rows ------------------------------------------------------------------
    def is_scoped(self):
        return policy.is_scoped(current_user)

    def scope(self, query):
        """Narrow any query on this table to the rows the user may see."""
        return policy.owned(current_user, self.model, query)

    def get_one(self, id):
        """Every path that fetches one row (details, edit, delete, material,
        transitions) comes through here, so the scope holds for all of them
        (#1070)."""
        pk = models.parse_id(id)
        if pk is None:
            abort(404)
        record = self.scope(self.model.select()).where(self.model.id == pk).first()
        if record is None:
            # Not there, or not the user's to see: the same answer for both.
            abort(404)
        return record
