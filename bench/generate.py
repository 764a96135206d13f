"""Generator of the spec's organisation for benchmarks: departments and users so far.

Later slices add their parts (companies, deals, leads...) as more ``generate_*`` functions that take the
``Organisation`` built here (owners, departments) and a seeded ``random.Random``, and a CLI option each.

Fast by construction: one Argon2 hash is computed and reused for every user (they all have the password
``common.PASSWORD``), and rows go in with COPY (asyncpg ``copy_records_to_table``), never one ORM object
per row. The same seed gives the same data.

    .venv/bin/python bench/generate.py --users 10000          # drops and recreates crm_bench first
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import common

DEFAULT_USERS = 10_000
DEFAULT_SEED = 2026

# --------------------------------------------------------------------------- names


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


MALE_FIRST = _words(
    """
    Александр Алексей Андрей Антон Артём Борис Вадим Валерий Василий Виктор Виталий Владимир Владислав
    Геннадий Георгий Григорий Денис Дмитрий Евгений Егор Иван Игорь Илья Кирилл Константин Леонид Максим
    Михаил Никита Николай Олег Павел Пётр Роман Руслан Сергей Станислав Степан Тимур Фёдор Юрий Ярослав
    """
)
FEMALE_FIRST = _words(
    """
    Александра Алина Алёна Алла Анастасия Анна Валентина Валерия Вера Вероника Виктория Галина Дарья
    Диана Евгения Екатерина Елена Елизавета Жанна Зоя Инна Ирина Карина Кристина Ксения Лариса Любовь
    Людмила Маргарита Марина Мария Надежда Наталья Оксана Ольга Полина Светлана София Татьяна Юлия Яна
    """
)
# Male forms; female forms are derived (Иванов → Иванова, Ковальский → Ковальская, Шевченко stays).
SURNAMES = _words(
    """
    Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров Морозов Волков
    Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев Макаров Никитин
    Захаров Зайцев Соловьёв Борисов Яковлев Григорьев Романов Воробьёв Сергеев Кузьмин Фролов
    Александров Дмитриев Королёв Гусев Киселёв Ильин Максимов Поляков Сорокин Виноградов Ковалёв Белов
    Медведев Антонов Тарасов Жуков Баранов Филиппов Комаров Давыдов Беляев Герасимов Богданов Осипов
    Сидоров Матвеев Титов Марков Миронов Крылов Куликов Карпов Власов Мельников Денисов Гаврилов Тихонов
    Казаков Афанасьев Данилов Савельев Тимофеев Фомин Чернов Абрамов Мартынов Ефимов Федотов Щербаков
    Назаров Калинин Исаев Чернышёв Быков Маслов Родионов Коновалов Лазарев Воронин Климов Филатов
    Пономарёв Голубев Кудрявцев Прохоров Наумов Потапов Журавлёв Овчинников Трофимов Леонов Соболев
    Ермаков Колесников Гончаров Емельянов Никифоров Грачёв Котов Гришин Ефремов Архипов Громов Кириллов
    Малышев Панов Моисеев Румянцев Акимов Кондратьев Бирюков Горбунов Анисимов Еремин Тихомиров Галкин
    Лукьянов Михеев Скворцов Юдин Белоусов Нестеров Симонов Прокофьев Харитонов Князев Цветков Левин
    Митрофанов Воронов Аксёнов Софронов Мальцев Логинов Горшков Савин Краснов Майоров Демидов Елисеев
    Рыбаков Сафонов Плотников Дёмин Хохлов Жданов Руденко Шевченко Бондаренко Ткаченко Коваленко
    Кравченко Савченко Ковальский Островский Вишневский Покровский Троицкий Толстой Луговой Ким Пак Цой
    Гарипов Хабибуллин Сафин Мухаметов Шарипов Галиев Алиев Мамедов Гасанов Оганесян Саркисян Беридзе
    """
)

_CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
_LATIN = _words("a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya")
_TRANSLIT = {c: "" if lat == "-" else lat for c, lat in zip(_CYRILLIC, _LATIN, strict=True)}


def translit(text: str) -> str:
    return "".join(_TRANSLIT.get(ch, ch) for ch in text.lower())


def female_surname(surname: str) -> str:
    if surname.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return surname + "а"
    if surname.endswith(("ский", "цкий")):
        return surname[:-2] + "ая"
    if surname.endswith(("ой", "ый")):
        return surname[:-2] + "ая"
    return surname


def person_name(rng: random.Random) -> tuple[str, str]:
    """First and last name of one person, gender-consistent."""
    surname = rng.choice(SURNAMES)
    if rng.random() < 0.5:
        return rng.choice(MALE_FIRST), surname
    return rng.choice(FEMALE_FIRST), female_surname(surname)


def uuid7_at(moment: datetime, rng: random.Random) -> uuid.UUID:
    """A UUIDv7 whose time part is ``moment`` (ids sort like creation times, as the app's do)."""
    ms = int(moment.timestamp() * 1000) & ((1 << 48) - 1)
    value = ms << 80 | 0x7 << 76 | rng.getrandbits(12) << 64 | 0b10 << 62 | rng.getrandbits(62)
    return uuid.UUID(int=value)


# --------------------------------------------------------------------------- bulk insert


async def copy_records(
    conn: asyncpg.Connection, table: str, columns: Sequence[str], records: Sequence[tuple[Any, ...]]
) -> None:
    """COPY rows into ``table``. NOT NULL columns left out that have a constant Python-side default in the
    models (``mapped_column(default=...)``, which the database does not know) get that constant, so a new
    column added by a slice does not break the generators of the others."""
    from crm import models

    extra_names: list[str] = []
    extra_values: list[Any] = []
    for column in models.metadata.tables[table].columns:
        default = column.default
        if column.name in columns or column.nullable or column.server_default is not None or default is None:
            continue
        if getattr(default, "is_scalar", False):
            extra_names.append(column.name)
            extra_values.append(default.arg)  # type: ignore[attr-defined]
    if extra_names:
        records = [(*record, *extra_values) for record in records]
    await conn.copy_records_to_table(table, records=list(records), columns=[*columns, *extra_names])


# --------------------------------------------------------------------------- departments

# (name, parent, kind): kind says who works there (see ROLE_KINDS); 34 departments in 4 levels.
DEPARTMENT_TREE: tuple[tuple[str, str | None, str], ...] = (
    ("Головной офис", None, "office"),
    ("Дирекция по продажам", "Головной офис", "office"),
    ("Отдел продаж Москва", "Дирекция по продажам", "sales"),
    ("Группа крупных клиентов", "Отдел продаж Москва", "sales"),
    ("Группа малого и среднего бизнеса", "Отдел продаж Москва", "sales"),
    ("Группа госзаказчиков", "Отдел продаж Москва", "sales"),
    ("Отдел продаж Санкт-Петербург", "Дирекция по продажам", "sales"),
    ("Группа Северо-Запад", "Отдел продаж Санкт-Петербург", "sales"),
    ("Отдел продаж Поволжье", "Дирекция по продажам", "sales"),
    ("Группа Казань", "Отдел продаж Поволжье", "sales"),
    ("Группа Самара", "Отдел продаж Поволжье", "sales"),
    ("Группа Нижний Новгород", "Отдел продаж Поволжье", "sales"),
    ("Отдел продаж Урал", "Дирекция по продажам", "sales"),
    ("Группа Екатеринбург", "Отдел продаж Урал", "sales"),
    ("Группа Челябинск", "Отдел продаж Урал", "sales"),
    ("Отдел продаж Сибирь", "Дирекция по продажам", "sales"),
    ("Группа Новосибирск", "Отдел продаж Сибирь", "sales"),
    ("Группа Красноярск", "Отдел продаж Сибирь", "sales"),
    ("Отдел продаж Юг", "Дирекция по продажам", "sales"),
    ("Группа Краснодар", "Отдел продаж Юг", "sales"),
    ("Группа Ростов-на-Дону", "Отдел продаж Юг", "sales"),
    ("Отдел продаж Дальний Восток", "Дирекция по продажам", "sales"),
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

# Who works in which kind of department: role, its share of the staff, department kind.
ROLE_KINDS: tuple[tuple[str, float, str], ...] = (
    ("manager", 0.845, "sales"),
    ("operator", 0.08, "leads"),
    ("telegraph", 0.03, "telegraph"),
    ("billing", 0.02, "billing"),
    ("head", 0.023, "sales"),
    ("admin", 0.002, "it"),
)
INACTIVE_SHARE = 0.10  # the export case filters active=no and expects about a thousand rows of 10,000
NEVER_SIGNED_IN_SHARE = 0.04
SECOND_ROLE_SHARE = 0.03  # managers who also work the lead desk


@dataclass
class Department:
    id: int
    name: str
    parent_id: int | None
    kind: str
    depth: int


@dataclass
class Organisation:
    """What later generators need: departments, and users with their department and roles."""

    departments: list[Department] = field(default_factory=list)
    role_ids: dict[str, int] = field(default_factory=dict)
    user_ids: list[uuid.UUID] = field(default_factory=list)
    user_department: dict[uuid.UUID, int | None] = field(default_factory=dict)
    user_roles: dict[uuid.UUID, list[str]] = field(default_factory=dict)
    admin_id: uuid.UUID | None = None

    def users_with_role(self, role: str) -> list[uuid.UUID]:
        return [u for u in self.user_ids if role in self.user_roles[u]]


async def generate_departments(conn: asyncpg.Connection, org: Organisation) -> None:
    """The department tree (ids from the table's sequence, as the app's own inserts take them)."""
    by_name: dict[str, Department] = {}
    for position, (name, parent, kind) in enumerate(DEPARTMENT_TREE):
        parent_dep = by_name[parent] if parent else None
        dep_id = await conn.fetchval(
            "INSERT INTO departments (id, name, parent_id, bitrix_id, sort, created_at, updated_at) "
            "VALUES (nextval('departments_id_seq'), $1, $2, $3, $4, now(), now()) RETURNING id",
            name,
            parent_dep.id if parent_dep else None,
            position + 1,
            100 + 10 * position,
        )
        dep = Department(
            dep_id,
            name,
            parent_dep.id if parent_dep else None,
            kind,
            parent_dep.depth + 1 if parent_dep else 0,
        )
        by_name[name] = dep
        org.departments.append(dep)


# --------------------------------------------------------------------------- users

USER_COLUMNS = (
    "id",
    "email",
    "name",
    "password_hash",
    "is_active",
    "must_change_password",
    "locale",
    "department_id",
    "telegraph_prefix",
    "employee_bitrix_id",
    "session_epoch",
    "last_login_at",
    "created_at",
    "updated_at",
)


@dataclass
class _UserRow:
    id: uuid.UUID
    email: str
    name: str
    roles: list[str]
    department_id: int | None
    is_active: bool
    last_login_at: datetime | None
    created_at: datetime
    locale: str | None = None
    telegraph_prefix: str | None = None
    bitrix_id: int | None = None

    def record(self, password_hash: str) -> tuple[Any, ...]:
        never_signed_in = self.last_login_at is None
        updated = max(self.created_at, self.last_login_at or self.created_at)
        return (
            self.id,
            self.email,
            self.name,
            password_hash,
            self.is_active,
            never_signed_in and self.is_active,
            self.locale,
            self.department_id,
            self.telegraph_prefix,
            self.bitrix_id,
            0,
            self.last_login_at,
            self.created_at,
            updated,
        )


def _pick_role(rng: random.Random) -> tuple[str, str]:
    roll = rng.random()
    for role, share, kind in ROLE_KINDS:
        roll -= share
        if roll < 0:
            return role, kind
    return ROLE_KINDS[0][0], ROLE_KINDS[0][2]


def _unique_email(first: str, last: str, taken: set[str]) -> str:
    base = f"{translit(first)}.{translit(last)}"
    email, n = f"{base}@example.com", 1
    while email in taken:
        n += 1
        email = f"{base}{n}@example.com"
    taken.add(email)
    return email


def _times(rng: random.Random, now: datetime, active: bool) -> tuple[datetime, datetime | None]:
    """created_at within three years; last sign-in spread over the last year (recent for active staff)."""
    created = now - timedelta(days=rng.uniform(0, 3 * 365))
    if rng.random() < NEVER_SIGNED_IN_SHARE:
        return created, None
    # Active staff signed in recently (mean 20 days ago); those who left, 1–12 months ago.
    days_ago = min(365.0, rng.expovariate(1 / 20)) if active else rng.uniform(30, 365)
    last_login = max(created + timedelta(minutes=5), now - timedelta(days=days_ago, seconds=rng.uniform(0, 86400)))
    return created, min(last_login, now)


def build_users(
    n: int, org: Organisation, rng: random.Random, now: datetime, admin_email: str = common.ADMIN_EMAIL
) -> list[_UserRow]:
    """``n`` users: the admin who signs in, a head per department, then staff by the shares of ROLE_KINDS."""
    by_kind: dict[str, list[Department]] = {}
    for dep in org.departments:
        by_kind.setdefault(dep.kind, []).append(dep)
    # Bigger teams in the leaf groups (depth 3) than in the regional departments themselves.
    weights = {kind: [3.0 if d.depth >= 3 else 1.0 for d in deps] for kind, deps in by_kind.items()}
    taken = {admin_email}
    root = org.departments[0]
    rows = [
        _UserRow(
            uuid7_at(now - timedelta(days=3 * 365), rng),
            admin_email,
            "Анна Соколова",
            ["admin"],
            root.id,
            True,
            now - timedelta(hours=1),
            now - timedelta(days=3 * 365),
            bitrix_id=1,
        )
    ]
    plan: list[tuple[str, Department]] = [("head", d) for d in org.departments]
    while len(rows) + len(plan) < n:
        role, kind = _pick_role(rng)
        plan.append((role, rng.choices(by_kind[kind], weights[kind])[0]))
    for role, home in plan[: max(0, n - 1)]:
        first, last = person_name(rng)
        active = rng.random() >= INACTIVE_SHARE
        created, last_login = _times(rng, now, active)
        roles = [role]
        if role == "manager" and rng.random() < SECOND_ROLE_SHARE:
            roles.append("operator")
        rows.append(
            _UserRow(
                id=uuid7_at(created, rng),
                email=_unique_email(first, last, taken),
                name=f"{first} {last}",
                roles=roles,
                department_id=home.id if rng.random() > 0.01 else None,  # a few without one
                is_active=active,
                last_login_at=last_login,
                created_at=created,
                locale="en" if rng.random() < 0.05 else None,
                telegraph_prefix=f"{rng.randint(100000, 199999)}" if role == "telegraph" else None,
                bitrix_id=len(rows) + 1 if rng.random() < 0.9 else None,
            )
        )
    return rows


async def generate_users(
    conn: asyncpg.Connection,
    org: Organisation,
    n: int,
    rng: random.Random,
    password_hash: str,
    now: datetime | None = None,
) -> None:
    """Insert ``n`` users (the admin first) and their roles with two COPYs."""
    now = now or datetime.now(UTC)
    org.role_ids = {r["name"]: r["id"] for r in await conn.fetch("SELECT id, name FROM roles")}
    rows = build_users(n, org, rng, now)
    await copy_records(conn, "users", USER_COLUMNS, [r.record(password_hash) for r in rows])
    await copy_records(
        conn,
        "user_roles",
        ("user_id", "role_id"),
        [(r.id, org.role_ids[role]) for r in rows for role in r.roles],
    )
    for r in rows:
        org.user_ids.append(r.id)
        org.user_department[r.id] = r.department_id
        org.user_roles[r.id] = r.roles
    org.admin_id = rows[0].id if rows else None


# --------------------------------------------------------------------------- the whole organisation


def password_hash() -> str:
    """One Argon2id hash of ``common.PASSWORD`` with the app's own parameters, shared by every user."""
    from crm.lib.security import hash_password_sync

    return hash_password_sync(common.PASSWORD)


async def generate(users: int = DEFAULT_USERS, seed: int = DEFAULT_SEED, reset: bool = True) -> Organisation:
    """A fresh ``crm_bench`` (unless ``reset`` is false) filled with the organisation, statistics analysed."""
    if reset:
        await common.reset_database()
    rng = random.Random(seed)
    org = Organisation()
    hashed = password_hash()
    conn = await common.connect()
    try:
        async with conn.transaction():
            await generate_departments(conn, org)
            await generate_users(conn, org, users, rng, hashed)
    finally:
        await conn.close()
    await common.analyze()
    return org


def summary(org: Organisation) -> str:
    counts: dict[str, int] = {}
    for roles in org.user_roles.values():
        for role in roles:
            counts[role] = counts.get(role, 0) + 1
    by_role = ", ".join(f"{role} {count}" for role, count in sorted(counts.items(), key=lambda kv: -kv[1]))
    return f"{len(org.departments)} departments, {len(org.user_ids)} users ({by_role})"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fill the crm_bench database with a generated organisation.")
    parser.add_argument("--users", type=int, default=DEFAULT_USERS, help="number of users (default 10000)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (same seed, same data)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    org = asyncio.run(generate(users=args.users, seed=args.seed))
    print(f"{common.BENCH_DB}: {summary(org)} in {time.perf_counter() - started:.1f} s")
    print(f"Sign in as {common.ADMIN_EMAIL} (every generated user has the password {common.PASSWORD}).")


if __name__ == "__main__":
    main()
