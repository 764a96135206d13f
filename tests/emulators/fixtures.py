"""Helpers for emulator fixtures (fixtures themselves live in the test modules)."""

from __future__ import annotations

from typing import Any

from tests.emulators.bitrix24 import Portal, dataset

_SMALL: dict[int, Any] = {}


def small_dataset(seed: int = 1) -> Any:
    if seed not in _SMALL:
        _SMALL[seed] = dataset(seed, companies=300)
    return _SMALL[seed]


def fast_portal(seed: int = 1, **kwargs: Any) -> Portal:
    """A small generated portal with a fast, large bucket (tests do not wait for the real 2 req/s)."""
    kwargs.setdefault("rate", 1000.0)
    kwargs.setdefault("bucket", 1000.0)
    return Portal(small_dataset(seed), **kwargs)
