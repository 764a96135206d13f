"""The phone's pages: "my day" (today's tasks and visits in time order, a map of the visits when the tiles are
reachable) and a visit (check in with the phone's position, a note, photos, check out). Small pages; forms work
without a script, and the script retries a post that did not get through."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import File, Redirect, Response
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.tasks import services, visits
from crm.features.tasks.forms import CheckInForm, CheckOutForm, NoteForm
from crm.features.tasks.models import Task, Visit
from crm.features.tasks.pages import WORK, local_time
from crm.features.tasks.scope import visible_task
from crm.features.tasks.visits_api import UPLOAD_LIMIT, upload_photos
from crm.lib.auth import current_user
from crm.lib.deps import Db, Me
from crm.lib.i18n import gettext as _
from crm.lib.i18n import local_today, local_tz
from crm.lib.web import render, toast

TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
TILE_AGENT = "crm-self-hosted/1.0 (visits map; cached tiles)"
_tiles_down_until = 0.0


@get("/my-day", opt=WORK, include_in_schema=False)
async def my_day(request: Request, me: Me, db_session: Db) -> Any:
    tz = local_tz()
    today = local_today()
    start = datetime.combine(today, time(0), tzinfo=tz)
    end = start + timedelta(days=1)
    due_today = (Task.due_at >= start) & (Task.due_at < end)
    started_today = (Task.starts_at >= start) & (Task.starts_at < end)
    stmt = (
        select(Task, Visit)
        .outerjoin(Visit, Visit.task_id == Task.id)
        .where(Task.assignee_id == me.id, or_(due_today, started_today), Task.status != "cancelled")
        .order_by(Task.starts_at.is_(None), Task.starts_at, Task.due_at, Task.id)
        .limit(100)
    )
    rows = (await db_session.execute(stmt)).all()
    overdue = (
        await db_session.scalars(
            select(Task)
            .where(Task.assignee_id == me.id, Task.status.in_(("todo", "in_progress")), Task.due_at < start)
            .order_by(Task.due_at)
            .limit(20)
        )
    ).all()
    points = [
        {"id": t.id, "lat": t.lat, "lon": t.lon, "title": t.title, "time": local_time(t.starts_at or t.due_at)}
        for t, _v in rows
        if t.lat is not None and t.lon is not None
    ]
    context = {
        "rows": rows,
        "overdue": overdue,
        "today": today,
        "points": points,
        "local_time": local_time,
        "status_labels": services.STATUS_LABELS,
    }
    return render(request, "tasks/my_day.html", context)


async def _task(session: AsyncSession, request: Request, task_id: int, lock: bool = False) -> Task:
    task = await visible_task(session, current_user(request), task_id, lock=lock)
    if task is None:
        raise NotFoundException(detail="no such task in your scope")
    return task


async def visit_context(session: AsyncSession, task: Task) -> dict[str, Any]:
    visit = await visits.visit_of(session, task.id)
    return {
        "task": task,
        "visit": visit,
        "far": visits.is_far(visit),
        "photos": await visits.photos_of(session, task.id),
        "local_time": local_time,
        "status_labels": services.STATUS_LABELS,
        "errors": {},
    }


@get("/tasks/{task_id:int}/visit", opt=WORK, include_in_schema=False)
async def visit_page(request: Request, db_session: Db, task_id: FromPath[int]) -> Any:
    task = await _task(db_session, request, task_id)
    return render(request, "tasks/visit.html", await visit_context(db_session, task))


@post("/tasks/{task_id:int}/visit/check-in", opt=WORK, include_in_schema=False)
async def visit_check_in(request: Request, me: Me, db_session: Db, task_id: FromPath[int]) -> Any:
    task = await _task(db_session, request, task_id, lock=True)
    pos = CheckInForm.parse(await request.form()).position()  # a broken position: the visit without it
    visit = await visits.check_in(db_session, me, task, pos)
    await db_session.commit()
    if pos.lat is None:
        toast(request, _("Checked in without a position."), "warning")
    elif visits.is_far(visit):
        toast(
            request, _("Checked in %(d)s m away from the task's place.", d=round(visit.in_distance_m or 0)), "warning"
        )
    else:
        toast(request, _("Checked in."))
    return Redirect(f"/tasks/{task.id}/visit", status_code=303)


@post("/tasks/{task_id:int}/visit/check-out", opt=WORK, include_in_schema=False)
async def visit_check_out(request: Request, me: Me, db_session: Db, task_id: FromPath[int]) -> Any:
    task = await _task(db_session, request, task_id, lock=True)
    form = CheckOutForm.parse(await request.form())
    if "note" in form.errors:
        return await _note_refused(request, db_session, task, form)
    visit = await visits.check_out(db_session, task, form.position(), form.note if form.sent_note else None)
    if visit is None:
        toast(request, _("Check in first."), "error")
        return Redirect(f"/tasks/{task.id}/visit", status_code=303)
    if form.done and task.status in ("todo", "in_progress"):
        closes = await services.update_task(db_session, me, task, {"status": "done"})
    else:
        closes = False
    await db_session.commit()
    if closes:
        await services.enqueue_next(getattr(request.app.state, "queue", None), task.id)
    toast(request, _("Checked out."))
    return Redirect("/my-day", status_code=303)


@post("/tasks/{task_id:int}/visit/note", opt=WORK, include_in_schema=False)
async def visit_note(request: Request, me: Me, db_session: Db, task_id: FromPath[int]) -> Any:
    task = await _task(db_session, request, task_id, lock=True)
    form = NoteForm.parse(await request.form())
    if not form.ok:
        return await _note_refused(request, db_session, task, form)
    visit = await visits.visit_of(db_session, task.id)
    if visit is None:
        visit = Visit(task_id=task.id, user_id=me.id)
        db_session.add(visit)
    visit.note = form.note
    await db_session.commit()
    toast(request, _("Note saved."))
    return Redirect(f"/tasks/{task.id}/visit", status_code=303)


async def _note_refused(request: Request, db_session: AsyncSession, task: Any, form: NoteForm) -> Any:
    """The visit page again with the note as typed and why it was not saved (nothing else changed)."""
    context = await visit_context(db_session, task)
    context.update(errors=form.errors, typed_note=form.raw("note"))
    return render(request, "tasks/visit.html", context, status_code=422)


@post("/tasks/{task_id:int}/visit/photos", opt=WORK, include_in_schema=False, request_max_body_size=UPLOAD_LIMIT)
async def visit_photos(request: Request, db_session: Db, task_id: FromPath[int]) -> Any:
    task = await _task(db_session, request, task_id)
    saved, errors = await upload_photos(request, db_session, task)
    if errors:  # nothing was written (upload_photos checks every photo first); a rollback would expire the task
        context = await visit_context(db_session, task)
        context["errors"] = dict(errors)
        return render(request, "tasks/visit.html", context, status_code=422)
    await db_session.commit()
    toast(request, _("Photos added: %(n)s.", n=len(saved)))
    return Redirect(f"/tasks/{task.id}/visit", status_code=303)


def _tile_cache() -> Path:
    return visits.photo_root().parent / "tiles"


@get("/tasks/tiles/{z:int}/{x:int}/{name:str}", opt=WORK, include_in_schema=False)
async def tile(z: FromPath[int], x: FromPath[int], name: FromPath[str]) -> Any:
    """OpenStreetMap tiles through the server (the pages' CSP allows images from this site only), cached on disk;
    502 when the tile server cannot be reached, and the page keeps its plain list."""
    global _tiles_down_until
    stem = name.removesuffix(".png")
    y = int(stem) if stem.isdigit() and len(stem) < 8 and name.endswith(".png") else -1
    if not (0 <= z <= 19 and 0 <= x < 2**z and 0 <= y < 2**z):
        raise NotFoundException(detail="no such tile")
    path = _tile_cache() / str(z) / str(x) / f"{y}.png"
    if path.is_file():
        return File(path=path, media_type="image/png", content_disposition_type="inline")
    loop_time = asyncio.get_running_loop().time()
    if loop_time < _tiles_down_until:
        return Response({"detail": "tile server unreachable"}, status_code=502)
    try:
        async with httpx.AsyncClient(timeout=3.0, headers={"User-Agent": TILE_AGENT}) as client:
            answer = await client.get(TILE_URL.format(z=z, x=x, y=y))
        answer.raise_for_status()
    except httpx.HTTPError:
        _tiles_down_until = loop_time + 60
        return Response({"detail": "tile server unreachable"}, status_code=502)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(answer.content)
    return Response(answer.content, media_type="image/png", headers={"Cache-Control": "max-age=604800"})


ROUTES: list[Any] = [my_day, visit_page, visit_check_in, visit_check_out, visit_note, visit_photos, tile]
