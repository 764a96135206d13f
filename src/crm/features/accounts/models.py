"""Users, roles, tokens and the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from advanced_alchemy.extensions.litestar.store import StoreModelMixin
from advanced_alchemy.types import GUID, JsonB
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.lib.db import BigIntAuditBase, UUIDv7AuditBase, metadata

user_roles = Table(
    "user_roles",
    metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Role(BigIntAuditBase):
    __tablename__ = "roles"

    name: Mapped[str] = mapped_column(String(50), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    permissions: Mapped[list[str]] = mapped_column(JsonB, default=list)
    is_builtin: Mapped[bool] = mapped_column(Boolean, default=False)


class User(UUIDv7AuditBase):
    __tablename__ = "users"
    __table_args__ = (
        # One user per Bitrix24 employee: the sync's link by email cannot race an admin's manual link into a pair.
        Index(
            "uq_users_employee_bitrix_id",
            "employee_bitrix_id",
            unique=True,
            postgresql_where=text("employee_bitrix_id IS NOT NULL"),
        ),
    )
    email: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str | None] = mapped_column(String(5))
    department_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("departments.id", ondelete="SET NULL"), index=True
    )
    telegraph_prefix: Mapped[str | None] = mapped_column(String(20))
    employee_bitrix_id: Mapped[int | None] = mapped_column(BigInteger)
    # Bumped on password change and deactivation: sessions and access tokens of an older epoch stop working.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    roles: Mapped[list[Role]] = relationship(secondary=user_roles, lazy="selectin", order_by=Role.id)
    department = relationship("Department", lazy="selectin")

    @property
    def role_names(self) -> list[str]:
        return [r.name for r in self.roles]

    @property
    def permissions(self) -> frozenset[str]:
        return frozenset(code for role in self.roles for code in role.permissions)

    def can(self, permission: str) -> bool:
        return permission in self.permissions


class ApiToken(UUIDv7AuditBase):
    """A personal token for scripts; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RefreshToken(UUIDv7AuditBase):
    """An API refresh token (opaque, hashed); rotated on every refresh, revoked on logout. Every token descending
    from one sign-in shares its ``family_id``: a used token presented again revokes the whole family."""

    __tablename__ = "refresh_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    family_id: Mapped[uuid.UUID] = mapped_column(GUID(length=16), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PasswordResetToken(UUIDv7AuditBase):
    __tablename__ = "password_reset_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEntry(BigIntAuditBase):
    """Who changed what: one row per change of business data, with old and new values per field."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)

    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor_email: Mapped[str] = mapped_column(String(255), default="")
    department_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    entity: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(30))
    summary: Mapped[str] = mapped_column(Text, default="")
    changes: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)


class SessionRecord(StoreModelMixin):
    """Server-side sessions when no Redis is configured."""

    __tablename__ = "session_store"
