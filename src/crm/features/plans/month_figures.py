"""A manager's month in one row: calls, meetings, plan and the days fulfilled, not fulfilled and forced.

The year view of a large organisation reads twelve months of daily figures and plans (about 60,000 rows of each
for 250 people) and joins them day by day to judge each planned day; that took 150–450 ms in the database. A month
that is over never changes its verdicts again (every planned day of it is in the past), so the months are kept
summed in ``manager_month_figures`` and the view reads the past months from there (one row per person and month)
and only the current month from the days.

The sums count the organisation's working days only (a day the calendar marks off is not counted, as in the
views) and judge every planned day as past: they are what the view shows for a month that is over. Statement
triggers recompute the (employee, month) rows a statement touched, on ``manager_day_figures`` (the sync), on
``call_plans`` (plans set, copied, forced) and on ``calendar_days`` (a day toggled: every person's month).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, Integer
from sqlalchemy.orm import Mapped, mapped_column

from crm.lib.db import DefaultBase, create_with


class ManagerMonthFigure(DefaultBase):
    """One employee's month: facts and plan of its working days, and its planned days judged as past."""

    __tablename__ = "manager_month_figures"

    employee_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # its first day
    calls: Mapped[int] = mapped_column(Integer)
    meetings: Mapped[int] = mapped_column(Integer)
    plan: Mapped[int | None] = mapped_column(Integer)  # none: no planned day
    fulfilled: Mapped[int] = mapped_column(Integer)
    not_fulfilled: Mapped[int] = mapped_column(Integer)
    forced: Mapped[int] = mapped_column(Integer)


_COLUMNS = "employee_id, month, calls, meetings, plan, fulfilled, not_fulfilled, forced"
# The months of the keys ``k`` (employee_id, month) from the days; without keys (``{f}``/``{p}`` plain tables),
# every month.
_SUMS = f"""
INSERT INTO manager_month_figures ({_COLUMNS})
SELECT coalesce(f.employee_id, p.employee_id), date_trunc('month', coalesce(f.day, p.day))::date,
       coalesce(sum(f.calls), 0), coalesce(sum(f.meetings), 0), sum(p.calls),
       count(p.day) FILTER (WHERE coalesce(f.calls, 0) >= p.calls),
       count(p.day) FILTER (WHERE coalesce(f.calls, 0) < p.calls AND p.forced_at IS NULL),
       count(p.day) FILTER (WHERE coalesce(f.calls, 0) < p.calls AND p.forced_at IS NOT NULL)
FROM ({{f}}) f
FULL JOIN ({{p}}) p ON p.employee_id = f.employee_id AND p.day = f.day
WHERE NOT EXISTS (SELECT 1 FROM calendar_days c WHERE c.day = coalesce(f.day, p.day) AND NOT c.is_working)
GROUP BY 1, 2"""  # noqa: S608 (constants only, as in every statement below)
_IN_KEYS = (
    "SELECT t.employee_id, t.day, {columns} FROM ({keys}) k JOIN {table} t ON t.employee_id = k.employee_id "
    "AND t.day >= k.month AND t.day < (k.month + interval '1 month')::date"
)
_FIGURES = "t.calls, t.meetings"
_PLANS = "t.calls, t.forced_at"


def _refresh(keys: str) -> str:
    """Recompute the rows of ``keys`` (a SELECT of distinct employee_id, month)."""
    f = _IN_KEYS.format(columns=_FIGURES, keys=keys, table="manager_day_figures")
    p = _IN_KEYS.format(columns=_PLANS, keys=keys, table="call_plans")
    return f"""
  DELETE FROM manager_month_figures m USING ({keys}) k WHERE m.employee_id = k.employee_id AND m.month = k.month;
  {_SUMS.format(f=f, p=p)};"""  # noqa: S608


_OF_ROWS = "SELECT DISTINCT employee_id, date_trunc('month', day)::date AS month FROM {rows}"
# A calendar day changed: the month of every person with a figure or a plan in it.
_OF_DAYS = """
  SELECT DISTINCT t.employee_id, m.month FROM (SELECT DISTINCT date_trunc('month', day)::date AS month FROM {rows}) m
  JOIN LATERAL (SELECT employee_id FROM manager_day_figures
                WHERE day >= m.month AND day < (m.month + interval '1 month')::date
                UNION SELECT employee_id FROM call_plans
                WHERE day >= m.month AND day < (m.month + interval '1 month')::date) t ON true"""

REBUILD = [
    "DELETE FROM manager_month_figures",
    _SUMS.format(
        f="SELECT employee_id, day, calls, meetings FROM manager_day_figures",
        p="SELECT employee_id, day, calls, forced_at FROM call_plans",
    ),
]


def _function(name: str, keys: str) -> str:
    both = f"({keys.format(rows='new_rows')} UNION {keys.format(rows='old_rows')})"
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    {";".join(REBUILD)};
  ELSIF TG_OP = 'INSERT' THEN{_refresh(keys.format(rows="new_rows"))}
  ELSIF TG_OP = 'UPDATE' THEN{_refresh(both)}
  ELSE{_refresh(keys.format(rows="old_rows"))}
  END IF;
  RETURN NULL;
END $$"""


TRIGGER_FUNCTIONS = [_function("month_figures_days", _OF_ROWS), _function("month_figures_calendar", _OF_DAYS)]


def _triggers(name: str, table: str, function: str, truncate: bool) -> list[str]:
    events = [
        ("insert", " REFERENCING NEW TABLE AS new_rows"),
        ("update", " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("delete", " REFERENCING OLD TABLE AS old_rows"),
    ]
    if truncate:
        events.append(("truncate", ""))
    return [
        f"CREATE OR REPLACE TRIGGER {name}_{op} AFTER {op.upper()} ON {table}{tables} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        for op, tables in events
    ]


# call_plans shares the daily figures' function: its rows have the same employee_id and day.
TRIGGERS = [
    *_triggers("month_figures_days", "manager_day_figures", "month_figures_days", truncate=True),
    *_triggers("month_figures_plans", "call_plans", "month_figures_days", truncate=True),
    *_triggers("month_figures_calendar", "calendar_days", "month_figures_calendar", truncate=False),
]
DROP = [
    *(
        f"DROP TRIGGER IF EXISTS month_figures_{name}_{op} ON {table}"
        for name, table in (("days", "manager_day_figures"), ("plans", "call_plans"))
        for op in ("insert", "update", "delete", "truncate")
    ),
    *(f"DROP TRIGGER IF EXISTS month_figures_calendar_{op} ON calendar_days" for op in ("insert", "update", "delete")),
    "DROP FUNCTION IF EXISTS month_figures_days()",
    "DROP FUNCTION IF EXISTS month_figures_calendar()",
]


# with the tables (tests, benchmarks); migration 0026 makes them on a real database
create_with("manager_month_figures", [*TRIGGER_FUNCTIONS, *TRIGGERS])
