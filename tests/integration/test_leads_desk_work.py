"""An operator's day at the lead desk (issue 9): the unassigned queue and taking a contact from it, closing with an
outcome and a comment, reopening a contact closed by mistake — with the loads kept in step and every step audited."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import text

from tests.conftest import login, make_user, post_form
from tests.integration.test_leads_fixtures import bearer, engine, make_operator, make_source, post_contact
from tests.integration.test_leads_pages import htmx_post

__all__ = ["engine"]


async def _queue_desk(client, db) -> dict:
    """Anna (max 1) and Boris (max 3) serve the site; Vera serves only the partners' bot. Two contacts wait."""
    anna = await make_operator(db, "anna@example.com", max_load=1, name="Анна Операторова")
    boris = await make_operator(db, "boris@example.com", max_load=3, name="Борис Операторов")
    vera = await make_operator(db, "vera@example.com", max_load=3, name="Вера Партнёрская")
    source, key = await make_source(db, "Сайт", {anna: 1, boris: 1})
    partners, _pkey = await make_source(db, "Партнёры", {vera: 1})
    await db.execute(text("UPDATE lead_operators SET is_active = false WHERE id = :id"), {"id": boris})
    await db.commit()
    contacts = [(await post_contact(client, key, phone=f"+7912600000{i}", name=f"Клиент {i}",
                                    message="Перезвоните")).json() for i in range(3)]  # fmt: skip
    await db.execute(text("UPDATE lead_operators SET is_active = true WHERE id = :id"), {"id": boris})
    await db.commit()
    waiting = [c for c in contacts if c["operator_id"] is None]
    assert len(waiting) == 2 and contacts[0]["operator_id"] == anna
    return {"anna": anna, "boris": boris, "vera": vera, "source": source, "partners": partners, "key": key,
            "contacts": contacts, "waiting": waiting}  # fmt: skip


async def _load(db, operator_id: int) -> int:
    counter, actual = (
        await db.execute(
            text("SELECT open_count, (SELECT count(*) FROM lead_contacts WHERE operator_id = :id AND status = 'open') "
                 "FROM lead_operators WHERE id = :id"),
            {"id": operator_id},
        )
    ).one()  # fmt: skip
    assert counter == actual
    return int(counter)


async def _contact(db, contact_id: int) -> dict:
    row = await db.execute(text("SELECT * FROM lead_contacts WHERE id = :id"), {"id": contact_id})
    return dict(row.mappings().one())


def _toast(response) -> str:
    return json.dumps(json.loads(response.headers.get("HX-Trigger", "{}")), ensure_ascii=False)


# --------------------------------------------------------------------------- the queue and taking


async def test_an_operator_sees_the_waiting_contacts_of_their_sources_and_takes_one_with_one_click(client, db):
    desk = await _queue_desk(client, db)
    await login(client, "boris@example.com")
    page = await client.get("/leads/queue")
    assert page.status_code == 200
    for contact in desk["waiting"]:
        assert f'id="c-{contact["id"]}"' in page.text
        assert f'hx-post="/leads/contacts/{contact["id"]}/take"' in page.text
    assert 'href="/leads/queue"' in (await client.get("/leads/my")).text  # the tab is there for operators

    first = desk["waiting"][0]
    taken = await htmx_post(client, f"/leads/contacts/{first['id']}/take", {}, f"c-{first['id']}")
    assert taken.status_code == 200, taken.text
    assert "leads-changed" in taken.headers["HX-Trigger"]
    row = await _contact(db, first["id"])
    assert row["operator_id"] == desk["boris"] and row["status"] == "open" and row["reason_code"] == "taken"
    assert await _load(db, desk["boris"]) == 1
    owner = await db.execute(text("SELECT operator_id FROM leads WHERE id = :id"), {"id": first["lead_id"]})
    assert owner.scalar_one() == desk["boris"]
    assert f'id="c-{first["id"]}"' in (await client.get("/leads/my")).text
    assert f'id="c-{first["id"]}"' not in (await client.get("/leads/queue")).text
    audit = await db.execute(
        text("SELECT action, actor_email FROM audit_log WHERE entity = 'lead_contact' AND entity_id = :id"),
        {"id": str(first["id"])},
    )
    assert audit.all() == [("take", "boris@example.com")]

    # the statistics' daily counts and the loads still agree with the contacts
    from crm.features.leads.unassigned import Reconciled, reconcile
    from crm.lib.db import alchemy_config

    assert await reconcile(alchemy_config().get_engine()) == Reconciled(loads={}, daily_rows=0)


