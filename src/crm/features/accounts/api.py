"""JSON API of accounts: tokens (JWT access + rotating refresh) and users."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Request, get, patch, post
from litestar.exceptions import NotAuthorizedException, NotFoundException, TooManyRequestsException, ValidationException
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts import employees, schemas, services
from crm.features.accounts.models import User
from crm.lib.auth import PasswordChangeRequired, client_address, password_change_refusal
from crm.lib.deps import Db, Me
from crm.lib.lists import ApiPage, PageNo, PageSize, YesNoAllParam, sort_param, yes_no_all

PUBLIC = {"public": True}


@post(
    "/api/v1/auth/token",
    opt=PUBLIC,
    tags=["auth"],
    status_code=200,
    security=[],
    summary="Exchange email and password for an access token (15 min) and a refresh token",
    description=(
        "401 for wrong credentials, 429 with Retry-After while throttled, 403 when the account has a temporary "
        "password: it must be changed on the web page /profile/password first."
    ),
)
async def api_token(request: Request, data: JSONBody[schemas.TokenRequest], db_session: Db) -> schemas.TokenPair:
    try:
        user = await services.authenticate(
            db_session, request.app.stores.get("cache"), data.email, data.password, client_address(request)
        )
    except services.SignInError as exc:
        if exc.retry_after:
            raise TooManyRequestsException(
                detail="Too many failed attempts; try later", headers={"Retry-After": str(exc.retry_after)}
            ) from None
        raise NotAuthorizedException(detail="Wrong email or password") from None
    if user.must_change_password:
        raise password_change_refusal()  # 403: change it on the web page first (the API has no password change)
    return schemas.TokenPair(**await services.issue_token_pair(db_session, user))


@post(
    "/api/v1/auth/refresh",
    opt=PUBLIC,
    tags=["auth"],
    status_code=200,
    security=[],
    summary="Trade a refresh token for a new pair (the old refresh token stops working)",
    description=(
        "A refresh token that was already used revokes every token of its sign-in: the holder of a stolen copy "
        "and the owner both have to sign in again."
    ),
)
async def api_refresh(data: JSONBody[schemas.RefreshRequest], db_session: Db) -> schemas.TokenPair:
    try:
        pair = await services.rotate_refresh_token(db_session, data.refresh_token)
    except PasswordChangeRequired:
        raise password_change_refusal() from None
    if pair is None:
        await db_session.commit()  # a reused token's family stays revoked although the answer is 401
        raise NotAuthorizedException(detail="Refresh token is invalid, expired or revoked")
    return schemas.TokenPair(**pair)


@post(
    "/api/v1/auth/logout",
    opt=PUBLIC,
    tags=["auth"],
    status_code=204,
    security=[],
    summary="Revoke a refresh token (and the access tokens of its sign-in)",
)
async def api_logout(data: JSONBody[schemas.RefreshRequest], db_session: Db) -> None:
    await services.revoke_refresh_token(db_session, data.refresh_token)


@get("/api/v1/me", tags=["users"], summary="The user the token belongs to")
async def api_me(me: Me) -> schemas.UserOut:
    return schemas.user_out(me)


@get(
    "/api/v1/users",
    opt={"permission": "users.manage"},
    tags=["users"],
    summary="Users, filtered and paged",
)
async def api_users(
    db_session: Db,
    page: PageNo = 1,
    page_size: PageSize = 50,
    sort: Annotated[str, sort_param(services.USER_SORTS)] = "email",
    q: Annotated[str, QueryParameter(description="part of the email or name")] = "",
    role: FromQuery[str] = "",
    active: YesNoAllParam = "all",
) -> ApiPage[schemas.UserOut]:
    active_flag = {True: "yes", False: "no", None: ""}[yes_no_all("active", active)]
    users = services.users_list(services.UserFilter(q=q, role=role, active=active_flag))
    return await users.api(db_session, page, page_size, sort, schemas.user_out)


MANAGE_USERS = {"permission": "users.manage"}


async def _user(db_session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await db_session.get(User, user_id)
    if user is None:
        raise NotFoundException(detail="No such user")
    return user


@get("/api/v1/users/{user_id:uuid}", opt=MANAGE_USERS, tags=["users"], summary="One user")
async def api_user(user_id: FromPath[uuid.UUID], db_session: Db) -> schemas.UserOut:
    return schemas.user_out(await _user(db_session, user_id))


@patch(
    "/api/v1/users/{user_id:uuid}",
    opt=MANAGE_USERS,
    tags=["users"],
    summary="Change a user's name or linked Bitrix24 employee (audited)",
    description=(
        "Fields left out stay as they are. `employee_bitrix_id` links the user to an active Bitrix24 employee "
        "that no other user is linked to (row scope of companies and deals follows it); `null` removes the link. "
        "A bad value answers 422 with the field named in `errors`."
    ),
)
async def api_user_update(
    me: Me,
    user_id: FromPath[uuid.UUID],
    data: JSONBody[schemas.UserPatch],
    db_session: Db,
) -> schemas.UserOut:
    user = await _user(db_session, user_id)
    values: dict[str, Any] = {}
    if data.name is not msgspec.UNSET:
        values["name"] = data.name.strip()
    if data.employee_bitrix_id is not msgspec.UNSET:
        problem = await employees.link_problem(
            db_session, data.employee_bitrix_id, user_id=user.id, current_id=user.employee_bitrix_id
        )
        if problem:
            raise ValidationException(detail=problem, extra=[{"key": "employee_bitrix_id", "message": problem}])
        values["employee_bitrix_id"] = data.employee_bitrix_id
    await services.update_user(db_session, user, me, **values)
    return schemas.user_out(user)


ROUTES: list[Any] = [api_token, api_refresh, api_logout, api_me, api_users, api_user, api_user_update]
