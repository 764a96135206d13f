"""The embedded PostgreSQL is stopped by the last process that used it, even after another one was killed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from crm.lib.db import _forget_dead_handles


def test_pids_of_processes_that_no_longer_exist_are_dropped_from_the_handle_list(tmp_path: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    handles = tmp_path / ".handle_pids.json"
    handles.write_text(json.dumps([gone.pid, os.getpid()]))
    _forget_dead_handles(tmp_path)
    assert json.loads(handles.read_text()) == [os.getpid()]


def test_a_missing_or_broken_handle_list_is_left_alone(tmp_path: Path) -> None:
    _forget_dead_handles(tmp_path)
    assert not (tmp_path / ".handle_pids.json").exists()
    (tmp_path / ".handle_pids.json").write_text("not json")
    _forget_dead_handles(tmp_path)
    assert (tmp_path / ".handle_pids.json").read_text() == "not json"
