"""Verified PostgreSQL migration between two servers: dump, restore, compare.

`pg_dumpall` reads the old server in read-only sessions (`default_transaction_read_only`),
`psql` restores into the new server, then every table of every database is compared by
row count and an order-independent content checksum (md5 over the sorted md5s of each
row's text). The old server is only ever read, so its data directory stays as it was; a
failure at any point leaves it intact and says what the new server holds.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from nqd.errors import ExitCode, InputError, NqdError
from nqd.runtime.host import Host

READ_ONLY = "-c default_transaction_read_only=on"
# settings that make a row's text the same on both servers
_SESSION = ("SET TimeZone = 'UTC'", "SET DateStyle = 'ISO, YMD'",
            "SET IntervalStyle = 'postgres'", "SET extra_float_digits = 3",
            "SET bytea_output = 'hex'")
_TABLES = """
SELECT n.nspname, c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'm') AND n.nspname <> 'information_schema'
  AND n.nspname NOT LIKE 'pg\\_%'
ORDER BY 1, 2
"""
_BENIGN_RESTORE_ERROR = re.compile(r'ERROR:\s+role "[^"]+" already exists')


class MigrationFailed(NqdError):
    """The migration stopped; `details` says what state each server is in."""

    exit_code = ExitCode.FINDINGS

    def __init__(self, stage: str, message: str, details: list[str]) -> None:
        super().__init__(f"migrate-db failed during {stage}: {message}")
        self.stage = stage
        self.details = details


@dataclass(frozen=True)
class TableCheck:
    database: str
    table: str  # schema.name
    rows_old: int | None
    rows_new: int | None
    checksum_old: str | None
    checksum_new: str | None

    @property
    def ok(self) -> bool:
        return self.rows_old == self.rows_new and self.checksum_old == self.checksum_new \
            and self.rows_old is not None

    @property
    def problem(self) -> str:
        if self.rows_new is None:
            return "missing on the new server"
        if self.rows_old is None:
            return "only on the new server"
        if self.rows_old != self.rows_new:
            return f"row count {self.rows_old} → {self.rows_new}"
        if self.checksum_old != self.checksum_new:
            return "content checksum differs"
        return "ok"


@dataclass
class MigrationReport:
    from_version: str
    to_version: str
    dump_path: str
    dump_bytes: int
    databases: list[str]
    tables: list[TableCheck] = field(default_factory=list)
    restore_notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables)

    def lines(self) -> list[str]:
        bad = [t for t in self.tables if not t.ok]
        out = [f"PostgreSQL {self.from_version} → {self.to_version}: "
               f"{len(self.databases)} databases, {len(self.tables)} tables, "
               f"dump {self.dump_bytes} bytes at {self.dump_path}, {self.seconds:.1f}s"]
        out.extend(f"  note: {n}" for n in self.restore_notes)
        for t in bad:
            out.append(f"  MISMATCH {t.database}.{t.table}: {t.problem}")
        if bad:
            out.append(f"{len(bad)} of {len(self.tables)} tables differ: the new server is not "
                       f"a faithful copy; the old server was only read and is unchanged")
        else:
            out.append(f"verified: every table has the same row count and content checksum "
                       f"({sum(t.rows_old or 0 for t in self.tables)} rows); the old server "
                       f"was only read")
        return out

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data


def _connect(dsn: str, *, read_only: bool, dbname: str | None = None) -> Any:
    import psycopg

    kwargs: dict[str, Any] = {"autocommit": True, "connect_timeout": 10}
    if read_only:
        kwargs["options"] = READ_ONLY
    if dbname is not None:
        kwargs["dbname"] = dbname
    try:
        conn = psycopg.connect(dsn, **kwargs)
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot connect ({_redact(dsn)}): {first}") from None
    for statement in _SESSION:
        conn.execute(statement)
    return conn


def _redact(dsn: str) -> str:
    """A connection string without its password, for messages."""
    dsn = re.sub(r"(password\s*=\s*)('[^']*'|\S+)", r"\1***", dsn, flags=re.IGNORECASE)
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", dsn)


def _databases(conn: Any) -> list[str]:
    rows = conn.execute("SELECT datname FROM pg_database WHERE datallowconn AND NOT "
                        "datistemplate ORDER BY datname").fetchall()
    return [str(r[0]) for r in rows]


def _version(conn: Any) -> tuple[int, str]:
    num = int(conn.execute("SHOW server_version_num").fetchone()[0])
    text = str(conn.execute("SHOW server_version").fetchone()[0]).split()[0]
    return num, text


def table_checksums(dsn: str, database: str, *, read_only: bool) -> dict[str, tuple[int, str]]:
    """Per table (`schema.name`): row count and md5 of the sorted md5s of its rows' text."""
    from psycopg import sql

    result: dict[str, tuple[int, str]] = {}
    with _connect(dsn, read_only=read_only, dbname=database) as conn:
        for schema, name in conn.execute(_TABLES).fetchall():
            query = sql.SQL(
                "SELECT count(*), md5(coalesce(string_agg(h, '' ORDER BY h), '')) "
                "FROM (SELECT md5(t::text) AS h FROM {}.{} AS t) AS s"
            ).format(sql.Identifier(schema), sql.Identifier(name))
            count, digest = conn.execute(query).fetchone()
            result[f"{schema}.{name}"] = (int(count), str(digest))
    return result


