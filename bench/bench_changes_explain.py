"""Benchmark `nqd changes` and `nqd explain` whole-process, on the shipped knowledge and on a
synthetic knowledge dir of N changes per release pair (two pairs).

    python bench/bench_changes_explain.py [--per-pair 4000] [--runs 5]

Prints a markdown table (median wall time of `--runs` runs) for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def synthetic(directory: Path, per_pair: int) -> None:
    for frm, to in (("25.05", "25.11"), ("25.11", "26.05")):
        changes = []
        for i in range(per_pair):
            renamed = i % 2 == 0
            package = i % 3 == 0
            area = "nixpkgs" if package else "nixos"
            kind = ("renamed" if renamed else "removed") + ("-package" if package else "-option")
            old = f"pkg{to.replace('.', '')}_{i}" if package else f"services.svc{i}.opt{i % 7}"
            changes.append({
                "id": f"{area}:{kind}:{old}", "area": area, "kind": kind, "old": old,
                "new": f"{old}_new" if renamed else None, "message": f"synthetic {i}",
                "evidence": [{"url": "https://example.org/x", "repo": "NixOS/nixpkgs",
                              "path": "pkgs/top-level/aliases.nix", "line": i + 1,
                              "commit": "a" * 40}],
            })
        doc = {"schema_version": 1, "from": frm, "to": to, "sources": {}, "changes": changes}
        (directory / f"{to}.json").write_text(json.dumps(doc))


def median_time(argv: list[str], env: dict[str, str], runs: int, codes: tuple[int, ...]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              check=False)
        times.append(time.perf_counter() - start)
        if proc.returncode not in codes:
            sys.exit(f"{argv} failed ({proc.returncode}): {proc.stderr.decode()[-400:]}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-pair", type=int, default=4000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    nqd = [sys.executable, "-m", "nqd"]
    cases: list[tuple[list[str], tuple[int, ...]]] = [
        (["changes"], (0,)),
        (["changes", "--from", "25.05", "--to", "26.05", "--format", "json"], (0,)),
        (["explain", "services.logind.extraConfig"], (0,)),  # a known key
        (["explain", "services.logind.extraConfi"], (2,)),  # unknown: did-you-mean
    ]
    print(f"| command | shipped knowledge | synthetic {2 * args.per_pair} changes |")
    print("|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        synthetic(Path(tmp), args.per_pair)
        shipped = dict(os.environ)
        shipped.pop("NQD_KNOWLEDGE_DIR", None)
        big = {**shipped, "NQD_KNOWLEDGE_DIR": tmp}
        for argv, codes in cases:
            big_argv = argv
            if argv[0] == "explain":
                big_argv = ["explain", "services.svc13.opt6" if codes == (0,)
                            else "services.svc13.opt9"]
            a = median_time([*nqd, *argv], shipped, args.runs, codes)
            b = median_time([*nqd, *big_argv], big, args.runs, codes)
            print(f"| `nqd {' '.join(argv)}` | {a:.2f} s | {b:.2f} s |")


if __name__ == "__main__":
    main()