async def test_an_operator_cannot_take_beyond_their_max_load_or_from_a_source_they_do_not_serve(client, db):
    desk = await _queue_desk(client, db)
    contact = desk["waiting"][0]
    await login(client, "anna@example.com")  # max_load 1, already has one
    full = await htmx_post(client, f"/leads/contacts/{contact['id']}/take", {}, f"c-{contact['id']}")
    assert full.status_code == 409 and "maximum load" in _toast(full)
    assert (await _contact(db, contact["id"]))["operator_id"] is None
    assert await _load(db, desk["anna"]) == 1
    await post_form(client, "/logout", {})

    await login(client, "vera@example.com")  # serves only the partners' bot
    queue = await client.get("/leads/queue")
    assert queue.status_code == 200 and f'id="c-{contact["id"]}"' not in queue.text
    foreign = await htmx_post(client, f"/leads/contacts/{contact['id']}/take", {}, f"c-{contact['id']}")
    assert foreign.status_code == 404
    assert (await _contact(db, contact["id"]))["operator_id"] is None


async def test_the_second_of_two_operators_taking_the_same_contact_is_told_it_is_gone(client, db):
    desk = await _queue_desk(client, db)
    await db.execute(text("UPDATE lead_operators SET max_load = 5 WHERE id = :id"), {"id": desk["anna"]})
    await db.commit()
    contact = desk["waiting"][0]
    await login(client, "boris@example.com")
    won = await htmx_post(client, f"/leads/contacts/{contact['id']}/take", {}, f"c-{contact['id']}")
    assert won.status_code == 200
    await post_form(client, "/logout", {})
    await login(client, "anna@example.com")
    lost = await htmx_post(client, f"/leads/contacts/{contact['id']}/take", {}, f"c-{contact['id']}")
    assert lost.status_code == 409 and "already taken" in _toast(lost)
    assert "leads-changed" in lost.headers["HX-Trigger"]  # the queue refreshes without the contact
    assert (await _contact(db, contact["id"]))["operator_id"] == desk["boris"]
    assert await _load(db, desk["anna"]) == 1 and await _load(db, desk["boris"]) == 1


async def test_operators_taking_the_same_contacts_at_the_same_moment_never_both_get_one(client, db, engine):
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from crm.features.leads import work
    from crm.features.leads.unassigned import Reconciled, reconcile

    operators = [await make_operator(db, f"op{i}@example.com", max_load=50) for i in range(8)]
    away = await make_operator(db, "away@example.com", max_load=50)
    source, key = await make_source(db, "Сайт", {away: 1})
    await db.execute(text("UPDATE lead_operators SET is_active = false WHERE id = :id"), {"id": away})
    await db.commit()
    waiting = [(await post_contact(client, key, phone=f"+7912610000{i}")).json()["id"] for i in range(5)]
    await db.execute(
        text("INSERT INTO lead_competences (operator_id, source_id, weight) SELECT id, :s, 1 FROM lead_operators "
             "WHERE id <> :away"), {"s": source, "away": away})  # fmt: skip
    await db.commit()
    users = {
        op: (await db.execute(text("SELECT user_id FROM lead_operators WHERE id = :id"), {"id": op})).scalar_one()
        for op in operators
    }
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def take(operator_id: int, contact_id: int, barrier: asyncio.Barrier) -> bool:
        from crm.features.accounts.models import User

        async with sessions() as session:
            actor = await session.get(User, users[operator_id])
            await barrier.wait()
            try:
                await work.take_contact(session, contact_id, operator_id, actor)
            except work.WorkError as exc:
                await session.rollback()
                assert exc.code == "gone", exc
                return False
            await session.commit()
            return True

    for contact_id in waiting:
        barrier = asyncio.Barrier(len(operators))
        outcomes = await asyncio.gather(*(take(op, contact_id, barrier) for op in operators))
        assert outcomes.count(True) == 1, outcomes
    taken = await db.execute(text("SELECT count(DISTINCT id) FROM lead_contacts WHERE operator_id IS NOT NULL"))
    assert taken.scalar_one() == 5
    assert sum([await _load(db, op) for op in operators]) == 5
    assert await reconcile(engine) == Reconciled(loads={}, daily_rows=0)


