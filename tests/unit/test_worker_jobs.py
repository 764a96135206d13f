"""Every job the code puts on the queue is one the worker knows by that name."""

from __future__ import annotations

import re
from pathlib import Path

from litestar.utils.module_loader import import_string

import crm
from crm.features.clients.jobs import JOB_NAMES
from crm.features.leads.desk import GIVE_OUT_JOB
from crm.workers import all_tasks

SOURCES = Path(crm.__file__).parent


def _registered() -> set[str]:
    return {import_string(path).__name__ for path in all_tasks()}


def test_every_enqueued_job_name_is_a_registered_worker_function() -> None:
    literal = set()
    for path in SOURCES.rglob("*.py"):
        literal |= set(re.findall(r"\benqueue\(\s*\"([^\"]+)\"", path.read_text(encoding="utf-8")))
    assert literal, "no enqueue call found: the scan is broken"
    named = literal | set(JOB_NAMES.values()) | {GIVE_OUT_JOB}
    assert named - _registered() == set()
