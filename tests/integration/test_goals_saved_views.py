"""Saved views of the client analysis (goals.saved_views): one per name and person, at most 50, a name needed;
a refusal writes nothing and says why."""

from __future__ import annotations

from sqlalchemy import func, select

from crm.features.goals import saved_views
from crm.features.goals.models import AnalysisView
from tests.conftest import login, make_user, post_form


async def test_a_view_saved_under_a_used_name_replaces_it_and_the_fifty_first_is_refused(client, db) -> None:
    anna = await make_user(db, "anna@example.com", ["admin"])
    boris = await make_user(db, "boris@example.com", ["admin"])
    assert await saved_views.save(db, anna.id, "", "month=2026-03") == saved_views.NO_NAME
    assert await saved_views.save(db, anna.id, "Mine", "month=2026-03") is None
    assert await saved_views.save(db, anna.id, "Mine", "month=2026-04") is None  # replaced, not a second
    assert await saved_views.save(db, boris.id, "Mine", "month=2026-05") is None  # another person's own
    await db.commit()
    mine = (await db.scalars(select(AnalysisView).where(AnalysisView.user_id == anna.id))).all()
    assert [(v.name, v.query) for v in mine] == [("Mine", "month=2026-04")]

    for i in range(49):
        assert await saved_views.save(db, anna.id, f"View {i}", "") is None
    assert await saved_views.save(db, anna.id, "One too many", "") == saved_views.TOO_MANY
    assert await saved_views.save(db, anna.id, "View 3", "month=2026-06") is None  # replacing is still allowed
    await db.commit()
    count = select(func.count()).where(AnalysisView.user_id == anna.id)
    assert await db.scalar(count) == 50

    await login(client, "anna@example.com")
    refused = await post_form(client, "/analysis/views", {"name": "Fifty-one", "query": "x=1"}, follow_redirects=True)
    assert "At most 50 views" in refused.text and await db.scalar(count) == 50
    others = (await db.scalars(select(AnalysisView.id).where(AnalysisView.user_id == boris.id))).one()
    await post_form(client, f"/analysis/views/{others}/delete", {}, follow_redirects=False)
    assert await db.scalar(select(func.count()).where(AnalysisView.user_id == boris.id)) == 1  # not hers to delete
