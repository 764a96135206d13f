"""Spreadsheet uploads are checked before they are unpacked."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from crm.lib.uploads import UnsafeUpload, check_xlsx


def _xlsx() -> bytes:
    book = Workbook()
    book.active.append(["country", "valid_from"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_real_xlsx_passes():
    check_xlsx(_xlsx())


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 50_000_000)
    with pytest.raises(UnsafeUpload, match="unpacks"):
        check_xlsx(buffer.getvalue())


def test_a_file_that_is_not_a_zip_or_has_unsafe_names_is_refused():
    with pytest.raises(UnsafeUpload):
        check_xlsx(b"country;valid_from\n")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../evil.xml", b"x")
    with pytest.raises(UnsafeUpload, match="unsafe name"):
        check_xlsx(buffer.getvalue())
