"""Bitrix24 REST client: transport, limits, retries, OAuth refresh, batch and paging.

Knows nothing of the application's models: it speaks Bitrix24 and hands back plain dicts.
"""

from crm.integrations.bitrix24.auth import OAuthAuth, OAuthTokens, WebhookAuth
from crm.integrations.bitrix24.client import Bitrix24Client, ListSpec
from crm.integrations.bitrix24.errors import (
    AuthError,
    Bitrix24Error,
    MethodError,
    NotFoundError,
    OperationTimeLimit,
    QueryLimitExceeded,
    TokenExpired,
    TransientError,
)
from crm.integrations.bitrix24.limits import LeakyBucket
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
