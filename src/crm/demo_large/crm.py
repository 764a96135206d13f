"""The Bitrix24 records at the large size, as the sync would have stored them: companies (a few big clients and
many small ones, each with a responsible manager of different activity), CRM contacts and leads, deals in the
portal's pipelines and stages, activities and telephony calls over two years with seasonality. By COPY."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from crm.demo_large.base import Days, Progress, Weighted, copy_records, pareto_weights, person_name
from crm.demo_large.org import Org

INDUSTRIES = ("IT", "MANUFACTURING", "TRADE", "FOOD", "BUILDING", "ENERGY", "TRANSPORT", "FINANCE", "HEALTH", "OTHER")
REGIONS = (
    "Москва", "Московская область", "Санкт-Петербург", "Ленинградская область", "Татарстан", "Самарская область",
    "Нижегородская область", "Свердловская область", "Челябинская область", "Пермский край", "Тюменская область",
    "Новосибирская область", "Красноярский край", "Омская область", "Краснодарский край", "Ростовская область",
    "Волгоградская область", "Приморский край", "Хабаровский край", "Калининградская область", "Саратовская область",
)  # fmt: skip
FORMS = ("ООО", "ООО", "ООО", "АО", "ЗАО", "ПАО", "ИП")
WORDS = (
    "Север", "Юг", "Сталь", "Агро", "Транс", "Логистик", "Фарм", "Строй", "Энерго", "Профи", "Гранит", "Вектор",
    "Меридиан", "Альфа", "Техно", "Снаб", "Пром", "Инвест", "Сервис", "Торг", "Мед", "Хим", "Лес", "Нефть",
)  # fmt: skip
# (provider, type, kind share): what the portal's activities are
ACTIVITY_KINDS = (
    ("VOXIMPLANT_CALL", 2, 0.45),
    ("CRM_EMAIL", 4, 0.22),
    ("CRM_MEETING", 1, 0.10),
    ("CRM_TASKS_TASK", 3, 0.15),
    ("CRM_TODO", 6, 0.08),
)
COMPANY_OWNER, DEAL_OWNER = 4, 2


@dataclass
class Clients:
    """What later generators draw from: companies by size, each with its responsible employee."""

    ids: list[int]
    responsible: dict[int, int]
    by_size: Weighted
    employees: Weighted  # managers' employee ids by activity


async def companies(conn: Any, org: Org, count: int, rng: random.Random, progress: Progress | None) -> Clients:
    base = int(await conn.fetchval("SELECT coalesce(max(id), 0) FROM companies")) + 1
    managers = org.managers
    employees = Weighted([m.employee_id for m in managers], [m.activity for m in managers])
    sizes = pareto_weights(count, rng)
    ids = list(range(base, base + count))
    responsible: dict[int, int] = {}
    now = datetime.now(UTC)

    def rows() -> Any:
        for cid, size in zip(ids, sizes, strict=True):
            owner = employees.draw(rng)
            responsible[cid] = owner
            title = f"{rng.choice(FORMS)} «{rng.choice(WORDS)}{rng.choice(WORDS).lower()} {cid % 10000}»"
            revenue = Decimal(int(size * rng.uniform(2, 20)) * 100_000) if rng.random() < 0.8 else None
            staff = (
                "EMPLOYEES_4"
                if size > 20
                else "EMPLOYEES_3"
                if size > 5
                else rng.choice(("EMPLOYEES_1", "EMPLOYEES_2"))
            )
            created = now - timedelta(days=rng.uniform(30, 6 * 365))
            yield (cid, title, "CUSTOMER", rng.choice(INDUSTRIES), staff, revenue, "RUB", owner, created,
                   created + timedelta(days=rng.uniform(0, 30)), str(rng.randrange(10**9, 10**10)),
                   rng.choice(REGIONS), "{}", rng.random() > 0.02, now)  # fmt: skip

    columns = ("id", "title", "company_type", "industry", "employees", "revenue", "currency", "responsible_id",
               "bitrix_created_at", "bitrix_modified_at", "inn", "region", "fields", "active", "synced_at")  # fmt: skip
    await copy_records(conn, "companies", columns, rows(), progress)
    return Clients(ids, responsible, Weighted(ids, sizes), employees)


def _owner(clients: Clients, company: int, rng: random.Random) -> int:
    """Mostly the company's responsible manager, sometimes a colleague."""
    return clients.responsible[company] if rng.random() < 0.9 else clients.employees.draw(rng)


