"""The form recipe's file field (crm.lib.forms.File) and fields whose submitted name is not a Python name."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar.datastructures import FormMultiDict, UploadFile

from crm.lib.forms import File, Form, Text
from crm.lib.i18n import N_, set_locale


def upload(name: str, content: bytes) -> UploadFile:
    return UploadFile(content_type="application/octet-stream", filename=name, file_data=content)


class ImportForm(Form):
    file = File(required=True, extensions=(".csv", ".xlsx"), max_bytes=2 * 2**20,
                required_message=N_("Choose a CSV or XLSX file exported from the ERP."))  # fmt: skip
    note = Text(max_length=20)


class PhotosForm(Form):
    photo = File(many=True, required=True, max_bytes=10)


class OptionalFile(Form):
    attachment = File(allow_empty=True)


def test_a_chosen_file_is_the_upload_itself_with_its_content_unread() -> None:
    sent = upload("Sales.XLSX", b"rows")
    f = ImportForm.parse(FormMultiDict([("file", sent), ("note", " march ")]))
    assert f.ok and f.file is sent and f.note == "march"
    assert f.file is not None and f.file.file.read() == b"rows"  # still at its start: nothing was consumed
    assert File.size(sent) == 4


def test_a_missing_empty_too_large_or_wrongly_named_file_gets_its_message() -> None:
    missing = ImportForm.parse(FormMultiDict([("note", "x")]))
    assert missing.errors == {"file": "Choose a CSV or XLSX file exported from the ERP."} and missing.file is None
    left_empty = ImportForm.parse(FormMultiDict([("file", upload("", b""))]))  # a file input nobody used
    assert left_empty.errors == {"file": "Choose a CSV or XLSX file exported from the ERP."}
    text_instead = ImportForm.parse({"file": "sales.csv"})  # a text value under the file's name is no file
    assert text_instead.errors == {"file": "Choose a CSV or XLSX file exported from the ERP."}
    assert ImportForm.parse({"file": upload("sales.pdf", b"x")}).errors == {"file": "Only CSV, XLSX files."}
    assert ImportForm.parse({"file": upload("sales.csv", b"")}).errors == {"file": "The file is empty."}
    big = ImportForm.parse({"file": upload("sales.csv", b"x" * (2 * 2**20 + 1)), "note": "kept"})
    assert big.errors == {"file": "A file may be at most 2 MB."} and big.file is None
    assert big.raw("note") == "kept" and big.raw("file") == ""  # what was typed stays; a file is asked again


def test_several_files_under_one_name_are_a_list_and_one_bad_file_refuses_the_field() -> None:
    two = PhotosForm.parse(FormMultiDict([("photo", upload("a.jpg", b"1")), ("photo", upload("b.jpg", b"2"))]))
    assert two.ok and [p.filename for p in two.photo] == ["a.jpg", "b.jpg"]
    assert PhotosForm.parse(FormMultiDict([])).errors == {"photo": "Choose a file."}
    too_big = PhotosForm.parse(FormMultiDict([("photo", upload("a.jpg", b"1")), ("photo", upload("b.jpg", b"x" * 11))]))
    assert too_big.photo == [] and list(too_big.errors) == ["photo"]


def test_an_optional_file_may_be_left_out_or_empty() -> None:
    assert OptionalFile.parse({}).attachment is None and OptionalFile.parse({}).ok
    empty = OptionalFile.parse({"attachment": upload("blank.txt", b"")})
    assert empty.ok and empty.attachment is not None
    assert OptionalFile.blank().attachment is None


def test_file_messages_are_translated() -> None:
    set_locale("ru")
    try:
        assert ImportForm.parse({"file": upload("a.csv", b"")}).errors["file"] != "The file is empty."
        assert OptionalFile.parse({}).ok
    finally:
        set_locale("en")


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_locale("en")
    yield
    set_locale("en")


class InstallForm(Form):
    domain = Text(name="auth[domain]", max_length=200)
    token = Text(name="auth[access_token]", required=True)


def test_a_field_may_read_a_name_that_is_not_a_python_name() -> None:
    f = InstallForm.parse({"auth[domain]": "b24.example.com", "auth[access_token]": "abc"})
    assert f.ok and f.domain == "b24.example.com" and f.token == "abc"
    assert set(InstallForm.fields) == {"auth[domain]", "auth[access_token]"}
    missing = InstallForm.parse({"auth[domain]": "x" * 201})
    assert missing.errors == {
        "auth[domain]": "At most 200 characters.",
        "auth[access_token]": "This field is required.",
    }
    assert missing.raw("auth[domain]") == "x" * 201
