"""Database dumps in backups, against real PostgreSQL and Redis servers, restored for real."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from runtime_servers import PG_PASSWORD, free_port, start_redis, stop_redis

from nqd.cli import main


def _extract(nqd_env, backup_id: str, target: Path) -> Path:
    assert main(["backup", "restore", backup_id, "--to", str(target)]) == 0
    return target / "databases"


def _create(capsys) -> dict:
    rc = main(["backup", "create", "--no-defaults", "--json"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    return json.loads(captured.out)


def test_pg_dumpall_restores_a_dropped_database(nqd_env, postgres, tmp_path, capsys):
    postgres.psql("DROP DATABASE IF EXISTS shop")
    postgres.psql("CREATE DATABASE shop")
    postgres.psql("CREATE TABLE items (id int primary key, name text); "
                  "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 500) g",
                  db="shop")
    nqd_env.write_config("[backup]\ninclude_defaults = false\n[backup.postgresql]\n"
                         + postgres.toml())
    out = _create(capsys)
    assert out["databases"] == ["databases/postgresql/cluster.sql"]
    manifest = (Path(out["path"]) / "manifest.json").read_text()
    assert PG_PASSWORD not in manifest
    dumps = _extract(nqd_env, out["id"], tmp_path / "x")
    postgres.psql("DROP DATABASE shop")
    psql = shutil.which("psql") or str(postgres.bindir / "psql")
    subprocess.run([psql, "-X", "-q", "-d", "postgres", "-f",
                    str(dumps / "postgresql" / "cluster.sql")], env=postgres.env(),
                   capture_output=True, check=True)  # "role exists" errors are expected
    assert postgres.psql("SELECT count(*), max(name) FROM items", db="shop") == "500|item 99"


def test_pg_dump_per_database_restores(nqd_env, postgres, tmp_path, capsys):
    postgres.psql("DROP DATABASE IF EXISTS notes")
    postgres.psql("DROP DATABASE IF EXISTS notes_copy")
    postgres.psql("CREATE DATABASE notes")
    postgres.psql("CREATE EXTENSION pg_trgm; CREATE TABLE n (t text); "
                  "INSERT INTO n VALUES ('alpha'), ('beta')", db="notes")
    nqd_env.write_config("[backup]\ninclude_defaults = false\n[backup.postgresql]\n"
                         + postgres.toml() + 'databases = ["notes"]\n')
    out = _create(capsys)
    dumps = _extract(nqd_env, out["id"], tmp_path / "x")
    postgres.psql("CREATE DATABASE notes_copy")
    pg_restore = shutil.which("pg_restore") or str(postgres.bindir / "pg_restore")
    subprocess.run([pg_restore, "-d", "notes_copy", str(dumps / "postgresql" / "notes.dump")],
                   env=postgres.env(), capture_output=True, check=True)
    assert postgres.psql("SELECT string_agg(t, ',' ORDER BY t) FROM n", db="notes_copy") == \
        "alpha,beta"
    assert postgres.psql("SELECT extname FROM pg_extension WHERE extname = 'pg_trgm'",
                         db="notes_copy") == "pg_trgm"


@pytest.mark.parametrize("fault", ["wrong-password", "server-down"])
def test_pg_fault_fails_the_backup_and_keeps_nothing(nqd_env, postgres, tmp_path, fault):
    secret = tmp_path / "pw"
    secret.write_text("not-the-password\n" if fault == "wrong-password" else PG_PASSWORD)
    port = postgres.port if fault == "wrong-password" else free_port()
    nqd_env.write_config(f'[backup]\ninclude_defaults = false\n[backup.postgresql]\n'
                         f'host = "127.0.0.1"\nport = {port}\nuser = "nqd"\n'
                         f'password_file = "{secret}"\n')
    proc = nqd_env.run("backup", "create", "--no-defaults")
    assert proc.returncode == 1
    assert "pg_dumpall failed" in proc.stderr
    expected = "password authentication failed" if fault == "wrong-password" else "connect"
    assert expected in proc.stderr
    assert "Traceback" not in proc.stderr and "not-the-password" not in proc.stderr
    assert [p for p in nqd_env.backups.iterdir()] == []


def _restored_redis(tmp_path: Path, dump_dir: Path) -> dict[bytes, bytes]:
    data = tmp_path / "restored-redis"
    data.mkdir()
    shutil.copy(dump_dir / "dump.rdb", data / "dump.rdb")
    server = start_redis(data, persistence=False, password=None)
    try:
        client = server.client()
        return {k: client.get(k) for k in client.keys("*")}
    finally:
        stop_redis(server)


@pytest.mark.parametrize("which", ["redis_persistent", "redis_volatile"])
def test_redis_dump_restores(nqd_env, tmp_path, capsys, request, which):
    server = request.getfixturevalue(which)
    client = server.client()
    client.flushall()
    client.set("session:1", "alice")
    client.set(f"when:{which}", str(time.time()))
    nqd_env.write_config("[backup]\ninclude_defaults = false\n[backup.redis]\n" + server.toml())
    out = _create(capsys)
    assert "databases/redis/dump.rdb" in out["databases"]
    if which == "redis_persistent":  # appendonly yes: the AOF directory comes along too
        assert any(d.startswith("databases/redis/appendonlydir/") for d in out["databases"])
    dumps = _extract(nqd_env, out["id"], tmp_path / "x")
    keys = _restored_redis(tmp_path, dumps / "redis")
    assert keys[b"session:1"] == b"alice"
    assert f"when:{which}".encode() in keys


def test_redis_wrong_password_fails_cleanly(nqd_env, redis_persistent, tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("wrong\n")
    nqd_env.write_config(f'[backup]\ninclude_defaults = false\n[backup.redis]\n'
                         f'port = {redis_persistent.port}\npassword_file = "{secret}"\n')
    proc = nqd_env.run("backup", "create", "--no-defaults")
    assert proc.returncode == 1, proc.stderr
    assert "redis" in proc.stderr and "Traceback" not in proc.stderr
    assert list(nqd_env.backups.iterdir()) == []
