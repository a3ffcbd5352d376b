"""Property: configurations generated from the knowledge's renames are fixed completely.

Hypothesis writes a NixOS module and a Home Manager module defining a random selection of
the old option paths of every fixable `renamed-option` change (25.05 → 25.11), each path
split at random points into nested sets or dotted paths, with comments, mkForce/mkDefault
wrappers, the whole body optionally under `mkIf`/`mkMerge`, and user options that merely
share a suffix. Then: `fix --write` leaves no fixable finding for `check`, the result
parses (tree-sitter and `nix-instantiate --parse`), every value and comment survives,
stateVersion and the look-alike user options are untouched, and a second fix is a no-op.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nqd.analysis.engine import run_check
from nqd.fix.plan import plan_fixes
from nqd.knowledge.loader import KnowledgeBase
from nqd.knowledge.model import Area, Kind
from nqd.nix.parser import parse
from nqd.runtime.host import LocalHost
from tests.fix.helpers import FROM, TO
from tests.fix.kb import write_test_kb

_KB_DIR = Path(tempfile.mkdtemp(prefix="nqd-fix-kb-"))
KB = KnowledgeBase.load(write_test_kb(_KB_DIR))
RENAMES = [c for c in KB.chained(FROM, TO)
           if c.kind is Kind.RENAMED_OPTION and c.fixable and c.old and c.new]
SCALARS = ["true", '"some text"', "42", "lib.mkForce true", 'lib.mkDefault "kept"']
NIX = LocalHost().which("nix-instantiate")


def renames_of(area: Area) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    return [(tuple(c.old.split(".")), tuple(c.new.split("."))) for c in RENAMES
            if c.area is area and c.old and c.new]


def prefix_of_another(new: tuple[str, ...], chosen: list[tuple[str, ...]]) -> bool:
    return any(other != new and other[:len(new)] == new for other in chosen)


@dataclass
class Leaf:
    value: str
    comment: str | None


Trie = dict[str, Any]  # name → Trie or Leaf


def render(draw: Any, trie: Trie, indent: str) -> list[str]:
    """Bindings for `trie`: each child either nested as a set or written dotted."""
    lines: list[str] = []
    for name, child in trie.items():
        if isinstance(child, Leaf):
            if child.comment:
                lines.append(f"{indent}# {child.comment}")
            lines.append(f"{indent}{name} = {child.value};")
        elif draw(st.booleans()):
            lines.append(f"{indent}{name} = {{")
            lines.extend(render(draw, child, indent + "  "))
            lines.append(f"{indent}}};")
        else:
            for line in render(draw, child, indent):
                stripped = line.lstrip()
                if stripped.startswith("#"):
                    lines.append(line)
                elif stripped == "};" or line.startswith(indent + " "):
                    lines.append(line)  # inside a nested set below: unchanged
                else:
                    lines.append(f"{indent}{name}.{stripped}")
    return lines


@st.composite
def module(draw: Any, area: Area) -> tuple[str, list[str]]:
    """A module's text and the value/comment texts that must survive."""
    candidates = renames_of(area)
    chosen = draw(st.lists(st.sampled_from(candidates), min_size=1, unique=True))
    news = [new for _, new in candidates]  # a prefix of another new path takes a set
    trie: Trie = {}
    survivors: list[str] = []
    for number, (old, new) in enumerate(chosen):
        if prefix_of_another(new, news):  # other renames merge into this set
            value = f'{{ generated.key{number} = "v{number}"; }}'
            survivors.append(f'generated.key{number} = "v{number}";')
        else:
            value = draw(st.sampled_from(SCALARS))
            survivors.append(value)
        comment = f"note {number}" if draw(st.booleans()) else None
        survivors += [f"# {comment}"] if comment else []
        node = trie
        for part in old[:-1]:
            node = node.setdefault(part, {})
        node[old[-1]] = Leaf(value, comment)
    lookalike = f"my.{'.'.join(chosen[0][0])} = true;"
    state = "home.stateVersion" if area is Area.HOME_MANAGER else "system.stateVersion"
    body = [*render(draw, trie, "    "), f"    {lookalike}", f'    {state} = "25.05";']
    if area is Area.HOME_MANAGER:
        body.insert(0, '    home.username = "me";')
    wrapper = draw(st.sampled_from(["none", "mkIf", "mkMerge"]))
    inner = "\n".join(body)
    if wrapper == "mkIf":
        text = f"{{\n  config = lib.mkIf true {{\n{inner}\n  }};\n}}\n"
    elif wrapper == "mkMerge":
        text = f"{{\n  config = lib.mkMerge [ {{\n{inner}\n  }} ];\n}}\n"
    else:
        text = "{\n" + "\n".join(line[2:] for line in body) + "\n}\n"
    return "{ config, lib, pkgs, ... }:\n" + text, [*survivors, lookalike,
                                                    f'{state} = "25.05";']


@settings(max_examples=int(os.environ.get("NQD_FIX_PROPERTY_EXAMPLES", "30")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(nixos=module(Area.NIXOS), home=module(Area.HOME_MANAGER))
def test_fix_leaves_nothing_fixable_and_is_idempotent(
        nixos: tuple[str, list[str]], home: tuple[str, list[str]]) -> None:
    root = Path(tempfile.mkdtemp(prefix="nqd-fix-prop-"))
    try:
        files = {root / "configuration.nix": nixos, root / "home" / "home.nix": home}
        for path, (text, _) in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        before = run_check([root], FROM, TO, kb=KB)
        assert before.findings and not before.diagnostics
        plan = plan_fixes([root], FROM, TO, kb=KB)
        assert plan.refused == [], [r.reason for r in plan.refused]
        for change in plan.files:
            assert not parse(change.after).has_errors
            change.path.write_bytes(change.after)
        after = run_check([root], FROM, TO, kb=KB)
        assert [f.message for f in after.findings if f.fixable] == []
        for path, (_, survivors) in files.items():
            written = path.read_text()
            for text in survivors:
                assert text in written, (text, written)
            if NIX:
                result = LocalHost().run(["nix-instantiate", "--parse", str(path)], timeout=60)
                assert result.ok, (result.stderr, written)
        assert plan_fixes([root], FROM, TO, kb=KB).files == []
    finally:
        shutil.rmtree(root)


def test_the_knowledge_has_renames_to_generate_from() -> None:
    assert renames_of(Area.NIXOS) and renames_of(Area.HOME_MANAGER)
