"""The catalogue of permissions and the built-in roles (seeded by the first migration)."""

from __future__ import annotations

from dataclasses import dataclass

from crm.lib.i18n import N_


@dataclass(frozen=True)
class Permission:
    code: str
    title: str
    group: str


PERMISSIONS: tuple[Permission, ...] = (
    Permission("users.manage", N_("Manage users"), N_("Administration")),
    Permission("roles.manage", N_("Edit roles and permissions"), N_("Administration")),
    Permission("calendar.manage", N_("Edit the working-day calendar"), N_("Administration")),
    Permission("integrations.manage", N_("Manage integrations and settings"), N_("Administration")),
    Permission("audit.view", N_("Browse the audit log"), N_("Administration")),
    Permission("scope.all", N_("See the records of every department"), N_("Records")),
    Permission("scope.department", N_("See the records of own department and those below"), N_("Records")),
    Permission("clients.view", N_("See clients, deals and activities"), N_("Records")),
    Permission("sync.period", N_("Re-sync a period from Bitrix24"), N_("Records")),
    Permission("plans.view", N_("See call and meeting statistics"), N_("Plans")),
    Permission("plans.set", N_("Set call plans"), N_("Plans")),
    Permission("plans.force", N_("Force plan completion"), N_("Plans")),
    Permission("plans.edit_past", N_("Edit past plans after the deadline"), N_("Plans")),
    Permission("comments.write", N_("Comment on a working day"), N_("Plans")),
    Permission("comments.verify", N_("Verify day comments"), N_("Plans")),
    Permission("reports.view", N_("See reports"), N_("Reports")),
    Permission("goals.view", N_("See goals and the sales analysis"), N_("Goals")),
    Permission("goals.manage", N_("Manage goals and sales imports"), N_("Goals")),
    Permission("strategies.manage", N_("Manage strategies"), N_("Goals")),
    Permission("tasks.work", N_("Work own tasks and visits"), N_("Tasks")),
    Permission("leads.operate", N_("Receive and close distributed contacts"), N_("Leads")),
    Permission("leads.manage", N_("Manage operators, sources and distribution"), N_("Leads")),
    Permission("telegrams.register", N_("Form daily registries of paid telegrams"), N_("Telegrams")),
    Permission("tariffs.manage", N_("Edit tariffs"), N_("Telegrams")),
    Permission("billing.manage", N_("Bill registries and send detail sheets"), N_("Telegrams")),
)

PERMISSION_CODES = frozenset(p.code for p in PERMISSIONS)

# Sections whose screens are not built yet: their permissions stay in the built-in roles (ready for the day the
# section lands) but the roles matrix does not offer them, and saving the matrix leaves them as they are.
SECTIONS_NOT_BUILT: frozenset[str] = frozenset()
OFFERED = tuple(p for p in PERMISSIONS if p.group not in SECTIONS_NOT_BUILT)
OFFERED_CODES = frozenset(p.code for p in OFFERED)
PERMISSION_TITLES = {p.code: p.title for p in PERMISSIONS}


@dataclass(frozen=True)
class BuiltinRole:
    name: str
    title: str
    permissions: tuple[str, ...]


BUILTIN_ROLES: tuple[BuiltinRole, ...] = (
    BuiltinRole("admin", N_("Administrator"), tuple(p.code for p in PERMISSIONS)),
    BuiltinRole(
        "head",
        N_("Head of department"),
        (
            "audit.view",
            "scope.department",
            "clients.view",
            "sync.period",
            "plans.view",
            "plans.set",
            "plans.force",
            "comments.write",
            "comments.verify",
            "reports.view",
            "goals.view",
            "goals.manage",
            "strategies.manage",
            "tasks.work",
        ),
    ),
    BuiltinRole(
        "manager",
        N_("Sales manager"),
        ("clients.view", "plans.view", "comments.write", "reports.view", "goals.view", "tasks.work"),
    ),
    BuiltinRole("operator", N_("Lead desk operator"), ("leads.operate",)),
    BuiltinRole("telegraph", N_("Telegraph operator"), ("telegrams.register",)),
    BuiltinRole("billing", N_("Billing"), ("billing.manage",)),
)
