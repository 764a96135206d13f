"""The organisation's working-day (production) calendar."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from crm.lib.db import DefaultBase


class CalendarDay(DefaultBase):
    """One date: a working day or a day off. ``edited`` marks a change by hand (a transfer)."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_working: Mapped[bool] = mapped_column(Boolean)
    holiday_name: Mapped[str | None] = mapped_column(String(120))
    edited: Mapped[bool] = mapped_column(Boolean, default=False)
