"""The field types of the form recipe (crm.lib.forms, which re-exports them: import them from there). Each field
reads one submitted name (or a family of names, ``Keyed``) into a typed value, or raises ``Invalid`` with a msgid
that ``Form.parse`` translates and puts next to the field."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection, Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, cast, overload

from litestar.datastructures import UploadFile

from crm.lib.i18n import N_
from crm.lib.i18n import gettext as _
from crm.lib.web import FormErrors

if TYPE_CHECKING:
    from crm.lib.forms import Form

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


def _uploads(data: Any, name: str) -> list[UploadFile]:
    """Every file sent under ``name`` (a text value under a file field's name is no file)."""
    raw = data.getall(name, []) if hasattr(data, "getall") else _values_of(data, name)
    return [v for v in raw if isinstance(v, UploadFile)]


def _values_of(data: Any, name: str) -> list[Any]:
    value = data.get(name) if isinstance(data, Mapping) else None
    return [] if value is None else list(value) if isinstance(value, list | tuple) else [value]


class Field(Generic[T]):
    """One field: ``required`` (an empty value is an error), ``default`` (the value when left empty),
    ``many`` (a repeated field: every non-empty value, in order), ``validate`` (a function of the typed value that
    returns a message (msgid) or ``None``), ``message`` (one message, a msgid, for any value the field cannot
    take, instead of the type's own), ``strip=False`` to keep spaces (a password), ``name`` the name the page
    sends when it is not the attribute's (``auth[domain]``: not a Python name). Subclasses convert one non-empty
    string."""

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
        name: str = "",
    ) -> None:
        self.strip = strip
        self.message = message
        self.required = required
        self.default = default
        self.many = many
        self.validate = validate
        self.required_message = required_message
        self.name = name

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = self.name or name

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

    def _one(self, text: Any) -> Any:
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


class File(Field[UploadFile | None]):
    """A file of a ``multipart/form-data`` form, read as Litestar's ``UploadFile`` with its content unread
    (``await form.file.read()`` in the handler): ``None`` when none was chosen (a browser sends an empty part
    without a name then), a list for ``many`` (several files under one name). ``extensions`` are the name's
    allowed endings (``(".csv", ".xlsx")``, any case; the message names them), ``max_bytes`` the largest file
    (the message gives it in MB), ``allow_empty=False`` refuses a file of no bytes; ``message`` replaces any of
    these messages. A request larger than the route's ``request_max_body_size`` never gets here: Litestar answers
    413 from its Content-Length. A file cannot be put back into a page: ``raw`` is empty, the page asks again."""

    def __init__(
        self,
        *,
        extensions: Collection[str] = (),
        max_bytes: int | None = None,
        allow_empty: bool = False,
        required_message: str = N_("Choose a file."),
        **options: Any,
    ) -> None:
        super().__init__(required_message=required_message, **options)
        self.extensions = tuple(e.lower() for e in extensions)
        self.max_bytes, self.allow_empty = max_bytes, allow_empty

    @staticmethod
    def size(upload: UploadFile) -> int:
        """The file's size in bytes, found without reading it (it is spooled to memory or a temporary file)."""
        position = upload.file.tell()
        size = upload.file.seek(0, os.SEEK_END)
        upload.file.seek(position)
        return size

    def convert(self, upload: Any) -> UploadFile:
        name = (upload.filename or "").lower()
        if self.extensions and not name.endswith(self.extensions):
            raise Invalid(N_("Only %(types)s files."), types=", ".join(e.lstrip(".").upper() for e in self.extensions))
        size = self.size(upload)
        if self.max_bytes is not None and size > self.max_bytes:
            raise Invalid(N_("A file may be at most %(size)s MB."), size=_megabytes(self.max_bytes))
        if not size and not self.allow_empty:
            raise Invalid(N_("The file is empty."))
        return cast(UploadFile, upload)

    def parse(self, data: Any) -> Any:
        files = [u for u in _uploads(data, self.name) if u.filename]  # no name: the input was left empty
        if self.many:
            values = [self._one(u) for u in files]
            if self.required and not values:
                raise Invalid(self.required_message)
            return values
        if not files:
            if self.required:
                raise Invalid(self.required_message)
            return None
        return self._one(files[0])


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.1f}".removesuffix(".0")


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
