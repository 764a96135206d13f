"""Bitrix24's install callback (ONAPPINSTALL, a POST from the portal) read through a declared form: the tokens are
stored only when proven; a malformed callback is refused naming its field and stores nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from crm.features.clients.connection import encrypt, settings_row
from tests.emulators.bitrix24 import Portal, running
from tests.emulators.fixtures import fast_portal

URL = "/integrations/bitrix24/install"


@pytest.fixture
def portal() -> Portal:
    return fast_portal()


@pytest.fixture
def emulator(portal: Portal) -> Iterator[Any]:
    with running(portal) as emu:
        yield emu


async def test_a_malformed_install_callback_is_refused_naming_the_field_and_stores_nothing(
    client, db, emulator, portal
) -> None:
    row = await settings_row(db)
    row.mode, row.portal, row.client_id = "app", emulator.base_url, portal.client_id
    row.client_secret_enc = encrypt(portal.client_secret)
    await db.commit()
    tokens = portal.issue_tokens()
    form = {
        "event": "ONAPPINSTALL",
        "auth[access_token]": tokens["access_token"],
        "auth[refresh_token]": tokens["refresh_token"],
        "auth[client_endpoint]": emulator.client_endpoint,
        "auth[domain]": urlsplit(emulator.base_url).netloc,
    }
    for name, value in (("auth[access_token]", "x" * 4001), ("auth[domain]", "d" * 256)):
        answer = await client.post(URL, data={**form, name: value}, headers={"Accept": "application/json"})
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == name, answer.text
    no_tokens = await client.post(URL, data={**form, "auth[refresh_token]": ""}, headers={"Accept": "application/json"})
    assert no_tokens.status_code == 401, no_tokens.text
    no_domain = {k: v for k, v in form.items() if k != "auth[domain]"}  # the REST address names the portal
    await db.refresh(row)
    assert not row.access_token_enc
    ok = await client.post(URL, data=no_domain)
    assert ok.status_code in (200, 201), ok.text
    await db.refresh(row)
    assert row.access_token_enc and row.client_endpoint == emulator.base_url.rstrip("/") + "/rest/"
