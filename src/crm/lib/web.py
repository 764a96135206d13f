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
