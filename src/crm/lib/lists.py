"""The list recipe: one query object for every page, HTMX partial, export and API list of the product.

A slice describes a list once::

    q = ListQuery(rows=select(User).where(...), sorts={"email": User.email, "login": User.last_login_at},
                  default="email", tiebreak=User.id)

and uses it everywhere::

    page = await q.page(session, params)                               # a page or its htmx partial
    return await exports.export(request, q, params, COLUMNS, "users")  # CSV/XLSX (a worker job past a size)
    return await q.api(session, page, page_size, sort, user_out)       # GET /api/v1/users → ApiPage[UserOut]

Rules: only the listed sorts (a page falls back to the default, the API answers 422 naming ``sort``); the
tiebreak (a unique column) follows the sort's direction so the order is stable and one index serves it;
``NULLS LAST`` only on nullable columns (on a NOT NULL column it would stop the index from giving the order); the
count runs on its own statement (``count``: the filter on the base table, without the joins a page shows);
a page past the end shows the last page on screens and an empty ``rows`` in the API (a client paging until
``rows`` is empty, or at ``ceil(total / page_size)``, stops).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import urlencode

import msgspec
from litestar import Request
from litestar.datastructures import MultiDict
from litestar.exceptions import ValidationException
from litestar.params import QueryParameter
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50
MAX_PAGE = 10**6

T = TypeVar("T")

# --------------------------------------------------------------------------- query parameters of the API

PageNo = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE, description="page number, from 1")]
PageSize = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE, description="rows per page (at most 500)")]


def escape_like(text: str) -> str:
    """``text`` with LIKE's wildcards and escape character escaped: typed ``50%`` or ``a_b`` match themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(text: str) -> str:
    """The (I)LIKE pattern of a search box: rows whose value contains ``text`` as typed."""
    return "%" + escape_like(text) + "%"


def sort_param(query_or_keys: ListQuery | Sequence[str]) -> Any:
    """The ``sort`` parameter of an API list, documenting the keys it takes:
    ``sort: Annotated[str, sort_param(USERS)] = "email"``."""
    keys = query_or_keys.keys() if isinstance(query_or_keys, ListQuery) else list(query_or_keys)
    return QueryParameter(description=f"one of {', '.join(keys)}; '-' prefix for descending", max_length=64)


# --------------------------------------------------------------------------- yes / no / all

TRUE_WORDS = frozenset({"true", "yes", "1", "on"})
FALSE_WORDS = frozenset({"false", "no", "0", "off"})
EITHER_WORDS = frozenset({"all", "any"})


def _bool_error(name: str, either: bool) -> ValidationException:
    words = "true/false, yes/no, 1/0" + (" or all" if either else "")
    return ValidationException(
        detail=f"{name}: expected {words}", extra=[{"key": name, "message": f"expected {words}"}]
    )


def yes_no_all(name: str, raw: str | None) -> bool | None:
    """A filter that is on, off or either: ``true/yes/1``, ``false/no/0``, ``all`` (or empty). Anything else is a
    422 naming the parameter, never read silently as "all"."""
    value = (raw or "").strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    if value in EITHER_WORDS or not value:
        return None
    raise _bool_error(name, either=True)


def yes_no(name: str, raw: str | None, default: bool = False) -> bool:
    """A two-state flag: ``true/yes/1`` or ``false/no/0``; empty is ``default``; anything else a 422 naming it."""
    value = (raw or "").strip().lower()
    if not value:
        return default
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise _bool_error(name, either=False)


BoolParam = Annotated[str, QueryParameter(description="true/false, yes/no or 1/0", max_length=8)]
YesNoAllParam = Annotated[str, QueryParameter(description="true/false, yes/no, 1/0 or all", max_length=8)]


# --------------------------------------------------------------------------- list state in the URL (pages)


def _int(raw: str | None, default: int, lo: int, hi: int) -> int:
    try:
        value = int(raw) if raw not in (None, "") else default
    except ValueError:
        return default
    return max(lo, min(hi, value))


@dataclass
class ListParams:
    """Page, size and sort read from a page's query string; the rest of the query string is kept for links."""

    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    sort: str = ""
    query: MultiDict[str] = field(default_factory=MultiDict)

    @classmethod
    def from_request(cls, request: Request, default_sort: str = "") -> ListParams:
        q = request.query_params
        return cls(
            page=_int(q.get("page"), 1, 1, MAX_PAGE),
            page_size=_int(q.get("page_size"), DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE),
            sort=(q.get("sort") or default_sort).strip(),
            query=MultiDict(q.multi_items()),
        )

    def get(self, key: str, default: str = "") -> str:
        return (self.query.get(key) or default).strip()

    @property
    def format(self) -> str:
        """``csv`` or ``xlsx`` when the list is asked for as a file (``?format=``), else empty."""
        fmt = self.get("format").lower()
        return fmt if fmt in ("csv", "xlsx") else ""

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


# --------------------------------------------------------------------------- the query


@dataclass(frozen=True)
class Sort:
    """A sortable column; ``nullable`` None: read from the mapped column (an expression counts as nullable)."""

    column: Any
    nullable: bool | None = None

    def is_nullable(self) -> bool:
        if self.nullable is not None:
            return self.nullable
        if isinstance(self.column, InstrumentedAttribute):
            col = getattr(self.column, "expression", None)
            return bool(getattr(col, "nullable", True))
        return True


def _as_sort(value: Any) -> Sort:
    if isinstance(value, Sort):
        return value
    if isinstance(value, tuple):
        return Sort(value[0], value[1])
    return Sort(value)


@dataclass
class Page(Generic[T]):
    rows: Sequence[T]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))


