"""Findings → edits: run the codemods until nothing fixable is left (static, no writes).

Each round runs `check` on a scratch copy of the configuration, asks the codemods for the
edits of every finding they own, and accepts those that do not collide (overlapping
bytes, or two renames where one new path is a prefix of the other: the second waits a
round so that it merges into the set the first created). The accepted edits are applied
to the scratch copy, every edited file must still parse, and the next round sees the
result. It stops when a round accepts nothing, so the plan is idempotent: planning the
planned files again yields no edits. The user's files are never written here.
"""

from __future__ import annotations

import importlib
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType

from nqd.analysis.engine import CheckResult, run_check
from nqd.analysis.findings import Finding
from nqd.fix.base import FileContext, Fix, Outcome, Refusal
from nqd.fix.codemods import CODEMODS
from nqd.fix.duplicates import duplicate_paths
from nqd.fix.prune import prune_emptied_sets
from nqd.fix.text import past_double_blank
from nqd.knowledge.loader import KnowledgeBase
from nqd.model.types import Diagnostic, Span
from nqd.nix.edits import Edit, OverlappingEdits, apply_edits
from nqd.nix.parser import parse
from nqd.releases import Release

MAX_ROUNDS = 8
_STATE_VERSIONS = (("system", "stateVersion"), ("home", "stateVersion"))


@dataclass(frozen=True)
class FileChange:
    path: Path
    before: bytes
    after: bytes


@dataclass(frozen=True)
class Applied:
    path: Path
    rule: str
    description: str


@dataclass
class FixPlan:
    """What `fix` would do: the new text of each file, and what is left for a person."""

    from_release: Release
    to_release: Release
    release_source: str
    files: list[FileChange] = field(default_factory=list)
    applied: list[Applied] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)  # fixable, but not mechanically
    manual: list[Finding] = field(default_factory=list)  # no mechanical fix exists
    flake_dirs: list[Path] = field(default_factory=list)  # inputs bumped: lock to update
    diagnostics: tuple[Diagnostic, ...] = ()  # files that could not be analysed


def codemod_modules() -> list[ModuleType]:
    return [importlib.import_module(f"nqd.fix.codemods.{name}") for name in CODEMODS]


def plan_fixes(
    paths: Sequence[Path],
    from_release: Release | None = None,
    to_release: Release | None = None,
    *,
    only: Sequence[str] = (),
    kb: KnowledgeBase | None = None,
) -> FixPlan:
    """Plan every mechanical fix for the configuration at `paths` (nothing is written)."""
    kb = kb or KnowledgeBase.load()
    # An upgrade whose inputs were already moved (flake.lock not updated yet) is continued,
    # not restarted: release detection sees it (nqd.analysis.releases).
    first = run_check(paths, from_release, to_release, kb=kb)
    originals = {p: f.source for p, f in first.model.files.items()}
    plan = FixPlan(first.from_release, first.to_release, first.release_source,
                   diagnostics=first.diagnostics)
    with tempfile.TemporaryDirectory(prefix="nqd-fix-") as scratch:
        shadow = _Shadow(Path(scratch).resolve(), [Path(p).resolve() for p in paths], originals)
        texts = dict(originals)
        result = run_check(shadow.roots, first.from_release, first.to_release, kb=kb)
        modules = codemod_modules()
        for _ in range(MAX_ROUNDS):
            outcomes = _outcomes(result, modules, only)
            accepted, _ = _accept(result, outcomes, texts, shadow)
            if not accepted:
                break
            for fix in accepted:
                original = shadow.original(fix.finding.pos.path)
                plan.applied.append(Applied(original, fix.finding.rule, fix.description))
                if fix.finding.rule == "NQD401" and original.parent not in plan.flake_dirs:
                    plan.flake_dirs.append(original.parent)
            shadow.write(texts)
            result = run_check(shadow.roots, first.from_release, first.to_release, kb=kb)
        final = _outcomes(result, modules, only)
        left, rejected = _accept(result, final, dict(texts), shadow)
        refused = [o for o in final if isinstance(o, Refusal)] + rejected + [
            Refusal(f.finding, "not applied: the planner stopped after "
                               f"{MAX_ROUNDS} rounds; run fix again") for f in left]
        plan.refused = [replace(r, finding=shadow.unshadow(r.finding)) for r in refused]
        handled = {id(o.finding) for o in final}
        plan.manual = [shadow.unshadow(f) for f in result.findings
                       if id(f) not in handled and _selected(f, only)]
    # Findings in files that are no Nix (niv's and npins' pins): their tools move them.
    plan.manual += [f for f in first.findings
                    if f.pos.path not in originals and _selected(f, only)]
    plan.files = [FileChange(p, originals[p], texts[p]) for p in sorted(texts)
                  if texts[p] != originals[p]]
    return plan


