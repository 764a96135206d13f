"""The large organisation's people: a department tree with 30 sales departments, heads, managers of different
activity, lead desk operators, telegraph and billing staff and admins (one password hash for all, by COPY), the
Bitrix24 employees the managers and heads are, and a year of daily call plans with a few day comments."""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from crm.demo_large.base import (
    Progress,
    Sizes,
    copy_records,
    next_id,
    person_name,
    set_sequence,
    unique_email,
    uuid7_at,
)

# (name, parent, kind): kind says who works there; 44 departments in 4 levels, 30 of them sales.
DEPARTMENT_TREE: tuple[tuple[str, str | None, str], ...] = (
    ("Головной офис", None, "office"),
    ("Дирекция по продажам", "Головной офис", "office"),
    ("Отдел продаж Москва", "Дирекция по продажам", "sales"),
    ("Группа крупных клиентов", "Отдел продаж Москва", "sales"),
    ("Группа малого и среднего бизнеса", "Отдел продаж Москва", "sales"),
    ("Группа госзаказчиков", "Отдел продаж Москва", "sales"),
    ("Группа ключевых сетей", "Отдел продаж Москва", "sales"),
    ("Отдел продаж Санкт-Петербург", "Дирекция по продажам", "sales"),
    ("Группа Северо-Запад", "Отдел продаж Санкт-Петербург", "sales"),
    ("Группа Калининград", "Отдел продаж Санкт-Петербург", "sales"),
    ("Отдел продаж Поволжье", "Дирекция по продажам", "sales"),
    ("Группа Казань", "Отдел продаж Поволжье", "sales"),
    ("Группа Самара", "Отдел продаж Поволжье", "sales"),
    ("Группа Нижний Новгород", "Отдел продаж Поволжье", "sales"),
    ("Группа Саратов", "Отдел продаж Поволжье", "sales"),
    ("Отдел продаж Урал", "Дирекция по продажам", "sales"),
    ("Группа Екатеринбург", "Отдел продаж Урал", "sales"),
    ("Группа Челябинск", "Отдел продаж Урал", "sales"),
    ("Группа Пермь", "Отдел продаж Урал", "sales"),
    ("Группа Тюмень", "Отдел продаж Урал", "sales"),
    ("Отдел продаж Сибирь", "Дирекция по продажам", "sales"),
    ("Группа Новосибирск", "Отдел продаж Сибирь", "sales"),
    ("Группа Красноярск", "Отдел продаж Сибирь", "sales"),
    ("Группа Омск", "Отдел продаж Сибирь", "sales"),
    ("Отдел продаж Юг", "Дирекция по продажам", "sales"),
    ("Группа Краснодар", "Отдел продаж Юг", "sales"),
    ("Группа Ростов-на-Дону", "Отдел продаж Юг", "sales"),
    ("Группа Волгоград", "Отдел продаж Юг", "sales"),
    ("Группа Воронеж", "Отдел продаж Юг", "sales"),
    ("Отдел продаж Дальний Восток", "Дирекция по продажам", "sales"),
    ("Группа Владивосток", "Отдел продаж Дальний Восток", "sales"),
    ("Группа Хабаровск", "Отдел продаж Дальний Восток", "sales"),
    ("Колл-центр", "Головной офис", "leads"),
    ("Смена 1", "Колл-центр", "leads"),
    ("Смена 2", "Колл-центр", "leads"),
    ("Смена 3", "Колл-центр", "leads"),
    ("Телеграф", "Головной офис", "telegraph"),
    ("Приём телеграмм", "Телеграф", "telegraph"),
    ("Доставка телеграмм", "Телеграф", "telegraph"),
    ("Финансовая служба", "Головной офис", "billing"),
    ("Бухгалтерия", "Финансовая служба", "billing"),
    ("Биллинг", "Финансовая служба", "billing"),
    ("ИТ-отдел", "Головной офис", "it"),
    ("Отдел маркетинга", "Головной офис", "office"),
)
MARKER = "Дирекция по продажам"  # the small demo has no such department: its presence means "already loaded"
TELEGRAPH_PREFIXES = ("123002", "623600", "123591")
USER_COLUMNS = (
    "id", "email", "name", "password_hash", "is_active", "must_change_password", "locale", "department_id",
    "telegraph_prefix", "employee_bitrix_id", "session_epoch", "last_login_at", "created_at", "updated_at",
)  # fmt: skip


