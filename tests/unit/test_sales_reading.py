"""Reading ERP files: encodings, separators, dates, numbers, Excel values without formulas, hostile files refused
as a whole with a reason, and the headers of the spec recognised whatever their case and spaces."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook

from crm.features.sales import mapping, reading
from crm.features.sales.reading import FileRejected, read_table
from crm.features.sales.rows import Rejected, check_row, parse_day, parse_number

HEADER = "Дата;Номер документа;Код клиента;Клиент;ИНН;Товарная группа;Товар;Количество;Сумма;Менеджер"
ROW = "05.11.2026;РН-1;C001;ООО «Ромашка»;7701000001;Краски;Эмаль белая;2;1 234,50;Мария Алексеева"


def _rows(content: bytes, name: str = "f.csv") -> tuple[list[str], list[list[object]]]:
    table = read_table(content, name)
    return table.headers, list(table.rows)


def _checked(row: list[object], headers: list[str]) -> tuple[object, ...]:
    return check_row(row, mapping.resolve(headers))


def test_a_windows_1251_file_with_semicolons_is_read():
    headers, rows = _rows(f"{HEADER}\r\n{ROW}\r\n".encode("cp1251"))
    assert headers[0] == "Дата" and rows[0][3] == "ООО «Ромашка»"
    record = _checked(rows[0], headers)
    assert record[0] == date(2026, 11, 5) and Decimal(record[5]) == Decimal("1234.50")


def test_a_utf8_file_with_a_bom_and_commas_is_read_and_the_bom_is_not_part_of_the_first_header():
    text = HEADER.replace(";", ",") + "\n" + ROW.replace(";", ",").replace("1 234,50", '"1 234,50"') + "\n"
    headers, rows = _rows(b"\xef\xbb\xbf" + text.encode())
    assert headers[0] == "Дата"
    assert mapping.recognise(headers)["date"] == 0
    assert Decimal(_checked(rows[0], headers)[5]) == Decimal("1234.50")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("05.11.2026", date(2026, 11, 5)),
        ("5.1.2026", date(2026, 1, 5)),
        ("2026-11-05", date(2026, 11, 5)),
        ("2026-11-05T00:00:00", date(2026, 11, 5)),
        (date(2026, 2, 28), date(2026, 2, 28)),
    ],
)
def test_dates_in_russian_and_iso_form_are_read(raw, expected):
    assert parse_day(raw) == expected


@pytest.mark.parametrize("raw", ["31.02.2026", "2026-02-30", "11/05/2026", "вчера"])
def test_a_date_that_does_not_exist_is_a_rejected_row_with_the_value(raw):
    with pytest.raises(Rejected) as caught:
        parse_day(raw)
    assert caught.value.code == "date_invalid" and caught.value.value == raw


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1234,56", "1234.56"),
        ("1234.56", "1234.56"),
        ("1 234 567,89", "1234567.89"),
        ("1\u00a0234\u00a0567,89", "1234567.89"),
        ("1\u202f234,5", "1234.5"),
        ("1,234,567.89", "1234567.89"),
        ("1.234.567,89", "1234567.89"),
        ("-150,00", "-150.00"),
        ("\u2212150,00", "-150.00"),
        (1234.5, "1234.5"),
        (7, "7"),
    ],
)
def test_numbers_with_decimal_comma_or_point_and_thousands_separators(raw, expected):
    assert parse_number(raw, "amount_invalid") == Decimal(expected)


@pytest.mark.parametrize("raw", ["десять", "12abc", "1,2,3.4.5", "--1", "1e5"])
def test_an_amount_in_words_or_garbled_is_a_rejected_row(raw):
    with pytest.raises(Rejected) as caught:
        parse_number(raw, "amount_invalid")
    assert caught.value.code == "amount_invalid"


def test_a_row_without_any_client_field_is_rejected():
    headers = HEADER.split(";")
    row = ["05.11.2026", "РН-1", "", "", "", "Краски", "Эмаль", "1", "10", ""]
    with pytest.raises(Rejected) as caught:
        _checked(row, headers)
    assert caught.value.code == "client_missing"


def test_headers_are_recognised_whatever_their_case_and_spaces():
    headers = [" DATE ", "Номер  документа", "КОД КЛИЕНТА", "контрагент", "Инн", "Товарная группа", "Номенклатура",
               "Количество", "СУММА", "менеджер"]  # fmt: skip
    assert mapping.recognise(headers) == {f: i for i, f in enumerate(mapping.FIELDS)}


def test_a_file_without_an_amount_column_is_refused_naming_it():
    with pytest.raises(FileRejected) as caught:
        mapping.resolve(["Дата", "Документ", "Клиент"])
    assert "amount" in str(caught.value)


def test_a_profile_maps_other_headers_and_a_preview_choice_wins():
    headers = ["Dt", "Doc", "Cust", "Sum"]
    profile = {"date": "dt", "invoice": "doc", "client_name": "cust", "amount": "sum"}
    assert mapping.resolve(headers, profile) == {"date": 0, "invoice": 1, "client_name": 2, "amount": 3}
    chosen = mapping.resolve(headers, profile, {"client_name": -1, "client_code": 2})
    assert chosen == {"date": 0, "invoice": 1, "client_code": 2, "amount": 3}
    assert mapping.as_profile(headers, chosen)["client_code"] == "cust"


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_gives_values_dates_and_numbers_and_never_evaluates_a_formula():
    content = _xlsx(
        [
            HEADER.split(";"),
            [date(2026, 11, 5), "РН-1", 1001, "ООО Ромашка", 7701000001, "Краски", "Эмаль", 2, 1234.5, "М"],
            ["05.11.2026", "РН-2", "C2", "ООО Лютик", "", "Лаки", "Лак", 1, "=1+1", "М"],
            ["06.11.2026", "РН-3", "C3", '=HYPERLINK("http://evil")', "", "Лаки", "Лак", 1, "=SUM(H1:H3)", "М"],
        ]
    )
    headers, rows = _rows(content, "sales.xlsx")
    first = _checked(rows[0], headers)
    assert first[0] == date(2026, 11, 5) and Decimal(first[5]) == Decimal("1234.50")
    assert first[7] == "1001" and first[8] == "7701000001"  # numbers typed as codes keep no ".0"
    for row in rows[1:]:  # formulas without a cached value are read as nothing, never computed
        with pytest.raises(Rejected) as caught:
            _checked(row, headers)
        assert caught.value.code == "amount_missing"


def test_an_xls_that_is_really_xlsx_is_read_as_xlsx():
    headers, rows = _rows(_xlsx([["date", "invoice", "client_code", "amount"], ["2026-11-01", "A", "C", 5]]), "x.xls")
    assert headers == ["date", "invoice", "client_code", "amount"] and len(rows) == 1


def test_an_xlsx_zip_bomb_is_refused_before_it_is_unpacked():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("[Content_Types].xml", "<Types/>")
        bomb.writestr("xl/worksheets/sheet1.xml", b"\x00" * (50 * 1024 * 1024))
    with pytest.raises(FileRejected) as caught:
        read_table(buffer.getvalue(), "bomb.xlsx")
    assert "unsafe" in str(caught.value) and "unpacks" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "name", "words"),
    [
        (b"", "empty.csv", "empty"),
        (b"  \r\n \r\n", "blank.csv", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00" + bytes(range(256)) * 4, "photo.csv", "binary"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" * 50, "program.csv", "binary"),
        (b"not a zip at all", "sales.xlsx", "Excel"),
        (b"PK\x03\x04garbage-garbage-garbage", "sales.xlsx", "XLSX"),
    ],
)
def test_unreadable_files_are_refused_as_a_whole_with_a_reason(content, name, words):
    with pytest.raises(FileRejected) as caught:
        read_table(content, name)
    assert words.lower() in str(caught.value).lower()


def test_a_header_only_file_has_no_data_rows():
    headers, rows = _rows(f"{HEADER}\r\n\r\n".encode())
    assert len(headers) == 10 and rows == []


def test_a_file_past_the_size_limit_is_refused_naming_the_limit(monkeypatch):
    monkeypatch.setenv("CRM_SALES_IMPORT_MAX_MB", "1")
    assert reading.max_bytes() == 1024 * 1024
    with pytest.raises(FileRejected) as caught:
        reading.check_size(2 * 1024 * 1024)
    assert "1 MB" in str(caught.value)
