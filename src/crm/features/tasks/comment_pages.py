"""A comment posted from a task's or a strategy's page: saved (mentions notified by the worker) and back to the
thread, or the page again with the reason next to the field and the text kept."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.tasks import comments as threads
from crm.features.tasks.api import enqueue_mentions
from crm.features.tasks.forms import CommentForm
from crm.lib.auth import current_user
from crm.lib.i18n import gettext as _
from crm.lib.web import render


async def post_comment(
    request: Request,
    db_session: AsyncSession,
    *,
    template: str,
    page_context: Callable[[], Awaitable[dict[str, Any]]],
    back: str,
    **target: int,
) -> Any:
    """``target``: ``task_id=…`` or ``strategy_id=…`` of a record the user may see (checked by the caller)."""
    text = CommentForm.parse(await request.form()).raw("text")
    made, errors = await threads.add_comment(db_session, current_user(request), text, **target)
    if errors or made is None:  # nothing was written (add_comment checks before it adds): the page as it was
        context = await page_context()
        base, params = threads.error_text(errors.get("text", ""))
        context.update({"comment_errors": {"text": _(base, **params)}, "comment_text": text})
        return render(request, template, context, status_code=422)
    await db_session.commit()
    if threads.mentioned_emails(made.text):
        await enqueue_mentions(request, made.id)
    return Redirect(f"{back}#thread", status_code=303)
