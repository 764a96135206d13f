"""The system slice's forms (crm.lib.forms): the Settings screen's mail server and time zone."""

from __future__ import annotations

from crm.features.accounts.schemas import valid_email
from crm.features.system.settings import HOST_RE, SECURITY, known_zones
from crm.lib.forms import Boolean, Choice, Form, Integer, Text
from crm.lib.i18n import N_


def _host_problem(host: str) -> str | None:
    return None if HOST_RE.match(host) else N_("A host name like smtp.example.com, or an IP address.")


def _sender_problem(sender: str) -> str | None:
    return None if valid_email(sender) else N_("An email address like crm@example.com.")


def _zone_problem(zone: str) -> str | None:
    if zone in known_zones():
        return None
    return N_("Unknown time zone; use a name like Europe/Moscow or Asia/Yekaterinburg.")


class SettingsForm(Form):
    """The outgoing mail server and the organisation's time zone. A field the environment sets is not on the
    screen and is neither checked nor stored (``settings.save``)."""

    smtp_host = Text(
        max_length=253, validate=_host_problem, message=N_("A host name like smtp.example.com, or an IP address.")
    )
    smtp_port = Integer(min=1, max=65535, message=N_("A port: a whole number from 1 to 65535."))
    smtp_security = Choice(choices=tuple(SECURITY), default="none", message=N_("Choose none, STARTTLS or SSL/TLS."))
    smtp_user = Text(max_length=255)
    smtp_password = Text(max_length=1000, strip=False)  # spaces may be part of a password
    smtp_password_clear = Boolean()
    smtp_sender = Text(max_length=254, validate=_sender_problem)
    timezone = Text(max_length=64, validate=_zone_problem)
