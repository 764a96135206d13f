"""The mailbox watcher: new messages from allowed senders in the ERP's mailbox, their CSV/XLSX attachments imported
exactly once (Message-ID and the file's SHA-256 remembered in the import's own transaction), then the message
moved to the processed (or failed) folder. A mailbox that refuses us keeps its state for the import screen and is
tried again on the next run."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import hashlib
import imaplib
import logging
import os
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm.config import get_settings
from crm.features.accounts.services import record
from crm.features.sales import imports
from crm.features.sales.models import MailboxMessage, MailboxSettings, SalesImport
from crm.features.sales.reading import FileRejected
from crm.lib.security import SecretBox

if TYPE_CHECKING:
    from crm.features.sales.forms import MailboxForm

TEXT_FIELDS = ("host", "username", "folder", "allowed_senders", "processed_folder", "failed_folder")

log = logging.getLogger("crm.sales.mailbox")
SECRETS = SecretBox("sales-mailbox", "v1:")
TIMEOUT = 20.0
KINDS = (".csv", ".xlsx", ".xls")


@dataclass
class Attachment:
    name: str
    content: bytes


@dataclass
class Letter:
    uid: str
    message_id: str
    sender: str
    attachments: list[Attachment] = field(default_factory=list)


async def settings_row(session: AsyncSession) -> MailboxSettings:
    """The one settings row (created empty the first time)."""
    row = await session.scalar(select(MailboxSettings).order_by(MailboxSettings.id).limit(1))
    if row is None:
        row = MailboxSettings()
        session.add(row)
        await session.flush()
    return row


# CRM_IMAP_* variables win over the screen's values (as CRM_SMTP_* do for outgoing mail).
ENVIRONMENT = {
    "host": "HOST",
    "port": "PORT",
    "tls": "TLS",
    "verify": "VERIFY_CERTIFICATE",
    "user": "USER",
    "password": "PASSWORD",
    "folder": "FOLDER",
    "senders": "ALLOWED_SENDERS",
    "processed": "PROCESSED_FOLDER",
    "failed": "FAILED_FOLDER",
    "enabled": "ENABLED",
}


def from_environment() -> dict[str, str]:
    """The CRM_IMAP_* variables that are set (the environment or .env), by setting."""
    get_settings()  # loads .env
    found = {}
    for key, name in ENVIRONMENT.items():
        value = os.environ.get(f"CRM_IMAP_{name}")
        if value not in (None, ""):
            found[key] = value
    return found


def effective(row: MailboxSettings) -> dict[str, Any]:
    """The mailbox settings in force: the environment's where set, else the screen's."""
    cfg: dict[str, Any] = {
        "host": row.host,
        "port": row.port,
        "tls": row.tls,
        "verify": row.verify_certificate,
        "user": row.username,
        "password": SECRETS.decrypt(row.password_sealed),
        "folder": row.folder or "INBOX",
        "senders": row.allowed_senders,
        "processed": row.processed_folder or "Processed",
        "failed": row.failed_folder or "Failed",
        "enabled": row.enabled,
    }
    env = from_environment()
    for key, value in env.items():
        if key in ("tls", "verify", "enabled"):
            cfg[key] = value.strip().lower() in {"1", "true", "yes", "on"}
        elif key == "port":
            cfg[key] = int(value) if value.strip().isdigit() else cfg[key]
        else:
            cfg[key] = value
    if "host" in env and "enabled" not in env:
        cfg["enabled"] = True
    return cfg


async def save_settings(session: AsyncSession, user: Any, form: MailboxForm) -> bool:
    """Store a valid form's mailbox settings (the password sealed) and audit what changed; whether anything did.
    An empty port is the protocol's (993 with TLS, 143 without)."""
    row = await settings_row(session)
    port = form.port if form.port is not None else (993 if form.tls else 143)
    new: dict[str, Any] = {name: form.values[name] for name in (*TEXT_FIELDS, "tls", "verify_certificate", "enabled")}
    changes: dict[str, Any] = {}
    for name, value in {**new, "port": port}.items():
        if getattr(row, name) != value:
            changes[name] = [getattr(row, name), value]
            setattr(row, name, value)
    if form.password or form.password_clear:
        row.password_sealed = SECRETS.encrypt(form.password) if form.password else ""
        changes["password"] = ["•••", "•••"]
    if changes:
        await record(session, user, "sales_mailbox", str(row.id), "update", changes)
    return bool(changes)


def senders(raw: str) -> set[str]:
    return {p.strip().lower() for p in raw.replace(";", ",").replace("\n", ",").split(",") if p.strip()}


def allowed(sender: str, permitted: set[str]) -> bool:
    sender = sender.lower()
    return sender in permitted or any(p.startswith("@") and sender.endswith(p) for p in permitted)


