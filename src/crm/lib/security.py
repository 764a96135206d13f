"""Password hashing (Argon2id), opaque tokens and JWT access tokens."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import anyio.to_thread
import jwt
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.fernet import Fernet, InvalidToken

from crm.config import get_settings

ACCESS_TOKEN_TTL = timedelta(minutes=15)
REFRESH_TOKEN_TTL = timedelta(days=30)
API_TOKEN_PREFIX = "crm_"
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128


@lru_cache(maxsize=1)
def hasher() -> PasswordHasher:
    """Argon2id with argon2-cffi's RFC 9106 low-memory profile; ``cheapest`` only for test runs."""
    if get_settings().password_hash_profile == "cheapest":
        return PasswordHasher.from_parameters(profiles.CHEAPEST)
    return PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)


def hash_password_sync(password: str) -> str:
    return hasher().hash(password)


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(hasher().hash, password)


_DUMMY_HASH: list[str] = []


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant-work check: an unknown account costs the same as a wrong password."""
    if not password_hash:
        if not _DUMMY_HASH:
            _DUMMY_HASH.append(await hash_password(secrets.token_hex(8)))
        password_hash = _DUMMY_HASH[0]
        password = password + "\x00"

    def _verify() -> bool:
        try:
            return hasher().verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    return await anyio.to_thread.run_sync(_verify)


def needs_rehash(password_hash: str) -> bool:
    try:
        return hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def new_opaque_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_access_token(user_id: uuid.UUID, epoch: int, family: uuid.UUID | None = None) -> str:
    """A JWT for 15 minutes; ``fam`` names the refresh-token family it was issued with, so it dies with it."""
    now = datetime.now(UTC)
    exp = now + ACCESS_TOKEN_TTL
    payload: dict[str, Any] = {"sub": str(user_id), "ep": epoch, "iat": now, "exp": exp, "typ": "access"}
    if family is not None:
        payload["fam"] = str(family)
    return jwt.encode(payload, get_settings().secret_key, algorithm="HS256")


def decode_access_token(token: str) -> dict[str, Any] | None:
    try:
        payload = jwt.decode(token, get_settings().secret_key, algorithms=["HS256"])
    except jwt.PyJWTError:
        return None
    return payload if payload.get("typ") == "access" else None


def utcnow() -> datetime:
    return datetime.now(UTC)


class SecretBox:
    """Secrets at rest (integration passwords, tokens): Fernet (AES-128-CBC + HMAC-SHA256) keyed by a hash of
    CRM_SECRET_KEY and a purpose, so each kind of secret has its own key; tokens carry a version prefix."""

    def __init__(self, purpose: str, prefix: str) -> None:
        self.purpose, self.prefix = purpose, prefix

    def _fernet(self) -> Fernet:
        key = hashlib.sha256(f"{self.purpose}|{get_settings().secret_key}".encode()).digest()
        return Fernet(base64.urlsafe_b64encode(key))

    def encrypt(self, plain: str) -> str:
        return self.prefix + self._fernet().encrypt(plain.encode()).decode() if plain else ""

    def decrypt(self, token: str) -> str:
        """The secret, or "" when there is none or it was sealed under another CRM_SECRET_KEY (entered again)."""
        if not token or not token.startswith(self.prefix):
            return ""
        try:
            return self._fernet().decrypt(token[len(self.prefix) :].encode()).decode()
        except InvalidToken:
            return ""
