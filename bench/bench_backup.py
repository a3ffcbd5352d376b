"""Benchmark: `nqd backup create` against `tar -czf` on the same mixed tree, in one run.

    python3 bench/bench_backup.py [--size-mb 1024] [--repeat 1] [--workdir /tmp]

Builds a tree of mixed files outside the repository (source-like text, incompressible
binaries, low-entropy binaries, many tiny files), reads it once to warm the page cache,
then times `tar -czf`, `tar --zstd -cf` (reference), `nqd backup create --compression gzip`
and `nqd backup create --compression zstd` (minimum of --repeat runs each) and prints a
markdown table. nqd's time includes hashing every file for the manifest and writing it.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_WORD_TEXT = ("let in inherit with rec import pkgs lib config services enable true false "
              "mkIf mkDefault environment systemPackages users home stateVersion nixpkgs "
              "def class return self import from if else for while try except yield async "
              "await const function var package main fn struct impl pub use mod")
WORDS = _WORD_TEXT.split()


def text_pool(size: int, rng: random.Random) -> bytes:
    words = rng.choices(WORDS + [f"ident{i}" for i in range(2000)], k=size // 6)
    lines = (" ".join(words[i:i + 10]) for i in range(0, len(words), 10))
    return "\n".join(lines).encode()[:size]


def build_tree(root: Path, size_mb: int, seed: int = 5) -> tuple[int, int]:
    rng = random.Random(seed)
    total = size_mb << 20
    pool = text_pool(32 << 20, rng)
    files = 0
    written = 0

    def put(rel: str, data: bytes) -> None:
        nonlocal files, written
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        files += 1
        written += len(data)

    budget = {"text": total * 40 // 100, "random": total * 30 // 100,
              "lowent": total * 20 // 100, "tiny": total * 10 // 100}
    i = 0
    while budget["text"] > 0:  # source trees: 4 KiB .. 1 MiB
        n = min(budget["text"], int(rng.lognormvariate(10.5, 1.2)) % (1 << 20) + 4096)
        off = rng.randrange(0, len(pool) - n)
        put(f"src/pkg{i % 97}/mod{i}.txt", pool[off:off + n])
        budget["text"] -= n
        i += 1
    i = 0
    while budget["random"] > 0:  # model weights, images: 1 .. 64 MiB, incompressible
        n = min(budget["random"], rng.randint(1 << 20, 64 << 20))
        put(f"data/blob{i}.bin", os.urandom(n))
        budget["random"] -= n
        i += 1
    i = 0
    while budget["lowent"] > 0:  # databases, logs of numbers: compressible binary
        n = min(budget["lowent"], rng.randint(256 << 10, 16 << 20))
        alphabet = bytes(rng.randrange(256) for _ in range(16))
        raw = os.urandom(n)
        put(f"db/table{i}.dat", raw.translate(bytes(alphabet[b % 16] for b in range(256))))
        budget["lowent"] -= n
        i += 1
    i = 0
    while budget["tiny"] > 0:  # dotfiles, configs: 200 B .. 8 KiB
        n = min(budget["tiny"], rng.randint(200, 8192))
        off = rng.randrange(0, len(pool) - n)
        put(f"etc/d{i % 500}/f{i}.conf", pool[off:off + n])
        budget["tiny"] -= n
        i += 1
    return files, written


def timed(argv: list[str], env: dict[str, str], repeat: int, cleanup: Path) -> float:
    best = float("inf")
    for _ in range(repeat):
        shutil.rmtree(cleanup, ignore_errors=True)
        cleanup.mkdir(parents=True)
        start = time.perf_counter()
        subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nqd-bench-", dir=args.workdir))
    try:
        tree = work / "tree"
        t0 = time.perf_counter()
        files, size = build_tree(tree, args.size_mb)
        print(f"tree: {files} files, {size / 2**20:.0f} MiB, built in "
              f"{time.perf_counter() - t0:.1f}s", file=sys.stderr)
        subprocess.run(["tar", "-cf", "/dev/null", "-C", str(work), "tree"], check=True)
        env = {**os.environ, "HOME": str(work / "home"), "XDG_CONFIG_HOME": str(work / "cfg"),
               "XDG_STATE_HOME": str(work / "state")}
        out = work / "out"
        nqd = [sys.executable, "-m", "nqd", "backup", "create", "--no-defaults",
               "--no-databases", "--path", str(tree), "--dir", str(out / "b")]
        runs = [
            ("tar -czf", ["tar", "-czf", str(out / "t.tar.gz"), "-C", str(work), "tree"]),
            ("tar --zstd -cf (reference)",
             ["tar", "--zstd", "-cf", str(out / "t.tar.zst"), "-C", str(work), "tree"]),
            ("nqd backup create --compression gzip", [*nqd, "--compression", "gzip"]),
            ("nqd backup create --compression zstd", [*nqd, "--compression", "zstd"]),
        ]
        rows = []
        for label, argv in runs:
            seconds = timed(argv, env, args.repeat, out)
            produced = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
            rows.append((label, seconds, produced))
            print(f"{label}: {seconds:.2f}s", file=sys.stderr)
        base = rows[0][1]
        print(f"\n{files} files, {size / 2**20:.0f} MiB; best of {args.repeat} run(s)\n")
        print("| command | wall time (s) | vs `tar -czf` | output (MiB) | ratio |")
        print("|---|---:|---:|---:|---:|")
        for label, seconds, produced in rows:
            print(f"| `{label}` | {seconds:.2f} | {seconds / base:.2f}x | "
                  f"{produced / 2**20:.0f} | {produced / size:.3f} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
