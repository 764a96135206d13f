"""One gate for what PostgreSQL and asyncpg cannot take: NUL characters in text and integers beyond 64 bits.

PostgreSQL refuses U+0000 in ``text`` (asyncpg: CharacterNotInRepertoireError) and asyncpg cannot send an int
outside int64 (OverflowError). Any handler that passes a request value to SQL would answer 500, so instead of
asking every slice to remember, this middleware (second in the app's list, before sessions, sign-in and CSRF)
refuses such requests wherever the value comes in:

- the path: a NUL (``%00``) answers 404 — nothing lives at such an address; a path parameter typed ``int``
  outside int64 (``/companies/99999999999999999999``) is a 404 as well — no record has that id;
- the query string: a NUL in any name or value, and an out-of-range value of a query parameter the handler
  declares as an integer, answer 422 naming the parameter (text filters may hold long numbers: a 20-digit
  bank account typed into a search box is text);
- headers and cookies (cookies are percent-decoded by Litestar): a NUL answers 422;
- the body, by its content type: JSON (a NUL in any string or key, an integer outside int64, at any depth,
  named as ``lead.name`` / ``rows[2].id``), urlencoded forms (a NUL in a name or value) and multipart forms,
  read with the parser Litestar uses (a NUL in a name or a text field, a text field that does not decode in
  its charset). Uploaded files' content is not inspected: XLSX and other binary files contain 0x00 bytes.

Bodies are read here and replayed to the app (Litestar buffers them in ``request.body()`` anyway), up to the
route's ``request_max_body_size``; a bigger body is passed on unread and Litestar answers 413. JSON and
urlencoded bodies are parsed only when they contain a NUL byte, ``%00``, the escape ``\\u0000`` or a run of 19+
digits, so ordinary requests cost a few byte scans. Refusals are ``{"detail", "errors": [{"field", "message"}]}``
under /api/ and the friendly error page elsewhere (crm.lib.errors), in the language of the ``crm_lang`` cookie.

Handlers and services need nothing of their own; what slips past (a value built from several inputs, a
string too long for its column) is caught by the safety net in crm.lib.errors (``handle_bad_data``: 422).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from litestar import Request
from litestar._parsers import parse_cookie_string
from litestar.exceptions import HTTPException, NotFoundException
from litestar.middleware import ASGIMiddleware
from litestar.params import ParameterKwarg
from litestar.types import ASGIApp, Receive, Scope, Send
from litestar.typing import FieldDefinition
from multipart import MultipartError, MultipartSegment, PushMultipartParser, parse_options_header

from crm.lib import errors, i18n
from crm.lib.i18n import N_

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
DEFAULT_BODY_LIMIT = 10 * 1024 * 1024

NUL_MESSAGE = N_("The NUL character is not allowed in text.")
RANGE_MESSAGE = N_("The number is out of range: at most a 64-bit integer (19 digits).")
NUL_PATH = N_("No such address: it contains the NUL character.")
RANGE_PATH = N_("No such record: the id in the address is out of range.")
ENCODING_MESSAGE = N_("The text is not valid in its character set (UTF-8 is expected).")

_INTEGER = re.compile(r"\s*[+-]?\d+\s*")
_LONG_DIGITS = re.compile(rb"\d{19,}")
MAX_PARTS = 1000  # Litestar's multipart_form_part_limit


@dataclass(frozen=True)
class Rejection:
    """Why a request is refused: 404 (the address) or 422 (a named field), with an untranslated message."""

    status: int
    field: str
    message: str


def in_int64(value: int) -> bool:
    return INT64_MIN <= value <= INT64_MAX


def _out_of_range(text: str) -> bool:
    """An integer literal beyond int64 (without converting thousands of digits: int() refuses those)."""
    if not _INTEGER.fullmatch(text):
        return False
    digits = text.strip().lstrip("+-").lstrip("0")
    return len(digits) > 19 or (len(digits) == 19 and not in_int64(int(text)))


def _shown(name: str) -> str:
    return name.replace("\x00", "\\0")


# --------------------------------------------------------------------------- the address


def _pairs(raw: bytes) -> list[tuple[str, str]]:
    return parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace")


def _nul_in_pairs(raw: bytes) -> Rejection | None:
    if b"\x00" not in raw and b"%00" not in raw:
        return None
    for name, value in _pairs(raw):
        if "\x00" in name or "\x00" in value:
            return Rejection(422, _shown(name), NUL_MESSAGE)
    return None


def _is_int_type(field: FieldDefinition) -> bool:
    if field.is_union or field.is_optional:
        return any(_is_int_type(inner) for inner in field.inner_types if not inner.is_none_type)
    if field.is_non_string_sequence:
        return any(_is_int_type(inner) for inner in field.inner_types)
    return field.is_subclass_of(int) and not field.is_subclass_of(bool)


_int_query_names: dict[int, frozenset[str]] = {}


def int_query_names(handler: Any) -> frozenset[str]:
    """The query parameters a handler declares as integers (``page: int``, ``source_id: int | None``...)."""
    key = id(handler)
    if key not in _int_query_names:
        names: set[str] = set()
        signature = getattr(handler, "parsed_fn_signature", None)
        dependencies = set(handler.resolve_dependencies()) if hasattr(handler, "resolve_dependencies") else set()
        for name, field in signature.parameters.items() if signature else ():
            kwarg = field.kwarg_definition
            if name in dependencies or (kwarg is not None and not isinstance(kwarg, ParameterKwarg)):
                continue
            if isinstance(kwarg, ParameterKwarg) and (kwarg.header or kwarg.cookie):
                continue
            if _is_int_type(field):
                names.add(kwarg.query or name if isinstance(kwarg, ParameterKwarg) else name)
        _int_query_names[key] = frozenset(names)
    return _int_query_names[key]


def address_problem(scope: Scope) -> Rejection | None:
    if "\x00" in scope.get("path", ""):  # percent-decoded
        return Rejection(404, "path", NUL_PATH)
    for name, value in scope.get("path_params", {}).items():
        if isinstance(value, int) and not in_int64(value):
            return Rejection(404, name, RANGE_PATH)
    query = scope.get("query_string", b"")
    if problem := _nul_in_pairs(query):
        return problem
    handler = scope.get("route_handler")
    wanted = int_query_names(handler) if handler is not None and query else frozenset()
    if wanted:
        for name, value in _pairs(query):
            if name in wanted and _out_of_range(value):
                return Rejection(422, name, RANGE_MESSAGE)
    for header, raw in scope.get("headers", []):
        if b"\x00" in raw:
            return Rejection(422, header.decode("latin-1"), NUL_MESSAGE)
        if header == b"cookie" and (b"%00" in raw or b"\\0" in raw):
            for key, text in parse_cookie_string(raw.decode("latin-1")).items():
                if "\x00" in key or "\x00" in text:
                    return Rejection(422, f"cookie {_shown(key)}", NUL_MESSAGE)
    return None


# --------------------------------------------------------------------------- the body


def _json_problem(value: Any, path: str) -> Rejection | None:
    if isinstance(value, str):
        return Rejection(422, path or "body", NUL_MESSAGE) if "\x00" in value else None
    if isinstance(value, int) and not isinstance(value, bool):
        return None if in_int64(value) else Rejection(422, path or "body", RANGE_MESSAGE)
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{_shown(key)}" if path else _shown(key)
            if "\x00" in key:
                return Rejection(422, where, NUL_MESSAGE)
            if problem := _json_problem(item, where):
                return problem
    if isinstance(value, list):
        for index, item in enumerate(value):
            if problem := _json_problem(item, f"{path}[{index}]"):
                return problem
    return None


def _multipart_problem(body: bytes, content_type: str) -> Rejection | None:
    """Parsed with the parser Litestar uses: a text field must decode in its charset (Litestar would raise
    UnicodeDecodeError: a 500) and hold no NUL, nor may a field's or a file's name; files' content is not
    looked at."""
    boundary = parse_options_header(content_type)[1].get("boundary")
    if not boundary:
        return None
    parser = PushMultipartParser(boundary.encode("latin-1"), max_segment_count=MAX_PARTS)
    try:
        return _first_bad_part(parser, body)
    except MultipartError:
        return None  # malformed: Litestar answers 400
    finally:
        parser.close(check_complete=False)  # an early answer leaves the stream unfinished


def _first_bad_part(parser: PushMultipartParser, body: bytes) -> Rejection | None:
    segment: MultipartSegment | None = None
    text = bytearray()
    for chunk in (body, b""):
        for event in parser.parse(chunk):
            if isinstance(event, MultipartSegment):
                segment, text = event, bytearray()
                if "\x00" in segment.name or "\x00" in (segment.filename or ""):
                    return Rejection(422, _shown(segment.name), NUL_MESSAGE)
            elif segment is None or segment.filename:
                continue
            elif event:
                text.extend(event)
            else:  # the end of a text field
                try:
                    value = text.decode(segment.charset or "utf-8")
                except (UnicodeDecodeError, LookupError):
                    return Rejection(422, segment.name, ENCODING_MESSAGE)
                if "\x00" in value:
                    return Rejection(422, segment.name, NUL_MESSAGE)
    return None


def body_problem(body: bytes, content_type: str) -> Rejection | None:
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        if b"\x00" not in body and b"\\u0000" not in body and not _LONG_DIGITS.search(body):
            return None
        try:
            return _json_problem(msgspec.json.decode(body), "")
        except msgspec.DecodeError:
            return None  # not JSON: the handler's decoder answers 400
    if media == "application/x-www-form-urlencoded":
        return _nul_in_pairs(body)
    if media == "multipart/form-data":
        return _multipart_problem(body, content_type)
    return None


_INSPECTED = ("json", "x-www-form-urlencoded", "multipart/form-data")


async def _read_body(scope: Scope, receive: Receive) -> tuple[bytes | None, Receive]:
    """The whole body (None when there is none to inspect or it is over the limit) and a receive that replays it."""
    headers = dict(scope.get("headers", []))
    content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
    if not any(kind in content_type for kind in _INSPECTED):
        return None, receive
    handler = scope.get("route_handler")
    limit = DEFAULT_BODY_LIMIT
    if handler is not None and hasattr(handler, "resolve_request_max_body_size"):
        limit = handler.resolve_request_max_body_size() or DEFAULT_BODY_LIMIT
    length = headers.get(b"content-length", b"")
    if length.isdigit() and int(length) > limit:
        return None, receive
    messages: list[Any] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        size += len(message.get("body", b""))
        if not message.get("more_body", False) or size > limit:
            break
    complete = messages[-1]["type"] == "http.request" and not messages[-1].get("more_body", False)
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
    pending: list[Any] = [{"type": "http.request", "body": body, "more_body": False}] if complete else messages

    async def replay() -> Any:
        return pending.pop(0) if pending else await receive()

    return (body if complete and size <= limit else None), replay


# --------------------------------------------------------------------------- the middleware


class InputGuardMiddleware(ASGIMiddleware):
    """Refuses NUL characters and out-of-range integers in the address, headers and body (see the module)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope["type"] != "http":
            await next_app(scope, receive, send)
            return
        problem = address_problem(scope)
        if problem is None:
            body, receive = await _read_body(scope, receive)
            if body is not None:
                problem = body_problem(body, dict(scope["headers"]).get(b"content-type", b"").decode("latin-1"))
        if problem is None:
            await next_app(scope, receive, send)
            return
        await _refuse(scope, receive, send, problem)


async def _refuse(scope: Scope, receive: Receive, send: Send, problem: Rejection) -> None:
    """The app's own error response (JSON under /api/, a page elsewhere), in the language of the cookie."""
    request: Request[Any, Any, Any] = Request(scope, receive)
    lang = (request.cookies.get("crm_lang") or "").replace("\x00", "")
    token = i18n.set_locale(lang)
    try:
        message = i18n.gettext(problem.message)
        exc: HTTPException = (
            NotFoundException(detail=message) if problem.status == 404 else errors.InvalidInput(problem.field, message)
        )
        response = errors.handle_http(request, exc)
        await response.to_asgi_response(app=None, request=request)(scope, receive, send)
    finally:
        i18n._current.reset(token)
