"""The form recipe: declare a form's fields once, parse what the browser sent into typed values, collect one
message per field, and keep what was typed for re-display.

    class ScheduleForm(Form):
        name = Text(required=True, max_length=200)
        hour = Integer(required=True, min=0, max=23)
        kind = Choice(choices=("daily", "weekly"), default="daily")
        emails = Text(many=True, max_length=254, validate=lambda v: None if "@" in v else N_("Not an address."))
        active = Boolean()

        def check(self) -> None:  # rules across fields; a field that failed is already in self.errors
            if self.kind == "weekly" and not self.days:
                self.errors.add("days", _("Choose at least one day."))

    form = ScheduleForm.parse(await request.form())
    if not form.ok:
        return render(request, "…", {"form": form, "errors": form.errors}, status_code=422)
    await services.save_schedule(db_session, form.name, form.hour, …)

A file (``<input type="file">`` of a ``multipart/form-data`` form) is a ``File`` field:
``file = File(required=True, extensions=(".csv", ".xlsx"), max_bytes=50 * 2**20)`` reads ``form.file`` as
Litestar's ``UploadFile`` (its content unread: ``await form.file.read()``), a missing, empty, too large or wrongly
named one refused with its message. A field whose submitted name is not a Python name (``auth[domain]``) gives it
with ``name=``: ``domain = Text(name="auth[domain]")``.

A family of inputs the page names itself (``day-2027-03-01``, one per day of a month) is one ``Keyed`` field:
``day = Keyed(Integer(min=0, max=1000))`` reads ``form.day == {"2027-03-01": 12, …}``, each bad one's message
under its own name.

Each field reads as the type it declares (``form.hour`` is an ``int``, ``None`` when optional and left empty).
Messages are translated when the form is parsed (the request's locale) and go into ``form.errors`` (a
``FormErrors``: field → message) that ``components/ui.html``'s ``field``/``select`` macros show next to the field
and ``form_errors`` sums up. ``form.raw(name)`` is what the person typed, to put back into the field. Nothing
in this module touches the database: a rule that needs it (an unknown department, a name already taken) lives
in the slice's service, which adds its message with ``form.errors.add``. The field types live in
``crm.lib.form_fields`` and are imported from here.

The recipe is the only way a handler reads a submitted form: ``tests/unit/test_architecture.py`` fails on a
``request.form()`` that is not the argument of a declared form's ``parse``.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar, Self

from crm.lib.errors import InvalidInput
from crm.lib.form_fields import (
    MAX_RAW,
    Boolean,
    Choice,
    Date,
    Field,
    File,
    Ids,
    Integer,
    Invalid,
    Keyed,
    Month,
    Number,
    Text,
    _values,
)
from crm.lib.i18n import gettext as _
from crm.lib.web import FormErrors

__all__ = ["MAX_RAW", "Boolean", "Choice", "Date", "Field", "File", "Form", "Ids", "Integer", "Invalid", "Keyed",
           "Month", "Number", "Text"]  # fmt: skip


class Form:
    """A declared form. ``parse`` reads every field; ``ok`` says whether it may be saved; ``errors`` holds one
    translated message per field; the fields read as typed values; ``raw`` gives back what was typed."""

    fields: ClassVar[dict[str, Field[Any]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found: dict[str, Field[Any]] = {}
        for klass in reversed(cls.__mro__):
            found.update({v.name: v for v in vars(klass).values() if isinstance(v, Field)})  # by the name sent
        cls.fields = found

    def __init__(self, values: dict[str, Any], submitted: dict[str, list[str]], errors: FormErrors) -> None:
        self.values = values
        self.submitted = submitted
        self.errors = errors

    @classmethod
    def parse(cls, data: Any) -> Self:
        """Every declared field of ``data`` (``await request.form()``, a dict, a query string's params).
        A field that fails keeps its default (``None``, ``""``, ``[]``) and gets its message."""
        errors = FormErrors()
        values: dict[str, Any] = {}
        submitted: dict[str, list[str]] = {}
        for name, field in cls.fields.items():
            if isinstance(field, Keyed):
                values[name] = field.parse_each(data, errors, submitted)
                continue
            submitted[name] = [v[:MAX_RAW] for v in _values(data, name)]
            try:
                values[name] = field.parse(data)
            except Invalid as problem:
                errors.add(name, _(problem.message, **problem.params))
                values[name] = [] if field.many else field.empty
        form = cls(values, submitted, errors)
        form.check()
        return form

    @classmethod
    def blank(cls, **initial: Any) -> Self:
        """An unsubmitted form (a new record's page), its fields showing ``initial``."""
        values = {name: initial.get(name, [] if f.many else f.default if f.default is not None else f.empty)
                  for name, f in cls.fields.items()}  # fmt: skip
        submitted = {
            name: [_shown(v)] if not isinstance(v, list) else [_shown(x) for x in v]
            for name, v in values.items()
            if not isinstance(cls.fields[name], Keyed)
        }
        for name, field in cls.fields.items():  # a family: each key's value under its own name
            if isinstance(field, Keyed):
                values[name] = dict(values[name] or {})
                submitted.update({f"{name}-{k}": [_shown(v)] for k, v in values[name].items()})
        return cls(values, submitted, FormErrors())

    def check(self) -> None:
        """Rules across fields, run after every field was read; add messages with ``self.errors.add``."""

    @property
    def ok(self) -> bool:
        return not self.errors

    def raw(self, name: str) -> str:
        """What was typed into a field, to show it again (the first value of a repeated field)."""
        return next(iter(self.submitted.get(name) or []), "")

    def raw_all(self, name: str) -> list[str]:
        return list(self.submitted.get(name) or [])

    def shown(self) -> dict[str, Any]:
        """What was submitted, for a template's ``form.get(name, default)``: the text typed into each field sent
        (a repeated field's list of values); a field not on the submitted form falls back to the default."""
        return {name: (values if name in self.fields and self.fields[name].many else values[0])
                for name, values in self.submitted.items() if values}  # fmt: skip

    def refuse_if_invalid(self, *names: str) -> None:
        """For a form whose values no screen gets wrong (a button's hidden month, ticked record ids): a 422 page
        (or JSON for the API) naming the first field and its message; nothing is done. With ``names``, only those
        fields (the hidden ones) are refused so; the others' messages go next to them as usual."""
        for name, message in self.errors.items():
            if not names or name in names:
                raise InvalidInput(name, f"{name}: {message}")

    def data(self) -> dict[str, Any]:
        """The typed values by name (to pass to a service as keyword arguments)."""
        return dict(self.values)


def _shown(value: Any) -> str:
    return "" if value is None else value.isoformat() if isinstance(value, date) else str(value)
