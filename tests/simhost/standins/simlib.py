"""SIMULATION ONLY: the shared logic of the simulated NixOS host's stand-in executables.

The stand-ins (`nixos-rebuild`, `home-manager`, `nix`, `nix-env`, `sudo`, `nqd`, and the
`switch-to-configuration` / `activate` scripts inside simulated store paths) keep profile
generations as real symlinks, the way NixOS does:

    ROOT/nix/var/nix/profiles/system -> system-2-link -> ROOT/nix/store/<hash>-nixos-system-...
    ROOT/run/current-system -> ROOT/nix/store/<hash>-nixos-system-...
    $XDG_STATE_HOME/nix/profiles/home-manager -> home-manager-1-link -> .../activate's dir

Every invocation is appended to ROOT/sim/calls.jsonl. ROOT/sim/control.json injects
failures (`"fail": ["nixos-rebuild build", ...]`, or `"fail_once"`) and hangs
(`"hang": [...]`; the stand-in
first creates ROOT/sim/reached/<step> so a test knows where it stopped).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # ROOT/sim/bin/simlib.py
SIM = ROOT / "sim"
STORE = ROOT / "nix" / "store"
SYSTEM_PROFILE = ROOT / "nix/var/nix/profiles/system"
CURRENT_SYSTEM = ROOT / "run/current-system"

PACKAGES = {
    "25.05": {"linux": "6.12.30", "firefox": "138.0.4", "python3": "3.12.10",
              "gcc": "14.2.1", "openssh": "10.0p2", "nodejs_20": "20.19.2"},
    "25.11": {"linux": "6.12.58", "firefox": "145.0.1", "python3": "3.13.8",
              "gcc": "14.3.0", "openssh": "10.2p1", "nodejs_22": "22.21.1"},
}
HOME_PACKAGES = {
    "25.05": {"git": "2.49.0", "ripgrep": "14.1.1", "home-manager-path": "25.05"},
    "25.11": {"git": "2.51.2", "ripgrep": "15.1.0", "home-manager-path": "25.11"},
}
_RELEASE = re.compile(r"nixos-(\d{2}\.\d{2})")


def control() -> dict:
    try:
        return json.loads((SIM / "control.json").read_text())
    except (OSError, ValueError):
        return {}


def privileged() -> bool:
    """Root, as the simulation sees it: via the sudo stand-in, or euid 0 unless strict."""
    if os.environ.get("SIM_PRIVILEGED") == "1":
        return True
    return os.geteuid() == 0 and not control().get("strict_sudo")


def checkpoint(step: str, argv: list[str]) -> None:
    """Record the call, then honour a hang or failure injected for `step`."""
    entry = {"step": step, "argv": argv, "privileged": privileged(),
             "via_sudo": os.environ.get("SIM_PRIVILEGED") == "1", "cwd": os.getcwd(),
             "time": time.time()}
    with (SIM / "calls.jsonl").open("a") as handle:
        handle.write(json.dumps(entry) + "\n")
    ctl = control()
    if step in ctl.get("hang", []):
        reached = SIM / "reached"
        reached.mkdir(exist_ok=True)
        (reached / step.replace(" ", "_")).write_text(str(os.getpid()))
        time.sleep(3600)
    if step in ctl.get("fail", []):
        die(f"simulated failure injected at '{step}'")
    once = SIM / "failed-once" / step.replace(" ", "_")
    if step in ctl.get("fail_once", []) and not once.exists():
        once.parent.mkdir(exist_ok=True)
        once.write_text("")
        die(f"simulated one-time failure injected at '{step}'")


def die(message: str, code: int = 1) -> None:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(code)


def need_root(what: str) -> None:
    if not privileged():
        die(f"{what}: Permission denied (must be run as root)", 1)


# ---- profiles -------------------------------------------------------------------------

def generations(profile: Path) -> dict[int, Path]:
    found = {}
    for entry in profile.parent.glob(f"{profile.name}-*-link"):
        number = entry.name[len(profile.name) + 1 : -len("-link")]
        if number.isdigit():
            found[int(number)] = entry
    return found


def current_number(profile: Path) -> int | None:
    if not profile.is_symlink():
        return None
    name = os.readlink(profile)
    number = name[len(profile.name) + 1 : -len("-link")]
    return int(number) if number.isdigit() else None


def set_profile(profile: Path, store_path: Path) -> int:
    """Point `profile` at `store_path`, as a new generation unless it already points there."""
    gens = generations(profile)
    current = current_number(profile)
    if current is not None and Path(os.readlink(gens[current])) == store_path:
        return current
    number = max(gens, default=0) + 1
    link = profile.parent / f"{profile.name}-{number}-link"
    link.symlink_to(store_path)
    switch_generation(profile, number)
    return number


def switch_generation(profile: Path, number: int) -> None:
    if number not in generations(profile):
        die(f"generation {number} does not exist")
    tmp = profile.parent / f".{profile.name}.tmp"
    if tmp.is_symlink():
        tmp.unlink()
    tmp.symlink_to(f"{profile.name}-{number}-link")
    os.replace(tmp, profile)


def atomic_symlink(link: Path, target: Path) -> None:
    tmp = link.parent / f".{link.name}.tmp"
    if tmp.is_symlink():
        tmp.unlink()
    tmp.symlink_to(target)
    os.replace(tmp, link)


# ---- the "store" ----------------------------------------------------------------------

def flake_release(flake: Path) -> str:
    """The release the flake's lock file pins (what `nix flake update` recorded)."""
    try:
        lock = json.loads((flake / "flake.lock").read_text())
        return lock["nodes"]["nixpkgs"]["original"]["ref"].removeprefix("nixos-")
    except (OSError, ValueError, KeyError):
        die(f"{flake}/flake.lock is missing or has no nixpkgs input (run nix flake update)")
        raise