def _tool(bin_dir: Path | None, name: str) -> str:
    return str(bin_dir / name) if bin_dir is not None else name


def migrate(host: Host, from_dsn: str, to_dsn: str, work_dir: Path, *,
            bin_dir: Path | None = None,
            progress: Callable[[str], None] | None = None) -> MigrationReport:
    """Dump the old server, restore into the new one, verify every table."""
    say = progress or (lambda _text: None)
    started = time.monotonic()
    with _connect(from_dsn, read_only=True) as old:
        old_num, old_version = _version(old)
        databases = _databases(old)
    with _connect(to_dsn, read_only=False) as new:
        new_num, new_version = _version(new)
        existing = [d for d in _databases(new) if d != "postgres"]
    if new_num // 10000 < old_num // 10000:
        raise InputError(f"the new server ({new_version}) is older than the old one "
                         f"({old_version}): refusing to downgrade")
    if existing:
        raise InputError(f"the new server already has databases {', '.join(existing)}: "
                         f"restore needs an empty server (fresh initdb)")
    if table_checksums(to_dsn, "postgres", read_only=True):
        raise InputError("the new server's `postgres` database already has tables: restore "
                         "needs an empty server (fresh initdb)")

    work_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    dump = work_dir / "dumpall.sql"
    say(f"dumping PostgreSQL {old_version} ({len(databases)} databases) to {dump}")
    from_plain, from_env = _split_password(from_dsn)
    result = host.run([_tool(bin_dir, "pg_dumpall"), "--dbname", from_plain, "--file",
                       str(dump)], env={**from_env, "PGOPTIONS": READ_ONLY}, timeout=6 * 3600)
    if not result.ok:
        raise MigrationFailed("dump", _last_line(result.stderr) or f"exit {result.returncode}", [
            "nothing was restored; the old server was only read and is unchanged",
            f"partial dump (if any): {dump}"])
    dump.chmod(0o600)
    say(f"restoring into PostgreSQL {new_version}")
    to_plain, to_env = _split_password(_with_dbname(to_dsn, "postgres"))
    result = host.run([_tool(bin_dir, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=0",
                       "--dbname", to_plain, "-f", str(dump)], env=to_env, timeout=6 * 3600)
    errors = [line for line in result.stderr.splitlines()
              if ("ERROR:" in line or "FATAL:" in line or "connection" in line.lower())
              and not _BENIGN_RESTORE_ERROR.search(line)]
    notes = [line.split("ERROR:", 1)[-1].strip() for line in result.stderr.splitlines()
             if _BENIGN_RESTORE_ERROR.search(line)]
    if not result.ok or errors:
        raise MigrationFailed("restore", _last_line("\n".join(errors) or result.stderr)
                              or f"psql exit {result.returncode}", [
            *errors[:10],
            "the old server was only read (read-only sessions): its data is unchanged",
            "the new server holds a partial restore: drop its databases and roles (or "
            "initdb it again) before running migrate-db again",
            f"dump kept at {dump}"])
    say("verifying row counts and checksums")
    report = MigrationReport(old_version, new_version, str(dump), dump.stat().st_size,
                             databases, restore_notes=[f"ignored: {n}" for n in notes])
    for database in databases:
        before = table_checksums(from_dsn, database, read_only=True)
        try:
            after = table_checksums(to_dsn, database, read_only=True)
        except InputError as exc:
            raise MigrationFailed("verification", str(exc), [
                f"database {database} is missing or unreachable on the new server",
                "the old server was only read: its data is unchanged"]) from None
        for table in sorted(set(before) | set(after)):
            old_row = before.get(table)
            new_row = after.get(table)
            report.tables.append(TableCheck(
                database, table,
                old_row[0] if old_row else None, new_row[0] if new_row else None,
                old_row[1] if old_row else None, new_row[1] if new_row else None))
    report.seconds = time.monotonic() - started
    return report


def _split_password(dsn: str) -> tuple[str, dict[str, str]]:
    """Move a password out of the connection string into PGPASSWORD, so that it does not
    show on a command line (`ps`)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(dsn)
    password = params.pop("password", None)
    if password is None:
        return dsn, {}
    return str(make_conninfo("", **{k: v for k, v in params.items() if v is not None})), {
        "PGPASSWORD": str(password)}


def _with_dbname(dsn: str, dbname: str) -> str:
    from psycopg.conninfo import make_conninfo

    return str(make_conninfo(dsn, dbname=dbname))


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""
