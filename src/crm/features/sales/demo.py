"""Demo ERP sales: 60 clients over 4 product families with 26 months of invoice lines up to today, looked after by
the two demo managers; some clients stopped buying, some are new. Generated from a fixed seed and imported through
the real pipeline, so a second run updates the same lines instead of adding any."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.sales import imports
from crm.features.sales.models import ErpClient, SalesLine
from crm.features.sales.pipeline import import_table
from crm.features.sales.reading import Table

FAMILIES = ("Краски", "Лаки", "Грунтовки", "Инструмент")
PRODUCTS = {
    "Краски": ("Эмаль ПФ-115 белая", "Краска фасадная ВД", "Краска интерьерная матовая"),
    "Лаки": ("Лак яхтный", "Лак паркетный", "Морилка дуб"),
    "Грунтовки": ("Грунт ГФ-021", "Грунтовка глубокого проникновения", "Бетоноконтакт"),
    "Инструмент": ("Валик 250 мм", "Кисть плоская 50 мм", "Шпатель 100 мм"),
}
PREFIXES = ("ООО", "АО", "ИП", "ООО ТД")
NAMES = (
    "Ромашка", "Вектор", "СтройМир", "Альфа", "Орион", "Гранит", "Север", "Полюс", "Меридиан", "Прогресс",
    "Радуга", "Фасад", "Профи", "Мастер", "Лидер", "Восток", "Запад", "Сигма", "Дельта", "Кристалл",
    "Ремонт Плюс", "Домострой", "Уютный дом", "Интерьер", "Стандарт", "Монолит", "Эталон", "Контур", "Атлант",
    "Береста",
)  # fmt: skip
MANAGERS = ("manager@example.com", "manager2@example.com")
CLIENTS = 60
MONTHS = 26


def _month_back(today: date, back: int) -> date:
    year, month = today.year, today.month - back
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def demo_rows(today: date, salespeople: tuple[str, str]) -> list[list[Any]]:
    """The demo file's rows (header first), the same for the same day."""
    rng = random.Random(20261202)
    rows: list[list[Any]] = [
        ["Дата", "Номер документа", "Код клиента", "Клиент", "ИНН", "Товарная группа", "Товар", "Количество", "Сумма",
         "Менеджер"]
    ]  # fmt: skip
    for n in range(1, CLIENTS + 1):
        name = f"{PREFIXES[n % len(PREFIXES)]} «{NAMES[(n - 1) % len(NAMES)]}{'' if n <= len(NAMES) else ' ' + str(n)}»"
        code, inn = f"D-{n:03d}", f"77{rng.randrange(10**7, 10**8)}"
        families = rng.sample(FAMILIES, rng.randint(1, 3))
        base = rng.randint(20, 400) * 1000
        trend = rng.uniform(-0.01, 0.03)
        first = MONTHS - 1 if n <= 52 else rng.randint(0, 2)  # the last 8 clients: new in the last 3 months
        last = 0 if n % 9 else rng.randint(2, 5)  # every 9th client stopped buying some months ago
        for back in range(first, last - 1, -1):
            start = _month_back(today, back)
            if rng.random() < 0.12:  # a month without purchases now and then
                continue
            month_days = ((_month_back(today, back - 1) if back else today + timedelta(days=1)) - start).days
            level = base * (1 + trend) ** (MONTHS - back)
            for k in range(rng.randint(1, 3)):
                day = start + timedelta(days=rng.randrange(max(1, month_days)))
                invoice = f"РН-{start:%y%m}-{n:03d}-{k + 1}"
                for family in rng.sample(families, rng.randint(1, len(families))):
                    amount = Decimal(round(level * rng.uniform(0.2, 0.6), 2)).quantize(Decimal("0.01"))
                    if rng.random() < 0.03:
                        amount = -amount / 4  # a credit note
                    rows.append(
                        [f"{day:%d.%m.%Y}", invoice, code, name, inn, family, rng.choice(PRODUCTS[family]),
                         str(rng.randint(1, 40)), f"{amount:.2f}".replace(".", ","), salespeople[n % 2]]
                    )  # fmt: skip
    return rows


async def load(session: AsyncSession, scale: str = "small") -> list[str]:
    today = date.today()
    already = await session.scalar(
        select(func.count())
        .select_from(SalesLine)
        .join(ErpClient, ErpClient.id == SalesLine.client_id)
        .where(ErpClient.code.like("D-%"), SalesLine.day >= today.replace(day=1))
    )
    if already:
        return ["ERP sales: the demo lines are already there."]
    found = (await session.execute(select(User.email, User.name).where(User.email.in_(MANAGERS)))).all()
    people: dict[str, str] = {email: name for email, name in found}
    salespeople = (
        people.get(MANAGERS[0], MANAGERS[0]) or MANAGERS[0],
        people.get(MANAGERS[1], MANAGERS[1]) or MANAGERS[1],
    )
    rows = demo_rows(today, salespeople)
    item = await imports.create(session, source="cli", file_name="demo-erp-sales.csv", status="running")
    table = Table(kind="csv", headers=rows[0], rows=iter(rows[1:]))
    outcome = await import_table(session, item.id, table)
    item.status, item.finished_at = "done", imports.now()
    item.rows_read, item.imported, item.updated, item.rejected = (
        outcome.rows_read,
        outcome.imported,
        outcome.updated,
        outcome.rejected,
    )
    # Clients buying for more than 3 months have been reviewed; the recent ones stay flagged "new".
    await session.execute(
        update(ErpClient)
        .where(ErpClient.code.like("D-%"), ErpClient.code <= f"D-{CLIENTS - 8:03d}")
        .values(is_new=False)
    )
    return [f"ERP sales: {outcome.rows_read} demo lines ({outcome.imported} new) for {CLIENTS} clients."]
