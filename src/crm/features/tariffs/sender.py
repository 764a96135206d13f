"""The telegraph office's own requisites, printed at the head of every detail sheet a client receives.

Configuration, not code: ``CRM_BILLING_SENDER_NAME``, ``_INN``, ``_KPP``, ``_ADDRESS``, ``_BANK`` (bank, account,
BIC in one line), ``_PHONE``, ``_EMAIL`` (environment or the project's ``.env``). Read on every use, so a change
needs no code; without a name the sheets carry no sender block and the detail screen says what to set.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from crm.config import get_settings
from crm.lib.i18n import gettext as _

PREFIX = "CRM_BILLING_SENDER_"
FIELDS = ("name", "inn", "kpp", "address", "bank", "phone", "email")


@dataclass(frozen=True)
class Sender:
    name: str = ""
    inn: str = ""
    kpp: str = ""
    address: str = ""
    bank: str = ""
    phone: str = ""
    email: str = ""

    @property
    def configured(self) -> bool:
        return bool(self.name)

    def details(self) -> list[str]:
        """The lines under the name, in the current language: tax ids, address, bank, contacts."""
        ids = " · ".join(
            part
            for part in (
                _("INN %(inn)s", inn=self.inn) if self.inn else "",
                _("KPP %(kpp)s", kpp=self.kpp) if self.kpp else "",
            )
            if part
        )
        contacts = " · ".join(part for part in (self.phone, self.email) if part)
        return [line for line in (ids, self.address, self.bank, contacts) if line]


def sender() -> Sender:
    get_settings()  # loads .env into the environment once
    return Sender(**{name: " ".join((os.environ.get(PREFIX + name.upper()) or "").split()) for name in FIELDS})
