"""Benchmark `nqd check` against the reference parser, in one run.

    python bench/bench_check.py --tree /path/to/home-manager [--runs 5] [--baseline SRC]

1. Whole-process `nqd check TREE --from 25.11 --format json` versus
   `nix-instantiate --parse` over the same `.nix` files (one process, all files as
   arguments; Debian `nix-bin`), alternated run by run so all see the same machine load:
   - cold: `--no-cache`, every file read, parsed and extracted;
   - warm: the facts cache holds every file from the previous run (nothing changed);
   - one file edited: a comment appended to one file before each run (the usual loop of
     edit, check; only that file is parsed again).
   - floor: a Python process that only walks the tree, reads every file and parses it with
     nqd's grammar, split over two forked processes: what any tree-sitter-based check costs
     before it extracts anything.
   - bound: the floor after importing what `nqd check --format json` imports and loading
     the release knowledge it uses: a lower bound of the cold command, as if extraction,
     the model, the rules and the report cost nothing.
2. `nqd check examples/workstation` end to end, cold and warm.
3. With `--baseline SRC` (the `src` directory of another checkout, e.g. a `git worktree` of
   an earlier commit), its cold and warm runs alternate with the others, so that a change's
   effect is measured under the same load.
4. A probe of the machine: one CPU-bound Python process alone, then two at once (does the
   machine give two processes twice the CPU?).

nqd's modules (and the baseline's) are byte-compiled first, as an installation has them:
with `PYTHONDONTWRITEBYTECODE` set (it is on the developer machines here), every run would
otherwise compile 30-odd modules again, about 40 ms.

The tree is copied to a temporary directory (the edited-file case writes to the copy);
the cache lives in a temporary `XDG_CACHE_HOME`. The tree is Home Manager's source (bring
it with the search tool's `fetch`, outside the repository: `git --git-dir=... worktree add
/tmp/hm-26.05 release-26.05`). Prints a markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CPU: dict[str, list[float]] = {}
WALL: dict[str, list[float]] = {}


def timed(argv: list[str], label: str, env: dict[str, str] | None = None,
          check_codes: tuple[int, ...] = (0, 1)) -> float:
    """Wall time of one run; wall and CPU (user+sys of the process and its children,
    e.g. worker processes) are recorded under `label`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False,
                          env=env)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.setdefault(label, []).append((after.ru_utime - before.ru_utime)
                                      + (after.ru_stime - before.ru_stime))
    WALL.setdefault(label, []).append(elapsed)
    if proc.returncode not in check_codes:
        sys.exit(f"{argv[0]} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    return elapsed


def nix_files(tree: Path) -> list[str]:
    out = []
    for dirpath, dirnames, files in os.walk(tree):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        out.extend(str(Path(dirpath) / f) for f in files if f.endswith(".nix"))
    return sorted(out)


# The floor: walk, read and parse only (nqd's grammar loading), the files dealt largest
# first to two processes, as `nqd check` deals them.
_FLOOR = """
import os, sys
from nqd.nix.parser import parse
files = []
for d, dirs, names in os.walk(sys.argv[1]):
    dirs[:] = [x for x in dirs if not x.startswith(".")]
    files += [os.path.join(d, n) for n in names if n.endswith(".nix")]
sources = []
for f in files:
    with open(f, "rb") as h:
        sources.append(h.read())
sources.sort(key=len, reverse=True)
child = os.fork()
for source in sources[(1 if child else 0)::2]:
    parse(source)
if child:
    os.waitpid(child, 0)
else:
    os._exit(0)
"""

# The bound: the floor, after nqd's imports and its knowledge of the release pair.
_BOUND = """
from nqd.analysis.engine import rule_modules
from nqd.knowledge.loader import KnowledgeBase
from nqd.releases import Release
import nqd.cli, nqd.commands.check, nqd.report.json_report
modules = rule_modules()
changes = tuple(KnowledgeBase.load().chained(Release.parse("25.11"), Release.parse("26.05")))
""" + _FLOOR

_SPIN = "import time\ns=time.process_time()\nx=0\nfor i in range(6_000_000): x+=i\n"


def scaling_probe() -> tuple[float, float]:
    """Wall time of one CPU-bound process alone, and of two started together."""
    spin = [sys.executable, "-c", _SPIN]
    start = time.perf_counter()
    subprocess.run(spin, check=True)
    alone = time.perf_counter() - start
    start = time.perf_counter()
    procs = [subprocess.Popen(spin) for _ in range(2)]
    for proc in procs:
        proc.wait()
    return alone, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tree", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline", type=Path, metavar="SRC",
                        help="the src directory of another checkout to compare with")
    args = parser.parse_args()
    import compileall

    for source in (ROOT / "src", args.baseline):
        if source is not None:
            compileall.compile_dir(str(source), quiet=1)
    work = Path(tempfile.mkdtemp(prefix="nqd-bench-"))
    try:
        run(args.tree, args.runs, work, args.baseline)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(source_tree: Path, runs: int, work: Path, baseline: Path | None) -> None:
    tree = work / "tree"
    shutil.copytree(source_tree, tree, ignore=shutil.ignore_patterns(".git"))
    files = nix_files(tree)
    size = sum(Path(f).stat().st_size for f in files)
    edited = Path(files[len(files) // 2])
    env = {**os.environ, "XDG_CACHE_HOME": str(work / "cache")}
    nqd = [sys.executable, "-m", "nqd", "check"]
    reference = ["nix-instantiate", "--parse", *files]
    tree_args = [str(tree), "--from", "25.11", "--format", "json", "--no-git"]
    example = [*nqd, str(ROOT / "examples/workstation"), "--no-git"]
    timed([*nqd, *tree_args], "warm-up", env)  # page cache, .pyc files, the facts cache
    timed(example, "warm-up", env)
    # The baseline's own cache directory: its code fingerprint differs anyway.
    base_env = {**env, "PYTHONPATH": str(baseline), "XDG_CACHE_HOME": str(work / "cache-base")}
    base = [sys.executable, "-c", "from nqd.cli import main; raise SystemExit(main())", "check"]
    if baseline is not None:
        timed([*base, *tree_args], "warm-up", base_env)
    for i in range(runs):
        timed(reference, "ref", env, (0,))
        timed([*nqd, *tree_args, "--no-cache"], "cold", env)
        timed([sys.executable, "-c", _FLOOR, str(tree)], "floor", env, (0,))
        timed([sys.executable, "-c", _BOUND, str(tree)], "bound", env, (0,))
        timed([*nqd, *tree_args], "warm", env)
        if baseline is not None:
            timed([*base, *tree_args, "--no-cache"], "base-cold", base_env)
            timed([*base, *tree_args], "base-warm", base_env)
        with edited.open("a") as handle:
            handle.write(f"\n# edit {i}\n")
        timed([*nqd, *tree_args], "edited", env)
    for _ in range(runs * 2):
        timed([*example, "--no-cache"], "example-cold", env)
        timed(example, "example-warm", env)
    alone, together = scaling_probe()

    cpu = platform.processor() or platform.machine()
    print(f"Machine: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}; "
          f"load average at start {os.getloadavg()[0]:.2f}")
    print(f"Tree: {source_tree} ({len(files)} .nix files, {size / 1e6:.1f} MB); "
          f"{runs} alternated runs each\n")
    rows = [
        ("ref", "`nix-instantiate --parse` (all files, one process)"),
        ("cold", "`nqd check TREE --from 25.11 --format json --no-cache` (cold)"),
        ("warm", "same, default (warm facts cache, no file changed)"),
        ("edited", "same, default, one file edited before each run"),
        ("floor", "floor: walk, read and tree-sitter parse only, two processes"),
        ("bound", "bound: the floor after nqd's imports and knowledge (no extraction, "
                  "model, rules, report)"),
        ("example-cold", "`nqd check examples/workstation --no-cache`"),
        ("example-warm", "`nqd check examples/workstation` (warm cache)"),
    ]
    if baseline is not None:
        rows[2:2] = [("base-cold", f"baseline ({baseline}), cold"),
                     ("base-warm", "baseline, warm")]
    print("| command | wall min (s) | wall median (s) | CPU median (s) | / reference |")
    print("|---|---:|---:|---:|---:|")
    reference_median = statistics.median(WALL["ref"])
    for label, text in rows:
        wall = WALL[label]
        ratio = statistics.median(wall) / reference_median
        print(f"| {text} | {min(wall):.3f} | {statistics.median(wall):.3f} | "
              f"{statistics.median(CPU[label]):.2f} | {ratio:.2f}x |")
    print(f"\nMachine probe: one CPU-bound process {alone:.2f} s alone, two at once "
          f"{together:.2f} s (ideal with two free cores: {alone:.2f} s; "
          f"speed-up from the second core: {2 * alone / together:.2f}x of 2x)")


if __name__ == "__main__":
    main()
