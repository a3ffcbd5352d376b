"""Stateful upgrades: database major-version changes hidden in an image tag or in
`services.postgresql.package` (directly, or through the stateVersion-driven default).

The comparison baseline is the committed version of each file (`ctx.previous_text`, git
HEAD) when the working tree changed it. `compare_images` and `compare_postgresql` are pure
functions, so the runtime half can also compare against what runs (`parse_podman_ps` of
`podman ps --format json`) without this module importing anything of the runtime.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from nqd.analysis.context import RuleContext
from nqd.analysis.findings import Finding, Rule
from nqd.containers.images import (
    Engine,
    ImageError,
    StatefulImage,
    parse_image,
    series_key,
    stateful_image,
    why_major_matters,
)
from nqd.knowledge.model import Evidence, Severity
from nqd.model.types import Context, OptionDef, PackageRef

IMAGE_MAJOR = Rule(
    "NQD301", "stateful-image-major-change",
    "A database container's image changes major version.",
    "A tag bump such as `timescale/timescaledb-ha:pg16` → `pg17`, `postgres:16` → `17`, "
    "`mariadb:10.11` → `11.4` or `redis:6` → `7` points the new server at a data directory "
    "written by the old one. PostgreSQL refuses to start on it; MySQL/MariaDB upgrade it in "
    "place with no way back; Redis writes RDB/AOF files older servers cannot load. Migrate "
    "the data first (`nqd containers migrate-db` for PostgreSQL), or keep the old tag.",
    'image = "timescale/timescaledb-ha:pg17"; # was :pg16, same volume',
    'image = "timescale/timescaledb-ha:pg16"; # until the data is migrated',
)
UNPINNED = Rule(
    "NQD302", "stateful-image-unpinned",
    "A database container's image has no version tag (or `latest`).",
    "Whatever the registry calls `latest` today runs on the next pull or rebuild, including "
    "a new major version that cannot read the existing data. Pin the major version in the "
    "tag, better a digest.",
    'image = "postgres:latest";',
    'image = "postgres:16.4@sha256:...";',
)
PG_PACKAGE_MAJOR = Rule(
    "NQD303", "postgresql-package-major-change",
    "The PostgreSQL major version of `services.postgresql` changes.",
    "`services.postgresql.package` picks the server; unset, its default follows "
    "`system.stateVersion` (PostgreSQL 17 only for stateVersion >= 25.11). A different "
    "major cannot open the existing data directory (`/var/lib/postgresql/<major>` starts "
    "empty, the old data is left behind). Dump and restore or pg_upgrade first.",
    "services.postgresql.package = pkgs.postgresql_17; # was postgresql_16",
    "services.postgresql.package = pkgs.postgresql_16; # until migrated",
)
RULES = (IMAGE_MAJOR, UNPINNED, PG_PACKAGE_MAJOR)
# Names this rule looks for (see nqd.model.interest).
INTEREST = frozenset({"oci-containers", "postgresql", "stateVersion"})

_PG_EVIDENCE = (Evidence(
    url="https://nixos.org/manual/nixos/stable/options#opt-services.postgresql.package",
    repo="NixOS/nixpkgs", path="nixos/modules/services/databases/postgresql.nix"),)
_IMAGE_EVIDENCE = (
    Evidence(url="https://www.postgresql.org/docs/current/upgrading.html"),
    Evidence(url="https://dev.mysql.com/doc/refman/8.4/en/upgrade-paths.html"),
    Evidence(url="https://mariadb.com/kb/en/mariadb-upgrade/"),
    Evidence(url="https://redis.io/docs/latest/operate/oss_and_stack/management/persistence/"),
)
# services.postgresql.package default by system.stateVersion, newest first (nixpkgs
# nixos/modules/services/databases/postgresql.nix; the option's documented default text:
# 25.11 → postgresql_17, 24.11 → 16, 23.11 → 15, else 14; older defaults from the same
# module's history).
PG_DEFAULTS: tuple[tuple[str, str], ...] = (
    ("25.11", "17"), ("24.11", "16"), ("23.11", "15"), ("22.05", "14"), ("21.11", "13"),
    ("20.03", "11"), ("17.09", "9.6"), ("0", "9.5"),
)
_OCI = ("virtualisation", "oci-containers", "containers")
_PG_PACKAGE = ("services", "postgresql", "package")
_PG_ENABLE = ("services", "postgresql", "enable")
_STATE_VERSION = ("system", "stateVersion")
_PG_ATTR = re.compile(r"^postgresql_(\d+)(?:_jit)?$")


@dataclass(frozen=True)
class DeclaredImage:
    container: str
    image: str
    option: OptionDef | None = None  # None for a running container


@dataclass(frozen=True)
class PostgresChoice:
    """Which PostgreSQL major a configuration runs, and why; `anchor` is where to report."""

    major: str | None
    reason: str  # "pkgs.postgresql_16", "default for stateVersion 25.11"
    anchor: OptionDef | None


def declared_images(options: Iterable[OptionDef]) -> dict[str, DeclaredImage]:
    """`virtualisation.oci-containers.containers.<name>.image` literals by container name."""
    found: dict[str, DeclaredImage] = {}
    for option in options:
        path = option.path
        if len(path) == 5 and path[:3] == _OCI and path[4] == "image" and path[3] \
                and isinstance(option.literal, str) and option.context in (
                    Context.NIXOS, Context.UNKNOWN):
            found[path[3]] = DeclaredImage(path[3], option.literal, option)
    return found


def parse_podman_ps(text: str) -> dict[str, str]:
    """Container name → image from `podman ps --format json` (names without the leading
    `/` docker prints). Raises ValueError on output that is not that JSON."""
    data = json.loads(text or "[]")
    if not isinstance(data, list):
        raise ValueError("podman ps --format json did not print a list")
    result: dict[str, str] = {}
    for entry in data:
        if not isinstance(entry, dict):
            continue
        names = entry.get("Names") or []
        image = entry.get("Image")
        if isinstance(names, str):
            names = [names]
        if isinstance(image, str):
            for name in names:
                result[str(name).lstrip("/")] = image
    return result


def _stateful(image: str) -> StatefulImage | None:
    try:
        return stateful_image(parse_image(image))
    except ImageError:
        return None


def compare_images(old: Mapping[str, str],
                   new: Mapping[str, DeclaredImage], *, baseline: str) -> list[Finding]:
    """Findings for containers whose database image changes major (or engine, or loses
    its version). `old` maps container name → image (from git HEAD or `podman ps`);
    `baseline` says which ("the committed file", "the running container")."""
    findings: list[Finding] = []
    for name, declared in new.items():
        if name not in old or declared.option is None or old[name] == declared.image:
            continue
        before, after = _stateful(old[name]), _stateful(declared.image)
        if before is None or after is None:
            continue
        option = declared.option
        where = f"container {name}: {old[name]} ({baseline}) → {declared.image}"
        if before.engine != after.engine:
            findings.append(_image_finding(
                option, Severity.ERROR, IMAGE_MAJOR,
                f"{where}: the engine changes from {before.engine.value} to "
                f"{after.engine.value}; the data volume belongs to the old one", old[name]))
        elif before.major and after.major and before.major != after.major:
            direction = "downgrade" if series_key(after.engine, after.major) < series_key(
                before.engine, before.major) else "upgrade"
            findings.append(_image_finding(
                option, Severity.ERROR, IMAGE_MAJOR,
                f"{where}: {after.engine.value} {before.major} → {after.major} ({direction}): "
                f"{why_major_matters(after.engine)}", old[name]))
        elif before.major and not after.major:
            findings.append(_image_finding(
                option, Severity.WARNING, UNPINNED,
                f"{where}: the tag no longer says the {after.engine.value} version (was "
                f"{before.major}): the next pull may start another major", old[name]))
    return findings


def unpinned_images(new: Mapping[str, DeclaredImage]) -> list[Finding]:
    """Database images with no version in the tag: `latest`, no tag, or a tag nqd cannot
    read a version from (digest-pinned images are fine)."""
    findings = []
    for name, declared in new.items():
        if declared.option is None:
            continue
        try:
            ref = parse_image(declared.image)
        except ImageError:
            continue
        stateful = stateful_image(ref)
        if stateful is None or ref.digest is not None or stateful.major is not None:
            continue
        findings.append(_image_finding(
            declared.option, Severity.WARNING, UNPINNED,
            f"container {name}: {stateful.engine.value} image {declared.image} does not pin "
            f"a major version: a pull can start a server that cannot read the data", None))
    return findings


def _image_finding(option: OptionDef, severity: Severity, rule: Rule, message: str,
                   replacement: str | None) -> Finding:
    return Finding(
        rule.id, rule.name, severity, option.pos, message, option.context,
        replacement=replacement, evidence=_IMAGE_EVIDENCE, fixable=False,
        fix_note="migrate the data first (PostgreSQL: `nqd containers migrate-db`), or keep "
                 "the old tag" if rule is IMAGE_MAJOR else "pin a version tag or digest",
    )


def default_postgresql_major(state_version: str) -> str:
    """The PostgreSQL major NixOS picks when `services.postgresql.package` is unset."""
    key = _version_key(state_version)
    for since, major in PG_DEFAULTS:
        if key >= _version_key(since):
            return major
    return PG_DEFAULTS[-1][1]


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in text.split("."))


def postgresql_choice(options: Sequence[OptionDef],
                      packages: Sequence[PackageRef]) -> PostgresChoice | None:
    """The PostgreSQL major a NixOS configuration selects, or None when it does not enable
    `services.postgresql` (or the choice is not a literal nqd can read)."""
    nixos = [o for o in options if o.context in (Context.NIXOS, Context.UNKNOWN)]
    enable = next((o for o in nixos if o.path == _PG_ENABLE), None)
    package = next((o for o in nixos if o.path == _PG_PACKAGE), None)
    if package is not None:
        for ref in packages:
            if ref.pos.path == package.pos.path and package.value_span[0] <= ref.span[0] \
                    and ref.span[1] <= package.value_span[1]:
                match = _PG_ATTR.match(ref.attr.split(".")[0])
                if match:
                    return PostgresChoice(match.group(1), f"pkgs.{ref.attr}", package)
        return PostgresChoice(None, "an expression nqd cannot read", package)
    if enable is None or enable.literal is False:
        return None
    state = next((o for o in nixos if o.path == _STATE_VERSION and isinstance(o.literal, str)),
                 None)
    if state is None or not isinstance(state.literal, str):
        return None
    return PostgresChoice(default_postgresql_major(state.literal),
                          f"the default for system.stateVersion {state.literal}", state)


def compare_postgresql(old: PostgresChoice | None, new: PostgresChoice | None, *,
                       baseline: str) -> list[Finding]:
    """An error when the selected PostgreSQL major differs between `old` and `new`."""
    if old is None or new is None or new.anchor is None or not old.major or not new.major \
            or old.major == new.major:
        return []
    anchor = new.anchor
    return [Finding(
        PG_PACKAGE_MAJOR.id, PG_PACKAGE_MAJOR.name, Severity.ERROR, anchor.pos,
        f"services.postgresql runs PostgreSQL {new.major} ({new.reason}) but ran "
        f"{old.major} ({old.reason}, {baseline}): the server will not open the "
        f"existing data directory; migrate it first or pin pkgs.postgresql_{old.major}",
        anchor.context, replacement=f"pkgs.postgresql_{old.major.replace('.', '_')}",
        evidence=_PG_EVIDENCE, fixable=False,
        fix_note=f"set services.postgresql.package = pkgs.postgresql_{old.major} until the "
                 f"data is dumped and restored (or pg_upgrade'd)",
    )]


def check(ctx: RuleContext) -> Iterable[Finding]:
    model = ctx.model
    new_images = declared_images(model.options())
    yield from unpinned_images(new_images)
    relevant = {o.pos.path for o in [*model.defines(_OCI),
                                     *model.defines(("services", "postgresql")),
                                     *model.defines(_STATE_VERSION)]}
    old_options: list[OptionDef] = []
    old_packages: list[PackageRef] = []
    changed = False
    for path in sorted(relevant):
        old = ctx.previous_facts(path)
        if old is None:
            old_options.extend(model.files[path].options if path in model.files else [])
            old_packages.extend(model.files[path].packages if path in model.files else [])
            continue
        if path in model.files and old.source != model.files[path].source:
            changed = True
        old_options.extend(old.options)
        old_packages.extend(old.packages)
    if not changed:
        return
    old_images = {name: d.image for name, d in declared_images(old_options).items()}
    yield from compare_images(old_images, new_images, baseline="committed in git HEAD")
    yield from compare_postgresql(
        postgresql_choice(old_options, old_packages),
        postgresql_choice(model.options(), model.packages()),
        baseline="committed in git HEAD")


__all__ = ["RULES", "DeclaredImage", "Engine", "PostgresChoice", "check", "compare_images",
           "compare_postgresql", "declared_images", "default_postgresql_major",
           "parse_podman_ps", "postgresql_choice", "unpinned_images"]
