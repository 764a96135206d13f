"""The person picker's server side, for every form and filter that chooses a person of the organisation (a task's
assignee, a strategy's owner, a goal's person, the tasks' assignee filter): the people a user may choose are the
active users of their row scope (everybody with ``scope.all``, a head's department subtree and themselves, else
only themselves), searched by name or email a page at a time instead of listed whole in a ``<select>``.

``GET /people/search`` answers the picker's text box as one types (htmx: the matches as radios); ``resolve`` reads
what a form or a filter sent (the chosen id and the typed text) and, without JavaScript, turns the typed text
into a person: one match chooses them, nobody or several say so next to the field. Whether a person may be
chosen is still checked where the record is saved (the slices' services), so a forged id is refused there."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar, Self, TypeVar

from litestar import Request, get
from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.org.models import Employee
from crm.features.org.scope import employee_scope, row_scope
from crm.lib.deps import Db, Me
from crm.lib.forms import MAX_RAW, Form, Text
from crm.lib.i18n import N_
from crm.lib.i18n import gettext as _
from crm.lib.lists import contains
from crm.lib.web import render

F = TypeVar("F", bound=Form)
PICKER_LIMIT = 20
MAX_QUERY = 100
NOBODY = N_("Nobody in your scope matches “%(query)s”.")
SEVERAL = N_("Several people match “%(query)s”: choose one.")
_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
_DOM_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,59}")


@dataclass
class PersonPicker:
    """A picker's state: the typed text, the chosen person (id, name), the matches to choose from (at most
    ``PICKER_LIMIT``, ``more`` when there are others; None: no list shown) and why the text chose nobody."""

    query: str = ""
    selected: tuple[str, str] | None = None
    matches: list[tuple[str, str]] | None = None
    more: bool = False
    problem: str = ""

    @property
    def value(self) -> str:
        """The chosen person's id as the form sends it ("" for nobody)."""
        return self.selected[0] if self.selected else ""


async def choosable(session: AsyncSession, user: Any) -> Select[Any]:
    """The people ``user`` may choose (id, name, email): active users of their row scope."""
    scope = await row_scope(session, user)
    stmt = select(User.id, User.name, User.email).where(User.is_active.is_(True))
    if not scope.everything:
        ids = scope.department_ids or frozenset()
        stmt = stmt.where(or_(User.id == user.id, User.department_id.in_(ids)) if ids else User.id == user.id)
    return stmt


async def find(
    session: AsyncSession, user: Any, query: str, limit: int = PICKER_LIMIT, kind: str = "user"
) -> tuple[list[Any], bool]:
    """Up to ``limit`` choosable people whose name or email contains ``query`` (by name), and whether there are
    more. ``kind="employee"``: Bitrix24 employees (int ids) of the user's employee scope, by last name."""
    if kind == "employee":
        return await _find_employees(session, user, query, limit)
    pattern = contains(query)
    stmt = (await choosable(session, user)).where(or_(User.name.ilike(pattern), User.email.ilike(pattern)))
    rows = (await session.execute(stmt.order_by(User.name, User.email, User.id).limit(limit + 1))).all()
    return [(str(i), name or email) for i, name, email in rows[:limit]], len(rows) > limit


def _employee_label(last_name: str, name: str, employee_id: int) -> str:
    return " ".join(p for p in (last_name, name) if p) or f"#{employee_id}"


async def _find_employees(session: AsyncSession, user: Any, query: str, limit: int) -> tuple[list[Any], bool]:
    """Active employees of the user's scope (companies' responsible people) by "Last First", "First Last" or email."""
    pattern = contains(query)
    stmt = select(Employee.id, Employee.last_name, Employee.name).where(
        Employee.active.is_(True),
        or_(
            func.concat_ws(" ", Employee.last_name, Employee.name).ilike(pattern),
            func.concat_ws(" ", Employee.name, Employee.last_name).ilike(pattern),
            Employee.email.ilike(pattern),
        ),
    )
    clause = (await employee_scope(session, user)).clause(Employee.id)
    if clause is not None:
        stmt = stmt.where(clause)
    rows = (await session.execute(stmt.order_by(Employee.last_name, Employee.name, Employee.id).limit(limit + 1))).all()
    return [(str(i), _employee_label(last, first, i)) for i, last, first in rows[:limit]], len(rows) > limit


async def _chosen(session: AsyncSession, chosen: str, kind: str) -> tuple[str, str | None]:
    """A sent id as text, and the name of whom it is (None: nobody)."""
    if kind == "employee":
        number = int(chosen) if chosen.isascii() and chosen.isdigit() and len(chosen) < 19 else None
        row = (
            (await session.execute(select(Employee.last_name, Employee.name).where(Employee.id == number))).first()
            if number
            else None
        )
        return (str(number), _employee_label(row[0], row[1], number)) if row and number else (chosen, None)
    person_id = _uuid(chosen)
    name = await name_of(session, person_id) if person_id else None
    return (str(person_id), name) if person_id else (chosen, None)


async def name_of(session: AsyncSession, person_id: uuid.UUID) -> str | None:
    """The name of any user (a record keeps its person even when they left the user's scope: shown, not
    offered)."""
    row = (await session.execute(select(User.name, User.email).where(User.id == person_id))).first()
    return (row[0] or row[1]) if row else None


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text) if text else None
    except ValueError:
        return None


async def search(session: AsyncSession, user: Any, query: str, chosen: str = "", kind: str = "user") -> PersonPicker:
    """The answer to typed text: the matching people of the user's scope, the chosen one kept on top."""
    picker = PersonPicker(query=query.strip()[:MAX_QUERY])
    chosen_id, name = await _chosen(session, chosen.strip(), kind)
    if name is not None:
        picker.selected = (chosen_id, name)
    if picker.query:
        found, picker.more = await find(session, user, picker.query, kind=kind)
        picker.matches = [(i, n) for i, n in found if i != picker.value]
    return picker


