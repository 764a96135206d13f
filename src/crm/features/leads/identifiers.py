"""Lead identifiers as they are stored: phones in E.164, emails lower-cased, external ids trimmed.

Russian numbers come in many shapes (``8 (912) 345-67-89``, ``+7 912 345 67 89``, ``79123456789``,
``9123456789``); they are all ``+79123456789``. Other countries must be written with ``+`` and their code.
"""

from __future__ import annotations

import re

from crm.lib.i18n import N_

_PHONE_DECORATION = re.compile(r"[\s()\-.\u00a0\u2010-\u2015]")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")

PHONE_INVALID = N_("Not a phone number: write it like +7 912 345-67-89 or 8 (912) 345-67-89.")
EMAIL_INVALID = N_("Not an email address: write it like name@company.ru.")
EXTERNAL_ID_INVALID = N_("The external id is at most 255 characters.")


class IdentifierError(ValueError):
    """A malformed identifier; ``message`` is an English msgid for gettext."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def normalize_phone(raw: str) -> str:
    """E.164 (``+79123456789``); raises IdentifierError for anything that is not a phone number."""
    value = _PHONE_DECORATION.sub("", raw.strip())
    plus = value.startswith("+")
    digits = value[1:] if plus else value
    if not digits.isdigit() or not digits.isascii():
        raise IdentifierError("phone", PHONE_INVALID)
    if plus:
        if digits.startswith("7"):
            national = digits[1:]
        elif 8 <= len(digits) <= 15 and digits[0] != "0":
            return "+" + digits
        else:
            raise IdentifierError("phone", PHONE_INVALID)
    elif len(digits) == 11 and digits[0] in "78":
        national = digits[1:]
    elif len(digits) == 10:
        national = digits
    else:
        raise IdentifierError("phone", PHONE_INVALID)
    # Russian (and Kazakh) numbers: ten digits after +7; area and mobile codes never start with 0, 1 or 2.
    if len(national) != 10 or national[0] in "012":
        raise IdentifierError("phone", PHONE_INVALID)
    return "+7" + national


def normalize_email(raw: str) -> str:
    value = raw.strip().lower()
    if len(value) > 255 or not _EMAIL.match(value):
        raise IdentifierError("email", EMAIL_INVALID)
    return value


def normalize_external_id(raw: str) -> str:
    value = raw.strip()
    if len(value) > 255:
        raise IdentifierError("external_id", EXTERNAL_ID_INVALID)
    return value


def phone_search_prefix(raw: str) -> str | None:
    """What a search box entry means as the start of a stored phone, or None if it is not phone-like.

    ``8912`` and ``+7 912`` both mean ``+7912``; a full number is normalised exactly.
    """
    value = _PHONE_DECORATION.sub("", raw.strip())
    digits = value.lstrip("+")
    if len(digits) < 3 or not digits.isdigit():
        return None
    try:
        return normalize_phone(value)
    except IdentifierError:
        pass
    if value.startswith("+"):
        return value
    if digits[0] in "78":
        return "+7" + digits[1:]
    return "+7" + digits


def display_phone(e164: str | None) -> str:
    """How people write a stored number: ``+7 912 345-67-89`` for Russian ones, others as stored."""
    if not e164:
        return ""
    if e164.startswith("+7") and len(e164) == 12:
        n = e164[2:]
        return f"+7 {n[:3]} {n[3:6]}-{n[6:8]}-{n[8:]}"
    return e164
