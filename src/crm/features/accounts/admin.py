"""Admin screens: users (list, create, edit, deactivate), the roles × permissions matrix, the audit log."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts import audit_labels, employees, services
from crm.features.accounts.forms import ActiveForm, RolesForm, UserForm
from crm.features.accounts.models import AuditEntry, User
from crm.features.accounts.permissions import OFFERED
from crm.features.org import tree as org_tree
from crm.features.org.scope import row_scope
from crm.lib.deps import Db, Me
from crm.lib.export_jobs import ListSource, export
from crm.lib.exports import ExportColumn
from crm.lib.i18n import gettext as _
from crm.lib.i18n import local_tz
from crm.lib.lists import ListParams, ListQuery, yes_no_all
from crm.lib.web import parse_int, render, toast

MANAGE_USERS = {"permission": "users.manage"}


async def _choices(db_session: AsyncSession) -> dict[str, Any]:
    roles = await services.all_roles(db_session)
    departments = org_tree.indented(await org_tree.all_departments(db_session))
    return {
        "roles": roles,
        "role_options": [(r.name, _(r.title)) for r in roles],
        "department_options": [(d.id, "\u00a0\u00a0" * depth + d.name) for d, depth in departments],
    }


def _user_export(employee_names: dict[int, str]) -> list[ExportColumn]:
    return [
        ExportColumn("email", lambda u: u.email),
        ExportColumn("name", lambda u: u.name),
        ExportColumn("roles", lambda u: ", ".join(u.role_names)),
        ExportColumn("department", lambda u: u.department.name if u.department else ""),
        ExportColumn("employee_bitrix_id", lambda u: u.employee_bitrix_id),
        ExportColumn("employee", lambda u: employee_names.get(u.employee_bitrix_id, "")),
        ExportColumn("active", lambda u: u.is_active),
        ExportColumn("last_login_at", lambda u: u.last_login_at),
        ExportColumn("created_at", lambda u: u.created_at),
    ]


async def _employee_names(db_session: AsyncSession, users: Any) -> dict[int, str]:
    return await employees.employee_names(db_session, {u.employee_bitrix_id for u in users if u.employee_bitrix_id})


async def _picker(
    db_session: AsyncSession, selected_id: int | None, query: str, user_id: uuid.UUID | None
) -> dict[str, Any]:
    """The employee picker: the chosen employee (kept whatever the search), then the matches of ``query``."""
    selected = await employees.employee_choice(db_session, selected_id, for_user=user_id)
    if selected is None and selected_id is not None:
        selected = employees.EmployeeChoice(
            id=selected_id, name=_("Unknown employee"), email="", position="", department="", active=False
        )
    found, more = await employees.search_employees(db_session, query, for_user=user_id)
    matches = [e for e in found if e.id != selected_id]
    return {"selected": selected, "matches": matches, "more": more, "found": len(found), "query": query}


async def _check_employee(db_session: AsyncSession, form: UserForm, user: User | None) -> None:
    if form.employee_given and "employee_bitrix_id" not in form.errors:
        problem = await employees.link_problem(
            db_session,
            form.employee_bitrix_id,
            user_id=user.id if user else None,
            current_id=user.employee_bitrix_id if user else None,
        )
        if problem:
            form.errors.add("employee_bitrix_id", problem)


def _user_filter(params: ListParams) -> services.UserFilter:
    department = params.get("department")
    return services.UserFilter(
        q=params.get("q"),
        role=params.get("role"),
        department_id=parse_int(department, 1, 2**62),
        active={True: "yes", False: "no", None: ""}[yes_no_all("active", params.get("active"))],
    )


async def users_source(session: AsyncSession, user: User, params: ListParams) -> ListSource:
    """The users list as the page, its export and the worker's export see it."""

    async def columns(session: AsyncSession, rows: Sequence[User]) -> list[ExportColumn]:
        return _user_export(await _employee_names(session, rows))

    return ListSource(services.users_list(_user_filter(params)), columns, "users")


@get("/users", opt=MANAGE_USERS, include_in_schema=False)
async def users_list(request: Request, db_session: Db) -> Any:
    params = ListParams.from_request(request, default_sort="email")
    if params.format:
        return await export(request, db_session, users_source, params)
    page = await services.users_list(_user_filter(params)).page(db_session, params)
    return render(
        request,
        "accounts/users.html",
        {
            "params": params,
            "page": page,
            "employee_names": await _employee_names(db_session, page.rows),
            **await _choices(db_session),
        },
        block="list",
    )


def _search_text(request: Request) -> str:
    return (request.query_params.get("employee_q") or "").strip()[:100]


