"""The nine upgrade phases. Each reads what earlier phases recorded in the journal, records
what it learns as soon as it learns it, and raises `PhaseFailed` when it cannot complete.
Every phase can run again after an interruption without doing harm.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from typing import Any

from nqd.analysis.flake_bump import bump_flake
from nqd.releases import Release
from nqd.runtime.upgrade import report as report_module
from nqd.runtime.upgrade.closure_diff import kernel_change, parse_diff
from nqd.runtime.upgrade.context import EXPERIMENTAL, GIB, PhaseFailed, RunContext
from nqd.runtime.upgrade.generations import current_generation, store_path_of
from nqd.runtime.upgrade.journal import Phase
from nqd.runtime.upgrade.rollback import RollbackFailed, roll_back


class RolledBack(Exception):
    """The health gate failed and the host went back to the recorded generations."""


def preflight(ctx: RunContext) -> None:
    opts = ctx.options
    argv = ctx.nqd("check", str(opts.flake), "--to", str(opts.target), "--format", "json",
                   "--fail-on", "error")
    running = running_release(ctx)
    if running is not None and running < opts.target:
        # The flake may already pin the target (after `nqd fix`): the pair starts at what runs.
        argv += ["--from", str(running)]
    result = ctx.run(argv)
    problems: list[str] = []
    if not ctx.dry_run:
        findings = _check_findings(result.returncode, result.stdout, result.stderr)
        (ctx.run_dir / "findings.json").write_text(json.dumps(findings, indent=2) + "\n")
        errors = [f for f in findings if f.get("severity") == "error"]
        ctx.journal.record(Phase.PREFLIGHT, findings=len(findings), errors=len(errors))
        ctx.console.print(f"  {len(findings)} finding(s), {len(errors)} error(s)")
        for finding in errors[:50]:
            where = report_module.location_text(finding.get("location"))
            ctx.console.print(f"  error {where}: "
                              f"[{finding.get('rule', '?')}] {finding.get('message', '')}")
        if errors:
            problems.append(f"nqd check reports {len(errors)} error finding(s); fix them "
                            f"(nqd fix) or pass --force")
    problems += _free_space(ctx)
    problems += _git_clean(ctx)
    if problems and not opts.force:
        raise PhaseFailed("; ".join(problems))
    for problem in problems:
        ctx.console.warn(f"{problem} (continuing: --force)")
    if problems and not ctx.dry_run:
        ctx.journal.record(Phase.PREFLIGHT, forced=problems)


def running_release(ctx: RunContext) -> Release | None:
    """The release of the running system, from `/run/current-system/nixos-version`."""
    try:
        text = (ctx.layout.current_system / "nixos-version").read_text()
    except OSError:
        return None
    match = re.match(r"\s*(\d{2}\.(?:05|11))", text)
    return Release.parse(match.group(1)) if match else None


def _check_findings(returncode: int, stdout: str, stderr: str) -> list[dict[str, Any]]:
    if returncode not in (0, 1):
        reason = (stderr.strip().splitlines() or [f"exit {returncode}"])[-1]
        raise PhaseFailed(f"nqd check could not check the configuration: {reason}")
    try:
        data = json.loads(stdout)
        findings = data["findings"]
        if not isinstance(findings, list):
            raise TypeError("findings is not a list")
    except (ValueError, KeyError, TypeError) as exc:
        raise PhaseFailed(f"nqd check printed no usable JSON ({exc})") from exc
    return [f for f in findings if isinstance(f, dict)]


def _free_space(ctx: RunContext) -> list[str]:
    opts, layout = ctx.options, ctx.layout
    nix = layout.nix_dir if layout.nix_dir.exists() else layout.root
    problems = []
    for label, path, needed in (("/", layout.root, opts.min_free_root),
                                ("/nix", nix, opts.min_free_nix)):
        free = shutil.disk_usage(path).free
        ctx.console.print(f"  free space on {label}: {free / GIB:.1f} GiB "
                          f"(needs {needed / GIB:.1f} GiB)")
        if free < needed:
            problems.append(f"only {free / GIB:.1f} GiB free on {label}, needs "
                            f"{needed / GIB:.1f} GiB (nix-collect-garbage -d frees old "
                            f"generations)")
    return problems


def _git_clean(ctx: RunContext) -> list[str]:
    flake = ctx.options.flake
    result = ctx.run(["git", "-C", str(flake), "status", "--porcelain", "--untracked-files=all"])
    if ctx.dry_run:
        return []
    if result.returncode != 0:
        ctx.console.warn(f"{flake} is not a git work tree: nothing tells what the upgrade "
                         f"changed except the backup")
        return []
    dirty = [line[3:] for line in result.stdout.splitlines() if line.strip()]
    if not dirty:
        ctx.console.print("  git tree clean")
        return []
    shown = ", ".join(dirty[:5]) + (" …" if len(dirty) > 5 else "")
    return [f"the flake's git tree has uncommitted changes ({shown}); commit them first"]


def baseline(ctx: RunContext) -> None:
    file = ctx.run_dir / "health-baseline.json"
    result = ctx.run(ctx.nqd("health", "--save", str(file)))
    if ctx.dry_run:
        return
    if result.returncode not in (0, 1) or not file.exists():
        raise PhaseFailed(f"nqd health --save failed (exit {result.returncode}); "
                          f"see {ctx.commands_log}")
    if result.returncode == 1:
        ctx.console.warn("some health checks already fail before the upgrade; "
                         "only new failures count as regressions")
    ctx.journal.record(Phase.BASELINE, file=str(file), exit=result.returncode)


def backup(ctx: RunContext) -> None:
    result = ctx.run(ctx.nqd("backup", "create", "--json", "--path", str(ctx.options.flake)))
    if ctx.dry_run:
        return
    if not result.ok:
        raise PhaseFailed(f"nqd backup create failed (exit {result.returncode}); "
                          f"see {ctx.commands_log}")
    try:
        backup_id = str(json.loads(result.stdout)["id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise PhaseFailed(f"nqd backup create printed no backup id ({exc})") from exc
    ctx.journal.record(Phase.BACKUP, id=backup_id)
    ctx.console.print(f"  backup {backup_id}")


def bump(ctx: RunContext) -> None:
    opts = ctx.options
    bumps = bump_flake(opts.flake, opts.target, write=not ctx.dry_run)
    verb = "would change" if ctx.dry_run else "changed"
    for item in bumps:
        ctx.console.print(f"  {verb} flake.nix:{item.line} inputs.{item.input}.url: "
                          f"{item.old_url} → {item.new_url}")
    if not bumps:
        ctx.console.print(f"  flake.nix: no input pins a release older than {opts.target}")
    if not ctx.dry_run:
        ctx.journal.record(Phase.BUMP, inputs=[
            {"input": b.input, "old": b.old_url, "new": b.new_url} for b in bumps
        ] or ctx.journal[Phase.BUMP].data.get("inputs", []))
    result = ctx.run(["nix", *EXPERIMENTAL, "flake", "update", "--flake", str(opts.flake)])
    if not result.ok:
        raise PhaseFailed(f"nix flake update failed (exit {result.returncode}); "
                          f"see {ctx.commands_log}")


def build(ctx: RunContext) -> None:
    opts = ctx.options
    system_dir = ctx.run_dir / "build-system"
    result = ctx.run(["nixos-rebuild", "build", "--flake", opts.system_attr], cwd=system_dir)
    if not ctx.dry_run:
        new_system = store_path_of(system_dir / "result")
        if not result.ok or new_system is None:
            raise PhaseFailed(f"building the system failed (exit {result.returncode}); "
                              f"nothing was activated; see {ctx.commands_log}")
        ctx.journal.record(Phase.BUILD, system=new_system)
        ctx.console.print(f"  system: {new_system}")
    if opts.user is None:
        return
    home_dir = ctx.run_dir / "build-home"
    result = ctx.run(["home-manager", "build", "--flake", opts.home_attr], cwd=home_dir)
    if not ctx.dry_run:
        new_home = store_path_of(home_dir / "result")
        if not result.ok or new_home is None:
            raise PhaseFailed(f"building Home Manager for {opts.user} failed "
                              f"(exit {result.returncode}); nothing was activated; "
                              f"see {ctx.commands_log}")
        ctx.journal.record(Phase.BUILD, home=new_home)
        ctx.console.print(f"  home: {new_home}")


def diff(ctx: RunContext) -> None:
    built = ctx.journal[Phase.BUILD].data
    pairs = [("system", str(ctx.layout.current_system),
              built.get("system") or str(ctx.run_dir / "build-system/result"))]
    if ctx.options.user is not None:
        pairs.append(("home", str(ctx.layout.hm_profile()),
                      built.get("home") or str(ctx.run_dir / "build-home/result")))
    use_nvd = ctx.host.which("nvd") is not None
    summary: dict[str, Any] = {}
    for label, old, new in pairs:
        if use_nvd:
            argv = ["nvd", "diff", old, new]
        else:
            argv = ["nix", *EXPERIMENTAL, "store", "diff-closures", old, new]
        result = ctx.run(argv)
        if ctx.dry_run:
            continue
        if not result.ok:
            ctx.console.warn(f"could not diff the {label} closures (exit {result.returncode})")
            summary[label] = {"error": f"exit {result.returncode}"}
            continue
        (ctx.run_dir / f"diff-{label}.txt").write_text(result.stdout)
        changes = parse_diff(result.stdout)
        kernel = kernel_change(changes)
        summary[label] = {"changes": [[c.name, c.old, c.new] for c in changes],
                          "kernel": [kernel.old, kernel.new] if kernel else None}
        ctx.console.print(f"  {label}: {len(changes)} version change(s)")
        if kernel:
            ctx.console.print(f"  kernel: {kernel.old} → {kernel.new}")
        for change in changes[:25]:
            ctx.console.print(f"    {change}")
        if len(changes) > 25:
            ctx.console.print(f"    … {len(changes) - 25} more in {ctx.run_dir}/diff-{label}.txt")
    if not ctx.dry_run:
        ctx.journal.record(Phase.DIFF, **summary)


def switch(ctx: RunContext) -> None:
    opts, journal, layout = ctx.options, ctx.journal, ctx.layout
    data = journal[Phase.SWITCH].data
    what = f"{opts.host_name} to the new {opts.target} system" + (
        f" and Home Manager for {opts.user}" if opts.user else "")
    if not ctx.dry_run and not ctx.confirm(f"Switch {what}?"):
        raise PhaseFailed("switch not confirmed; nothing was switched "
                          "(rerun with --resume, and --yes to skip the question)")
    if not ctx.dry_run and "system_before" not in data:
        before = current_generation(layout.system_profile)
        if before is None:
            raise PhaseFailed(f"no system profile at {layout.system_profile}: is this NixOS?")
        home_before = current_generation(layout.hm_profile()) if opts.user else None
        journal.record(Phase.SWITCH, system_before=before.as_dict(),
                       home_before=home_before.as_dict() if home_before else None,
                       home_profile=str(layout.hm_profile()) if opts.user else None)
    if not ctx.dry_run:
        recorded = journal[Phase.SWITCH].data["system_before"]
        ctx.console.print(f"  recorded system generation {recorded['number']} "
                          f"({recorded['store_path']})")
        journal.record(Phase.SWITCH, switch_started=True)
    ctx.console.print("  (the system switch needs root: only it runs with sudo)")
    result = ctx.run(["nixos-rebuild", "switch", "--flake", opts.system_attr], sudo=True)
    if not ctx.dry_run:
        after = current_generation(layout.system_profile)
        journal.record(Phase.SWITCH, system_after=after.as_dict() if after else None)
        if not result.ok:
            _switch_failed(ctx, "nixos-rebuild switch", result.returncode)
    if opts.user is None:
        return
    result = ctx.run(["home-manager", "switch", "--flake", opts.home_attr])
    if not ctx.dry_run:
        after = current_generation(layout.hm_profile())
        journal.record(Phase.SWITCH, home_after=after.as_dict() if after else None)
        if not result.ok:
            _switch_failed(ctx, "home-manager switch", result.returncode)


def _switch_failed(ctx: RunContext, what: str, code: int) -> None:
    ctx.console.error(f"{what} failed (exit {code})")
    _offer_rollback(ctx, f"{what} failed")
    raise PhaseFailed(f"{what} failed (exit {code}); roll back with: nqd rollback")


def verify(ctx: RunContext) -> None:
    baseline_file = ctx.journal[Phase.BASELINE].data.get(
        "file", str(ctx.run_dir / "health-baseline.json"))
    result = ctx.run(ctx.nqd("health", "--compare", baseline_file, "--json"))
    if ctx.dry_run:
        ctx.console.print("  (a regression offers rollback; with --yes it rolls back at once)")
        return
    (ctx.run_dir / "health-after.json").write_text(result.stdout)
    if result.returncode == 0:
        ctx.journal.record(Phase.VERIFY, regressions=[])
        ctx.console.print("  no health regression")
        return
    if result.returncode != 1:
        raise PhaseFailed(f"nqd health --compare could not run (exit {result.returncode}); "
                          f"see {ctx.commands_log}; roll back with: nqd rollback")
    regressions = _regressions(result.stdout)
    ctx.journal.record(Phase.VERIFY, regressions=regressions)
    ctx.console.error("health regressed after the switch:")
    for line in regressions[:20] or ["(see health-after.json)"]:
        ctx.console.print(f"  - {line}")
    _offer_rollback(ctx, "health regressed")
    raise PhaseFailed("health regressed; roll back with: nqd rollback")


def _regressions(stdout: str) -> list[str]:
    try:
        data = json.loads(stdout)
    except ValueError:
        return []
    items = data.get("regressions") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return []
    out = []
    for item in items:
        if isinstance(item, dict):
            name = item.get("name") or item.get("check") or "?"
            detail = item.get("summary") or item.get("detail")
            out.append(f"{name}: {item.get('before', '?')} → {item.get('after', '?')}"
                       + (f" ({detail})" if detail else ""))
        else:
            out.append(str(item))
    return out


def _offer_rollback(ctx: RunContext, why: str) -> None:
    if not ctx.confirm(f"{why}. Roll back to the recorded generations?"):
        return
    if ctx.options.yes:
        ctx.console.print(f"{why}: rolling back (--yes)")
    try:
        if roll_back(ctx):
            report_module.write(ctx)
            raise RolledBack(f"{why}; rolled back to the generations recorded before the switch")
    except RollbackFailed as exc:
        raise PhaseFailed(f"{why}, and rolling back failed: {exc}") from exc


def report(ctx: RunContext) -> None:
    if ctx.dry_run:
        ctx.console.print(f"  (writes {ctx.run_dir}/report.md)")
        return
    path = report_module.write(ctx)
    ctx.journal.record(Phase.REPORT, file=str(path))
    ctx.console.print(f"  report: {path}")


PHASE_FUNCTIONS: dict[Phase, Callable[[RunContext], None]] = {
    Phase.PREFLIGHT: preflight,
    Phase.BASELINE: baseline,
    Phase.BACKUP: backup,
    Phase.BUMP: bump,
    Phase.BUILD: build,
    Phase.DIFF: diff,
    Phase.SWITCH: switch,
    Phase.VERIFY: verify,
    Phase.REPORT: report,
}
