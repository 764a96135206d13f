"""Demo data of the lead desk: operators, sources with weights, a month of contacts; loading twice adds nothing."""

from __future__ import annotations

from sqlalchemy import text


async def test_demo_data_fills_the_desk_once_and_keeps_loads_in_step(client, db):
    from crm.demo import load_demo

    lines = await load_demo(db)
    await db.commit()
    assert any(line.startswith("Lead desk:") for line in lines)
    counts = (
        await db.execute(
            text(
                "SELECT (SELECT count(*) FROM lead_operators), (SELECT count(*) FROM lead_sources), "
                "(SELECT count(*) FROM leads), (SELECT count(*) FROM lead_contacts), "
                "(SELECT count(*) FROM lead_contacts WHERE status = 'open' AND operator_id IS NULL)"
            )
        )
    ).one()
    operators, sources, leads, contacts, waiting = counts
    assert operators == 4 and sources == 3 and 200 <= leads <= 300 and contacts >= 400
    assert waiting >= 1  # the partners overflow their one small operator
    over = await db.execute(
        text(
            "SELECT count(*) FROM lead_operators o WHERE o.open_count > o.max_load OR o.open_count <> "
            "(SELECT count(*) FROM lead_contacts c WHERE c.operator_id = o.id AND c.status = 'open')"
        )
    )
    assert over.scalar_one() == 0
    operator_user = await db.execute(
        text(
            "SELECT count(*) FROM lead_operators o JOIN users u ON u.id = o.user_id "
            "WHERE u.email = 'operator@example.com'"
        )
    )
    assert operator_user.scalar_one() == 1

    again = await load_demo(db)
    await db.commit()
    assert "Lead desk: already loaded." in again
    assert (await db.execute(text("SELECT count(*) FROM lead_contacts"))).scalar_one() == contacts
