"""The markdown report of a run: findings, input bumps, closure diff, generations, health,
and how to roll back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nqd.fsutil import atomic_write
from nqd.runtime.upgrade.journal import PHASES, Journal, Phase, iso


def location_text(location: object) -> str:
    """`path:line:column` of a finding's location (an object in nqd check's JSON)."""
    if isinstance(location, dict):
        return ":".join(str(location[k]) for k in ("path", "line", "column") if k in location)
    return str(location) if location is not None else "?"

if TYPE_CHECKING:
    from nqd.runtime.upgrade.context import RunContext


def write(ctx: RunContext) -> Path:
    path = ctx.run_dir / "report.md"
    atomic_write(path, render(ctx.journal, str(ctx.layout.system_profile)).encode())
    return path


def render(journal: Journal, system_profile: str) -> str:
    j = journal
    lines = [f"# Upgrade of {j.host} to NixOS {j.target}", "",
             f"- flake: `{j.flake}`", f"- host: `{j.host}`",
             f"- Home Manager user: `{j.user}`" if j.user else
             "- Home Manager: not standalone (not switched separately)",
             f"- run: `{j.key}` started {iso(j.created)}, state **{j.state}**", "",
             "## Phases", "", "| phase | status | started | ended | note |",
             "|---|---|---|---|---|"]
    for phase in PHASES:
        rec = j[phase]
        lines.append(f"| {phase} | {rec.status} | {iso(rec.started)} | {iso(rec.ended)} | "
                     f"{(rec.error or '').replace('|', '/')} |")
    lines += ["", *_findings(j), *_bumps(j), *_diff(j), *_generations(j),
              *_health(j), *_rollback(j, system_profile)]
    return "\n".join(lines).rstrip() + "\n"


def _findings(j: Journal) -> list[str]:
    data = j[Phase.PREFLIGHT].data
    out = ["## Findings (nqd check)", "",
           f"{data.get('findings', '?')} finding(s), {data.get('errors', '?')} error(s)."]
    if data.get("forced"):
        out.append("Continued despite (`--force`): " + "; ".join(data["forced"]))
    findings = _read_json(j.run_dir / "findings.json")
    if isinstance(findings, list) and findings:
        out += ["", "| severity | location | rule | message |", "|---|---|---|---|"]
        for f in findings[:100]:
            out.append(f"| {f.get('severity')} | {location_text(f.get('location'))} | "
                       f"{f.get('rule')} | "
                       f"{str(f.get('message', '')).replace('|', '/')} |")
    return [*out, ""]


def _bumps(j: Journal) -> list[str]:
    inputs = j[Phase.BUMP].data.get("inputs") or []
    out = ["## Flake inputs", ""]
    out += [f"- `{i['input']}`: `{i['old']}` → `{i['new']}`" for i in inputs] or [
        "- no input pinned an older release"]
    out.append("- `system.stateVersion` and `home.stateVersion` were not changed (they never "
               "should be: they name the release first installed)")
    return [*out, ""]


def _diff(j: Journal) -> list[str]:
    data = j[Phase.DIFF].data
    out = ["## What changes", ""]
    for label in ("system", "home"):
        part = data.get(label)
        if not part:
            continue
        if "error" in part:
            out.append(f"- {label}: diff failed ({part['error']})")
            continue
        kernel = part.get("kernel")
        out.append(f"### {label}: {len(part['changes'])} version change(s)"
                   + (f", kernel {kernel[0]} → {kernel[1]}" if kernel else ""))
        out.append("")
        for name, old, new in part["changes"][:200]:
            out.append(f"- {name}: {old or '∅'} → {new or '∅'}")
        out.append(f"\nFull output: `diff-{label}.txt`.\n")
    return out


def _generations(j: Journal) -> list[str]:
    data = j[Phase.SWITCH].data
    out = ["## Generations", ""]
    for label, key in (("system before", "system_before"), ("system after", "system_after"),
                       ("Home Manager before", "home_before"),
                       ("Home Manager after", "home_after")):
        gen = data.get(key)
        if gen:
            out.append(f"- {label}: generation {gen['number']} `{gen['store_path']}`")
    if len(out) == 2:
        out.append("- nothing was switched")
    return [*out, ""]


def _health(j: Journal) -> list[str]:
    base = j[Phase.BASELINE].data.get("file")
    regressions = j[Phase.VERIFY].data.get("regressions")
    out = ["## Health", "", f"- before: `{base}`" if base else "- before: not recorded",
           "- after: `health-after.json`" if regressions is not None else "- after: not run"]
    if regressions:
        out += ["- regressions:", *[f"  - {r}" for r in regressions]]
    elif regressions == []:
        out.append("- no regression")
    return [*out, ""]


def _rollback(j: Journal, system_profile: str) -> list[str]:
    data = j[Phase.SWITCH].data
    out = ["## Rolling back", ""]
    for entry in j.rollbacks:
        out.append(f"- rolled back at {iso(entry.get('at'))}: " + "; ".join(entry["actions"]))
    system, home = data.get("system_before"), data.get("home_before")
    if not data.get("switch_started") or not system:
        return [*out, "Nothing was switched: there is nothing to roll back.", ""]
    out += ["Run `nqd rollback`. It returns to exactly these generations:", "",
            "```sh",
            f"sudo nix-env --profile {system_profile} --switch-generation {system['number']}",
            f"sudo {system['store_path']}/bin/switch-to-configuration switch"]
    if home:
        out.append(f"{home['store_path']}/activate")
    out += ["```", "",
            "(`sudo nixos-rebuild switch --rollback` does the system part when generation "
            f"{system['number']} is the one before the current one.) The flake's files keep the "
            f"{j.target} inputs: revert them with `git checkout -- flake.nix flake.lock` "
            "if you stay on the old release.", ""]
    return out


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
