"""The list recipe (crm.lib.lists): sort whitelist, a tiebreak that follows the sort, NULLS LAST only where a column
can be NULL, counting, paging past the end on a screen and in the API, and the yes/no/all parser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from litestar.datastructures import MultiDict
from litestar.exceptions import ValidationException
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql

from crm.features.accounts.models import User
from crm.lib.lists import ListParams, ListQuery, Sort, yes_no, yes_no_all
from tests.conftest import make_user

USERS = ListQuery(
    select(User),
    {"email": User.email, "login": User.last_login_at, "name": func.lower(User.name), "strict": Sort(User.name, False)},
    default="email",
    tiebreak=User.id,
)


def sql(stmt) -> str:
    return str(stmt.compile(dialect=postgresql.dialect())).replace("\n", " ")


def test_nulls_last_only_on_nullable_columns_and_the_tiebreak_follows_the_direction():
    assert sql(USERS.ordered("-login")).endswith("ORDER BY users.last_login_at DESC NULLS LAST, users.id DESC")
    assert sql(USERS.ordered("login")).endswith("ORDER BY users.last_login_at ASC, users.id ASC")  # ASC: NULLs last
    # email is NOT NULL: no NULLS LAST, so the index on it gives the order both ways
    assert sql(USERS.ordered("-email")).endswith("ORDER BY users.email DESC, users.id DESC")
    # an expression may be NULL unless said otherwise
    assert "lower(users.name) DESC NULLS LAST" in sql(USERS.ordered("-name"))
    assert sql(USERS.ordered("-strict")).endswith("ORDER BY users.name DESC, users.id DESC")


def test_an_unknown_sort_is_the_default_on_a_screen_and_a_422_naming_sort_in_the_api():
    assert sql(USERS.ordered("password_hash")) == sql(USERS.ordered("email"))
    assert sql(USERS.ordered("")) == sql(USERS.ordered("email"))
    with pytest.raises(ValidationException) as raised:
        USERS.checked("password_hash")
    assert raised.value.extra == [
        {"key": "sort", "message": "one of email, login, name, strict, with '-' for descending"}
    ]
    assert USERS.checked("") == "email" and USERS.checked("-login") == "-login"


@pytest.mark.parametrize(
    ("raw", "three", "two"),
    [
        ("true", True, True),
        ("YES", True, True),
        ("1", True, True),
        ("false", False, False),
        ("no", False, False),
        ("0", False, False),
        ("all", None, "error"),
        ("", None, False),
        ("maybe", "error", "error"),
    ],
)
def test_one_parser_of_yes_no_and_all(raw, three, two):
    for parse, expected in ((yes_no_all, three), (yes_no, two)):
        if expected == "error":
            with pytest.raises(ValidationException) as raised:
                parse("active", raw)
            assert raised.value.extra[0]["key"] == "active"
        else:
            assert parse("active", raw) == expected


async def test_pages_count_sort_with_a_stable_tiebreak_and_stop_at_the_end(client, db):
    for n in range(7):
        await make_user(db, f"u{n}@example.com", ["manager"], name="Same")
    # three of them signed in, the same second for two: the tiebreak decides, in the sort's direction
    when = datetime(2026, 11, 1, tzinfo=UTC)
    for n, shift in ((1, 0), (2, 0), (3, 1)):
        await db.execute(
            update(User).where(User.email == f"u{n}@example.com").values(last_login_at=when + timedelta(hours=shift))
        )
    await db.commit()
    ids = {u.email: u.id for u in (await db.scalars(select(User))).all()}

    page = await USERS.fetch(db, 1, 50, "-login")
    emails = [u.email for u in page.rows]
    assert emails[:3] == ["u3@example.com", *sorted(["u1@example.com", "u2@example.com"], key=ids.get, reverse=True)]
    assert all(u.last_login_at is None for u in page.rows[3:])  # never signed in: last, whatever the direction
    ascending = [u.email for u in (await USERS.fetch(db, 1, 50, "login")).rows]
    assert ascending[:3] == [*sorted(["u1@example.com", "u2@example.com"], key=ids.get), "u3@example.com"]

    # same name for all seven: pages of 3 by name never repeat or skip a row
    seen = []
    for number in (1, 2, 3):
        shown = await USERS.fetch(db, number, 3, "name")
        assert shown.total == 7 and shown.pages == 3
        seen += [u.id for u in shown.rows]
    assert len(seen) == len(set(seen)) == 7

    # past the end: a screen shows the last page, the API an empty one that says where the end is
    params = ListParams(page=99, page_size=3, sort="email", query=MultiDict())
    last = await USERS.page(db, params)
    assert last.page == 3 and [u.email for u in last.rows] == ["u6@example.com"]
    api = await USERS.api(db, 99, 3, "email", lambda u: u.email)
    assert (api.total, api.page, api.page_size, api.rows) == (7, 99, 3, [])
    assert (await USERS.where(User.email == "u1@example.com").total(db)) == 1
