"""The goals list at scale: a team goal is the sum of the goals of the head's department subtree (each member
once, per variable and family), drawn under the first page of goals only; the other pages say where it is."""

from __future__ import annotations

import re
from decimal import Decimal

from crm.features.goals import services
from crm.features.goals.models import Goal, GoalTarget
from crm.features.goals.scope import scope_for
from tests.conftest import login, make_user
from tests.integration.test_goals_api import team


async def _goal(db, person, variable: str, family: str, values: dict[int, str]) -> None:  # type: ignore[no-untyped-def]
    goal = Goal(variable=variable, family=family, responsible_id=person.id, year=2026)
    db.add(goal)
    await db.flush()
    db.add_all([GoalTarget(goal_id=goal.id, month=m, target=Decimal(v)) for m, v in values.items()])


async def test_a_team_goal_sums_the_subtree_per_variable_and_family(client, db) -> None:
    p = await team(db)  # Sales (Oleg) ⊃ Key accounts (Maria); Regions (Ivan)
    sub = p["maria"].department_id
    petr = await make_user(db, "petr@example.com", ["manager"], name="Petr", department_id=sub)
    await _goal(db, p["maria"], "revenue", "", {1: "100.50", 2: "200"})
    await _goal(db, petr, "revenue", "", {1: "1000", 3: "7"})
    await _goal(db, p["head"], "revenue", "", {1: "1"})  # the head's own goal is in the team (own department)
    await _goal(db, p["maria"], "revenue", "Paint", {12: "5"})
    await _goal(db, p["ivan"], "revenue", "", {1: "999"})  # another department: not Oleg's team
    await db.commit()
    scope = await scope_for(db, p["admin"])
    teams = {(t.head.name, t.variable, t.family): t for t in await services.teams(db, scope, 2026)}
    oleg = teams[("Oleg", "revenue", "")]
    assert oleg.targets == {1: Decimal("1101.50"), 2: Decimal("200"), 3: Decimal("7")} and oleg.members == 3
    assert oleg.total == Decimal("1308.50")
    assert teams[("Oleg", "revenue", "Paint")].targets == {12: Decimal("5")}
    assert teams[("Oleg", "revenue", "Paint")].members == 1
    assert [k for k in teams if k[0] != "Oleg"] == []  # Ivan is no head
    only_paint = await services.teams(db, scope, 2026, family="Paint")
    assert [(t.head.name, t.family, t.total) for t in only_paint] == [("Oleg", "Paint", Decimal("5"))]
    await login(client, "head@example.com")
    page = (await client.get("/goals?year=2026")).text
    row = re.search(r'<tr class="team-row"><th[^>]*>Team of Oleg <span[^>]*>3 people</span></th>.*?</tr>', page)
    assert row and "<td>1,102</td>" in row.group(0) and "<b>1,308</b>" in row.group(0), page[-3000:]


async def test_team_goals_are_drawn_under_the_first_page_only(client, db) -> None:
    p = await team(db)
    for i in range(30):  # two pages of goals
        await _goal(db, p["maria"], "revenue", f"F{i:02d}", {1: "10"})
    await db.commit()
    await login(client, "head@example.com")
    first = (await client.get("/goals?year=2026")).text
    assert first.count('class="team-row"') == 30 and "Team goals are shown on the first page." not in first
    second = await client.get("/goals?year=2026&page=2", headers={"hx-request": "true", "hx-target": "list"})
    assert second.status_code == 200 and "team-row" not in second.text and "F29</td>" in second.text
    assert '<a href="/goals?year=2026">Team goals are shown on the first page.</a>' in second.text
    await login(client, "maria@example.com")  # a manager has no team: no note either
    mine = (await client.get("/goals?year=2026&page=2")).text
    assert "F29</td>" in mine and "team-row" not in mine and "Team goals are shown" not in mine
