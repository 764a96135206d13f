"""Rules of accounts: who may sign in, users and roles. Tokens and the audit trail live in tokens.py and audit.py
and are re-exported here, the slice's service interface."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from litestar.stores.base import Store
from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm.config import get_settings
from crm.features.accounts.audit import AUDIT_SORTS, AuditFilter, audit_query, record
from crm.features.accounts.employees import employee_label
from crm.features.accounts.models import (
    ApiToken,
    PasswordResetToken,
    RefreshToken,
    Role,
    SessionRecord,
    User,
)
from crm.features.accounts.passwords import set_password
from crm.features.accounts.permissions import BUILTIN_ROLES, OFFERED_CODES
from crm.features.accounts.tokens import (
    RESET_TTL,
    create_api_token,
    family_is_live,
    issue_token_pair,
    list_api_tokens,
    mint_reset_token,
    reset_password,
    revoke_api_token,
    revoke_refresh_token,
    rotate_refresh_token,
    user_for_reset_token,
)
from crm.lib import security
from crm.lib.i18n import N_
from crm.lib.lists import ListQuery

# --------------------------------------------------------------------------- loading the current user


async def load_session_user(session: AsyncSession, user_id: uuid.UUID, epoch: int) -> User | None:
    user = await session.get(User, user_id)
    if user is None or not user.is_active or user.session_epoch != epoch:
        return None
    return user


async def load_bearer_user(session: AsyncSession, token: str) -> User | None:
    """A personal API token (``crm_…``) or a JWT access token."""
    if token.startswith(security.API_TOKEN_PREFIX):
        row = await session.scalar(
            select(ApiToken).where(ApiToken.token_hash == security.token_digest(token), ApiToken.revoked_at.is_(None))
        )
        if row is None:
            return None
        user = await session.get(User, row.user_id)
        if user is None or not user.is_active:
            return None
        await session.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=security.utcnow()))
        return user
    payload = security.decode_access_token(token)
    if payload is None:
        return None
    try:
        user_id = uuid.UUID(payload["sub"])
        family = uuid.UUID(payload["fam"]) if "fam" in payload else None
    except (KeyError, ValueError):
        return None
    user = await load_session_user(session, user_id, int(payload.get("ep", -1)))
    if user is not None and family is not None and not await family_is_live(session, family):
        return None  # signed out through the API, or the family was revoked after a refresh token was reused
    return user


# --------------------------------------------------------------------------- sign-in and throttling


class SignInError(Exception):
    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


WRONG_CREDENTIALS = N_("Wrong email or password.")
THROTTLED = N_("Too many failed attempts. Try again in %(minutes)s min.")


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def window_count(store: Store, key: str, now: int, window: int) -> int:
    """Failures counted under ``key`` within the window that began with the first of them."""
    raw = await store.get(key)
    if not raw:
        return 0
    count, first = (int(part) for part in raw.decode().split(":"))
    return count if now - first < window else 0


async def count_in_window(store: Store, key: str, now: int, window: int) -> None:
    raw = await store.get(key)
    count, first = (int(part) for part in raw.decode().split(":")) if raw else (0, now)
    if now - first >= window:
        count, first = 0, now
    await store.set(key, f"{count + 1}:{first}", expires_in=max(1, window - (now - first)))


async def _pair_state(store: Store, key: str) -> tuple[int, int]:
    """(failures, locked until) of an account and address pair."""
    raw = await store.get(key)
    if not raw:
        return 0, 0
    failures, until = raw.decode().split(":")
    return int(failures), int(until)


def _pair_key(email: str, address: str) -> str:
    return f"login:pair:{security.token_digest(f'{email}|{address}')}"


async def authenticate(session: AsyncSession, store: Store, email: str, password: str, address: str) -> User:
    """Check credentials; never tells which part was wrong. Throttled per account *and* address pair with growing
    waits (after 5 failures 1 min, then 2, 4... up to a cap), so failures from elsewhere cannot lock the owner out,
    and per address with a generous limit against spraying many accounts."""
    settings = get_settings()
    window = settings.login_window_minutes * 60
    now = int(security.utcnow().timestamp())
    email = normalize_email(email)
    pair_key, address_key = _pair_key(email, address), f"login:addr:{address}"
    failures, locked_until = await _pair_state(store, pair_key)
    if locked_until > now:
        raise SignInError(THROTTLED, retry_after=locked_until - now)
    if await window_count(store, address_key, now, window) >= settings.login_address_max_failures:
        raise SignInError(THROTTLED, retry_after=window)
    user = await session.scalar(select(User).where(User.email == email))
    ok = await security.verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        failures += 1
        extra = failures - settings.login_max_failures
        if extra >= 0:
            lock = min(60 * 2 ** min(extra, 20), settings.login_lock_max_minutes * 60)
            locked_until = now + lock
        # The count is forgotten after a quiet window past the end of the last wait.
        await store.set(pair_key, f"{failures}:{locked_until}", expires_in=max(locked_until - now, 0) + window)
        await count_in_window(store, address_key, now, window)
        raise SignInError(WRONG_CREDENTIALS)
    await store.delete(pair_key)
    if security.needs_rehash(user.password_hash):
        user.password_hash = await security.hash_password(password)
    user.last_login_at = security.utcnow()
    return user


# --------------------------------------------------------------------------- users


@dataclass
class UserFilter:
    q: str = ""
    role: str = ""
    department_id: int | None = None
    active: str = ""  # "", "yes", "no"


def users_query(filters: UserFilter) -> Select[tuple[User]]:
    stmt = select(User)
    if filters.q:
        like = f"%{filters.q.strip()}%"
        stmt = stmt.where(or_(User.email.ilike(like), User.name.ilike(like)))
    if filters.role:
        stmt = stmt.where(User.roles.any(Role.name == filters.role))
    if filters.department_id:
        stmt = stmt.where(User.department_id == filters.department_id)
    if filters.active == "yes":
        stmt = stmt.where(User.is_active.is_(True))
    elif filters.active == "no":
        stmt = stmt.where(User.is_active.is_(False))
    return stmt


USER_SORTS = {"email": User.email, "name": User.name, "created": User.created_at, "login": User.last_login_at}


def users_list(filters: UserFilter) -> ListQuery:
    """The users list of the admin page, its export and the API."""
    return ListQuery(users_query(filters), USER_SORTS, default="email", tiebreak=User.id)


async def user_names(ids: set[uuid.UUID], session: AsyncSession) -> dict[uuid.UUID, str]:
    """People by name (their email when they have none), for the ids seen on one page, in one query."""
    if not ids:
        return {}
    rows = await session.execute(select(User.id, User.name, User.email).where(User.id.in_(ids)))
    return {row.id: row.name or row.email for row in rows}


async def roles_by_name(session: AsyncSession, names: Sequence[str]) -> list[Role]:
    if not names:
        return []
    return list((await session.scalars(select(Role).where(Role.name.in_(list(names))).order_by(Role.id))).all())


async def all_roles(session: AsyncSession) -> list[Role]:
    return list((await session.scalars(select(Role).order_by(Role.id))).all())


async def email_taken(session: AsyncSession, email: str, except_id: uuid.UUID | None = None) -> bool:
    stmt = select(func.count()).select_from(User).where(User.email == normalize_email(email))
    if except_id:
        stmt = stmt.where(User.id != except_id)
    return bool(await session.scalar(stmt))


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    name: str = "",
    roles: Sequence[str] = (),
    department_id: int | None = None,
    telegraph_prefix: str | None = None,
    employee_bitrix_id: int | None = None,
    must_change_password: bool = False,
    locale: str | None = None,
    actor: User | None = None,
) -> User:
    user = User(
        email=normalize_email(email),
        name=name.strip(),
        password_hash=await security.hash_password(password),
        department_id=department_id,
        telegraph_prefix=telegraph_prefix or None,
        employee_bitrix_id=employee_bitrix_id,
        must_change_password=must_change_password,
        locale=locale,
    )
    user.roles = await roles_by_name(session, roles)
    session.add(user)
    await session.flush()
    created: dict[str, list[Any]] = {"email": [None, user.email], "roles": [None, ", ".join(roles)]}
    if employee_bitrix_id is not None:
        created["employee_bitrix_id"] = [None, await employee_label(session, employee_bitrix_id)]
    await record(session, actor, "user", str(user.id), "create", created, summary=user.email)
    return user


async def update_user(session: AsyncSession, user: User, actor: User | None, **values: Any) -> dict[str, list[Any]]:
    """Apply changed fields, audit old → new, and end the user's sessions when access shrinks."""
    changes: dict[str, list[Any]] = {}
    for field in ("name", "department_id", "telegraph_prefix", "is_active", "employee_bitrix_id"):
        if field in values and getattr(user, field) != values[field]:
            changes[field] = [getattr(user, field), values[field]]
            setattr(user, field, values[field])
    if "roles" in values:
        new_roles = await roles_by_name(session, values["roles"])
        old_names, new_names = sorted(user.role_names), sorted(r.name for r in new_roles)
        if old_names != new_names:
            changes["roles"] = [", ".join(old_names), ", ".join(new_names)]
            user.roles = new_roles
    if changes.get("is_active") == [True, False] or "roles" in changes:
        user.session_epoch += 1
    if changes:
        audited = dict(changes)
        if "employee_bitrix_id" in changes:
            old, new = changes["employee_bitrix_id"]
            audited["employee_bitrix_id"] = [await employee_label(session, old), await employee_label(session, new)]
        await record(session, actor, "user", str(user.id), "update", audited, summary=user.email)
    return changes


