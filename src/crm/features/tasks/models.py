"""Tasks and strategies models: strategies (linked to goals and ERP clients), tasks (recurring series numbered by
occurrence), field visits, photos, comments (with system entries for status changes) and mentions."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from advanced_alchemy.types import JsonB
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from crm.lib.db import BigIntAuditBase, metadata

MONEY = Numeric(16, 2)
STATES = ("planned", "in_progress", "paused", "finished")
PRIORITIES = ("low", "medium", "high")
STATUSES = ("todo", "in_progress", "done", "cancelled")
OPEN_STATUSES = ("todo", "in_progress")
CLOSED_STATUSES = ("done", "cancelled")

strategy_goals = Table(
    "strategy_goals",
    metadata,
    Column("strategy_id", ForeignKey("strategies.id", ondelete="CASCADE"), primary_key=True),
    Column("goal_id", ForeignKey("goals.id", ondelete="CASCADE"), primary_key=True, index=True),
)

strategy_clients = Table(
    "strategy_clients",
    metadata,
    Column("strategy_id", ForeignKey("strategies.id", ondelete="CASCADE"), primary_key=True),
    Column("client_id", ForeignKey("erp_clients.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Strategy(BigIntAuditBase):
    """A commercial strategy: an owner, a state, a period, a cost and its expected and actual result."""

    __tablename__ = "strategies"
    __table_args__ = (
        CheckConstraint(f"state IN {STATES}", name="strategy_state"),
        CheckConstraint("ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name="strategy_period"),
        Index("ix_strategies_owner_state", "owner_id", "state"),
    )

    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    state: Mapped[str] = mapped_column(Text, default="planned", server_default="planned")
    owner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    cost: Mapped[Decimal | None] = mapped_column(MONEY)
    expected_result: Mapped[Decimal | None] = mapped_column(MONEY)
    actual_result: Mapped[Decimal | None] = mapped_column(MONEY)


class Task(BigIntAuditBase):
    """A task. A recurring one belongs to a series (``series_id`` = the id of its first occurrence) and carries
    its number in it; the pair is unique, so the next occurrence is created once however often it is asked."""

    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES}", name="task_status"),
        CheckConstraint(f"priority IN {PRIORITIES}", name="task_priority"),
        UniqueConstraint("series_id", "occurrence", name="uq_tasks_series_occurrence"),
        Index("ix_tasks_assignee_status_due", "assignee_id", "status", "due_at"),
        Index("ix_tasks_creator_due", "creator_id", "due_at"),
        # due order with the scope's columns at hand: the calendar ranks a period's tasks per day from the index
        # alone (crm.features.tasks.calendar_page); leading with due_at, it serves what the former (due_at) did
        Index("ix_tasks_due_cover", "due_at", "id", postgresql_include=["assignee_id", "creator_id"]),
        # a status in due order with the scope's columns at hand: the board walks it without reading the table
        # (crm.features.tasks.board); it serves what the former (status, due_at) index did
        # (partial, so that only a query naming the status can use it: a full index-only scan of it looked cheap to
        # the calendar's generic plan)
        Index(
            "ix_tasks_status_due_cover",
            "status",
            "due_at",
            "id",
            postgresql_include=["assignee_id", "creator_id"],
            postgresql_where=text(f"status IN {STATUSES}"),
        ),
        Index("ix_tasks_strategy", "strategy_id"),
        Index("ix_tasks_client", "client_id"),
        Index("ix_tasks_goal", "goal_id"),
    )

    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    priority: Mapped[str] = mapped_column(Text, default="medium", server_default="medium")
    status: Mapped[str] = mapped_column(Text, default="todo", server_default="todo")
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    creator_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    client_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("erp_clients.id", ondelete="SET NULL"))
    strategy_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("strategies.id", ondelete="SET NULL"))
    goal_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("goals.id", ondelete="SET NULL"))
    address: Mapped[str] = mapped_column(Text, default="", server_default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    series_id: Mapped[int | None] = mapped_column(BigInteger)
    occurrence: Mapped[int | None] = mapped_column(Integer)
    recurrence: Mapped[dict[str, Any] | None] = mapped_column(JsonB)


class Visit(BigIntAuditBase):
    """The field visit of a task: check-in and check-out with the phone's position (when it gave one)."""

    __tablename__ = "task_visits"

    task_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("tasks.id", ondelete="CASCADE"), unique=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    in_lat: Mapped[float | None] = mapped_column(Float)
    in_lon: Mapped[float | None] = mapped_column(Float)
    in_accuracy: Mapped[float | None] = mapped_column(Float)
    in_distance_m: Mapped[float | None] = mapped_column(Float)
    checked_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    out_lat: Mapped[float | None] = mapped_column(Float)
    out_lon: Mapped[float | None] = mapped_column(Float)
    out_accuracy: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")


class Photo(BigIntAuditBase):
    """A photo of a task, re-encoded and resized on the server (no EXIF kept); the file lives under the data
    directory, ``path`` relative to it."""

    __tablename__ = "task_photos"

    task_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    uploaded_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    path: Mapped[str] = mapped_column(Text)
    original_name: Mapped[str] = mapped_column(Text, default="", server_default="")
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)


class Comment(BigIntAuditBase):
    """A comment on a task or a strategy; ``kind`` 'status' marks the system entry of a status change."""

    __tablename__ = "task_comments"
    __table_args__ = (
        CheckConstraint("(task_id IS NULL) <> (strategy_id IS NULL)", name="comment_one_subject"),
        Index("ix_task_comments_task", "task_id", "id"),
        Index("ix_task_comments_strategy", "strategy_id", "id"),
    )

    task_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("tasks.id", ondelete="CASCADE"))
    strategy_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("strategies.id", ondelete="CASCADE"))
    author_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(Text, default="comment", server_default="comment")
    text: Mapped[str] = mapped_column(Text)


class Mention(BigIntAuditBase):
    """A person named by ``@email`` in a comment: an alert until read, and one mail (``notified_at``)."""

    __tablename__ = "task_mentions"
    __table_args__ = (
        UniqueConstraint("comment_id", "user_id", name="uq_task_mentions_comment_user"),
        Index("ix_task_mentions_unread", "user_id", postgresql_where=text("read_at IS NULL")),
    )

    comment_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("task_comments.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
