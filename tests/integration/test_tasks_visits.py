"""Field visits through the API (spec "Field visits"): check-in with or without the phone's position, the distance
from the task's place, check-out with a note; photos resized on the server and stripped of EXIF location."""

from __future__ import annotations

import io
import os

from PIL import ExifTags, Image

from crm.features.tasks.visits import photo_root
from tests.integration.test_plans_api import bearer
from tests.integration.test_tasks_api import new_task, soon, team


def twelve_megapixel_jpeg_with_gps() -> bytes:
    image = Image.linear_gradient("L").resize((4000, 3000)).convert("RGB")
    exif = Image.Exif()
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (55.0, 45.0, 30.0), 3: "E", 4: (37.0, 37.0, 10.0)}
    exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def png_with_alpha() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (800, 600), (10, 120, 200, 128)).save(out, "PNG")
    return out.getvalue()


async def test_check_in_records_the_position_and_warns_when_far_from_the_task(client, db) -> None:
    await team(db)
    anna = await bearer(client, "anna@example.com")
    task = await new_task(client, anna, due_at=soon(0), lat=55.7558, lon=37.6173)
    url = f"/api/v1/tasks/{task['id']}"
    near = await client.post(f"{url}/check-in", json={"lat": 55.7560, "lon": 37.6175, "accuracy": 12}, headers=anna)
    assert near.status_code == 200, near.text
    body = near.json()
    assert body["far"] is False and body["distance_m"] < 50 and body["in_accuracy"] == 12
    assert (await client.get(url, headers=anna)).json()["status"] == "in_progress"
    out = await client.post(f"{url}/check-out", json={"lat": 55.756, "lon": 37.6175, "note": "Signed"}, headers=anna)
    assert out.status_code == 200 and out.json()["note"] == "Signed" and out.json()["checked_out_at"]
    other = await new_task(client, anna, due_at=soon(0), lat=55.7558, lon=37.6173)
    far = await client.post(
        f"/api/v1/tasks/{other['id']}/check-in", json={"lat": 55.80, "lon": 37.70, "accuracy": 20}, headers=anna
    )
    assert far.json()["far"] is True and far.json()["distance_m"] > 5000


async def test_a_check_in_without_a_position_is_recorded_when_the_phone_refused_to_share_it(client, db) -> None:
    await team(db)
    anna = await bearer(client, "anna@example.com")
    task = await new_task(client, anna, due_at=soon(0), lat=55.7558, lon=37.6173)
    answer = await client.post(f"/api/v1/tasks/{task['id']}/check-in", json={}, headers=anna)
    assert answer.status_code == 200
    body = answer.json()
    assert body["checked_in_at"] and body["in_lat"] is None and body["distance_m"] is None and body["far"] is False
    bad = await client.post(f"/api/v1/tasks/{task['id']}/check-in", json={"lat": 100, "lon": "x"}, headers=anna)
    assert bad.status_code == 422
    lonely = await new_task(client, anna, due_at=soon(0))
    refused = await client.post(f"/api/v1/tasks/{lonely['id']}/check-out", json={}, headers=anna)
    assert refused.status_code == 409


async def test_photos_are_resized_and_lose_their_exif_location_and_bad_files_are_refused(client, db) -> None:
    await team(db)
    anna = await bearer(client, "anna@example.com")
    task = await new_task(client, anna, due_at=soon(0))
    url = f"/api/v1/tasks/{task['id']}/photos"
    big = twelve_megapixel_jpeg_with_gps()
    answer = await client.post(url, files={"photo": ("IMG_0001.jpg", big, "image/jpeg")}, headers=anna)
    assert answer.status_code == 201, answer.text
    row = answer.json()["rows"][0]
    assert (row["width"], row["height"]) == (1600, 1200)
    stored = (await client.get(row["url"], headers=anna)).content
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG" and image.size == (1600, 1200)
        exif = image.getexif()
        assert not exif.get_ifd(ExifTags.IFD.GPSInfo) and 0x010F not in exif
    files = list(photo_root().rglob("*.jpg"))
    assert files and all(os.path.getsize(f) < 1_000_000 for f in files)

    png = await client.post(url, files={"photo": ("shot.png", png_with_alpha(), "image/png")}, headers=anna)
    assert png.status_code == 201 and png.json()["rows"][0]["width"] == 800

    text = await client.post(url, files={"photo": ("notes.txt", b"not a photo at all", "image/jpeg")}, headers=anna)
    assert text.status_code == 422 and "notes.txt" in text.json()["errors"][0]["message"]

    huge = b"\xff\xd8\xff\xe0" + os.urandom(20 * 1024 * 1024)
    too_big = await client.post(url, files={"photo": ("huge.jpg", huge, "image/jpeg")}, headers=anna)
    assert too_big.status_code in (413, 422)
    assert "10 MB" in too_big.text
    assert len(list(photo_root().rglob("*.jpg"))) == 2


async def test_another_managers_task_refuses_visits_and_photos_with_404(client, db) -> None:
    await team(db)
    boris = await bearer(client, "boris@example.com")
    task = await new_task(client, boris, due_at=soon(0))
    anna = await bearer(client, "anna@example.com")
    assert (await client.post(f"/api/v1/tasks/{task['id']}/check-in", json={}, headers=anna)).status_code == 404
    photo = await client.post(
        f"/api/v1/tasks/{task['id']}/photos", files={"photo": ("a.png", png_with_alpha(), "image/png")}, headers=anna
    )
    assert photo.status_code == 404
