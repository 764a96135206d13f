"""Distinct companies each employee called, per working day, month and year, kept as counts.

A distinct count does not add up (a company called in March and in May is one company of the year), so the plans
views cannot sum it from the daily figures, and counting it from the calls of a year (~400,000 rows for a large
organisation) takes most of a second. Instead two tables are kept:

- ``manager_period_companies``: per employee, month or year, and company, on how many counted days the employee
  called the company (``days``);
- ``manager_companies_called``: per employee and day, month or year, how many companies (``companies``): the rows
  of the first table with ``days > 0``, or for a day the companies of that day.

A day counts unless the organisation's calendar marks it a day off. Statement triggers keep both exact for every
writer: on ``manager_day_companies`` (the sync's companies per day, see ``clients.figures``) each inserted or
deleted row adds or takes away its day; on ``calendar_days`` a day that becomes a day off takes its rows away and a
day that becomes a working day adds them. A view reads one row per employee and period.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, Index, Integer, SmallInteger, text
from sqlalchemy.orm import Mapped, mapped_column

from crm.lib.db import DefaultBase, create_with

DAY, MONTH, YEAR = 0, 1, 2


class ManagerPeriodCompany(DefaultBase):
    """On how many counted days of a month or year an employee called a company (kept by triggers)."""

    __tablename__ = "manager_period_companies"
    __table_args__ = (Index("ix_manager_period_companies_empty", "grain", postgresql_where=text("days = 0")),)

    employee_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    grain: Mapped[int] = mapped_column(SmallInteger, primary_key=True)  # MONTH or YEAR
    period: Mapped[date] = mapped_column(Date, primary_key=True)  # the first day of the month or year
    company_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    days: Mapped[int] = mapped_column(Integer)


class ManagerCompaniesCalled(DefaultBase):
    """How many distinct companies an employee called on a day, in a month or in a year (kept by triggers)."""

    __tablename__ = "manager_companies_called"
    __table_args__ = (Index("ix_manager_companies_called_empty", "grain", postgresql_where=text("companies = 0")),)

    employee_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    grain: Mapped[int] = mapped_column(SmallInteger, primary_key=True)  # DAY, MONTH or YEAR
    period: Mapped[date] = mapped_column(Date, primary_key=True)  # the day, or the first day of the month or year
    companies: Mapped[int] = mapped_column(Integer)


# A day counts unless the calendar says it is a day off.
_COUNTED = "NOT EXISTS (SELECT 1 FROM calendar_days c WHERE c.day = r.day AND NOT c.is_working)"


def _apply(source: str) -> str:
    """Add the signed rows of ``source`` (employee_id, day, company_id, sign) to both tables, then drop the rows
    that came to zero."""
    return f"""
  WITH s AS ({source}),
  d AS (
    SELECT s.employee_id, g.grain, g.period, s.company_id, sum(s.sign)::int AS delta
    FROM s CROSS JOIN LATERAL (VALUES ({MONTH}::smallint, date_trunc('month', s.day)::date),
                                      ({YEAR}::smallint, date_trunc('year', s.day)::date)) g(grain, period)
    GROUP BY 1, 2, 3, 4 HAVING sum(s.sign) <> 0
  ),
  up AS (
    INSERT INTO manager_period_companies AS t (employee_id, grain, period, company_id, days)
    SELECT employee_id, grain, period, company_id, delta FROM d ORDER BY 1, 2, 3, 4
    ON CONFLICT (employee_id, grain, period, company_id) DO UPDATE SET days = t.days + EXCLUDED.days
    RETURNING t.employee_id, t.grain, t.period, t.company_id, t.days
  ),
  n AS (
    SELECT up.employee_id, up.grain, up.period,
           (CASE WHEN up.days > 0 AND up.days - d.delta <= 0 THEN 1
                 WHEN up.days <= 0 AND up.days - d.delta > 0 THEN -1 ELSE 0 END) AS n
    FROM up JOIN d USING (employee_id, grain, period, company_id)
    UNION ALL
    SELECT employee_id, {DAY}::smallint, day, sign FROM s
  )
  INSERT INTO manager_companies_called AS c (employee_id, grain, period, companies)
  SELECT employee_id, grain, period, sum(n) FROM n GROUP BY 1, 2, 3 HAVING sum(n) <> 0 ORDER BY 1, 2, 3
  ON CONFLICT (employee_id, grain, period) DO UPDATE SET companies = c.companies + EXCLUDED.companies;
  DELETE FROM manager_period_companies WHERE days = 0;
  DELETE FROM manager_companies_called WHERE companies = 0;"""  # noqa: S608 (constants only)


_ROWS = "SELECT r.employee_id, r.day, r.company_id, {sign} AS sign FROM {rows} r WHERE " + _COUNTED  # noqa: S608
# The calendar: the rows of days whose "counted" flipped; a day off inserted or a working day made a day off
# takes them away, the reverse adds them.
_FLIPPED = """
    SELECT r.employee_id, r.day, r.company_id, f.sign FROM (
      SELECT n.day, CASE WHEN n.is_working THEN 1 ELSE -1 END AS sign FROM new_rows n
      LEFT JOIN old_rows o ON o.day = n.day
      WHERE n.is_working IS DISTINCT FROM coalesce(o.is_working, true)
      UNION ALL
      SELECT o.day, 1 FROM old_rows o
      WHERE NOT o.is_working AND NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.day = o.day)
    ) f JOIN manager_day_companies r ON r.day = f.day"""

# An INSERT has no old rows and a DELETE no new ones: each trigger's function declares the ones it has.
_NO_OLD = "(SELECT NULL::date AS day, NULL::boolean AS is_working WHERE false)"
_NO_NEW = _NO_OLD


def _calendar_source(has_old: bool, has_new: bool) -> str:
    sql = _FLIPPED
    if not has_old:
        sql = sql.replace("old_rows o", f"{_NO_OLD} o")
    if not has_new:
        sql = sql.replace("new_rows n", f"{_NO_NEW} n")
    return sql


TRIGGER_FUNCTIONS = [
    f"""