def _selected(finding: Finding, only: Sequence[str]) -> bool:
    if not only:
        return True
    keys = {finding.rule, finding.rule_name, finding.change.id if finding.change else ""}
    return bool(keys & set(only))


def _outcomes(result: CheckResult, modules: list[ModuleType],
              only: Sequence[str]) -> list[Outcome]:
    contexts: dict[Path, FileContext] = {}
    out: list[Outcome] = []
    for finding in result.findings:
        if not _selected(finding, only):
            continue
        module = next((m for m in modules if m.matches(finding)), None)
        if module is None:
            continue
        path = finding.pos.path
        file_model = result.model.files.get(path)
        if file_model is None:
            continue
        if path not in contexts:
            contexts[path] = FileContext(path, file_model.source, parse(file_model.source).root,
                                         file_model, result.to_release)
        out.append(module.fix(contexts[path], finding))
    return out


def _accept(result: CheckResult, outcomes: list[Outcome], texts: dict[Path, bytes],
            shadow: _Shadow) -> tuple[list[Fix], list[Refusal]]:
    """Choose the fixes of this round that do not collide; update `texts` with them.

    Also returns the fixes that can never apply (they touch a stateVersion, overlap
    each other's bytes, would leave the file unparsable or define an attribute twice)."""
    accepted: list[Fix] = []
    rejected: list[Refusal] = []
    by_file: dict[Path, list[Fix]] = {}
    for outcome in outcomes:
        if isinstance(outcome, Fix):
            by_file.setdefault(outcome.finding.pos.path, []).append(outcome)
    for path, fixes in by_file.items():
        source = result.model.files[path].source
        protected = _state_version_spans(result, path)
        existing = duplicate_paths(parse(source).root)
        chosen: list[Fix] = []
        edits: list[Edit] = []
        fixes.sort(key=lambda f: (min((len(p) for p in f.new_paths), default=0),
                                  f.finding.pos.start_byte))
        for fix in fixes:
            if _touches(fix.edits, protected):
                rejected.append(Refusal(fix.finding, "nqd never changes stateVersion"))
                continue
            if _collides(fix, chosen):
                continue
            try:
                text = apply_edits(source, combine([*edits, *fix.edits]))
            except (OverlappingEdits, ValueError) as exc:
                if not chosen:
                    rejected.append(Refusal(fix.finding, f"conflicting edits: {exc}"))
                continue
            parsed = parse(text)
            if parsed.has_errors:
                rejected.append(Refusal(fix.finding, "the edited file would not parse; "
                                                     "please report this as a bug"))
                continue
            twice = duplicate_paths(parsed.root) - existing
            if twice:
                shown = ", ".join(".".join(p) for p in sorted(twice))
                rejected.append(Refusal(fix.finding, f"the fix would define {shown} twice "
                                                     f"in this file: merge by hand"))
                continue
            chosen.append(fix)
            edits.extend(fix.edits)
        if chosen:
            texts[shadow.original(path)] = prune_emptied_sets(
                path, source, apply_edits(source, tidy_deletions(source, combine(edits))))
            accepted.extend(chosen)
    return accepted, rejected


