"""Derived figures: a company's last communication, active/won sums per company and pipeline, and daily call and
meeting counts per manager. ``recompute`` brings up to date only the keys a sync touched; ``rebuild`` recomputes
everything with the same SQL (so the two must agree, which a test checks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import BigInteger, BindParameter, Date, Text, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.clients.store import Touched
from crm.lib.i18n import local_tz

COMMUNICATION_KINDS = ("call", "meeting", "email")
# The kinds an activity can have (crm.features.clients.mapping.activity_kind), offered in the counting settings.
ACTIVITY_KINDS = ("call", "meeting", "email", "task", "todo", "other")


@dataclass(frozen=True)
class Counting:
    """What the figures count, set by an admin on the Integrations screen: calls shorter than ``min_seconds`` do
    not count; completed activities of ``meeting_kinds`` are a manager's meetings; completed activities of
    ``communication_kinds`` (and connected calls) are a company's communications."""

    min_seconds: int = 20
    meeting_kinds: tuple[str, ...] = ("meeting",)
    communication_kinds: tuple[str, ...] = COMMUNICATION_KINDS

    def binds(self, sql: str) -> list[BindParameter[Any]]:
        """The parameters of these settings that ``sql`` uses."""
        every = [
            bindparam("min_seconds", self.min_seconds),
            bindparam("meeting_kinds", list(self.meeting_kinds), type_=ARRAY(Text)),
            bindparam("comm_kinds", list(self.communication_kinds), type_=ARRAY(Text)),
        ]
        return [b for b in every if f":{b.key}" in sql]


DEFAULT_COUNTING = Counting()

# The one definition of what counts as a communication: completed activities of the counted kinds (calls, meetings
# and emails unless the settings say otherwise; an activity that is a call shorter than the minimum does not count),
# and telephony calls of at least the minimum, in or out, on the company itself or through its deals, contacts and
# leads: ``company_id`` of an activity or call owned by a deal, contact (its primary company) or lead is that owner's
# company, resolved when stored and followed when the owner moves (store.relink), so this reads one column.
_COUNTED = """
    SELECT a.company_id, a.start_at AS at, 'activity' AS source, a.id FROM activities a
    WHERE a.active AND a.completed AND a.kind = ANY(:comm_kinds) AND a.company_id IS NOT NULL
      AND a.start_at IS NOT NULL {acts}
      AND NOT EXISTS (SELECT 1 FROM calls k WHERE k.activity_id = a.id AND k.active AND k.duration < :min_seconds)
    UNION ALL
    SELECT k.company_id, k.start_at, 'call', k.id FROM calls k
    WHERE k.active AND k.company_id IS NOT NULL AND k.duration >= :min_seconds AND k.start_at IS NOT NULL {calls}
"""

_LAST_COMMUNICATION = (
    """
INSERT INTO company_figures (company_id, last_communication_at)
SELECT company_id, max(at) FROM ("""
    + _COUNTED
    + """) s GROUP BY company_id
"""
)

# companies.last_communication_at is a copy of company_figures' (the list sorts by it through an index); these
# bring it level for some companies or all of them, writing only the rows that differ.
_COPY_LAST_TO_COMPANIES = """
UPDATE companies c SET last_communication_at = f.last_communication_at
FROM companies c0 LEFT JOIN company_figures f ON f.company_id = c0.id
WHERE c.id = c0.id {companies} AND c.last_communication_at IS DISTINCT FROM f.last_communication_at
"""

_PIPELINES = """
INSERT INTO company_pipeline_figures
    (company_id, pipeline_id, active_sum, active_count, won_sum, won_count, preparation_count)
SELECT d.company_id, d.pipeline_id,
       coalesce(sum(d.amount) FILTER (WHERE d.semantic = 'P'), 0), count(*) FILTER (WHERE d.semantic = 'P'),
       coalesce(sum(d.amount) FILTER (WHERE d.semantic = 'S'), 0), count(*) FILTER (WHERE d.semantic = 'S'),
       count(*) FILTER (WHERE d.semantic = 'P' AND s.preparation)
FROM deals d LEFT JOIN stages s ON s.status_id = d.stage_id
WHERE d.active AND d.company_id IS NOT NULL {deals}
GROUP BY d.company_id, d.pipeline_id
HAVING count(*) FILTER (WHERE d.semantic IN ('P', 'S')) > 0
"""

