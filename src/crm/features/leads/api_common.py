"""What the lead desk's API modules share: permissions, tags, paging parameters, field errors."""

from __future__ import annotations

from typing import Annotated

from litestar.exceptions import ValidationException
from litestar.params import QueryParameter

from crm.features.leads import services

MANAGE = {"permission": services.MANAGE}
OPERATE = {"permission": services.OPERATE}
OPERATE_OR_MANAGE = {"permission": (services.OPERATE, services.MANAGE)}
TAGS = ["leads"]

PageNo = Annotated[int, QueryParameter(ge=1, le=10**6)]
PageSize = Annotated[int, QueryParameter(ge=1, le=500)]


def field_error(field: str, message: str) -> ValidationException:
    """A 422 naming the field: ``{"detail", "errors": [{"field", "message"}]}``."""
    return ValidationException(detail=f"Invalid {field}: {message}", extra=[{"key": field, "message": message}])
