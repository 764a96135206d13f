"""Calls & meetings statistics (spec/plans.md): counting, year and month views, department rows, scope per role."""

from __future__ import annotations

from datetime import date
from typing import Any

from crm.features.calendar.models import CalendarDay
from crm.features.calendar.services import ensure_year
from crm.features.clients.sync_models import ManagerDayFigure
from crm.features.org.models import Department, Employee
from tests.conftest import login, make_user

YEAR = 2025  # a past year: every working day of it is judged


async def org(db: Any) -> dict[str, Any]:
    """Sales (head 10) ⊃ Moscow (head 20, members 21, 22); Regions (head 30, member 31)."""
    sales = Department(name="Sales", head_bitrix_id=10)
    db.add(sales)
    await db.flush()
    moscow = Department(name="Moscow", parent_id=sales.id, head_bitrix_id=20)
    regions = Department(name="Regions", parent_id=sales.id, head_bitrix_id=30)
    db.add_all([moscow, regions])
    await db.flush()
    people = {
        10: ("Head", "Sales", sales.id),
        20: ("Mosc", "Head", moscow.id),
        21: ("Anna", "Alpha", moscow.id),
        22: ("Boris", "Beta", moscow.id),
        30: ("Reg", "Head", regions.id),
        31: ("Vera", "Gamma", regions.id),
    }
    for i, (first, last, dept) in people.items():
        db.add(Employee(id=i, name=first, last_name=last, department_id=dept))
    await ensure_year(db, YEAR)
    await db.commit()
    return {"sales": sales.id, "moscow": moscow.id, "regions": regions.id}


def fig(employee_id: int, day: date, calls: int, meetings: int = 0) -> ManagerDayFigure:
    return ManagerDayFigure(employee_id=employee_id, day=day, calls=calls, calls_total=calls, meetings=meetings)


async def test_the_year_view_sums_months_per_manager_and_department_with_the_head_as_header(client, db) -> None:
    ids = await org(db)
    db.add_all(
        [
            fig(21, date(YEAR, 3, 3), 5, 1),  # Monday
            fig(21, date(YEAR, 3, 4), 7),
            fig(22, date(YEAR, 3, 3), 2, 2),
            fig(31, date(YEAR, 4, 1), 9),
            fig(21, date(YEAR, 3, 8), 50),  # 8 March: a holiday, not counted
        ]
    )
    await db.commit()
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    response = await client.get(f"/plans?year={YEAR}")
    assert response.status_code == 200, response.text
    html = response.text
    assert "Sales" in html and "Head: Head Mosc" in html and "Head: Sales Head" in html
    from crm.features.plans.scope import Selection, Visible
    from crm.features.plans.stats import build_view

    view = await build_view(db, Visible(everything=True), Selection(), YEAR, None, date(YEAR + 1, 1, 1))
    groups = {g.department.name: g for g in view.groups}
    assert groups["Moscow"].cells[3].calls == 14 and groups["Moscow"].cells[3].meetings == 3
    assert groups["Sales"].total.calls == 23  # its subtree: Moscow and Regions
    assert next(r.employee.id for r in groups["Moscow"].rows) == 20  # the head first
    assert groups["Moscow"].rows[0].is_head
    anna = next(r for r in groups["Moscow"].rows if r.employee.id == 21)
    assert anna.cells[3].calls == 12 and anna.total.calls == 12
    assert view.total.calls == 23
    assert ids


async def test_the_month_view_shows_working_days_only_with_the_average_per_working_day(client, db) -> None:
    await org(db)
    db.add_all([fig(21, date(YEAR, 3, 3), 5), fig(21, date(YEAR, 3, 4), 6), fig(21, date(YEAR, 3, 8), 40)])
    await db.commit()
    from crm.features.plans.scope import Selection, Visible
    from crm.features.plans.stats import build_view

    view = await build_view(db, Visible(everything=True), Selection(), YEAR, 3, date(YEAR + 1, 1, 1))
    assert date(YEAR, 3, 8) not in view.periods and date(YEAR, 3, 1) not in view.periods  # holiday, Saturday
    assert len(view.periods) == view.days_so_far == 21  # March 2025: 21 weekdays, 8 March is a Saturday
    anna = next(r for g in view.groups for r in g.rows if r.employee.id == 21)
    assert anna.total.calls == 11 and anna.cells[date(YEAR, 3, 4)].calls == 6
    assert anna.average == 1  # ceil(11 / 21)


