"""The knowledge data model: one `Change` per renamed/removed/changed thing."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Area(StrEnum):
    NIXOS = "nixos"
    HOME_MANAGER = "home-manager"
    NIXPKGS = "nixpkgs"


class Kind(StrEnum):
    RENAMED_OPTION = "renamed-option"
    REMOVED_OPTION = "removed-option"
    CHANGED_OPTION = "changed-option"
    REMOVED_MODULE = "removed-module"
    RENAMED_PACKAGE = "renamed-package"
    REMOVED_PACKAGE = "removed-package"
    CHANGED_DEFAULT = "changed-default"
    VERSION_BUMP = "version-bump"
    BEHAVIOUR = "behaviour"
    NEW_OPTION = "new-option"
    NEW_MODULE = "new-module"


class Severity(StrEnum):
    ERROR = "error"  # evaluation will fail
    WARNING = "warning"  # renamed or deprecated: still evaluates, with a warning
    INFO = "info"  # a default or behaviour that changes, or an opportunity

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


DEFAULT_SEVERITY: dict[Kind, Severity] = {
    Kind.RENAMED_OPTION: Severity.WARNING,
    Kind.REMOVED_OPTION: Severity.ERROR,
    Kind.CHANGED_OPTION: Severity.WARNING,
    Kind.REMOVED_MODULE: Severity.ERROR,
    Kind.RENAMED_PACKAGE: Severity.WARNING,
    Kind.REMOVED_PACKAGE: Severity.ERROR,
    Kind.CHANGED_DEFAULT: Severity.INFO,
    Kind.VERSION_BUMP: Severity.INFO,
    Kind.BEHAVIOUR: Severity.INFO,
    Kind.NEW_OPTION: Severity.INFO,
    Kind.NEW_MODULE: Severity.INFO,
}


@dataclass(frozen=True)
class Evidence:
    """Where a fact comes from: a source file at a commit (with line), a PR, or a URL."""

    url: str
    path: str | None = None
    line: int | None = None
    commit: str | None = None
    repo: str | None = None  # "NixOS/nixpkgs" or "nix-community/home-manager"

    def describe(self) -> str:
        if self.path:
            where = f"{self.path}:{self.line}" if self.line else self.path
            at = f"@{self.commit[:12]}" if self.commit else ""
            return f"{self.repo or ''}{':' if self.repo else ''}{where}{at}"
        return self.url


@dataclass(frozen=True)
class Condition:
    """When a change applies to a configuration beyond "the old thing is used".

    - `state_version_below`: applies when the context's stateVersion (system.stateVersion
      for NixOS, home.stateVersion for Home Manager) is below this release, i.e. the old
      default is kept; for `changed-default` entries that means "not affected unless
      stateVersion is raised", reported as info.
    - `state_version_at_least`: applies when stateVersion is at least this release.
    - `requires`: option paths that must be defined (e.g. `services.postgresql.enable`).
    - `unset`: option paths that must not be defined (e.g. `services.postgresql.package`).
    - `written_as`: the change concerns only definitions of its `old` option written as one
      of these kinds of value (`string`, `list`, `attrset`, `path`, `number`, `boolean`;
      e.g. a string where a list is now required). A value of no such kind (a function
      call, a variable) still counts: nqd cannot tell what it evaluates to.
    """

    state_version_below: str | None = None
    state_version_at_least: str | None = None
    requires: tuple[str, ...] = ()
    unset: tuple[str, ...] = ()
    written_as: tuple[str, ...] = ()


@dataclass(frozen=True)
class Change:
    """One thing that changed between `from_release` and `to_release`."""

    id: str
    area: Area
    kind: Kind
    from_release: str
    to_release: str
    old: str | None
    new: str | None
    message: str
    evidence: tuple[Evidence, ...]
    migration: str = ""
    fixable: bool = False
    severity: Severity | None = None  # overrides DEFAULT_SEVERITY[kind]
    condition: Condition | None = None
    transform: str | None = None  # for changed-option: what the value transform is
    silent: bool = False  # a rename that does not warn yet (mkRenamedOptionModuleWith)
    example_before: str | None = None
    example_after: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def effective_severity(self) -> Severity:
        return self.severity or DEFAULT_SEVERITY[self.kind]

    @property
    def release_pair(self) -> str:
        return f"{self.from_release}→{self.to_release}"
