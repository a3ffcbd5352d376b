"""Database dumps for a backup: PostgreSQL with pg_dumpall/pg_dump, Redis by BGSAVE.

Each dump is written to a file in the backup's private temporary directory, checked
(non-empty and well-formed), and then archived under `databases/`. Passwords reach the
tools by environment (PGPASSWORD) or the client library, never argv, logs or manifests.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from nqd.config import PostgresBackup, RedisBackup
from nqd.errors import ExitCode, NqdError
from nqd.runtime.host import Host

PG_DUMPALL_TRAILER = b"-- PostgreSQL database cluster dump complete"
REDIS_MAGIC = b"REDIS"


class DumpFailed(NqdError):
    """A database could not be dumped; the backup is abandoned."""

    exit_code = ExitCode.FINDINGS


@dataclass(frozen=True)
class Dump:
    kind: str
    path: Path  # on disk, inside the temporary backup directory
    member: str  # name in the archive
    check: str


def _last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"


def dump_postgresql(cfg: PostgresBackup, host: Host, workdir: Path) -> list[Dump]:
    """`pg_dumpall` (whole cluster, plain SQL) or `pg_dump -Fc` per configured database."""
    out = workdir / "postgresql"
    out.mkdir(mode=0o700)
    env = cfg.conn.libpq_env()
    dumps: list[Dump] = []
    if not cfg.databases:
        target = out / "cluster.sql"
        result = host.run([cfg.pg_dumpall, "--no-password", f"--file={target}"],
                          env=env, timeout=cfg.timeout)
        if not result.ok:
            raise DumpFailed(f"pg_dumpall failed: {_last_line(result.stderr)}")
        _check_dumpall(target)
        dumps.append(Dump("postgresql", target, "databases/postgresql/cluster.sql",
                          "pg_dumpall output ends with its completion trailer"))
        return dumps
    pg_restore = _sibling(cfg.pg_dump, "pg_restore")
    for db in cfg.databases:
        target = out / f"{db}.dump"
        result = host.run([cfg.pg_dump, "--no-password", "--format=custom", f"--file={target}",
                           f"--dbname={db}"], env=env, timeout=cfg.timeout)
        if not result.ok:
            raise DumpFailed(f"pg_dump of {db} failed: {_last_line(result.stderr)}")
        if not target.exists() or target.stat().st_size == 0:
            raise DumpFailed(f"pg_dump of {db} produced an empty dump")
        listing = host.run([pg_restore, "--list", str(target)], timeout=cfg.timeout)
        if not listing.ok:
            raise DumpFailed(f"dump of {db} is unreadable: {_last_line(listing.stderr)}")
        dumps.append(Dump("postgresql", target, f"databases/postgresql/{db}.dump",
                          "pg_restore --list reads the dump"))
    return dumps


def _sibling(program: str, name: str) -> str:
    return str(Path(program).with_name(name)) if os.sep in program else name


def _check_dumpall(path: Path) -> None:
    try:
        size = path.stat().st_size
    except OSError:
        raise DumpFailed("pg_dumpall wrote no dump file") from None
    if size == 0:
        raise DumpFailed("pg_dumpall produced an empty dump")
    with open(path, "rb") as handle:
        handle.seek(max(0, size - 4096))
        if PG_DUMPALL_TRAILER not in handle.read():
            raise DumpFailed("pg_dumpall output is incomplete (no completion trailer)")


def dump_redis(cfg: RedisBackup, workdir: Path) -> list[Dump]:
    """BGSAVE, wait for it to finish successfully, copy the RDB (and the AOF if enabled)."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    conn = cfg.conn
    client = redis.Redis(host=conn.host, port=conn.port, db=conn.db, username=conn.username,
                         password=conn.password(), socket_timeout=conn.timeout,
                         socket_connect_timeout=conn.timeout,
                         retry=Retry(NoBackoff(), 0))
    try:
        data_dir, rdb_name, aof = _redis_layout(client, cfg)
        _bgsave(client, cfg.save_timeout)
    except redis.RedisError as exc:
        raise DumpFailed(f"redis {conn.host}:{conn.port}: {exc}") from None
    finally:
        client.close()
    out = workdir / "redis"
    out.mkdir(mode=0o700)
    rdb = data_dir / rdb_name
    copy = out / rdb_name
    try:
        shutil.copyfile(rdb, copy)
    except OSError as exc:
        raise DumpFailed(f"cannot copy the Redis dump {rdb}: {exc.strerror} "
                         "(set [backup.redis] data_dir to where it is on this host)") from None
    with open(copy, "rb") as handle:
        if handle.read(len(REDIS_MAGIC)) != REDIS_MAGIC:
            raise DumpFailed(f"{rdb} is not a Redis RDB file")
    dumps = [Dump("redis", copy, f"databases/redis/{rdb_name}",
                  "BGSAVE succeeded; file starts with the RDB magic")]
    if aof is not None:
        source = data_dir / aof
        target = out / aof
        try:
            if source.is_dir():
                shutil.copytree(source, target)
            else:
                shutil.copyfile(source, target)
        except OSError as exc:
            raise DumpFailed(f"cannot copy the Redis AOF {source}: {exc}") from None
        for path in sorted(target.rglob("*")) if target.is_dir() else [target]:
            if path.is_file():
                rel = path.relative_to(out)
                dumps.append(Dump("redis", path, f"databases/redis/{rel}", "AOF copied"))
    return dumps


def _redis_layout(client: object, cfg: RedisBackup) -> tuple[Path, str, str | None]:
    import redis

    assert isinstance(client, redis.Redis)
    try:
        directory = str(client.config_get("dir")["dir"])
        rdb_name = str(client.config_get("dbfilename")["dbfilename"])
        appendonly = client.config_get("appendonly").get("appendonly") == "yes"
        aof: str | None = None
        if appendonly:
            conf = client.config_get("append*")
            aof = str(conf.get("appenddirname") or conf.get("appendfilename") or "")
            aof = aof or None
    except redis.ResponseError:
        if cfg.data_dir is None:
            raise
        directory, rdb_name, aof = str(cfg.data_dir), "dump.rdb", None
    return (cfg.data_dir or Path(directory)), rdb_name, aof


def _bgsave(client: object, timeout: float) -> None:
    import redis

    assert isinstance(client, redis.Redis)
    deadline = time.monotonic() + timeout
    _wait_idle(client, deadline)
    before = client.info("persistence")
    saves_before = before.get("rdb_saves")
    last_before = int(client.lastsave().timestamp())
    if saves_before is None and int(time.time()) <= last_before:
        time.sleep(1.05)  # LASTSAVE has second resolution
    client.bgsave()
    while True:
        info = client.info("persistence")
        done = (info.get("rdb_saves", 0) > saves_before if saves_before is not None
                else int(client.lastsave().timestamp()) > last_before)
        if done and not info.get("rdb_bgsave_in_progress"):
            if info.get("rdb_last_bgsave_status") != "ok":
                raise redis.RedisError("BGSAVE failed (rdb_last_bgsave_status is not ok)")
            return
        if time.monotonic() > deadline:
            raise redis.RedisError(f"BGSAVE did not finish within {timeout:.0f}s")
        time.sleep(0.05)


def _wait_idle(client: object, deadline: float) -> None:
    import redis

    assert isinstance(client, redis.Redis)
    while client.info("persistence").get("rdb_bgsave_in_progress"):
        if time.monotonic() > deadline:
            raise redis.RedisError("a background save is still running")
        time.sleep(0.05)