CREATE OR REPLACE FUNCTION companies_called_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM manager_period_companies;
    DELETE FROM manager_companies_called;
  ELSIF TG_OP = 'INSERT' THEN{_apply(_ROWS.format(sign=1, rows="new_rows"))}
  ELSE{_apply(_ROWS.format(sign=-1, rows="old_rows"))}
  END IF;
  RETURN NULL;
END $$""",  # noqa: S608
    f"""
CREATE OR REPLACE FUNCTION companies_called_calendar() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN{_apply(_calendar_source(False, True))}
  ELSIF TG_OP = 'UPDATE' THEN{_apply(_calendar_source(True, True))}
  ELSE{_apply(_calendar_source(True, False))}
  END IF;
  RETURN NULL;
END $$""",
]


def _trigger(name: str, event: str, table: str, function: str, tables: str = "") -> str:
    referencing = f" REFERENCING {tables}" if tables else ""
    return (
        f"CREATE OR REPLACE TRIGGER {name} AFTER {event} ON {table}{referencing} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
    )


_NEW, _OLD, _BOTH = "NEW TABLE AS new_rows", "OLD TABLE AS old_rows", "OLD TABLE AS old_rows NEW TABLE AS new_rows"
TRIGGERS = [
    _trigger("companies_called_insert", "INSERT", "manager_day_companies", "companies_called_apply", _NEW),
    _trigger("companies_called_delete", "DELETE", "manager_day_companies", "companies_called_apply", _OLD),
    _trigger("companies_called_truncate", "TRUNCATE", "manager_day_companies", "companies_called_apply"),
    _trigger("companies_called_calendar_insert", "INSERT", "calendar_days", "companies_called_calendar", _NEW),
    _trigger("companies_called_calendar_update", "UPDATE", "calendar_days", "companies_called_calendar", _BOTH),
    _trigger("companies_called_calendar_delete", "DELETE", "calendar_days", "companies_called_calendar", _OLD),
]
DROP = [
    *(
        f"DROP TRIGGER IF EXISTS companies_called_{op} ON manager_day_companies"
        for op in ("insert", "delete", "truncate")
    ),
    *(
        f"DROP TRIGGER IF EXISTS companies_called_calendar_{op} ON calendar_days"
        for op in ("insert", "update", "delete")
    ),
    "DROP FUNCTION IF EXISTS companies_called_apply()",
    "DROP FUNCTION IF EXISTS companies_called_calendar()",
]
# Everything from the companies per day (the migration; a test compares it with what the triggers kept).
REBUILD = [
    "DELETE FROM manager_period_companies",
    "DELETE FROM manager_companies_called",
    f"""INSERT INTO manager_period_companies (employee_id, grain, period, company_id, days)
    SELECT r.employee_id, g.grain, g.period, r.company_id, count(*) FROM manager_day_companies r
    CROSS JOIN LATERAL (VALUES ({MONTH}::smallint, date_trunc('month', r.day)::date),
                               ({YEAR}::smallint, date_trunc('year', r.day)::date)) g(grain, period)
    WHERE {_COUNTED} GROUP BY 1, 2, 3, 4""",  # noqa: S608
    f"""INSERT INTO manager_companies_called (employee_id, grain, period, companies)
    SELECT employee_id, grain, period, count(*) FROM manager_period_companies GROUP BY 1, 2, 3
    UNION ALL
    SELECT r.employee_id, {DAY}, r.day, count(*) FROM manager_day_companies r WHERE {_COUNTED} GROUP BY 1, 2, 3""",  # noqa: S608
]


# with the tables (tests, benchmarks); migration 0024 makes them on a real database
create_with("manager_companies_called", [*TRIGGER_FUNCTIONS, *TRIGGERS])
