"""The organisation's settings edited on /settings: the SMTP server and the time zone.

Each value comes from the environment (``CRM_*``, wins, shown read-only), else from the ``system_settings`` row,
else the default. The SMTP password is stored encrypted with a key derived from ``CRM_SECRET_KEY``, never shown
back, never logged and never written to the audit log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING, Any
from zoneinfo import available_timezones

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from crm.config import Settings, SmtpSettings, get_settings, set_in_environment
from crm.features.accounts.models import User
from crm.features.accounts.services import record
from crm.features.system.models import SystemSettings
from crm.lib import i18n
from crm.lib.i18n import N_
from crm.lib.security import SecretBox
from crm.lib.web import FormErrors

if TYPE_CHECKING:
    from crm.features.system.forms import SettingsForm

DEFAULT_TIMEZONE = "Europe/Moscow"
DEFAULT_SENDER = SmtpSettings().sender
SECURITY = {"none": N_("none"), "starttls": "STARTTLS", "tls": "SSL/TLS"}
DEFAULT_PORTS = {"none": 25, "starttls": 587, "tls": 465}
# The form's fields and the environment variables (without CRM_) that win over them.
VARIABLES: dict[str, tuple[str, ...]] = {
    "smtp_host": ("SMTP_HOST",),
    "smtp_port": ("SMTP_PORT",),
    "smtp_security": ("SMTP_STARTTLS", "SMTP_SSL"),
    "smtp_user": ("SMTP_USER",),
    "smtp_password": ("SMTP_PASSWORD",),
    "smtp_sender": ("SMTP_FROM",),
    "timezone": ("TIMEZONE",),
}
COMMON_ZONES = [
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Yakutsk",
    "Asia/Vladivostok",
    "Asia/Magadan",
    "Asia/Kamchatka",
    "Europe/Minsk",
    "Asia/Almaty",
    "Asia/Tashkent",
    "Europe/Istanbul",
    "Europe/Berlin",
    "Europe/London",
    "UTC",
]
HOST_RE = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:.]+\]?$")

# --------------------------------------------------------------------------- the password at rest


_SECRETS = SecretBox("system-settings", "v1:")
encrypt, decrypt = _SECRETS.encrypt, _SECRETS.decrypt


# --------------------------------------------------------------------------- effective values

_database: SQLAlchemyAsyncConfig | None = None


def _config() -> SQLAlchemyAsyncConfig:
    """The process's database (registered at start-up), for callers without a session (password reset mail)."""
    global _database
    if _database is None:
        from crm.lib.db import alchemy_config

        _database = alchemy_config()
    return _database


def from_environment() -> set[str]:
    """The form's fields whose value is set by the environment."""
    return {name for name, variables in VARIABLES.items() if set_in_environment(*variables)}


async def stored(session: AsyncSession | None = None) -> SystemSettings | None:
    if session is not None:
        return await session.get(SystemSettings, 1)
    async with _config().get_session() as own:
        return await own.get(SystemSettings, 1)


def merge_smtp(row: SystemSettings | None, base: SmtpSettings, env: set[str]) -> SmtpSettings:
    """Field by field: the environment's value (in ``base``), else the stored one, else the default."""
    row = row or SystemSettings(smtp_host="", smtp_user="", smtp_password_enc="", smtp_sender="", smtp_security="")
    if "smtp_security" in env:
        starttls, ssl = base.starttls, base.ssl
    else:
        starttls, ssl = row.smtp_security == "starttls", row.smtp_security == "tls"
    security = "tls" if ssl else "starttls" if starttls else "none"
    return SmtpSettings(
        host=base.host if "smtp_host" in env else (row.smtp_host or None),
        port=base.port if "smtp_port" in env else (row.smtp_port or DEFAULT_PORTS[security]),
        user=base.user if "smtp_user" in env else (row.smtp_user or None),
        password=base.password if "smtp_password" in env else (decrypt(row.smtp_password_enc) or None),
        sender=base.sender if "smtp_sender" in env else (row.smtp_sender or DEFAULT_SENDER),
        starttls=starttls,
        ssl=ssl,
        timeout=base.timeout,
    )


