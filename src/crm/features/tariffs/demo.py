"""Demo data of the telegraph office: operators, clients, tariffs (public prices) and a generated journal.

The journal generator writes the old tool's CSV format (Windows-1251, ';'), so the demo and the benchmark go
through the same import as real files. Everything is deterministic: loading twice on a day adds nothing.
"""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.tariffs import journal, tariff_import
from crm.features.tariffs.journal import COLUMNS
from crm.features.tariffs.models import TelegramClient
from crm.lib.i18n import local_tz

# Public prices of the Russian tariffs (as the old tool held them): from, to (exclusive), prices.
RUSSIAN = [
    ("2021-06-01", "2022-10-01", (43, 59, 59, 43, 4, 5.7, 150, 200, 21, 63, 25, 20)),
    ("2022-10-01", "2022-12-22", (47.3, 64.9, 64.9, 47.3, 4.4, 6.25, 165, 220, 21, 63, 25, 20)),
    ("2022-12-22", "2029-11-01", (47.3, 64.9, 64.9, 47.3, 4.4, 6.25, 165, 220, 22, 63, 25, 20)),
]
RUSSIAN_FIELDS = (
    "delivery_ordinary",
    "delivery_urgent",
    "delivery_post",
    "delivery_box",
    "word_ordinary",
    "word_urgent",
    "notification_ordinary",
    "notification_urgent",
    "lux_ordinary",
    "lux_visual",
    "todate",
    "nds_percent",
)
# name, allows ЛЮКС, allows ВРУЧИТЬ, word price (urgent is double), all valid 2020-04-01 … 2028-12-01
COUNTRIES = [
    ("Армения", True, True, 33.6),
    ("Беларусь", True, True, 22.8),
    ("Азербайджан", True, True, 30.0),
    ("Грузия", False, False, 30.0),
    ("Кыргызстан", True, True, 22.8),
    ("Казахстан", True, True, 30.0),
    ("Латвия", True, True, 39.6),
    ("Литва", True, False, 39.6),
    ("Молдова", True, True, 30.0),
    ("Таджикистан", False, False, 22.8),
    ("Туркменистан", True, True, 22.8),
    ("Узбекистан", True, True, 22.8),
    ("Украина", True, True, 30.0),
    ("Эстония", True, True, 23.0),
]
CLIENTS = [
    ("00001", "таможня", "Ростовская таможня", "6163012345", "customs@example.com"),
    ("00002", "управление", "Управление Росреестра по Ростовской области", "6164012345", "rosreestr@example.com"),
    ("00101", "занятость", "Центр занятости населения г. Таганрога", "6154012345", ""),
]
OFFICES = [("123002/02", "2/"), ("123002/03", "2/"), ("623600/10", "655/"), ("123591/02", "631/")]
CITIES = ["РОСТОВ-НА-ДОНУ", "ТАГАНРОГ РОСТОВСКОЙ", "МОСКВА", "НОВОЧЕРКАССК РОСТОВСКОЙ", "КРАСНОДАР"]
STREETS = ["УЛ СУВОРОВА", "ПР-КТ МИРА", "УЛ ГОРЬКОГО", "ПЕР КУЩЕВСКИЙ", "УЛ МЕЛИХОВСКАЯ", "ПРОСПЕКТ БАКЛАНОВСКИЙ"]
NAMES = ["ИВАНОВУ ИВАНУ ИВАНОВИЧУ", "ПЕТРОВОЙ АННЕ СЕРГЕЕВНЕ", "ООО РАССВЕТ", "СИДОРОВУ П А", "АО АСТРАХОВАНИЕ"]
SIGNERS = [
    "И О НАЧАЛЬНИКА ТАМОЖНИ В В ИВАНОВ",
    "ЗАМЕСТИТЕЛЬ РУКОВОДИТЕЛЯ АКУЛОВА К Н",
    "ДТ КОЧЕНКОВА",
    "ДИРЕКТОР ЦЕНТРА ЗАНЯТОСТИ СЕМЕНОВ",
]


def tariff_fixture() -> list[dict[str, Any]]:
    """The project's seed tariffs in the old tool's fixture shape (inclusive ends, as that tool stored them)."""

    def utc(day: str, end: bool = False) -> str:
        moment = datetime.combine(date.fromisoformat(day), time(0), tzinfo=local_tz())
        return (moment - timedelta(seconds=1 if end else 0)).astimezone(UTC).isoformat().replace("+00:00", "Z")

    items: list[dict[str, Any]] = []
    for pk, (start, end, prices) in enumerate(RUSSIAN, 1):
        items.append(
            {
                "model": "tlgtarif.tlgtarif",
                "pk": pk,
                "fields": {
                    "date_begin": utc(start),
                    "date_end": utc(end, True),
                    **dict(zip(RUSSIAN_FIELDS, prices, strict=True)),
                },
            }
        )
    for pk, (name, lux, on_date, word) in enumerate(COUNTRIES, 1):
        items.append(
            {
                "model": "tlgtarif.country",
                "pk": pk,
                "fields": {
                    "name_country": name,
                    "delivery_post_bool": True,
                    "delivery_box_bool": False,
                    "notification_ordinary_bool": False,
                    "notification_urgent_bool": False,
                    "lux_ordinary_bool": lux,
                    "lux_visual_bool": False,
                    "todate_bool": on_date,
                },
            }
        )
        items.append(
            {
                "model": "tlgtarif.tlgtarifcountry",
                "pk": pk,
                "fields": {
                    "country": pk,
                    "date_begin": utc("2020-04-01"),
                    "date_end": utc("2028-12-01", True),
                    "word_ordinary": word,
                    "word_urgent": round(word * 2, 2),
                },
            }
        )
    return items


