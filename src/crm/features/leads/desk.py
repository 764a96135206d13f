"""The lead desk's set-up: operators (profiles of users) and giving the queue out; sources with their intake keys
and weights: ``desk_sources``."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts import services as accounts
from crm.features.accounts.models import Role, User
from crm.features.leads.models import LeadCompetence, LeadOperator
from crm.lib.i18n import N_, gettext

log = logging.getLogger("crm.leads")

OPERATOR_ROLE = "operator"
INTAKE_KEY_PREFIX = "lik_"
MAX_LOAD_LIMIT = 100_000
MAX_WEIGHT = 1_000_000
GIVE_OUT_JOB = "give_out_lead_queue"


class DeskError(ValueError):
    """A refused change; ``field`` names what to fix, ``message`` is an English msgid with ``params``."""

    def __init__(self, field: str, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.field = field
        self.message = message
        self.params = params

    def text(self, localized: bool = False) -> str:
        template = gettext(self.message) if localized else self.message
        return template % self.params if self.params else template


# --------------------------------------------------------------------------- operators


@dataclass
class OperatorView:
    id: int
    user_id: uuid.UUID
    name: str
    email: str
    is_active: bool
    user_active: bool
    max_load: int
    current_load: int
    weights: dict[int, int] = field(default_factory=dict)

    @property
    def takes_contacts(self) -> bool:
        return self.is_active and self.user_active

    @property
    def load_percent(self) -> int:
        if self.max_load <= 0:
            return 100 if self.current_load else 0
        return min(100, round(100 * self.current_load / self.max_load))

    @property
    def label(self) -> str:
        return self.name or self.email


async def list_operators(session: AsyncSession, operator_ids: Sequence[int] | None = None) -> list[OperatorView]:
    stmt = select(LeadOperator, User.name, User.email, User.is_active).join(User, User.id == LeadOperator.user_id)
    if operator_ids is not None:
        stmt = stmt.where(LeadOperator.id.in_(list(operator_ids)))
    rows = (await session.execute(stmt.order_by(func.lower(User.name), LeadOperator.id))).all()
    ids = [op.id for op, *_rest in rows]
    weights: dict[int, dict[int, int]] = {}
    if ids:
        for c in (await session.scalars(select(LeadCompetence).where(LeadCompetence.operator_id.in_(ids)))).all():
            weights.setdefault(c.operator_id, {})[c.source_id] = c.weight
    return [
        OperatorView(
            id=op.id,
            user_id=op.user_id,
            name=name,
            email=email,
            is_active=op.is_active,
            user_active=user_active,
            max_load=op.max_load,
            current_load=op.open_count,
            weights=weights.get(op.id, {}),
        )
        for op, name, email, user_active in rows
    ]


async def get_operator(session: AsyncSession, operator_id: int) -> OperatorView | None:
    found = await list_operators(session, [operator_id])
    return found[0] if found else None


async def operator_id_of(session: AsyncSession, user_id: uuid.UUID) -> int | None:
    return await session.scalar(select(LeadOperator.id).where(LeadOperator.user_id == user_id))


async def users_without_profile(session: AsyncSession, limit: int = 200) -> list[User]:
    """Active users with the operator role who are not on the desk yet (others are added by email)."""
    taken = select(LeadOperator.user_id)
    stmt = (
        select(User)
        .where(User.is_active.is_(True), User.id.not_in(taken), User.roles.any(Role.name == OPERATOR_ROLE))
        .order_by(func.lower(User.name), User.email)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def operator_user(session: AsyncSession, user_id: str, email: str) -> tuple[User | None, dict[str, str]]:
    """The user to put on the desk: picked by id from the list, or another user by e-mail; the messages (msgids)
    by field when there is no such active user."""
    errors: dict[str, str] = {}
    user = None
    if user_id:
        with contextlib.suppress(ValueError):
            user = await session.get(User, uuid.UUID(user_id))
    elif email:
        user = await session.scalar(select(User).where(User.email == email.lower()))
        if user is None or not user.is_active:
            errors["email"] = N_("No active user has this email.")
    if user is None or not user.is_active:
        errors["user_id"] = N_("Choose a user with the operator role or give the email of another user.")
        return None, errors
    return user, errors


async def create_operator(
    session: AsyncSession, user: User, actor: User | None, *, max_load: int = 10, is_active: bool = True
) -> LeadOperator:
    """Put a user on the desk: an operator profile, and the operator role if they lack it."""
    if await operator_id_of(session, user.id) is not None:
        raise DeskError("user_id", N_("This user is already an operator."))
    _check_max_load(max_load)
    if OPERATOR_ROLE not in user.role_names:
        await accounts.update_user(session, user, actor, roles=[*user.role_names, OPERATOR_ROLE])
    operator = LeadOperator(user_id=user.id, max_load=max_load, is_active=is_active)
    session.add(operator)
    await session.flush()
    await accounts.record(
        session,
        actor,
        "lead_operator",
        str(operator.id),
        "create",
        {"user": [None, user.email], "max_load": [None, max_load], "is_active": [None, is_active]},
        summary=user.email,
    )
    return operator


def _check_max_load(value: int) -> None:
    if not 0 <= value <= MAX_LOAD_LIMIT:
        raise DeskError("max_load", N_("The maximum load is a whole number from 0 to 100000."))


async def update_operator(
    session: AsyncSession, operator_id: int, actor: User | None, **values: Any
) -> tuple[LeadOperator, dict[str, list[Any]], bool]:
    """Change name (of the user), is_active, max_load. Returns (operator, changes, has more room now)."""
    operator = await session.get(LeadOperator, operator_id, with_for_update={"key_share": True})
    if operator is None:
        raise LookupError(operator_id)
    changes: dict[str, list[Any]] = {}
    if "max_load" in values and values["max_load"] is not None:
        _check_max_load(int(values["max_load"]))
        if operator.max_load != values["max_load"]:
            changes["max_load"] = [operator.max_load, int(values["max_load"])]
            operator.max_load = int(values["max_load"])
    if "is_active" in values and values["is_active"] is not None and operator.is_active != values["is_active"]:
        changes["is_active"] = [operator.is_active, bool(values["is_active"])]
        operator.is_active = bool(values["is_active"])
    user = await session.get(User, operator.user_id)
    if "name" in values and values["name"] is not None and user is not None:
        name = str(values["name"]).strip()
        if not name or len(name) > 255:
            raise DeskError("name", N_("The name is 1 to 255 characters."))
        changes.update(await accounts.update_user(session, user, actor, name=name))
    if changes:
        await accounts.record(
            session,
            actor,
            "lead_operator",
            str(operator.id),
            "update",
            {k: v for k, v in changes.items() if k != "name"},
            summary=user.email if user else "",
        )
    more_room = changes.get("is_active") == [False, True] or (
        "max_load" in changes and changes["max_load"][1] > changes["max_load"][0]
    )
    return operator, changes, more_room


# --------------------------------------------------------------------------- giving out the queue


async def enqueue_give_out(queue: Any, operator_id: int | None = None) -> None:
    """Ask the worker to give waiting contacts to operators with room; a queue outage only delays it (cron)."""
    if queue is None:
        return
    try:
        # No job key: SAQ drops an enqueue whose key is queued *or running*, and a run already past this
        # operator's sources would then miss the place just freed. A run with nothing to do is one query.
        await queue.enqueue(GIVE_OUT_JOB, operator_id=operator_id, timeout=120, retries=3, retry_delay=1.0)
    except Exception as exc:
        log.warning("could not enqueue %s: %s", GIVE_OUT_JOB, type(exc).__name__)
