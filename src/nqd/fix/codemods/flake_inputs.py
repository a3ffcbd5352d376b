"""Flake inputs pinned to the old release: `nixos-25.05` → `nixos-25.11`, `release-25.05` →
`release-25.11`.

Matches: NQD401 findings.
Why: nothing of the new release is built until the inputs point at it. The bump itself is
`nqd.analysis.flake_bump.plan_input_bumps`, the same function the upgrade's bump phase
calls; only the release number inside the URL string changes, and inputs that pin no
release (or a newer one) are left alone. `flake.lock` is not touched: `fix` prints the
`nix flake update --flake PATH` command to run next.
"""

from __future__ import annotations

from nqd.analysis.findings import Finding
from nqd.analysis.flake_bump import plan_input_bumps
from nqd.errors import NqdError
from nqd.fix.base import FileContext, Fix, Outcome, Refusal

NAME = "flake-inputs"
EXPLANATION = "move release-pinned flake inputs to the target release"


def matches(finding: Finding) -> bool:
    return finding.rule == "NQD401"


def fix(ctx: FileContext, finding: Finding) -> Outcome:
    try:
        bumps = plan_input_bumps(ctx.path, ctx.source, ctx.to_release)
    except NqdError as exc:
        return Refusal(finding, str(exc))
    start, end = finding.pos.start_byte, finding.pos.end_byte
    for bump in bumps:
        edits = tuple(e for e in bump.edits if start <= e.start and e.end <= end)
        if edits:
            return Fix(finding, edits, f"input {bump.input}: {bump.old_url} → {bump.new_url}",
                       touched=((start, end),))
    return Refusal(finding, "no release branch in this input's URL could be bumped")
