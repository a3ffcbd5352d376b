"""Run every rule over a configuration model for a release pair."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from nqd.analysis.context import RuleContext, no_history
from nqd.analysis.findings import Finding, Rule
from nqd.analysis.releases import DetectedRelease, detect_release
from nqd.analysis.rules import RULE_MODULES
from nqd.errors import ExitCode, InputError, NqdError, UsageError
from nqd.knowledge.loader import KnowledgeBase
from nqd.knowledge.model import Change, Kind
from nqd.model.builder import build_model
from nqd.model.facts_cache import FactsCache
from nqd.model.files import discover, read_source
from nqd.model.interest import Interest
from nqd.model.pins import read_pins
from nqd.model.types import ConfigModel, Diagnostic, PinnedSource
from nqd.modules import load_modules
from nqd.releases import Release, hops


@dataclass(frozen=True)
class CheckResult:
    findings: tuple[Finding, ...]
    diagnostics: tuple[Diagnostic, ...]  # input problems that are not findings
    from_release: Release
    to_release: Release
    release_source: str
    model: ConfigModel
    rules: tuple[Rule, ...]


NOTHING_TO_CHECK = "nothing-to-check"  # the diagnostic code of `NothingToCheck.as_result`


class NothingToCheck(NqdError):
    """The configuration is on the newest release nqd knows: not an error (exit 0)."""

    exit_code = ExitCode.OK

    def __init__(self, message: str, release: Release, target: Release,
                 release_source: str) -> None:
        super().__init__(message)
        self.release, self.target, self.release_source = release, target, release_source

    def as_result(self, paths: Sequence[Path]) -> CheckResult:
        """An empty check of `paths` that says why, for reports that must still be
        documents (`--format json`, `sarif`, `markdown`, `--output`)."""
        roots = [Path(p) for p in paths]
        return CheckResult(
            findings=(),
            diagnostics=(Diagnostic(NOTHING_TO_CHECK, str(self), roots[0]),),
            from_release=self.release, to_release=self.target,
            release_source=self.release_source, model=ConfigModel(roots=roots),
            rules=tuple(rule for module in rule_modules() for rule in module.RULES))


def rule_modules() -> list[ModuleType]:
    return load_modules("nqd.analysis.rules", RULE_MODULES)


def _flakes_model(files: Sequence[Path]) -> ConfigModel:
    """The flake.nix files among `files` (and their flake.lock) alone, for release
    detection: their inputs are all it needs."""
    return build_model([f for f in files if f.name == "flake.nix"], follow_imports=False)


def _pinning_model(files: Sequence[Path]) -> ConfigModel:
    """The `.nix` files that may pin a release outside flakes and niv/npins (they name
    `fetchTarball`, `fetchGit` or `autoUpgrade`), for release detection."""
    wanted = (b"fetchTarball", b"fetchGit", b"autoUpgrade")
    pinning = []
    for path in files:
        source, _ = read_source(path)
        if source is not None and any(word in source.source for word in wanted):
            pinning.append(path)
    return build_model(pinning, follow_imports=False)


def _knows(kb: KnowledgeBase, source: Release, target: Release) -> bool:
    known = set(kb.known_pairs())
    return all((str(a), str(b)) in known for a, b in hops(source, target))


def interest_of(changes: Iterable[Change], modules: Iterable[ModuleType]) -> Interest | None:
    """Every name the rules can look for: the knowledge's old option paths (all their parts)
    and condition paths, each old package name, and each rule's own `INTEREST`. None
    (extract everything) if a rule does not declare its interest."""
    names: set[str] = set()
    option_paths: set[str] = set()
    for module in modules:
        declared = getattr(module, "INTEREST", None)
        if declared is None:
            return None
        names |= declared
    for change in changes:
        mentioned = [change.old] if change.old else []
        if change.condition is not None:
            mentioned += [*change.condition.requires, *change.condition.unset]
        for path in mentioned:
            if change.kind in (Kind.RENAMED_PACKAGE, Kind.REMOVED_PACKAGE):
                names.add(path.split(".")[-1])
            else:
                option_paths.add(path)
    return Interest.of(names, option_paths)


def run_check(
    paths: Sequence[Path],
    from_release: Release | None = None,
    to_release: Release | None = None,
    *,
    kb: KnowledgeBase | None = None,
    previous_text: Callable[[Path], bytes | None] | None = None,
    jobs: int | None = None,
    prefilter: bool = True,
    cache: bool = False,
) -> CheckResult:
    """Check `paths` for the move from `from_release` (default: detected) to `to_release`
    (default: the next release). `cache`: reuse and update the facts cache
    (`nqd.model.facts_cache`)."""
    kb = kb or KnowledgeBase.load()
    modules = rule_modules()
    discovered = discover(list(paths))  # once: release detection and the model share it
    pins, pin_problems = read_pins(paths)
    if from_release is None:
        detected = _detected(discovered[0], pins, pin_problems)
    else:
        detected = DetectedRelease(from_release, "--from")
    if detected.target is not None and to_release is None \
            and not _knows(kb, detected.release, detected.target):
        detected = _from_oldest_known(kb, detected)
    source = detected.release
    target = to_release or detected.target or source.next()
    if target <= source:
        raise UsageError(f"--to {target} must be a later release than {source}")
    newest = max((Release.parse(b) for _, b in kb.known_pairs()), default=None)
    if to_release is None and detected.target is None and newest is not None \
            and source >= newest:
        raise NothingToCheck(f"this configuration is on NixOS {source} ({detected.source}), "
                             f"the newest release nqd knows: nothing to check until nqd knows "
                             f"{target}", source, target, detected.source)
    try:
        changes = tuple(kb.chained(source, target))
    except InputError as exc:  # a release nqd knows nothing about: say where it came from
        if from_release is not None:
            raise
        raise InputError(f"{exc}; {source} is from {detected.source}") from None
    interest = interest_of(changes, modules) if prefilter else None
    facts_cache = FactsCache.open(paths, interest) if cache else None
    model = build_model(paths, jobs=jobs, interest=interest, cache=facts_cache,
                        discovered=discovered)
    if not model.files:
        raise InputError(_nothing_analysed(paths, model.diagnostics))
    model.pinned_sources.extend(pins)
    model.diagnostics.extend(pin_problems)
    if from_release is not None:
        model.diagnostics.extend(_release_differs(model, pins, from_release, paths))
    context = RuleContext(model=model, from_release=source, to_release=target, changes=changes,
                          previous_text=previous_text or no_history)
    settled = frozenset(change_id for module in modules if hasattr(module, "settles")
                        for change_id in module.settles(context))
    findings = _dedupe((f for module in modules for f in module.check(context)), settled)
    finding_codes = {"syntax-error", "missing-import", "import-cycle"}
    return CheckResult(
        findings=tuple(sorted(findings, key=lambda f: f.sort_key)),
        diagnostics=tuple(d for d in model.diagnostics if d.code not in finding_codes),
        from_release=source,
        to_release=target,
        release_source=detected.source,
        model=model,
        rules=tuple(rule for module in modules for rule in module.RULES),
    )


def _detected(files: Sequence[Path], pins: list[PinnedSource],
              pin_problems: list[Diagnostic]) -> DetectedRelease:
    """The release the configuration pins; when none can be told, the error also names the
    pin and lock files that could not be read (they may be why)."""
    flakes = _flakes_model(files)
    try:
        return detect_release(flakes, pins=pins, pinning_files=lambda: _pinning_model(files))
    except UsageError as exc:
        unread = [*pin_problems, *(d for d in flakes.diagnostics if d.code == "bad-lock")]
        if not unread:
            raise
        why = "; ".join(f"{d.path}: {d.message}" for d in unread)
        raise UsageError(f"{exc} (could not read: {why})") from None


def _from_oldest_known(kb: KnowledgeBase, detected: DetectedRelease) -> DetectedRelease:
    """flake.lock is older than any release nqd knows (still 24.11 while the inputs say
    25.05 or, after a fix, 25.11): the upgrade runs from the oldest release nqd knows, so
    that a second `fix` finishes it instead of starting the next one."""
    assert detected.target is not None
    oldest = min((Release.parse(a) for a, _ in kb.known_pairs()), default=detected.target)
    start = max(oldest, detected.release)
    note = f"{detected.source}; nqd knows nothing before {start}"
    return DetectedRelease(start, note, target=detected.target) \
        if start < detected.target else DetectedRelease(detected.target, note)


def _nothing_analysed(paths: Sequence[Path], diagnostics: Sequence[Diagnostic]) -> str:
    where = ", ".join(str(p) for p in paths)
    if not diagnostics:
        return f"no .nix files to check in {where}"
    first = diagnostics[0]
    more = f" (and {len(diagnostics) - 1} more)" if len(diagnostics) > 1 else ""
    return f"no .nix file in {where} could be analysed: {first.path}: {first.message}{more}"


def _release_differs(model: ConfigModel, pins: list[PinnedSource], given: Release,
                     paths: Sequence[Path]) -> list[Diagnostic]:
    """A note when `--from` names another release than the configuration pins (its flake
    inputs, flake.lock, niv/npins; the running system does not count): the findings are
    for the release asked for, which may not be the one to upgrade from."""
    try:
        pinned = detect_release(model, os_release=None, pins=pins)
    except NqdError:
        return []
    if pinned.release == given:
        return []
    return [Diagnostic("release-differs", f"--from {given} was given, but the "
                                          f"configuration pins {pinned.release} "
                                          f"({pinned.source})", Path(paths[0]))]


_GENERIC_RULES = frozenset({"NQD701", "NQD702", "NQD703"})


def _dedupe(findings: Iterable[Finding], settled: frozenset[str]) -> list[Finding]:
    """Drop repeats, and generic changed-default/behaviour notes at a place where a
    dedicated rule already says more, or about a change a dedicated rule settled."""
    materialised = list(findings)
    specific = {(f.pos.path, f.pos.start_byte) for f in materialised
                if f.rule not in _GENERIC_RULES}
    seen: set[tuple[Path, int, int, str, str | None]] = set()
    out = []
    for finding in materialised:
        if finding.rule in _GENERIC_RULES and (
                (finding.pos.path, finding.pos.start_byte) in specific
                or (finding.change is not None and finding.change.id in settled)):
            continue
        key = (finding.pos.path, finding.pos.start_byte, finding.pos.end_byte, finding.rule,
               finding.change.id if finding.change else finding.message)
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return out