async def effective_smtp(session: AsyncSession | None = None, base: SmtpSettings | None = None) -> SmtpSettings:
    """The SMTP settings every sender uses: environment, else the settings page, else defaults (reads the DB)."""
    return merge_smtp(await stored(session), base or get_settings().smtp, from_environment())


async def with_effective_smtp(session: AsyncSession | None = None, settings: Settings | None = None) -> Settings:
    """The application's settings with ``smtp`` replaced by the effective SMTP settings."""
    settings = settings or get_settings()
    return replace(settings, smtp=await effective_smtp(session, settings.smtp))


def merge_timezone(row: SystemSettings | None, env: set[str]) -> str:
    if "timezone" in env:
        return get_settings().timezone
    return (row.timezone if row else "") or DEFAULT_TIMEZONE


async def effective_timezone(session: AsyncSession | None = None) -> str:
    return merge_timezone(await stored(session), from_environment())


async def start(config: SQLAlchemyAsyncConfig) -> None:
    """At start-up of the app or a worker: use its database, load the time zone and keep it fresh (re-read with
    a connection of its own each time, never one a request or a job is using)."""
    global _database
    _database = config
    engine = create_async_engine(config.get_engine().url, poolclass=NullPool)

    async def load() -> str:
        try:
            async with AsyncSession(engine) as session:
                return await effective_timezone(session)
        finally:
            await engine.dispose()

    i18n.use_tz_loader(load)
    await i18n.refresh_local_tz()


# --------------------------------------------------------------------------- the form


@cache
def known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


@dataclass
class Saved:
    errors: FormErrors
    changes: dict[str, list[Any]]


def form_values(row: SystemSettings | None) -> dict[str, str]:
    """What the form shows for the stored row (the password never)."""
    if row is None:
        return {"smtp_security": "none"}
    return {
        "smtp_host": row.smtp_host,
        "smtp_port": str(row.smtp_port or ""),
        "smtp_security": row.smtp_security or "none",
        "smtp_user": row.smtp_user,
        "smtp_sender": row.smtp_sender,
        "timezone": row.timezone,
    }


async def save(session: AsyncSession, actor: User, form: SettingsForm) -> Saved:
    """Store what the environment does not set (a parsed form: a field the environment sets is neither checked nor
    stored); audit old → new (the password only as changed)."""
    env = from_environment()
    errors = FormErrors({k: v for k, v in form.errors.items() if k not in env})
    if errors:
        return Saved(errors, {})
    row = await session.get(SystemSettings, 1, with_for_update=True)
    if row is None:
        row = SystemSettings(id=1)
        session.add(row)
    changes: dict[str, list[Any]] = {}
    new: dict[str, Any] = {
        "smtp_host": form.smtp_host,
        "smtp_port": form.smtp_port,
        "smtp_security": form.smtp_security or "none",
        "smtp_user": form.smtp_user,
        "smtp_sender": form.smtp_sender,
        "timezone": form.timezone,
    }
    for name, value in new.items():
        if name in env:
            continue
        old = getattr(row, name)
        if old in (None, "") and value in (None, ""):
            old = value
        if old != value:
            changes[name] = [old, value]
            setattr(row, name, value)
    if "smtp_password" not in env:
        if form.smtp_password:
            if decrypt(row.smtp_password_enc or "") != form.smtp_password:
                row.smtp_password_enc = encrypt(form.smtp_password)
                changes["smtp_password"] = ["", "changed"]
        elif form.smtp_password_clear and row.smtp_password_enc:
            row.smtp_password_enc = ""
            changes["smtp_password"] = ["", "removed"]
    await session.flush()
    if changes:
        await record(session, actor, "system_settings", "1", "update", changes)
    i18n.set_local_tz(merge_timezone(row, env))
    return Saved(errors, changes)
