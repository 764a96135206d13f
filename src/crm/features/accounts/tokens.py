"""Tokens of accounts: personal API tokens, API refresh tokens (rotated), one-time password reset links."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.audit import record
from crm.features.accounts.models import ApiToken, PasswordResetToken, RefreshToken, User
from crm.lib import security


async def create_api_token(session: AsyncSession, user: User, name: str) -> tuple[ApiToken, str]:
    raw = security.new_opaque_token(security.API_TOKEN_PREFIX)
    token = ApiToken(user_id=user.id, name=name.strip(), token_hash=security.token_digest(raw), prefix=raw[:10])
    session.add(token)
    await session.flush()
    await record(session, user, "api_token", str(token.id), "create", {"name": [None, token.name]})
    return token, raw


async def revoke_api_token(session: AsyncSession, user: User, token_id: uuid.UUID) -> bool:
    token = await session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if token is None or token.revoked_at is not None:
        return False
    token.revoked_at = security.utcnow()
    await record(session, user, "api_token", str(token.id), "revoke", {"name": [token.name, None]})
    return True


async def list_api_tokens(session: AsyncSession, user: User) -> list[ApiToken]:
    stmt = select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
    return list((await session.scalars(stmt)).all())


async def issue_token_pair(session: AsyncSession, user: User) -> dict[str, str]:
    refresh = security.new_opaque_token()
    session.add(
        RefreshToken(
            user_id=user.id,
            token_hash=security.token_digest(refresh),
            expires_at=security.utcnow() + security.REFRESH_TOKEN_TTL,
        )
    )
    await session.flush()
    return {
        "access_token": security.issue_access_token(user.id, user.session_epoch),
        "refresh_token": refresh,
        "token_type": "bearer",
    }


async def _live_refresh_token(session: AsyncSession, raw: str) -> RefreshToken | None:
    return await session.scalar(
        select(RefreshToken)
        .where(
            RefreshToken.token_hash == security.token_digest(raw),
            RefreshToken.revoked_at.is_(None),
            RefreshToken.expires_at > security.utcnow(),
        )
        .with_for_update()
    )


async def rotate_refresh_token(session: AsyncSession, raw: str) -> dict[str, str] | None:
    token = await _live_refresh_token(session, raw)
    if token is None:
        return None
    user = await session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    token.revoked_at = security.utcnow()
    return await issue_token_pair(session, user)


async def revoke_refresh_token(session: AsyncSession, raw: str) -> bool:
    token = await _live_refresh_token(session, raw)
    if token is None:
        return False
    token.revoked_at = security.utcnow()
    return True


# --------------------------------------------------------------------------- password reset

RESET_TTL = timedelta(hours=1)


async def create_reset_token(session: AsyncSession, email: str) -> tuple[User, str] | None:
    email = email.strip().lower()
    user = await session.scalar(select(User).where(User.email == email, User.is_active.is_(True)))
    if user is None:
        return None
    raw = security.new_opaque_token()
    session.add(
        PasswordResetToken(
            user_id=user.id, token_hash=security.token_digest(raw), expires_at=security.utcnow() + RESET_TTL
        )
    )
    await session.flush()
    return user, raw


async def user_for_reset_token(session: AsyncSession, raw: str) -> tuple[PasswordResetToken, User] | None:
    token = await session.scalar(
        select(PasswordResetToken).where(
            PasswordResetToken.token_hash == security.token_digest(raw),
            PasswordResetToken.used_at.is_(None),
            PasswordResetToken.expires_at > security.utcnow(),
        )
    )
    if token is None:
        return None
    user = await session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    return token, user


async def reset_password(session: AsyncSession, raw: str, password: str) -> User | None:
    found = await user_for_reset_token(session, raw)
    if found is None:
        return None
    from crm.features.accounts.services import set_password

    token, user = found
    token.used_at = security.utcnow()
    await set_password(session, user, password)
    return user
