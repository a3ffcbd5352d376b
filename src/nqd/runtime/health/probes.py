"""Probes shared by built-in and user checks: HTTP, TCP, PostgreSQL, Redis, commands."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from collections.abc import Sequence

from nqd.config import PostgresConn, RedisConn
from nqd.errors import NqdError
from nqd.runtime.health.checks import Outcome, fail, ok, skip, warn
from nqd.runtime.host import Host


def first_line(text: str) -> str:
    for line in text.strip().splitlines():
        if line.strip():
            return line.strip()
    return ""


def http_probe(url: str, timeout: float, expect_status: int = 200,
               contains: str | None = None) -> Outcome:
    start = time.monotonic()
    request = urllib.request.Request(url, headers={"User-Agent": "nqd-health"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
            body = response.read(1 << 16).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        status, body = exc.code, ""
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError | socket.timeout):
            return fail(f"{url}: no answer within {timeout:g}s")
        return fail(f"{url}: {reason}")
    elapsed = time.monotonic() - start
    if status != expect_status:
        return fail(f"{url}: HTTP {status} (expected {expect_status})")
    if contains is not None and contains not in body:
        return fail(f"{url}: HTTP {status} but the body lacks {contains!r}")
    return ok(f"{url}: HTTP {status} in {elapsed * 1000:.0f} ms")


def tcp_probe(host: str, port: int, timeout: float) -> Outcome:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return ok(f"{host}:{port} accepts connections")
    except TimeoutError:
        return fail(f"{host}:{port}: no answer within {timeout:g}s")
    except OSError as exc:
        return fail(f"{host}:{port}: {exc.strerror or exc}")


def _pg_connect(conn: PostgresConn, timeout: float):  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(host=conn.host, port=conn.port, user=conn.user, dbname=conn.dbname,
                           password=conn.password(),
                           connect_timeout=max(1, int(min(conn.connect_timeout, timeout))))


def postgres_probe(conn: PostgresConn, extensions: Sequence[str], timeout: float) -> Outcome:
    import psycopg

    where = f"{conn.host}:{conn.port}/{conn.dbname}"
    try:
        with _pg_connect(conn, timeout) as db:
            row = db.execute("SHOW server_version").fetchone()
            version = str(row[0]) if row else "?"
            rows = db.execute("SELECT extname, extversion FROM pg_extension").fetchall()
    except psycopg.Error as exc:
        return fail(f"{where}: {first_line(str(exc))}")
    except NqdError as exc:
        return fail(str(exc))
    present = {str(name): str(ver) for name, ver in rows}
    details = tuple(f"extension {n} {v}" for n, v in sorted(present.items()))
    missing = [e for e in extensions if e not in present]
    if missing:
        return fail(f"{where}: PostgreSQL {version}, missing extension(s): {', '.join(missing)}",
                    *details, version=version)
    named = f" with {', '.join(extensions)}" if extensions else ""
    return ok(f"{where}: PostgreSQL {version}{named}", *details, version=version)


def query_probe(conn: PostgresConn, query: str, expect: str | None, timeout: float) -> Outcome:
    import psycopg

    try:
        with _pg_connect(conn, timeout) as db:
            db.execute(f"SET statement_timeout = {int(timeout * 1000)}")
            row = db.execute(query).fetchone()
    except psycopg.Error as exc:
        return fail(first_line(str(exc)))
    except NqdError as exc:
        return fail(str(exc))
    value = None if row is None or not row else row[0]
    text = "NULL" if value is None else str(value)
    if expect is not None and text != expect:
        return fail(f"query returned {text!r}, expected {expect!r}")
    return ok(f"query returned {text!r}")


def redis_probe(conn: RedisConn, timeout: float) -> Outcome:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    where = f"{conn.host}:{conn.port}"
    try:
        password = conn.password()
    except NqdError as exc:
        return fail(str(exc))
    client = redis.Redis(host=conn.host, port=conn.port, db=conn.db, username=conn.username,
                         password=password, socket_timeout=min(conn.timeout, timeout),
                         socket_connect_timeout=min(conn.timeout, timeout),
                         retry=Retry(NoBackoff(), 0))
    try:
        client.ping()
        server = client.info("server")
        info = client.info("persistence")
        try:
            save = str(client.config_get("save").get("save", ""))
            aof = client.config_get("appendonly").get("appendonly") == "yes"
        except redis.ResponseError:  # CONFIG renamed or forbidden
            save, aof = "?", bool(info.get("aof_enabled"))
    except redis.RedisError as exc:
        return fail(f"{where}: {first_line(str(exc))}")
    finally:
        client.close()
    version = str(server.get("redis_version", "")) or None
    details = (f"save {save!r}", f"appendonly {'yes' if aof else 'no'}",
               f"rdb_last_bgsave_status {info.get('rdb_last_bgsave_status')}")
    if info.get("rdb_last_bgsave_status") == "err" or info.get("aof_last_write_status") == "err":
        return fail(f"{where}: last save failed", *details, version=version)
    if not save.strip() and not aof:
        return warn(f"{where}: PONG, but persistence is off (no RDB save points, no AOF)",
                    *details, version=version)
    return ok(f"{where}: PONG, Redis {version}, persistence on", *details, version=version)


def command_probe(host: Host, argv: Sequence[str], timeout: float, expect_exit: int = 0,
                  contains: str | None = None) -> Outcome:
    result = host.run(list(argv), timeout=timeout)
    shown = " ".join(argv)
    if result.timed_out:
        return fail(f"`{shown}` timed out after {timeout:g}s")
    if result.returncode == 127 and not host.which(argv[0]):
        return fail(f"{argv[0]}: command not found")
    if result.returncode != expect_exit:
        tail = first_line(result.stderr[-2000:]) or first_line(result.stdout[-2000:])
        return fail(f"`{shown}` exited {result.returncode} (expected {expect_exit})",
                    *((tail,) if tail else ()))
    if contains is not None and contains not in result.stdout:
        return fail(f"`{shown}`: output lacks {contains!r}")
    return ok(f"`{shown}` exited {result.returncode}", version=None)


def program_version(host: Host, argv: Sequence[str], timeout: float, label: str) -> Outcome:
    if host.which(argv[0]) is None:
        return skip(f"{argv[0]} not installed")
    result = host.run(list(argv), timeout=timeout)
    if not result.ok:
        return fail(f"`{' '.join(argv)}` failed: {first_line(result.stderr) or result.returncode}")
    text = first_line(result.stdout) or first_line(result.stderr)
    return ok(f"{label} {text}".strip(), version=text)
