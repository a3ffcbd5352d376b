"""Real PostgreSQL clusters for tests: initdb + pg_ctl in a temp dir, on a free port.

PostgreSQL refuses to run as root, and CI runs as root: there the cluster is created and
run as `nobody` through `runuser`. Shared by tests that need a real server (containers
migrate-db; health/backup may adopt it). Tests skip with a reason when the binaries are
missing.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

RUN_AS = "nobody"


def pg_bin_dir() -> Path | None:
    """The directory with initdb/pg_ctl/postgres (newest Debian version first)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                        key=lambda p: int(Path(p).parent.name), reverse=True)
    for directory in candidates:
        if (Path(directory) / "initdb").exists():
            return Path(directory)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_owner(argv: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", RUN_AS, "--", *argv]
    return argv


@dataclass
class PgCluster:
    """One running cluster; `dsn` connects as the trusted superuser `postgres`."""

    bin_dir: Path
    base: Path
    port: int

    @property
    def datadir(self) -> Path:
        return self.base / "data"

    @property
    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"

    def pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        argv = _as_owner([str(self.bin_dir / "pg_ctl"), "-D", str(self.datadir), *args])
        return subprocess.run(argv, capture_output=True, text=True, check=check, timeout=120)

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 "
                   f"-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        self.pg_ctl("-w", "-l", str(self.base / "server.log"), "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        self.pg_ctl("-w", "-m", mode, "stop", check=False)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


def start_cluster(name: str) -> PgCluster:
    """initdb a new cluster (trust auth, UTF8) in a fresh temp dir and start it."""
    bin_dir = pg_bin_dir()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL server binaries (initdb) not found")
    base = Path(tempfile.mkdtemp(prefix=f"nqd-pg-{name}-"))
    base.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(base, RUN_AS)
    cluster = PgCluster(bin_dir, base, free_port())
    subprocess.run(_as_owner([str(bin_dir / "initdb"), "-D", str(cluster.datadir), "-U",
                              "postgres", "--auth=trust", "-E", "UTF8", "--locale=C",
                              "--no-sync"]),
                   capture_output=True, text=True, check=True, timeout=120)
    try:
        cluster.start()
    except subprocess.CalledProcessError:
        with contextlib.suppress(OSError):
            print((base / "server.log").read_text())
        raise
    return cluster
