"""Who may do what: role x table x operation, in one table (DOMAIN.md §5).

The base view reads it for every request; the menus, buttons and the server's
checks all come from here, so they cannot disagree.
"""
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

ACCESS = {
    "admin": {
        **{t: FULL for t in PROGRAM_TABLES},
        "user": FULL,
        "policy_setting": FULL,
        # The trail is read, never written by hand, by anyone.
        "audit_log": READ,
        "report": frozenset({"list"}),
    },
    "clerk": {
        **{t: FULL for t in PROGRAM_TABLES},
        "policy_setting": READ,
        "audit_log": READ,
        "report": frozenset({"list"}),
    },
    "reviewer": {
        **{t: READ for t in PROGRAM_TABLES},
        "policy_setting": READ,
        "audit_log": READ,
        "report": frozenset({"list"}),
    },
    # An opened institution account: its own profile and its own events only
    # (the rows are narrowed by the views' scope).
    "institution": {
        "recommending_institution": frozenset({"list", "details", "edit"}),
        "promotion_event": frozenset({"list", "details", "create", "edit", "delete"}),
    },
}


def allows(user, table, operation):
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if not user.is_active:
        return False
    return operation in ACCESS.get(user.role, {}).get(table, ())
