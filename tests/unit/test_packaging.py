"""The installed package (the Containerfile's `pip install -c requirements.lock .`) serves its static files and
finds its migrations, and every dependency it installs is pinned by the lock file."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHECK = """
import sys
from crm.config import ASSETS_ROOT
assert "site-packages" not in str(ASSETS_ROOT) and ASSETS_ROOT.name == "_project", ASSETS_ROOT
for name in ("static/app.css", "static/vendor", "migrations/env.py", "alembic.ini"):
    assert (ASSETS_ROOT / name).exists(), name
from litestar.testing import TestClient
from crm.app import create_app
with TestClient(create_app()) as client:
    assert client.get("/static/app.css").status_code == 200
print("ok", ASSETS_ROOT)
"""


def test_the_wheel_carries_static_files_and_migrations_and_serves_them_when_installed(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("crm-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert {"crm/_project/static/app.css", "crm/_project/migrations/env.py", "crm/_project/alembic.ini"} <= names
        archive.extractall(tmp_path / "installed")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "installed"), "CRM_VAR_DIR": str(tmp_path / "var")}
    # Away from the checkout, with the installed copy first on the path (the checkout's editable one is behind it).
    run = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0 and run.stdout.startswith("ok"), run.stdout[-2000:] + run.stderr[-3000:]
    assert str(tmp_path / "installed") in run.stdout


def test_every_dependency_of_pyproject_is_pinned_in_the_lock_file() -> None:
    lock = (ROOT / "requirements.lock").read_text()
    pinned = {m.group(1).lower().replace("_", "-") for m in re.finditer(r"^([A-Za-z0-9_.-]+)==", lock, re.M)}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [
        *project["dependencies"],
        *(r for extra in project["optional-dependencies"].values() for r in extra),
    ]
    declared = {re.match(r"[A-Za-z0-9_.-]+", r).group(0).lower().replace("_", "-") for r in requirements}
    missing = declared - pinned
    assert not missing, f"not in requirements.lock (run `make lock`): {sorted(missing)}"
