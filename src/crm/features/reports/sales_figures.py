"""Maintained figures of the sales report: won deals summed per day and per month, by pipeline and responsible
employee, for each grouping the report shows (total, source, Bitrix24 deal type, the default deal field), plus the
same sums over every employee. A report of any period reads a few hundred to a few tens of thousands of these rows
instead of the deals (a year of a large portal: ~200,000 won deals).

Kept correct by statement triggers on ``deals`` with transition tables: each INSERT, UPDATE, DELETE (and the
sync's ``INSERT … ON CONFLICT DO UPDATE``) adds its rows' signed difference, so every writer (the sync, the demo,
tests, a manual fix in psql) keeps the figures equal to the deals without knowing about them; an UPDATE that
changes nothing the figures use writes nothing. ``REBUILD`` recomputes them from the deals (the migration, after a
bulk load without triggers); a test compares both.

Rows: ``grain`` 0 = a day, 1 = the month starting at ``at``, 2 = all time (only the deal-field keys, dim 'f');
``responsible_id`` the deal's employee (0 when it has none) or -1 for every employee together; ``pipeline_id``
the deal's pipeline or -1 for all pipelines together; ``dim`` 't' total,
's' source (k1 the UTM source, k2 the deal's SOURCE_ID), 'k' deal type (k1 TYPE_ID), 'c' the default deal field
(k1 its value), 'f' a key of ``deals.fields`` that won deals carry (k1).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import BigInteger, Date, Index, Integer, Numeric, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from crm.features.clients.models import Deal
from crm.lib.db import DefaultBase, create_with

DAY, MONTH, ALL_TIME = 0, 1, 2
EVERYONE = -1
ALL_PIPELINES = -1
# What Python's str.strip() strips: a UTM source made only of these is empty, and the deal's source stands instead.
SPACES = "U&'" + "".join(f"\\{ord(c):04x}" for c in map(chr, range(0x3001)) if c.isspace()) + "'"
DEFAULT_FIELD = "contract_type"  # the mapped UF_* field of the default field map (sales_data.DEFAULT_TYPE_FIELD)
WON = "semantic = 'S' AND active AND close_date IS NOT NULL"


class SaleFigure(DefaultBase):
    """Sum and number of won deals of one day or month, pipeline, employee and grouping key."""

    __tablename__ = "sale_figures"
    __table_args__ = (
        # a scope's employees (and everyone) of a dimension and pipeline: by employee, then day or month; read alone
        Index(
            "ix_sale_figures_who",
            "grain",
            "dim",
            "pipeline_id",
            "responsible_id",
            "at",
            postgresql_include=["k1", "k2", "amount", "deals"],
        ),
        # emptied groups are deleted by the triggers right after the statement that emptied them
        Index("ix_sale_figures_empty", "grain", postgresql_where=text("deals = 0")),
    )

    grain: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    at: Mapped[date] = mapped_column(Date, primary_key=True)
    dim: Mapped[str] = mapped_column(String(1), primary_key=True)
    responsible_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    pipeline_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    k1: Mapped[str] = mapped_column(Text, primary_key=True)
    k2: Mapped[str] = mapped_column(Text, primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    deals: Mapped[int] = mapped_column(Integer)


# Won deals by their closing day: the live part of the report (a deal field other than the maintained ones) reads
# only this index and the won deals' rows, never the other 60 % of the table.
WON_DEALS_INDEX = Index(
    "ix_deals_won_close_date",
    Deal.close_date,
    postgresql_where=text("semantic = 'S' AND active"),
    postgresql_include=["amount", "responsible_id", "pipeline_id"],
)

# One deal as its 32 figure rows (day and month, its employee and everyone, its pipeline and all pipelines, four
# groupings) and its field keys. The source's second key is the deal's source only where the UTM source is empty
# (it is the one used then), so that a source has a handful of keys, not every pair.
_EXPAND = f"""
    SELECT g.grain, CASE WHEN g.grain = 0 THEN r.close_date ELSE date_trunc('month', r.close_date)::date END AS at,
           x.dim, w.who AS responsible_id, q.pipeline_id, x.k1, x.k2, r.sign * r.amount AS amount, r.sign AS deals
    FROM src r
    CROSS JOIN (VALUES (0::smallint), (1::smallint)) g(grain)
    CROSS JOIN LATERAL (VALUES (coalesce(r.responsible_id, 0)), ({EVERYONE}::bigint)) w(who)
    CROSS JOIN LATERAL (VALUES (r.pipeline_id), ({ALL_PIPELINES}::bigint)) q(pipeline_id)
    CROSS JOIN LATERAL (VALUES ('t', '', ''),
                               ('s', r.utm_source::text,
                                CASE WHEN btrim(r.utm_source, {SPACES}) = '' THEN r.source_id::text ELSE '' END),
                               ('k', r.type_id::text, ''),
                               ('c', coalesce(r.fields ->> '{DEFAULT_FIELD}', ''), '')) x(dim, k1, k2)
    UNION ALL
    SELECT 2::smallint, DATE '1970-01-01', 'f', {EVERYONE}, 0, k.key, '', 0, r.sign
    FROM src r CROSS JOIN LATERAL jsonb_object_keys(CASE WHEN jsonb_typeof(r.fields) = 'object' THEN r.fields
                                                         ELSE '{{}}'::jsonb END) k(key)
