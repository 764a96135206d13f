"""API bodies (msgspec) and HTML form parsing with per-field messages."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar.datastructures import FormMultiDict

from crm.features.accounts.services import password_problem
from crm.lib.i18n import gettext as _
from crm.lib.web import FormErrors, parse_int

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


class TokenRequest(msgspec.Struct):
    email: Annotated[str, msgspec.Meta(min_length=3, max_length=255, examples=["admin@example.com"])]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256, examples=["admin-demo-2026"])]


class RefreshRequest(msgspec.Struct):
    refresh_token: Annotated[str, msgspec.Meta(min_length=10, max_length=200)]


class TokenPair(msgspec.Struct):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"


class UserOut(msgspec.Struct):
    id: uuid.UUID
    email: str
    name: str
    roles: list[str]
    department_id: int | None
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None
    employee_bitrix_id: int | None = None


def user_out(user: Any) -> UserOut:
    return UserOut(
        id=user.id,
        email=user.email,
        name=user.name,
        roles=user.role_names,
        department_id=user.department_id,
        is_active=user.is_active,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
        employee_bitrix_id=user.employee_bitrix_id,
    )


EmployeeId = Annotated[
    int,
    msgspec.Meta(
        ge=1,
        le=2**63 - 1,
        description="Bitrix24 user id of an active employee not linked to another user; null to unlink",
        examples=[17],
    ),
]


class UserPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Fields to change; a field left out stays as it is. ``employee_bitrix_id: null`` removes the link."""

    name: Annotated[str, msgspec.Meta(max_length=255, examples=["Мария Иванова"])] | msgspec.UnsetType = msgspec.UNSET
    employee_bitrix_id: EmployeeId | msgspec.UnsetType | None = msgspec.UNSET


def valid_email(value: str) -> bool:
    return bool(EMAIL_RE.match(value.strip())) and len(value) <= 255


@dataclass
class UserForm:
    """The admin's user form; ``errors`` lists what must be fixed before saving."""

    email: str = ""
    name: str = ""
    roles: list[str] = field(default_factory=list)
    department_id: int | None = None
    telegraph_prefix: str = ""
    password: str = ""
    employee_bitrix_id: int | None = None
    # False when the form did not carry the employee field at all: the link is then left as it is.
    employee_given: bool = False
    employee_q: str = ""
    errors: FormErrors = field(default_factory=FormErrors)

    @classmethod
    def parse(cls, form: FormMultiDict, *, role_names: set[str], department_ids: set[int], creating: bool) -> UserForm:
        errors = FormErrors()
        data = cls(
            email=(form.get("email") or "").strip().lower(),
            name=(form.get("name") or "").strip(),
            roles=[r for r in form.getall("roles", []) if r],
            telegraph_prefix=(form.get("telegraph_prefix") or "").strip(),
            password=form.get("password") or "",
            employee_q=(form.get("employee_q") or "").strip()[:100],
            errors=errors,
        )
        if "employee_bitrix_id" in form:
            data.employee_given = True
            raw_employee = (form.get("employee_bitrix_id") or "").strip()
            if raw_employee:
                data.employee_bitrix_id = parse_int(raw_employee, 1, 2**63 - 1)
                if data.employee_bitrix_id is None:
                    errors.add("employee_bitrix_id", _("Choose an employee from the list."))
        raw_department = (form.get("department_id") or "").strip()
        if creating and not valid_email(data.email):
            errors.add("email", _("Enter an email address like name@company.ru."))
        if len(data.name) > 255:
            errors.add("name", _("At most 255 characters."))
        if not data.roles:
            errors.add("roles", _("Choose at least one role."))
        elif set(data.roles) - role_names:
            errors.add("roles", _("Unknown role."))
        if raw_department:
            try:
                data.department_id = int(raw_department)
            except ValueError:
                data.department_id = None
            if data.department_id not in department_ids:
                errors.add("department_id", _("Unknown department."))
        if data.telegraph_prefix and not re.fullmatch(r"\d{3,12}", data.telegraph_prefix):
            errors.add("telegraph_prefix", _("Digits only, 3 to 12 of them (e.g. 123002)."))
        if "telegraph" in data.roles and not data.telegraph_prefix:
            errors.add("telegraph_prefix", _("A telegraph operator needs the channel prefix of their office."))
        if creating:
            problem = password_problem(data.password, data.email)
            if problem:
                errors.add("password", _(problem))
        return data