def generate_journal(
    first_day: date,
    days: int,
    per_day: int,
    seed: int = 2022,
    offices: list[tuple[str, str]] | None = None,
    prefix: str = "o",
) -> bytes:
    """A journal in the old tool's CSV format (Windows-1251, ';'), ``per_day`` telegrams a day."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    tz = local_tz()
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        numbers: dict[str, int] = {}
        for index in range(per_day):
            chan, cash_prefix = rng.choice(offices or OFFICES)
            numbers[chan] = numbers.get(chan, 0) + 1
            number = numbers[chan]
            moment = datetime.combine(day, time(0), tzinfo=tz) + timedelta(
                seconds=int(86399 * (index + rng.random()) / per_day)
            )
            kind = rng.random()
            urgent = kind < 0.08
            notify = 0.08 <= kind < 0.35
            categ = "С" if urgent else "ПУ" if notify else "П"
            words = rng.randint(5, 140)
            city = rng.choice(CITIES)
            extras = []
            if urgent:
                extras.append("СРОЧНАЯ")
            if notify:
                extras.append("УВЕДОМЛЕНИЕ ТЕЛЕГРАФОМ")
            if rng.random() < 0.04:
                extras.append(rng.choice(["ЛЮКС", "ЛЮКС/В", "ВРУЧИТЬ 25/12", "ПОЧТОЙ ЗАКАЗНОЕ"]))
            address = " ".join([*extras, city, rng.choice(STREETS), str(rng.randint(1, 200)), rng.choice(NAMES)])
            kn = f"{cash_prefix}{rng.randint(1, 45000)}"
            stamp = moment.strftime("%d/%m %H%M")
            out_moment = moment + timedelta(seconds=2)
            out_num = 1000 + offset * per_day + index
            writer.writerow(
                [
                    f"{prefix}{'s' if urgent else 'p'}{day:%y%m%d}{index:05x}.q",
                    moment.strftime("%Y-%m-%d %H:%M:%S.000000"),
                    chan,
                    number,
                    f"ЗЦЗЦ {number:03d} {categ}211544 1",
                    f"(623 {chan} {number:04d} {moment:%H%M} {moment:%d.%m})",
                    kn,
                    categ,
                    int(notify),
                    int(urgent),
                    f"{city.split()[0]} {kn} {words} {stamp}",
                    address,
                    rng.choice(SIGNERS),
                    out_moment.strftime("%Y-%m-%d %H:%M:%S.000000"),
                    "123-20/06",
                    out_num,
                    f"ЗЦЗЦ {out_num % 1000:03d} {categ}211544 1",
                ]
            )
    return out.getvalue().encode("cp1251")


async def load(session: AsyncSession, scale: str = "small") -> list[str]:
    """Clients, tariffs, the second office's operator and a journal of the last days (idempotent)."""
    from crm.features.accounts import services as accounts

    lines: list[str] = []
    if not await accounts.email_taken(session, "tgn@example.com"):
        from crm.demo import DEMO_PASSWORD

        await accounts.create_user(
            session,
            email="tgn@example.com",
            password=DEMO_PASSWORD,
            name="Оператор Таганрог",
            roles=["telegraph"],
            telegraph_prefix="623600",
        )
        lines.append("  tgn@example.com          telegraph (office 623600)")
    existing = set((await session.scalars(select(TelegramClient.code))).all())
    for code, short, full, inn, email in CLIENTS:
        if code not in existing:
            session.add(TelegramClient(code=code, short_name=short, full_name=full, inn=inn, email=email))
    summary = await tariff_import.import_fixture(session, json.dumps(tariff_fixture()).encode())
    today = date.today()
    days, per_day = (7, 60) if scale == "small" else (60, 400)
    imported = await journal.import_journal(session, generate_journal(today - timedelta(days=days - 1), days, per_day))
    lines.insert(
        0,
        f"Telegraph: {len(CLIENTS)} clients, tariffs ({summary.created} new), "
        f"journal of {days} days ({imported.created} new telegrams).",
    )
    return lines