def combine(edits: Sequence[Edit]) -> list[Edit]:
    """Edits with insertions at the same place joined in order (so their order is fixed)."""
    out: list[Edit] = []
    inserts: dict[tuple[Path, int], int] = {}
    for edit in edits:
        key = (edit.path, edit.start)
        if edit.start == edit.end and key in inserts:
            index = inserts[key]
            out[index] = replace(out[index], replacement=out[index].replacement
                                 + edit.replacement)
            continue
        if edit.start == edit.end:
            inserts[key] = len(out)
        out.append(edit)
    return out


def tidy_deletions(source: bytes, edits: Sequence[Edit]) -> list[Edit]:
    """Deletions that meet (bindings removed one after another) become one; when the whole
    lines it removes sat between two blank lines, one blank line goes too, as it does for a
    single binding (`relocate.removal_span`): no double blank line is left behind."""
    deletions = sorted((e for e in edits if e.replacement == "" and e.end > e.start),
                       key=lambda e: e.start)
    others = [e for e in edits if not (e.replacement == "" and e.end > e.start)]
    merged: list[Edit] = []
    for edit in deletions:
        if merged and merged[-1].end == edit.start:
            merged[-1] = replace(merged[-1], end=edit.end)
        else:
            merged.append(edit)
    tidied = []
    for edit in merged:
        start, end = edit.start, edit.end
        whole_lines = (start == 0 or source[start - 1] == 0x0A) and source[end - 1] == 0x0A
        stop = past_double_blank(source, start, end) if whole_lines else end
        if stop > end and not any(end <= other.start <= stop for other in others):
            edit = replace(edit, end=stop)
        tidied.append(edit)
    return [*others, *tidied]


def _collides(fix: Fix, chosen: list[Fix]) -> bool:
    for other in chosen:
        if any(a[0] < b[1] and b[0] < a[1] for a in fix.touched for b in other.touched):
            return True
        for mine in fix.new_paths:
            for theirs in other.new_paths:
                n = min(len(mine), len(theirs))
                if mine[:n] == theirs[:n] and fix.finding.context == other.finding.context:
                    return True
    return False


def _state_version_spans(result: CheckResult, path: Path) -> list[Span]:
    return [o.binding_span for o in result.model.files[path].options
            if tuple(o.path[-2:]) in _STATE_VERSIONS]


def _touches(edits: Sequence[Edit], spans: list[Span]) -> bool:
    return any(e.start < end and start < max(e.end, e.start + 1)
               for e in edits for start, end in spans)


class _Shadow:
    """A scratch copy of the configuration's files, laid out as the originals."""

    def __init__(self, directory: Path, roots: list[Path], files: dict[Path, bytes]) -> None:
        self.directory = directory
        self.base = Path(os.path.commonpath([*roots, *files]))
        if self.base in files:  # a single file
            self.base = self.base.parent
        self.to_original: dict[Path, Path] = {}
        for path in files:
            self.to_original[self.shadow(path)] = path
        self.write(files)
        for path in files:
            lock = path.parent / "flake.lock"
            if path.name == "flake.nix" and lock.is_file():
                shutil.copyfile(lock, self.shadow(lock))
        self.roots = [self.shadow(r) for r in roots]

    def shadow(self, path: Path) -> Path:
        return self.directory / path.relative_to(self.base)

    def original(self, path: Path) -> Path:
        return self.to_original.get(path, path)

    def write(self, texts: dict[Path, bytes]) -> None:
        for path, text in texts.items():
            target = self.shadow(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text)

    def unshadow(self, finding: Finding) -> Finding:
        original = self.original(finding.pos.path)
        message = finding.message.replace(str(self.directory), str(self.base))
        return replace(finding, pos=replace(finding.pos, path=original), message=message)
