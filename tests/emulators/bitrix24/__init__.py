"""A Bitrix24 emulator, a real HTTP server: ``python -m tests.emulators.bitrix24 --port 8090 --seed 1``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from crm.integrations.bitrix24.dataset import Dataset, generate
from tests.emulators.bitrix24.portal import Portal, RestError
from tests.emulators.bitrix24.server import EmulatorServer

DEPARTMENTS_JSON = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures" / "bitrix24" / "departments.json"


def real_departments() -> list[dict[str, Any]] | None:
    """The real department tree (../shared/fixtures/bitrix24/departments.json relative to the project)."""
    if DEPARTMENTS_JSON.exists():
        return list(json.loads(DEPARTMENTS_JSON.read_text(encoding="utf-8")))
    return None


def dataset(seed: int = 1, **sizes: Any) -> Dataset:
    return generate(seed, departments=real_departments(), **sizes)


@contextmanager
def running(portal: Portal, port: int = 0) -> Iterator[EmulatorServer]:
    server = EmulatorServer(portal, port=port).start()
    try:
        yield server
    finally:
        server.stop()


__all__ = [
    "Dataset",
    "EmulatorServer",
    "Portal",
    "RestError",
    "dataset",
    "generate",
    "real_departments",
    "running",
]
