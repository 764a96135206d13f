"""The sync itself: full import (keyset pages packed into batches, resumable), incremental (offline events for a
local app, DATE_MODIFY watermarks for a webhook), period re-sync and deletion reconciliation. Each run is a
``SyncRun`` row with counts, progress and the outcome; logs carry counts, never secrets or personal data."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.clients import figures, references, store, store_directory
from crm.features.clients.connection import Connection
from crm.features.clients.models import Activity, Call, Company, Contact, CrmLead, Deal, Requisite
from crm.features.clients.offline import OfflineEvents
from crm.features.clients.streams import (
    CONTACT_COMPANIES,
    ENTITY_OF_STREAM,
    RECORD_STREAMS,
    REQUISITE_SELECT,
    STREAMS,
    Stream,
)
from crm.features.clients.sync_models import SyncState
from crm.integrations.bitrix24 import Bitrix24Client, Bitrix24Error, ListSpec
from crm.integrations.bitrix24.values import iso
from crm.lib.i18n import local_tz

log = logging.getLogger("crm.sync")
SessionFactory = Callable[[], AbstractAsyncContextManager[AsyncSession]]
FLUSH_ROWS = 2500
OVERLAP = timedelta(minutes=5)


class Sync(OfflineEvents):
    def __init__(self, sessions: SessionFactory, client: Bitrix24Client, conn: Connection, run_id: int) -> None:
        self.client, self.conn, self.run_id = client, conn, run_id
        self._factory = sessions
        self.defer_figures = False  # a full import rebuilds them at the end instead
        self.progress: dict[str, dict[str, int]] = {}
        self.counts: dict[str, int] = defaultdict(int)
        # a test hook: called after the rows of an offline batch are saved, before the batch is cleared
        self.before_clear: Callable[[], Awaitable[None]] | None = None

    # ------------------------------------------------------------------ bookkeeping

    @asynccontextmanager
    async def sessions(self) -> AsyncIterator[AsyncSession]:
        """A session whose real changes (rows inserted, updated or deactivated) are added to ``changed``."""
        async with self._factory() as session:
            session.info["count_changes"] = not self.defer_figures
            yield session
            self.counts["changed"] += session.info.pop("changed", 0)

    async def _state(self, session: AsyncSession, key: str) -> dict[str, Any]:
        row = await session.get(SyncState, key)
        return dict(row.value) if row else {}

    async def _set_state(self, session: AsyncSession, key: str, value: dict[str, Any] | None) -> None:
        if value is None:
            await session.execute(delete(SyncState).where(SyncState.key == key))
            return
        row = await session.get(SyncState, key)
        if row is None:
            session.add(SyncState(key=key, value=value))
        else:
            row.value = value
        await session.flush()

    async def _write_progress(self) -> None:
        """Progress and request count on the run row (a short transaction of its own: streams never wait on it)."""
        async with self.sessions() as session:
            await session.execute(
                text("UPDATE sync_runs SET progress = CAST(:progress AS jsonb), requests = :requests WHERE id = :id"),
                {"progress": json.dumps(self.progress), "requests": self.client.requests, "id": self.run_id},
            )
            await session.commit()

    async def _progress_loop(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            await self._write_progress()

    async def _touch(self, session: AsyncSession, touched: store.Touched) -> None:
        """Bring the derived figures of what changed up to date in the same transaction as the change, so a run
        that dies half-way leaves rows and figures consistent (events are then re-delivered)."""
        if self.defer_figures or not touched:
            return
        await figures.recompute(session, touched, self.conn.counting)
        self.counts["figures_companies"] += len(touched.companies)
        self.counts["figures_manager_days"] += len(touched.manager_days)

    async def _save(self, session: AsyncSession, stream: str, rows: list[dict[str, Any]]) -> None:
        fmap = self.conn.field_map
        if stream == "companies":
            await self._touch(session, await store.save_companies(session, rows, fmap))
            await store.denormalise_companies(session, [int(r["ID"]) for r in rows])
        elif stream == "deals":
            await self._touch(session, await store.save_deals(session, rows, fmap))
        elif stream == "contacts":
            await self._touch(session, await store.save_contacts(session, rows))
        elif stream == "leads":
            await self._touch(session, await store.save_leads(session, rows))
        elif stream == "activities":
            await self._touch(session, await store.save_activities(session, rows))
        elif stream == "calls":
            await self._touch(session, await store.save_calls(session, rows))
        elif stream == "requisites":
            await store.denormalise_companies(session, await store.save_requisites(session, rows))
        elif stream == "addresses":
            await store.denormalise_companies(session, await store.save_addresses(session, rows))
        self.counts[stream] += len(rows)

    async def _prepare(self, stream: str, rows: list[dict[str, Any]]) -> None:
        """What a list does not answer, fetched before the rows are saved: every company a contact is linked to
        (``crm.contact.company.items.get``, batched; a contact without a primary company has none)."""
        if stream != "contacts":
            return
        linked = [r for r in rows if str(r.get("COMPANY_ID") or "0") not in {"", "0"}]
        commands = {f"c{int(r['ID'])}": (CONTACT_COMPANIES, {"id": int(r["ID"])}) for r in linked}
        if not commands:
            return
        result = await self.client.batch(commands)
        for name, exc in result.errors.items():
            if isinstance(exc, Bitrix24Error) and exc.transient:
                raise exc
            log.info("sync: %s %s answered %s; the primary company stands", CONTACT_COMPANIES, name, exc)
        for r in linked:
            items = result.result.get(f"c{int(r['ID'])}")
            if isinstance(items, list):
                ordered = sorted(
                    (i for i in items if isinstance(i, dict)),
                    key=lambda i: (str(i.get("IS_PRIMARY")) != "Y", int(i.get("SORT") or 0)),
                )
                r["COMPANY_IDS"] = [i.get("COMPANY_ID") for i in ordered]
        self.counts["contact_links_read"] += len(commands)

    # ------------------------------------------------------------------ reference data

    async def reference(self) -> None:
        """Departments, employees, pipelines and stages: small, re-read whole on every run."""
        departments = [r async for page in self.client.iter_offset("department.get", {}) for r in page]
        users = [
            r
            async for page in self.client.iter_keyset(
                ListSpec("user.get", filter_key="FILTER", order="sort"), {}, chain=10
            )
            for r in page
        ]
        cats = (await self.client.call("crm.category.list", {"entityTypeId": 2})).result or {}
        categories = cats.get("categories", []) if isinstance(cats, dict) else []
        entities = {
            f"s{int(c['id']):04d}": (
                "crm.status.list",
                {
                    "order": {"SORT": "ASC"},
                    "filter": {"ENTITY_ID": "DEAL_STAGE" if int(c["id"]) == 0 else f"DEAL_STAGE_{int(c['id'])}"},
                },
            )
            for c in categories
        } | references.reference_commands()
        result = await self.client.batch(entities)
        statuses = [s for v in (result.result.values() if result else []) for s in (v if isinstance(v, list) else [])]
        async with self.sessions() as session:
            self.counts["departments"] = await store_directory.save_departments(session, departments)
            self.counts["employees"] = await store_directory.save_employees(session, users)
            self.counts["pipelines"] = await store_directory.save_pipelines(session, categories, statuses)
            await references.save(session, statuses)
            self.counts["users_linked"] += await store_directory.link_users_by_email(session)
            await session.commit()

    # ------------------------------------------------------------------ full import

    async def _totals(self) -> dict[str, int]:
        commands = {
            f"t_{name}": (
                s.spec.method,
                {
                    s.spec.filter_key: s.filter,
                    "start": 0,
                    **({"select": [s.spec.id_field]} if s.spec.order == "crm" else {}),
                },
            )
            for name, s in STREAMS.items()
        }
        result = await self.client.batch(commands)
        return {name: result.total.get(f"t_{name}", 0) for name in STREAMS}

    async def _import_stream(self, stream: Stream, total: int) -> None:
        key = f"full:{stream.name}"
        async with self.sessions() as session:
            cursor = await self._state(session, key)
        last, done = int(cursor.get("last", 0)), int(cursor.get("done", 0))
        buffer: list[dict[str, Any]] = []

        async def flush() -> None:
            nonlocal buffer, done, last
            if not buffer:
                return
            await self._prepare(stream.name, buffer)
            async with self.sessions() as session:
                await self._save(session, stream.name, buffer)
                done += len(buffer)
                last = int(buffer[-1][stream.spec.id_field])
                await self._set_state(session, key, {"last": last, "done": done})
                await session.commit()
            self.progress[stream.name] = {"done": done, "total": max(total, done)}
            buffer = []

        self.progress[stream.name] = {"done": done, "total": max(total, done)}
        async for page in self.client.iter_keyset(stream.spec, stream.filter, after=last):
            buffer.extend(page)
            if len(buffer) >= FLUSH_ROWS:
                await flush()
        await flush()

    async def full(self) -> None:
        self.defer_figures = True
        started = datetime.now(UTC)  # changes during the import are picked up by the next incremental run
        if self.conn.mode == "app":
            await self.ensure_bindings()  # events from now on are queued: nothing slips between import and events
        await self.reference()
        totals = await self._totals()
        order = ["companies", "requisites", "addresses", "contacts", "leads", "deals", "activities", "calls"]
        writer = asyncio.create_task(self._progress_loop())
        try:
            await asyncio.gather(*(self._import_stream(STREAMS[name], totals[name]) for name in order))
        finally:
            writer.cancel()
            await self._write_progress()
        async with self.sessions() as session:
            await store.denormalise_companies(session)
            for owner_type in store.OWNERS:  # the streams ran side by side: an owner may have come after its rows
                await store.relink(session, owner_type)
            await figures.rebuild(session, self.conn.counting)
            marks: dict[str, Any] = {name: started.isoformat() for name in STREAMS}
            marks["calls_last_id"] = int((await self._state(session, "full:calls")).get("last", 0))
            for name in STREAMS:
                await self._set_state(session, f"full:{name}", None)
            await self._set_state(session, "watermark", marks)
            await session.commit()

    # ------------------------------------------------------------------ incremental

    async def incremental(self) -> None:
        await self.reference()
        if self.conn.mode == "app":
            await self.offline_events()
            await self.poll(["calls"])
        else:
            await self.poll([*RECORD_STREAMS, "calls"])
        await self.finish()

    async def poll(self, names: list[str]) -> None:
        """Everything modified since the last watermark (minus an overlap), keyset-paged; upserts are idempotent.
        The watermark is the portal's clock at the start (from the last answer's ``time.start``), not ours."""
        portal_now = self.client.server_time
        started = datetime.fromtimestamp(portal_now, UTC) if portal_now else datetime.now(UTC)
        async with self.sessions() as session:
            marks = await self._state(session, "watermark")
        for name in names:
            stream = STREAMS[name]
            if name == "calls":
                # a call's record is written when it ends, with the start time: poll by id, not by date
                after = int(marks.get("calls_last_id", 0))
                rows = [
                    r async for page in self.client.iter_keyset(stream.spec, stream.filter, after=after) for r in page
                ]
                await self._apply(name, rows)
                marks["calls_last_id"] = max([after, *(int(r["ID"]) for r in rows)])
                continue
            since = datetime.fromisoformat(marks[name]) - OVERLAP if marks.get(name) else None
            flt = dict(stream.filter)
            if since is not None:
                flt[f">={stream.modified}"] = iso(since)
            rows = [r async for page in self.client.iter_keyset(stream.spec, flt) for r in page]
            await self._apply(name, rows)
            marks[name] = started.isoformat()
        async with self.sessions() as session:
            await self._set_state(session, "watermark", marks)
            await session.commit()

    async def _apply(self, name: str, rows: list[dict[str, Any]]) -> None:
        for i in range(0, len(rows), FLUSH_ROWS):
            part = rows[i : i + FLUSH_ROWS]
            await self._prepare(name, part)
            async with self.sessions() as session:
                await self._save(session, name, part)
                await session.commit()
        if name == "companies" and rows:
            await self.refresh_company_details([int(r["ID"]) for r in rows])

    async def refresh_company_details(self, company_ids: list[int]) -> None:
        """Requisites and the address of some companies; ones no longer there become inactive."""
        reqs = await self.client.get_by_ids(
            ListSpec("crm.requisite.list", id_field="ENTITY_ID", select=REQUISITE_SELECT),
            company_ids,
            {"ENTITY_TYPE_ID": 4},
        )
        addresses = await self.client.get_by_ids(STREAMS["addresses"].spec, company_ids, STREAMS["addresses"].filter)
        async with self.sessions() as session:
            seen = {int(r["ID"]) for r in reqs}
            gone = await store.missing_ids(session, Requisite, seen, Requisite.company_id.in_(company_ids))
            await store.deactivate(session, "requisite", gone)
            await store.save_requisites(session, reqs)
            await store.save_addresses(session, addresses)
            await store.denormalise_companies(session, company_ids)
            await session.commit()

    async def period(self, since: date, until: date) -> None:
        """Re-read contacts, leads and deals (created), activities (started) and calls (started) of [since, until]
        (local days) and replace the local copy of that range: what Bitrix24 no longer has becomes inactive."""
        tz = local_tz()
        lo = datetime.combine(since, time.min, tz)
        hi = datetime.combine(until + timedelta(days=1), time.min, tz)
        plan = [
            ("contacts", "DATE_CREATE", Contact, Contact.bitrix_created_at),
            ("leads", "DATE_CREATE", CrmLead, CrmLead.bitrix_created_at),
            ("deals", "DATE_CREATE", Deal, Deal.bitrix_created_at),
            ("activities", "START_TIME", Activity, Activity.start_at),
            ("calls", "CALL_START_DATE", Call, Call.start_at),
        ]
        for name, fieldname, model, column in plan:
            stream = STREAMS[name]
            flt = {**stream.filter, f">={fieldname}": iso(lo), f"<{fieldname}": iso(hi)}
            rows = [r async for page in self.client.iter_keyset(stream.spec, flt) for r in page]
            await self._apply(name, rows)
            seen = {int(r["ID"]) for r in rows}
            async with self.sessions() as session:
                gone = await store.missing_ids(session, model, seen, (column >= lo) & (column < hi))
                await self._touch(session, await store.deactivate(session, ENTITY_OF_STREAM[name], gone))
                await session.commit()
            self.counts[f"{name}_deleted"] += len(gone)
        await self.finish()

    async def reconcile(self) -> None:
        """Deletions for a webhook (no events): compare the full id lists; also re-read requisites and addresses."""
        for name, model in (
            ("companies", Company),
            ("contacts", Contact),
            ("leads", CrmLead),
            ("deals", Deal),
            ("activities", Activity),
            ("calls", Call),
        ):
            spec = STREAMS[name].spec
            ids_only = ListSpec(
                spec.method,
                spec.filter_key,
                spec.order,
                spec.id_field,
                (spec.id_field,) if spec.order == "crm" else (),
            )
            remote = {
                int(r["ID"]) async for page in self.client.iter_keyset(ids_only, STREAMS[name].filter) for r in page
            }
            async with self.sessions() as session:
                gone = await store.missing_ids(session, model, remote)
                await self._touch(session, await store.deactivate(session, ENTITY_OF_STREAM[name], gone))
                await session.commit()
            self.counts[f"{name}_deleted"] += len(gone)
        for name in ("requisites", "addresses"):
            stream = STREAMS[name]
            rows = [r async for page in self.client.iter_keyset(stream.spec, stream.filter) for r in page]
            await self._apply(name, rows)
            if name == "requisites":
                async with self.sessions() as session:
                    gone = await store.missing_ids(session, Requisite, {int(r["ID"]) for r in rows})
                    await store.deactivate(session, "requisite", gone)
                    await store.denormalise_companies(session)
                    await session.commit()
        await self.finish()

    async def finish(self) -> None:
        """Figures are kept up to date per transaction (see ``_touch``); nothing is left to do at the end."""
