"""Bitrix24 REST client: transport, limits, retries, OAuth refresh, batch and paging.

Knows nothing of the application's models: it speaks Bitrix24 and hands back plain dicts.
"""

from crm.integrations.bitrix24.client import (
    AuthError,
    Bitrix24Client,
    Bitrix24Error,
    LeakyBucket,
    ListSpec,
    MethodError,
    NotFoundError,
    OAuthAuth,
    OAuthTokens,
    OperationTimeLimit,
    QueryLimitExceeded,
    TokenExpired,
    TransientError,
    WebhookAuth,
)
from crm.integrations.bitrix24.values import as_bool, as_date, as_datetime, as_decimal, as_int

__all__ = [
    "AuthError",
    "Bitrix24Client",
    "Bitrix24Error",
    "LeakyBucket",
    "ListSpec",
    "MethodError",
    "NotFoundError",
    "OAuthAuth",
    "OAuthTokens",
    "OperationTimeLimit",
    "QueryLimitExceeded",
    "TokenExpired",
    "TransientError",
    "WebhookAuth",
    "as_bool",
    "as_date",
    "as_datetime",
    "as_decimal",
    "as_int",
]
