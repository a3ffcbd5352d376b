"""Tie profile, machine defaults, layout and writer together for `nqd init`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nqd.errors import InputError
from nqd.init import detect, layout, writer
from nqd.init.features.containers import stack_containers
from nqd.init.profile import FIELDS, Profile, check_value
from nqd.init.readme import readme

Prompt = Callable[[str, str], str]  # (question, default shown) -> answer; "" takes the default

# What interactive mode asks when the profile lacks it, in this order.
QUESTIONS: tuple[tuple[str, str], ...] = (
    ("release", "NixOS release (25.11 or 26.05)"),
    ("hostname", "Host name"),
    ("user.name", "Your login name"),
    ("user.full_name", "Your full name"),
    ("git.name", "Git user.name"),
    ("git.email", "Git user.email"),
    ("timezone", "Time zone"),
    ("desktop.environments", "Desktops (cosmic, hyprland, gnome, plasma6, none; comma-separated)"),
    ("hardware.gpu", "GPU (amd, nvidia, intel, none)"),
)
_ATTEMPTS = 3


def machine_defaults(facts: detect.MachineFacts) -> dict[str, Any]:
    """Profile values suggested by the machine (only those it could tell)."""
    found: dict[str, Any] = {
        "hostname": facts.hostname, "user.name": facts.user, "user.full_name": facts.full_name,
        "git.name": facts.full_name, "timezone": facts.timezone, "hardware.gpu": facts.gpu,
    }
    return {k: v for k, v in found.items() if v is not None and check_value(k, v) is None}


def _parse_answer(key: str, text: str) -> Any:
    default = FIELDS[key].default
    if isinstance(default, bool):
        lowered = text.strip().lower()
        if lowered in ("y", "yes", "true"):
            return True
        if lowered in ("n", "no", "false"):
            return False
        return text
    if isinstance(default, list):
        return [part.strip() for part in text.split(",") if part.strip()]
    return text.strip()


def _show_default(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def complete_values(values: Mapping[str, Any], suggested: Mapping[str, Any],
                    prompt: Prompt | None, say: Callable[[str], None]) -> dict[str, Any]:
    """Fill the keys the profile lacks: ask (when `prompt`) or take the suggestions."""
    out = dict(values)
    for key, question in QUESTIONS:
        if key in out:
            continue
        default = suggested.get(key, FIELDS[key].default)
        if key == "git.name" and "user.full_name" in out and "git.name" not in suggested:
            default = out["user.full_name"]
        if prompt is None:
            out[key] = default
            continue
        for attempt in range(_ATTEMPTS):
            answer = prompt(question, _show_default(default))
            value = default if answer.strip() == "" else _parse_answer(key, answer)
            problem = check_value(key, value)
            if problem is None:
                out[key] = value
                break
            say(f"{key}: {problem}")
            if attempt == _ATTEMPTS - 1:
                raise InputError(f"{key}: no valid answer after {_ATTEMPTS} attempts")
    for key, value in suggested.items():
        out.setdefault(key, value)
    return out


@dataclass(frozen=True)
class Generation:
    profile: Profile
    plan: layout.Plan
    changes: list[writer.Change]
    old_state: writer.InitState | None
    new_state: writer.InitState

    @property
    def pending(self) -> list[writer.Change]:
        return [c for c in self.changes if c.writes]


def generate(profile: Profile, out: Path, *, hardware_config: Path | None,
             installed_state_version: str | None, force: bool = False) -> Generation:
    """Plan the output for `profile` in `out` and compare it with what is there."""
    state = writer.load_state(out)
    if state is not None:
        system_sv, home_sv = state.state_version, state.home_state_version
    else:
        existing = detect.installed_state_version(
            out / layout.host_dir(profile) / "configuration.nix")
        system_sv = existing or installed_state_version or profile.release
        _check_state_version(system_sv, profile.release)
        # Home Manager's home.stateVersion is an enum that starts at 18.09
        # (modules/misc/version.nix, release-26.05 at 65258d5c).
        home_sv = system_sv if _release_tuple(system_sv) >= (18, 9) else "18.09"
    hw_target = out / layout.hardware_path(profile)
    hw_bytes: bytes | None = None
    if not hw_target.exists() and hardware_config is not None:
        hw_bytes = _hardware_config(hardware_config)
    has_hardware = hw_target.exists() or hw_bytes is not None
    stack = (stack_containers(profile)
             if profile.podman and profile.ai_stack.enable else [])
    text = readme(profile, state_version=system_sv, has_hardware=has_hardware,
                  stack_containers=[c.name for c in stack],
                  secret_envs=[c.name for c in stack if c.secret_env])
    plan = layout.plan(profile, state_version=system_sv, home_state_version=home_sv,
                       has_hardware=has_hardware, readme=text)
    if hw_bytes is not None:
        plan.create_once[layout.hardware_path(profile)] = hw_bytes
    changes = writer.compare(out, plan, state, force=force)
    new_state = writer.next_state(plan, state, changes, state_version=system_sv,
                                  home_state_version=home_sv)
    return Generation(profile, plan, changes, state, new_state)


def _hardware_config(path: Path) -> bytes:
    """The file to copy in as hardware-configuration.nix: one `check` could analyse (not
    binary, empty, too large or unreadable) and that parses; anything else would only fail
    the first build."""
    from nqd.model.files import read_source
    from nqd.nix.parser import parse

    source, problem = read_source(path)
    if source is None:
        reason = problem.message.removesuffix(", skipped") if problem else "unreadable"
        raise InputError(f"{path}: not a usable hardware-configuration.nix ({reason})")
    parsed = parse(source.source)
    if parsed.has_errors:
        first = parsed.problems(1)[0]
        raise InputError(f"{path}: not a usable hardware-configuration.nix (line "
                         f"{first.line}: {first.message})")
    return source.source


def _release_tuple(version: str) -> tuple[int, int]:
    year, _, month = version.partition(".")
    return int(year), int(month)


def _check_state_version(state_version: str, release: str) -> None:
    """An installed stateVersion nqd keeps must look like a NixOS release (17.09, 25.05:
    YY.MM, older releases came out in March and September), and not be later than the
    release being generated (the system would be older than its own state)."""
    year, dot, month = state_version.partition(".")
    if not (dot and len(year) == 2 and year.isdigit() and month in ("03", "05", "09", "11")):
        raise InputError(f"the installed system.stateVersion {state_version!r} is not a "
                         f"NixOS release (YY.MM, e.g. 25.05): fix it in /etc/nixos first")
    if _release_tuple(state_version) > _release_tuple(release):
        raise InputError(f"the installed system.stateVersion {state_version} is later than "
                         f"NixOS {release}, the release asked for: generate for "
                         f"{state_version} or later")


def write(out: Path, generation: Generation) -> int:
    return writer.apply(out, generation.changes, generation.new_state, generation.old_state)