"""  # noqa: S608 (constants only, as in every statement below)
_COLUMNS = "grain, at, dim, responsible_id, pipeline_id, k1, k2"
_DEAL_COLUMNS = "close_date, amount, responsible_id, pipeline_id, utm_source, source_id, type_id, fields"

REBUILD = [
    "DELETE FROM sale_figures",
    f"""INSERT INTO sale_figures ({_COLUMNS}, amount, deals)
    WITH src AS (SELECT {_DEAL_COLUMNS}, 1 AS sign FROM deals WHERE {WON}), e AS ({_EXPAND})
    SELECT {_COLUMNS}, sum(amount), sum(deals) FROM e GROUP BY {_COLUMNS}""",  # noqa: S608
]


def _apply(source: str) -> str:
    return f"""
  WITH src AS ({source}), e AS ({_EXPAND})
  INSERT INTO sale_figures AS f ({_COLUMNS}, amount, deals)
  SELECT {_COLUMNS}, sum(amount), sum(deals) FROM e GROUP BY {_COLUMNS}
  HAVING sum(deals) <> 0 OR sum(amount) <> 0 ORDER BY {_COLUMNS}
  ON CONFLICT ({_COLUMNS}) DO UPDATE SET amount = f.amount + EXCLUDED.amount, deals = f.deals + EXCLUDED.deals;
  DELETE FROM sale_figures WHERE deals = 0;"""  # noqa: S608


_NEW = f"SELECT {_DEAL_COLUMNS}, 1 AS sign FROM new_rows WHERE {WON}"  # noqa: S608
_OLD = f"SELECT {_DEAL_COLUMNS}, -1 AS sign FROM old_rows WHERE {WON}"  # noqa: S608
# An UPDATE counts only the deals whose figures' columns changed (a sync re-saving unchanged deals writes nothing).
_USED = f"{_DEAL_COLUMNS}, semantic, active"
_CHANGED = f"""
    SELECT {", ".join("n." + c for c in _DEAL_COLUMNS.split(", "))}, 1 AS sign FROM new_rows n
    LEFT JOIN old_rows o ON o.id = n.id
    WHERE n.{WON.replace(" AND ", " AND n.")} AND (o.id IS NULL OR ({", ".join("o." + c for c in _USED.split(", "))})
      IS DISTINCT FROM ({", ".join("n." + c for c in _USED.split(", "))}))
    UNION ALL
    SELECT {", ".join("o." + c for c in _DEAL_COLUMNS.split(", "))}, -1 AS sign FROM old_rows o
    LEFT JOIN new_rows n ON n.id = o.id
    WHERE o.{WON.replace(" AND ", " AND o.")} AND (n.id IS NULL OR ({", ".join("o." + c for c in _USED.split(", "))})
      IS DISTINCT FROM ({", ".join("n." + c for c in _USED.split(", "))}))"""  # noqa: S608

TRIGGER_FUNCTION = f"""
CREATE OR REPLACE FUNCTION sale_figures_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM sale_figures;
  ELSIF TG_OP = 'INSERT' THEN{_apply(_NEW)}
  ELSIF TG_OP = 'UPDATE' THEN{_apply(_CHANGED)}
  ELSE{_apply(_OLD)}
  END IF;
  RETURN NULL;
END $$"""  # noqa: S608
TRIGGERS = [
    "CREATE OR REPLACE TRIGGER sale_figures_insert AFTER INSERT ON deals REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION sale_figures_apply()",
    "CREATE OR REPLACE TRIGGER sale_figures_update AFTER UPDATE ON deals "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sale_figures_apply()",
    "CREATE OR REPLACE TRIGGER sale_figures_delete AFTER DELETE ON deals REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION sale_figures_apply()",
    "CREATE OR REPLACE TRIGGER sale_figures_truncate AFTER TRUNCATE ON deals "
    "FOR EACH STATEMENT EXECUTE FUNCTION sale_figures_apply()",
]
DROP = [
    *(f"DROP TRIGGER IF EXISTS sale_figures_{op} ON deals" for op in ("insert", "update", "delete", "truncate")),
    "DROP FUNCTION IF EXISTS sale_figures_apply()",
]


# with the tables (tests, benchmarks); migration 0022 makes them on a real database
create_with("sale_figures", [TRIGGER_FUNCTION, *TRIGGERS])


# --------------------------------------------------------------------------- periods as figure rows


def pieces(day_from: date, day_to: date) -> list[tuple[int, date, int]]:
    """The days ``day_from``..``day_to`` as (grain, at, sign) rows whose signed sum is the period: whole months as
    month rows; a partial month as its days, or, when it covers more than half of the month, as the month minus
    the days it leaves out (so a month's previous period, the 2nd to the 31st, is one month and one day)."""
    result: list[tuple[int, date, int]] = []
    month = day_from.replace(day=1)
    while month <= day_to:
        last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
        first_in, last_in = max(month, day_from), min(last, day_to)
        covered = (last_in - first_in).days + 1
        if covered == last.day:
            result.append((MONTH, month, 1))
        elif covered * 2 <= last.day:
            result.extend((DAY, first_in + timedelta(days=i), 1) for i in range(covered))
        else:
            result.append((MONTH, month, 1))
            result.extend((DAY, month + timedelta(days=i), -1) for i in range((first_in - month).days))
            result.extend((DAY, last_in + timedelta(days=i + 1), -1) for i in range((last - last_in).days))
        month = last + timedelta(days=1)
    return result
