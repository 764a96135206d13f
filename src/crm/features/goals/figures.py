"""Cached figures of the sales analysis, derived from the monthly aggregate ``client_month_sales``.

Per (month, family filter) every client of the analysis window (Jan of the year before .. the month) gets the
revenue the indices compare (the month, the 3 and 12 months before, YTD and last YTD...), its ABC position, first
and last purchase; per (year, family filter) the monthly totals per responsible person. A cache entry carries the
data version (``analysis_state``, bumped by a trigger on every change of the monthly sales or the clients) and is
rebuilt by the first read after a change: a page reads an indexed table, never the sales lines.
"""

from __future__ import annotations

import zlib
from datetime import date

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.goals.models import AnalysisCacheKey, AnalysisState


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


async def data_version(session: AsyncSession) -> int:
    return (await session.scalar(select(AnalysisState.version).where(AnalysisState.id == 1))) or 0


async def _fresh(session: AsyncSession, kind: str, period: str, family: str, version: int) -> bool:
    stmt = select(AnalysisCacheKey.version).where(
        AnalysisCacheKey.kind == kind, AnalysisCacheKey.period == period, AnalysisCacheKey.family == family
    )
    return (await session.scalar(stmt)) == version


async def _ensure(
    session: AsyncSession, kind: str, period: str, family: str, build: list[str], params: dict[str, object]
) -> None:
    version = await data_version(session)
    if await _fresh(session, kind, period, family, version):
        return
    key = zlib.crc32(f"{kind}|{period}|{family}".encode())
    await session.execute(select(text("pg_advisory_xact_lock(:k)")).params(k=key))
    version = await data_version(session)
    if await _fresh(session, kind, period, family, version):
        return
    await session.execute(text("SET LOCAL work_mem = '128MB'"))
    for statement in build:
        await session.execute(text(statement), {k: v for k, v in params.items() if f":{k}" in statement})
    await session.execute(
        text(
            "INSERT INTO analysis_cache_keys (kind, period, family, version) VALUES (:kind, :period, :family, :v) "
            "ON CONFLICT (kind, period, family) DO UPDATE SET version = EXCLUDED.version"
        ),
        {"kind": kind, "period": period, "family": family, "v": version},
    )


CLIENTS_DELETE = "DELETE FROM analysis_client_months WHERE month = :m AND family = :family"
CLIENTS_SQL = """
WITH cm AS (
  SELECT client_id, month, sum(revenue) AS rev FROM client_month_sales
  WHERE month <= :m AND (:family = '' OR family = :family)
  GROUP BY client_id, month
),
per AS (
  SELECT client_id,
    coalesce(sum(rev) FILTER (WHERE month = :m), 0) AS r0,
    coalesce(sum(rev) FILTER (WHERE month = :m1), 0) AS r1,
    coalesce(sum(rev) FILTER (WHERE month = :m2), 0) AS r2,
    coalesce(sum(rev) FILTER (WHERE month = :m3), 0) AS r3,
    coalesce(sum(rev) FILTER (WHERE month >= :m6 AND month <= :m1), 0) AS s6,
    coalesce(sum(rev) FILTER (WHERE month >= :m12 AND month <= :m1), 0) AS s12,
    coalesce(sum(rev) FILTER (WHERE month = :m12), 0) AS r12,
    coalesce(sum(rev) FILTER (WHERE month >= :jan), 0) AS ytd,
    coalesce(sum(rev) FILTER (WHERE month >= :pjan AND month <= :m12), 0) AS pytd,
    coalesce(bool_or(rev > 0) FILTER (WHERE month >= :m3 AND month <= :m1), false) AS bought_prev3,
    min(month) FILTER (WHERE rev > 0) AS first_month,
    max(month) FILTER (WHERE rev > 0) AS last_month
  FROM cm GROUP BY client_id
  HAVING count(*) FILTER (WHERE month >= :pjan) > 0
),
abc AS (
  SELECT per.client_id,
    coalesce(sum(per.r0) OVER (ORDER BY per.r0 DESC, e.code, per.client_id
                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS cum_before,
    sum(per.r0) OVER () AS total
  FROM per JOIN erp_clients e ON e.id = per.client_id WHERE per.r0 > 0
)
INSERT INTO analysis_client_months (month, family, client_id, r0, r1, r2, r3, s6, s12, r12, ytd, pytd,
  bought_prev3, first_month, last_purchase, cum_before, total)
SELECT :m, :family, per.client_id, r0, r1, r2, r3, s6, s12, r12, ytd, pytd, bought_prev3, first_month,
  (SELECT max(l.day) FROM sales_lines l WHERE l.client_id = per.client_id AND l.day >= per.last_month
     AND l.day < (per.last_month + interval '1 month')::date AND l.amount > 0 AND (:family = '' OR l.family = :family)),
  abc.cum_before, abc.total
FROM per LEFT JOIN abc ON abc.client_id = per.client_id
"""