async def resolve(session: AsyncSession, user: Any, chosen: str, query: str, kind: str = "user") -> PersonPicker:
    """What a form or filter sent: the chosen id, and the text of the picker's box. The id stands when the text
    is empty, is the person's name, or still matches them (the person was picked from the matches); otherwise the
    text was typed without JavaScript and chooses: one match is the person, nobody or several are a ``problem``
    (a msgid with ``query``) and the matches are offered. An id that is nobody at all stays as sent (``value``),
    for the service to refuse."""
    chosen = chosen.strip()
    query = query.strip()[:MAX_QUERY]
    chosen_id, name = await _chosen(session, chosen, kind) if chosen else ("", None)
    if chosen and name is None and not query:
        return PersonPicker(selected=(chosen, chosen))
    if name is not None and (not query or query.casefold() == name.casefold()):
        return PersonPicker(query=name, selected=(chosen_id, name))
    if not query:
        return PersonPicker()
    found, more = await find(session, user, query, kind=kind)
    if name is not None and any(i == chosen_id for i, _n in found):
        return PersonPicker(query=name, selected=(chosen_id, name))
    if len(found) == 1:
        return PersonPicker(query=found[0][1], selected=found[0])
    return PersonPicker(query=query, matches=found, more=more, problem=SEVERAL if found else NOBODY)


def _param(request: Request, key: str, pattern: re.Pattern[str], default: str) -> str:
    value = request.query_params.get(key) or ""
    return value if pattern.fullmatch(value) else default


@get("/people/search", include_in_schema=False)
async def people_search(request: Request, me: Me, db_session: Db) -> Any:
    """A picker's matches as the person types (htmx): at most ``PICKER_LIMIT`` people of their scope, as radios
    named ``field`` (the form's field), the chosen one kept. ``qfield`` names the text box, ``dom`` the picker's
    element id, ``blank`` labels the "nobody" choice, ``form`` is the form the radios belong to; ``kind=employee``
    searches Bitrix24 employees (the companies' responsible people) instead of users."""
    field = _param(request, "field", _NAME, "person_id")
    qfield = _param(request, "qfield", _NAME, "person_q")
    q = request.query_params
    kind = "employee" if q.get("kind") == "employee" else "user"
    picker = await search(db_session, me, q.get(qfield) or "", q.get(field) or "", kind)
    context = {
        "picker": picker,
        "field": field,
        "dom": _param(request, "dom", _DOM_ID, "person"),
        "form": _param(request, "form", _DOM_ID, ""),
        "blank": (q.get("blank") or "")[:80],
    }
    return render(request, "components/person_choices.html", context)


ROUTES: list[Any] = [people_search]


def query_name(name: str) -> str:
    """The name of a picker's text box: ``assignee_id`` → ``assignee_q``."""
    return name.removesuffix("_id") + "_q"


def with_values(data: Any, **values: str) -> dict[str, list[str]]:
    """A copy of submitted values (a form's ``submitted``: name → values) with some fields replaced."""
    copy = {k: list(v) if isinstance(v, list | tuple) else [v] for k, v in data.items()}
    copy.update({k: [v] for k, v in values.items()})
    return copy


class Pickers(Form):
    """The person pickers of a submitted form, declared with ``Pickers.of("owner_id", …)``: each the chosen id
    and the text of its box. ``resolve`` turns them into people (``pickers``; the typed text that chose nobody
    puts its message into ``errors``), ``apply`` hands the chosen ids to the page's own form:

        picks = await OWNER.parse(await request.form()).resolve(session, user)
        form = picks.apply(StrategyForm.parse(await request.form()))
    """

    names: ClassVar[tuple[str, ...]] = ()
    pickers: dict[str, PersonPicker]

    @classmethod
    def of(cls, *names: str) -> type[Pickers]:
        fields: dict[str, Any] = {"names": names}
        for name in names:
            fields[name] = Text(max_length=MAX_RAW)
            fields[query_name(name)] = Text(max_length=MAX_RAW)
        return type("Pickers", (cls,), fields)

    async def resolve(self, session: AsyncSession, user: Any) -> Self:
        self.pickers = {}
        for name in self.names:
            picker = await resolve(session, user, self.raw(name), self.raw(query_name(name)))
            if picker.problem:
                self.errors.add(name, _(picker.problem, query=picker.query))
            self.pickers[name] = picker
        return self

    def apply(self, form: F) -> F:
        """``form`` read again with the people the pickers chose (when the text chose someone else than the id
        sent), and the pickers' messages next to their fields."""
        chosen = {n: p.value for n, p in self.pickers.items() if not p.problem and p.value != form.raw(n)}
        if chosen:
            form = type(form).parse(with_values(form.submitted, **chosen))
        for name, message in self.errors.items():
            if name not in form.errors:
                form.errors.add(name, message)
        return form

    def context(self) -> dict[str, PersonPicker]:
        """The pickers for the template, as ``<name without _id>_picker``."""
        return {f"{n.removesuffix('_id')}_picker": p for n, p in self.pickers.items()}


async def shown(session: AsyncSession, user: Any, values: Any, *names: str) -> dict[str, PersonPicker]:
    """The pickers of a form shown from a record or a proposal (values by name: the chosen ids)."""
    return {
        f"{n.removesuffix('_id')}_picker": await resolve(session, user, str(values.get(n) or ""), "") for n in names
    }
