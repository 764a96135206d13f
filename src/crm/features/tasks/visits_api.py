"""JSON API of field visits: check-in, check-out (with or without the phone's position) and photos."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromPath, JSONBody
from litestar.response import File
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.tasks import visits
from crm.features.tasks.api import WORK, invalid, task_or_404
from crm.features.tasks.forms import PhotosForm
from crm.features.tasks.models import Photo
from crm.lib.auth import current_user
from crm.lib.deps import Db, Me
from crm.lib.web import FormErrors

TAGS = ["tasks"]
UPLOAD_LIMIT = 41 * 1024 * 1024  # four photos of 10 MB and the form around them


class VisitOut(msgspec.Struct):
    task_id: int
    checked_in_at: datetime | None
    in_lat: float | None
    in_lon: float | None
    in_accuracy: float | None
    distance_m: float | None
    far: bool
    checked_out_at: datetime | None
    out_lat: float | None
    out_lon: float | None
    out_accuracy: float | None
    note: str


class PhotoOut(msgspec.Struct):
    id: int
    url: str
    width: int
    height: int
    size: int
    original_name: str
    uploaded_by_id: uuid.UUID | None
    created_at: datetime


def visit_out(v: visits.Visit) -> VisitOut:
    return VisitOut(
        task_id=v.task_id,
        checked_in_at=v.checked_in_at,
        in_lat=v.in_lat,
        in_lon=v.in_lon,
        in_accuracy=v.in_accuracy,
        distance_m=v.in_distance_m,
        far=visits.is_far(v),
        checked_out_at=v.checked_out_at,
        out_lat=v.out_lat,
        out_lon=v.out_lon,
        out_accuracy=v.out_accuracy,
        note=v.note,
    )


def photo_out(p: Photo) -> PhotoOut:
    return PhotoOut(
        id=p.id,
        url=f"/tasks/{p.task_id}/photos/{p.id}",
        width=p.width,
        height=p.height,
        size=p.size,
        original_name=p.original_name,
        uploaded_by_id=p.uploaded_by_id,
        created_at=p.created_at,
    )


@post(
    "/api/v1/tasks/{task_id:int}/check-in",
    opt=WORK,
    tags=TAGS,
    status_code=200,
    summary="Check in at a visit",
    description="`{lat, lon, accuracy}` from the phone; an empty body is a check-in without a position (the "
    "person refused to share it). `distance_m` and `far` compare it with the task's coordinates.",
)
async def api_check_in(
    request: Request,
    me: Me,
    db_session: Db,
    task_id: FromPath[int],
    data: JSONBody[dict[str, Any] | None] = None,
) -> VisitOut:
    task = await task_or_404(db_session, request, task_id, lock=True)
    pos, errors = visits.read_position(data or {})
    if errors:
        raise invalid(errors)
    visit = await visits.check_in(db_session, me, task, pos)
    await db_session.commit()
    return visit_out(visit)


@post(
    "/api/v1/tasks/{task_id:int}/check-out",
    opt=WORK,
    tags=TAGS,
    status_code=200,
    summary="Check out of a visit",
    description="`{lat, lon, accuracy, note}`; 409 when there was no check-in.",
)
async def api_check_out(
    request: Request,
    db_session: Db,
    task_id: FromPath[int],
    data: JSONBody[dict[str, Any] | None] = None,
) -> VisitOut:
    task = await task_or_404(db_session, request, task_id, lock=True)
    body = data or {}
    pos, errors = visits.read_position(body)
    note = body.get("note")
    if note is not None and not isinstance(note, str):
        errors.add("note", "text")
    if errors:
        raise invalid(errors)
    visit = await visits.check_out(db_session, task, pos, note)
    if visit is None:
        raise ClientException(status_code=409, detail="check in first")
    await db_session.commit()
    return visit_out(visit)


async def upload_photos(request: Request, session: AsyncSession, task: Any) -> tuple[list[Photo], FormErrors]:
    """Every file of the form's ``photo`` (or ``photos``/``file``) fields; all or nothing."""
    form = PhotosForm.parse(await request.form())
    if not form.ok:
        return [], form.errors
    return await visits.add_photos(session, current_user(request), task, form.uploads)


@post(
    "/api/v1/tasks/{task_id:int}/photos",
    opt=WORK,
    tags=TAGS,
    request_max_body_size=UPLOAD_LIMIT,
    summary="Add photos to a task",
    description="multipart/form-data, field `photo` (repeatable): JPEG, PNG or HEIC up to 10 MB each; resized to "
    "at most 1600 px and re-encoded without EXIF (no location).",
)
async def api_photos(request: Request, db_session: Db, task_id: FromPath[int]) -> dict[str, Any]:
    task = await task_or_404(db_session, request, task_id)
    saved, errors = await upload_photos(request, db_session, task)
    if errors:
        await db_session.rollback()
        raise invalid(errors)
    await db_session.commit()
    return {"rows": [msgspec.to_builtins(photo_out(p)) for p in saved]}


@get("/tasks/{task_id:int}/photos/{photo_id:int}", opt=WORK, include_in_schema=False)
async def photo_file(request: Request, db_session: Db, task_id: FromPath[int], photo_id: FromPath[int]) -> File:
    task = await task_or_404(db_session, request, task_id)
    photo = await db_session.get(Photo, photo_id)
    path = visits.photo_file(photo) if photo is not None and photo.task_id == task.id else None
    if path is None:
        raise NotFoundException(detail="no such photo")
    return File(path=path, media_type="image/jpeg", content_disposition_type="inline")


ROUTES: list[Any] = [api_check_in, api_check_out, api_photos, photo_file]
