"""Checks on uploaded spreadsheets before they are unpacked (ASVS 5.2.3: zip bombs)."""

from __future__ import annotations

import io
import zipfile

MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 100
MAX_MEMBERS = 1000


class UnsafeUpload(ValueError):
    """The file is not what it claims to be, or would unpack into too much."""


def check_xlsx(content: bytes) -> None:
    """An XLSX is a zip: refuse one that is not, or whose members unpack past the limits."""
    if not content.startswith(b"PK\x03\x04"):
        raise UnsafeUpload("not an XLSX file")
    try:
        members = zipfile.ZipFile(io.BytesIO(content)).infolist()
    except zipfile.BadZipFile:
        raise UnsafeUpload("not a readable XLSX file") from None
    if len(members) > MAX_MEMBERS:
        raise UnsafeUpload("too many parts in the XLSX file")
    total = 0
    for member in members:
        if member.filename.startswith("/") or ".." in member.filename.split("/"):
            raise UnsafeUpload("a part of the XLSX file has an unsafe name")
        total += member.file_size
        if member.compress_size and member.file_size / member.compress_size > MAX_RATIO:
            raise UnsafeUpload("the XLSX file unpacks to far more than its size")
    if total > MAX_UNCOMPRESSED:
        raise UnsafeUpload("the XLSX file unpacks to more than 200 MB")
