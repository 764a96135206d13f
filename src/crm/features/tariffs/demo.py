"""Demo data of the telegraph office: operators, clients, tariffs (public prices) and a generated journal.

The journal generator writes the old tool's CSV format (Windows-1251, ';'), so the demo and the benchmark go
through the same import as real files. Everything is deterministic: loading twice on a day adds nothing.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.calendar import services as calendar
from crm.features.tariffs import journal, registries, registry_day, registry_rows, tariff_import
from crm.features.tariffs.journal import COLUMNS
from crm.features.tariffs.models import Country, RegistryRecord, TelegramClient
from crm.features.tariffs.tariffs import local_midnight
from crm.lib.demo import DEMO_PASSWORD
from crm.lib.i18n import local_today, local_tz

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
            moment = datetime.combine(day, time(0), tzinfo=tz) + timedelta(
                seconds=int(86399 * (index + rng.random()) / per_day)
            )
            out_num = 1000 + offset * per_day + index
            stem = f"{day:%y%m%d}{index:05x}"
            writer.writerow(_telegram(rng, prefix, stem, chan, numbers[chan], moment, cash_prefix, out_num))
    return out.getvalue().encode("cp1251")


def _telegram(
    rng: random.Random,
    prefix: str,
    stem: str,
    chan: str,
    number: int,
    moment: datetime,
    cash_prefix: str,
    out_num: int,
) -> list[Any]:
    """One journal row: a telegram of channel ``chan`` sent at ``moment``, urgent or with a notice at random, to a
    random address; its file is named ``prefix``, s (urgent) or p, ``stem``."""
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
    return [
        f"{prefix}{'s' if urgent else 'p'}{stem}.q",
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


# --------------------------------------------------------------------------- registries, as the office keeps them

OPERATORS = [("telegraph@example.com", "Белова"), ("tgn@example.com", "Кузнецова")]  # and their signatures
BILLING_EMAIL = "billing@example.com"
# The operator reads whose telegram it is from its signature (ДТ: the customs office).
SIGNER_CLIENTS = dict(zip(SIGNERS, ("00001", "00002", "00001", "00101"), strict=True))
PAST_DAYS = 4  # registries of past working days in each of the two months
MAX_ROWS = 40  # paid telegrams an operator ticks at most in a day
LEFT_FOR_LATER = 3  # rows of the draft still without a client


async def registry_plan(session: AsyncSession, today: date) -> list[tuple[date, str]]:
    """Registry days and the status each reaches: working days spread over the previous month and the latest ones
    of this month (billed, the last of a month only formed unless it is the month's only one), and a draft on
    today's or the last working day. Weekends and holidays come from the working-day calendar."""
    first = today.replace(day=1)
    worked = await calendar.working_days(session, (first - timedelta(days=1)).replace(day=1), today)
    if not worked:
        return []
    draft = worked[-1]
    before = [d for d in worked if d < min(first, draft)]
    spread = sorted(
        {before[round(i * (len(before) - 1) / (PAST_DAYS - 1))] for i in range(PAST_DAYS)} if before else set()
    )
    months = [spread, [d for d in worked if first <= d < draft][-PAST_DAYS:]]
    plan: list[tuple[date, str]] = []
    for days in months:
        plan += [(d, registries.FORMED if d == days[-1] and len(days) > 1 else registries.CLOSED) for d in days]
    return [*plan, (draft, registries.DRAFT)]


def _row_form(row: RegistryRecord, client: str, **changes: Any) -> dict[str, str]:
    """What the row's controls post once the operator has changed ``changes`` (unticked boxes are not sent)."""
    values: dict[str, Any] = {
        "client": client,
        "country_id": str(row.country_id or ""),
        "category": row.category,
        "notification": row.notification,
        "blank": row.blank,
        "deliver_on_date": row.deliver_on_date,
        "paid_reply": row.paid_reply,
        "manual": row.manual,
        "words": str(row.words),
    }
    if changes.get("manual"):
        values |= {name: f"{getattr(row, name):.2f}" for name in registries.AMOUNTS}
    values |= changes
    return {name: "on" if value is True else str(value) for name, value in values.items() if value is not False}


async def _keep_day(
    session: AsyncSession, operator: User, signature: str, billing: User | None, day: date, status: str
) -> str | None:
    """One operator's registry of the day through the screens' own services: tick the paid telegrams, name their
    clients, fix a few rows by hand, sign; billing bills it. The status reached, or None if nothing was added."""
    rng = random.Random(f"{operator.email} {day}")
    offered = [d.telegram for d in await registry_day.office_day(session, operator, day) if d.registry_id is None]
    if status == registries.DRAFT:  # only what has come in so far today
        offered = [t for t in offered if t.inp_gate_date <= datetime.now(UTC)] or offered[:8]
    paid = [t.id for t in offered if rng.random() < 0.8][:MAX_ROWS]
    if not paid:
        return None
    registry, _added = await registry_day.add_telegrams(session, operator, day, paid)
    rows = await registries.rows_of(session, registry)
    names = {code: f"{code} {short}" for code, short, *_rest in CLIENTS}
    abroad = await session.scalar(select(Country.id).where(Country.name == rng.choice(["Беларусь", "Казахстан"])))
    # A paid reply (set by hand) on a telegram with a notification: priced, with the warning shown.
    noted = [r for r in rows if r.notification != "none"]
    reply_row = noted[0] if noted else None
    recount = rng.choice(rows) if rng.random() < 0.6 else None  # the header's word count was wrong
    retyped = rng.choice(rows) if rng.random() < 0.35 else None  # an amount typed over by hand
    plain = [r for r in rows if r.notification == "none" and r.blank == "none"]
    foreign = rng.choice(plain) if plain and rng.random() < 0.4 else None  # to a neighbour country
    waiting = {r.id for r in rows[-LEFT_FOR_LATER:]} if status == registries.DRAFT else set()
    for row in rows:
        client = "" if row.id in waiting else names[SIGNER_CLIENTS.get(row.telegram.subscribe, "00001")]
        changes: dict[str, Any] = {}
        if row is reply_row:
            changes["paid_reply"] = True
        if row is foreign and row is not recount:
            changes["country_id"] = str(abroad or "")
        if row is recount:
            changes |= {"manual": True, "words": str(row.words + rng.randint(1, 4))}
        await registry_rows.update_row(session, operator, registry.id, row.id, _row_form(row, client, **changes))
        if row is retyped and row is not recount:
            whole = row.words_amount.quantize(Decimal("1"), rounding=ROUND_FLOOR)
            form = _row_form(row, client, manual=True, words_amount=f"{whole:.2f}")
            await registry_rows.update_row(session, operator, registry.id, row.id, form, "words_amount")
    if status == registries.DRAFT:
        return status
    # The demo operator has looked at the rows with warnings (a paid reply with a notification) and forms anyway.
    seen = [r.id for r in registries.flagged(await registries.rows_of(session, registry))]
    await registries.confirm(session, operator, registry.id, signature, seen)
    registry.formed_at = local_midnight(day) + timedelta(hours=18, minutes=rng.randint(0, 45))
    if status != registries.CLOSED or billing is None:
        return registries.FORMED
    await registries.close(session, billing, registry.id, seen)
    billed_on = (await calendar.working_days(session, day + timedelta(days=1), day + timedelta(days=31)))[:1]
    registry.closed_at = min(
        local_midnight(billed_on[0] if billed_on else day) + timedelta(hours=11), datetime.now(UTC)
    )
    return registries.CLOSED


async def load_registries(session: AsyncSession, plan: list[tuple[date, str]]) -> str:
    """The demo offices' registries of the planned days; a day an operator already has a registry for is left
    as it is (whatever its status now), so loading again adds nothing."""
    users = {
        u.email: u
        for u in (
            await session.scalars(select(User).where(User.email.in_([BILLING_EMAIL, *(e for e, _s in OPERATORS)])))
        ).all()
    }
    made: Counter[str] = Counter()
    for email, signature in OPERATORS:
        operator = users.get(email)
        if operator is None or not operator.telegraph_prefix:
            continue
        for day, status in plan:
            if await registry_day.day_registry(session, operator, day) is None:
                reached = await _keep_day(session, operator, signature, users.get(BILLING_EMAIL), day, status)
                made[reached or "none"] += 1
    return (
        f"Telegraph registries: {made['closed']} billed, {made['formed']} formed, {made['draft']} draft "
        f"(days {plan[0][0]:%d.%m}–{plan[-1][0]:%d.%m})."
        if plan
        else "Telegraph registries: no working days."
    )


async def _import_days(session: AsyncSession, days: list[date], per_day: int) -> int:
    """The journal of each day, generated from the day alone: a day looks the same whenever the demo is loaded,
    so a later load neither changes the telegrams already registered nor adds twins of them."""
    created = 0
    for day in days:
        content = generate_journal(day, 1, per_day, seed=day.toordinal())
        created += (await journal.import_journal(session, content)).created
    return created


async def load(session: AsyncSession, scale: str = "small") -> list[str]:
    """Clients, tariffs, the second office's operator, a journal of the last days and the registries (idempotent)."""
    from crm.features.accounts import services as accounts

    lines: list[str] = []
    if not await accounts.email_taken(session, "tgn@example.com"):
        await accounts.create_user(
            session,
            email="tgn@example.com",
            password=DEMO_PASSWORD,
            name="Нина Кузнецова",
            roles=["telegraph"],
            telegraph_prefix="623600",
        )
        lines.append("  tgn@example.com          telegraph (office 623600)")
    existing = set((await session.scalars(select(TelegramClient.code))).all())
    for code, short, full, inn, email in CLIENTS:
        if code not in existing:
            session.add(TelegramClient(code=code, short_name=short, full_name=full, inn=inn, email=email))
    summary = await tariff_import.import_fixture(session, json.dumps(tariff_fixture()).encode())
    today = local_today()
    days, per_day = (7, 60) if scale == "small" else (60, 400)
    window = [today - timedelta(days=back) for back in range(days - 1, -1, -1)]
    plan = await registry_plan(session, today)
    journal_days = sorted(set(window) | {day for day, _status in plan})
    created = await _import_days(session, journal_days, per_day)
    lines.insert(
        0,
        f"Telegraph: {len(CLIENTS)} clients, tariffs ({summary.created} new), "
        f"journal of {len(journal_days)} days ({created} new telegrams).",
    )
    lines.append(await load_registries(session, plan))
    return lines
