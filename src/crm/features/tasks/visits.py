"""Field visits: check-in and check-out with the phone's position (or without one, when the person refused to
share it), the distance from the task's place, and photos (re-encoded on the server: no EXIF, at most 1600 px)."""

from __future__ import annotations

import io
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from litestar.datastructures import UploadFile
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.config import get_settings
from crm.features.tasks.models import Photo, Task, Visit
from crm.lib.i18n import N_
from crm.lib.i18n import gettext as _
from crm.lib.web import FormErrors

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_SIDE = 1600
FAR_METRES = 500.0
FORMATS = {"JPEG", "PNG", "HEIF", "HEIC", "MPO"}
Image.MAX_IMAGE_PIXELS = 60_000_000  # a 50 MP phone photo passes; a decompression bomb does not

try:  # HEIC photos of iPhones
    from pillow_heif import register_heif_opener

    register_heif_opener()
except ImportError:  # pragma: no cover - the dependency is locked
    pass


class PhotoError(ValueError):
    pass


@dataclass
class Position:
    lat: float | None = None
    lon: float | None = None
    accuracy: float | None = None


def read_position(raw: Mapping[str, Any]) -> tuple[Position, FormErrors]:
    """``lat``, ``lon``, ``accuracy`` (metres); all empty is a check-in without a position (refused or
    unavailable), only one of lat/lon is an error."""
    errors = FormErrors()
    out = Position()
    for name, lo, hi in (("lat", -90.0, 90.0), ("lon", -180.0, 180.0), ("accuracy", 0.0, 1_000_000.0)):
        value = raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        try:
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
            if not (lo <= number <= hi) or math.isnan(number):
                raise ValueError
            setattr(out, name, number)
        except (TypeError, ValueError, OverflowError):
            errors.add(name, N_("Latitude from -90 to 90, longitude from -180 to 180, accuracy in metres."))
    if (out.lat is None) != (out.lon is None):
        errors.add("lat", N_("Give both the latitude and the longitude, or neither."))
    return out, errors


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def is_far(visit: Visit | None) -> bool:
    return bool(
        visit and visit.in_distance_m is not None and visit.in_distance_m > FAR_METRES + (visit.in_accuracy or 0)
    )


async def visit_of(session: AsyncSession, task_id: int) -> Visit | None:
    return (await session.scalars(select(Visit).where(Visit.task_id == task_id))).first()


async def check_in(session: AsyncSession, user: Any, task: Task, pos: Position) -> Visit:
    """Record the arrival (a second check-in before the check-out is ignored: double taps are harmless)."""
    visit = await visit_of(session, task.id)
    if visit is None:
        visit = Visit(task_id=task.id)
        session.add(visit)
    if visit.checked_in_at is None or visit.checked_out_at is not None:
        visit.user_id = user.id
        visit.checked_in_at = datetime.now(UTC)
        visit.checked_out_at = None
        visit.in_lat, visit.in_lon, visit.in_accuracy = pos.lat, pos.lon, pos.accuracy
        visit.in_distance_m = None
        if pos.lat is not None and pos.lon is not None and task.lat is not None and task.lon is not None:
            visit.in_distance_m = round(distance_m(pos.lat, pos.lon, task.lat, task.lon), 1)
        if task.status == "todo":
            task.status = "in_progress"
    await session.flush()
    return visit


async def check_out(session: AsyncSession, task: Task, pos: Position, note: str | None) -> Visit | None:
    visit = await visit_of(session, task.id)
    if visit is None or visit.checked_in_at is None:
        return None
    if visit.checked_out_at is None:
        visit.checked_out_at = datetime.now(UTC)
        visit.out_lat, visit.out_lon, visit.out_accuracy = pos.lat, pos.lon, pos.accuracy
    if note is not None:
        visit.note = note.strip()[:5000]
    await session.flush()
    return visit


def process_photo(content: bytes) -> tuple[bytes, int, int]:
    """Check and re-encode a photo: JPEG, PNG or HEIC up to 10 MB; turned upright, at most 1600 px on its long
    side, saved as JPEG without any EXIF (so no location)."""
    if len(content) > MAX_PHOTO_BYTES:
        raise PhotoError(N_("A photo may be at most 10 MB."))
    try:
        with Image.open(io.BytesIO(content)) as image:
            if image.format not in FORMATS:
                raise PhotoError(N_("Only JPEG, PNG or HEIC photos."))
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            upright.thumbnail((MAX_SIDE, MAX_SIDE))
            if upright.mode in ("RGBA", "LA", "P"):
                rgba = upright.convert("RGBA")
                flat = Image.new("RGB", rgba.size, (255, 255, 255))
                flat.paste(rgba, mask=rgba.getchannel("A"))
                upright = flat
            elif upright.mode != "RGB":
                upright = upright.convert("RGB")
            out = io.BytesIO()
            upright.save(out, "JPEG", quality=82, optimize=True)
            return out.getvalue(), upright.width, upright.height
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, PhotoError):
            raise
        raise PhotoError(N_("This file is not a photo we can read (JPEG, PNG or HEIC).")) from None


def photo_root() -> Path:
    return get_settings().var_dir / "uploads" / "tasks"


async def save_photo(
    session: AsyncSession, user: Any, task: Task, processed: tuple[bytes, int, int], name: str
) -> Photo:
    """Write a photo made by ``process_photo`` under the data directory and record it."""
    data, width, height = processed
    relative = Path(str(task.id)) / f"{uuid.uuid4().hex}.jpg"
    target = photo_root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    photo = Photo(
        task_id=task.id,
        uploaded_by_id=user.id,
        path=str(relative),
        original_name=(name or "")[:255],
        width=width,
        height=height,
        size=len(data),
    )
    session.add(photo)
    await session.flush()
    return photo


async def add_photos(
    session: AsyncSession, user: Any, task: Task, uploads: list[UploadFile]
) -> tuple[list[Photo], FormErrors]:
    """Check every upload (``process_photo``), then save them all; none is saved when one is refused (its name
    and why under ``photo``)."""
    errors = FormErrors()
    processed = []
    for upload in uploads:
        try:
            processed.append((process_photo(await upload.read()), upload.filename or ""))
        except PhotoError as exc:
            errors.add("photo", f"{upload.filename}: {_(str(exc))}")
    if errors:
        return [], errors
    return [await save_photo(session, user, task, data, name) for data, name in processed], errors


async def photos_of(session: AsyncSession, task_id: int) -> list[Photo]:
    return list((await session.scalars(select(Photo).where(Photo.task_id == task_id).order_by(Photo.id))).all())


def photo_file(photo: Photo) -> Path | None:
    path = (photo_root() / photo.path).resolve()
    root = photo_root().resolve()
    return path if root in path.parents and path.is_file() else None
