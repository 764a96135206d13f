"""What a route handler receives from the app by name, besides its own parameters.

- ``db_session: Db``: the request's SQLAlchemy session (advanced-alchemy's plugin provides it under that name and
  commits nothing by itself).
- ``me: Me``: the signed-in user (``provide_me``, registered app-wide in ``crm.app`` under ``ME``). Routes marked
  ``opt={"public": True}`` may have no one signed in: their handlers do not declare ``me`` (they read
  ``current_user(request)``, which may be None).

Both are name-based dependencies: the parameter's name is the key, they never appear in the OpenAPI document as
parameters, and a handler that does not declare one does not pay for it.

The kernel knows no user model at run time (``crm.lib.auth.AuthUser`` is the shape it relies on); for the type
checker ``Me`` is accounts' ``User``, so handlers pass it on to the services as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException
from litestar.types import Scope
from sqlalchemy.ext.asyncio import AsyncSession

from crm.lib.auth import AuthUser

Db: TypeAlias = NamedDependency[AsyncSession]

if TYPE_CHECKING:
    from crm.features.accounts.models import User

    Me: TypeAlias = NamedDependency[User]
else:
    Me: TypeAlias = NamedDependency[Any]  # not validated: the auth middleware loaded it

ME = "me"


def provide_me(scope: Scope) -> AuthUser:
    """The user the auth middleware loaded for this request; the access guard already refused anonymous visitors
    on every route that is not public."""
    user: AuthUser | None = scope.get("user")
    if user is None:  # only a public route gets here without a user, and its handler must not ask for ``me``
        raise NotAuthorizedException(detail="Authentication required")
    return user


def dependencies() -> dict[str, Provide]:
    """The app-wide dependencies (``Litestar(dependencies=...)``)."""
    return {ME: Provide(provide_me, sync_to_thread=False)}
