"""Error responses: JSON ``{detail, errors}`` for the API, friendly pages for people; never a traceback."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote

import asyncpg
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from crm.lib.auth import PasswordChangeRequired

log = logging.getLogger("crm.errors")


class InvalidInput(ValidationException):
    """A value the database cannot take (see crm.lib.input_guard): 422 naming the field."""

    status_code = 422

    def __init__(self, field: str, message: str) -> None:
        super().__init__(detail=message, extra=[{"key": field, "message": message}])


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or (
        "application/json" in request.headers.get("accept", "")
        and ("text/html" not in request.headers.get("accept", ""))
    )


def _field_errors(exc: ValidationException) -> list[dict[str, str]]:
    """Litestar/msgspec validation details as ``{field, message}``; a missing field is named from the message."""
    errors = []
    for item in exc.extra or []:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", ""))
        field = str(item.get("key") or "")
        missing = re.search(r"missing required field `([^`]+)`", message)
        if missing:
            field = missing.group(1)
        located = re.search(r"at `\$\.([^`]+)`", message)
        if located and field in ("", "data"):
            field = located.group(1)
        errors.append({"field": field or str(item.get("source") or ""), "message": message})
    return errors


def _page(request: Request, status: int, title: str, message: str, **extra: Any) -> Response[Any]:
    return Template(
        template_name="errors/error.html",
        context={"status": status, "title": title, "message": message, **extra},
        status_code=status,
        media_type=MediaType.HTML,
    )


def handle_http(request: Request, exc: HTTPException) -> Response[Any]:
    from crm.lib.i18n import gettext as _

    status = exc.status_code
    if isinstance(exc, ValidationException) and _wants_json(request):
        errors = _field_errors(exc)
        code = 422 if errors and "JSON" not in str(exc.detail) else 400
        return Response({"detail": str(exc.detail), "errors": errors}, status_code=code)
    if isinstance(exc, InvalidInput):
        return _page(request, 422, _("Invalid input"), exc.detail)
    if _wants_json(request):
        detail = exc.detail
        if isinstance(exc, PermissionDeniedException) and detail == "missing_permission":
            detail = "You do not have the permission for this action"
        return Response({"detail": detail, "errors": []}, status_code=status, headers=exc.headers or None)
    if isinstance(exc, NotAuthorizedException):
        target = "/login?next=" + quote(
            request.url.path + (f"?{request.url.query}" if request.url.query else ""), safe=""
        )
        if request.headers.get("hx-request") == "true":
            return Response(content=None, status_code=200, headers={"HX-Redirect": target})
        return Redirect(target, status_code=303)
    if isinstance(exc, PermissionDeniedException):
        if "CSRF" in str(exc.detail):
            return _page(request, 403, _("The form has expired"), _("Reload the page and submit it again."))
        return _page(
            request,
            403,
            _("Access denied"),
            _("Your role does not allow this page or action. Ask an administrator if you need it."),
        )
    if isinstance(exc, NotFoundException) or status == 404:
        return _page(
            request,
            404,
            _("Page not found"),
            _("There is nothing at this address, or it is not available to you."),
        )
    if status == 405:
        return _page(request, 405, _("Not allowed"), _("This address does not accept that kind of request."))
    if status == 429:
        return _page(request, 429, _("Too many requests"), _("Wait a moment and try again."))
    if status == 413:  # refused from its Content-Length, before any handler (or the CSRF check) reads it
        return _page(
            request,
            413,
            _("The file is too large"),
            _("This upload is larger than the server accepts. Split the file or send a smaller one."),
        )
    if 400 <= status < 500:
        return _page(
            request,
            status,
            _("Bad request"),
            _("The address or the form has a mistake: check it and try again."),
        )
    return handle_internal(request, exc)


def handle_password_change(request: Request, exc: PasswordChangeRequired) -> Response[Any]:
    if request.headers.get("hx-request") == "true":
        return Response(content=None, status_code=200, headers={"HX-Redirect": "/profile/password"})
    return Redirect("/profile/password", status_code=303)


def handle_internal(request: Request, exc: Exception) -> Response[Any]:
    from crm.lib.i18n import gettext as _

    request_id = request.scope.get("state", {}).get("request_id", "-")
    log.error("unhandled error request_id=%s path=%s", request_id, request.url.path, exc_info=exc)
    if _wants_json(request):
        return Response(
            {"detail": f"Internal error (request {request_id})", "errors": []},
            status_code=HTTP_500_INTERNAL_SERVER_ERROR,
        )
    return _page(
        request,
        500,
        _("Something went wrong"),
        _("The error was logged. Quote this reference when you report it: %(ref)s", ref=request_id),
    )


# asyncpg's server-side DataError (SQLSTATE class 22) and its client-side one (an argument it cannot encode).
_BAD_DATA = (OverflowError, asyncpg.exceptions.DataError, asyncpg.exceptions._base.DataError)


def _is_bad_data(exc: BaseException) -> bool:
    """An overflow or a PostgreSQL data exception (class 22: a NUL, a value too long, out of range...) anywhere
    in the chain of causes: SQLAlchemy wraps them in DBAPIError or StatementError."""
    seen: BaseException | None = exc
    for _depth in range(6):
        if seen is None:
            return False
        if isinstance(seen, _BAD_DATA):
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


def handle_bad_data(request: Request, exc: Exception) -> Response[Any]:
    """The safety net behind crm.lib.input_guard: input the database refuses is a 422, not a 500 (and is logged,
    since it means a value reached SQL unchecked)."""
    from crm.lib.i18n import gettext as _

    if not _is_bad_data(exc):
        return handle_internal(request, exc)
    request_id = request.scope.get("state", {}).get("request_id", "-")
    log.warning("input refused by the database request_id=%s path=%s: %s", request_id, request.url.path, exc)
    message = _("A value is out of range or cannot be stored: check what was entered.")
    if _wants_json(request):
        return Response({"detail": message, "errors": []}, status_code=422)
    return _page(request, 422, _("Invalid input"), message)