async def test_a_day_off_is_absent_from_the_month_view_and_from_the_working_day_divisor(client, db) -> None:
    await org(db)
    day_off = await db.get(CalendarDay, date(YEAR, 3, 5))
    day_off.is_working = False  # made a day off by hand
    db.add_all([fig(21, date(YEAR, 3, 3), 5), fig(21, date(YEAR, 3, 4), 6), fig(21, date(YEAR, 3, 5), 40)])
    await db.commit()
    from crm.features.plans.scope import Selection, Visible
    from crm.features.plans.stats import build_view

    today = date(YEAR, 3, 10)  # working days so far: 3, 4, 6, 7, 10
    view = await build_view(db, Visible(everything=True), Selection(), YEAR, 3, today)
    assert date(YEAR, 3, 5) not in view.periods and view.days_so_far == 5
    anna = next(r for g in view.groups for r in g.rows if r.employee.id == 21)
    assert anna.total.calls == 11 and anna.average == 3  # ceil(11 / 5); the 40 calls of the day off do not count


async def _calls(db: Any, rows: list[tuple[int, int | None, int, int]]) -> ManagerDayFigure | None:
    """Calls (id, company, seconds, type) of manager 21 on 3 March at 10:00 local; the figures rebuilt."""
    from datetime import datetime, time

    from crm.features.clients import figures
    from crm.features.clients.models import Call
    from crm.lib.i18n import local_tz

    at = datetime.combine(date(YEAR, 3, 3), time(10), local_tz())
    for i, (call_id, company, seconds, kind) in enumerate(rows):
        db.add(Call(id=call_id, user_id=21, company_id=company, duration=seconds, call_type=kind, start_at=at))
        at = at.replace(minute=i + 1)
    await db.flush()
    await figures.rebuild(db)
    await db.commit()
    return await db.get(ManagerDayFigure, (21, date(YEAR, 3, 3)))


async def test_three_outgoing_calls_to_one_company_on_a_day_count_once(client, db) -> None:
    figure = await _calls(db, [(1, 500, 20, 1), (2, 500, 45, 1), (3, 500, 300, 1)])
    assert figure.calls == 1 and figure.calls_total == 3


async def test_calls_to_two_companies_count_two(client, db) -> None:
    figure = await _calls(db, [(1, 500, 25, 1), (2, 501, 25, 1), (3, 500, 25, 1)])
    assert figure.calls == 2


async def test_a_19_second_call_counts_0_and_incoming_calls_do_not_count(client, db) -> None:
    figure = await _calls(db, [(1, 500, 19, 1), (2, 501, 600, 2)])
    assert figure is None or figure.calls == 0


async def test_calls_without_a_company_each_count(client, db) -> None:
    figure = await _calls(db, [(1, None, 30, 1), (2, None, 30, 1)])
    assert figure.calls == 2


async def test_distinct_companies_called_per_month_and_per_year_per_manager(client, db) -> None:
    from datetime import datetime, time

    from crm.features.clients import figures
    from crm.features.clients.models import Call
    from crm.features.clients.store import Touched
    from crm.features.plans.scope import Selection, Visible
    from crm.features.plans.stats import build_view
    from crm.lib.i18n import local_tz

    await org(db)

    def call(call_id: int, company: int, day: date, clock: time = time(10), seconds: int = 30, kind: int = 1) -> Call:
        at = datetime.combine(day, clock, local_tz())
        return Call(id=call_id, user_id=21, company_id=company, duration=seconds, call_type=kind, start_at=at)

    db.add_all(
        [
            call(1, 500, date(YEAR, 3, 3)),
            call(2, 501, date(YEAR, 3, 3)),
            call(3, 500, date(YEAR, 3, 4), time(0, 30)),  # 00:30 Moscow time: 4 March
            call(4, 502, date(YEAR, 3, 5), seconds=19),  # too short
            call(5, 503, date(YEAR, 3, 5), kind=2),  # incoming
            call(6, 504, date(YEAR, 3, 8)),  # a holiday: not counted
            call(7, 505, date(YEAR, 4, 1)),
        ]
    )
    await db.flush()
    await figures.rebuild(db)  # what a sync does with the calls it stored
    await db.commit()
    march = await build_view(db, Visible(everything=True), Selection(), YEAR, 3, date(YEAR + 1, 1, 1))
    anna = next(r for g in march.groups for r in g.rows if r.employee.id == 21)
    assert anna.total.companies == 2
    assert (anna.cells[date(YEAR, 3, 3)].companies, anna.cells[date(YEAR, 3, 4)].companies) == (2, 1)
    year = await build_view(db, Visible(everything=True), Selection(), YEAR, None, date(YEAR + 1, 1, 1))
    anna = next(r for g in year.groups for r in g.rows if r.employee.id == 21)
    assert (anna.total.companies, anna.cells[3].companies, anna.cells[4].companies) == (3, 2, 1)

    # a sync that changes a day recomputes that day's companies: call 2 deleted, a new company on 3 March
    call_2 = await db.get(Call, 2)
    call_2.active = False
    db.add(call(8, 506, date(YEAR, 3, 3)))
    await db.flush()
    await figures.recompute(db, Touched(manager_days={(21, date(YEAR, 3, 3))}))
    await db.commit()
    march = await build_view(db, Visible(everything=True), Selection(), YEAR, 3, date(YEAR + 1, 1, 1))
    anna = next(r for g in march.groups for r in g.rows if r.employee.id == 21)
    assert (anna.total.companies, anna.cells[date(YEAR, 3, 3)].companies) == (2, 2)  # 500 and 506

    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    page = await client.get(f"/plans?year={YEAR}&month=3&employee=21")
    assert page.status_code == 200 and "Companies" in page.text and '<td class="num companies">2</td>' in page.text
    page = await client.get(f"/plans?year={YEAR}&employee=21")
    assert '<td class="num companies">3</td>' in page.text  # 500, 506 and 505 (in April)