def password_problem(password: str, email: str = "") -> str | None:
    """Length rules of ASVS 6.2: at least 8, at most 128 characters, not the email itself."""
    if len(password) < security.MIN_PASSWORD_LENGTH:
        return N_("At least 8 characters.")
    if len(password) > security.MAX_PASSWORD_LENGTH:
        return N_("At most 128 characters.")
    if email and password.strip().lower() == email.strip().lower():
        return N_("The password must differ from the email.")
    if password.lower() in COMMON_PASSWORDS:
        return N_("This password is too common.")
    return None


COMMON_PASSWORDS = frozenset(
    {
        "password",
        "password1",
        "12345678",
        "123456789",
        "1234567890",
        "qwertyui",
        "qwerty123",
        "11111111",
        "00000000",
        "iloveyou",
        "admin123",
        "welcome1",
        "abcd1234",
        "passw0rd",
        "qwertyuiop",
        "1q2w3e4r",
        "1qaz2wsx",
        "zaq12wsx",
        "sunshine",
        "princess",
        "football",
        "baseball",
        "superman",
    }
)


# --------------------------------------------------------------------------- roles


async def ensure_builtin_roles(session: AsyncSession) -> None:
    existing = {r.name for r in await all_roles(session)}
    for role in BUILTIN_ROLES:
        if role.name not in existing:
            session.add(Role(name=role.name, title=role.title, permissions=list(role.permissions), is_builtin=True))
    await session.flush()