async def contacts_and_leads(
    conn: Any, clients: Clients, contacts: int, leads: int, rng: random.Random, progress: Progress | None
) -> int:
    now = datetime.now(UTC)
    base = int(await conn.fetchval("SELECT coalesce(max(id), 0) FROM contacts")) + 1

    def contact_rows() -> Any:
        for n in range(contacts):
            company = clients.by_size.draw(rng)
            first, last = person_name(rng)
            created = now - timedelta(days=rng.uniform(1, 5 * 365))
            yield (base + n, first, last, rng.choice(("Директор", "Менеджер по закупкам", "Главный инженер", "")),
                   company, [company], clients.responsible[company], [f"+79{rng.randrange(10**8, 10**9)}"],
                   [f"c{base + n}@example.org"] if rng.random() < 0.6 else [], created, created, True, now)  # fmt: skip

    contact_columns = ("id", "name", "last_name", "post", "company_id", "company_ids", "responsible_id", "phones",
               "emails", "bitrix_created_at", "bitrix_modified_at", "active", "synced_at")  # fmt: skip
    written = await copy_records(conn, "contacts", contact_columns, contact_rows(), progress)
    lead_base = int(await conn.fetchval("SELECT coalesce(max(id), 0) FROM crm_leads")) + 1
    days = Days(date.today() - timedelta(days=730), date.today())

    def lead_rows() -> Any:
        for n in range(leads):
            status, semantic = rng.choice((("NEW", "P"), ("IN_PROCESS", "P"), ("CONVERTED", "S"), ("JUNK", "F")))
            company = clients.by_size.draw(rng) if semantic == "S" else None
            first, last = person_name(rng)
            created = days.moment(rng)
            yield (lead_base + n, f"Заявка с сайта {lead_base + n}", first, last, status, semantic, "WEB",
                   company, clients.employees.draw(rng), Decimal(rng.randrange(10, 2000) * 1000), "RUB",
                   [f"+79{rng.randrange(10**8, 10**9)}"], [], created, created, True, now)  # fmt: skip

    lead_columns = ("id", "title", "name", "last_name", "status_id", "semantic", "source_id", "company_id",
               "responsible_id", "amount", "currency", "phones", "emails", "bitrix_created_at", "bitrix_modified_at",
               "active", "synced_at")  # fmt: skip
    return written + await copy_records(conn, "crm_leads", lead_columns, lead_rows(), progress)


async def deals(conn: Any, clients: Clients, count: int, rng: random.Random, progress: Progress | None) -> int:
    """Deals of bigger clients are more and larger; won 40 %, lost 30 %, the rest open, over three years."""
    stages: dict[tuple[int, str], list[str]] = {}
    for r in await conn.fetch("SELECT pipeline_id, status_id, semantics FROM stages WHERE active ORDER BY sort"):
        stages.setdefault((r["pipeline_id"], r["semantics"] or "P"), []).append(r["status_id"])
    pipelines = sorted({p for p, _s in stages}) or [0]
    base = int(await conn.fetchval("SELECT coalesce(max(id), 0) FROM deals")) + 1
    today = date.today()
    days = Days(today - timedelta(days=3 * 365), today)
    now = datetime.now(UTC)

    def rows() -> Any:
        for n in range(count):
            company = clients.by_size.draw(rng)
            pipeline = pipelines[0] if rng.random() < 0.5 else rng.choice(pipelines)
            semantic = rng.choices(("P", "S", "F"), (3, 4, 3))[0]
            stage = rng.choice(stages.get((pipeline, semantic)) or stages.get((pipeline, "P")) or [""])
            begin = days.day(rng)
            closed = semantic != "P"
            close = begin + timedelta(days=rng.randrange(3, 120)) if closed else None
            if close and close > today:
                close = today
            amount = Decimal(round(rng.lognormvariate(11.5, 1.1), -2)).quantize(Decimal("1"))
            moment = datetime.combine(begin, datetime.min.time(), tzinfo=UTC) + timedelta(hours=rng.uniform(6, 16))
            yield (base + n, f"Сделка {base + n}", pipeline, stage, semantic, amount, "RUB", company,
                   _owner(clients, company, rng), begin, close, closed, moment, moment, "{}", True, now)  # fmt: skip

    columns = ("id", "title", "pipeline_id", "stage_id", "semantic", "amount", "currency", "company_id",
               "responsible_id", "begin_date", "close_date", "closed", "bitrix_created_at", "bitrix_modified_at",
               "fields", "active", "synced_at")  # fmt: skip
    return await copy_records(conn, "deals", columns, rows(), progress)


