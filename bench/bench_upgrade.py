"""Time `nqd upgrade` on the SIMULATED NixOS host (tests/simhost) and its dry run.

    python bench/bench_upgrade.py --runs 5

For each run: a fresh simulated host, `nqd upgrade --to 25.11 --yes` as a process; the
wall time, the time spent inside the commands it ran (from the run's commands.log), and
nqd's own share (the rest: start-up, journal writes, bump, parsing, report). Also the
`--dry-run` of examples/workstation.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from simhost import SimulatedNixOS  # noqa: E402


def one_upgrade() -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        sim = SimulatedNixOS(Path(tmp))
        start = time.perf_counter()
        result = sim.upgrade("--yes")
        wall = time.perf_counter() - start
        if result.returncode != 0:
            raise SystemExit(result.stdout + result.stderr)
        log = (sim.run_dir() / "commands.log").read_text()
        seconds = [float(s) for s in re.findall(r"seconds: ([0-9.]+)", log)]
        return wall, sum(seconds), len(seconds)


def one_dry_run() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        env = {"PATH": "/usr/bin:/bin", "HOME": tmp, "XDG_STATE_HOME": f"{tmp}/state"}
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "nqd", "upgrade", "--dry-run", "--flake",
                        str(REPO / "examples/workstation"), "--to", "25.11"], env=env,
                       check=True, capture_output=True)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    walls, inside, counts, dry = [], [], [], []
    for _ in range(args.runs):
        wall, commands, count = one_upgrade()
        walls.append(wall)
        inside.append(commands)
        counts.append(count)
        dry.append(one_dry_run())
    own = [w - c for w, c in zip(walls, inside, strict=True)]
    print("| measure | min (s) | median (s) |")
    print("|---|---:|---:|")
    for label, values in (
        (f"simulated upgrade, whole process ({counts[0]} commands)", walls),
        ("  of which inside the (simulated) commands", inside),
        ("  of which nqd itself", own),
        ("`--dry-run` of examples/workstation, whole process", dry),
    ):
        print(f"| {label} | {min(values):.2f} | {statistics.median(values):.2f} |")


if __name__ == "__main__":
    main()
