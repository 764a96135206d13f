"""The Bitrix24 connection: environment (``CRM_BITRIX24_*``, wins) over the Integrations screen's row; secrets
encrypted at rest with the application's secret key; a ready client for the jobs."""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.services import record
from crm.features.clients.figures import Counting
from crm.features.clients.forms import KIND_LABELS, ConnectionForm, InstallForm
from crm.features.clients.sync_models import Bitrix24Settings
from crm.integrations.bitrix24 import Bitrix24Client, Bitrix24Error, OAuthAuth, OAuthTokens, WebhookAuth
from crm.lib.i18n import gettext
from crm.lib.security import SecretBox

DEFAULT_FIELD_MAP: dict[str, dict[str, str]] = {
    "deal": {"contract_type": "UF_CRM_1721244482250"},
    "company": {"segment": "UF_CRM_1687188367"},
}
ADDRESS_TYPE = "6"  # legal address

# --------------------------------------------------------------------------- secrets at rest


_SECRETS = SecretBox("bitrix24-settings", "v2:")
encrypt, decrypt = _SECRETS.encrypt, _SECRETS.decrypt


def mask(secret: str) -> str:
    """Never shown back in full."""
    if not secret:
        return ""
    return "•" * 6 + secret[-3:] if len(secret) > 8 else "•" * 6


def mask_url(url: str) -> str:
    """A webhook URL with its code masked: https://portal/rest/1/••••••abc/."""
    parts = url.rstrip("/").split("/")
    if len(parts) >= 2:
        parts[-1] = mask(parts[-1])
    return "/".join(parts) + "/"


# --------------------------------------------------------------------------- resolved connection


@dataclass
class Connection:
    mode: str = ""  # webhook | app | ""
    webhook_url: str = field(default="", repr=False)
    portal: str = ""
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    access_token: str = field(default="", repr=False)
    refresh_token: str = field(default="", repr=False)
    client_endpoint: str = ""
    oauth_url: str = "https://oauth.bitrix.info/oauth/token/"
    rate: float = 2.0
    field_map: dict[str, dict[str, str]] = field(default_factory=lambda: dict(DEFAULT_FIELD_MAP))
    min_call_seconds: int = 20
    meeting_kinds: tuple[str, ...] = ("meeting",)
    communication_kinds: tuple[str, ...] = ("call", "meeting", "email")
    auth_connector: str = "crm"
    from_env: bool = False

    @property
    def counting(self) -> Counting:
        return Counting(self.min_call_seconds, self.meeting_kinds, self.communication_kinds)

    @property
    def configured(self) -> bool:
        if self.mode == "webhook":
            return bool(self.webhook_url)
        if self.mode == "app":
            return bool(self.client_id and self.client_secret and self.access_token and self.refresh_token)
        return False

    @property
    def portal_name(self) -> str:
        from urllib.parse import urlsplit

        source = self.webhook_url if self.mode == "webhook" else (self.client_endpoint or self.portal)
        return urlsplit(source).netloc


def _env(name: str) -> str:
    return (os.environ.get(f"CRM_BITRIX24_{name}") or "").strip()


def load_field_map(path: str) -> dict[str, dict[str, str]]:
    """``{"deal": {"contract_type": "UF_CRM_…"}, "company": {…}}`` from a JSON or TOML file."""
    text = Path(path).read_text(encoding="utf-8")
    data = tomllib.loads(text) if path.endswith(".toml") else json.loads(text)
    return {str(k): {str(a): str(b) for a, b in dict(v).items()} for k, v in dict(data).items()}


async def settings_row(session: AsyncSession) -> Bitrix24Settings:
    row = await session.get(Bitrix24Settings, 1)
    if row is None:
        row = Bitrix24Settings(id=1, field_map={}, rate=Decimal("2"), min_call_seconds=20, auth_connector="crm")
        session.add(row)
        await session.flush()
    return row


async def resolve(session: AsyncSession) -> Connection:
    row = await session.get(Bitrix24Settings, 1)
    conn = Connection()
    if row is not None:
        conn = Connection(
            mode=row.mode,
            webhook_url=decrypt(row.webhook_url_enc),
            portal=row.portal,
            client_id=row.client_id,
            client_secret=decrypt(row.client_secret_enc),
            access_token=decrypt(row.access_token_enc),
            refresh_token=decrypt(row.refresh_token_enc),
            client_endpoint=row.client_endpoint,
            oauth_url=row.oauth_url or conn.oauth_url,
            rate=float(row.rate or 2),
            field_map={**DEFAULT_FIELD_MAP, **(row.field_map or {})},
            min_call_seconds=row.min_call_seconds or 20,
            meeting_kinds=tuple(row.meeting_kinds or ("meeting",)),
            communication_kinds=tuple(row.communication_kinds or ("call", "meeting", "email")),
            auth_connector=row.auth_connector or "crm",
        )
    if _env("WEBHOOK_URL"):
        conn.mode, conn.webhook_url, conn.from_env = "webhook", _env("WEBHOOK_URL"), True
    elif _env("CLIENT_ID") and _env("CLIENT_SECRET"):
        conn.mode, conn.from_env = "app", True
        conn.client_id, conn.client_secret = _env("CLIENT_ID"), _env("CLIENT_SECRET")
        conn.portal = _env("PORTAL") or conn.portal
        if not conn.client_endpoint and conn.portal:
            conn.client_endpoint = conn.portal.rstrip("/") + "/rest/"
    if _env("OAUTH_URL"):
        conn.oauth_url = _env("OAUTH_URL")
    if _env("RATE"):
        conn.rate = float(_env("RATE"))
    if _env("FIELD_MAP"):
        conn.field_map = {**DEFAULT_FIELD_MAP, **load_field_map(_env("FIELD_MAP"))}
    return conn


