"""Auto-detection of a telegram's tariff parameters from its journal record (pure, no database)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from crm.features.tariffs.pricing import QuoteInput

_I = re.IGNORECASE
URGENT = re.compile(r"СРОЧНАЯ|ПРАВИТЕЛЬСТВЕННАЯ", _I)
POST = re.compile(r"ПОЧТОЙ\s+ЗАКАЗНОЕ", _I)
BOX = re.compile(r"ДО\s+ВОСТРЕБОВАНИЯ|А/Я", _I)
NOTIFY_URGENT = re.compile(r"УВЕДОМЛЕНИЕ\s+ТЕЛЕГРАФОМ\s+СРОЧНОЕ", _I)
NOTIFY = re.compile(r"УВЕДОМЛЕНИЕ\s+ТЕЛЕГРАФОМ", _I)
LUX_V = re.compile(r"ЛЮКС/[ВИ]", _I)
LUX = re.compile(r"ЛЮКС", _I)
DELIVER_ON_DATE = re.compile(r"ВРУЧИТЬ", _I)
WORDS = re.compile(r"\d/?\d+\s+(\d+)\s+\d")


@dataclass(frozen=True)
class Detected:
    params: QuoteInput
    country: str = "Россия"


def words_from_header(pp: str) -> int:
    """The word count after the cash number: ``РОСТОВ-НА-ДОНУ 2/105 92 01/08 1138`` → 92; none found → 0."""
    match = WORDS.search(pp or "")
    return int(match.group(1)) if match else 0


def detect(telegram: Any) -> Detected:
    """Category, notification, blank, ВРУЧИТЬ and words read from the address, flags and header."""
    address = telegram.address or ""
    if telegram.fl_urgent or URGENT.search(address):
        category = "urgent"
    elif POST.search(address):
        category = "post"
    elif BOX.search(address):
        category = "box"
    else:
        category = "ordinary"
    if NOTIFY_URGENT.search(address):
        notification = "urgent"
    elif telegram.fl_uved or NOTIFY.search(address):
        notification = "ordinary"
    else:
        notification = "none"
    blank = "lux_v" if LUX_V.search(address) else "lux" if LUX.search(address) else "none"
    return Detected(
        QuoteInput(
            words=words_from_header(telegram.pp),
            category=category,
            notification=notification,
            blank=blank,
            deliver_on_date=bool(DELIVER_ON_DATE.search(address)),
            paid_reply=False,
        )
    )
