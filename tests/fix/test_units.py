"""Small pieces of fix: Nix's duplicate-attribute rule, INI parsing, edit combining."""

from __future__ import annotations

from pathlib import Path

import pytest

from nqd.fix.duplicates import duplicate_paths
from nqd.fix.ini import Unconvertible, parse_git, parse_systemd, typed
from nqd.fix.plan import combine
from nqd.nix.edits import Edit, apply_edits
from nqd.nix.parser import parse
from nqd.runtime.host import LocalHost

# snippet → whether Nix's parser rejects it as a duplicate attribute
SNIPPETS = {
    "{ a = { b = 1; }; a = { c = 2; }; }": False,
    "{ a.b = 1; a = { c = 2; }; }": False,
    "{ a = rec { b = 1; }; a.c = 2; }": False,
    "{ x = { y.w = 2; }; x.y = { z = 1; }; }": False,
    "{ x.y = { z = 1; }; x.y.w = 2; }": False,
    "{ x.y = { z = 1; }; x = { w = 2; }; }": False,
    "{ x.y = { z = 1; }; x = { y.w = 2; }; }": True,
    "{ x = { y.z = 1; }; x = { y.w = 2; }; }": True,
    "{ x.y.z = 1; x = { y.w = 2; }; }": True,
    "{ a = { b = 1; }; a.b.c = 2; }": True,
    "{ a = 1; a.b = 2; }": True,
    "{ a.b = 2; a = 1; }": True,
    "{ a = x; a.c = 2; }": True,
    "{ inherit a; a = 1; }": True,
    "let a = 1; a = 2; in a": True,
    "{ x.y = { z = 1; }; x = { y.z = 2; }; }": True,
    '{ "a" = 1; a = 2; }': True,
}


@pytest.mark.parametrize(("snippet", "duplicate"), sorted(SNIPPETS.items()))
def test_duplicates_follow_nix(snippet: str, duplicate: bool, tmp_path: Path) -> None:
    assert bool(duplicate_paths(parse(snippet.encode()).root)) is duplicate
    host = LocalHost()
    if host.which("nix-instantiate") is not None:  # the rule is Nix's own: cross-check
        file = tmp_path / "s.nix"
        file.write_text(snippet)
        rejected = not host.run(["nix-instantiate", "--parse", str(file)], timeout=60).ok
        assert rejected is duplicate


def test_typed_values() -> None:
    assert [typed(v) for v in ["yes", "No", "on", "false", "5", "0", "007", "-3", "15min"]] \
        == [True, False, True, False, 5, 0, "007", -3, "15min"]


def test_systemd_ini() -> None:
    lines = parse_systemd("# c\nIdleAction=lock\n\n[Login]\nKillUserProcesses=no\n", "Login")
    assert [(line.section, line.key, line.value) for line in lines] == [
        (("Login",), None, ""), (("Login",), "IdleAction", "lock"),
        (("Login",), "KillUserProcesses", False)]
    for bad in ["IdleAction=lock\nIdleAction=ignore", "Foo", "A=b \\\n c"]:
        with pytest.raises(Unconvertible):
            parse_systemd(bad, "Login")


def test_git_ini() -> None:
    lines = parse_git('[url "git@github.com:"]\n  insteadOf = https://github.com/\n'
                      "[core]\n  bare\n")
    assert [(line.section, line.key, line.value) for line in lines] == [
        (("url", "git@github.com:"), "insteadOf", "https://github.com/"),
        (("core",), "bare", True)]
    for bad in ["x = 1", '[a]\n k = "x\\"y"', "[a]\n k = v ; comment", "[a]\nk=1\nk=2"]:
        with pytest.raises(Unconvertible):
            parse_git(bad)


def test_insertions_at_one_place_keep_their_order() -> None:
    path = Path("m.nix")
    edits = [Edit(path, 2, 2, "a"), Edit(path, 0, 1, "X"), Edit(path, 2, 2, "b")]
    assert apply_edits(b"0123", combine(edits)) == b"X1ab23"


def test_planning_does_not_import_the_runtime() -> None:
    """The static half (planning, codemods) never reaches the host seam."""
    import subprocess
    import sys

    code = ("import sys, nqd.fix.plan as p; p.codemod_modules(); "
            "print([m for m in sys.modules if m.startswith('nqd.runtime')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_a_binding_is_added_inside_a_moved_set_at_its_indentation() -> None:
    from nqd.fix.codemods.git import with_binding

    multi = "{\n  enable = true;\n  options.x = 1; # note\n}"
    assert with_binding(multi, "enableGitIntegration", "true") == \
        "{\n  enable = true;\n  options.x = 1; # note\n  enableGitIntegration = true;\n}"
    assert with_binding("{ enable = true; }", "a.b", "false") == \
        '{ enable = true; "a.b" = false; }'
    assert with_binding("{ }", "x", "1") is None  # no binding to follow
    assert with_binding("cfg.delta", "x", "1") is None  # not a literal set