async def set_role_permissions(session: AsyncSession, role: Role, codes: Sequence[str], actor: User) -> None:
    # The form shows the offered permissions only; the others the role has stay as they are.
    kept = {c for c in role.permissions if c not in OFFERED_CODES}
    new = sorted({c for c in set(codes) if c in OFFERED_CODES} | kept)
    if role.name == "admin":
        # The admin role keeps the permissions that let someone repair the matrix.
        new = sorted(set(new) | {"users.manage", "roles.manage"})
    old = sorted(role.permissions)
    if new == old:
        return
    role.permissions = new
    added, removed = sorted(set(new) - set(old)), sorted(set(old) - set(new))
    await record(
        session,
        actor,
        "role",
        role.name,
        "permissions",
        {"added": [None, ", ".join(added)], "removed": [", ".join(removed), None]},
        summary=role.name,
    )


# --------------------------------------------------------------------------- housekeeping


async def purge_expired(session: AsyncSession) -> dict[str, int]:
    """Expired sessions and tokens; called by the housekeeping cron job."""

    now = security.utcnow()
    counts = {}
    for name, stmt in (
        ("sessions", delete(SessionRecord).where(SessionRecord.expires_at <= now)),
        ("refresh_tokens", delete(RefreshToken).where(RefreshToken.expires_at <= now)),
        ("reset_tokens", delete(PasswordResetToken).where(PasswordResetToken.expires_at <= now)),
    ):
        result = await session.execute(stmt)
        counts[name] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return counts


__all__ = [
    "AUDIT_SORTS",
    "RESET_TTL",
    "USER_SORTS",
    "AuditFilter",
    "SignInError",
    "UserFilter",
    "all_roles",
    "audit_query",
    "authenticate",
    "count_in_window",
    "create_api_token",
    "create_user",
    "email_taken",
    "ensure_builtin_roles",
    "family_is_live",
    "issue_token_pair",
    "list_api_tokens",
    "load_bearer_user",
    "load_session_user",
    "mint_reset_token",
    "normalize_email",
    "password_problem",
    "purge_expired",
    "record",
    "reset_password",
    "revoke_api_token",
    "revoke_refresh_token",
    "roles_by_name",
    "rotate_refresh_token",
    "set_password",
    "set_role_permissions",
    "update_user",
    "user_for_reset_token",
    "users_list",
    "users_query",
    "window_count",
]