@get("/users/employees", opt=MANAGE_USERS, include_in_schema=False)
async def user_employee_choices(request: Request, db_session: Db) -> Any:
    """The picker's choices for what was typed (htmx swaps them into the user form)."""
    query = request.query_params
    selected = parse_int(query.get("employee_bitrix_id"), 1, 2**63 - 1)
    try:
        user_id = uuid.UUID(query.get("user") or "")
    except ValueError:
        user_id = None
    picker = await _picker(db_session, selected, _search_text(request), user_id)
    return render(request, "accounts/_employee_choices.html", {"picker": picker})


@get("/users/new", opt=MANAGE_USERS, include_in_schema=False)
async def user_new(request: Request, db_session: Db) -> Any:
    form = UserForm.blank(password=_temporary_password(), roles=["manager"], employee_q=_search_text(request))
    picker = await _picker(db_session, None, form.employee_q, None)
    return render(
        request,
        "accounts/user_form.html",
        {"form": form, "creating": True, "picker": picker, **await _choices(db_session)},
    )


def _temporary_password() -> str:
    return "-".join(secrets.token_hex(2) for _part in range(3)) + secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ")


@post("/users", opt=MANAGE_USERS, include_in_schema=False)
async def user_create(request: Request, me: Me, db_session: Db) -> Any:
    choices = await _choices(db_session)
    form = UserForm.parse(await request.form())
    form.check_against(
        role_names={r.name for r in choices["roles"]},
        department_ids={d for d, _label in choices["department_options"]},
        creating=True,
    )
    if not form.errors and await services.email_taken(db_session, form.email):
        form.errors.add("email", _("A user with this email already exists."))
    await _check_employee(db_session, form, None)
    if form.errors:
        picker = await _picker(db_session, form.employee_bitrix_id, form.employee_q, None)
        return render(
            request,
            "accounts/user_form.html",
            {"form": form, "creating": True, "picker": picker, **choices},
            status_code=422,
        )
    user = await services.create_user(
        db_session,
        email=form.email,
        password=form.password,
        name=form.name,
        roles=form.roles,
        department_id=form.department_id,
        telegraph_prefix=form.telegraph_prefix,
        employee_bitrix_id=form.employee_bitrix_id,
        must_change_password=True,
        actor=me,
    )
    toast(
        request,
        _(
            "User %(email)s created. Give them the temporary password; they will set their own at first sign-in.",
            email=user.email,
        ),
    )
    return Redirect(f"/users/{user.id}", status_code=303)


