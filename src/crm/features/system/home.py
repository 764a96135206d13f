"""What the home page offers: the sections of a person's daily work, most used first, and nothing else.

Each entry names the permissions that make it part of someone's job; the profile, the read-only calendar and the
API documentation stay in the menus (the user menu, the top bar, /docs) instead of crowding everybody's home.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crm.lib.i18n import N_


@dataclass(frozen=True)
class HomeEntry:
    href: str
    title: str
    text: str
    any_of: tuple[str, ...]
    instead_of: tuple[str, ...] = ()  # shown only to people who do not have these (a narrower entry of a section)


ENTRIES: tuple[HomeEntry, ...] = (
    HomeEntry(
        "/reports/communications",
        N_("Client communications"),
        N_("Every client you look after: the last contact (stale ones marked), active and won deals per pipeline."),
        ("reports.view",),
    ),
    HomeEntry(
        "/reports/sales",
        N_("Sales"),
        N_("Won deals of a period by manager, source and contract type, against the one before; charts, exports."),
        ("reports.view",),
    ),
    HomeEntry(
        "/plans",
        N_("Calls and meetings"),
        N_("Calls and meetings of managers by month and by working day, call plans and their completion."),
        ("plans.view",),
    ),
    HomeEntry(
        "/analysis",
        N_("Sales analysis"),
        N_("ERP sales against monthly goals: revenue, buying, new and non-retained clients; I1–I4, ABC, categories."),
        ("goals.view",),
    ),
    HomeEntry(
        "/tasks",
        N_("Tasks"),
        N_("Your tasks on a board, a calendar and a list; recurring tasks and comments."),
        ("tasks.work",),
    ),
    HomeEntry(
        "/my-day",
        N_("My day"),
        N_("Today's tasks and visits on the phone: check in, note, photos, check out."),
        ("tasks.work",),
    ),
    HomeEntry(
        "/strategies",
        N_("Strategies"),
        N_("Strategies for goals and clients: their tasks, progress, sales impact and ROI."),
        ("strategies.manage",),
    ),
    HomeEntry(
        "/companies",
        N_("Companies"),
        N_("Clients, deals, activities and calls copied from Bitrix24; employees, departments and pipelines."),
        ("clients.view",),
    ),
    HomeEntry(
        "/leads/my",
        N_("My contacts"),
        N_("Contacts given to you; close them when handled."),
        ("leads.operate",),
        instead_of=("leads.manage",),
    ),
    HomeEntry(
        "/leads/queue",
        N_("Lead desk"),
        N_("Contacts from bots and forms, the unassigned queue, operators, weights and distribution statistics."),
        ("leads.manage",),
    ),
    HomeEntry(
        "/telegraph",
        N_("Telegrams"),
        N_("Daily registries of paid telegrams, billing, detail sheets and tariffs."),
        ("telegrams.register", "billing.manage", "tariffs.manage"),
    ),
    HomeEntry(
        "/imports",
        N_("Sales imports"),
        N_("ERP sales files from uploads and the mailbox: status, counts, rejected rows."),
        ("goals.manage",),
    ),
    HomeEntry("/users", N_("Users"), N_("Accounts, roles and departments."), ("users.manage",)),
    HomeEntry("/roles", N_("Roles"), N_("What each role may do."), ("roles.manage",)),
    HomeEntry("/audit", N_("Audit log"), N_("Who changed what, and when."), ("audit.view",)),
    HomeEntry(
        "/integrations/bitrix24",
        N_("Bitrix24"),
        N_("The connection, the sync and its runs."),
        ("integrations.manage",),
    ),
    HomeEntry("/calendar", N_("Calendar"), N_("Working days and days off of the organisation."), ("calendar.manage",)),
    HomeEntry("/docs", N_("API"), N_("The HTTP API and its documentation."), ("integrations.manage",)),
)


def entries_for(user: Any) -> list[HomeEntry]:
    return [
        entry
        for entry in ENTRIES
        if any(user.can(p) for p in entry.any_of) and not any(user.can(p) for p in entry.instead_of)
    ]
