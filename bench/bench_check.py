"""Benchmark `nqd check` against the reference parser, in one run.

    python bench/bench_check.py --tree /path/to/home-manager [--runs 5]

1. Whole-process `nqd check TREE --from 25.11 --format json` versus
   `nix-instantiate --parse` over the same `.nix` files (one process, all files as
   arguments; Debian `nix-bin`), alternated run by run so both see the same machine load.
2. `nqd check examples/workstation` end to end.

The tree is Home Manager's source (bring it with the search tool's `fetch`, outside the
repository: `git --git-dir=... worktree add /tmp/hm-26.05 release-26.05`). Prints a
markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


CPU: dict[str, list[float]] = {}


def timed(argv: list[str], check_codes: tuple[int, ...] = (0, 1), label: str = "") -> float:
    """Wall time of one run; its CPU time (user+sys of the process and its children,
    e.g. worker processes) is recorded under `label`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    CPU.setdefault(label, []).append(cpu)
    if proc.returncode not in check_codes:
        sys.exit(f"{argv[0]} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    return elapsed


def nix_files(tree: Path) -> list[str]:
    out = []
    for dirpath, dirnames, files in os.walk(tree):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        out.extend(str(Path(dirpath) / f) for f in files if f.endswith(".nix"))
    return sorted(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tree", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    files = nix_files(args.tree)
    size = sum(Path(f).stat().st_size for f in files)
    nqd = [sys.executable, "-m", "nqd"]
    reference = ["nix-instantiate", "--parse", *files]
    ours = [*nqd, "check", str(args.tree), "--from", "25.11", "--format", "json", "--no-git"]
    example = [*nqd, "check", str(ROOT / "examples/workstation"), "--no-git"]
    timed(ours)  # warm the page cache and .pyc files
    ref_times, our_times, example_times = [], [], []
    for _ in range(args.runs):
        ref_times.append(timed(reference, (0,), "ref"))
        our_times.append(timed(ours, label="ours"))
    for _ in range(args.runs * 2):
        example_times.append(timed(example, label="example"))
    ratio = statistics.median(our_times) / statistics.median(ref_times)
    cpu = platform.processor() or platform.machine()
    print(f"Machine: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}; "
          f"load average at start {os.getloadavg()[0]:.2f}")
    print(f"Tree: {args.tree} ({len(files)} .nix files, {size / 1e6:.1f} MB); "
          f"{args.runs} alternated runs each\n")
    def cpu(label: str) -> str:
        return f"{statistics.median(CPU[label]):.2f}"

    print("| command | wall min (s) | wall median (s) | CPU median (s) |")
    print("|---|---:|---:|---:|")
    print(f"| `nix-instantiate --parse` (all files, one process) | {min(ref_times):.2f} | "
          f"{statistics.median(ref_times):.2f} | {cpu('ref')} |")
    print(f"| `nqd check TREE --from 25.11 --format json` | {min(our_times):.2f} | "
          f"{statistics.median(our_times):.2f} | {cpu('ours')} |")
    print(f"| `nqd check examples/workstation` | {min(example_times):.3f} | "
          f"{statistics.median(example_times):.3f} | {cpu('example')} |")
    print(f"\nnqd / nix-instantiate (medians): {ratio:.2f}x (target: at most 1.5x)")


if __name__ == "__main__":
    main()