async def _get_user(db_session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await db_session.get(User, user_id)
    if user is None:
        raise NotFoundException()
    return user


@get("/users/{user_id:uuid}", opt=MANAGE_USERS, include_in_schema=False)
async def user_edit(request: Request, user_id: FromPath[uuid.UUID], db_session: Db) -> Any:
    user = await _get_user(db_session, user_id)
    form = UserForm.blank(
        email=user.email,
        name=user.name,
        roles=user.role_names,
        department_id=user.department_id,
        telegraph_prefix=user.telegraph_prefix or "",
        employee_bitrix_id=user.employee_bitrix_id,
        employee_q=_search_text(request),
    )
    picker = await _picker(db_session, user.employee_bitrix_id, form.employee_q, user.id)
    return render(
        request,
        "accounts/user_form.html",
        {"form": form, "creating": False, "user_obj": user, "picker": picker, **await _choices(db_session)},
    )


@post("/users/{user_id:uuid}", opt=MANAGE_USERS, include_in_schema=False)
async def user_update(request: Request, me: Me, user_id: FromPath[uuid.UUID], db_session: Db) -> Any:
    user = await _get_user(db_session, user_id)
    choices = await _choices(db_session)
    form = UserForm.parse(await request.form())
    form.check_against(
        role_names={r.name for r in choices["roles"]},
        department_ids={d for d, _label in choices["department_options"]},
        creating=False,
    )
    if user.id == me.id and "admin" in user.role_names and "admin" not in form.roles:
        form.errors.add("roles", _("You cannot take the admin role from yourself."))
    form.values["email"] = user.email  # not on the edit form: the address stays
    await _check_employee(db_session, form, user)
    if form.errors:
        selected = form.employee_bitrix_id if form.employee_given else user.employee_bitrix_id
        picker = await _picker(db_session, selected, form.employee_q, user.id)
        return render(
            request,
            "accounts/user_form.html",
            {"form": form, "creating": False, "user_obj": user, "picker": picker, **choices},
            status_code=422,
        )
    changes: dict[str, Any] = {
        "name": form.name,
        "roles": form.roles,
        "department_id": form.department_id,
        "telegraph_prefix": form.telegraph_prefix or None,
    }
    if form.employee_given:
        changes["employee_bitrix_id"] = form.employee_bitrix_id
    await services.update_user(db_session, user, me, **changes)
    toast(request, _("Changes saved."))
    return Redirect(f"/users/{user.id}", status_code=303)


@post("/users/{user_id:uuid}/active", opt=MANAGE_USERS, include_in_schema=False)
async def user_set_active(request: Request, me: Me, user_id: FromPath[uuid.UUID], db_session: Db) -> Any:
    user = await _get_user(db_session, user_id)
    active = ActiveForm.parse(await request.form()).active
    if user.id == me.id and not active:
        toast(request, _("You cannot deactivate yourself."), "error")
    else:
        await services.update_user(db_session, user, me, is_active=active)
        toast(request, _("User activated.") if active else _("User deactivated; their sessions ended."))
    return Redirect(f"/users/{user.id}", status_code=303)


@post("/users/{user_id:uuid}/password", opt=MANAGE_USERS, include_in_schema=False)
async def user_reset_password(request: Request, me: Me, user_id: FromPath[uuid.UUID], db_session: Db) -> Any:
    user = await _get_user(db_session, user_id)
    temporary = _temporary_password()
    await services.set_password(db_session, user, temporary, temporary=True, actor=me)
    toast(
        request,
        _(
            "Temporary password for %(email)s: %(password)s — they must change it at sign-in.",
            email=user.email,
            password=temporary,
        ),
    )
    return Redirect(f"/users/{user.id}", status_code=303)


# --------------------------------------------------------------------------- roles


@get("/roles", opt={"permission": "roles.manage"}, include_in_schema=False)
async def roles_page(request: Request, db_session: Db) -> Any:
    roles = await services.all_roles(db_session)
    return render(request, "accounts/roles.html", {"roles": roles, "permissions": OFFERED})


@post("/roles", opt={"permission": "roles.manage"}, include_in_schema=False)
async def roles_save(request: Request, me: Me, db_session: Db) -> Any:
    form = RolesForm.parse(await request.form())
    form.refuse_if_invalid()  # an unknown code: 422 naming the role's field, nothing saved
    for role in await services.all_roles(db_session):
        await services.set_role_permissions(db_session, role, form.perm.get(role.name) or [], me)
    # Role changes take effect at the next request: permissions are read from the roles each time.
    toast(request, _("Permissions saved."))
    return Redirect("/roles", status_code=303)


# --------------------------------------------------------------------------- audit

AUDIT_EXPORT = [
    ExportColumn("at", lambda e: e.created_at),
    ExportColumn("actor", lambda e: e.actor_email),
    ExportColumn("entity", lambda e: e.entity),
    ExportColumn("entity_id", lambda e: e.entity_id),
    ExportColumn("action", lambda e: e.action),
    ExportColumn("summary", lambda e: e.summary),
    ExportColumn("changes", lambda e: "; ".join(f"{k}: {v[0]} → {v[1]}" for k, v in e.changes.items())),
]


def _day(value: str, shift: int = 0) -> datetime | None:
    try:
        day = date.fromisoformat(value) + timedelta(days=shift)
    except ValueError:
        return None
    return datetime(day.year, day.month, day.day, tzinfo=local_tz())


async def audit_source(session: AsyncSession, user: User, params: ListParams) -> ListSource:
    scope = await row_scope(session, user)
    departments = None if scope.everything else (scope.department_ids or frozenset())
    filters = services.AuditFilter(
        q=params.get("q"),
        entity=params.get("entity"),
        actor=params.get("actor"),
        date_from=_day(params.get("from")),
        date_to=_day(params.get("to"), 1),
    )
    query = ListQuery(services.audit_query(filters, departments), services.AUDIT_SORTS, "-at", AuditEntry.id)
    return ListSource(query, AUDIT_EXPORT, "audit")


@get("/audit", opt={"permission": "audit.view"}, include_in_schema=False)
async def audit_page(request: Request, me: Me, db_session: Db) -> Any:
    params = ListParams.from_request(request, default_sort="-at")
    if params.format:
        return await export(request, db_session, audit_source, params)
    listed = await audit_source(db_session, me, params)
    page = await listed.query.page(db_session, params)
    entities = (await db_session.scalars(select(AuditEntry.entity).distinct().order_by(AuditEntry.entity))).all()
    context = {
        "params": params,
        "page": page,
        "entities": entities,
        "filtered": any(params.get(k) for k in ("q", "entity", "actor", "from", "to")),
        "field_names": await audit_labels.resolve_fields(db_session, page.rows),
        "audit_value": audit_labels.audit_value,
        "audit_summary": audit_labels.audit_summary,
        "actors": await services.user_names({e.actor_id for e in page.rows if e.actor_id}, db_session),
    }
    return render(request, "accounts/audit.html", context, block="list")


ROUTES = [
    users_list,
    user_employee_choices,
    user_new,
    user_create,
    user_edit,
    user_update,
    user_set_active,
    user_reset_password,
    roles_page,
    roles_save,
    audit_page,
]
