"""Locale of the current request, gettext for Python and Jinja, locale-aware numbers and dates."""

from __future__ import annotations

import asyncio
import contextvars
import io
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import LazyProxy, Translations

from crm.config import PACKAGE_ROOT, get_settings

LANGUAGES: dict[str, str] = {"ru": "Русский", "en": "English"}
DEFAULT_LOCALE = "ru"
LOCALE_DIR = PACKAGE_ROOT / "locale"

_current: contextvars.ContextVar[str] = contextvars.ContextVar("crm_locale", default=DEFAULT_LOCALE)


@cache
def translations(locale: str) -> Translations:
    """Catalogue of one language, compiled in memory from its .po file (no .mo files to keep in sync)."""
    po_path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return Translations()
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def normalize_locale(value: str | None) -> str:
    if not value:
        return get_settings().default_locale if get_settings().default_locale in LANGUAGES else DEFAULT_LOCALE
    code = value.split("-")[0].split("_")[0].lower()
    return code if code in LANGUAGES else DEFAULT_LOCALE


def set_locale(locale: str) -> contextvars.Token[str]:
    return _current.set(normalize_locale(locale))


def get_locale() -> str:
    return _current.get()


def gettext(message: str, **params: object) -> str:
    text = translations(get_locale()).ugettext(message)
    return text % params if params else text


def pgettext(context: str, message: str, **params: object) -> str:
    """A message whose translation depends on what it speaks of (Russian agrees in gender: a registry is
    "закрыт", a contact "закрыто"); extracted with its context by ``pgettext`` and ``NP_``."""
    text = translations(get_locale()).upgettext(context, message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params: object) -> str:
    text = translations(get_locale()).ungettext(singular, plural, n)
    params.setdefault("num", n)
    return text % params


def lazy_gettext(message: str) -> LazyProxy:
    return LazyProxy(gettext, message, enable_cache=False)


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


def NP_(context: str, message: str) -> str:
    """Mark a string with its context for extraction; shown with ``pgettext(context, message)``."""
    return message


_ = gettext


def fmt_number(value: int | float | Decimal | None, digits: int = 0) -> str:
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=Locale.parse(get_locale()))


def fmt_money(value: Decimal | int | float | None) -> str:
    return fmt_number(value, 2)


def fmt_amount_input(value: Decimal | int | float | None) -> str:
    """An amount as the value of an input the user edits: the locale's decimal sign, no grouping (601,70)."""
    if value is None:
        return ""
    return format_decimal(value, format="0.00", locale=Locale.parse(get_locale()))


# The organisation's time zone (CRM_TIMEZONE, else the settings page's, else Europe/Moscow), cached per process:
# the app and the worker load it at start-up (``use_tz_loader``), a save sets it in its own process
# (``set_local_tz``), and other processes re-read it at most every TZ_REFRESH_SECONDS, in the background.
TZ_REFRESH_SECONDS = 30.0


@dataclass
class _TzCache:
    zone: ZoneInfo | None = None
    loaded: float = 0.0
    loader: Callable[[], Awaitable[str]] | None = None
    loop: asyncio.AbstractEventLoop | None = None  # the loader's database connections belong to this loop
    task: asyncio.Task[None] | None = None


_tz = _TzCache()


def set_local_tz(name: str | None) -> None:
    """The zone this process shows times in from now on; ``None`` goes back to the environment's (or default)."""
    _tz.zone = ZoneInfo(name) if name else None
    _tz.loaded = time.monotonic()


def use_tz_loader(loader: Callable[[], Awaitable[str]] | None) -> None:
    """Where this process re-reads the effective zone from (an async function returning its name); it is called
    in the background only on the event loop that registered it."""
    _tz.loader = loader
    try:
        _tz.loop = asyncio.get_running_loop()
    except RuntimeError:
        _tz.loop = None


async def refresh_local_tz() -> None:
    """Read the zone again now (start-up; and in the background when the cached one is older than 30 s)."""
    if _tz.loader is None:
        return
    try:
        set_local_tz(await _tz.loader())
    except Exception as exc:  # a database that is down: keep the zone we have, try again later
        _tz.loaded = time.monotonic()
        logging.getLogger("crm.i18n").warning("time zone not re-read: %s", type(exc).__name__)


def local_tz() -> ZoneInfo:
    if _tz.loader is not None and time.monotonic() - _tz.loaded >= TZ_REFRESH_SECONDS:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        task = _tz.task
        if loop is not None and loop is _tz.loop and (task is None or task.done()):
            _tz.task = loop.create_task(refresh_local_tz())
    return _tz.zone or ZoneInfo(get_settings().timezone)


def local_today() -> date:
    """Today in the organisation's time zone (not the server's)."""
    return datetime.now(local_tz()).date()


def fmt_datetime(value: datetime | None, fmt: str = "short") -> str:
    if value is None:
        return ""
    return _format_datetime(value, format=fmt, tzinfo=local_tz(), locale=get_locale())


def fmt_date(value: date | datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(local_tz()).date()
    return _format_date(value, format=fmt, locale=get_locale())


def fmt_month(value: date | None) -> str:
    """A month as people write it in a title: "декабрь 2026", "December 2026" (never "12.2026")."""
    if value is None:
        return ""
    return f"{month_name(value.month)} {value.year}"


def month_name(month: int, width: str = "wide") -> str:
    return Locale.parse(get_locale()).months["stand-alone"][width][month]


def weekday_names(width: str = "abbreviated") -> list[str]:
    days = Locale.parse(get_locale()).days["stand-alone"][width]
    return [days[i] for i in range(7)]
