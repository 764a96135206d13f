"""The clients slice's forms (crm.lib.forms): the Bitrix24 connection, a sync run, the period re-sync, a stage's
"preparation" switch."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from crm.integrations.bitrix24 import Bitrix24Error
from crm.integrations.bitrix24.auth import check_url
from crm.lib.forms import Boolean, Choice, Date, Field, Form, Integer, Invalid, Number, Text
from crm.lib.i18n import N_
from crm.lib.i18n import gettext as _

# The activity kinds an admin may count as meetings or as communications (crm.features.clients.mapping).
KIND_LABELS = {
    "call": N_("Calls"),
    "meeting": N_("Meetings"),
    "email": N_("Emails"),
    "task": N_("Tasks"),
    "todo": N_("To-do items (universal activities)"),
    "other": N_("Other kinds of activity"),
}
HTTPS = N_("Use https (plain http only for a local emulator).")


def _webhook_problem(url: str) -> str | None:
    parts = [p for p in urlsplit(url).path.split("/") if p]
    if len(parts) < 3 or parts[0] != "rest" or not parts[1].isdigit():
        return N_("A webhook URL looks like https://portal.bitrix24.ru/rest/1/code/.")
    return _https_problem(url)


def _https_problem(url: str) -> str | None:
    try:
        check_url(url)
    except Bitrix24Error:
        return HTTPS
    return None


class FieldMap(Field[dict[str, dict[str, str]]]):
    """Bitrix24's user fields by entity: a JSON object of objects of strings; empty is ``{}``."""

    def parse(self, data: Any) -> dict[str, dict[str, str]]:
        return super().parse(data) or {}

    def convert(self, text: str) -> dict[str, dict[str, str]]:
        problem = N_('JSON like {"deal": {"contract_type": "UF_CRM_123"}}.')
        try:
            value = json.loads(text)
        except ValueError:
            raise Invalid(problem) from None
        if not isinstance(value, dict) or not all(
            isinstance(v, dict) and all(isinstance(a, str) and isinstance(b, str) for a, b in v.items())
            for v in value.values()
        ):
            raise Invalid(problem)
        return value


class ConnectionForm(Form):
    """The Integrations screen's settings. Whether a webhook or a secret must be typed depends on what is stored
    already: ``connection.save_settings`` checks that."""

    mode = Choice(choices=("webhook", "app"), message=N_("Choose a connection kind."))
    webhook_url = Text(max_length=2000, validate=_webhook_problem)
    portal = Text(max_length=2000, validate=_https_problem)
    client_id = Text(max_length=255)
    client_secret = Text(max_length=2000)
    rate = Number(
        min=Decimal("0.1"),
        max=Decimal("50"),
        default=Decimal("2"),
        message=N_("Requests per second: a number from 0.1 to 50 (2, or 5 on Enterprise)."),
    )
    min_call_seconds = Integer(min=0, max=3600, default=20, message=N_("Seconds: a whole number from 0 to 3600."))
    # unchecked boxes send nothing: "kinds" (a hidden field beside them) tells "none checked" from "not on the form"
    kinds = Boolean()
    meeting_kinds = Choice(choices=tuple(KIND_LABELS), many=True)
    communication_kinds = Choice(choices=tuple(KIND_LABELS), many=True)
    field_map = FieldMap()

    def check(self) -> None:
        if self.kinds:
            for name in ("meeting_kinds", "communication_kinds"):
                if not self.values[name] and name not in self.errors:
                    self.errors.add(name, _("Choose at least one kind of activity."))
        if self.mode == "app":
            if not self.portal and "portal" not in self.errors:
                self.errors.add("portal", _("Enter the portal address."))
            if not self.client_id:
                self.errors.add("client_id", _("Enter the application's client id."))


class PeriodForm(Form):
    """A period re-sync: both dates, at most a year."""

    since = Date(required=True, required_message=N_("Enter both dates."), message=N_("Enter both dates."))
    until = Date(required=True, required_message=N_("Enter both dates."), message=N_("Enter both dates."))

    def check(self) -> None:
        if self.since and self.until:
            if self.until < self.since:
                self.errors.add("until", _("The end is before the start."))
            elif (self.until - self.since).days > 370:
                self.errors.add("until", _("At most a year at a time."))


class SyncForm(Form):
    """Sync now: which run (the button's; anything else is the incremental one, as the button says)."""

    kind = Choice(choices=("full", "incremental", "reconcile", "rebuild"), default="incremental")


class StagePreparationForm(Form):
    """A pipeline stage counted as "preparation" (``preparation=true``) or not."""

    status_id = Text(required=True, max_length=100)
    preparation = Boolean()


class InstallForm(Form):
    """Bitrix24's ONAPPINSTALL of the local application (a POST from the portal, form-encoded ``auth[...]``, not a
    person's form): the tokens, the portal's domain and its REST address. A value longer than any token is refused
    (422 naming it); whether the portal is ours and the tokens are proven is the handler's check."""

    access_token = Text(name="auth[access_token]", max_length=4000)
    refresh_token = Text(name="auth[refresh_token]", max_length=4000)
    domain = Text(name="auth[domain]", max_length=255)
    client_endpoint = Text(name="auth[client_endpoint]", max_length=2000)
