"""A page's background poll (the bell's count) does not keep an unattended tab signed in: only what a person does
slides the session's idle expiry."""

from __future__ import annotations

import time

from crm.lib import auth
from tests.conftest import login, make_user


async def test_the_bells_poll_does_not_renew_the_session_but_a_page_does(client, db, monkeypatch):
    await make_user(db, "anna@example.com", ["manager"])
    await login(client, "anna@example.com")
    later = time.time() + 2 * auth.SESSION_RENEW_EVERY_S  # past the once-a-minute renewal
    monkeypatch.setattr(auth.time, "time", lambda: later)

    poll = await client.get("/alerts/count", headers={"HX-Request": "true"})
    assert poll.status_code == 200
    assert "set-cookie" not in poll.headers  # the idle clock keeps running

    page = await client.get("/")
    assert page.status_code == 200
    assert "crm_session=" in page.headers.get("set-cookie", "")  # renewed: the person is there
