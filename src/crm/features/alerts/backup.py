"""Backups: one archive with the database (``pg_dump`` custom format) and the uploaded files, and its restore into
an empty database.

The archive (``.tar``) holds ``manifest.json`` (when, the schema revision, rows per table), ``database.dump`` and
``files/`` (the data directory's uploads, and its generated ``secret_key`` when CRM_SECRET_KEY is not set: stored
passwords and tokens are encrypted with it). It is as secret as the database itself. With the embedded database
the client programs of the embedded server are used; otherwise the system's (or those in CRM_PG_BIN), which must
be at least the server's major version."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from crm.config import Settings, get_settings
from crm.lib.db import database_url

FILES = ("uploads", "secret_key")  # what of the data directory is the organisation's (not the embedded database)
NOT_DATA = "saq_*"  # the queue's tables: their schema is kept, not their jobs


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why (never a password)."""


@dataclass(frozen=True)
class Connection:
    url: str  # libpq URL without the password
    env: dict[str, str]  # PGPASSWORD when there is one
    embedded: bool


def connection(settings: Settings | None = None) -> Connection:
    settings = settings or get_settings()
    parts = urlsplit(database_url(settings))
    env = {}
    netloc = parts.netloc
    if parts.password is not None:
        env["PGPASSWORD"] = unquote(parts.password)
        netloc = netloc.replace(f":{parts.password}@", "@", 1)
    query = dict(parse_qsl(parts.query))
    if "ssl" in query:  # asyncpg's name of libpq's sslmode
        query["sslmode"] = query.pop("ssl")
    url = urlunsplit(("postgresql", netloc, parts.path, urlencode(query), ""))
    return Connection(url=url, env=env, embedded=not settings.database_url)


def program(name: str, embedded: bool) -> str:
    if embedded:
        from pgserver._commands import POSTGRES_BIN_PATH  # the embedded server's own client programs

        return str(POSTGRES_BIN_PATH / name)
    folder = os.environ.get("CRM_PG_BIN", "").strip()
    found = str(Path(folder) / name) if folder else shutil.which(name)
    if not found or not Path(found).exists():
        raise BackupError(f"{name} not found: install the PostgreSQL client programs or set CRM_PG_BIN")
    return found


def _run(args: list[str], conn: Connection, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    # the programs are PostgreSQL's own, the arguments ours: no shell, nothing from a user
    result = subprocess.run(args, env={**os.environ, **conn.env}, capture_output=True, text=True, **kwargs)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {result.stderr.strip()[-2000:]}")
    return result


def _major(version_text: str) -> int:
    match = re.search(r"(\d+)(?:\.\d+)?", version_text)
    return int(match.group(1)) if match else 0


def _psql(conn: Connection, sql: str) -> str:
    return _run(
        [program("psql", conn.embedded), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql, conn.url], conn
    ).stdout


def check_versions(conn: Connection) -> None:
    server = int(_psql(conn, "SHOW server_version_num").strip() or 0) // 10000
    client = _major(_run([program("pg_dump", conn.embedded), "--version"], conn).stdout)
    if client < server:
        raise BackupError(f"pg_dump {client} cannot dump a PostgreSQL {server} server: use client programs {server}+")


def table_counts(conn: Connection) -> dict[str, int]:
    """Exact rows per table of the public schema (the manifest, and the check after a restore)."""
    sql = (
        "SELECT string_agg(format('SELECT %L, count(*) FROM public.%I', tablename, tablename), ' UNION ALL ') "
        "FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'saq\\_%'"
    )
    query = _psql(conn, sql).strip()
    if not query:
        return {}
    counts = {}
    for line in _psql(conn, query).splitlines():
        if "|" in line:
            name, n = line.rsplit("|", 1)
            counts[name] = int(n)
    return dict(sorted(counts.items()))


def _revision(conn: Connection) -> str:
    try:
        return _psql(conn, "SELECT string_agg(version_num, ',') FROM alembic_version").strip()
    except BackupError:
        return ""


def create(output: Path, settings: Settings | None = None) -> dict[str, Any]:
    """Writes the archive (to a temporary name first: a failed backup leaves no half file under the real one)."""
    settings = settings or get_settings()
    conn = connection(settings)
    check_versions(conn)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="crm-backup-") as work:
        dump = Path(work) / "database.dump"
        _run(
            [
                program("pg_dump", conn.embedded),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--exclude-table-data={NOT_DATA}",
                f"--file={dump}",
                conn.url,
            ],
            conn,
        )
        manifest: dict[str, Any] = {
            "format": 1,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "revision": _revision(conn),
            "tables": table_counts(conn),
            "files": [],
        }
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w") as archive:
            archive.add(dump, arcname="database.dump")
            for name in FILES:
                path = settings.var_dir / name
                if name == "secret_key" and os.environ.get("CRM_SECRET_KEY"):
                    continue  # the key lives in the environment, not in the data directory
                if path.exists():
                    archive.add(path, arcname=f"files/{name}")
                    manifest["files"].append(name)
            data = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime = len(data), int(datetime.now(UTC).timestamp())
            archive.addfile(info, io.BytesIO(data))
        partial.replace(output)
    return manifest


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        with tarfile.open(path, "r") as archive:
            member = archive.extractfile("manifest.json")
            if member is None:
                raise KeyError("manifest.json")
            manifest: dict[str, Any] = json.loads(member.read())
            archive.getmember("database.dump")
    except (OSError, KeyError, tarfile.TarError, ValueError) as exc:
        raise BackupError(f"{path} is not a CRM backup ({type(exc).__name__}: {exc})") from None
    return manifest


def is_empty(conn: Connection) -> bool:
    return not _psql(conn, "SELECT 1 FROM pg_tables WHERE schemaname = 'public' LIMIT 1").strip()


def restore(path: Path, *, force: bool = False, settings: Settings | None = None) -> dict[str, Any]:
    """Restores into the configured database, which must be empty unless ``force`` (then its public schema is
    dropped first). The files go back into the data directory. Returns the manifest and the rows found after."""
    settings = settings or get_settings()
    manifest = read_manifest(path)
    conn = connection(settings)
    if not is_empty(conn):
        if not force:
            raise BackupError("the database is not empty: restore into an empty database, or add --force to replace it")
        _psql(conn, "DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    with tempfile.TemporaryDirectory(prefix="crm-restore-") as work, tarfile.open(path, "r") as archive:
        archive.extractall(work, filter="data")
        _run(
            [
                program("pg_restore", conn.embedded),
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={conn.url}",
                str(Path(work) / "database.dump"),
            ],
            conn,
        )
        restored_files = _restore_files(Path(work) / "files", settings.var_dir)
    found = table_counts(conn)
    return {"manifest": manifest, "tables": found, "files": restored_files}


def _restore_files(source: Path, var_dir: Path) -> list[str]:
    restored = []
    for name in FILES:
        item = source / name
        if not item.exists():
            continue
        target = var_dir / name
        if name == "secret_key":
            if os.environ.get("CRM_SECRET_KEY"):
                continue  # the environment's key wins; it must be the one the backup was made with
            if target.exists() and target.read_bytes() != item.read_bytes():
                shutil.copy2(target, var_dir / "secret_key.before-restore")
            shutil.copy2(item, target)
            target.chmod(0o600)
        else:
            shutil.copytree(item, target, dirs_exist_ok=True)
        restored.append(name)
    return restored
