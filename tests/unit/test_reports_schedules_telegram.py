"""The Bot API client against the Telegram emulator: its answers and errors as the documentation gives them, and
report texts that survive HTML parsing whatever the names contain."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from crm.features.reports import schedules_message, telegram
from crm.features.reports.sales import SaleRow, report
from tests.emulators.telegram import Bot, running

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
CHAT = "-1001234567890"
DAY = date(2026, 11, 10)


@pytest.fixture
def server():
    with running(Bot(token=TOKEN, chats={CHAT})) as srv:
        yield srv


def figures_with_awkward_names():
    rows = [
        SaleRow(DAY, Decimal("1200.50"), manager="<script>alert(1)</script>", manager_id=1, source="Рога & Копыта"),
        SaleRow(DAY, Decimal("99"), manager="O'Brien [B]bold[/B]", manager_id=2, source="a<b"),
    ]
    return report(rows, DAY, DAY)


async def test_names_with_tags_and_ampersands_arrive_as_plain_text(server) -> None:
    from crm.lib import i18n

    token = i18n.set_locale("en")
    try:
        text = schedules_message.telegram_html(figures_with_awkward_names(), "Sales & <friends>")
    finally:
        i18n._current.reset(token)
    async with telegram.TelegramBot(TOKEN, base=server.base_url) as bot:
        result = await bot.send_message(CHAT, text)
    assert result["message_id"] == 1
    got = server.bot.sent[0]["text"]
    assert "<script>alert(1)</script> — 1,200.50 (1)" in got and "Рога & Копыта" in got
    assert got.startswith("Sales & <friends>: Nov 10, 2026\n")


async def test_unescaped_html_is_refused_as_telegram_does(server) -> None:
    async with telegram.TelegramBot(TOKEN, base=server.base_url) as bot:
        with pytest.raises(telegram.TelegramError) as caught:
            await bot.send_message(CHAT, "Рога & Копыта <script>")
    assert caught.value.code == 400 and not caught.value.transient
    assert "can't parse entities" in caught.value.description.lower()


async def test_a_wrong_token_is_401_and_never_part_of_the_error(server) -> None:
    wrong = "987654321:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsXX"
    async with telegram.TelegramBot(wrong, base=server.base_url) as bot:
        with pytest.raises(telegram.TelegramError) as caught:
            await bot.send_message(CHAT, "hi")
    assert (caught.value.code, caught.value.description, caught.value.transient) == (401, "Unauthorized", False)
    assert wrong not in str(caught.value) and "AAHdq" not in repr(bot)


async def test_flood_control_carries_retry_after_and_a_blocked_bot_is_403(server) -> None:
    server.bot.inject("429", retry_after=7)
    server.bot.inject("blocked")
    async with telegram.TelegramBot(TOKEN, base=server.base_url) as bot:
        with pytest.raises(telegram.TelegramError) as flood:
            await bot.send_message(CHAT, "hi")
        with pytest.raises(telegram.TelegramError) as blocked:
            await bot.send_message(CHAT, "hi")
    assert (flood.value.code, flood.value.retry_after, flood.value.transient) == (429, 7.0, True)
    assert (blocked.value.code, blocked.value.transient) == (403, False)
    assert blocked.value.description == "Forbidden: bot was blocked by the user"


async def test_a_photo_must_be_an_image_and_a_document_goes_as_multipart(server) -> None:
    async with telegram.TelegramBot(TOKEN, base=server.base_url) as bot:
        with pytest.raises(telegram.TelegramError) as caught:
            await bot.send_photo(CHAT, "chart.png", b"not an image")
        await bot.send_document(CHAT, "report.pdf", b"%PDF-1.7 ...", "Отчёт")
    assert "IMAGE_PROCESS_FAILED" in caught.value.description
    sent = server.bot.sent[-1]
    assert (sent["method"], sent["filename"], sent["caption"]) == ("sendDocument", "report.pdf", "Отчёт")
    assert sent["content"] == b"%PDF-1.7 ..."


def test_the_api_address_is_https_unless_it_is_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_TELEGRAM_API_URL", "http://api.example.com")
    with pytest.raises(ValueError):
        telegram.api_base()
    monkeypatch.setenv("CRM_TELEGRAM_API_URL", "http://127.0.0.1:8091/")
    assert telegram.api_base() == "http://127.0.0.1:8091"
    monkeypatch.delenv("CRM_TELEGRAM_API_URL")
    assert telegram.api_base() == "https://api.telegram.org"


def test_tokens_and_chat_ids_are_checked_for_their_shape() -> None:
    assert telegram.valid_token(TOKEN) and not telegram.valid_token("123:short")
    assert telegram.valid_chat_id(CHAT) and telegram.valid_chat_id("@sales_team")
    assert not telegram.valid_chat_id("chat 1") and not telegram.valid_chat_id("@ab")
    assert telegram.redact(f"POST https://api.telegram.org/bot{TOKEN}/sendMessage") == (
        "POST https://api.telegram.org/bot***/sendMessage"
    )