class ApiPage(msgspec.Struct, Generic[T]):
    """What every API list answers, exactly the spec's contract (``{"total", "page", "page_size", "rows"}``): the
    total of the filter, the page asked for, its size, and the rows of that page (empty past the end)."""

    total: int
    page: int
    page_size: int
    rows: list[T]


@dataclass(frozen=True)
class ListQuery:
    """A filtered list: ``rows`` (with the joins a page shows), its sorts (key → column, ``Sort`` or
    ``(column, nullable)``), the ``default`` sort key, a unique ``tiebreak`` column, and optionally ``count``: a
    cheaper ``SELECT count(*)`` of the same filter (counting through outer joins costs seconds at a million
    rows). One selected entity gives the entities as rows; several columns give Row objects."""

    rows: Select[Any]
    sorts: Mapping[str, Any]
    default: str
    tiebreak: Any
    count: Select[Any] | None = None

    def keys(self) -> list[str]:
        return list(self.sorts)

    def known(self, sort: str) -> bool:
        return sort.lstrip("-") in self.sorts

    def checked(self, sort: str) -> str:
        """``sort`` when it is listed (empty: the default); otherwise a 422 naming the parameter (the API)."""
        sort = sort.strip()
        if not sort:
            return self.default
        if not self.known(sort):
            allowed = ", ".join(self.keys())
            raise ValidationException(
                detail=f"sort: unknown sort '{sort[:40]}'",
                extra=[{"key": "sort", "message": f"one of {allowed}, with '-' for descending"}],
            )
        return sort

    def order(self, sort: str) -> list[Any]:
        """ORDER BY of a sort key (an unknown key: the default's). Without sorts and tiebreak the rows keep the
        order they were built with (a report's own multi-level order)."""
        if not self.sorts and self.tiebreak is None:
            return []
        sort = sort.strip()
        if not self.known(sort):
            sort = self.default
        key = sort.lstrip("-")
        descending = sort.startswith("-")
        column = _as_sort(self.sorts[key]) if key in self.sorts else None
        tiebreak = self.tiebreak.desc() if descending else self.tiebreak.asc()
        if column is None:
            return [tiebreak]
        if descending:
            term = column.column.desc().nulls_last() if column.is_nullable() else column.column.desc()
        else:
            term = column.column.asc()  # ASC puts NULLs last already
        return [term, tiebreak]

    def ordered(self, sort: str) -> Select[Any]:
        """Every row of the filter in the list's order (exports)."""
        order = self.order(sort)
        return self.rows.order_by(*order) if order else self.rows

    def where(self, *clauses: Any) -> ListQuery:
        """The same list narrowed further (on both the rows and the count)."""
        count = self.count.where(*clauses) if self.count is not None else None
        return ListQuery(self.rows.where(*clauses), self.sorts, self.default, self.tiebreak, count)

    async def total(self, session: AsyncSession) -> int:
        stmt = self.count
        if stmt is None:
            stmt = select(func.count()).select_from(self.rows.order_by(None).subquery())
        return int(await session.scalar(stmt) or 0)

    async def fetch(
        self,
        session: AsyncSession,
        page: int,
        page_size: int,
        sort: str = "",
        *,
        total: int | None = None,
        clamp: bool = True,
    ) -> Page[Any]:
        """One page and the total of the filter (``total`` when the caller has it, e.g. cached). ``clamp``: a page
        past the end shows the last one (screens); otherwise it is empty (the API)."""
        page_size = max(1, min(page_size, MAX_PAGE_SIZE))
        if total is None:
            total = await self.total(session)
        page = max(1, min(page, MAX_PAGE))
        if clamp:
            page = min(page, max(1, math.ceil(total / page_size)))
        rows: Sequence[Any] = []
        if (page - 1) * page_size < total:
            stmt = self.ordered(sort).limit(page_size).offset((page - 1) * page_size)
            if len(self.rows.column_descriptions) == 1:
                rows = (await session.scalars(stmt)).all()
            else:
                rows = (await session.execute(stmt)).all()
        return Page(rows=rows, total=total, page=page, page_size=page_size)

    async def page(self, session: AsyncSession, params: ListParams, *, total: int | None = None) -> Page[Any]:
        """The page a screen (or its htmx partial) shows, from the URL's state; an unknown sort is the default."""
        return await self.fetch(session, params.page, params.page_size, params.sort, total=total)

    async def api(
        self,
        session: AsyncSession,
        page: int,
        page_size: int,
        sort: str,
        out: Callable[[Any], T],
        *,
        total: int | None = None,
    ) -> ApiPage[T]:
        """An API list page: the declared ``page``/``page_size``/``sort`` of the handler, each row through ``out``
        (an unknown sort is a 422 naming ``sort``)."""
        shown = await self.api_fetch(session, page, page_size, sort, total=total)
        return api_page(shown, [out(r) for r in shown.rows])

    async def api_fetch(
        self, session: AsyncSession, page: int, page_size: int, sort: str, *, total: int | None = None
    ) -> Page[Any]:
        """The page of an API list whose rows the caller converts in a batch (then ``api_page``)."""
        return await self.fetch(session, page, page_size, self.checked(sort), total=total, clamp=False)


def api_page(page: Page[Any], rows: list[T]) -> ApiPage[T]:
    """The API envelope of a page whose rows were converted by the caller (in one batch, e.g. with their names)."""
    return ApiPage(total=page.total, page=page.page, page_size=page.page_size, rows=rows)


def api_items(items: Sequence[T], page: int, page_size: int) -> ApiPage[T]:
    """A page of a list that is computed rather than queried (the alerts gathered from every slice): the same
    envelope; empty past the end."""
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    start = (page - 1) * page_size
    shown = Page(rows=items, total=len(items), page=page, page_size=page_size)
    return api_page(shown, list(items[start : start + page_size]))
