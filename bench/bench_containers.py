"""Timings for `nqd containers import` and `nqd containers migrate-db`.

    python bench/bench_containers.py [--runs 5] [--rows 200000]

import: a synthetic compose file with N copies of the AI stack (4 services each), parsed,
validated, converted and emitted in-process. migrate-db: two real PostgreSQL clusters
(tests/pg_fixture.py) and a database of `--rows` rows over three tables, end to end
(pg_dumpall, psql restore, count + checksum of every table on both servers).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

SERVICE = """
  lemonade{i}:
    image: ghcr.io/lemonade-sdk/lemonade-server:v8.1.0
    ports: ["{p0}:8000"]
    environment: {{HF_HOME: /models, HF_TOKEN: tok{i}}}
    healthcheck: {{test: ["CMD", "curl", "-f", "http://localhost:8000/"], interval: 30s}}
  postgres{i}:
    image: timescale/timescaledb-ha:pg17
    environment: {{POSTGRES_DB: mcp, POSTGRES_PASSWORD: "${{PW}}"}}
    volumes: ["pgdata{i}:/home/postgres/pgdata"]
  redis{i}:
    image: redis:7-alpine
    command: redis-server --requirepass ${{PW}}
    volumes: ["redis{i}:/data"]
  aidb{i}:
    image: ghcr.io/example/aidb-mcp:1.4.2
    ports: ["{p1}:8091"]
    environment: {{DATABASE_URL: "postgresql://mcp:${{PW}}@postgres{i}/mcp"}}
    depends_on:
      postgres{i}: {{condition: service_healthy}}
      redis{i}: {{condition: service_healthy}}
"""


def bench_import(copies: int, runs: int) -> float:
    from nqd.containers.reader import read_inputs
    from nqd.containers.to_nix import ImportOptions, build_module

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stack.yml"
        services = "".join(SERVICE.format(i=i, p0=10000 + i, p1=20000 + i)
                           for i in range(copies))
        volumes = "".join(f"  pgdata{i}:\n  redis{i}:\n" for i in range(copies))
        path.write_text(f"services:{services}\nvolumes:\n{volumes}")
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            build_module(read_inputs([path]), ImportOptions(user="aistack"))
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_migrate(rows: int) -> tuple[float, int]:
    import pg_fixture
    import psycopg

    from nqd.containers.migrate import migrate
    from nqd.runtime.host import LocalHost

    old, new = pg_fixture.start_cluster("bench-old"), pg_fixture.start_cluster("bench-new")
    try:
        with psycopg.connect(old.dsn, autocommit=True) as conn:
            conn.execute("CREATE DATABASE mcp")
        with psycopg.connect(old.dsn, dbname="mcp", autocommit=True) as conn:
            conn.execute(f"CREATE TABLE docs AS SELECT g AS id, md5(g::text) AS body, "
                         f"g / 3.0 AS score, now() AS at FROM generate_series(1, {rows}) g")
            conn.execute(f"CREATE TABLE edges AS SELECT g AS a, g + 1 AS b "
                         f"FROM generate_series(1, {rows // 2}) g")
            conn.execute("CREATE TABLE empty (x int)")
        with tempfile.TemporaryDirectory() as work:
            start = time.perf_counter()
            report = migrate(LocalHost(), old.dsn, new.dsn, Path(work),
                             bin_dir=pg_fixture.pg_bin_dir())
            elapsed = time.perf_counter() - start
            assert report.ok
            return elapsed, report.dump_bytes
    finally:
        old.remove()
        new.remove()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    for copies in (1, 25, 250):
        print(f"import {copies * 4:5d} services: {bench_import(copies, args.runs) * 1000:8.1f} ms"
              f" (median of {args.runs})")
    elapsed, size = bench_migrate(args.rows)
    print(f"migrate-db {args.rows} + {args.rows // 2} rows: {elapsed:.2f} s, "
          f"dump {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
