"""`nqd check` (the static half) on each generated profile.

Asserted, for the output generated for release R:
- checked as an upgrade INTO R and into every earlier release nqd knows (`--from A --to
  A.next()` for each known hop up to R, one hop at a time: a multi-hop check currently
  folds the 25.11 GNOME rename into a behaviour note, see docs/init.md): no finding of any
  rule about options, modules, packages, reads, syntax, imports, NetworkManager VPN plugins
  or stateful images (NQD0xx-NQD3xx, NQD6xx); i.e. nothing we emit was renamed or removed
  by R or an earlier release. Allowed: NQD501 (stateVersion R is "newer" than the
  pretended old release, an artefact of this check) and NQD70x notes on behaviour.
- checked as the current state (`--from R --to R.next()`, where nqd has that knowledge):
  no error; warnings only NQD401 (the flake must be bumped to upgrade, by definition) and
  NQD70x behaviour notes for the next release; again no option/package finding.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nqd.knowledge.loader import KnowledgeBase
from nqd.releases import Release
from tests.init.conftest import GOLDEN_PROFILES, PROFILES, RunInit, init_args

FORBIDDEN_PREFIXES = ("NQD0", "NQD1", "NQD2", "NQD3", "NQD6")


def _check(out: Path, source: Release, target: Release, capsys: pytest.CaptureFixture[str]
           ) -> list[dict[str, object]]:
    from nqd.cli import main

    code = main(["check", str(out), "--from", str(source), "--to", str(target), "--no-git",
                 "--format", "json"])
    captured = capsys.readouterr()
    assert code in (0, 1), captured.err
    report = json.loads(captured.out)
    findings: list[dict[str, object]] = report["findings"]
    return findings


def _known(source: Release, target: Release) -> bool:
    return (str(source), str(target)) in KnowledgeBase.load().known_pairs()


def _oldest() -> Release:
    return min(Release.parse(source) for source, _ in KnowledgeBase.load().known_pairs())


@pytest.mark.parametrize("name", sorted(GOLDEN_PROFILES))
def test_generated_output_passes_nqd_check(name: str, tmp_path: Path, run_init: RunInit,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert run_init(*init_args(name, out))[0] == 0
    release = Release.parse((PROFILES / f"{name}.toml").read_text()
                            .split('release = "')[1][:5])
    checked_hops = 0
    hop = _oldest()
    while hop < release:
        checked_hops += 1
        for finding in _check(out, hop, hop.next(), capsys):
            rule = str(finding["rule"])
            assert not rule.startswith(FORBIDDEN_PREFIXES), finding
            assert rule == "NQD501" or rule.startswith("NQD70"), finding
        hop = hop.next()
    if _known(release, release.next()):
        checked_hops += 1
        for finding in _check(out, release, release.next(), capsys):
            rule = str(finding["rule"])
            assert finding["severity"] != "error", finding
            assert not rule.startswith(FORBIDDEN_PREFIXES), finding
            if finding["severity"] == "warning":
                assert rule == "NQD401" or rule.startswith("NQD70"), finding
    assert checked_hops >= 1
