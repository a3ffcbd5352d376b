"""Scan source trees, diff OLD against NEW, and build a knowledge data file.

Only facts that are new in NEW are emitted (a rename that already existed in OLD is not a
change of this release pair). Output is deterministic: changes sorted by id, keys sorted.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nqd.errors import InputError
from nqd.knowledge.extract.aliases import PackageFact, extract_aliases
from nqd.knowledge.extract.options import OptionFact, Skipped, extract_options
from nqd.runtime.host import Host, LocalHost

EXTRACTOR_VERSION = "2"
NIXPKGS = "NixOS/nixpkgs"
HOME_MANAGER = "nix-community/home-manager"
ALIAS_FILES = {
    "pkgs/top-level/aliases.nix": "",
    "pkgs/top-level/python-aliases.nix": "python3Packages.",
}


MANIFEST = ".nqd-sources.json"


@dataclass(frozen=True)
class Tree:
    """A source tree: its root directory, GitHub repository and commit (if known).

    A partial tree assembled from single files (a "mini tree") carries a manifest,
    `.nqd-sources.json`: `{"files": {"<path>": {"repo": "owner/name", "commit": "<sha>"}}}`,
    giving each file's own origin; evidence then cites that file's repository and commit.
    """

    root: Path
    repo: str
    commit: str | None
    ref: str  # used in URLs when the commit is unknown, e.g. "nixos-25.11"
    file_origins: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def is_mini(self) -> bool:
        return (self.root / MANIFEST).is_file()

    def origin(self, path: str) -> tuple[str, str | None]:
        """(repository, commit) of one file of the tree."""
        if path in self.file_origins:
            return self.file_origins[path]
        return self.repo, self.commit


def load_manifest(root: Path) -> dict[str, tuple[str, str]]:
    """Per-file origins of a mini tree (empty when the tree has no manifest)."""
    path = root / MANIFEST
    if not path.is_file():
        return {}
    try:
        raw = json.loads(path.read_bytes())
        origins = {
            name: (str(entry["repo"]), str(entry["commit"]))
            for name, entry in raw["files"].items()
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"invalid {path}: {exc}") from None
    return origins


@dataclass
class Extraction:
    tree: Tree
    options: list[OptionFact] = field(default_factory=list)
    packages: list[PackageFact] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    files: int = 0


def git_commit(root: Path, host: Host | None = None) -> str | None:
    """`git -C ROOT rev-parse HEAD` when ROOT is a git checkout, else None."""
    if not (root / ".git").exists():
        return None
    result = (host or LocalHost()).run(["git", "-C", str(root), "rev-parse", "HEAD"], timeout=30)
    commit = result.stdout.strip()
    return commit if result.ok and len(commit) == 40 else None


def _nix_files(directory: Path) -> Iterable[Path]:
    if directory.is_dir():
        yield from sorted(p for p in directory.rglob("*.nix") if p.is_file())


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None


def scan(tree: Tree) -> Extraction:
    """Collect option facts (and, for nixpkgs, alias facts) from a tree."""
    if not tree.root.is_dir():
        raise InputError(f"source tree {tree.root} is not a directory")
    out = Extraction(tree)
    module_dir = "nixos/modules" if tree.repo == NIXPKGS else "modules"
    for path in _nix_files(tree.root / module_dir):
        rel = path.relative_to(tree.root).as_posix()
        out.files += 1
        facts, skipped = extract_options(_read(path), rel)
        out.options.extend(facts)
        out.skipped.extend(skipped)
    if tree.repo == NIXPKGS:
        for rel, prefix in ALIAS_FILES.items():
            path = tree.root / rel
            if path.is_file():
                out.files += 1
                packages, skipped = extract_aliases(_read(path), rel, prefix)
                out.packages.extend(packages)
                out.skipped.extend(skipped)
    if out.files == 0 and not tree.is_mini:
        raise InputError(f"no Nix sources found under {tree.root} (expected {module_dir}/)")
    return out


def _option_key(fact: OptionFact) -> tuple[str, str | None]:
    return (fact.kind, fact.new)


def new_facts(old: Extraction, new: Extraction) -> tuple[list[OptionFact], list[PackageFact]]:
    """Facts of NEW whose (old name, kind, new name) did not exist in OLD."""
    old_options = {(f.old, *_option_key(f)) for f in old.options}
    old_packages = {(f.old, f.kind, f.new) for f in old.packages}
    options = [f for f in new.options if (f.old, *_option_key(f)) not in old_options]
    packages = [f for f in new.packages if (f.old, f.kind, f.new) not in old_packages]
    return options, packages


def evidence(tree: Tree, path: str, line: int) -> dict[str, Any]:
    repo, commit = tree.origin(path)
    ref = commit or tree.ref
    item: dict[str, Any] = {
        "url": f"https://github.com/{repo}/blob/{ref}/{path}#L{line}",
        "repo": repo,
        "path": path,
        "line": line,
    }
    if commit:
        item["commit"] = commit
    return item


def option_change(fact: OptionFact, area: str, tree: Tree) -> dict[str, Any]:
    old, new = fact.old, fact.new
    change: dict[str, Any] = {
        "id": f"{area}:{fact.kind}:{old}",
        "area": area,
        "kind": fact.kind,
        "old": old,
        "new": new,
        "evidence": [evidence(tree, fact.path, fact.line)],
        "tags": [f"source:{fact.function}"],
    }
    if fact.kind == "renamed-option":
        if fact.function == "mkRenamedOptionModule":
            note = "The old name still evaluates, with a warning."
        else:
            note = "The old name is still accepted without a warning for now."
        change["message"] = f"`{old}` has been renamed to `{new}`. {note}"
        change["migration"] = f"Use `{new}` instead of `{old}`."
        change["fixable"] = True
        if fact.silent:
            change["silent"] = True
        if fact.since_release is not None:
            change["tags"].append(f"since-release:{fact.since_release}")
    elif fact.kind in ("removed-option", "removed-module"):
        what = "The module" if fact.kind == "removed-module" else "The option"
        change["message"] = f"{what} `{old}` has been removed." + (
            f" {fact.message}" if fact.message else ""
        )
        change["migration"] = fact.message or f"Remove the definitions of `{old}`."
        change["fixable"] = False
    else:
        if fact.merged_from:
            others = ", ".join(f"`{o}`" for o in fact.merged_from if o != old)
            change["message"] = f"`{old}` has been merged with {others} into `{new}`."
        else:
            change["message"] = f"`{old}` has been replaced by `{new}` with a converted value."
        change["migration"] = f"Define `{new}` instead of `{old}`, converting the value."
        change["fixable"] = False
        if fact.transform:
            change["transform"] = fact.transform
    return change


def package_change(fact: PackageFact, tree: Tree) -> dict[str, Any]:
    change: dict[str, Any] = {
        "id": f"nixpkgs:{fact.kind}:{fact.old}",
        "area": "nixpkgs",
        "kind": fact.kind,
        "old": fact.old,
        "new": fact.new,
        "evidence": [evidence(tree, fact.path, fact.line)],
    }
    if fact.kind == "renamed-package":
        change["message"] = f"Package `{fact.old}` has been renamed to `{fact.new}`." + (
            f" {fact.warning}" if fact.warning else ""
        )
        change["migration"] = f"Use `{fact.new}` instead of `{fact.old}`."
        change["fixable"] = True
    else:
        change["message"] = f"Package `{fact.old}` has been removed." + (
            f" {fact.message}" if fact.message else ""
        )
        if fact.new:  # the throw names what the alias pointed to: a mechanical replacement
            change["migration"] = f"Use `{fact.new}` instead of `{fact.old}`."
            change["fixable"] = True
        else:
            change["migration"] = fact.message or f"Remove `{fact.old}` or find a replacement."
            change["fixable"] = False
    return change


def _merge_duplicate(into: dict[str, Any], other: dict[str, Any]) -> None:
    for item in other["evidence"]:
        if item not in into["evidence"]:
            into["evidence"].append(item)


def changes_of(
    area: str, old: Extraction, new: Extraction
) -> list[dict[str, Any]]:
    """Change entries for what is new in `new` relative to `old`."""
    options, packages = new_facts(old, new)
    by_id: dict[str, dict[str, Any]] = {}
    produced = [option_change(f, area, new.tree) for f in options]
    produced += [package_change(f, new.tree) for f in packages]
    for change in produced:
        if change["id"] in by_id:
            _merge_duplicate(by_id[change["id"]], change)
        else:
            by_id[change["id"]] = change
    return list(by_id.values())


_CURATED_OVERRIDES = ("message", "migration", "fixable", "example", "severity", "condition")


def load_curated(path: Path, from_release: str, to_release: str) -> list[dict[str, Any]]:
    """Hand-written changes (a JSON object with a `changes` list), validated like shipped data."""
    from nqd.knowledge.loader import parse_change

    try:
        raw = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise InputError(f"invalid curated file {path}: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("changes"), list):
        raise InputError(f"invalid curated file {path}: expected an object with a 'changes' list")
    for key, want in (("from", from_release), ("to", to_release)):
        if key in raw and raw[key] != want:
            raise InputError(f"curated file {path} is for {key} {raw[key]}, not {want}")
    for entry in raw["changes"]:
        parse_change(entry, from_release, to_release, str(path))
    changes: list[dict[str, Any]] = raw["changes"]
    return changes


def merge_curated(
    extracted: list[dict[str, Any]], curated: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], int]:
    """Add curated entries; one with an extracted entry's id overrides its text, keeping
    both evidences. Returns the merged list and the number of overrides."""
    by_id = {c["id"]: c for c in extracted}
    overrides = 0
    for entry in curated:
        current = by_id.get(entry["id"])
        if current is None:
            by_id[entry["id"]] = dict(entry)
            continue
        overrides += 1
        for key in _CURATED_OVERRIDES:
            if key in entry:
                current[key] = entry[key]
        if entry.get("tags"):
            current["tags"] = sorted({*current.get("tags", []), *entry["tags"]})
        for item in entry["evidence"]:
            if item not in current["evidence"]:
                current["evidence"].append(item)
    return list(by_id.values()), overrides


def document(
    from_release: str,
    to_release: str,
    pairs: list[tuple[str, Extraction, Extraction]],
    curated: tuple[Path, list[dict[str, Any]]] | None = None,
    dated: tuple[list[dict[str, Any]], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The knowledge file for one release pair. `dated` adds the changes of the date-window
    mode (`extract/window.py`) with their `sources.dated_snapshot` record."""
    changes: list[dict[str, Any]] = []
    trees: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for area, old, new in pairs:
        changes.extend(changes_of(area, old, new))
        for role, ext in (("old", old), ("new", new)):
            entry: dict[str, Any] = {
                "area": area, "role": role, "repo": ext.tree.repo, "ref": ext.tree.ref,
                "commit": ext.tree.commit, "files_scanned": ext.files,
                "option_facts": len(ext.options), "package_facts": len(ext.packages),
            }
            if ext.tree.file_origins:
                entry["files"] = {
                    path: {"repo": repo, "commit": commit}
                    for path, (repo, commit) in sorted(ext.tree.file_origins.items())
                }
            trees.append(entry)
        skipped.extend({"repo": new.tree.origin(s.path)[0], **s.as_json()} for s in new.skipped)
    sources: dict[str, Any] = {
        "extractor": {"name": "nqd kb extract", "version": EXTRACTOR_VERSION},
        "trees": trees,
    }
    if dated is not None:
        dated_changes, dated_sources = dated
        by_id = {c["id"]: c for c in changes}
        for change in dated_changes:
            if change["id"] in by_id:
                _merge_duplicate(by_id[change["id"]], change)
            else:
                by_id[change["id"]] = change
                changes.append(change)
        sources["dated_snapshot"] = dated_sources
    if curated is not None:
        path, entries = curated
        changes, overrides = merge_curated(changes, entries)
        sources["curated"] = {"file": path.name, "entries": len(entries), "overrides": overrides}
    for change in changes:
        change["evidence"].sort(key=lambda e: (e.get("repo", ""), e.get("path", ""),
                                               e.get("line", 0), e["url"]))
    changes.sort(key=lambda c: c["id"])
    counts = Counter(f"{c['area']}:{c['kind']}" for c in changes)
    sources["counts"] = dict(sorted(counts.items()))
    sources["skipped"] = sorted(skipped, key=lambda s: (s["repo"], s["path"], s["line"]))
    return {
        "schema_version": 1,
        "from": from_release,
        "to": to_release,
        "sources": sources,
        "changes": changes,
    }


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
