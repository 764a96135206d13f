"""Tokens of accounts: personal API tokens, API refresh tokens (rotated), one-time password reset links."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.audit import record
from crm.features.accounts.models import ApiToken, PasswordResetToken, RefreshToken, User
from crm.features.accounts.passwords import set_password
from crm.lib import security
from crm.lib.auth import PasswordChangeRequired


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


async def issue_token_pair(session: AsyncSession, user: User, family_id: uuid.UUID | None = None) -> dict[str, str]:
    """A new access + refresh pair; a sign-in starts a family, a refresh continues the one it came from."""
    family_id = family_id or uuid.uuid4()
    refresh = security.new_opaque_token()
    session.add(
        RefreshToken(
            user_id=user.id,
            family_id=family_id,
            token_hash=security.token_digest(refresh),
            expires_at=security.utcnow() + security.REFRESH_TOKEN_TTL,
        )
    )
    await session.flush()
    return {
        "access_token": security.issue_access_token(user.id, user.session_epoch, family_id),
        "refresh_token": refresh,
        "token_type": "bearer",
    }


async def _refresh_token(session: AsyncSession, raw: str) -> RefreshToken | None:
    return await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == security.token_digest(raw)).with_for_update()
    )


async def revoke_family(session: AsyncSession, family_id: uuid.UUID) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=security.utcnow())
    )


async def family_is_live(session: AsyncSession, family_id: uuid.UUID) -> bool:
    """Whether a sign-in's family still has a usable refresh token (access tokens of a revoked family stop)."""
    return bool(
        await session.scalar(
            select(
                exists().where(
                    RefreshToken.family_id == family_id,
                    RefreshToken.revoked_at.is_(None),
                    RefreshToken.expires_at > security.utcnow(),
                )
            )
        )
    )


async def rotate_refresh_token(session: AsyncSession, raw: str) -> dict[str, str] | None:
    """The next pair of the family, or None. A token that was already used (or revoked) is a stolen copy or a
    stolen original: its whole family is revoked, so thief and owner both sign in again. The caller commits
    that revocation even though it answers 401."""
    token = await _refresh_token(session, raw)
    if token is None:
        return None
    if token.revoked_at is not None:
        await revoke_family(session, token.family_id)
        return None
    if token.expires_at <= security.utcnow():
        return None
    user = await session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    if user.must_change_password:
        raise PasswordChangeRequired
    token.revoked_at = security.utcnow()
    return await issue_token_pair(session, user, token.family_id)


async def revoke_refresh_token(session: AsyncSession, raw: str) -> bool:
    """API sign-out: the token's family ends, and with it the access tokens issued along it."""
    token = await _refresh_token(session, raw)
    if token is None or token.revoked_at is not None:
        return False
    await revoke_family(session, token.family_id)
    return True


# --------------------------------------------------------------------------- password reset

RESET_TTL = timedelta(hours=1)


async def mint_reset_token(session: AsyncSession, email: str) -> tuple[User, str] | None:
    """A new one-time reset token for an active account (only its SHA-256 is stored), or None for an unknown or
    inactive address. Earlier unused tokens of the account stop working: whatever runs twice, one link is valid."""
    email = email.strip().lower()
    user = await session.scalar(select(User).where(User.email == email, User.is_active.is_(True)))
    if user is None:
        return None
    now = security.utcnow()
    await session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
    raw = security.new_opaque_token()
    session.add(PasswordResetToken(user_id=user.id, token_hash=security.token_digest(raw), expires_at=now + RESET_TTL))
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

    token, user = found
    token.used_at = security.utcnow()
    await set_password(session, user, password)
    return user
