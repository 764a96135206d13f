"""The month grid's cells are terse (a month of the whole organisation draws thousands): <b> the calls, <i> "/plan",
<small> the meetings, classes only for a status, a sum, an empty day or today; the legend names the figures once
(the per-cell "meetings" title went: the admin's month at the large size 203,044 -> 136,735 bytes)."""

from __future__ import annotations

import re
from datetime import date

from crm.features.plans.models import CallPlan
from tests.conftest import login
from tests.integration.test_plans_plans import YEAR, head_and_team
from tests.integration.test_plans_stats import fig


async def test_a_month_cell_is_a_few_terse_tags(client, db) -> None:
    await head_and_team(db)
    db.add_all([CallPlan(employee_id=21, day=date(YEAR, 3, 3), calls=10), fig(21, date(YEAR, 3, 3), 8)])
    await db.commit()
    await login(client, "head@example.com")
    grid = (await client.get(f"/plans?year={YEAR}&month=3")).text
    day = re.search(r'<td class="cell st-not_fulfilled">(.*?)</td>', grid)
    assert day, "the day with a plan shows its status"
    assert day.group(1).startswith(f'<a class="cell-link" href="/plans/21/day/{YEAR}-03-03"><b>8</b><i>/10</i>')
    assert "<small>" in day.group(1)
    empty = f'<a class="cell-link" href="/plans/21/day/{YEAR}-03-05"><b>0</b><small>0</small></a></td>'
    assert re.search(r'<td class="cell zero">' + re.escape(empty), grid)
    assert 'class="meet"' not in grid and 'class="calls"' not in grid and 'class="num cell' not in grid
    assert "calls: fact / plan" in grid and "meetings" in grid  # the legend says what the figures are
