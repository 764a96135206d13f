"""Pages and partials: one handler renders a whole page or just the swapped block (lists: ``lib/lists.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import MediaType, Request
from litestar.plugins.flash import flash


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


def block_only(request: Request, block: str) -> bool:
    """Whether ``render(..., block=block)`` will send only that block: a handler can then skip the context that
    only the rest of the page uses (filter choices, menus)."""
    return is_htmx(request) and request.headers.get("hx-target") == block


def toast(request: Request, message: str, category: str = "success") -> None:
    """A message shown once on the next rendered page (or with this htmx response)."""
    flash(request, message, category=category)


def parse_int(raw: str | None, lo: int = 0, hi: int = 2**31 - 1) -> int | None:
    """A whole number typed by a person within [lo, hi], or None (no 500 for "²", "1e9" or 40 digits)."""
    text = (raw or "").strip()
    if not text or not text.isascii() or not text.lstrip("-").isdigit() or len(text) > 19:
        return None
    value = int(text)
    return value if lo <= value <= hi else None


class FormErrors(dict[str, str]):
    """Field → message; ``bool(errors)`` says whether the form may be saved."""

    def add(self, field_name: str, message: str) -> None:
        self.setdefault(field_name, message)


# TEMPORARY while the callers move to crm.lib.lists (issue 8): removed in the same series of commits.
from crm.lib.lists import ListParams, Page, yes_no_all  # noqa: E402,F401


def apply_sort(stmt: Any, sort: str, sorts: Mapping[str, Any], tiebreak: Any) -> Any:
    key = sort.lstrip("-")
    column = sorts.get(key)
    if column is None:
        return stmt.order_by(tiebreak)
    ordered = column.desc().nulls_last() if sort.startswith("-") else column.asc().nulls_last()
    return stmt.order_by(ordered, tiebreak)


async def fetch_page(session: Any, stmt: Any, params: Any, sorts: Any, tiebreak: Any, total: Any = None) -> Any:
    import math

    from sqlalchemy import func, select

    if total is None:
        total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    page = min(params.page, max(1, math.ceil(total / params.page_size)))
    ordered = apply_sort(stmt, params.sort, sorts, tiebreak)
    rows = (await session.scalars(ordered.limit(params.page_size).offset((page - 1) * params.page_size))).all()
    return Page(rows=rows, total=total, page=page, page_size=params.page_size)