_MANAGER_DAYS = """
WITH keys AS (SELECT * FROM unnest(CAST(:emps AS bigint[]), CAST(:days AS date[])) AS k(employee_id, day)),
calls_by_day AS (
    SELECT k.user_id AS employee_id, (k.start_at AT TIME ZONE :tz)::date AS day,
           count(DISTINCT k.company_id) FILTER (WHERE k.duration >= :min_seconds)
             + count(*) FILTER (WHERE k.company_id IS NULL AND k.duration >= :min_seconds) AS calls,
           count(*) AS calls_total, coalesce(sum(k.duration), 0) AS call_seconds
    FROM calls k
    WHERE k.active AND k.call_type = 1 AND k.user_id IS NOT NULL AND k.start_at IS NOT NULL {calls}
    GROUP BY 1, 2
),
meetings_by_day AS (
    SELECT a.responsible_id AS employee_id, (coalesce(a.end_at, a.start_at) AT TIME ZONE :tz)::date AS day,
           count(*) AS meetings
    FROM activities a
    WHERE a.active AND a.completed AND a.kind = ANY(:meeting_kinds) AND a.responsible_id IS NOT NULL
      AND coalesce(a.end_at, a.start_at) IS NOT NULL {meetings}
    GROUP BY 1, 2
)
INSERT INTO manager_day_figures (employee_id, day, calls, calls_total, call_seconds, meetings)
SELECT coalesce(c.employee_id, m.employee_id), coalesce(c.day, m.day), coalesce(c.calls, 0),
       coalesce(c.calls_total, 0), coalesce(c.call_seconds, 0), coalesce(m.meetings, 0)
FROM calls_by_day c FULL JOIN meetings_by_day m ON m.employee_id = c.employee_id AND m.day = c.day
WHERE {keys_filter}
"""


# The companies behind those calls, one row per (employee, local day, company): the plans views count distinct
# companies per month and year from them. Same calls as the company part of ``calls`` above.
MANAGER_DAY_COMPANIES = """
INSERT INTO manager_day_companies (employee_id, day, company_id)
SELECT DISTINCT k.user_id, (k.start_at AT TIME ZONE :tz)::date, k.company_id FROM calls k
WHERE k.active AND k.call_type = 1 AND k.user_id IS NOT NULL AND k.start_at IS NOT NULL
  AND k.company_id IS NOT NULL AND k.duration >= :min_seconds {calls}
"""


async def last_communication(
    session: AsyncSession, company_id: int, counting: Counting = DEFAULT_COUNTING
) -> tuple[str, int] | None:
    """Which record is the company's last communication: ``("activity" | "call", id)``, by the rule above."""
    counted = _COUNTED.format(acts="AND a.company_id = :cid", calls="AND k.company_id = :cid")
    sql = f"SELECT source, id FROM ({counted}) s ORDER BY at DESC, source, id DESC LIMIT 1"  # noqa: S608 - constants
    row = (await session.execute(text(sql).bindparams(*counting.binds(sql), cid=company_id))).first()
    return (str(row[0]), int(row[1])) if row else None


def _ids(name: str, values: list[int]) -> BindParameter[Any]:
    return bindparam(name, values, type_=ARRAY(BigInteger))


async def recompute(session: AsyncSession, touched: Touched | None, counting: Counting = DEFAULT_COUNTING) -> None:
    """Recompute the touched keys (``None``: everything)."""
    if touched is None:
        await rebuild(session, counting)
        return
    companies = sorted(touched.companies)
    last = _LAST_COMMUNICATION.format(acts="AND a.company_id = ANY(:ids)", calls="AND k.company_id = ANY(:ids)")
    for i in range(0, len(companies), 5000):
        part = companies[i : i + 5000]
        await session.execute(
            text("DELETE FROM company_figures WHERE company_id = ANY(:ids)").bindparams(_ids("ids", part))
        )
        await session.execute(text(last).bindparams(_ids("ids", part), *counting.binds(last)))
        await copy_last_to_companies(session, part)
        await session.execute(
            text("DELETE FROM company_pipeline_figures WHERE company_id = ANY(:ids)").bindparams(_ids("ids", part))
        )
        await session.execute(
            text(_PIPELINES.format(deals="AND d.company_id = ANY(:ids)")).bindparams(_ids("ids", part))
        )
    days = sorted(touched.manager_days)
    for i in range(0, len(days), 5000):
        await _manager_days(session, days[i : i + 5000], counting)


