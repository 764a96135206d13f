"""JSON API of accounts: tokens (JWT access + rotating refresh) and users."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, TooManyRequestsException
from litestar.params import FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts import schemas, services
from crm.features.accounts.controllers import client_address
from crm.features.accounts.models import User
from crm.lib.auth import current_user
from crm.lib.web import ListParams, fetch_page

PUBLIC = {"public": True}


@post(
    "/api/v1/auth/token",
    opt=PUBLIC,
    tags=["auth"],
    status_code=200,
    security=[],
    summary="Exchange email and password for an access token (15 min) and a refresh token",
)
async def api_token(
    request: Request, data: JSONBody[schemas.TokenRequest], db_session: NamedDependency[AsyncSession]
) -> schemas.TokenPair:
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
    return schemas.TokenPair(**await services.issue_token_pair(db_session, user))


@post(
    "/api/v1/auth/refresh",
    opt=PUBLIC,
    tags=["auth"],
    status_code=200,
    security=[],
    summary="Trade a refresh token for a new pair (the old refresh token stops working)",
)
async def api_refresh(
    data: JSONBody[schemas.RefreshRequest], db_session: NamedDependency[AsyncSession]
) -> schemas.TokenPair:
    pair = await services.rotate_refresh_token(db_session, data.refresh_token)
    if pair is None:
        raise NotAuthorizedException(detail="Refresh token is invalid, expired or revoked")
    return schemas.TokenPair(**pair)


@post(
    "/api/v1/auth/logout",
    opt=PUBLIC,
    tags=["auth"],
    status_code=204,
    security=[],
    summary="Revoke a refresh token",
)
async def api_logout(data: JSONBody[schemas.RefreshRequest], db_session: NamedDependency[AsyncSession]) -> None:
    await services.revoke_refresh_token(db_session, data.refresh_token)


@get("/api/v1/me", tags=["users"], summary="The user the token belongs to")
async def api_me(request: Request) -> schemas.UserOut:
    return schemas.user_out(current_user(request))


@get(
    "/api/v1/users",
    opt={"permission": "users.manage"},
    tags=["users"],
    summary="Users, filtered and paged",
)
async def api_users(
    request: Request,
    db_session: NamedDependency[AsyncSession],
    page: Annotated[int, QueryParameter(ge=1)] = 1,
    page_size: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
    sort: Annotated[
        str, QueryParameter(description="email, name, created, login; '-' prefix for descending")
    ] = "email",
    q: Annotated[str, QueryParameter(description="part of the email or name")] = "",
    role: FromQuery[str] = "",
    active: Annotated[str, QueryParameter(description="yes or no")] = "",
) -> schemas.UserPage:
    params = ListParams.from_request(request, default_sort="email")
    stmt = services.users_query(services.UserFilter(q=q, role=role, active=active if active in {"yes", "no"} else ""))
    result = await fetch_page(db_session, stmt, params, services.USER_SORTS, User.id)
    return schemas.UserPage(
        total=result.total,
        page=result.page,
        page_size=result.page_size,
        rows=[schemas.user_out(u) for u in result.rows],
    )


ROUTES: list[Any] = [api_token, api_refresh, api_logout, api_me, api_users]
