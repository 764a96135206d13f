"""``crm backup create`` / ``crm backup restore`` on an external PostgreSQL: the demo data and the uploaded files go
round the archive whole; a non-empty database is refused unless --force."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import pytest

from tests.conftest import PG_SERVER, _admin_execute, require_service

CRM = str(Path(sys.executable).with_name("crm"))
# the same rows of a few tables, compared by content, not only by count
CHECKSUMS = {
    "users": "SELECT md5(string_agg(email || password_hash, ',' ORDER BY email)) FROM users",
    "companies": "SELECT md5(string_agg(id || title, ',' ORDER BY id)) FROM companies",
    "sales_lines": "SELECT md5(string_agg(sales_lines::text, ',' ORDER BY id)) FROM sales_lines",
    "telegrams": "SELECT md5(string_agg(telegrams::text, ',' ORDER BY id)) FROM telegrams",
}


def _crm(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CRM, *args], env=env, capture_output=True, text=True, timeout=600)


def _env(database: str, var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CRM_SECRET_KEY"}
    url = f"{PG_SERVER.replace('postgresql://', 'postgresql+asyncpg://')}/{database}"
    return {**env, "CRM_DATABASE_URL": url, "CRM_VAR_DIR": str(var_dir), "CRM_WORKER_IN_PROCESS": "false"}


def _facts(database: str) -> tuple[dict[str, int], dict[str, str]]:
    from crm.features.alerts import backup

    conn = backup.Connection(url=f"{PG_SERVER}/{database}", env={}, embedded=False)
    sums = {name: backup._psql(conn, sql).strip() for name, sql in CHECKSUMS.items()}
    return backup.table_counts(conn), sums


@pytest.fixture
async def databases(tmp_path: Path):
    names = [f"crm_backup_{kind}_{uuid.uuid4().hex[:8]}" for kind in ("source", "target")]
    await _admin_execute(*(f'CREATE DATABASE "{n}"' for n in names))
    yield names
    await _admin_execute(*(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names))


async def test_a_backup_of_the_demo_data_restores_whole_into_an_empty_database(databases, tmp_path: Path):
    source, target = databases
    source_env, target_env = _env(source, tmp_path / "var-a"), _env(target, tmp_path / "var-b")
    for step in (("database", "upgrade", "--no-prompt"), ("demo", "load")):
        done = _crm(source_env, *step)
        assert done.returncode == 0, done.stderr[-3000:]
    photo = tmp_path / "var-a" / "uploads" / "tasks" / "2026" / "visit.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8\xff a visit photo")
    archive = tmp_path / "backups" / "crm.tar"

    made = _crm(source_env, "backup", "create", "--output", str(archive))
    assert made.returncode == 0, made.stderr[-3000:]
    assert "Backup written to" in made.stdout
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {"manifest.json", "database.dump", "files/uploads/tasks/2026/visit.jpg", "files/secret_key"} <= names

    restored = _crm(target_env, "backup", "restore", str(archive))
    assert restored.returncode == 0, restored.stderr[-3000:]
    counts, sums = _facts(source)
    assert _facts(target) == (counts, sums)
    assert (
        counts["users"] >= 7
        and counts["companies"] > 0
        and counts["sales_lines"] > 0
        and counts["alembic_version"] == 1
    )
    assert (tmp_path / "var-b" / "uploads" / "tasks" / "2026" / "visit.jpg").read_bytes() == photo.read_bytes()
    assert (tmp_path / "var-b" / "secret_key").read_bytes() == (tmp_path / "var-a" / "secret_key").read_bytes()

    # the restored database is at the release's head: upgrading finds nothing to do, and the demo is already there
    assert _crm(target_env, "database", "upgrade", "--no-prompt").returncode == 0
    assert _facts(target)[0] == counts

    again = _crm(target_env, "backup", "restore", str(archive))
    assert again.returncode == 1
    assert "the database is not empty" in again.stderr and "--force" in again.stderr
    forced = _crm(target_env, "backup", "restore", "--force", str(archive))
    assert forced.returncode == 0, forced.stderr[-3000:]
    assert _facts(target) == (counts, sums)


def test_a_file_that_is_not_a_backup_is_refused_with_a_reason(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.tar"
    bogus.write_text("not an archive")
    done = _crm({**os.environ}, "backup", "restore", str(bogus))
    assert done.returncode == 1
    assert "is not a CRM backup" in done.stderr
    assert "Traceback" not in done.stderr


def test_with_the_embedded_database_the_backup_uses_its_own_programs_and_restores_into_a_new_data_directory(
    tmp_path: Path,
) -> None:
    try:
        import pgserver  # noqa: F401
    except ImportError:
        require_service(False, "pgserver (the embedded PostgreSQL)")
    base = {k: v for k, v in os.environ.items() if k not in ("CRM_DATABASE_URL", "CRM_SECRET_KEY")}
    first = {**base, "CRM_VAR_DIR": str(tmp_path / "first"), "CRM_WORKER_IN_PROCESS": "false"}
    second = {**first, "CRM_VAR_DIR": str(tmp_path / "second")}
    assert _crm(first, "database", "upgrade", "--no-prompt").returncode == 0
    made = _crm(
        first, "users", "create", "--email", "anna@example.com", "--password", "Str0ng-pass-2026x", "--role", "admin"
    )
    assert made.returncode == 0, made.stderr[-2000:]
    (tmp_path / "first" / "uploads").mkdir()
    (tmp_path / "first" / "uploads" / "sheet.pdf").write_bytes(b"%PDF-1.4 detail sheet")
    archive = tmp_path / "embedded.tar"
    done = _crm(first, "backup", "create", "--output", str(archive))
    assert done.returncode == 0, done.stderr[-3000:]

    restored = _crm(second, "backup", "restore", str(archive))
    assert restored.returncode == 0, restored.stderr[-3000:]
    assert "as in the backup" in restored.stdout
    assert (tmp_path / "second" / "uploads" / "sheet.pdf").read_bytes() == b"%PDF-1.4 detail sheet"
    again = _crm(
        second, "users", "create", "--email", "anna@example.com", "--password", "Str0ng-pass-2026x", "--role", "admin"
    )
    assert again.returncode == 1 and "already exists" in again.stderr  # the restored user is there
