"""A board column draws at most 50 cards (open) or 30 (closed) and links the rest to the list filtered by that
status ("N more — show in the list"); the cards share one move form (one CSRF token per board, not per card) and
their move buttons still work without a script."""

from __future__ import annotations

import re

from crm.features.tasks.models import Task
from crm.features.tasks.pages import COLUMN_LIMIT
from tests.conftest import login
from tests.integration.test_tasks_api import team


async def test_a_full_column_shows_fifty_cards_and_links_the_rest_to_the_list(client, db) -> None:
    people = await team(db)
    anna = people["anna"]
    db.add_all([Task(title=f"todo {n:03d}", assignee_id=anna.id, creator_id=anna.id) for n in range(COLUMN_LIMIT + 7)])
    db.add_all(
        [Task(title=f"doing {n}", assignee_id=anna.id, creator_id=anna.id, status="in_progress") for n in range(3)]
    )
    await db.commit()
    await login(client, "anna@example.com")
    page = await client.get("/tasks")
    assert page.status_code == 200 and COLUMN_LIMIT == 50
    html = page.text
    todo = html[html.index('id="col-todo"') : html.index('id="col-in_progress"')]
    doing = html[html.index('id="col-in_progress"') : html.index('id="col-done"')]
    assert todo.count('class="tk-card prio') == 50 and doing.count('class="tk-card prio') == 3
    assert "7 more — show in the list" in todo and 'href="/tasks/list?status=todo"' in todo
    assert "show in the list" not in doing
    assert html.count('name="_csrf_token"') < 5  # the board's one move form and the layout's, not one a card
    assert len(re.findall(r'form="tk-move" formaction="/tasks/\d+/move"', page.text)) == 2 * 53
    assert len(page.text) < 60_000  # 53 cards, ~500 bytes each, and the page around them


async def test_a_move_button_without_a_script_posts_the_shared_form(client, db) -> None:
    people = await team(db)
    anna = people["anna"]
    task = Task(title="Call", assignee_id=anna.id, creator_id=anna.id)
    db.add(task)
    await db.commit()
    await login(client, "anna@example.com")
    page = (await client.get("/tasks")).text
    token = re.search(
        r'<form id="tk-move" method="post"[^>]*>\s*<input type="hidden" name="_csrf_token" value="([^"]+)"', page
    )
    assert token, "the board's move form carries the CSRF token"
    moved = await client.post(
        f"/tasks/{task.id}/move", data={"_csrf_token": token.group(1), "status": "in_progress"}, follow_redirects=False
    )
    assert moved.status_code == 303
    await db.refresh(task)
    assert task.status == "in_progress"
