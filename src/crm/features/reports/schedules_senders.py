"""How each destination gets a run's report, one step at a time: Telegram (message, photo, document; a short
``retry_after`` waited out at once), email (the PDF attached, through the app's SMTP sending), Bitrix24 (chat message
and the chart through Drive; a stream post with the chart). A transient failure raises ``Retry``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from crm.features.reports import telegram
from crm.integrations import mail
from crm.lib.i18n import N_

INLINE_WAIT = 5.0  # a Telegram retry_after up to this is waited out within the same attempt


class Retry(Exception):
    """A transient failure: try the delivery again after ``delay`` seconds (or the back-off)."""

    def __init__(self, reason: str, delay: float | None = None) -> None:
        super().__init__(reason)
        self.delay = delay


def reason(exc: BaseException) -> str:
    return telegram.redact(str(exc) or type(exc).__name__)[:500]


async def send(
    job: dict[str, Any], step: str, bitrix24: Callable[[], Awaitable[Any]], smtp: Callable[[], Awaitable[Any]]
) -> None:
    kind, target, texts = job["kind"], job["target"], job["texts"]
    stem = texts.get("stem") or "report"
    try:
        if kind == "telegram":
            await _telegram(job, step, stem)
        elif kind == "email":
            await _mail(job, stem, await smtp())
        elif kind == "bitrix24_chat":
            from crm.integrations.bitrix24 import publish

            client = await bitrix24()
            if step == "message":
                await publish.chat_message(client, target, texts.get("bitrix") or texts.get("plain", ""))
            else:
                await publish.chat_file(client, target, f"{stem}.png", job["png"], texts.get("title", ""))
        elif kind == "bitrix24_stream":
            from crm.integrations.bitrix24 import publish

            client = await bitrix24()
            dest = [x for x in target.split(",") if x] or ["UA"]
            text = texts.get("bitrix") or texts.get("plain", "")
            title = texts.get("subject") or texts.get("title", "")
            await publish.stream_post(client, title, text, f"{stem}.png", job["png"], dest)
        else:
            raise ValueError(f"unknown destination {kind}")
    except Retry:
        raise
    except Exception as exc:
        if getattr(exc, "transient", False):
            raise Retry(reason(exc), getattr(exc, "retry_after", None)) from None
        raise


async def _mail(job: dict[str, Any], stem: str, settings: Any) -> None:
    if not settings.smtp.configured:
        raise RuntimeError(N_("email is not configured (SMTP settings)"))
    texts = job["texts"]
    attachment = mail.Attachment(f"{stem}.pdf", job["pdf"], "application", "pdf")
    message = mail.build_message(
        settings.smtp.sender, [job["target"]], texts.get("subject", ""), texts.get("plain", ""), [attachment]
    )
    try:
        await mail.send(settings.smtp, message)
    except mail.MailError as exc:
        why = f"{exc} {exc.reply}".strip()
        if exc.transient:
            raise Retry(why) from None
        raise RuntimeError(why) from None


async def _telegram(job: dict[str, Any], step: str, stem: str) -> None:
    texts = job["texts"]
    if not job["token"]:
        raise RuntimeError(N_("no bot token stored (enter it again on the schedule)"))
    async with telegram.TelegramBot(job["token"]) as bot:
        for attempt in range(3):
            try:
                if step == "message":
                    await bot.send_message(job["target"], texts.get("telegram", ""))
                elif step == "photo":
                    await bot.send_photo(job["target"], f"{stem}.png", job["png"], texts.get("title", ""))
                else:
                    await bot.send_document(job["target"], f"{stem}.pdf", job["pdf"], texts.get("title", ""))
                return
            except telegram.TelegramError as exc:
                wait = exc.retry_after
                if wait is not None and wait <= INLINE_WAIT and attempt < 2:
                    await asyncio.sleep(wait)  # flood control: wait as asked, then the same call again
                    continue
                raise
