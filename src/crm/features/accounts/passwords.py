"""Setting a password: the one rule that a sign-in's page, an admin, a reset link and the CLI all go through."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.audit import record
from crm.features.accounts.models import RefreshToken, User
from crm.lib import security


async def set_password(
    session: AsyncSession, user: User, password: str, *, temporary: bool = False, actor: User | None = None
) -> None:
    """New password: other sessions end (epoch), tokens are revoked, the change is audited."""
    user.password_hash = await security.hash_password(password)
    user.must_change_password = temporary
    user.session_epoch += 1
    now = security.utcnow()
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await record(session, actor or user, "user", str(user.id), "password", {}, summary=user.email)
