"""The one-request moves of the kanban and the calendar: a task to another day, its local time of day kept."""

from __future__ import annotations

from datetime import date, datetime

from crm.features.tasks.models import Task
from crm.lib.i18n import local_tz

DEFAULT_HOUR = 9  # the time a task without a due moment gets when it is dropped on a day


def reschedule(task: Task, day: date) -> datetime | None:
    """Move the task's due moment to ``day`` at its local time of day (09:00 for a task without one); its start
    moves by as much, so its length stays. The previous due moment is returned (the undo puts it back)."""
    tz = local_tz()
    previous = task.due_at
    old_local = previous.astimezone(tz) if previous else datetime.combine(day, datetime.min.time(), tz)
    if previous is None:
        old_local = old_local.replace(hour=DEFAULT_HOUR)
    new_due = datetime.combine(day, old_local.time().replace(tzinfo=None), tzinfo=tz)
    if task.starts_at and previous:
        task.starts_at = task.starts_at + (new_due - previous)
    task.due_at = new_due
    return previous
