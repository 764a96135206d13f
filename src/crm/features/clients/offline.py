"""Incremental sync of a local app by offline events, consumed at least once (reference §5.6)."""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from crm.features.clients import store
from crm.features.clients.streams import ENTITY_OF_STREAM, EVENT_ENTITIES, OFFLINE_EVENTS, RECORD_STREAMS, STREAMS
from crm.integrations.bitrix24 import AuthError, Bitrix24Error

if TYPE_CHECKING:
    from crm.features.clients.engine import Sync

log = logging.getLogger("crm.sync")


class OfflineEvents:
    """Mixed into ``Sync``."""

    async def offline_events(self: Sync) -> None:  # type: ignore[misc]
        """At-least-once consumption (reference §5.6): persist the process_id before processing, re-read the
        touched records by id, upsert, then clear; a stored process_id is recovered first."""
        await self.ensure_bindings()
        connector = self.conn.auth_connector
        while True:
            async with self.sessions() as session:
                pending = (await self._state(session, "offline")).get("process_id")
            if pending:
                params = {"process_id": pending, "clear": 0, "limit": 1000, "auth_connector": connector}
            else:
                params = {"clear": 0, "limit": 50, "auth_connector": connector}
            reply = (await self.client.call("event.offline.get", params)).result or {}
            pid, events = reply.get("process_id"), reply.get("events") or []
            if not events:
                if pending:
                    async with self.sessions() as session:
                        await self._set_state(session, "offline", None)
                        await session.commit()
                    continue
                return
            if not pending:
                async with self.sessions() as session:
                    await self._set_state(session, "offline", {"process_id": pid})
                    await session.commit()
            try:
                await self._process_events(events)
            except Bitrix24Error as exc:
                if exc.transient or isinstance(exc, AuthError):
                    raise  # retried by the next run through the stored process_id
                # a poison batch: park it (visible with error=1) rather than block the queue for ever
                log.warning("sync: offline batch of %d events parked: %s", len(events), exc.code)
                await self.client.call(
                    "event.offline.error",
                    {
                        "process_id": pid,
                        "message_id": sorted({e["MESSAGE_ID"] for e in events}),
                        "auth_connector": connector,
                    },
                )
                async with self.sessions() as session:
                    await self._set_state(session, "offline", None)
                    await session.commit()
                self.counts["events_parked"] += len(events)
                continue
            if self.before_clear is not None:
                await self.before_clear()
            unique = sorted({e["MESSAGE_ID"] for e in events})
            await self.client.call(
                "event.offline.clear", {"process_id": pid, "message_id": unique, "auth_connector": connector}
            )
            async with self.sessions() as session:
                await self._set_state(session, "offline", None)
                await session.commit()
            self.counts["events"] += len(events)

    async def ensure_bindings(self: Sync) -> None:  # type: ignore[misc]
        connector = self.conn.auth_connector
        bound = {
            (b.get("event"), b.get("connector_id", ""))
            for b in ((await self.client.call("event.get")).result or [])
            if isinstance(b, dict)
        }
        commands = {
            f"b{i:02d}": ("event.bind", {"event": name, "event_type": "offline", "auth_connector": connector})
            for i, name in enumerate(OFFLINE_EVENTS)
            if (name, connector) not in bound
        }
        if commands:
            result = await self.client.batch(commands)
            if result.errors:
                raise next(iter(result.errors.values()))

    async def _process_events(self: Sync, events: list[dict[str, Any]]) -> None:  # type: ignore[misc]
        ids: dict[str, set[int]] = defaultdict(set)
        for event in events:
            name = str(event.get("EVENT_NAME", "")).upper()
            stream = next((s for prefix, s in EVENT_ENTITIES.items() if name.startswith(prefix)), None)
            data: dict[str, Any] = event["EVENT_DATA"] if isinstance(event.get("EVENT_DATA"), dict) else {}
            record = str((data.get("FIELDS") or {}).get("ID"))
            if stream and record.isdigit():
                ids[stream].add(int(record))
        for stream in RECORD_STREAMS:
            wanted = sorted(ids.get(stream, ()))
            if not wanted:
                continue
            rows = await self.client.get_by_ids(STREAMS[stream].spec, wanted)
            missing = set(wanted) - {int(r["ID"]) for r in rows}
            await self._apply(stream, rows)
            if missing:  # deleted (or no longer visible): inactive, never silently gone
                async with self.sessions() as session:
                    await self._touch(session, await store.deactivate(session, ENTITY_OF_STREAM[stream], missing))
                    await session.commit()
                self.counts[f"{stream}_deleted"] += len(missing)

    # ------------------------------------------------------------------ period re-sync and reconciliation
