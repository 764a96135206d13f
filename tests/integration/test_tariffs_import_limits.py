"""Tariff files that are not tariff files are refused with the reason (next to the upload field, or the CLI's exit 1);
a sheet has at most 20,000 rows; a big sheet is imported in a bounded number of statements."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import anyio.to_thread
import pytest
from sqlalchemy import event, func, select

from crm.features.tariffs import tariff_files, tariff_import
from crm.features.tariffs.models import CountryTariff, RussianTariff
from crm.features.tariffs.tariffs import RUSSIAN_PRICE_FIELDS
from tests.conftest import login, make_user, post_form
from tests.integration.test_tariffs_calculator import TARIFFS

HEADER = ";".join(("country", "valid_from", "valid_to", *RUSSIAN_PRICE_FIELDS))
PRICES = ";".join("1" for _ in RUSSIAN_PRICE_FIELDS)


def _russian_sheet(days: int, start: date = date(2030, 1, 1)) -> bytes:
    """One Russian tariff a day: ``days`` rows that do not overlap."""
    rows = [HEADER]
    for n in range(days):
        first = start + timedelta(days=n)
        rows.append(f";{first.isoformat()};{(first + timedelta(days=1)).isoformat()};{PRICES}")
    return ("\n".join(rows) + "\n").encode("utf-8")


NASTY = {
    "binary.csv": (bytes(range(256)) * 64, "binary"),
    "field.csv": (HEADER.encode() + b"\n;2030-01-01;2031-01-01;" + b"9" * 9_000_000 + b"\n", "longer than"),
    "deep.json": (b"[" * 200_000 + b"]" * 200_000, "nested too deeply"),
    "numbers.json": (b"[1, 2, 3]", "not an object"),
    "object.json": (b'{"model": "tlgtarif.tlgtarif"}', "JSON list"),
    "fields.json": (json.dumps([{"model": "tlgtarif.tlgtarif", "pk": 1, "fields": [1, 2]}]).encode(), "not an object"),
    "rows.csv": (_russian_sheet(tariff_import.MAX_SHEET_ROWS + 1), "20,000 rows"),
}


async def _admin(client, db):
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")


@pytest.mark.parametrize("name", sorted(NASTY))
async def test_a_file_that_is_not_a_tariff_file_is_refused_next_to_the_upload_field(client, db, name):
    content, reason = NASTY[name]
    await _admin(client, db)
    response = await post_form(client, "/tariffs/import", {}, files={"file": (name, content)})
    assert response.status_code == 422, response.text[:300]
    field = response.text[response.text.index('id="f-tariff-file"') :]
    assert 'aria-invalid="true"' in field[: field.index(">")]
    message = response.text[response.text.index('id="e-tariff-file"') :][:600]
    assert reason in message
    assert await db.scalar(select(func.count()).select_from(RussianTariff)) == 0


async def test_the_services_refuse_nasty_files_with_the_import_error_not_a_crash(client, db):
    for name, (content, reason) in NASTY.items():
        with pytest.raises(tariff_import.TariffImportError, match=reason):
            await tariff_files.import_file(db, content, name)
        await db.rollback()


async def test_a_sheet_of_thousands_of_rows_is_imported_in_a_bounded_number_of_statements(client, db):
    statements: list[str] = []
    engine = (await db.connection()).engine.sync_engine

    def count(*_args):
        statements.append("x")

    event.listen(engine, "before_cursor_execute", count)
    try:
        summary = await tariff_files.import_file(db, _russian_sheet(3000), "big.csv")
        await db.commit()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert (summary.created, summary.errors) == (3000, [])
    assert len(statements) < 100, len(statements)  # batches, not several statements a row
    assert await db.scalar(select(func.count()).select_from(RussianTariff)) == 3000
    again = await tariff_files.import_file(db, _russian_sheet(3000), "big.csv")
    assert (again.created, again.unchanged) == (0, 3000)


async def test_rows_of_one_file_that_overlap_each_other_or_the_stored_ones_are_reported(client, db):
    sheet = _russian_sheet(2) + f";2030-01-01;2030-01-03;{PRICES}\n".encode()
    summary = await tariff_files.import_file(db, sheet, "overlap.csv")
    assert summary.created == 2 and len(summary.errors) == 1 and "overlaps" in summary.errors[0]
    fixture = await tariff_files.import_file(db, TARIFFS.read_bytes(), "t.json")
    assert fixture.created == 22 and fixture.errors == []
    assert await db.scalar(select(func.count()).select_from(CountryTariff)) > 0


async def _run(args):
    return await anyio.to_thread.run_sync(lambda: subprocess.run(args, capture_output=True, text=True, timeout=120))


async def test_the_cli_refuses_nasty_files_with_exit_1_and_the_reason(client, db, tmp_path):
    crm = Path(sys.executable).with_name("crm")
    for name in ("binary.csv", "deep.json", "rows.csv"):
        path = tmp_path / name
        path.write_bytes(NASTY[name][0])
        result = await _run([str(crm), "tariffs", "import", str(path)])
        assert result.returncode == 1, (name, result.stdout, result.stderr[-500:])
        assert NASTY[name][1] in result.stderr and "Traceback" not in result.stderr
