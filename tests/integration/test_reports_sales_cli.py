"""``crm report sales`` as a person runs it: a CSV from the old tool (Windows-1251, ';', decimal comma) or an XLSX in,
PNG/PDF/XLSX out, and bad input stopped with exit 1 and a message naming the column or the row."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

CRM = str(Path(sys.executable).with_name("crm"))
CSV = (
    "Дата закрытия;Сумма;Менеджер;Источник;Тип договора\n"
    "01.11.2026 00:00:00;1000,00;Иванов Пётр;google;Тип А\n"
    "01.11.2026;500;Иванов Пётр;fb;Тип Б\n"
    "2026-11-12;2 000,50;Петрова Анна;google;Тип А\n"
    "15.11.2026;300;;;\n"
    "31.10.2026;700;Петрова Анна;vk;Тип Б\n"
)
COLUMNS = ["--column-closed-at", "Дата закрытия", "--column-amount", "Сумма", "--column-manager", "Менеджер",
           "--column-source", "Источник", "--column-type", "Тип договора"]  # fmt: skip


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CRM_LOCALE": "ru", "CRM_TIMEZONE": "Europe/Moscow"}
    return subprocess.run([CRM, "report", "sales", *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def cp1251_csv(tmp_path: Path) -> Path:
    path = tmp_path / "sales.csv"
    path.write_bytes(CSV.encode("cp1251"))
    return path


def test_a_windows_1251_csv_with_semicolons_and_decimal_commas_makes_a_png_pdf_and_xlsx(cp1251_csv, tmp_path) -> None:
    png, pdf, xlsx = tmp_path / "r.png", tmp_path / "r.pdf", tmp_path / "r.xlsx"
    for out in (png, pdf):
        result = run("--input", str(cp1251_csv), "--output", str(out), "--period", "2026-11", *COLUMNS)
        assert result.returncode == 0, result.stderr
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 20_000
    assert pdf.read_bytes().startswith(b"%PDF")
    result = run("--input", str(cp1251_csv), "--output", str(xlsx), "--from", "01.11.2026", "--to", "2026-11-30",
                 "--lang", "en", *COLUMNS)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "3,800.50" in result.stdout and "4 won deals" in result.stdout
    book = load_workbook(xlsx)
    managers = [row for row in book["By manager"].iter_rows(values_only=True)]
    assert managers[1][:3] == ("Петрова Анна", 2000.5, 1)
    assert managers[2][:3] == ("Иванов Пётр", 1500, 2)
    assert managers[3][0] == "unknown"
    summary = {row[0]: row[1:] for row in book["Summary"].iter_rows(values_only=True)}
    assert summary["Previous total"][:2] == (700, 1)  # 31 October is in the previous 30 days


def test_an_xlsx_input_is_read_by_its_values(tmp_path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["closed_at", "amount", "manager", "source", "type"])
    sheet.append([datetime(2026, 11, 10, 0, 0), 1000, "u1", "google", "A"])
    sheet.append([datetime(2026, 11, 10, 15, 30), 500, "u1", "fb", "B"])
    sheet.append(["10.11.2026", "=1000+1000", "u2", "google", "A"])  # a formula without a cached value
    sheet.append(["10.11.2026", 2000, "u2", "google", "A"])
    source = tmp_path / "in.xlsx"
    book.save(source)
    result = run("--input", str(source), "--output", str(tmp_path / "o.xlsx"), "--lang", "en")
    assert result.returncode == 1
    assert "row 4" in result.stderr and "amount" in result.stderr
    sheet.delete_rows(4)
    book.save(source)
    result = run("--input", str(source), "--output", str(tmp_path / "o.xlsx"), "--lang", "en")
    assert result.returncode == 0, result.stderr
    assert "u2 2,000.00 / 1; u1 1,500.00 / 2" in result.stdout
    assert "google 3,000.00 / 2; fb 500.00 / 1" in result.stdout


def test_a_missing_column_stops_with_exit_1_naming_it(cp1251_csv, tmp_path) -> None:
    result = run("--input", str(cp1251_csv), "--output", str(tmp_path / "r.png"))
    assert result.returncode == 1
    assert 'column "closed_at"' in result.stderr and "Дата закрытия" in result.stderr
    named = run("--input", str(cp1251_csv), "--output", str(tmp_path / "r.png"), *COLUMNS[:4], "--column-type", "kind")
    assert named.returncode == 1 and 'column "kind"' in named.stderr


def test_a_bad_date_stops_with_exit_1_naming_the_row(tmp_path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("closed_at,amount,manager\n2026-11-01,10,u1\n31.02.2026,20,u2\n", encoding="utf-8")
    result = run("--input", str(path), "--output", str(tmp_path / "r.pdf"))
    assert result.returncode == 1
    assert "row 3" in result.stderr and "31.02.2026" in result.stderr
    assert not (tmp_path / "r.pdf").exists()


def test_an_unreadable_file_or_output_type_stops_with_a_clear_message(tmp_path) -> None:
    missing = run("--input", str(tmp_path / "nope.csv"), "--output", str(tmp_path / "r.png"))
    assert missing.returncode == 1 and "cannot read" in missing.stderr
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    unreadable = run("--input", str(broken), "--output", str(tmp_path / "r.png"))
    assert unreadable.returncode == 1 and "not a readable XLSX" in unreadable.stderr
    wrong = run("--input", str(broken), "--output", str(tmp_path / "r.docx"))
    assert wrong.returncode == 1 and "--output" in wrong.stderr
