"""The tariffs slice's forms (crm.lib.forms): a country's allowed kinds, adding the day's telegrams to a registry,
forming and billing it, a row's client, the Undo of a removed row."""

from __future__ import annotations

from crm.lib.forms import Boolean, Form, Ids, Text
from crm.lib.i18n import N_


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