async def copy_last_to_companies(session: AsyncSession, company_ids: list[int] | None = None) -> None:
    """Bring ``companies.last_communication_at`` level with ``company_figures`` for these companies (``None``:
    all of them; also what migration 0020 did once, and what a loader that writes the figures itself calls)."""
    if company_ids is None:
        await session.execute(text(_COPY_LAST_TO_COMPANIES.format(companies="")))
        return
    sql = _COPY_LAST_TO_COMPANIES.format(companies="AND c0.id = ANY(:ids)")
    await session.execute(text(sql).bindparams(_ids("ids", company_ids)))


async def _manager_days(session: AsyncSession, keys: list[tuple[int, date]], counting: Counting) -> None:
    emps, days = [k[0] for k in keys], [k[1] for k in keys]
    params: list[BindParameter[Any]] = [
        bindparam("emps", emps, type_=ARRAY(BigInteger)),
        bindparam("days", days, type_=ARRAY(Date)),
    ]
    for table in ("manager_day_figures", "manager_day_companies"):
        await session.execute(
            text(
                f"DELETE FROM {table} f USING unnest(CAST(:emps AS bigint[]), CAST(:days AS date[])) AS k(e, d) "  # noqa: S608 - constants
                "WHERE f.employee_id = k.e AND f.day = k.d"
            ).bindparams(*params)
        )
    lo, hi = min(days), max(days)
    tz = str(local_tz())
    window = (
        "AND k.user_id = ANY(:emps) AND k.start_at >= CAST(:lo AS date) - interval '1 day' "
        "AND k.start_at < CAST(:hi AS date) + interval '2 day'"
    )
    mwindow = (
        "AND a.responsible_id = ANY(:emps) AND coalesce(a.end_at, a.start_at) >= CAST(:lo AS date) - "
        "interval '1 day' AND coalesce(a.end_at, a.start_at) < CAST(:hi AS date) + interval '2 day'"
    )
    sql = _MANAGER_DAYS.format(
        calls=window,
        meetings=mwindow,
        keys_filter="(coalesce(c.employee_id, m.employee_id), coalesce(c.day, m.day)) IN "
        "(SELECT employee_id, day FROM keys)",
    )
    await session.execute(text(sql).bindparams(*params, *counting.binds(sql), tz=tz, lo=lo, hi=hi))
    day_keys = (
        " AND ((k.start_at AT TIME ZONE :tz)::date, k.user_id) IN "
        "(SELECT d, e FROM unnest(CAST(:emps AS bigint[]), CAST(:days AS date[])) AS keys(e, d))"
    )
    sql = MANAGER_DAY_COMPANIES.format(calls=window + day_keys)
    await session.execute(text(sql).bindparams(*params, *counting.binds(sql), tz=tz, lo=lo, hi=hi))


async def rebuild(session: AsyncSession, counting: Counting = DEFAULT_COUNTING) -> None:
    """Everything from scratch (after a full import, on ``crm bitrix24 rebuild-figures``, after the counting
    settings changed)."""
    await session.execute(
        text("TRUNCATE company_figures, company_pipeline_figures, manager_day_figures, manager_day_companies")
    )
    last = _LAST_COMMUNICATION.format(acts="", calls="")
    await session.execute(text(last).bindparams(*counting.binds(last)))
    await copy_last_to_companies(session)
    await session.execute(text(_PIPELINES.format(deals="")))
    sql = _MANAGER_DAYS.format(calls="", meetings="", keys_filter="true").replace(
        "WITH keys AS (SELECT * FROM unnest(CAST(:emps AS bigint[]), CAST(:days AS date[])) AS k(employee_id, day)),",
        "WITH",
    )
    await session.execute(text(sql).bindparams(*counting.binds(sql), tz=str(local_tz())))
    sql = MANAGER_DAY_COMPANIES.format(calls="")
    await session.execute(text(sql).bindparams(*counting.binds(sql), tz=str(local_tz())))


async def pipeline_stage_changed(session: AsyncSession) -> None:
    """The "preparation" flag changed: the pipeline figures of every company may change."""
    await session.execute(text("TRUNCATE company_pipeline_figures"))
    await session.execute(text(_PIPELINES.format(deals="")))
