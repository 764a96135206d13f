"""``crm demo load`` for the lead desk: four operators, three sources with weights, a month of contacts.

The history is given out by the same rule as live intake (``distribution.choose_operator`` with each contact's
draw), so the statistics page shows shares close to the weights; today's contacts are partly open, and the
partner source overflows its one small operator, so the unassigned queue has a few waiting contacts.
Running it twice adds nothing. ``--scale large`` adds the desk of the large organisation (``crm.demo_large``).
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts import services as accounts
from crm.features.accounts.models import User
from crm.features.leads import desk, desk_sources, distribution
from crm.features.leads.distribution import Candidate
from crm.features.leads.intake import local_zone
from crm.features.leads.models import LeadSource
from crm.features.org.models import Department
from crm.lib.demo import DEMO_PASSWORD

# email, name, max_load (operator@example.com is created with the other demo users)
OPERATORS = [
    ("operator@example.com", "Ольга Лебедева", 10),
    ("operator2@example.com", "Пётр Зуев", 12),
    ("operator3@example.com", "Светлана Орлова", 8),
    ("operator4@example.com", "Денис Комаров", 3),
]
# source → weight per operator (by position in OPERATORS)
SOURCES = {
    "Telegram-бот": [10, 20, 10, 0],
    "Сайт: форма заявки": [10, 10, 0, 5],
    "Партнёры": [0, 0, 0, 10],
}
MESSAGES = [
    "Хочу узнать цену", "Перезвоните, пожалуйста", "Нужна консультация по тарифу", "Есть ли доставка в регионы?",
    "Интересует оптовая закупка", "Пришлите коммерческое предложение", "Не могу оформить заказ на сайте",
    "Когда будет в наличии?", "Хочу подключить компанию", "Вопрос по счёту",
]  # fmt: skip
FIRST = ["Иван", "Анна", "Сергей", "Мария", "Алексей", "Елена", "Дмитрий", "Ольга", "Николай", "Татьяна", "Павел",
         "Юлия", "Андрей", "Наталья", "Михаил", "Ирина"]  # fmt: skip
LAST = ["Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов", "Новиков", "Фёдоров", "Морозов",
        "Волков", "Алексеев", "Лебедев", "Семёнов"]  # fmt: skip


def _person(rng: random.Random, n: int) -> dict[str, Any]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    if first.endswith("а") or first.endswith("я"):
        last = last + "а"
    kind = rng.random()
    return {
        "name": f"{first} {last}",
        "phone": f"+79{rng.randint(10, 99)}{n:07d}"[:12] if kind < 0.8 else None,
        "email": f"client{n}@example.ru" if kind > 0.6 else None,
        "external_id": f"tg:{100000 + n}" if kind < 0.3 else None,
    }


async def _operators(session: AsyncSession, password: str) -> list[int]:
    department = await session.scalar(select(Department.id).where(Department.name == "Колл-центр"))
    ids = []
    for email, name, max_load in OPERATORS:
        user = await session.scalar(select(User).where(User.email == email))
        if user is None:
            user = await accounts.create_user(
                session, email=email, password=password, name=name, roles=["operator"], department_id=department
            )
        operator_id = await desk.operator_id_of(session, user.id)
        if operator_id is None:
            operator_id = (await desk.create_operator(session, user, None, max_load=max_load)).id
        ids.append(operator_id)
    return ids


async def load(session: AsyncSession, scale: str = "small") -> list[str]:

    if await session.scalar(select(func.count()).select_from(LeadSource)):
        return ["Lead desk: already loaded."]
    operator_ids = await _operators(session, DEMO_PASSWORD)
    keys: list[str] = []
    sources: dict[int, list[Candidate]] = {}
    for name, weights in SOURCES.items():
        source, raw = await desk_sources.create_source(session, name, None)
        pairs = [(op, w) for op, w in zip(operator_ids, weights, strict=True) if w]
        await desk_sources.replace_competences(session, source.id, pairs, None)
        keys.append(f"  {name:22} {raw}")
        maxima = {op: m for op, (_e, _n, m) in zip(operator_ids, OPERATORS, strict=True)}
        sources[source.id] = [Candidate(op, w, 0, maxima[op]) for op, w in pairs]
    leads, contacts, waiting = await _history(session, sources, random.Random(2026))
    lines = [
        f"Lead desk: {len(operator_ids)} operators ({', '.join(e for e, _n, _m in OPERATORS)}), {len(SOURCES)} "
        f"sources, {leads} leads, {contacts} contacts ({waiting} waiting unassigned).",
        "Intake keys (shown once; rotate them on /leads/sources):",
        *keys,
    ]
    return lines


async def _history(
    session: AsyncSession, sources: dict[int, list[Candidate]], rng: random.Random
) -> tuple[int, int, int]:
    """Thirty days of contacts, most closed; today's are open within each operator's max load."""
    now = datetime.now(UTC).replace(microsecond=0)
    lead_ids = await _leads(session, rng, now)
    rows, owner = await _contacts(session, sources, lead_ids, rng, now)
    await session.execute(
        text("INSERT INTO lead_contacts (id, lead_id, source_id, operator_id, message, status, reason_code, "
             "reason_params, created_at, assigned_at, closed_at) VALUES (:id, :lead, :source, :op, :msg, :status, "
             ":code, CAST(:params AS jsonb), :at, :assigned, :closed)"),
        rows,
    )  # fmt: skip
    for lead_id, operator_id in owner.items():
        await session.execute(
            text("UPDATE leads SET operator_id = :op WHERE id = :id"), {"op": operator_id, "id": lead_id}
        )
    await recount(session)
    waiting = sum(1 for r in rows if r["op"] is None and r["status"] == "open")
    return len(lead_ids), len(rows), waiting


async def _leads(session: AsyncSession, rng: random.Random, now: datetime) -> list[int]:
    """260 people (every one with a phone or an email) as leads a month old; returns the ids of those added."""
    people = [_person(rng, n) for n in range(260)]
    lead_ids: list[int] = []
    for p in people:
        lead_ids.append(
            await session.scalar(
                text(
                    "INSERT INTO leads (external_id, phone, email, name, created_at, updated_at) "
                    "VALUES (:external_id, :phone, :email, :name, :at, :at) ON CONFLICT DO NOTHING RETURNING id"
                ),
                {**p, "at": now - timedelta(days=31)},
            )
        )
    return [i for i in lead_ids if i is not None]


async def _contacts(
    session: AsyncSession, sources: dict[int, list[Candidate]], lead_ids: list[int], rng: random.Random, now: datetime
) -> tuple[list[dict[str, Any]], dict[int, int | None]]:
    """420 contacts over thirty days (more of them lately), each given to an operator by the distribution rules as
    it would have been; returns their rows and each lead's operator."""
    owner: dict[int, int | None] = {}
    open_load: dict[int, int] = {}
    rows: list[dict[str, Any]] = []
    source_ids = list(sources)
    for n in range(420):
        age = timedelta(minutes=int((30 * 24 * 60) * (1 - n / 420) ** 1.3))
        created = now - age
        is_open = age < timedelta(hours=24)
        # today the partners send more than their one small operator can take: a few wait in the queue
        source_id = rng.choices(source_ids, weights=[4, 3, 3] if is_open else [5, 4, 1])[0]
        lead_id = rng.choice(lead_ids)
        candidates = [
            Candidate(c.operator_id, c.weight, open_load.get(c.operator_id, 0) if is_open else 0, c.max_load)
            for c in sources[source_id]
        ]
        contact_id = await session.scalar(text("SELECT nextval(pg_get_serial_sequence('lead_contacts', 'id'))"))
        choice = distribution.choose_operator(
            candidates, owner.get(lead_id), distribution.draw_for(int(contact_id or 0))
        )
        if choice.operator_id is not None:
            owner[lead_id] = choice.operator_id
            if is_open:
                open_load[choice.operator_id] = open_load.get(choice.operator_id, 0) + 1
        closed = None if is_open else created + timedelta(minutes=rng.randint(3, 240))
        rows.append({
            "id": contact_id, "lead": lead_id, "source": source_id, "op": choice.operator_id,
            "msg": rng.choice(MESSAGES), "status": "open" if is_open else "closed", "code": choice.code,
            "params": json.dumps(choice.params), "at": created, "assigned": created if choice.operator_id else None,
            "closed": closed,
        })  # fmt: skip
    return rows, owner


async def recount(session: AsyncSession) -> None:
    """The derived figures from the contacts (what ``queue.reconcile`` does), inside this transaction."""
    await session.execute(
        text("UPDATE lead_operators o SET open_count = (SELECT count(*) FROM lead_contacts c "
             "WHERE c.operator_id = o.id AND c.status = 'open')")
    )  # fmt: skip
    await session.execute(text("DELETE FROM lead_daily_counts"))
    await session.execute(
        text("INSERT INTO lead_daily_counts (day, source_id, operator_id, contacts) "
             "SELECT (created_at AT TIME ZONE :zone)::date, source_id, operator_id, count(*) FROM lead_contacts "
             "WHERE operator_id IS NOT NULL GROUP BY 1, 2, 3"),
        {"zone": local_zone()},
    )  # fmt: skip