# --------------------------------------------------------------------------- closing with an outcome


async def test_a_contact_is_closed_with_an_outcome_and_a_comment_shown_on_the_card_and_in_the_api(client, db):
    desk = await _queue_desk(client, db)
    mine = desk["contacts"][0]
    await login(client, "anna@example.com")
    page = await client.get("/leads/my")
    assert f'hx-get="/leads/contacts/{mine["id"]}/close?mode=my"' in page.text
    form = await client.get(f"/leads/contacts/{mine['id']}/close?mode=my",
                            headers={"HX-Request": "true", "HX-Target": f"close-{mine['id']}"})  # fmt: skip
    assert form.status_code == 200 and "<html" not in form.text
    assert 'name="outcome"' in form.text and 'value="wrong_number"' in form.text and 'name="comment"' in form.text
    without_js = await client.get(f"/leads/contacts/{mine['id']}/close")
    assert without_js.status_code == 200 and 'name="outcome"' in without_js.text and "<html" in without_js.text
    plain = await post_form(client, f"/leads/contacts/{mine['id']}/close", {"comment": "нет"})
    assert plain.status_code == 422 and f'id="oe-{mine["id"]}"' in plain.text  # the page, with the message

    missing = await htmx_post(client, f"/leads/contacts/{mine['id']}/close", {"mode": "my", "comment": "нет ответа"},
                              f"c-{mine['id']}")  # fmt: skip
    assert missing.status_code == 422
    assert f'id="oe-{mine["id"]}"' in missing.text and "Choose an outcome." in missing.text
    assert "нет ответа" in missing.text  # what was typed stays
    bad = await htmx_post(client, f"/leads/contacts/{mine['id']}/close", {"mode": "my", "outcome": "maybe"},
                          f"c-{mine['id']}")  # fmt: skip
    assert bad.status_code == 422
    long = await htmx_post(client, f"/leads/contacts/{mine['id']}/close",
                           {"mode": "my", "outcome": "reached", "comment": "x" * 2001}, f"c-{mine['id']}")  # fmt: skip
    assert long.status_code == 422 and f'id="ce-{mine["id"]}"' in long.text
    assert (await _contact(db, mine["id"]))["status"] == "open"

    closed = await htmx_post(client, f"/leads/contacts/{mine['id']}/close",
                             {"mode": "my", "outcome": "wrong_number", "comment": "  Номер не существует  "},
                             f"c-{mine['id']}")  # fmt: skip
    assert closed.status_code == 200 and "leads-changed" in closed.headers["HX-Trigger"]
    row = await _contact(db, mine["id"])
    assert row["status"] == "closed" and row["outcome"] == "wrong_number"
    assert row["close_comment"] == "Номер не существует"
    assert await _load(db, desk["anna"]) in (0, 1)  # freed (a live worker may give the place out again)

    card = await client.get(f"/leads/{mine['lead_id']}")
    assert "Wrong number" in card.text and "Номер не существует" in card.text
    headers = await bearer(client, "anna@example.com")
    lead = (await client.get(f"/api/v1/leads/{mine['lead_id']}", headers=headers)).json()
    api_row = next(c for c in lead["contacts"] if c["id"] == mine["id"])
    assert api_row["outcome"] == "wrong_number" and api_row["close_comment"] == "Номер не существует"
    assert api_row["closed_by"] == "Анна Операторова"
    audit = await db.execute(
        text("SELECT action, changes FROM audit_log WHERE entity = 'lead_contact' AND entity_id = :id"),
        {"id": str(mine["id"])},
    )
    action, changes = audit.one()
    assert action == "close" and changes["outcome"] == [None, "wrong_number"]


