"""The tariffs slice's forms (crm.lib.forms): a country's allowed kinds, a Russian or a country's tariff, the
tariffs' and the journal's files, adding the day's telegrams to a registry, forming and billing it, a row's edit
and its client, the Undo of a removed row."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from crm.features.tariffs.pricing import BLANKS, CATEGORIES, NOTIFICATIONS, QuoteError
from crm.features.tariffs.tariffs import MAX_PRICE, parse_instant
from crm.lib.forms import Boolean, Choice, Field, File, Form, Ids, Integer, Invalid, Number, Text
from crm.lib.i18n import N_
from crm.lib.i18n import gettext as _

PRICE = N_("Enter a price like 43.00.")
DAY = N_("Enter the date as YYYY-MM-DD.")
JOURNAL_LIMIT = 50 * 1024 * 1024  # a journal file (CSV) kept whole in the database until the worker reads it


class DayAddForm(Form):
    """The office's day (its date; the page's own) and the telegrams ticked on it."""

    date = Text(max_length=40)  # read by the day page's own rule (today when empty; a bad one is said so)
    telegram = Ids()


class AcknowledgeForm(Form):
    """The flagged rows a person confirmed on the confirmation page (record ids)."""

    acknowledge = Ids()


class ConfirmForm(AcknowledgeForm):
    """Form the registry: the operator's signature (the rule, 2 to 120 characters, is ``registries.confirm``'s)."""

    signature = Text(max_length=1000)


class UndoForm(Form):
    """The Undo of a removed row: the signed token the removal answered with."""

    undo = Text(max_length=4000)


class ClientPickForm(Form):
    """The client a picker sent: the typed or chosen "code name" (``client``), or a client's id from a plain
    select (``client_code``); ``registry_rows.find_client`` reads either."""

    client = Text(max_length=300)
    client_code = Text(max_length=300)

    @property
    def picked(self) -> str:
        return self.raw("client").strip() or self.raw("client_code").strip()


class AssignForm(ClientPickForm):
    """One client for every ticked row (``record``: the rows' ids)."""

    record = Ids()


class CountryFlagsForm(Form):
    """The kinds of telegram a country accepts (``tariffs.COUNTRY_FLAGS``: one checkbox each)."""

    allow_post = Boolean()
    allow_box = Boolean()
    allow_notification_ordinary = Boolean()
    allow_notification_urgent = Boolean()
    allow_lux = Boolean()
    allow_lux_v = Boolean()
    allow_deliver_on_date = Boolean()


class TelegraphClientForm(Form):
    """A client of the telegraph (billed for telegrams): code, names, INN and the address detail sheets go to."""

    code = Text(
        required=True,
        pattern=r"[0-9A-Za-z-]{1,20}",
        message=N_("Letters, digits or '-', up to 20 (e.g. 00001)."),
        required_message=N_("Letters, digits or '-', up to 20 (e.g. 00001)."),
    )
    short_name = Text(
        required=True,
        max_length=120,
        message=N_("Enter a short name (up to 120 characters)."),
        required_message=N_("Enter a short name (up to 120 characters)."),
    )
    full_name = Text(max_length=400, message=N_("At most 400 characters."))
    inn = Text(pattern=r"\d{10}|\d{12}", message=N_("An INN has 10 or 12 digits."))
    email = Text(
        pattern=r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}", message=N_("Enter an email address like name@company.ru.")
    )


class Instant(Field[datetime | None]):
    """A tariff's bound: ``2022-01-01`` (that day's start in the organisation's zone) or an ISO date-time."""

    def convert(self, text: str) -> datetime:
        try:
            return parse_instant(text)
        except QuoteError:
            raise Invalid(DAY) from None


def _price_problem(value: Decimal) -> str | None:
    if value < 0:
        return N_("A price cannot be negative.")
    return PRICE if value >= MAX_PRICE else None


def _amount() -> Text:
    return Text(max_length=40, message=N_("Enter amounts like 43.00."))


def _price() -> Number:
    return Number(required=True, validate=_price_problem, message=PRICE, required_message=PRICE)


class IntervalForm(Form):
    """A tariff's interval [valid_from, valid_to); ``tariffs`` refuses one that overlaps another tariff's."""

    valid_from = Instant(required=True, required_message=DAY)
    valid_to = Instant(required=True, required_message=DAY)

    def check(self) -> None:
        if self.valid_from and self.valid_to and not self.valid_from < self.valid_to:
            self.errors.add("valid_to", _("The end of the interval must be after its start."))

    def prices(self, names: tuple[str, ...]) -> dict[str, Decimal]:
        return {name: self.values[name] for name in names}


class RussianTariffForm(IntervalForm):
    """A Russian tariff: its interval and its prices (``tariffs.RUSSIAN_PRICE_FIELDS``)."""

    delivery_ordinary, delivery_urgent, delivery_post, delivery_box = _price(), _price(), _price(), _price()
    word_ordinary, word_urgent = _price(), _price()
    notification_ordinary, notification_urgent = _price(), _price()
    lux, lux_v, deliver_on_date, vat_percent = _price(), _price(), _price(), _price()


class CountryTariffForm(IntervalForm):
    """A country's tariff (the price of a word, ordinary and urgent); ``action=delete`` removes an existing one."""

    word_ordinary, word_urgent = _price(), _price()
    action = Choice(choices=("save", "delete"), default="save")


class TariffFileForm(Form):
    """The tariffs' file (JSON of the old system, CSV or XLSX); ``tariff_files.import_file`` reads and checks it
    (an empty one too: its reason goes next to the field)."""

    file = File(required=True, allow_empty=True, required_message=N_("Choose a file to import."))


class JournalFileForm(Form):
    """A journal of the telegraph (CSV, Windows-1251); the worker imports it."""

    file = File(
        required=True,
        max_bytes=JOURNAL_LIMIT,
        required_message=N_("Choose a journal file (CSV) to import."),
        message=N_("The file is empty or larger than 50 MB."),
    )


class RowEditForm(ClientPickForm):
    """A draft registry row's controls. The selects (country, kinds, a client's id) no screen sends wrong are
    checked here (a bad one: the row's message, 422); the words and the amounts, read only in manual mode, are
    ``registry_rows.update_row``'s to check (it takes what was sent, ``edits``: a field left out is unchanged)."""

    client_id = Integer(min=1, max=2**62, message=N_("Choose a client from the list."))
    country_id = Integer(min=1, max=2**62, message=N_("Choose a country from the list."))
    category = Choice(choices=CATEGORIES, message=N_("Choose a kind of delivery from the list."))
    notification = Choice(choices=NOTIFICATIONS, message=N_("Choose a notification from the list."))
    blank_kind = Choice(choices=BLANKS, name="blank", message=N_("Choose a blank from the list."))  # not Form.blank
    deliver_on_date, paid_reply, manual = Boolean(), Boolean(), Boolean()
    words = Text(max_length=40, message=N_("Enter the word count as a whole number from 0 to 100000."))
    delivery_amount, words_amount, notification_amount = _amount(), _amount(), _amount()
    blank_amount, deliver_on_date_amount, paid_reply_amount = _amount(), _amount(), _amount()
    total, vat, total_with_vat = _amount(), _amount(), _amount()
    changed = Text(max_length=100)

    def edits(self) -> dict[str, str]:
        """What was sent, by name (a checkbox only when ticked), as ``update_row`` reads it."""
        return {name: str(value) for name, value in self.shown().items() if name != "changed"}

    @property
    def message(self) -> str:
        """The row's one message: every refused field's, in the order of the form."""
        return "; ".join(self.errors.values())
