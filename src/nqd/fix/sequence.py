"""One release at a time: after a `fix --write` moved a configuration's release pins (its
flake inputs, a `fetchTarball` or `system.autoUpgrade.channel`), the pins name the new
release before anything was built from them. Without a check, a second `fix` would take
that for the release the system is on and start the next hop (25.05 → 25.11 → 26.05 in
two runs, as a field test saw on a flake without flake.lock)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nqd.analysis.releases import running_nixos
from nqd.fix.plan import FixPlan
from nqd.fix.undo import runs, sha256

PIN_RULES = frozenset({"NQD401", "NQD403"})  # flake inputs; fetchTarball/fetchGit/channel


def pins_record(plan: FixPlan) -> dict[str, Any]:
    """What a `--write` run keeps in its manifest: its releases, and each file whose
    release pins it moved with the digest of the flake.lock beside it (building, or `nix
    flake update`, rewrites that lock)."""
    pins = []
    for path in sorted({a.path for a in plan.applied if a.rule in PIN_RULES}, key=str):
        lock = path.parent / "flake.lock" if path.name == "flake.nix" else None
        pins.append({"path": str(path), "lock": str(lock) if lock else None,
                     "lock_sha256": _digest(lock) if lock else None})
    return {"from": str(plan.from_release), "to": str(plan.to_release), "pins": pins}


def unbuilt_move(plan: FixPlan, paths: Sequence[Path],
                 os_release: Path = Path("/etc/os-release")) -> str | None:
    """Why `plan` must not run yet, or None: the newest `--write` run that moved pins of
    this configuration moved them to the release `plan` starts from, the pins still hold
    what it wrote, their flake.lock is as it was (or still absent), and the running system
    is not on that release."""
    roots = [Path(p).resolve() for p in paths]
    for run, manifest in runs():
        pins = [pin for pin in manifest.get("pins") or ()
                if isinstance(pin, dict) and _under(Path(str(pin.get("path"))), roots)]
        if not pins:
            continue
        if manifest.get("to") != str(plan.from_release):
            return None
        written = {entry.get("path"): entry.get("sha256_after")
                   for entry in manifest.get("files", ()) if isinstance(entry, dict)}
        waiting = [pin for pin in pins
                   if _digest(Path(pin["path"])) == written.get(pin["path"])
                   and (pin.get("lock") is None
                        or _digest(Path(pin["lock"])) == pin.get("lock_sha256"))]
        if not waiting or running_nixos(os_release) == plan.from_release:
            return None
        release, pin = plan.from_release, waiting[0]
        if pin.get("lock"):
            since = "its flake.lock is unchanged or absent, and this system does not run it"
            how = "`nix flake update`, then `nixos-rebuild switch`"
        else:
            since = "this system does not run it"
            how = "`nixos-rebuild switch` or `home-manager switch`"
        return (f"the fix run of {manifest.get('created', run.name)} moved {pin['path']} "
                f"to {release}, and nothing shows {release} was built since ({since}): "
                f"switch to {release} first ({how}), then fix the next release; or pass "
                f"--from {release} to go on now")
    return None


def _under(path: Path, roots: list[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def _digest(path: Path) -> str | None:
    """The file's sha256 as the run manifests record it (`undo.sha256`); None if absent."""
    try:
        return sha256(path.read_bytes())
    except OSError:
        return None
