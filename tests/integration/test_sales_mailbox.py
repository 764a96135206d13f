"""The mailbox watcher against a real IMAP server (Debian's dovecot on a free port, TLS with a self-signed
certificate): attachments of allowed senders imported exactly once even when the job runs twice or crashes after
the import, messages moved to the processed or failed folder, a refused password kept as the mailbox's state."""

from __future__ import annotations

import imaplib
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from crm.features.sales import mailbox
from crm.features.sales.mailbox import SECRETS
from crm.features.sales.models import MailboxMessage, MailboxSettings, SalesImport, SalesLine
from crm.lib.db import alchemy_config
from tests.conftest import require_service
from tests.integration.test_sales_import import FILE

DOVECOT = "/usr/sbin/dovecot"
USER, PASSWORD = "erp", "erp-pass-2026"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def imap_server() -> Iterator[dict[str, Any]]:
    """dovecot with one user, IMAPS only, on a free port of 127.0.0.1 (its folder readable by dovecot's users)."""
    require_service(Path(DOVECOT).exists() and os.geteuid() == 0, "dovecot-imapd (/usr/sbin/dovecot) run as root")
    base = Path(tempfile.mkdtemp(prefix="crm-dovecot-"))
    base.chmod(0o755)
    port = _port()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", base / "key.pem", "-out",
         base / "cert.pem", "-days", "2", "-subj", "/CN=127.0.0.1"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (base / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    (base / "home").mkdir()
    shutil.chown(base / "home", "nobody")
    config = base / "dovecot.conf"
    config.write_text(
        f"""base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{base}/cert.pem
ssl_key = <{base}/key.pem
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = {base}/passwd
}}
userdb {{
  driver = static
  args = uid=65534 gid=65534 home={base}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {port}
  }}
}}
"""
    )
    subprocess.run([DOVECOT, "-c", str(config)], check=True)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    yield {"port": port, "config": config}
    subprocess.run(["doveadm", "-c", str(config), "stop"], check=False, capture_output=True)
    shutil.rmtree(base, ignore_errors=True)


def _imap(server: dict[str, Any]) -> imaplib.IMAP4_SSL:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    imap = imaplib.IMAP4_SSL("127.0.0.1", server["port"], ssl_context=context)
    imap.login(USER, PASSWORD)
    return imap


def _empty_mailbox(server: dict[str, Any]) -> None:
    imap = _imap(server)
    for folder in ("INBOX", "Processed", "Failed"):
        status, data = imap.select(folder)
        if status == "OK" and int(data[0]):
            imap.store("1:*", "+FLAGS", "(\\Deleted)")
            imap.expunge()
    imap.logout()


def deliver(server: dict[str, Any], sender: str, message_id: str, files: dict[str, bytes]) -> None:
    """The ERP's mail, appended to the INBOX over IMAP."""
    message = EmailMessage()
    message["From"], message["To"] = sender, "erp@crm.example.com"
    message["Subject"], message["Message-ID"] = "Продажи", message_id
    message.set_content("Выгрузка продаж во вложении.")
    for name, content in files.items():
        message.add_attachment(content, maintype="application", subtype="octet-stream", filename=name)
    imap = _imap(server)
    imap.append("INBOX", "", imaplib.Time2Internaldate(time.time()), message.as_bytes())
    imap.logout()


def count(server: dict[str, Any], folder: str) -> int:
    imap = _imap(server)
    status, data = imap.select(folder)
    imap.logout()
    return int(data[0]) if status == "OK" else 0


async def _configure(db, server: dict[str, Any], password: str = PASSWORD) -> None:
    db.add(
        MailboxSettings(
            host="127.0.0.1",
            port=server["port"],
            tls=True,
            verify_certificate=False,
            username=USER,
            password_sealed=SECRETS.encrypt(password),
            allowed_senders="erp@example.com, @trusted.example.com",
            enabled=True,
        )
    )
    await db.commit()


async def test_a_message_is_imported_once_even_when_the_job_runs_twice(client, db, imap_server):
    _empty_mailbox(imap_server)
    await _configure(db, imap_server)
    deliver(imap_server, "ERP <erp@example.com>", "<m1@erp.example.com>", {"sales.csv": FILE})
    deliver(imap_server, "someone@else.example.com", "<spam@x>", {"sales.csv": FILE})
    from crm.features.sales.jobs import sales_mailbox_check

    ctx = {"db": alchemy_config()}
    assert await sales_mailbox_check(ctx) == "ok: 1 attachments"
    assert await sales_mailbox_check(ctx) == "ok: 0 attachments"
    item = await db.scalar(select(SalesImport))
    assert (item.source, item.sender, item.status, item.imported, item.rejected) == (
        "mail",
        "erp@example.com",
        "done",
        3,
        1,
    )
    assert await db.scalar(select(func.count()).select_from(SalesImport)) == 1
    assert await db.scalar(select(func.count()).select_from(SalesLine)) == 3
    assert (count(imap_server, "INBOX"), count(imap_server, "Processed")) == (1, 1)  # the stranger's stays
    row = await db.scalar(select(MailboxSettings))
    assert row.last_state == "ok" and row.last_check_at is not None


async def test_a_crash_after_the_import_but_before_the_move_imports_nothing_twice(client, db, imap_server, monkeypatch):
    _empty_mailbox(imap_server)
    await _configure(db, imap_server)
    deliver(imap_server, "erp@example.com", "<m2@erp.example.com>", {"a.csv": FILE, "b.xlsx": b"not a workbook"})
    moved = mailbox._move

    def crash(*_args: Any) -> None:
        raise OSError("connection reset while moving")

    monkeypatch.setattr(mailbox, "_move", crash)
    ctx = {"db": alchemy_config()}
    assert (await mailbox.check(ctx["db"])).startswith("error")
    assert (await db.scalar(select(MailboxSettings))).last_state == "error"
    assert count(imap_server, "INBOX") == 1
    monkeypatch.setattr(mailbox, "_move", moved)
    await mailbox.check(ctx["db"])
    statuses = sorted((await db.scalars(select(SalesImport.status))).all())
    assert statuses == ["done", "failed"]  # one import per attachment, made by the first run only
    assert await db.scalar(select(func.count()).select_from(MailboxMessage)) == 2
    assert (count(imap_server, "INBOX"), count(imap_server, "Failed")) == (0, 1)  # an attachment failed
    assert (await db.scalar(select(MailboxSettings).execution_options(populate_existing=True))).last_state == "ok"


async def test_a_refused_password_is_the_mailbox_state_and_it_is_tried_again_next_time(client, db, imap_server):
    _empty_mailbox(imap_server)
    await _configure(db, imap_server, password="wrong")
    deliver(imap_server, "erp@example.com", "<m3@erp.example.com>", {"sales.csv": FILE})
    result = await mailbox.check(alchemy_config())
    assert result.startswith("error")
    row = await db.scalar(select(MailboxSettings))
    assert row.last_state == "error" and "AUTHENTICATIONFAILED" in row.last_error
    assert await db.scalar(select(func.count()).select_from(SalesImport)) == 0
    row.password_sealed = SECRETS.encrypt(PASSWORD)
    await db.commit()
    assert await mailbox.check(alchemy_config()) == "ok: 1 attachments"


async def test_a_mailbox_that_does_not_answer_is_an_error_state_not_a_hang(client, db):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts, never speaks
    db.add(
        MailboxSettings(
            host="127.0.0.1", port=silent.getsockname()[1], tls=False, username="u", allowed_senders="a@b", enabled=True
        )
    )
    await db.commit()
    mailbox_timeout = mailbox.TIMEOUT
    mailbox.TIMEOUT = 1.0
    try:
        assert (await mailbox.check(alchemy_config())).startswith("error")
    finally:
        mailbox.TIMEOUT = mailbox_timeout
        silent.close()
    row = await db.scalar(select(MailboxSettings))
    assert row.last_state == "error" and "in time" in row.last_error


async def test_crm_imap_variables_win_over_the_screen(client, db, imap_server, monkeypatch):
    _empty_mailbox(imap_server)
    db.add(MailboxSettings(host="wrong.invalid", port=1, username="nobody", allowed_senders="x@y", enabled=False))
    await db.commit()
    for name, value in {
        "HOST": "127.0.0.1",
        "PORT": str(imap_server["port"]),
        "USER": USER,
        "PASSWORD": PASSWORD,
        "VERIFY_CERTIFICATE": "false",
        "ALLOWED_SENDERS": "erp@example.com",
    }.items():
        monkeypatch.setenv(f"CRM_IMAP_{name}", value)
    deliver(imap_server, "erp@example.com", "<env@erp.example.com>", {"sales.csv": FILE})
    assert await mailbox.check(alchemy_config()) == "ok: 1 attachments"


async def test_a_senders_files_are_read_with_the_profile_named_after_its_address(client, db, imap_server):
    from crm.features.sales.mapping import save_profile

    _empty_mailbox(imap_server)
    await _configure(db, imap_server)
    await save_profile(db, "ERP@example.com", {"date": "dt", "invoice": "doc", "client_code": "cust", "amount": "sum"})
    await db.commit()
    deliver(imap_server, "erp@example.com", "<p@erp>", {"odd.csv": b"Dt;Doc;Cust;Sum\n2026-11-01;A;C1;10,5\n"})
    assert await mailbox.check(alchemy_config()) == "ok: 1 attachments"
    item = await db.scalar(select(SalesImport))
    assert (item.status, item.imported) == ("done", 1)
