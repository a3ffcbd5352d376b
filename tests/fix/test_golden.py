"""Golden before/after files for every codemod (reviewed by hand, see golden/*/after).

Each case is planned from `before/` for 25.05 → 25.11; the result must equal `after/`
byte for byte, planning `after/` again must change nothing, the refusals are the expected
ones (left as findings, never half-converted), and every result passes
`nix-instantiate --parse`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nqd.fix.plan import plan_fixes
from nqd.knowledge.loader import KnowledgeBase
from nqd.releases import Release
from tests.fix.helpers import FROM, GOLDEN, TO, copy_tree, nix_files, nix_parse_all

# case → substrings of the reasons of the findings `fix` must leave for a person
REFUSALS: dict[str, list[str]] = {
    "rename_dotted": [],
    "rename_nested": [],
    "rename_emptied": [],
    "rename_mkif": ["does not enclose services.desktopManager.gnome.enable"],
    "hm_git": [],
    "hm_nixos_module": [],
    "hm_git_ini": ["uses string interpolation"],
    "systemd_ini": ["not a plain string", "sections other than [Manager] (Journal)"],
    "read_refs": [],
    "packages": [],  # `inherit (pkgs) noto-fonts-emoji` is not fixable: left as a finding
    "flake_inputs": [],
    "next_release": ["would define networking.wireless.userControlled twice"],
}


def releases(case: str) -> tuple[Release, Release]:
    """25.05 → 25.11 unless the case has a `releases` file ("25.11 26.05")."""
    pinned = GOLDEN / case / "releases"
    if not pinned.is_file():
        return FROM, TO
    source, target = pinned.read_text().split()
    return Release.parse(source), Release.parse(target)


def test_every_case_is_listed() -> None:
    assert sorted(p.name for p in GOLDEN.iterdir()) == sorted(REFUSALS)


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_golden(case: str, tmp_path: Path, kb: KnowledgeBase) -> None:
    before = copy_tree(GOLDEN / case / "before", tmp_path / "before")
    expected = nix_files(GOLDEN / case / "after")
    source, target = releases(case)
    plan = plan_fixes([before], source, target, kb=kb)
    result = nix_files(before)
    for change in plan.files:
        result[change.path.relative_to(before.resolve()).as_posix()] = change.after
    for name in expected:
        assert result[name].decode() == expected[name].decode(), name
    assert plan.files, "every case changes something"
    reasons = [r.reason for r in plan.refused]
    assert len(reasons) == len(REFUSALS[case]), reasons
    for wanted in REFUSALS[case]:
        assert any(wanted in reason for reason in reasons), (wanted, reasons)
    # Nothing fixed twice, nothing fixable left unmentioned.
    after = copy_tree(GOLDEN / case / "after", tmp_path / "after")
    again = plan_fixes([after], source, target, kb=kb)
    assert again.files == []
    assert len(again.refused) == len(REFUSALS[case])
    nix_parse_all(sorted(after.rglob("*.nix")) + sorted((GOLDEN / case / "before").rglob("*.nix")))


def test_golden_files_keep_state_version() -> None:
    for case in REFUSALS:
        before = GOLDEN / case / "before"
        for name, text in nix_files(before).items():
            if not name.endswith(".nix"):
                continue
            after = (GOLDEN / case / "after" / name).read_bytes()
            for line in text.decode().splitlines():
                if "stateVersion" in line:
                    assert line in after.decode().splitlines(), (case, name, line)