async def ensure_clients(session: AsyncSession, month: date, family: str) -> None:
    """The figures of every client for ``month`` (its first day) and the family filter ('' all), up to date."""
    m = month.replace(day=1)
    params = {
        "m": m,
        "family": family,
        "m1": add_months(m, -1),
        "m2": add_months(m, -2),
        "m3": add_months(m, -3),
        "m6": add_months(m, -6),
        "m12": add_months(m, -12),
        "jan": m.replace(month=1),
        "pjan": date(m.year - 1, 1, 1),
    }
    build = [CLIENTS_DELETE, CLIENTS_SQL, "ANALYZE analysis_client_months"]
    await _ensure(session, "clients", m.isoformat()[:7], family, build, params)


TOTALS_DELETE = "DELETE FROM analysis_month_totals WHERE year = :year AND family = :family"
TOTALS_SQL = """
WITH cm AS (
  SELECT client_id, month, sum(revenue) AS rev FROM client_month_sales
  WHERE month <= :dec AND (:family = '' OR family = :family)
  GROUP BY client_id, month
),
b AS (
  SELECT client_id, month, lead(month) OVER w AS nxt, row_number() OVER w AS n
  FROM cm WHERE rev > 0 WINDOW w AS (PARTITION BY client_id ORDER BY month)
),
nonret AS (
  SELECT b.client_id, g::date AS month FROM b,
    generate_series(b.month + interval '1 month',
                    LEAST(coalesce(b.nxt - interval '1 month', b.month + interval '3 months'),
                          b.month + interval '3 months'),
                    interval '1 month') AS g
  WHERE b.month >= :from3
),
facts AS (
  SELECT client_id, month, '*' AS line_family, rev AS revenue, (rev > 0)::int AS buyers, 0 AS new_clients,
         0 AS non_retained FROM cm WHERE month >= :jan
  UNION ALL SELECT client_id, month, '*', 0, 0, 1, 0 FROM b WHERE n = 1 AND month >= :jan
  UNION ALL SELECT client_id, month, '*', 0, 0, 0, 1 FROM nonret WHERE month >= :jan AND month <= :dec
  UNION ALL SELECT client_id, month, family, revenue, (revenue > 0)::int, 0, 0 FROM client_month_sales
    WHERE month >= :jan AND month <= :dec AND :family = ''
)
INSERT INTO analysis_month_totals (year, family, month, line_family, responsible_id, revenue, buyers,
  new_clients, non_retained)
SELECT :year, :family, facts.month, facts.line_family, e.responsible_id, sum(facts.revenue), sum(facts.buyers),
  sum(facts.new_clients), sum(facts.non_retained)
FROM facts JOIN erp_clients e ON e.id = facts.client_id
GROUP BY facts.month, facts.line_family, e.responsible_id
"""


async def ensure_totals(session: AsyncSession, year: int, family: str) -> None:
    """Monthly totals of ``year`` per responsible person (and per family of the lines), up to date."""
    params = {
        "year": year,
        "family": family,
        "jan": date(year, 1, 1),
        "from3": date(year - 1, 10, 1),
        "dec": date(year, 12, 1),
    }
    build = [TOTALS_DELETE, TOTALS_SQL, "ANALYZE analysis_month_totals"]
    await _ensure(session, "totals", str(year), family, build, params)
