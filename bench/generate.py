"""Generator of the users benchmark's organisation: the product's department tree and N users by role shares.

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

# The names, UUIDv7 ids, COPY helper and department tree are the product's (``crm demo load --scale large``).
from crm.demo_large.base import copy_records, person_name, translit, unique_email, uuid7_at  # noqa: E402
from crm.demo_large.org import DEPARTMENT_TREE  # noqa: E402

__all__ = ["copy_records", "person_name", "translit", "uuid7_at"]


# --------------------------------------------------------------------------- departments

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
    return unique_email(first, last, taken)


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
