"""Benchmark the knowledge extractor and loader.

    python bench/bench_knowledge.py [--hm OLD NEW] [--runs N]

Measures: `KnowledgeBase.load()` of the shipped data files; extraction of a synthetic
alias table (5,000 entries) and of a synthetic module tree (500 files, 10 calls each, half
generated with `map`); and, when `--hm` points at two Home Manager trees, a real pair.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from nqd.knowledge.extract import build
from nqd.knowledge.extract.aliases import extract_aliases
from nqd.knowledge.loader import KnowledgeBase


def timed(fn: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def synthetic_aliases(count: int) -> bytes:
    lines = ["lib: self: super:", "mapAliases {"]
    for i in range(count):
        if i % 3 == 0:
            lines.append(f'  pkg{i} = throw "pkg{i} has been removed"; # Added 2025-06-01')
        elif i % 3 == 1:
            lines.append(f"  pkg{i} = new-pkg{i}; # Added 2025-06-01")
        else:
            lines.append(f'  pkg{i} = lib.warnOnInstantiate "renamed" new-pkg{i};')
    lines.append("}")
    return ("\n".join(lines) + "\n").encode()


def synthetic_modules(root: Path, files: int) -> None:
    directory = root / "modules" / "programs"
    directory.mkdir(parents=True)
    for i in range(files):
        direct = "\n".join(
            f'    (lib.mkRenamedOptionModule [ "programs" "m{i}" "o{j}" ] '
            f'[ "programs" "m{i}" "settings" "o{j}" ])'
            for j in range(5)
        )
        names = " ".join(f'"g{j}"' for j in range(5))
        (directory / f"m{i}.nix").write_text(
            "{ lib, ... }:\n{\n  imports = [\n" + direct + "\n  ]\n"
            f'  ++ map (n: lib.mkRemovedOptionModule [ "programs" "m{i}" n ] "gone") [ {names} ];\n'
            "}\n"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--hm", nargs=2, type=Path)
    args = parser.parse_args()

    print(f"KnowledgeBase.load() shipped: {timed(KnowledgeBase.load, args.runs) * 1000:.1f} ms")
    table = synthetic_aliases(5000)
    seconds = timed(lambda: extract_aliases(table, "aliases.nix"), args.runs)
    print(f"aliases, 5000 entries: {seconds:.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        synthetic_modules(Path(tmp), 500)
        tree = build.Tree(Path(tmp), build.HOME_MANAGER, None, "release-26.05")
        seconds = timed(lambda: build.scan(tree), args.runs)
        print(f"modules, 500 files x 10 calls: {seconds:.2f} s")
    if args.hm:
        old = build.Tree(args.hm[0], build.HOME_MANAGER, None, "old")
        new = build.Tree(args.hm[1], build.HOME_MANAGER, None, "new")
        seconds = timed(lambda: build.changes_of("home-manager", build.scan(old),
                                                 build.scan(new)), args.runs)
        print(f"Home Manager pair {args.hm[0].name} → {args.hm[1].name}: {seconds:.2f} s")


if __name__ == "__main__":
    main()
