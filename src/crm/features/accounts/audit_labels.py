"""Readable names of the codes in the audit log (entities, actions, fields); slices add theirs here."""

from __future__ import annotations

from crm.lib.i18n import N_, gettext

LABELS: dict[str, str] = {
    # entities
    "user": N_("User"),
    "role": N_("Role"),
    "api_token": N_("API token"),
    "calendar": N_("Calendar day"),
    # actions
    "create": N_("created"),
    "update": N_("changed"),
    "delete": N_("deleted"),
    "revoke": N_("revoked"),
    "password": N_("password set"),
    "permissions": N_("permissions changed"),
    "toggle": N_("switched"),
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


def register(labels: dict[str, str]) -> None:
    """Called by a slice at import time for the codes it writes to the audit log."""
    LABELS.update(labels)


def audit_label(code: str) -> str:
    label = LABELS.get(code)
    return gettext(label) if label else code
