"""Rolling a run back to exactly the generations it recorded before its switch.

System: `nixos-rebuild switch --rollback` when the recorded generation is the one just
before the current one; otherwise the profile is set back to the recorded generation
(`nix-env --switch-generation N`, or `--set STORE_PATH` when that link is gone) and the
recorded store path's `switch-to-configuration switch` activates it. Home Manager: the
recorded generation's `activate`. Configuration files (and so `system.stateVersion`)
are never touched.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from nqd.runtime.upgrade.context import RunContext
from nqd.runtime.upgrade.generations import (
    Generation,
    current_generation,
    previous_generation,
    store_path_of,
)
from nqd.runtime.upgrade.journal import Phase, RunState


class RollbackFailed(Exception):
    """Rolling back did not reach the recorded generation."""


@dataclass(frozen=True)
class RollbackPlan:
    system: Generation | None  # recorded before the switch
    home: Generation | None
    switched: bool  # the switch started, so something may have changed


def plan_for(ctx: RunContext) -> RollbackPlan:
    data = ctx.journal[Phase.SWITCH].data
    system = Generation.from_dict(data["system_before"]) if data.get("system_before") else None
    home = Generation.from_dict(data["home_before"]) if data.get("home_before") else None
    return RollbackPlan(system, home, bool(data.get("switch_started")))


def roll_back(ctx: RunContext) -> bool:
    """Return the host to the recorded generations. False when nothing was switched."""
    plan = plan_for(ctx)
    console = ctx.console
    if not plan.switched or plan.system is None:
        console.print("Nothing was switched by this run: there is nothing to roll back.")
        return False
    actions: list[str] = []
    _system(ctx, plan.system, actions)
    if ctx.options.user is not None:
        _home(ctx, plan.home, actions)
    entry: dict[str, Any] = {"at": time.time(), "system": plan.system.as_dict(),
                             "home": plan.home.as_dict() if plan.home else None,
                             "actions": actions}
    if not ctx.dry_run:
        ctx.journal.rollbacks.append(entry)
        ctx.journal.state = RunState.ROLLED_BACK
        ctx.journal.save()
    return True


def _system(ctx: RunContext, recorded: Generation, actions: list[str]) -> None:
    layout = ctx.layout
    profile = layout.system_profile
    current = current_generation(profile)
    running = store_path_of(layout.current_system)
    if (current is not None and current.store_path == recorded.store_path
            and running == recorded.store_path):
        ctx.console.print(f"System: already at recorded generation {recorded.number}.")
        actions.append("system: already at recorded generation")
        return
    ctx.console.print(f"System: back to generation {recorded.number} ({recorded.store_path}).")
    previous = previous_generation(profile)
    if current is not None and current.store_path != recorded.store_path and previous == recorded:
        _must(ctx, ["nixos-rebuild", "switch", "--rollback"], sudo=True)
        actions.append("nixos-rebuild switch --rollback")
    else:
        link = profile.parent / f"{profile.name}-{recorded.number}-link"
        if store_path_of(link) == recorded.store_path:
            argv = ["nix-env", "--profile", str(profile), "--switch-generation",
                    str(recorded.number)]
        else:
            argv = ["nix-env", "--profile", str(profile), "--set", recorded.store_path]
        _must(ctx, argv, sudo=True)
        _must(ctx, [f"{recorded.store_path}/bin/switch-to-configuration", "switch"], sudo=True)
        actions.append(" ".join(argv[3:]) + " + switch-to-configuration switch")
    if ctx.dry_run:
        return
    after = current_generation(profile)
    if after is None or after.store_path != recorded.store_path:
        raise RollbackFailed(f"system profile points to {after.store_path if after else None}, "
                             f"not the recorded {recorded.store_path}")
    if store_path_of(layout.current_system) != recorded.store_path:
        raise RollbackFailed("the recorded system generation is not the running one "
                             f"({layout.current_system} → {store_path_of(layout.current_system)})")


def _home(ctx: RunContext, recorded: Generation | None, actions: list[str]) -> None:
    profile = ctx.layout.hm_profile()
    current = current_generation(profile)
    if recorded is None:
        if current is not None:
            ctx.console.warn("Home Manager had no generation before the switch; "
                             "its new generation stays (nothing recorded to go back to).")
        return
    if current is not None and current.store_path == recorded.store_path:
        ctx.console.print(f"Home Manager: already at recorded generation {recorded.number}.")
        actions.append("home-manager: already at recorded generation")
        return
    ctx.console.print(f"Home Manager: back to generation {recorded.number} "
                      f"({recorded.store_path}).")
    _must(ctx, [f"{recorded.store_path}/activate"])
    actions.append(f"{recorded.store_path}/activate")
    if ctx.dry_run:
        return
    after = current_generation(profile)
    if after is None or after.store_path != recorded.store_path:
        # Activation scripts that leave the profile to their caller (the non-legacy mode
        # Home Manager 25.11 introduced): set it ourselves.
        _must(ctx, ["nix-env", "--profile", str(profile), "--set", recorded.store_path])
        actions.append("nix-env --set (Home Manager profile)")
        after = current_generation(profile)
    if after is None or after.store_path != recorded.store_path:
        raise RollbackFailed(f"Home Manager profile points to {after.store_path if after else None}"
                             f", not the recorded {recorded.store_path}")


def _must(ctx: RunContext, argv: list[str], *, sudo: bool = False) -> None:
    result = ctx.run(argv, sudo=sudo)
    if not result.ok:
        raise RollbackFailed(f"{argv[0]} failed (exit {result.returncode}); "
                             f"see {ctx.commands_log}")