def _connect(cfg: dict[str, Any]) -> imaplib.IMAP4:
    if cfg["tls"]:
        context = ssl.create_default_context()
        if not cfg["verify"]:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(cfg["host"], cfg["port"], ssl_context=context, timeout=TIMEOUT)
    else:
        imap = imaplib.IMAP4(cfg["host"], cfg["port"], timeout=TIMEOUT)
    imap.login(cfg["user"], cfg["password"])
    return imap


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _letters(imap: imaplib.IMAP4, folder: str, permitted: set[str]) -> list[Letter]:
    status, _data = imap.select(_quote(folder))
    if status != "OK":
        raise imaplib.IMAP4.error(f"cannot open the folder {folder}")
    status, data = imap.uid("SEARCH", "ALL")
    found: list[Letter] = []
    for uid in (data[0] or b"").split():
        status, parts = imap.uid("FETCH", uid.decode(), "(BODY.PEEK[])")
        raw = next((p[1] for p in parts if isinstance(p, tuple)), None)
        if status != "OK" or raw is None:
            continue
        message = email.message_from_bytes(raw, policy=email.policy.default)
        sender = parseaddr(str(message.get("From", "")))[1].lower()
        if not allowed(sender, permitted):
            continue
        message_id = str(message.get("Message-ID", "")).strip() or "sha256:" + hashlib.sha256(raw).hexdigest()
        letter = Letter(uid=uid.decode(), message_id=message_id[:500], sender=sender)
        assert isinstance(message, EmailMessage)
        for part in message.iter_attachments():
            name = part.get_filename() or ""
            if os.path.splitext(name.lower())[1] in KINDS:
                payload = part.get_payload(decode=True)
                letter.attachments.append(Attachment(name=name, content=payload if isinstance(payload, bytes) else b""))
        found.append(letter)
    return found


def _move(imap: imaplib.IMAP4, uid: str, folder: str) -> None:
    imap.create(_quote(folder))  # "already exists" is fine
    if "MOVE" in imap.capabilities:
        status, _data = imap.uid("MOVE", uid, _quote(folder))
        if status == "OK":
            return
    imap.uid("COPY", uid, _quote(folder))
    imap.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
    imap.expunge()


async def _import_one(config: Any, letter: Letter, attachment: Attachment) -> bool:
    """Import one attachment unless it already was; True when it is (or was) imported without failing."""
    digest = hashlib.sha256(attachment.content).hexdigest()
    async with config.get_session() as session:
        seen = await session.execute(
            insert(MailboxMessage)
            .values(message_id=letter.message_id, sha256=digest)
            .on_conflict_do_nothing(constraint="uq_sales_mailbox_messages_identity")
            .returning(MailboxMessage.id)
        )
        seen_id = seen.scalar()
        if seen_id is None:  # imported by an earlier run: its outcome decides the folder
            status = await session.scalar(
                select(SalesImport.status)
                .join(MailboxMessage, MailboxMessage.import_id == SalesImport.id)
                .where(MailboxMessage.message_id == letter.message_id, MailboxMessage.sha256 == digest)
            )
            return status != "failed"
        item = await imports.create(
            session, source="mail", file_name=attachment.name, sender=letter.sender, status="running"
        )
        ok, item_id = True, item.id
        try:
            async with session.begin_nested():
                await imports.perform(session, item, attachment.content)
        except FileRejected as exc:
            await imports.mark_failed(session, item_id, exc)
            ok = False
        await session.execute(update(MailboxMessage).where(MailboxMessage.id == seen_id).values(import_id=item_id))
        await session.commit()
        return ok


async def check(config: Any) -> str:
    """One pass over the mailbox; the state of the check is saved whatever happens."""
    async with config.get_session() as session:
        row = await settings_row(session)
        await session.commit()
        cfg = effective(row)
        if not cfg["enabled"] or not cfg["host"]:
            return "disabled"
        permitted = senders(cfg["senders"])
    state, error, count = "ok", "", 0
    imap: imaplib.IMAP4 | None = None
    try:
        imap = await asyncio.to_thread(_connect, cfg)
        letters = await asyncio.to_thread(_letters, imap, cfg["folder"], permitted)
        for letter in letters:
            ok = bool(letter.attachments)
            for attachment in letter.attachments:
                ok = await _import_one(config, letter, attachment) and ok
                count += 1
            await asyncio.to_thread(_move, imap, letter.uid, cfg["processed"] if ok else cfg["failed"])
    except (imaplib.IMAP4.error, OSError, ssl.SSLError, TimeoutError, EOFError) as exc:
        state, error = "error", _describe(exc)
        log.warning("mailbox check failed: %s", error)
    finally:
        if imap is not None:
            with contextlib.suppress(imaplib.IMAP4.error, OSError, EOFError):
                await asyncio.to_thread(imap.logout)
    async with config.get_session() as session:
        row = await settings_row(session)
        row.last_check_at = imports.now()
        row.last_state, row.last_error = state, error[:500]
        await session.commit()
    return f"{state}: {count} attachments"


def _describe(exc: BaseException) -> str:
    text = str(exc.args[0] if exc.args else exc)
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    text = text.strip("b'\"") or type(exc).__name__
    if isinstance(exc, TimeoutError):
        return "the mail server did not answer in time"
    return f"{type(exc).__name__}: {text}"
