"""The web process freezes what start-up made (``gc.freeze``) so full collections stop walking it: without it a
page that allocates a lot paid a few hundred milliseconds every few requests (the goals list: every third)."""

from __future__ import annotations

import gc


async def test_the_started_app_has_moved_its_start_up_objects_out_of_the_collectors_reach(client) -> None:
    assert (await client.get("/health")).status_code == 200
    assert gc.get_freeze_count() > 10_000  # modules, mappers, templates, catalogues
