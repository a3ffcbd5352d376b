"""`nqd containers migrate-db` against two real PostgreSQL clusters (Debian PostgreSQL,
both the same major version here: the test proves the dump/restore/verify path, not a
cross-version upgrade)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pg_fixture
import psycopg
import pytest

from nqd.cli import main
from nqd.containers.migrate import MigrationFailed, migrate, table_checksums
from nqd.errors import InputError
from nqd.runtime.host import LocalHost

SOURCE_SQL = """
CREATE ROLE mcp LOGIN PASSWORD 'role-fixture-pass';
CREATE DATABASE mcp OWNER mcp;
"""
MCP_SQL = """
CREATE TABLE documents (id bigserial PRIMARY KEY, title text NOT NULL, body text,
                        score double precision, created timestamptz DEFAULT now(),
                        tags text[], meta jsonb, blob bytea);
INSERT INTO documents (title, body, score, tags, meta, blob)
SELECT 'doc ' || g, repeat('x', g % 50), g / 7.0, ARRAY['a', 'b' || g],
       jsonb_build_object('n', g, 'half', g / 2.0), decode(md5(g::text), 'hex')
FROM generate_series(1, 2000) AS g;
CREATE SCHEMA kb;
CREATE TABLE kb.edges (src int, dst int, weight numeric(10, 4));
INSERT INTO kb.edges SELECT g, g + 1, g * 0.3333 FROM generate_series(1, 500) AS g;
CREATE TABLE empty_table (x int);
CREATE MATERIALIZED VIEW doc_stats AS SELECT count(*) AS n, sum(score) AS s FROM documents;
"""


def _run(dsn: str, sql: str, dbname: str = "postgres") -> None:
    """Run `;`-separated statements one by one (CREATE DATABASE cannot share a transaction)."""
    with psycopg.connect(dsn, dbname=dbname, autocommit=True) as conn:
        for statement in sql.split(";"):
            if statement.strip():
                conn.execute(statement)


@pytest.fixture(scope="module")
def source(pg_old: pg_fixture.PgCluster) -> pg_fixture.PgCluster:
    _run(pg_old.dsn, SOURCE_SQL)
    _run(pg_old.dsn, MCP_SQL, dbname="mcp")
    return pg_old


def test_migrate_moves_database_and_verifies(source: pg_fixture.PgCluster,
                                             pg_new: pg_fixture.PgCluster,
                                             tmp_path: Path) -> None:
    before = table_checksums(source.dsn, "mcp", read_only=True)
    report = migrate(LocalHost(), source.dsn, pg_new.dsn, tmp_path / "work",
                     bin_dir=pg_fixture.pg_bin_dir())
    assert report.ok, report.lines()
    checked = {(t.database, t.table): t for t in report.tables}
    assert checked[("mcp", "public.documents")].rows_new == 2000
    assert checked[("mcp", "kb.edges")].rows_new == 500
    assert checked[("mcp", "public.empty_table")].rows_new == 0
    assert ("mcp", "public.doc_stats") in checked
    # independent check on the new server, outside the code under test
    with psycopg.connect(pg_new.dsn, dbname="mcp") as conn:
        assert conn.execute("SELECT count(*), sum(id) FROM documents").fetchone() == (
            2000, 2001000)
        assert conn.execute("SELECT rolname FROM pg_roles WHERE rolname = 'mcp'").fetchone()
    # the old server is unchanged, and the dump is private
    assert table_checksums(source.dsn, "mcp", read_only=True) == before
    assert (tmp_path / "work" / "dumpall.sql").stat().st_mode & 0o077 == 0


def test_checksum_detects_a_changed_value(source: pg_fixture.PgCluster,
                                          pg_new: pg_fixture.PgCluster) -> None:
    """The verification can fail: one changed cell on the new server changes the checksum
    but not the row count."""
    _run(pg_new.dsn, "UPDATE kb.edges SET weight = weight + 1 WHERE src = 7", dbname="mcp")
    try:
        old = table_checksums(source.dsn, "mcp", read_only=True)["kb.edges"]
        new = table_checksums(pg_new.dsn, "mcp", read_only=True)["kb.edges"]
        assert old[0] == new[0] and old[1] != new[1]
    finally:
        _run(pg_new.dsn, "UPDATE kb.edges SET weight = weight - 1 WHERE src = 7", dbname="mcp")


def test_checksum_ignores_row_order(pg_scratch: pg_fixture.PgCluster) -> None:
    _run(pg_scratch.dsn, "CREATE DATABASE a; CREATE DATABASE b")
    _run(pg_scratch.dsn, "CREATE TABLE t (x int); INSERT INTO t VALUES (1), (2), (3)", "a")
    _run(pg_scratch.dsn, "CREATE TABLE t (x int); INSERT INTO t VALUES (3), (1), (2)", "b")
    assert table_checksums(pg_scratch.dsn, "a", read_only=True) == \
        table_checksums(pg_scratch.dsn, "b", read_only=True)


def test_refuses_a_target_that_is_not_empty(source: pg_fixture.PgCluster,
                                            pg_new: pg_fixture.PgCluster,
                                            tmp_path: Path) -> None:
    # pg_new already holds mcp from the first test (module order) or gets one here
    with psycopg.connect(pg_new.dsn, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'mcp'").fetchone():
            conn.execute("CREATE DATABASE mcp")
    with pytest.raises(InputError, match="already has databases mcp"):
        migrate(LocalHost(), source.dsn, pg_new.dsn, tmp_path, bin_dir=pg_fixture.pg_bin_dir())


def test_failure_midway_keeps_old_data_and_says_what_happened(
        source: pg_fixture.PgCluster, pg_scratch: pg_fixture.PgCluster, tmp_path: Path) -> None:
    """The new server dies during the restore (stopped with `immediate` as soon as the
    restore has created the `mcp` database, while it loads rows)."""
    _run(source.dsn, "CREATE TABLE IF NOT EXISTS bulk AS SELECT g AS id, md5(g::text) AS h "
                     "FROM generate_series(1, 150000) AS g", dbname="mcp")
    before = table_checksums(source.dsn, "mcp", read_only=True)
    stopped = threading.Event()

    def kill_when_restoring() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(pg_scratch.dsn, connect_timeout=2) as conn:
                    if conn.execute("SELECT 1 FROM pg_database WHERE datname = 'mcp'").fetchone():
                        break
            except psycopg.Error:
                pass
            time.sleep(0.005)
        pg_scratch.stop("immediate")
        stopped.set()

    killer = threading.Thread(target=kill_when_restoring)
    killer.start()
    try:
        with pytest.raises(MigrationFailed) as failure:
            migrate(LocalHost(), source.dsn, pg_scratch.dsn, tmp_path,
                    bin_dir=pg_fixture.pg_bin_dir())
        killer.join()
        after = table_checksums(source.dsn, "mcp", read_only=True)
    finally:
        killer.join()
        _run(source.dsn, "DROP TABLE bulk", dbname="mcp")
    assert stopped.is_set()
    assert failure.value.stage in ("restore", "verification")
    assert "failed during" in str(failure.value)
    details = "\n".join(failure.value.details)
    assert "old server was only read" in details
    assert "partial restore" in details or "missing or unreachable" in details
    assert after == before
    assert after["public.bulk"][0] == 150000


def test_cli_reports_json_and_bad_dsn(source: pg_fixture.PgCluster,
                                      pg_scratch: pg_fixture.PgCluster, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", f"{pg_fixture.pg_bin_dir()}:/usr/bin:/bin")
    code = main(["containers", "migrate-db", "--from-dsn", source.dsn, "--to-dsn",
                 pg_scratch.dsn, "--work-dir", str(tmp_path / "w"), "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    data = json.loads(out)
    assert data["ok"] is True
    assert {t["table"] for t in data["tables"] if t["database"] == "mcp"} >= {
        "public.documents", "kb.edges"}
    code = main(["containers", "migrate-db", "--from-dsn",
                 "host=127.0.0.1 port=1 user=postgres password=hunter2x", "--to-dsn",
                 pg_scratch.dsn, "--work-dir", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert code == 2
    assert "cannot connect" in err and "hunter2x" not in err
    assert "Traceback" not in err


class _WriterAfterRestore(LocalHost):
    """A real host; after the restore a concurrent writer changes the new server (what
    happens when an application is pointed at it too early)."""

    def __init__(self, dsn: str) -> None:
        super().__init__()
        self.dsn = dsn

    def run(self, argv, **kwargs):  # type: ignore[no-untyped-def, override]
        result = super().run(argv, **kwargs)
        if Path(argv[0]).name == "psql":
            _run(self.dsn, "DELETE FROM kb.edges WHERE src <= 3; "
                           "UPDATE documents SET title = 'changed' WHERE id = 5", dbname="mcp")
        return result


def test_mismatch_is_reported(source: pg_fixture.PgCluster, pg_scratch: pg_fixture.PgCluster,
                              tmp_path: Path) -> None:
    report = migrate(_WriterAfterRestore(pg_scratch.dsn), source.dsn, pg_scratch.dsn,
                     tmp_path, bin_dir=pg_fixture.pg_bin_dir())
    assert not report.ok
    problems = {t.table: t.problem for t in report.tables if not t.ok}
    assert problems == {"kb.edges": "row count 500 → 497",
                        "public.documents": "content checksum differs"}
    text = "\n".join(report.lines())
    assert "MISMATCH mcp.kb.edges" in text and "2 of" in text


def test_runs_in_the_same_second_get_their_own_dump_directory(tmp_path: Path) -> None:
    """QA pass: the default work directory was named after the second only."""
    from nqd.commands.containers import new_work_dir

    first, second = new_work_dir(tmp_path / "m"), new_work_dir(tmp_path / "m")
    assert first != second and first.is_dir() and second.is_dir()
    assert (first.stat().st_mode & 0o777) == 0o700
