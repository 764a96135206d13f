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

A family of inputs the page names itself (``day-2027-03-01``, one per day of a month) is one ``Keyed`` field:
``day = Keyed(Integer(min=0, max=1000))`` reads ``form.day == {"2027-03-01": 12, …}``, each bad one's message
under its own name.

Each field reads as the type it declares (``form.hour`` is an ``int``, ``None`` when optional and left empty).
Messages are translated when the form is parsed (the request's locale) and go into ``form.errors`` (a
``FormErrors``: field → message) that ``components/ui.html``'s ``field``/``select`` macros show next to the field
and ``form_errors`` sums up. ``form.raw(name)`` is what the person typed, to put back into the field. Nothing
in this module touches the database: a rule that needs it (an unknown department, a name already taken) lives
in the slice's service, which adds its message with ``form.errors.add``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, ClassVar, Generic, Self, TypeVar, overload

from crm.lib.errors import InvalidInput
from crm.lib.i18n import N_
from crm.lib.i18n import gettext as _
from crm.lib.web import FormErrors

T = TypeVar("T")

MAX_RAW = 100_000  # characters of one submitted value kept for re-display (a longer one is refused anyway)


class Invalid(ValueError):
    """A value a field cannot take; ``message`` is an untranslated msgid, ``params`` its placeholders."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


def _values(data: Any, name: str) -> list[str]:
    """Every value sent under ``name`` (a multipart upload is not a text value and is skipped)."""
    if hasattr(data, "getall"):
        raw = data.getall(name, [])
    elif isinstance(data, Mapping):
        value = data.get(name)
        raw = [] if value is None else value if isinstance(value, list | tuple) else [value]
    else:
        raw = []
    return [v for v in raw if isinstance(v, str)]


class Field(Generic[T]):
    """One field: ``required`` (an empty value is an error), ``default`` (the value when left empty),
    ``many`` (a repeated field: every non-empty value, in order), ``validate`` (a function of the typed value that
    returns a message (msgid) or ``None``), ``message`` (one message, a msgid, for any value the field cannot
    take, instead of the type's own), ``strip=False`` to keep spaces (a password). Subclasses convert one
    non-empty string."""

    empty: Any = None

    def __init__(
        self,
        *,
        required: bool = False,
        default: Any = None,
        many: bool = False,
        validate: Callable[[Any], str | None] | None = None,
        message: str | None = None,
        required_message: str = N_("This field is required."),
        strip: bool = True,
    ) -> None:
        self.strip = strip
        self.message = message
        self.required = required
        self.default = default
        self.many = many
        self.validate = validate
        self.required_message = required_message
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, form: None, owner: type) -> Self: ...
    @overload
    def __get__(self, form: Form, owner: type) -> T: ...
    def __get__(self, form: Form | None, owner: type) -> Any:
        if form is None:
            return self
        return form.values.get(self.name)

    def convert(self, text: str) -> Any:
        return text

    def _one(self, text: str) -> Any:
        try:
            value = self.convert(text)
        except Invalid:
            if self.message:
                raise Invalid(self.message) from None
            raise
        if self.validate is not None:
            problem = self.validate(value)
            if problem:
                raise Invalid(problem)
        return value

    def parse(self, data: Any) -> Any:
        """The typed value of this field in ``data``; ``Invalid`` with the first problem found."""
        texts = [t.strip() if self.strip else t for t in _values(data, self.name)]
        if self.many:
            values = [self._one(t) for t in texts if t]
            if self.required and not values:
                raise Invalid(self.required_message)
            return values
        text = next((t for t in texts if t), "")
        if not text:
            if self.required:
                raise Invalid(self.required_message)
            return self.default if self.default is not None else self.empty
        return self._one(text)


class Text(Field[str]):
    """A line of text, stripped; ``max_length``/``min_length`` in characters, ``pattern`` (a full match) with its
    ``pattern_message``, ``lower`` to fold case (e-mail addresses). An empty optional text is ``""``."""

    empty = ""

    def __init__(
        self,
        *,
        max_length: int = 255,
        min_length: int = 0,
        pattern: str | None = None,
        pattern_message: str = N_("Enter a value in the expected format."),
        lower: bool = False,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.max_length = max_length
        self.min_length = min_length
        self.pattern = re.compile(pattern) if pattern else None
        self.pattern_message = pattern_message
        self.lower = lower

    def convert(self, text: str) -> str:
        if len(text) > self.max_length:
            raise Invalid(N_("At most %(num)s characters."), num=f"{self.max_length:,}")
        if len(text) < self.min_length:
            raise Invalid(N_("At least %(num)s characters."), num=self.min_length)
        if self.pattern is not None and not self.pattern.fullmatch(text):
            raise Invalid(self.pattern_message)
        return text.lower() if self.lower else text


class Integer(Field[int | None]):
    """A whole number within ``min``..``max`` (both included); at most 18 digits whatever the bounds (a
    database column holds it)."""

    def __init__(self, *, min: int | None = None, max: int | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.min, self.max = min, max

    def convert(self, text: str) -> int:
        cleaned = text.replace(" ", "").replace("\u00a0", "")
        if not re.fullmatch(r"[+-]?\d{1,18}", cleaned):
            raise Invalid(N_("Enter a whole number."))
        return _bounded(int(cleaned), self.min, self.max)


class Number(Field[Decimal | None]):
    """A decimal number (a comma or a point; spaces between thousands), within ``min``..``max``, rounded to
    ``places`` decimals when given."""

    def __init__(
        self,
        *,
        min: Decimal | int | None = None,
        max: Decimal | int | None = None,
        places: int | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.min, self.max, self.places = min, max, places

    def convert(self, text: str) -> Decimal:
        cleaned = text.replace(" ", "").replace("\u00a0", "").replace(",", ".")
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            raise Invalid(N_("Enter a number.")) from None
        if not value.is_finite() or abs(value) >= 10**15 or len(cleaned) > 40:
            raise Invalid(N_("Enter a number."))
        if self.places is not None:
            value = value.quantize(Decimal(1).scaleb(-self.places), rounding=ROUND_HALF_UP)  # as people round
        return _bounded(value, self.min, self.max)


class Date(Field[date | None]):
    """A date as the browser's date input sends it (YYYY-MM-DD), within ``min``..``max``."""

    def __init__(self, *, min: date | None = None, max: date | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.min, self.max = min, max

    def convert(self, text: str) -> date:
        try:
            value = date.fromisoformat(text)
        except ValueError:
            raise Invalid(N_("Enter a date as YYYY-MM-DD.")) from None
        if self.min is not None and value < self.min:
            raise Invalid(N_("No earlier than %(date)s."), date=self.min.isoformat())
        if self.max is not None and value > self.max:
            raise Invalid(N_("No later than %(date)s."), date=self.max.isoformat())
        return value


class Month(Field[date | None]):
    """A month as the browser's month input sends it (YYYY-MM): the month's first day."""

    def convert(self, text: str) -> date:
        match = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
        if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1:
            raise Invalid(N_("Enter a month as YYYY-MM."))
        return date(int(match[1]), int(match[2]), 1)


class Boolean(Field[bool]):
    """A checkbox: ticked (any of ``on``, ``true``, ``yes``, ``1``) or not; never an error."""

    empty = False

    def parse(self, data: Any) -> bool:
        return any(v.strip().lower() in {"on", "true", "yes", "1", "y"} for v in _values(data, self.name))


class Choice(Field[str]):
    """One of ``choices`` (the values of a select or radio group); ``many`` for a group of checkboxes. An empty
    optional choice is ``""`` (or ``default``)."""

    empty = ""

    def __init__(
        self,
        *,
        choices: Collection[str],
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.choices = choices

    def convert(self, text: str) -> str:
        if text not in self.choices:
            raise Invalid(N_("Choose one of the listed values."))
        return text


class Ids(Field[list[int]]):
    """A repeated field of record ids (ticked rows): every positive whole number; anything else is refused."""

    def __init__(self, **options: Any) -> None:
        super().__init__(many=True, **options)

    def convert(self, text: str) -> int:
        if not re.fullmatch(r"\d{1,18}", text) or int(text) < 1:
            raise Invalid(N_("Choose records from the list."))
        return int(text)


class Keyed(Field[dict[str, Any]]):
    """A family of fields the page names ``<name>-<key>`` (a month's plan: ``day-2027-03-01`` for each day;
    ``separator=":"`` for ``perm:<role>``): every one sent is read by ``item`` (``Integer(min=0, max=1000)``…) into
    ``{key: typed value}``, ``None`` for one left empty (a list for a ``many`` item). A bad one gets its message
    under its own name (``day-2027-03-01``), so it shows next to that input; the family's own name gets one when
    ``required`` and none was sent, or when more than ``max_keys`` were. Which keys are allowed (the month's
    working days) is the service's rule."""

    def __init__(self, item: Field[Any], *, max_keys: int = 1000, separator: str = "-", **options: Any) -> None:
        super().__init__(**options)
        self.item, self.max_keys, self.separator = item, max_keys, separator

    def names(self, data: Any) -> list[str]:
        """The family's names in ``data``, in the order sent."""
        keys = data.keys() if hasattr(data, "keys") else []
        prefix = f"{self.name}{self.separator}"
        return [k for k in dict.fromkeys(keys) if isinstance(k, str) and k.startswith(prefix)]

    def _key(self, name: str) -> str:
        return name[len(self.name) + len(self.separator) :]

    def _item(self, data: Any, name: str) -> Any:
        texts = [t.strip() if self.item.strip else t for t in _values(data, name)]
        if self.item.many:  # a group of checkboxes per key (a role's permissions): every value ticked
            return [self.item._one(t) for t in texts if t]
        text = next((t for t in texts if t), "")
        return self.item._one(text) if text else None

    def parse(self, data: Any) -> dict[str, Any]:
        """The typed values by key; ``Invalid`` with the first problem (``Form.parse`` gives one per key)."""
        names = self.names(data)
        if len(names) > self.max_keys:
            raise Invalid(N_("At most %(num)s values."), num=self.max_keys)
        if self.required and not names:
            raise Invalid(self.required_message)
        return {self._key(name): self._item(data, name) for name in names}

    def parse_each(self, data: Any, errors: FormErrors, submitted: dict[str, list[str]]) -> dict[str, Any]:
        """Every key's typed value, each bad one's message under its own name, what was typed kept by name."""
        names = self.names(data)
        if len(names) > self.max_keys or (self.required and not names):
            try:
                self.parse(data)
            except Invalid as problem:
                errors.add(self.name, _(problem.message, **problem.params))
            return {}
        found: dict[str, Any] = {}
        for name in names:
            submitted[name] = [v[:MAX_RAW] for v in _values(data, name)]
            try:
                found[self._key(name)] = self._item(data, name)
            except Invalid as problem:
                errors.add(name, _(problem.message, **problem.params))
                found[self._key(name)] = [] if self.item.many else None
        return found


def _bounded(value: Any, low: Any, high: Any) -> Any:
    if low is not None and high is not None and not low <= value <= high:
        raise Invalid(N_("Enter a number from %(min)s to %(max)s."), min=low, max=high)
    if low is not None and value < low:
        raise Invalid(N_("At least %(min)s."), min=low)
    if high is not None and value > high:
        raise Invalid(N_("At most %(max)s."), max=high)
    return value


class Form:
    """A declared form. ``parse`` reads every field; ``ok`` says whether it may be saved; ``errors`` holds one
    translated message per field; the fields read as typed values; ``raw`` gives back what was typed."""

    fields: ClassVar[dict[str, Field[Any]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found: dict[str, Field[Any]] = {}
        for klass in reversed(cls.__mro__):
            found.update({k: v for k, v in vars(klass).items() if isinstance(v, Field)})
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

    def refuse_if_invalid(self) -> None:
        """For a form whose values no screen gets wrong (a button's hidden month, ticked record ids): a 422 page
        (or JSON for the API) naming the first field and its message; nothing is done."""
        for name, message in self.errors.items():
            raise InvalidInput(name, f"{name}: {message}")

    def data(self) -> dict[str, Any]:
        """The typed values by name (to pass to a service as keyword arguments)."""
        return dict(self.values)


def _shown(value: Any) -> str:
    return "" if value is None else value.isoformat() if isinstance(value, date) else str(value)
