"""The sales slice's forms (crm.lib.forms): the mailbox the ERP's files arrive in, an ERP file uploaded on the
screen or through the API, an import's column mapping."""

from __future__ import annotations

from crm.features.sales.mailbox import TEXT_FIELDS, senders
from crm.features.sales.reading import max_bytes
from crm.lib.forms import Boolean, File, Form, Integer, Keyed, Text
from crm.lib.i18n import N_
from crm.lib.i18n import gettext as _


def _text() -> Text:
    return Text(max_length=1000, message=N_("Too long."))


class MailboxForm(Form):
    """The IMAP server and folders, who may send, and whether the mailbox is checked. The password is kept as
    stored when left empty (``password_clear`` removes it)."""

    host, username, folder = _text(), _text(), _text()
    allowed_senders, processed_folder, failed_folder = _text(), _text(), _text()
    port = Integer(min=1, max=65535, message=N_("A port number from 1 to 65535."))
    tls = Boolean()
    verify_certificate = Boolean()
    enabled = Boolean()
    password = Text(max_length=1000, strip=False)
    password_clear = Boolean()

    def check(self) -> None:
        if self.enabled and not self.host:
            self.errors.add("host", _("The mail server is needed to check the mailbox."))
        if self.enabled and not senders(self.allowed_senders):
            self.errors.add("allowed_senders", _("Name at least one sender whose files are imported."))

    def typed(self) -> dict[str, object]:
        """What the page shows again: the text typed, the boxes as ticked."""
        return {
            **{name: self.raw(name) for name in (*TEXT_FIELDS, "port")},
            **{name: self.values[name] for name in ("tls", "verify_certificate", "enabled")},
        }


class ImportMappingForm(Form):
    """The preview's column for each field (``map_<field>``: the column's index, -1 or empty for "not in this
    file") and the profile name to keep the mapping under. ``mapping.resolve`` checks the columns exist and the
    needed fields are there."""

    map = Keyed(Integer(min=-1, max=99_999, message=N_("Choose a column from the list.")), separator="_", max_keys=100)
    profile = Text(max_length=120)

    def chosen(self, fields: tuple[str, ...] | list[str]) -> dict[str, int]:
        """Each field's chosen column (-1: none, or left empty, or refused)."""
        return {name: -1 if self.map.get(name) is None else int(self.map[name]) for name in fields}


UPLOAD_LIMIT = max_bytes()  # one file (CRM_SALES_IMPORT_MAX_MB); a larger request is refused unread (413)


class UploadForm(Form):
    """An ERP file to preview (its content is ``reading.read_table``'s to check: an empty or unreadable one gets that
    reason) and the column profile to read it with (optional)."""

    file = File(
        required=True,
        allow_empty=True,
        max_bytes=UPLOAD_LIMIT,
        required_message=N_("Choose a CSV or XLSX file exported from the ERP."),
    )
    profile = Text(max_length=120)


class ApiImportForm(Form):
    """An ERP file sent to the API (multipart/form-data) and its optional profile. The size limit is the handler's
    (413, as for a body past the limit), so the file is not checked for it here."""

    file = File(required=True)
    profile = Text(max_length=120)