@dataclass
class Dept:
    id: int
    name: str
    parent_id: int | None
    kind: str
    depth: int
    bitrix_id: int = 0


@dataclass
class Person:
    id: uuid.UUID
    email: str
    name: str
    role: str
    department: Dept
    employee_id: int | None = None
    activity: float = 1.0  # how much this manager does, relative to the others


@dataclass
class Org:
    departments: list[Dept] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)

    def with_role(self, role: str) -> list[Person]:
        return [p for p in self.people if p.role == role]

    @property
    def managers(self) -> list[Person]:
        return self.with_role("manager")


async def departments(conn: Any) -> list[Dept]:
    """The tree, reusing the departments of the small demo by name (and moving them under their tree parent)."""
    existing = {r["name"]: r["id"] for r in await conn.fetch("SELECT id, name FROM departments ORDER BY id")}
    out: dict[str, Dept] = {}
    for position, (name, parent, kind) in enumerate(DEPARTMENT_TREE):
        parent_dep = out[parent] if parent else None
        parent_id = parent_dep.id if parent_dep else None
        if name in existing:
            dep_id = existing[name]
            await conn.execute("UPDATE departments SET parent_id = $1 WHERE id = $2", parent_id, dep_id)
        else:
            dep_id = await conn.fetchval(
                "INSERT INTO departments (id, name, parent_id, sort, active, created_at, updated_at) "
                "VALUES ((SELECT coalesce(max(id), 0) + 1 FROM departments), $1, $2, $3, true, now(), now()) "
                "RETURNING id",
                name,
                parent_id,
                100 + 10 * position,
            )
        await conn.execute("UPDATE departments SET bitrix_id = coalesce(bitrix_id, 9000 + id) WHERE id = $1", dep_id)
        bitrix_id = await conn.fetchval("SELECT bitrix_id FROM departments WHERE id = $1", dep_id)
        depth = parent_dep.depth + 1 if parent_dep else 0
        out[name] = Dept(dep_id, name, parent_id, kind, depth, bitrix_id)
    await set_sequence(conn, "departments")
    return list(out.values())


def plan_people(org: Org, sizes: Sizes, rng: random.Random, now: datetime, taken: set[str]) -> None:
    """Who works where: a head per department, managers (bigger teams in the leaf groups), the rest by kind."""
    by_kind: dict[str, list[Dept]] = {}
    for dep in org.departments:
        by_kind.setdefault(dep.kind, []).append(dep)
    staff = [
        ("manager", sizes.managers, "sales"),
        ("operator", sizes.n(60, 2), "leads"),
        ("telegraph", sizes.n(20, 2), "telegraph"),
        ("billing", sizes.n(10, 1), "billing"),
        ("admin", 3, "it"),
    ]
    plan = [("head", d) for d in org.departments]
    for role, count, kind in staff:
        deps = by_kind[kind]
        weights = [3.0 if d.depth >= 3 else 1.0 for d in deps]
        # every sales department gets at least one manager, the rest go by team size
        first = deps[:count] if role == "manager" else []
        plan += [(role, d) for d in first] + [(role, d) for d in rng.choices(deps, weights, k=count - len(first))]
    for role, dep in plan:
        first_name, last_name = person_name(rng)
        created = now - timedelta(days=rng.uniform(30, 3 * 365))
        org.people.append(
            Person(
                id=uuid7_at(created, rng),
                email=unique_email(first_name, last_name, taken),
                name=f"{first_name} {last_name}",
                role=role,
                department=dep,
                activity=rng.lognormvariate(0, 0.6) if role == "manager" else 1.0,
            )
        )


