"""What handlers receive by name: ``db_session: Db`` and ``me: Me`` (crm.lib.deps)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.exceptions import NotAuthorizedException

from crm.app import create_app
from crm.lib import deps


def _handlers() -> list[Any]:
    return [h for route in create_app().routes for h in getattr(route, "route_handlers", [])]


def test_a_public_route_never_asks_for_the_signed_in_user() -> None:
    """No one may be signed in there: such a handler reads ``current_user(request)``, which may be None."""
    asking = [
        f"{h.fn.__module__}.{h.fn.__qualname__}"
        for h in _handlers()
        if h.opt.get("public") and deps.ME in h.parsed_fn_signature.parameters
    ]
    assert not asking, asking


def test_the_signed_in_user_and_the_session_are_no_parameters_of_the_api_document() -> None:
    schema = create_app().openapi_schema.to_schema()
    names = {
        p["name"]
        for item in schema["paths"].values()
        for op in item.values()
        if isinstance(op, dict)
        for p in op.get("parameters", [])
    }
    assert names  # the API has parameters at all
    assert not names & {deps.ME, "db_session", "request"}


def test_the_user_dependency_refuses_a_request_without_a_user() -> None:
    user = object()
    assert deps.provide_me({"user": user}) is user  # type: ignore[typeddict-item]
    with pytest.raises(NotAuthorizedException):
        deps.provide_me({"user": None})  # type: ignore[typeddict-item]
