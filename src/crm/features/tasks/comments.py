"""Comments on tasks and strategies, with ``@email`` mentions: the mentioned person gets an alert until they
open the thread, and one mail from the worker."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.tasks.models import Comment, Mention, Strategy, Task
from crm.features.tasks.scope import strategy_clause, task_clause
from crm.lib.i18n import N_
from crm.lib.web import FormErrors

MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})")
MAX_COMMENT = 5000


@dataclass
class Entry:
    comment: Comment
    author: str


def mentioned_emails(text: str) -> list[str]:
    seen: list[str] = []
    for match in MENTION.finditer(text):
        email = match.group(1).rstrip(".").lower()
        if email not in seen:
            seen.append(email)
    return seen


async def _sees(session: AsyncSession, person: User, task_id: int | None, strategy_id: int | None) -> bool:
    if task_id is not None:
        clause = await task_clause(session, person)
        stmt = select(Task.id).where(Task.id == task_id)
    else:
        clause = await strategy_clause(session, person)
        stmt = select(Strategy.id).where(Strategy.id == strategy_id)
    if clause is not None:
        stmt = stmt.where(clause)
    return (await session.scalar(stmt)) is not None


async def add_comment(
    session: AsyncSession, actor: Any, text: str, *, task_id: int | None = None, strategy_id: int | None = None
) -> tuple[Comment | None, FormErrors]:
    """Save a comment; every ``@email`` must name an active person who can see the thread (else a field error,
    nothing saved). Returns the comment and the errors."""
    errors = FormErrors()
    body = (text or "").strip() if isinstance(text, str) else ""
    if not body:
        errors.add("text", N_("Write a comment."))
    elif len(body) > MAX_COMMENT:
        errors.add("text", N_("At most 5,000 characters."))
    people: list[User] = []
    for email in mentioned_emails(body):
        person = (await session.scalars(select(User).where(User.email == email, User.is_active.is_(True)))).first()
        if person is None or not await _sees(session, person, task_id, strategy_id):
            errors.add("text", N_("Nobody by the address %(email)s can see this thread.") + f"\x00{email}")
            continue
        people.append(person)
    if errors:
        return None, errors
    comment = Comment(task_id=task_id, strategy_id=strategy_id, author_id=actor.id, kind="comment", text=body)
    session.add(comment)
    await session.flush()
    for person in people:
        if person.id != actor.id:
            session.add(Mention(comment_id=comment.id, user_id=person.id))
    await session.flush()
    return comment, errors


def error_text(message: str) -> tuple[str, dict[str, str]]:
    """A stored field message and its parameters (a mention error carries the address after a NUL)."""
    base, _sep, email = message.partition("\x00")
    return base, ({"email": email} if email else {})


async def thread(session: AsyncSession, *, task_id: int | None = None, strategy_id: int | None = None) -> list[Entry]:
    stmt = (
        select(Comment, User.name, User.email)
        .outerjoin(User, User.id == Comment.author_id)
        .order_by(Comment.id)
        .limit(500)
    )
    stmt = (
        stmt.where(Comment.task_id == task_id)
        if task_id is not None
        else stmt.where(Comment.strategy_id == strategy_id)
    )
    return [Entry(c, name or email or "") for c, name, email in (await session.execute(stmt)).all()]


async def mark_read(
    session: AsyncSession, user: Any, *, task_id: int | None = None, strategy_id: int | None = None
) -> None:
    comments = select(Comment.id).where(
        Comment.task_id == task_id if task_id is not None else Comment.strategy_id == strategy_id
    )
    await session.execute(
        update(Mention)
        .where(Mention.user_id == user.id, Mention.read_at.is_(None), Mention.comment_id.in_(comments))
        .values(read_at=datetime.now(UTC))
    )


async def unsent_mentions(session: AsyncSession, comment_id: int) -> list[tuple[Mention, User, Comment]]:
    stmt = (
        select(Mention, User, Comment)
        .join(User, User.id == Mention.user_id)
        .join(Comment, Comment.id == Mention.comment_id)
        .where(Mention.comment_id == comment_id, Mention.notified_at.is_(None))
        .with_for_update(of=Mention, skip_locked=True)
    )
    return [(m, u, c) for m, u, c in (await session.execute(stmt)).all()]