async def test_the_api_closes_with_an_outcome_and_refuses_an_unknown_one(client, db):
    desk = await _queue_desk(client, db)
    mine = desk["contacts"][0]
    headers = await bearer(client, "anna@example.com")
    bad = await client.post(f"/api/v1/contacts/{mine['id']}/close", json={"outcome": "maybe"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "outcome"
    closed = await client.post(f"/api/v1/contacts/{mine['id']}/close",
                               json={"outcome": "duplicate", "comment": "Уже звонил"}, headers=headers)  # fmt: skip
    assert closed.status_code == 200
    assert closed.json()["outcome"] == "duplicate" and closed.json()["close_comment"] == "Уже звонил"
    plain = await client.post(f"/api/v1/contacts/{mine['id']}/close", headers=headers)  # no body: still harmless
    assert plain.status_code == 200 and plain.json()["outcome"] == "duplicate"


# --------------------------------------------------------------------------- reopening


async def test_the_operator_who_closed_a_contact_by_mistake_reopens_it_and_the_load_comes_back(client, db, engine):
    from crm.features.leads.unassigned import Reconciled, reconcile

    desk = await _queue_desk(client, db)
    await db.execute(text("UPDATE lead_operators SET max_load = 3 WHERE id = :id"), {"id": desk["anna"]})
    await db.commit()
    mine = desk["contacts"][0]
    await login(client, "anna@example.com")
    await htmx_post(client, f"/leads/contacts/{mine['id']}/close", {"mode": "my", "outcome": "reached"},
                    f"c-{mine['id']}")  # fmt: skip
    closed_list = await client.get("/leads/my?status=closed")
    assert f'hx-post="/leads/contacts/{mine["id"]}/reopen"' in closed_list.text
    reopened = await htmx_post(client, f"/leads/contacts/{mine['id']}/reopen", {"mode": "my"}, f"c-{mine['id']}")
    assert reopened.status_code == 200 and "leads-changed" in reopened.headers["HX-Trigger"]
    row = await _contact(db, mine["id"])
    assert row["status"] == "open" and row["operator_id"] == desk["anna"]
    assert row["outcome"] is None and row["closed_at"] is None and row["closed_by_id"] is None
    assert await _load(db, desk["anna"]) >= 1
    again = await htmx_post(client, f"/leads/contacts/{mine['id']}/reopen", {"mode": "my"}, f"c-{mine['id']}")
    assert again.status_code == 200  # a double click is harmless
    assert await reconcile(engine) == Reconciled(loads={}, daily_rows=0)
    actions = await db.execute(
        text("SELECT action FROM audit_log WHERE entity = 'lead_contact' AND entity_id = :id ORDER BY id"),
        {"id": str(mine["id"])},
    )
    assert actions.scalars().all() == ["close", "reopen"]


async def test_reopening_is_refused_after_the_window_to_others_and_when_the_operator_is_full(client, db):
    desk = await _queue_desk(client, db)
    mine = desk["contacts"][0]
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "anna@example.com")
    await htmx_post(client, f"/leads/contacts/{mine['id']}/close", {"mode": "my", "outcome": "not_reached"}, "x")

    # long ago: the operator may not reopen any more, an admin still may
    await db.execute(text("UPDATE lead_contacts SET closed_at = now() - interval '2 hours' WHERE id = :id"),
                     {"id": mine["id"]})  # fmt: skip
    await db.commit()
    late = await htmx_post(client, f"/leads/contacts/{mine['id']}/reopen", {"mode": "my"}, "x")
    assert late.status_code == 403 and "administrator" in _toast(late)
    assert f"/leads/contacts/{mine['id']}/reopen" not in (await client.get("/leads/my?status=closed")).text
    await post_form(client, "/logout", {})

    # another operator cannot even see it
    await login(client, "boris@example.com")
    assert (await htmx_post(client, f"/leads/contacts/{mine['id']}/reopen", {}, "x")).status_code == 404
    await post_form(client, "/logout", {})

    # the operator is full again (the queue gave her place out): the admin is told, nobody goes above max_load
    await db.execute(text("UPDATE lead_operators SET max_load = 0 WHERE id = :id"), {"id": desk["anna"]})
    await db.commit()
    await login(client, "admin@example.com")
    full = await htmx_post(client, f"/leads/contacts/{mine['id']}/reopen", {"mode": "all"}, "x")
    assert full.status_code == 409 and "maximum load" in _toast(full)
    assert (await _contact(db, mine["id"]))["status"] == "closed"
    await db.execute(text("UPDATE lead_operators SET max_load = 1 WHERE id = :id"), {"id": desk["anna"]})
    await db.commit()
    ok = await htmx_post(client, f"/leads/contacts/{mine['id']}/reopen", {"mode": "all"}, "x")
    assert ok.status_code == 200
    assert (await _contact(db, mine["id"]))["status"] == "open" and await _load(db, desk["anna"]) == 1
    plain = await post_form(client, f"/leads/contacts/{mine['id']}/reopen", {}, follow_redirects=False)
    assert plain.status_code == 303  # without htmx: back to the list, nothing to re-submit


async def test_take_and_reopen_through_the_api(client, db):
    desk = await _queue_desk(client, db)
    headers = await bearer(client, "boris@example.com")
    contact = desk["waiting"][0]
    taken = await client.post(f"/api/v1/contacts/{contact['id']}/take", headers=headers)
    assert taken.status_code == 200 and taken.json()["operator_id"] == desk["boris"]
    again = await client.post(f"/api/v1/contacts/{contact['id']}/take", headers=headers)
    assert again.status_code == 409
    closed = await client.post(f"/api/v1/contacts/{contact['id']}/close", json={"outcome": "other"}, headers=headers)
    assert closed.status_code == 200
    reopened = await client.post(f"/api/v1/contacts/{contact['id']}/reopen", headers=headers)
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"
    assert await _load(db, desk["boris"]) == 1


# --------------------------------------------------------------------------- sources: warnings and PRG


async def test_the_no_weights_warning_goes_away_as_soon_as_a_weight_is_set(client, db):
    anna = await make_operator(db, "anna@example.com", name="Анна Операторова")
    source, _key = await make_source(db, "Новый бот")
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    page = await client.get("/leads/sources")
    assert 'id="sources"' in page.text and "no weights" in page.text
    saved = await htmx_post(client, f"/leads/sources/{source}/weights/{anna}", {"weight": "5"}, "weights")
    assert saved.status_code == 200
    oob = saved.text.split('id="sources"')[1].split("</table>")[0]
    assert 'hx-swap-oob="true"' in saved.text.split('id="sources"')[0][-200:] + saved.text.split('id="sources"')[1][:80]
    assert "no weights" not in oob and "Новый бот" in oob
    zero = await htmx_post(client, f"/leads/sources/{source}/weights/{anna}", {"weight": "0"}, "weights")
    assert "no weights" in zero.text.split('id="sources"')[1]


async def test_adding_a_source_or_a_new_key_redirects_and_shows_the_key_once(client, db):
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    created = await post_form(client, "/leads/sources", {"name": "Telegram-бот"}, follow_redirects=False)
    assert created.status_code == 303 and created.headers["location"] == "/leads/sources"
    shown = await client.get("/leads/sources")
    key = shown.text.split('<code class="token">')[1].split("</code>")[0]
    assert key.startswith("lik_")
    reloaded = await client.get("/leads/sources")
    assert key not in reloaded.text and key[:12] in reloaded.text
    assert (await db.execute(text("SELECT count(*) FROM lead_sources"))).scalar_one() == 1
    source_id = (await db.execute(text("SELECT id FROM lead_sources"))).scalar_one()
    rotated = await post_form(client, f"/leads/sources/{source_id}/rotate", {}, follow_redirects=False)
    assert rotated.status_code == 303
    new_key = (await client.get("/leads/sources")).text.split('<code class="token">')[1].split("</code>")[0]
    assert new_key != key and new_key.startswith("lik_")
    intake = await post_contact(client, new_key, phone="+79126200000")
    assert intake.status_code == 400  # the key works (the source simply has no weights yet)


async def test_every_form_post_of_the_desk_answers_a_redirect_or_a_partial_after_success(client, db):
    desk = await _queue_desk(client, db)
    await make_user(db, "admin@example.com", ["admin"])
    newcomer = await make_user(db, "new@example.com", ["operator"])
    await login(client, "admin@example.com")
    contact = desk["contacts"][0]
    posts = [
        ("/leads/operators", {"user_id": str(newcomer.id), "max_load": "4"}),
        (f"/leads/operators/{desk['anna']}/active", {"active": "true"}),
        (f"/leads/operators/{desk['anna']}/max-load", {"max_load": "4"}),
        ("/leads/sources", {"name": "Ещё бот"}),
        (f"/leads/sources/{desk['source']}/rotate", {}),
        (f"/leads/sources/{desk['source']}/active", {"active": "true"}),
        (f"/leads/sources/{desk['source']}/weights/{desk['anna']}", {"weight": "2"}),
        (f"/leads/contacts/{contact['id']}/close", {"outcome": "reached"}),
        (f"/leads/contacts/{contact['id']}/reopen", {}),
        ("/leads/queue/give-out", {}),
    ]
    for url, data in posts:
        response = await post_form(client, url, data, follow_redirects=False)
        assert response.status_code == 303, (url, response.status_code, response.text[:300])
