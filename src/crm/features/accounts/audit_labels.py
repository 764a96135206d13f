"""Readable names of the codes in the audit log (entities, actions, fields, coded values); slices add theirs here."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from crm.features.accounts.permissions import BUILTIN_ROLES, PERMISSION_TITLES
from crm.lib.i18n import N_, gettext, pgettext

LABELS: dict[str, str] = {
    # entities
    "user": N_("User"),
    "role": N_("Role"),
    "api_token": N_("API token"),
    "calendar": N_("Calendar day"),
    "plan": N_("Call plan"),
    "plan_settings": N_("Report settings"),
    "day_comment": N_("Day comment"),
    # actions
    "create": N_("created"),
    "update": N_("changed"),
    "delete": N_("deleted"),
    "revoke": N_("revoked"),
    "password": N_("password set"),
    "permissions": N_("permissions changed"),
    "toggle": N_("switched"),
    "set": N_("set"),
    "force": N_("completion forced"),
    "verify": N_("verified"),
    # fields
    "email": N_("Email"),
    "name": N_("Name"),
    "roles": N_("Roles"),
    "department_id": N_("Department"),
    "telegraph_prefix": N_("Telegraph channel prefix"),
    "employee_bitrix_id": N_("Bitrix24 employee"),
    "is_active": N_("Active"),
    "is_working": N_("Working day"),
    "added": N_("Added"),
    "removed": N_("Removed"),
}


# Coded values of a field, shown by their labels (the field "status" of registries, sendings, contacts...).
VALUE_LABELS: dict[str, dict[str, str]] = {
    "status": {
        "draft": N_("draft"),
        "formed": N_("formed"),
        "closed": N_("closed"),
        "open": N_("open"),
        "queued": N_("queued"),
        "sent": N_("sent"),
        "failed": N_("failed"),
    },
}

# Messages stored in English by the code that wrote them (mail errors...), translated where they are shown.
MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"SMTP is not configured \(CRM_SMTP_HOST\)"), N_("SMTP is not configured (CRM_SMTP_HOST)")),
    (
        re.compile(r"SMTP server (?P<server>\S+) refused the credentials \((?P<code>[^)]*)\)"),
        N_("SMTP server %(server)s refused the credentials (%(code)s)"),
    ),
    (re.compile(r"SMTP server (?P<server>\S+) failed: (?P<error>.+)"), N_("SMTP server %(server)s failed: %(error)s")),
]

# Field codes that are ids of something with a name (weights by operator id): (entity, action) → resolver that
# answers {id: name} for the ids seen on one page, in one query.
Resolver = Callable[[Any, set[str]], Awaitable[dict[str, str]]]
FIELD_RESOLVERS: dict[tuple[str, str], Resolver] = {}
# Coded values whose words agree with what they describe: (entity, field) → code → (message context, message); a
# registry is "закрыт", a contact "закрыто".
ENTITY_VALUE_LABELS: dict[tuple[str, str], dict[str, tuple[str, str]]] = {}


def register(
    labels: dict[str, str],
    values: dict[str, dict[str, str]] | None = None,
    resolvers: dict[tuple[str, str], Resolver] | None = None,
    entity_values: dict[tuple[str, str], dict[str, tuple[str, str]]] | None = None,
) -> None:
    """Called by a slice at import time for the codes it writes to the audit log."""
    for key, own in (entity_values or {}).items():
        ENTITY_VALUE_LABELS.setdefault(key, {}).update(own)
    LABELS.update(labels)
    for field, codes in (values or {}).items():
        VALUE_LABELS.setdefault(field, {}).update(codes)
    FIELD_RESOLVERS.update(resolvers or {})


def stored_message(text: str) -> str:
    """A known English message kept in the database (a mail error, a run's error...) in the current language: a
    message with parts (MESSAGES) or one marked with N_ where it was written; others as they are."""
    for pattern, msgid in MESSAGES:
        found = pattern.fullmatch(text)
        if found:
            return gettext(msgid, **found.groupdict())
    return gettext(text) if text else text  # gettext("") would answer the catalogue's header


def audit_label(code: str) -> str:
    """The readable name of a code; a stored message is translated; anything else is shown as it is."""
    if not isinstance(code, str):
        return "" if code is None else str(code)
    label = LABELS.get(code)
    return gettext(label) if label else stored_message(code)


def _role_titles() -> dict[str, str]:

    return {r.name: r.title for r in BUILTIN_ROLES}


def _permission_titles() -> dict[str, str]:

    return PERMISSION_TITLES


# Fields whose value is a list of codes joined by ", " (a user's roles, a role's added or removed permissions).
LIST_FIELDS: dict[str, Callable[[], dict[str, str]]] = {
    "roles": _role_titles,
    "added": _permission_titles,
    "removed": _permission_titles,
}


def audit_value(field: str, value: Any, entity: str = "") -> str:
    """One old or new value of a change: ∅ for nothing, yes/no for flags, labels for coded values (in the words of
    the entity when it has its own), names for lists of roles or permissions."""
    own = ENTITY_VALUE_LABELS.get((entity, field), {}).get(value) if isinstance(value, str) else None
    if own is not None:
        return pgettext(*own)
    if value is None:
        return "∅"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, str) and field in LIST_FIELDS:
        titles = LIST_FIELDS[field]()
        return ", ".join(gettext(titles[c]) if c in titles else c for c in value.split(", ")) if value else "∅"
    if isinstance(value, str):
        label = VALUE_LABELS.get(field, {}).get(value)
        return gettext(label) if label else stored_message(value)
    return str(value)


def audit_summary(entity: str, summary: str) -> str:
    """What the entry is about: a role by its title, anything else by its label or as written."""
    if entity == "role":
        titles = _role_titles()
        if summary in titles:
            return gettext(titles[summary])
    return audit_label(summary)


async def resolve_fields(session: Any, entries: Iterable[Any]) -> dict[tuple[str, str], dict[str, str]]:
    """Names for the field codes that are ids, one query per kind of entry on the page."""
    wanted: dict[tuple[str, str], set[str]] = {}
    for entry in entries:
        key = (entry.entity, entry.action)
        if key in FIELD_RESOLVERS:
            wanted.setdefault(key, set()).update(entry.changes or {})
    return {key: await FIELD_RESOLVERS[key](session, ids) for key, ids in wanted.items() if ids}
