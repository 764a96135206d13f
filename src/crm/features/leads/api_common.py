"""What the lead desk's API modules share: permissions, tags, field errors."""

from __future__ import annotations

from litestar.exceptions import ValidationException

from crm.features.leads import services

MANAGE = {"permission": services.MANAGE}
OPERATE = {"permission": services.OPERATE}
OPERATE_OR_MANAGE = {"permission": (services.OPERATE, services.MANAGE)}
TAGS = ["leads"]


def field_error(field: str, message: str) -> ValidationException:
    """A 422 naming the field: ``{"detail", "errors": [{"field", "message"}]}``."""
    return ValidationException(detail=f"Invalid {field}: {message}", extra=[{"key": field, "message": message}])
