"""API bodies (msgspec) and HTML form parsing with per-field messages."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec

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
