"""Pages and partials: one handler renders a whole page or just the swapped block; lists from URL params."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import MediaType, Request
from litestar.datastructures import MultiDict
from litestar.exceptions import ValidationException
from litestar.plugins.flash import flash
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-history-restore-request") != "true"


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMXBlockTemplate:
    """Whole page normally; only ``block`` when htmx targets the element of the same id."""
    only_block = block if (block and block_only(request, block)) else None
    return HTMXBlockTemplate(
        template_name=template,
        block_name=only_block,
        context={"user": request.scope.get("user"), **(context or {})},
        status_code=status_code,
        headers=headers,
        media_type=MediaType.HTML,
    )


async def count_rows(session: AsyncSession, stmt: Select[Any]) -> int:
    return await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def block_only(request: Request, block: str) -> bool:
    """Whether ``render(..., block=block)`` will send only that block: a handler can then skip the context that
    only the rest of the page uses (filter choices, menus)."""
    return is_htmx(request) and request.headers.get("hx-target") == block


def toast(request: Request, message: str, category: str = "success") -> None:
    """A message shown once on the next rendered page (or with this htmx response)."""
    flash(request, message, category=category)


@dataclass
class ListParams:
    """Page, size and sort read from the query string; the rest of the query string is kept for links."""

    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    sort: str = ""
    query: MultiDict[str] = field(default_factory=MultiDict)

    @classmethod
    def from_request(cls, request: Request, default_sort: str = "") -> ListParams:
        q = request.query_params
        return cls(
            page=_int(q.get("page"), 1, 1, 10**6),
            page_size=_int(q.get("page_size"), DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE),
            sort=(q.get("sort") or default_sort).strip(),
            query=MultiDict(q.multi_items()),
        )

    def get(self, key: str, default: str = "") -> str:
        return (self.query.get(key) or default).strip()

    def url(self, path: str, **changes: Any) -> str:
        """The current list URL with some parameters changed (``None`` removes one)."""
        items = {k: v for k, v in self.query.items() if k not in changes}
        for key, value in changes.items():
            if value not in (None, ""):
                items[key] = str(value)
        if items.get("page") == "1":
            items.pop("page")
        return f"{path}?{urlencode(items)}" if items else path

    def sort_link(self, path: str, key: str) -> tuple[str, str]:
        """Link for a sortable header and its state: "asc", "desc" or ""."""
        state = "asc" if self.sort == key else "desc" if self.sort == f"-{key}" else ""
        next_sort = f"-{key}" if state == "asc" else key
        return self.url(path, sort=next_sort, page=None), state


TRUE_WORDS = frozenset({"true", "yes", "1", "on"})
FALSE_WORDS = frozenset({"false", "no", "0", "off"})
EITHER_WORDS = frozenset({"all", "any", ""})


def yes_no_all(name: str, raw: str | None) -> bool | None:
    """A filter that is on, off or either: ``true/yes/1``, ``false/no/0``, ``all`` (or empty). Anything else is a
    422 naming the parameter, never read silently as "all"."""
    value = (raw or "").strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    if value in EITHER_WORDS:
        return None
    raise ValidationException(
        detail=f"{name}: expected true, false or all",
        extra=[{"key": name, "message": "expected true/false, yes/no, 1/0 or all"}],
    )


def parse_int(raw: str | None, lo: int = 0, hi: int = 2**31 - 1) -> int | None:
    """A whole number typed by a person within [lo, hi], or None (no 500 for "²", "1e9" or 40 digits)."""
    text = (raw or "").strip()
    if not text or not text.isascii() or not text.lstrip("-").isdigit() or len(text) > 19:
        return None
    value = int(text)
    return value if lo <= value <= hi else None


def _int(raw: str | None, default: int, lo: int, hi: int) -> int:
    try:
        value = int(raw) if raw not in (None, "") else default
    except ValueError:
        return default
    return max(lo, min(hi, value))


@dataclass
class Page:
    rows: Sequence[Any]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    def as_api(self, rows: list[Any]) -> dict[str, Any]:
        return {"total": self.total, "page": self.page, "page_size": self.page_size, "rows": rows}


def apply_sort(stmt: Select[Any], sort: str, sorts: Mapping[str, Any], tiebreak: Any) -> Select[Any]:
    key = sort.lstrip("-")
    column = sorts.get(key)
    if column is None:
        return stmt.order_by(tiebreak)
    ordered = column.desc().nulls_last() if sort.startswith("-") else column.asc().nulls_last()
    return stmt.order_by(ordered, tiebreak)


async def fetch_page(
    session: AsyncSession,
    stmt: Select[Any],
    params: ListParams,
    sorts: Mapping[str, Any],
    tiebreak: Any,
    total: int | None = None,
) -> Page:
    """One page of a filtered query and the total count of the filter (``total`` when the caller knows it, e.g.
    from a cache)."""
    if total is None:
        total = await count_rows(session, stmt)
    page = min(params.page, max(1, math.ceil(total / params.page_size)))
    ordered = apply_sort(stmt, params.sort, sorts, tiebreak)
    rows = (await session.scalars(ordered.limit(params.page_size).offset((page - 1) * params.page_size))).all()
    return Page(rows=rows, total=total, page=page, page_size=params.page_size)


class FormErrors(dict[str, str]):
    """Field → message; ``bool(errors)`` says whether the form may be saved."""

    def add(self, field_name: str, message: str) -> None:
        self.setdefault(field_name, message)
