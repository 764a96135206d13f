"""The organisation: departments (a tree with heads) and employees, as Bitrix24 knows them and the sync copies them.

Every slice may use these records; they import nothing from any slice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, String, func, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, synonym

from crm.lib.db import BigIntAuditBase, DefaultBase


class Department(BigIntAuditBase):
    """A department of the organisation (a Bitrix24 department when synced)."""

    __tablename__ = "departments"

    name: Mapped[str] = mapped_column(String(255))
    parent_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("departments.id", ondelete="SET NULL"), index=True
    )
    bitrix_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    sort: Mapped[int] = mapped_column(default=500)
    # Bitrix24 UF_HEAD (absent or 0 when no head is set; the effective head is then the nearest parent's)
    head_bitrix_id: Mapped[int | None] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))


class Employee(DefaultBase):
    """A Bitrix24 user (``user.get``); ``id`` is the Bitrix24 user id (users link to it by employee_bitrix_id)."""

    __tablename__ = "employees"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    bitrix_id = synonym("id")
    name: Mapped[str] = mapped_column(String(255), default="")
    last_name: Mapped[str] = mapped_column(String(255), default="")
    second_name: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    position: Mapped[str] = mapped_column(String(255), default="")
    department_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("departments.id", ondelete="SET NULL"), index=True
    )
    department_bitrix_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    synced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.name) if p) or f"#{self.id}"