async def test_the_month_view_has_a_plan_vs_fact_chart_with_its_table_also_when_swapped_in(client, db) -> None:
    import json
    import re

    from crm.features.plans.models import CallPlan

    await org(db)
    db.add_all([fig(21, date(YEAR, 3, 3), 8), CallPlan(employee_id=21, day=date(YEAR, 3, 3), calls=10)])
    await db.commit()
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    for headers in ({}, {"HX-Request": "true"}):
        page = await client.get(f"/plans?year={YEAR}&month=3", headers=headers)
        assert page.status_code == 200 and "Plan vs fact per working day" in page.text
        assert "Numbers as a table" in page.text and '<script type="application/json"' not in page.text
        spec = json.loads(re.search(r"data-chart-spec='([^']*)'", page.text).group(1).replace("&#34;", '"'))
        assert spec["type"] == "bar" and "03.03" in spec["labels"] and "08.03" not in spec["labels"]
        at = spec["labels"].index("03.03")
        assert (spec["datasets"][0]["data"][at], spec["datasets"][1]["data"][at]) == (8, 10)
    year = await client.get(f"/plans?year={YEAR}")
    assert "data-chart-spec" not in year.text


async def test_a_big_organisation_opens_with_department_rows_and_each_department_opens_its_managers(client, db) -> None:
    """Beyond 60 managers the grid shows the departments' sums only (the whole organisation's month would be
    thousands of cells); a department's name opens it, and "Show every manager" draws them all."""
    ids = await org(db)
    for i in range(100, 160):  # 60 more managers in Moscow: 65 in all
        db.add(Employee(id=i, name=f"Менеджер{i}", last_name=f"Фамилия{i}", department_id=ids["moscow"]))
    db.add(fig(150, date(YEAR, 3, 3), 4))
    await db.commit()
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")

    page = (await client.get(f"/plans?year={YEAR}&month=3")).text
    assert "66 managers: each department shows its sums" in page
    assert 'class="name">Фамилия150' not in page and 'class="name">Alpha' not in page  # no manager rows
    assert f'href="/plans?year={YEAR}&amp;month=3&amp;department={ids["moscow"]}"' in page
    assert "rows=all" in page

    moscow = (await client.get(f"/plans?year={YEAR}&month=3&department={ids['moscow']}")).text
    assert "each department shows its sums" not in moscow and 'class="name">Фамилия150' in moscow
    everyone = (await client.get(f"/plans?year={YEAR}&month=3&rows=all")).text
    assert 'class="name">Фамилия150' in everyone and 'class="name">Alpha' in everyone
    assert "each department shows its sums" not in everyone


async def test_a_big_organisation_lists_only_the_chosen_managers_until_the_filter_is_opened(client, db) -> None:
    """Beyond 60 managers the managers filter carries only the chosen ones (200 checkboxes are 45 KB of every
    page and swap); opening it asks /plans/managers for everybody with the chosen ones ticked, and without
    JavaScript "Show all" draws the whole list."""
    ids = await org(db)
    for i in range(100, 160):
        db.add(Employee(id=i, name=f"Менеджер{i}", last_name=f"Фамилия{i}", department_id=ids["moscow"]))
    await db.commit()
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")

    page = (await client.get(f"/plans?year={YEAR}&month=3&employee=150&employee=21")).text
    assert page.count('name="employee"') == 2 and 'id="f-employee-150"' in page and 'id="f-employee-151"' not in page
    assert 'hx-get="/plans/managers?employee=150&amp;employee=21"' in page and "Show all 66 managers" in page
    every = await client.get("/plans/managers?employee=150&employee=21", headers={"HX-Request": "true"})
    assert every.status_code == 200 and every.text.count('name="employee"') == 66
    assert every.text.count("checked") == 2 and "<html" not in every.text
    shown = (await client.get(f"/plans?year={YEAR}&month=3&managers=all")).text
    assert shown.count('name="employee"') == 66 and "Show all" not in shown
    assert (await client.get("/plans/managers?employee=x")).status_code == 200  # a bad id ticks nobody

    await make_user(db, "anna@example.com", ["manager"], department_id=ids["moscow"], employee_bitrix_id=21)
    await login(client, "anna@example.com")
    assert (await client.get("/plans/managers")).text.count('name="employee"') == 1  # only whom they see