def _digest(*parts: bytes) -> str:
    return hashlib.sha256(b"\0".join(parts)).hexdigest()[:32]


def build_system(flake: Path, host: str) -> Path:
    release = flake_release(flake)
    if release not in PACKAGES:
        die(f"simulated nixpkgs has no release {release}")
    digest = _digest(host.encode(), (flake / "flake.nix").read_bytes(),
                     (flake / "flake.lock").read_bytes())
    out = STORE / f"{digest}-nixos-system-{host}-{release}"
    make_system(out, release)
    return out


def make_system(out: Path, release: str) -> None:
    if out.exists():
        return
    (out / "bin").mkdir(parents=True)
    (out / "packages.json").write_text(json.dumps(PACKAGES[release]))
    (out / "nixos-version").write_text(release + "\n")
    script = out / "bin" / "switch-to-configuration"
    script.write_text(_script(f"switch_to_configuration({str(out)!r})"))
    script.chmod(0o755)


def build_home(flake: Path, user: str) -> Path:
    release = flake_release(flake)
    digest = _digest(user.encode(), (flake / "flake.nix").read_bytes(),
                     (flake / "flake.lock").read_bytes())
    out = STORE / f"{digest}-home-manager-generation"
    make_home(out, release)
    return out


def make_home(out: Path, release: str) -> None:
    if out.exists():
        return
    out.mkdir(parents=True)
    (out / "packages.json").write_text(json.dumps(HOME_PACKAGES[release]))
    script = out / "activate"
    script.write_text(_script(f"activate({str(out)!r})"))
    script.chmod(0o755)


def _script(call: str) -> str:
    """A store-path script (switch-to-configuration, activate) calling into this module."""
    return (f"#!/usr/bin/env python3\nimport sys\nsys.path.insert(0, {str(SIM / 'bin')!r})\n"
            f"import simlib\nsimlib.{call}\n")


def hm_profile() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local/state")
    return Path(state) / "nix/profiles/home-manager"


def result_link(out: Path) -> None:
    atomic_symlink(Path.cwd() / "result", out)


# ---- scripts inside store paths -------------------------------------------------------

def switch_to_configuration(out: str) -> None:
    argv = sys.argv[1:]
    checkpoint("switch-to-configuration " + (argv[0] if argv else ""), argv)
    if argv != ["switch"]:
        die("usage: switch-to-configuration switch (simulated)")
    need_root("switch-to-configuration")
    atomic_symlink(CURRENT_SYSTEM, Path(out))
    print(f"activating the configuration... (simulated) {out}")


def activate(out: str) -> None:
    checkpoint("activate", sys.argv[1:])
    if os.environ.get("SIM_PRIVILEGED") == "1":
        die("Home Manager activation must not run as root via sudo")
    if control().get("activate_leaves_profile"):
        print("Starting Home Manager activation (simulated; profile left to the caller)")
        return
    profile = hm_profile()
    profile.parent.mkdir(parents=True, exist_ok=True)
    number = set_profile(profile, Path(out))
    print(f"Starting Home Manager activation (simulated): generation {number}")


def run_script(path: Path, *args: str) -> int:
    return subprocess.run([str(path), *args], check=False).returncode


# ---- the closure diff -----------------------------------------------------------------

def diff_closures(old: Path, new: Path) -> str:
    before = _packages(old)
    after = _packages(new)
    lines = []
    for name in sorted(set(before) | set(after)):
        a, b = before.get(name), after.get(name)
        if a != b:
            lines.append(f"{name}: {a or '∅'} → {b or '∅'}, +1024.0 KiB")
    return "\n".join(lines) + ("\n" if lines else "")


def _packages(path: Path) -> dict[str, str]:
    resolved = path.resolve()
    try:
        return json.loads((resolved / "packages.json").read_text())
    except (OSError, ValueError):
        die(f"path '{path}' is not a valid store path (simulated)")
        raise


def split_flake(ref: str) -> tuple[Path, str]:
    if "#" not in ref:
        die(f"flake reference '{ref}' has no '#NAME' (simulated)")
    path, name = ref.split("#", 1)
    return Path(path), name
