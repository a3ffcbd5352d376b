"""The markdown upgrade report: findings plus the migration checklist of the research
document, corrected, with the items this check verified marked done."""

from __future__ import annotations

from itertools import groupby

from nqd.analysis.engine import NOTHING_TO_CHECK, CheckResult
from nqd.model.types import Context
from nqd.report.common import display_path, summary


def _box(done: bool) -> str:
    return "[x]" if done else "[ ]"


def render(result: CheckResult) -> str:
    nothing = [d.message for d in result.diagnostics if d.code == NOTHING_TO_CHECK]
    if nothing:
        return (f"# NixOS upgrade report: {result.from_release} → {result.to_release}\n\n"
                f"Nothing to check: {nothing[0]}.\n")
    counts = summary(result)
    rules_hit = {f.rule for f in result.findings}
    source, target = result.from_release, result.to_release
    lines = [
        f"# NixOS upgrade report: {source} → {target}",
        "",
        f"Release detected from {result.release_source}. "
        f"{counts['files']} files checked: **{counts['error']} errors**, "
        f"{counts['warning']} warnings, {counts['info']} info; "
        f"{counts['fixable']} fixable with `nqd fix --write`.",
        "",
        "## Findings",
        "",
    ]
    if not result.findings:
        lines.append("None.")
    for path, group in groupby(result.findings, key=lambda f: f.pos.path):
        lines.append(f"### `{display_path(path)}`")
        lines.append("")
        lines.append("| Line | Severity | Rule | Finding | Fix |")
        lines.append("|---:|---|---|---|---|")
        for f in group:
            fix = "`nqd fix`" if f.fixable else (f.fix_note or "by hand").replace("|", "\\|")
            message = f.message.replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {f.pos.line} | {f.severity.value} | {f.rule} | {message} | {fix} |")
        lines.append("")
    state_versions = [result.model.state_version(c) for c in (Context.NIXOS, Context.HOME_MANAGER)]
    kept = ", ".join(f"`{opt.dotted} = \"{value}\"`" for value, opt in
                     (sv for sv in state_versions if sv)) or "none found"
    no_errors = counts["error"] == 0
    lines += [
        "## Migration checklist",
        "",
        "Items marked done were verified by this check; the others are for you or "
        "`nqd upgrade`.",
        "",
        "### Before the upgrade",
        "",
        "- [ ] Back up what an upgrade can lose: `nqd backup create` (the flake, `/etc/nixos`, "
        "the sops/age key `~/.config/sops/age/keys.txt`, container data, a PostgreSQL dump and "
        "the Redis RDB/AOF), then `nqd backup verify`.",
        "- [ ] Record a health baseline: `nqd health --save baseline.json`.",
        "- [ ] Commit the flake's git tree, so that every change below is reviewable.",
        "",
        "### Configuration updates",
        "",
        f"- {_box(not rules_hit & {'NQD401', 'NQD402', 'NQD403'})} Flake inputs moved to "
        f"`nixos-{target}` and `release-{target}` (nixpkgs and Home Manager together), then "
        "`nix flake update --flake PATH` (the path goes after `--flake`); without a flake, "
        "niv's or npins' pins moved with their own tool, and Home Manager's `fetchTarball` "
        "URL and `system.autoUpgrade.channel` moved with the system.",
        f"- {_box('NQD501' not in rules_hit)} `stateVersion` left unchanged ({kept}). Never "
        f"raise it on an upgrade: it keeps the stateful defaults of the first install (for "
        f"example PostgreSQL 17 is the default only for stateVersion >= 25.11 and cannot read "
        f"an older data directory without a migration).",
        f"- {_box(not rules_hit & {'NQD101', 'NQD103', 'NQD111'})} Renamed options updated "
        "(`nqd fix --write` applies the mechanical ones).",
        f"- {_box(not rules_hit & {'NQD102', 'NQD104', 'NQD112', 'NQD202'})} Removed options, "
        "modules and packages replaced.",
        f"- {_box('NQD201' not in rules_hit)} Renamed packages updated.",
        f"- {_box('NQD601' not in rules_hit)} NetworkManager VPN plugins listed in "
        "`networking.networkmanager.plugins` (there is no `vpnPlugins`).",
        f"- {_box(no_errors)} No finding that fails evaluation remains.",
        "",
        "### Upgrade",
        "",
        f"- [ ] `nqd upgrade --to {target} --flake PATH` (or by hand: "
        "`nixos-rebuild build --flake PATH#HOST`, review `nix store diff-closures`, then "
        "`nixos-rebuild switch --flake PATH#HOST`).",
        "",
        "### After the upgrade",
        "",
        "- [ ] `nqd health --compare baseline.json`: no regression (services, containers, "
        "PostgreSQL, Redis, HTTP endpoints, Python modules).",
        "- [ ] Versions as expected: `uname -r`, `gcc --version`, `python3 --version`.",
        "- [ ] Rootless containers running: `podman ps --all` as their user.",
        "",
        "### If something regressed",
        "",
        "- System: `nqd rollback` (or `sudo nixos-rebuild switch --rollback` when the previous "
        "generation is the one recorded before the switch).",
        "- Home Manager: run the recorded generation's `activate` script "
        "(`home-manager generations` lists them; there is no `--switch-generation` flag).",
        "",
    ]
    return "\n".join(lines)