def make_client(session_factory: Any, conn: Connection, **kwargs: Any) -> Bitrix24Client:
    """A client for the connection; rotated OAuth tokens are saved (encrypted) as soon as they arrive."""
    if conn.mode == "webhook":
        return Bitrix24Client(WebhookAuth(conn.webhook_url), rate=conn.rate, **kwargs)

    async def save_tokens(tokens: OAuthTokens) -> None:
        async with session_factory() as session:
            row = await settings_row(session)
            row.access_token_enc, row.refresh_token_enc = (
                encrypt(tokens.access_token),
                encrypt(tokens.refresh_token),
            )
            row.client_endpoint = tokens.client_endpoint
            await session.commit()

    auth = OAuthAuth(
        conn.client_id,
        conn.client_secret,
        OAuthTokens(conn.access_token, conn.refresh_token, conn.client_endpoint),
        oauth_url=conn.oauth_url,
        on_refresh=save_tokens,
    )
    return Bitrix24Client(auth, rate=conn.rate, **kwargs)


# --------------------------------------------------------------------------- the Integrations screen's settings


async def save_settings(session: AsyncSession, user: Any, form: ConnectionForm) -> bool | None:
    """Store a valid form's settings (secrets encrypted) and audit what changed. ``None``, with the messages in
    ``form.errors``, when something must still be typed (a webhook or a secret with none stored); else whether the
    counting rules changed (every derived figure must then be recomputed)."""
    row = await settings_row(session)
    if form.mode == "webhook" and not form.webhook_url and not row.webhook_url_enc:
        form.errors.add("webhook_url", gettext("Enter the webhook URL."))
    if form.mode == "app" and not form.client_secret and not row.client_secret_enc:
        form.errors.add("client_secret", gettext("Enter the application's client secret."))
    if not form.ok:
        return None
    meeting_kinds = list(row.meeting_kinds or ["meeting"])
    communication_kinds = list(row.communication_kinds or ["call", "meeting", "email"])
    if form.kinds:  # the checkboxes were on the form
        meeting_kinds = [k for k in KIND_LABELS if k in form.meeting_kinds]
        communication_kinds = [k for k in KIND_LABELS if k in form.communication_kinds]
    min_seconds = form.min_call_seconds if form.min_call_seconds is not None else 20
    counting_before = (row.min_call_seconds, list(row.meeting_kinds or []), list(row.communication_kinds or []))
    counting_after = (min_seconds, meeting_kinds, communication_kinds)
    changes: dict[str, list[Any]] = {}
    if row.min_call_seconds != min_seconds:
        changes["min_call_seconds"] = [row.min_call_seconds, min_seconds]
    for key, old, new in (
        ("meeting_kinds", counting_before[1], meeting_kinds),
        ("communication_kinds", counting_before[2], communication_kinds),
    ):
        if old != new:
            changes[key] = [", ".join(old), ", ".join(new)]
    if row.mode != form.mode:
        changes["mode"] = [row.mode, form.mode]
    row.mode = form.mode
    if form.webhook_url:
        row.webhook_url_enc = encrypt(form.webhook_url)
        changes["webhook_url"] = ["***", "***"]
    if form.mode == "app":
        portal = form.portal.rstrip("/")
        if portal != row.portal:
            changes["portal"] = [row.portal, portal]
            row.client_endpoint = portal + "/rest/"
        row.portal, row.client_id = portal, form.client_id
        if form.client_secret:
            row.client_secret_enc = encrypt(form.client_secret)
            changes["client_secret"] = ["***", "***"]
    row.rate = form.rate if form.rate is not None else Decimal("2")
    row.min_call_seconds, row.field_map = min_seconds, form.field_map
    row.meeting_kinds, row.communication_kinds = meeting_kinds, communication_kinds
    await record(session, user, "bitrix24_settings", "1", "update", changes)
    return counting_before != counting_after


async def install_app(session: AsyncSession, form: InstallForm) -> str | None:
    """Bitrix24's ONAPPINSTALL of the local application: store its tokens (encrypted) only for the configured
    portal and only once proven (``app.info`` called with them on that portal answers as our application), so a
    stranger cannot plant tokens. ``None`` when stored, else why not: "portal" (not the configured one),
    "no_tokens", "not_ours" (the tokens do not belong to the configured application)."""
    row = await settings_row(session)
    domain = form.domain or urlsplit(form.client_endpoint).netloc
    if row.mode != "app" or not row.portal or urlsplit(row.portal).netloc != domain:
        return "portal"
    access, refresh = form.access_token, form.refresh_token
    if not access or not refresh:
        return "no_tokens"
    prover = Bitrix24Client(
        OAuthAuth(row.client_id, "", OAuthTokens(access, refresh, row.portal.rstrip("/") + "/rest/")),
        timeout=15,
        max_retries=1,
        limit_retries=2,
    )
    try:
        app = (await prover.call("app.info")).result or {}
    except Bitrix24Error:
        app = {}
    finally:
        await prover.close()
    if not isinstance(app, dict) or str(app.get("CODE") or app.get("client_id") or "") != row.client_id:
        return "not_ours"
    row.access_token_enc, row.refresh_token_enc = encrypt(access), encrypt(refresh)
    # The REST endpoint is always the configured portal's: an address sent by the caller is never stored.
    row.client_endpoint = row.portal.rstrip("/") + "/rest/"
    await record(session, None, "bitrix24_settings", "1", "install", {"tokens": ["***", "***"]})
    return None