async def people(conn: Any, org: Org, sizes: Sizes, rng: random.Random, password_hash: str) -> int:
    """Users with their roles, the Bitrix24 employees of the sales staff; department heads set."""
    now = datetime.now(UTC)
    taken = {r["email"] for r in await conn.fetch("SELECT email FROM users")}
    plan_people(org, sizes, rng, now, taken)
    next_employee = int(await conn.fetchval("SELECT coalesce(max(id), 0) FROM employees")) + 1000
    for person in org.people:
        if person.role == "manager" or (person.role == "head" and person.department.kind == "sales"):
            person.employee_id = next_employee
            next_employee += 1
    role_ids = {r["name"]: r["id"] for r in await conn.fetch("SELECT id, name FROM roles")}
    offices = list(TELEGRAPH_PREFIXES)
    records = []
    for i, p in enumerate(org.people):
        last_login = now - timedelta(days=min(200.0, rng.expovariate(1 / 5)), seconds=rng.randrange(86400))
        prefix = offices[i % len(offices)] if p.role == "telegraph" else None
        created = now - timedelta(days=400)
        records.append(
            (p.id, p.email, p.name, password_hash, True, False, None, p.department.id, prefix, p.employee_id, 0,
             last_login, created, last_login)
        )  # fmt: skip
    await copy_records(conn, "users", USER_COLUMNS, records)
    await copy_records(conn, "user_roles", ("user_id", "role_id"), [(p.id, role_ids[p.role]) for p in org.people])
    employees = [
        (p.employee_id, *p.name.split(" ", 1), p.email, "Менеджер" if p.role == "manager" else "Руководитель",
         p.department.id, [p.department.bitrix_id], True, now)
        for p in org.people if p.employee_id
    ]  # fmt: skip
    await copy_records(
        conn,
        "employees",
        ("id", "name", "last_name", "email", "position", "department_id", "department_bitrix_ids", "active",
         "synced_at"),
        employees,
    )  # fmt: skip
    for p in org.with_role("head"):
        if p.employee_id:
            await conn.execute(
                "UPDATE departments SET head_bitrix_id = $1 WHERE id = $2", p.employee_id, p.department.id
            )
    return len(org.people)


async def call_plans(conn: Any, org: Org, rng: random.Random, progress: Progress | None) -> int:
    """Daily call plans of every manager over the last year and this month, and a few day comments."""
    today = date.today()
    start = date(today.year - 1, today.month, 1)
    end = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    days = [start + timedelta(days=i) for i in range((end - start).days) if (start + timedelta(days=i)).weekday() < 5]
    plans: list[tuple[Any, ...]] = []
    comments: list[tuple[Any, ...]] = []
    now = datetime.now(UTC)
    comment_id = await next_id(conn, "plan_day_comments")
    for p in org.managers:
        daily = rng.choice((15, 20, 25, 30, 40))
        for day in days:
            plans.append((p.employee_id, day, daily, now))
            if day < today and rng.random() < 0.02:
                body = rng.choice(("На выставке", "Больничный", "Обучение", "Выезд к клиенту весь день"))
                comments.append((comment_id + len(comments), p.employee_id, day, body, rng.random() < 0.5, now, now))
    written = await copy_records(conn, "call_plans", ("employee_id", "day", "calls", "updated_at"), plans, progress)
    columns = ("id", "employee_id", "day", "body", "verified", "created_at", "updated_at")
    await copy_records(conn, "plan_day_comments", columns, comments)
    await set_sequence(conn, "plan_day_comments")
    return written


async def audit(conn: Any, org: Org, count: int, rng: random.Random, progress: Progress | None) -> int:
    """A year of audit entries: heads setting call plans, admins changing users."""
    now = datetime.now(UTC)
    heads = org.with_role("head") or org.people
    admins = org.with_role("admin") or org.people
    first = await next_id(conn, "audit_log")

    def rows() -> Any:
        for n in range(count):
            at = now - timedelta(seconds=rng.randrange(365 * 86400))
            if rng.random() < 0.8:
                actor, target = rng.choice(heads), rng.choice(org.managers)
                old = rng.choice((15, 20, 25))
                yield (first + n, actor.id, actor.email, actor.department.id, "plan", str(target.employee_id), "set",
                       f"{target.name}: {at:%m.%Y}", json.dumps({"calls": [old, old + 5]}), at, at)  # fmt: skip
            else:
                actor, target = rng.choice(admins), rng.choice(org.people)
                yield (first + n, actor.id, actor.email, actor.department.id, "user", str(target.id), "update",
                       target.email, json.dumps({"is_active": [False, True]}), at, at)  # fmt: skip

    columns = ("id", "actor_id", "actor_email", "department_id", "entity", "entity_id", "action", "summary", "changes",
               "created_at", "updated_at")  # fmt: skip
    written = await copy_records(conn, "audit_log", columns, rows(), progress)
    await set_sequence(conn, "audit_log")
    return written
