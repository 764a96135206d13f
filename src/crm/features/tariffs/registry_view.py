"""What the registry screens share: labels of categories and amounts, the list's query, and the context of the
records block (one page of rows, the totals, the pickers)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import NotFoundException
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.tariffs import registries, registry_list, tariffs
from crm.features.tariffs.pricing import WARNINGS
from crm.lib.i18n import N_, NP_, pgettext
from crm.lib.i18n import gettext as _
from crm.lib.lists import ListParams
from crm.lib.web import parse_int

OPERATE = {"permission": "telegrams.register"}


SEE = {"permission": ("telegrams.register", "billing.manage")}


CATEGORY_LABELS = {"ordinary": N_("ordinary"), "urgent": N_("urgent"), "post": N_("post"), "box": N_("PO box")}


# "уведомление обыкновенное": a notification agrees in gender with its own noun, not with the telegram's category.
NOTIFICATION_LABELS = {"ordinary": NP_("notification", "ordinary"), "urgent": NP_("notification", "urgent")}


BLANK_LABELS = {"none": "–", "lux": "ЛЮКС", "lux_v": "ЛЮКС/В"}


AMOUNT_LABELS = {
    "delivery_amount": N_("Delivery"),
    "words_amount": N_("Words"),
    "notification_amount": N_("Notification"),
    "blank_amount": N_("Blank"),
    "deliver_on_date_amount": "ВРУЧИТЬ",
    "paid_reply_amount": N_("Paid reply"),
}


def _notification_label(value: str) -> str:
    return pgettext("notification", NOTIFICATION_LABELS[value]) if value in NOTIFICATION_LABELS else "–"


def _label(labels: dict[str, str], value: str) -> str:
    return _(labels[value]) if value in labels else value


def list_params(request: Request) -> ListParams:
    params = ListParams.from_request(request, default_sort="time")
    if params.get("show") not in registry_list.SHOW_FILTERS:
        params.query.pop("show", None)
    if params.get("mode") != "clients":  # the "assign clients" mode: ticks and a client picker on every row
        params.query.pop("mode", None)
    return params


def is_editable(registry: registries.Registry, user: User) -> bool:
    return registry.status == registries.DRAFT and registry.operator_id == user.id


def base_context(registry: registries.Registry, user: User, params: ListParams) -> dict[str, Any]:
    """What the records block and the row partials share: labels, links that keep the list's query string."""
    path = f"/registries/{registry.id}"
    keep = {"edit": None, "format": None}
    editable = is_editable(registry, user)
    return {
        "registry": registry,
        "path": path,
        "params": params,
        "editable": editable,
        "assigning": editable and params.get("mode") == "clients",
        "user_obj": user,
        "warning_text": lambda code: _(WARNINGS.get(code) or str(code)),
        "status_label": registries.status_label,
        "category_label": lambda v: _label(CATEGORY_LABELS, v),
        "notification_label": _notification_label,
        "blank_label": lambda v: _label(BLANK_LABELS, v),
        "amount_labels": {name: _(label) for name, label in AMOUNT_LABELS.items()},
        "row_url": lambda r, action="": params.url(f"{path}/records/{r.id}{action}", **keep),
        "edit_link": lambda r: params.url(path, edit=r.id, format=None),
    }


async def page_context(
    db_session: AsyncSession, user: User, registry: registries.Registry, params: ListParams
) -> dict[str, Any]:
    """One page of the registry's rows (read-only; the row being edited, ``?edit=<id>``, with its controls) and
    the totals of the whole registry: three statements whatever the registry's size."""
    records = registry_list.records_list(registry.id, params.get("q"), params.get("show"))
    page = await records.page(db_session, params)
    context = base_context(registry, user, params)
    editing = parse_int(params.get("edit"), 1, 2**62) if context["editable"] and not context["assigning"] else None
    if editing is not None and not any(r.id == editing for r in page.rows):
        editing = None
    context.update(
        page=page,
        totals=await registry_list.totals_of(db_session, registry.id),
        editing=editing,
        **(await picker_choices(db_session, countries=editing is not None) if editing or context["assigning"] else {}),
    )
    return context


async def picker_choices(db_session: AsyncSession, *, countries: bool = True) -> dict[str, Any]:
    """The clients of the pickers (every row's, the ticked rows'), and the countries of the row being edited."""
    choices: dict[str, Any] = {"clients": await registries.clients(db_session)}
    if countries:
        choices["countries"] = await tariffs.countries(db_session)
    return choices


async def visible_or_404(db_session: AsyncSession, user: User, registry_id: int) -> registries.Registry:
    registry = await registries.get_visible(db_session, user, registry_id)
    if registry is None:
        raise NotFoundException()
    return registry
