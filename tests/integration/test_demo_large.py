"""``crm demo load --scale large`` at a thousandth of its size: every COPY of the large organisation runs, the slices'
rebuilds make the derived figures from the copied rows, the ids continue where the copies stopped, a generated
manager signs in and sees their own companies, and a second load adds nothing."""

from __future__ import annotations

from sqlalchemy import text

from tests.conftest import login

TABLES = (
    "users", "employees", "companies", "contacts", "crm_leads", "deals", "activities", "calls", "leads",
    "lead_contacts", "telegrams", "erp_clients", "sales_lines", "call_plans", "goals", "goal_targets", "strategies",
    "strategy_clients", "tasks", "audit_log",
)  # fmt: skip
DERIVED = ("company_figures", "company_pipeline_figures", "manager_day_figures", "client_month_sales",
           "analysis_client_months", "analysis_month_totals", "lead_daily_counts")  # fmt: skip


async def _counts(db, tables) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {t: (await db.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one() for t in tables}  # noqa: S608


async def test_large_demo_at_a_small_factor_copies_everything_derives_figures_and_loads_once(client, db):
    from crm.demo import load_demo

    small = await _counts(db, TABLES)
    await load_demo(db)
    await db.commit()
    after_small = await _counts(db, TABLES)
    small_top = (await db.execute(text("SELECT max(id) FROM companies"))).scalar_one()
    index_sql = text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1")
    indexes = (await db.execute(index_sql)).all()
    lines = await load_demo(db, scale="large", factor=0.001)
    await db.commit()
    assert any(line.startswith("Large demo (factor 0.001)") for line in lines), lines
    large = await _counts(db, TABLES)
    grown = {t: large[t] - after_small[t] for t in TABLES}
    # a thousandth of the spec's organisation (each count has a floor so every generator writes rows)
    assert grown["companies"] == 100 and grown["deals"] == 1000, grown
    assert grown["activities"] == 3000 and grown["calls"] == 2000, grown
    assert grown["lead_contacts"] == 1000 and grown["leads"] == 600, grown
    assert grown["sales_lines"] == 1000 and grown["telegrams"] >= 40, grown
    assert all(n > 0 for n in grown.values()), grown
    assert small["companies"] == 0

    # the secondary indexes dropped for the COPYs are all back, as they were
    assert (await db.execute(index_sql)).all() == indexes
    derived = await _counts(db, DERIVED)
    assert all(n > 0 for n in derived.values()), derived
    one = lambda sql: db.execute(text(sql))  # noqa: E731
    # the figures are the slices' own: the last communication equals the newest counted call or activity
    stale = await one(
        "SELECT count(*) FROM company_figures f JOIN companies c ON c.id = f.company_id "
        "WHERE f.last_communication_at < (SELECT max(k.start_at) FROM calls k "
        "WHERE k.company_id = c.id AND k.active AND k.duration >= 20)"
    )
    assert stale.scalar_one() == 0
    # every large company's responsible is an employee who is a user (row scope of managers works)
    orphans = await db.execute(
        text(
            "SELECT count(*) FROM companies c WHERE c.id > :top AND NOT EXISTS (SELECT 1 FROM users u "
            "WHERE u.employee_bitrix_id = c.responsible_id)"
        ),
        {"top": small_top},
    )
    assert orphans.scalar_one() == 0
    loads = await one(
        "SELECT count(*) FROM lead_operators o WHERE o.open_count <> "
        "(SELECT count(*) FROM lead_contacts c WHERE c.operator_id = o.id AND c.status = 'open')"
    )
    assert loads.scalar_one() == 0
    from crm.demo_large.org import DEPARTMENT_TREE

    names = [name for name, _parent, _kind in DEPARTMENT_TREE]
    tree = await db.execute(
        text("SELECT count(*) FROM departments WHERE name = ANY(:names) AND bitrix_id IS NOT NULL"), {"names": names}
    )
    assert tree.scalar_one() == len(names) == 44  # the small demo's departments are reused, not doubled
    assert sum(kind == "sales" for _n, _p, kind in DEPARTMENT_TREE) == 30
    # the sequences continue after the copied ids: the app's next insert does not collide
    for table in ("tasks", "telegrams", "audit_log", "goals", "strategies", "sales_lines", "lead_contacts", "leads"):
        seq = await one(f"SELECT coalesce(pg_get_serial_sequence('{table}', 'id'), '{table}_id_seq')")
        name = seq.scalar_one()
        row = await one(f"SELECT last_value >= (SELECT max(id) FROM {table}) FROM {name}")  # noqa: S608
        assert row.scalar_one(), table

    manager = (
        await one(
            "SELECT u.email FROM users u JOIN companies c ON c.responsible_id = u.employee_bitrix_id "
            "JOIN user_roles ur ON ur.user_id = u.id JOIN roles r ON r.id = ur.role_id AND r.name = 'manager' "
            "GROUP BY u.email ORDER BY count(*) DESC, u.email LIMIT 1"
        )
    ).scalar_one()
    await login(client, manager, "crm-demo-2026")
    page = await client.get("/companies")
    assert page.status_code == 200 and page.text.count('<td><a href="/companies/') > 0

    again = await load_demo(db, scale="large", factor=0.001)
    await db.commit()
    assert any(line.startswith("Large demo: already loaded") for line in again), again
    assert await _counts(db, TABLES) == large
