"""Who may do what (DOMAIN.md §5): the one home of every question about a
role. The screens, the menus, the buttons, the workflow and the command line
all ask here, so they cannot disagree; no other module names a role.

- ACCESS: which screens (tables) and operations a role has;
- SCOPE: which rows it sees, for roles that see only their own;
- EDITABLE: which fields it may edit, where it may edit fewer than the form;
- the transition roles (OFFICE, COMMISSION, SELF) that workflow.TRANSITIONS
  names for each step.
"""
from typing import Any, Optional

ADMIN = "admin"
CLERK = "clerk"
REVIEWER = "reviewer"
INSTITUTION = "institution"

# (stored word, Chinese name), in the order the account form offers them.
ROLES = (
    (ADMIN, "系统管理员"),
    (CLERK, "办公室工作人员"),
    (REVIEWER, "市科委审核人员"),
    (INSTITUTION, "推荐机构账号"),
)

# The roles that keep the system (accounts, policy settings); at least one
# active account must hold one (checks.general_keeps_an_admin).
ADMINISTRATORS = frozenset({ADMIN})

# Who takes which step of the workflows.
OFFICE = frozenset({ADMIN, CLERK})
# R2 (Q4): approving a recommending institution is the commission's.
COMMISSION = frozenset({ADMIN, REVIEWER})
# An institution completes its own profile.
SELF = frozenset({INSTITUTION})

READ = frozenset({"list", "details", "export"})
FULL = READ | {"create", "edit", "delete"}

PROGRAM_TABLES = (
    "recommending_institution",
    "promotion_event",
    "service_institution",
    "performance_evaluation",
    "domain_center_member",
    "lab",
    "enterprise",
    "new_tech_product",
    "project",
    "project_purchase",
)

# The lists a spreadsheet can be imported into (program/importing/specs.py).
IMPORTABLE = ("enterprise", "lab", "domain_center_member", "new_tech_product",
              "recommending_institution", "service_institution", "project", "promotion_event")
IMPORT = frozenset({"import"})
# An import batch is read, and undone while its records are as it left them.
BATCHES = READ | {"undo"}

ACCESS = {
    ADMIN: {
        **{t: FULL | (IMPORT if t in IMPORTABLE else frozenset()) for t in PROGRAM_TABLES},
        "import_batch": BATCHES,
        "notice": READ,
        "user": FULL,
        # Versions of the program's keys (program/parameters.py): a new one
        # from a later date; a pending one changed or withdrawn; one in
        # force locked (program/locks.py).
        "policy_setting": READ | {"create", "edit", "delete"},
        # The trail is read, never written by hand, by anyone.
        "audit_log": READ,
        "report": frozenset({"list"}),
    },
    CLERK: {
        **{t: FULL | (IMPORT if t in IMPORTABLE else frozenset()) for t in PROGRAM_TABLES},
        "import_batch": BATCHES,
        "notice": READ,
        "policy_setting": READ,
        "audit_log": READ,
        "report": frozenset({"list"}),
    },
    REVIEWER: {
        **{t: READ for t in PROGRAM_TABLES},
        "policy_setting": READ,
        "audit_log": READ,
        "report": frozenset({"list"}),
    },
    # An opened institution account: its own profile and its own events only.
    INSTITUTION: {
        "recommending_institution": frozenset({"list", "details", "edit"}),
        "promotion_event": frozenset({"list", "details", "create", "edit", "delete", "import"}),
        "import_batch": BATCHES - {"export"},
    },
}

# Roles that see only their own rows: per table, the field that holds the
# user's institution id. A table not named shows such a role nothing.
SCOPE = {
    INSTITUTION: {
        "recommending_institution": "id",
        "promotion_event": "institution",
        "import_batch": "institution",
    },
}

# Q4: an institution completes its introduction, features and contacts, and
# nothing else of its record.
EDITABLE = {
    INSTITUTION: {
        "recommending_institution": ("introduction", "service_features",
                                     "contact_name", "contact_phone", "contact_email"),
    },
}


def _real(user: Any) -> Any:
    """The user behind Flask-Login's current_user proxy, read once (each
    attribute read through the proxy looks the user up again; a list page
    asks the policy dozens of times)."""
    unwrap = getattr(type(user), "_get_current_object", None)
    return user._get_current_object() if unwrap is not None else user


def _active(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def allows(user: Any, table: str, operation: str) -> bool:
    """May this user do this operation on this table's screen?"""
    user = _real(user)
    if not _active(user):
        return False
    return operation in ACCESS.get(user.role, {}).get(table, ())


def is_scoped(user: Any) -> bool:
    """Does this user see only the rows of their own institution? (By role
    alone: a scoped role stays scoped whatever else is true of the user.)"""
    return getattr(user, "role", None) in SCOPE


def owner_field(user: Any, table: str) -> Optional[str]:
    """For a scoped user, the field of `table` that must hold their
    institution's id (None: no row of it is theirs)."""
    return SCOPE.get(user.role, {}).get(table)


def rows_of(user: Any, model: Any, query: Any) -> Any:
    """`query` on a table the user may not read at all: no rows; else
    narrowed to their own (owned()). For what another screen names, such
    as a filter's related records."""
    table = model._meta.table_name
    if not allows(user, table, "list") and not allows(user, table, "details"):
        return query.where(False)
    return owned(user, model, query)


def owned(user: Any, model: Any, query: Any) -> Any:
    """`query` on `model` narrowed to the rows a scoped user's institution
    owns (the one home of the scope: every screen's rows come through it)."""
    table = model._meta.table_name
    if is_scoped(user):
        owner = owner_field(user, table)
        if owner is None or user.institution_id is None:
            return query.where(False)
        return query.where(getattr(model, owner) == user.institution_id)
    return query


def editable_fields(user: Any, table: str) -> Optional[tuple]:
    """The fields this user may edit on the table's form, or None when the
    form's own fields apply."""
    return EDITABLE.get(str(getattr(user, "role", "")), {}).get(table)


def editable_fields_for(role: str, table: str) -> tuple:
    return EDITABLE.get(role, {}).get(table, ())


def may_take(user: Any, roles: frozenset) -> bool:
    """May this user take a workflow step open to these roles?"""
    user = _real(user)
    return _active(user) and user.role in roles


def sees_office_records(user: Any) -> bool:
    """The office's totals, work and audit history: everyone but a scoped
    (institution) account."""
    return _active(user) and not is_scoped(user)


def administers(role: str) -> bool:
    """Does this role keep the system (ADMINISTRATORS)?"""
    return role in ADMINISTRATORS


def needs_institution(role: str) -> bool:
    """An account of this role belongs to a recommending institution."""
    return role == INSTITUTION