async def activities_and_calls(
    conn: Any, clients: Clients, activities: int, calls: int, rng: random.Random, progress: Progress | None
) -> int:
    """Two years of activities on companies and telephony calls, more of them for busier managers and bigger
    clients, in office hours on working days with seasonality; a quarter of the calls are too short to count."""
    today = date.today()
    days = Days(today - timedelta(days=730), today)
    now = datetime.now(UTC)
    kinds = [(p, t) for p, t, _s in ACTIVITY_KINDS]
    kind_weights = [s for _p, _t, s in ACTIVITY_KINDS]
    base = int(await conn.fetchval("SELECT coalesce(max(id), 0) FROM activities")) + 1

    def activity_rows() -> Any:
        for n in range(activities):
            company = clients.by_size.draw(rng)
            provider, type_id = rng.choices(kinds, kind_weights)[0]
            start = days.moment(rng)
            end = start + timedelta(minutes=rng.choice((5, 15, 30, 60)))
            done = rng.random() < 0.92
            yield (base + n, COMPANY_OWNER, company, company, type_id, provider, provider,
                   {"VOXIMPLANT_CALL": "call", "CRM_EMAIL": "email", "CRM_MEETING": "meeting",
                    "CRM_TASKS_TASK": "task", "CRM_TODO": "todo"}[provider], rng.choice((1, 2)),
                   _owner(clients, company, rng), f"Активность {base + n}", start, end, start, end, done,
                   2 if done else 1, True, now)  # fmt: skip

    columns = ("id", "owner_type_id", "owner_id", "company_id", "type_id", "provider_id", "provider_type_id", "kind",
               "direction", "responsible_id", "subject", "start_at", "end_at", "bitrix_created_at",
               "bitrix_modified_at", "completed", "status", "active", "synced_at")  # fmt: skip
    written = await copy_records(conn, "activities", columns, activity_rows(), progress)
    call_base = int(await conn.fetchval("SELECT coalesce(max(id), 0) FROM calls")) + 1

    def call_rows() -> Any:
        for n in range(calls):
            employee = clients.employees.draw(rng)
            company = clients.by_size.draw(rng) if rng.random() < 0.85 else None
            short = rng.random() < 0.25
            duration = rng.randrange(0, 20) if short else int(20 + rng.expovariate(1 / 180))
            yield (call_base + n, f"L.{call_base + n}", employee, f"+7{rng.randrange(10**9, 10**10)}",
                   1 if rng.random() < 0.7 else 2, duration, days.moment(rng),
                   "304" if short and duration == 0 else "200",
                   "COMPANY" if company else "", company, company, True, now)  # fmt: skip

    call_columns = ("id", "call_id", "user_id", "phone", "call_type", "duration", "start_at", "failed_code",
               "crm_entity_type", "crm_entity_id", "company_id", "active", "synced_at")  # fmt: skip
    return written + await copy_records(conn, "calls", call_columns, call_rows(), progress)
