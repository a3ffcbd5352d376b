"""The user's configuration (`config.toml`): typed, validated, with defaults.

`load_config(path)` reads `paths.config_file()` (or the `--config FILE` override) with
tomllib and turns it into frozen dataclasses. Unknown keys and wrong types are input errors
naming the file and key, so a typo never silently disables a backup source or a check.
The format is documented in docs/configuration.md.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nqd import paths
from nqd.errors import InputError

COMPRESSIONS = ("zstd", "gzip")


# ---------------------------------------------------------------- connections


@dataclass(frozen=True)
class PostgresConn:
    """How to reach a PostgreSQL server. The password is never stored here, only where it is."""

    host: str = "127.0.0.1"
    port: int = 5432
    user: str | None = None
    dbname: str = "postgres"
    password_file: Path | None = None
    connect_timeout: float = 5.0

    def password(self) -> str | None:
        """The password from `password_file`, else `$PGPASSWORD`, else None."""
        return _read_secret(self.password_file) if self.password_file else os.environ.get(
            "PGPASSWORD")

    def libpq_env(self) -> dict[str, str]:
        """Environment for pg_dump & co: connection by PG* variables, never by argv."""
        env = {"PGHOST": self.host, "PGPORT": str(self.port), "PGDATABASE": self.dbname,
               "PGCONNECT_TIMEOUT": str(max(1, int(self.connect_timeout)))}
        if self.user:
            env["PGUSER"] = self.user
        secret = self.password()
        if secret is not None:
            env["PGPASSWORD"] = secret
        return env


@dataclass(frozen=True)
class RedisConn:
    host: str = "127.0.0.1"
    port: int = 6379
    username: str | None = None
    password_file: Path | None = None
    db: int = 0
    timeout: float = 5.0

    def password(self) -> str | None:
        """The password from `password_file`, else `$REDISCLI_AUTH`, else None."""
        return _read_secret(self.password_file) if self.password_file else os.environ.get(
            "REDISCLI_AUTH")


def _read_secret(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise InputError(f"cannot read password file {path}: {exc.strerror}") from None


# ---------------------------------------------------------------- backup


@dataclass(frozen=True)
class PostgresBackup:
    conn: PostgresConn
    databases: tuple[str, ...] = ()  # empty: the whole cluster with pg_dumpall
    pg_dump: str = "pg_dump"
    pg_dumpall: str = "pg_dumpall"
    timeout: float = 3600.0


@dataclass(frozen=True)
class RedisBackup:
    conn: RedisConn
    data_dir: Path | None = None  # where the RDB/AOF are on this host; default CONFIG GET dir
    save_timeout: float = 300.0


@dataclass(frozen=True)
class BackupConfig:
    directory: Path
    include_defaults: bool = True
    paths: tuple[Path, ...] = ()
    excludes: tuple[str, ...] = ()
    container_data: tuple[Path, ...] | None = None  # None: the default list; () : none
    compression: str = "zstd"
    level: int | None = None
    postgresql: PostgresBackup | None = None
    redis: RedisBackup | None = None


# ---------------------------------------------------------------- health


@dataclass(frozen=True)
class HttpCheckSpec:
    name: str
    url: str
    expect_status: int = 200
    contains: str | None = None
    timeout: float | None = None


@dataclass(frozen=True)
class TcpCheckSpec:
    name: str
    host: str
    port: int
    timeout: float | None = None


@dataclass(frozen=True)
class CommandCheckSpec:
    name: str
    argv: tuple[str, ...]
    expect_exit: int = 0
    contains: str | None = None
    timeout: float | None = None


@dataclass(frozen=True)
class QueryCheckSpec:
    name: str
    query: str
    conn: PostgresConn
    expect: str | None = None  # first column of the first row, as text
    timeout: float | None = None


@dataclass(frozen=True)
class FileCheckSpec:
    name: str
    path: Path


@dataclass(frozen=True)
class UserChecks:
    """Checks the user adds: in `[health]` of config.toml or in a `--checks FILE`."""

    http: tuple[HttpCheckSpec, ...] = ()
    tcp: tuple[TcpCheckSpec, ...] = ()
    command: tuple[CommandCheckSpec, ...] = ()
    query: tuple[QueryCheckSpec, ...] = ()
    file: tuple[FileCheckSpec, ...] = ()

    def merged(self, other: UserChecks) -> UserChecks:
        return UserChecks(self.http + other.http, self.tcp + other.tcp,
                          self.command + other.command, self.query + other.query,
                          self.file + other.file)


DEFAULT_HTTP = (
    # The research document's endpoints: the inference server and the knowledge service.
    HttpCheckSpec("inference-server", "http://127.0.0.1:8000/health"),
    HttpCheckSpec("knowledge-service", "http://127.0.0.1:8091/health"),
)


@dataclass(frozen=True)
class HealthConfig:
    timeout: float = 10.0
    http: tuple[HttpCheckSpec, ...] = DEFAULT_HTTP
    postgresql: PostgresConn | None = None
    pg_extensions: tuple[str, ...] = ()
    redis: RedisConn | None = None
    python: str = "python3"
    python_modules: tuple[str, ...] = ("torch", "tensorflow", "langchain")
    disks: tuple[Path, ...] = (Path("/"), Path("/nix"))
    disk_warn_gb: float = 10.0
    disk_fail_gb: float = 2.0
    containers: tuple[str, ...] = ()  # containers that must be running
    os_release: Path = Path("/etc/os-release")
    checks: UserChecks = field(default_factory=UserChecks)


@dataclass(frozen=True)
class Config:
    source: Path | None
    flake_dir: Path
    backup: BackupConfig
    health: HealthConfig


# ---------------------------------------------------------------- loading


def load_config(path: Path | None = None) -> Config:
    """Load `path` (must exist) or the default config file (may be absent: defaults)."""
    explicit = path is not None
    target = Path(path) if path is not None else paths.config_file()
    if not target.exists():
        if explicit:
            raise InputError(f"config file {target} does not exist")
        return _build({}, None)
    return _build(_read_toml(target), target)


def load_checks_file(path: Path) -> UserChecks:
    """A `--checks FILE`: top-level `[[http]]`, `[[tcp]]`, `[[command]]`, `[[query]]`,
    `[[file]]` tables."""
    data = _read_toml(path)
    table = _Table(data, str(path), "", path.parent)
    checks = _user_checks(table, PostgresConn())
    table.done()
    return checks


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: invalid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a TOML file (not valid UTF-8)") from None


def _build(data: dict[str, Any], source: Path | None) -> Config:
    base = source.parent if source else Path.cwd()
    root = _Table(data, str(source or "config"), "", base)
    flake_dir = root.path("flake") or Path.home() / ".dotfiles" / "home-manager"
    backup_table = root.table("backup")
    health_table = root.table("health")
    root.done()
    backup = _backup(backup_table)
    health = _health(health_table, backup)
    return Config(source, flake_dir, backup, health)


def _backup(t: _Table) -> BackupConfig:
    pg_t = t.table("postgresql") if t.has("postgresql") else None
    redis_t = t.table("redis") if t.has("redis") else None
    compression = t.string("compression") or "zstd"
    if compression not in COMPRESSIONS:
        raise t.error("compression", f"expected one of {', '.join(COMPRESSIONS)}")
    config = BackupConfig(
        directory=t.path("directory") or paths.state_dir() / "backups",
        include_defaults=t.boolean("include_defaults", True),
        paths=tuple(t.path_list("paths")),
        excludes=tuple(t.string_list("excludes")),
        container_data=(tuple(t.path_list("container_data")) if t.has("container_data")
                        else None),
        compression=compression,
        level=t.integer("level"),
        postgresql=_pg_backup(pg_t) if pg_t else None,
        redis=_redis_backup(redis_t) if redis_t else None,
    )
    t.done()
    return config


def _pg_conn(t: _Table, base: PostgresConn | None = None) -> PostgresConn:
    base = base or PostgresConn()
    return PostgresConn(
        host=t.string("host") or base.host,
        port=t.port("port", base.port),
        user=t.string("user") or base.user,
        dbname=t.string("dbname") or base.dbname,
        password_file=t.path("password_file") or base.password_file,
        connect_timeout=t.number("connect_timeout", base.connect_timeout),
    )


def _pg_backup(t: _Table) -> PostgresBackup:
    result = PostgresBackup(
        conn=_pg_conn(t),
        databases=tuple(t.string_list("databases")),
        pg_dump=t.string("pg_dump") or "pg_dump",
        pg_dumpall=t.string("pg_dumpall") or "pg_dumpall",
        timeout=t.number("timeout", 3600.0),
    )
    t.done()
    return result


def _redis_conn(t: _Table) -> RedisConn:
    return RedisConn(
        host=t.string("host") or "127.0.0.1",
        port=t.port("port", 6379),
        username=t.string("username"),
        password_file=t.path("password_file"),
        db=t.integer("db") or 0,
        timeout=t.number("timeout", 5.0),
    )


def _redis_backup(t: _Table) -> RedisBackup:
    result = RedisBackup(conn=_redis_conn(t), data_dir=t.path("data_dir"),
                         save_timeout=t.number("save_timeout", 300.0))
    t.done()
    return result


def _health(t: _Table, backup: BackupConfig) -> HealthConfig:
    defaults = HealthConfig()
    pg: PostgresConn | None = backup.postgresql.conn if backup.postgresql else None
    extensions: tuple[str, ...] = ()
    if t.has("postgresql"):
        pg_t = t.table("postgresql")
        pg = _pg_conn(pg_t, pg)
        extensions = tuple(pg_t.string_list("extensions"))
        pg_t.done()
    redis: RedisConn | None = backup.redis.conn if backup.redis else None
    if t.has("redis"):
        redis_t = t.table("redis")
        redis = _redis_conn(redis_t)
        redis_t.done()
    python_t = t.table("python")
    interpreter = python_t.string("interpreter") or defaults.python
    modules = (tuple(python_t.string_list("modules")) if python_t.has("modules")
               else defaults.python_modules)
    python_t.done()
    disk_t = t.table("disk")
    disks = tuple(disk_t.path_list("paths")) if disk_t.has("paths") else defaults.disks
    warn_gb = disk_t.number("warn_below_gb", defaults.disk_warn_gb)
    fail_gb = disk_t.number("fail_below_gb", defaults.disk_fail_gb)
    disk_t.done()
    checks = _user_checks(t, pg or PostgresConn())
    default_http = t.boolean("default_http", True)
    result = HealthConfig(
        timeout=t.number("timeout", defaults.timeout),
        http=(DEFAULT_HTTP if default_http else ()) + checks.http,
        postgresql=pg,
        pg_extensions=extensions,
        redis=redis,
        python=interpreter,
        python_modules=modules,
        disks=disks,
        disk_warn_gb=warn_gb,
        disk_fail_gb=fail_gb,
        containers=tuple(t.string_list("containers")),
        os_release=t.path("os_release") or defaults.os_release,
        checks=UserChecks((), checks.tcp, checks.command, checks.query, checks.file),
    )
    t.done()
    return result


def _user_checks(t: _Table, pg: PostgresConn) -> UserChecks:
    http, tcp, command, query, files = [], [], [], [], []
    for c in t.tables("http"):
        http.append(HttpCheckSpec(c.required_string("name"), c.required_string("url"),
                                  c.integer("expect_status") or 200, c.string("contains"),
                                  c.optional_number("timeout")))
        c.done()
    for c in t.tables("tcp"):
        tcp.append(TcpCheckSpec(c.required_string("name"), c.string("host") or "127.0.0.1",
                                c.port("port", None), c.optional_number("timeout")))
        c.done()
    for c in t.tables("command"):
        argv = tuple(c.string_list("argv"))
        if not argv:
            raise c.error("argv", "expected a non-empty list of strings")
        command.append(CommandCheckSpec(c.required_string("name"), argv,
                                        c.integer("expect_exit") or 0, c.string("contains"),
                                        c.optional_number("timeout")))
        c.done()
    for c in t.tables("query"):
        query.append(QueryCheckSpec(c.required_string("name"), c.required_string("query"),
                                    _pg_conn(c, pg), c.string("expect"),
                                    c.optional_number("timeout")))
        c.done()
    for c in t.tables("file"):
        path = c.path("path")
        if path is None:
            raise c.error("path", "required")
        files.append(FileCheckSpec(c.required_string("name"), path))
        c.done()
    return UserChecks(tuple(http), tuple(tcp), tuple(command), tuple(query), tuple(files))


class _Table:
    """Typed access to one TOML table; `done()` rejects keys nobody asked for."""

    def __init__(self, data: Mapping[str, Any], source: str, prefix: str, base: Path) -> None:
        self.data = data
        self.source = source
        self.prefix = prefix
        self.base = base
        self.seen: set[str] = set()

    def error(self, key: str, message: str) -> InputError:
        where = f"{self.prefix}.{key}" if self.prefix else key
        return InputError(f"{self.source}: {where}: {message}")

    def has(self, key: str) -> bool:
        return key in self.data

    def _get(self, key: str) -> Any:
        self.seen.add(key)
        return self.data.get(key)

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.seen)
        if unknown:
            raise self.error(unknown[0], "unknown key")

    def table(self, key: str) -> _Table:
        value = self._get(key)
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise self.error(key, "expected a table")
        return _Table(value, self.source, f"{self.prefix}.{key}" if self.prefix else key,
                      self.base)

    def tables(self, key: str) -> list[_Table]:
        value = self._get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.error(key, f"expected an array of tables ([[{key}]])")
        name = f"{self.prefix}.{key}" if self.prefix else key
        return [_Table(v, self.source, f"{name}[{i}]", self.base) for i, v in enumerate(value)]

    def string(self, key: str) -> str | None:
        value = self._get(key)
        if value is not None and not isinstance(value, str):
            raise self.error(key, "expected a string")
        return value

    def required_string(self, key: str) -> str:
        value = self.string(key)
        if not value:
            raise self.error(key, "required")
        return value

    def string_list(self, key: str) -> list[str]:
        value = self._get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(key, "expected a list of strings")
        return list(value)

    def boolean(self, key: str, default: bool) -> bool:
        value = self._get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(key, "expected true or false")
        return value

    def integer(self, key: str) -> int | None:
        value = self._get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise self.error(key, "expected an integer")
        return value

    def port(self, key: str, default: int | None) -> int:
        value = self.integer(key)
        if value is None:
            if default is None:
                raise self.error(key, "required")
            return default
        if not 0 < value < 65536:
            raise self.error(key, "expected a port number (1-65535)")
        return value

    def optional_number(self, key: str) -> float | None:
        value = self._get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0 \
                or not math.isfinite(value):
            raise self.error(key, "expected a positive number")
        return float(value)

    def number(self, key: str, default: float) -> float:
        value = self.optional_number(key)
        return default if value is None else value

    def _to_path(self, key: str, raw: str) -> Path:
        if not raw:
            raise self.error(key, "empty path")
        path = Path(os.path.expanduser(raw))
        return path if path.is_absolute() else self.base / path

    def path(self, key: str) -> Path | None:
        raw = self.string(key)
        return None if raw is None else self._to_path(key, raw)

    def path_list(self, key: str) -> list[Path]:
        return [self._to_path(key, raw) for raw in self.string_list(key)]
