"""Settings from ``CRM_*`` environment variables (and a ``.env`` file), built once per process."""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from dotenv import load_dotenv

PACKAGE_ROOT = Path(__file__).resolve().parent
_CHECKOUT = Path(__file__).resolve().parents[2]
_IN_CHECKOUT = (_CHECKOUT / "pyproject.toml").is_file()
# Where .env and the default ./var live: the checkout (make run, make test), else the working directory.
PROJECT_ROOT = _CHECKOUT if _IN_CHECKOUT else Path.cwd()
# static/, migrations/ and alembic.ini: beside src/ in a checkout; an installed wheel carries copies in
# crm/_project/ (pyproject.toml, [tool.hatch.build.targets.wheel.force-include]).
ASSETS_ROOT = _CHECKOUT if _IN_CHECKOUT else PACKAGE_ROOT / "_project"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(f"CRM_{name}")
    return value if value not in (None, "") else default


def _bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class SmtpSettings:
    host: str | None = None
    port: int = 25
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "crm@localhost"
    starttls: bool = False
    ssl: bool = False
    timeout: float = 20.0

    @property
    def configured(self) -> bool:
        return bool(self.host)


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    queue_url: str | None
    redis_url: str | None
    secret_key: str = field(repr=False)
    timezone: str
    default_locale: str
    var_dir: Path
    secure_cookies: bool
    worker_in_process: bool
    password_hash_profile: str
    base_url: str
    smtp: SmtpSettings
    session_idle_minutes: int = 480
    session_absolute_hours: int = 12
    login_max_failures: int = 5
    login_window_minutes: int = 15
    # Failures of one (account, address) pair before it waits 1, 2, 4... minutes, up to this many minutes.
    login_lock_max_minutes: int = 60
    # Failures from one address within the window, whatever the accounts (password spraying).
    login_address_max_failures: int = 50
    # Reset requests from one address within the window (the mails themselves: one per account per minute).
    reset_address_max_requests: int = 20
    # CRM_TRUSTED_PROXIES: comma-separated IPs/CIDRs whose X-Forwarded-For is believed; empty trusts none.
    trusted_proxies: str = ""
    # CRM_EXPORT_JOB_ROWS: an export of more rows than this is written by the worker (progress, then a download
    # link kept CRM_EXPORT_KEEP_HOURS in var/exports) instead of streaming inside the request.
    export_job_rows: int = 50_000
    export_keep_hours: int = 24

    @property
    def embedded_database(self) -> bool:
        return self.database_url is None


def _secret_key(var_dir: Path) -> str:
    """The configured key, or one generated once and kept under ``var/`` for a development machine."""
    configured = _env("SECRET_KEY")
    if configured:
        return configured
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def set_in_environment(*names: str) -> bool:
    """Whether any of these ``CRM_*`` variables (without the prefix) is set, in the environment or ``.env``:
    such a value wins over the one stored from the settings page."""
    get_settings()  # reads .env into the environment once
    return any(_env(name) is not None for name in names)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    load_dotenv(PROJECT_ROOT / ".env", override=False)
    var_dir = Path(_env("VAR_DIR", str(PROJECT_ROOT / "var")) or "var").resolve()
    database_url = _env("DATABASE_URL")
    queue_url = _env("QUEUE_URL")
    smtp = SmtpSettings(
        host=_env("SMTP_HOST"),
        port=int(_env("SMTP_PORT", "25") or 25),
        user=_env("SMTP_USER"),
        password=_env("SMTP_PASSWORD"),
        sender=_env("SMTP_FROM", "crm@localhost") or "crm@localhost",
        starttls=_bool("SMTP_STARTTLS", False),
        ssl=_bool("SMTP_SSL", False),
    )
    return Settings(
        database_url=database_url,
        queue_url=queue_url,
        redis_url=_env("REDIS_URL"),
        secret_key=_secret_key(var_dir),
        timezone=_env("TIMEZONE", "Europe/Moscow") or "Europe/Moscow",
        default_locale=_env("LOCALE", "ru") or "ru",
        var_dir=var_dir,
        secure_cookies=_bool("SECURE_COOKIES", False),
        worker_in_process=_bool("WORKER_IN_PROCESS", queue_url is None),
        password_hash_profile=_env("PASSWORD_HASH_PROFILE", "default") or "default",
        base_url=(_env("BASE_URL", "http://127.0.0.1:8000") or "").rstrip("/"),
        smtp=smtp,
        trusted_proxies=_trusted_proxies(_env("TRUSTED_PROXIES", "") or ""),
        export_job_rows=int(_env("EXPORT_JOB_ROWS", "50000") or 50_000),
        export_keep_hours=int(_env("EXPORT_KEEP_HOURS", "24") or 24),
    )


def _trusted_proxies(value: str) -> str:
    """CRM_TRUSTED_PROXIES checked at start-up: a typo must not turn every sign-in into an error."""
    for part in filter(None, (p.strip() for p in value.split(","))):
        try:
            ipaddress.ip_network(part, strict=False)
        except ValueError:
            raise ValueError(f"CRM_TRUSTED_PROXIES: {part!r} is not an IP address or network") from None
    return value
