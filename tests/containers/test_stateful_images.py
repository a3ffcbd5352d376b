"""The stateful-image rule (NQD301-303): database major changes between the committed
configuration (git HEAD) and the working tree, through the pure comparison functions, the
rule over a real model, and `nqd check` on a real git repository."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from nqd.analysis.context import RuleContext
from nqd.analysis.rules import stateful_images as rule
from nqd.cli import main
from nqd.model.builder import build_model
from nqd.releases import Release

BASE = """
{ config, pkgs, ... }:
{
  system.stateVersion = "%(state)s";
  services.postgresql.enable = true;
  %(package)s
  virtualisation.oci-containers.containers = {
    db.image = "%(db)s";
    cache = { image = "%(cache)s"; };
    web.image = "nginx:1.27";
  };
}
"""


def _config(state: str = "25.05", package: str = "", db: str = "timescale/timescaledb-ha:pg16",
            cache: str = "redis:7-alpine") -> str:
    return textwrap.dedent(BASE % {"state": state, "package": package, "db": db,
                                   "cache": cache}).lstrip()


def _findings(tmp_path: Path, old: str, new: str) -> list[tuple[str, str, str]]:
    path = tmp_path / "configuration.nix"
    path.write_text(new)
    model = build_model([path])
    previous = {path.resolve(): old.encode(), path: old.encode()}
    ctx = RuleContext(model=model, from_release=Release.parse("25.05"),
                      to_release=Release.parse("25.11"), changes=(),
                      previous_text=lambda p: previous.get(p))
    return [(f.rule, f.severity.value, f.message) for f in rule.check(ctx)]


def test_unchanged_config_has_no_findings(tmp_path: Path) -> None:
    assert _findings(tmp_path, _config(), _config()) == []


def test_timescale_tag_bump_is_an_error(tmp_path: Path) -> None:
    found = _findings(tmp_path, _config(), _config(db="timescale/timescaledb-ha:pg17"))
    assert [(r, s) for r, s, _ in found] == [("NQD301", "error")]
    assert "PostgreSQL 16 → 17" in found[0][2] and "container db" in found[0][2]


def test_redis_major_and_minor(tmp_path: Path) -> None:
    major = _findings(tmp_path, _config(cache="redis:6.2"), _config(cache="redis:7-alpine"))
    assert [(r, s) for r, s, _ in major] == [("NQD301", "error")]
    assert "RDB" in major[0][2]
    minor = _findings(tmp_path, _config(cache="redis:7.0"), _config(cache="redis:7.2-alpine"))
    assert minor == []


def test_engine_change_and_unpinned(tmp_path: Path) -> None:
    engine = _findings(tmp_path, _config(db="postgres:16"), _config(db="mariadb:11.4"))
    assert [r for r, _, _ in engine] == ["NQD301"] and "engine changes" in engine[0][2]
    latest = _findings(tmp_path, _config(db="postgres:16"), _config(db="postgres:latest"))
    # one warning for losing the version relative to HEAD, one for being unpinned at all
    assert sorted(r for r, _, _ in latest) == ["NQD302", "NQD302"]


def test_postgresql_package_bump(tmp_path: Path) -> None:
    found = _findings(tmp_path, _config(package="services.postgresql.package = "
                                        "pkgs.postgresql_16;"),
                      _config(package="services.postgresql.package = pkgs.postgresql_17;"))
    assert [(r, s) for r, s, _ in found] == [("NQD303", "error")]
    assert "PostgreSQL 17 (pkgs.postgresql_17) but ran 16" in found[0][2]


def test_state_version_raise_changes_the_default_postgresql(tmp_path: Path) -> None:
    found = _findings(tmp_path, _config(state="25.05"), _config(state="25.11"))
    assert [(r, s) for r, s, _ in found] == [("NQD303", "error")]
    assert "default for system.stateVersion 25.11" in found[0][2]
    # pinning the package explicitly makes the raise harmless for PostgreSQL
    pinned = "services.postgresql.package = pkgs.postgresql_16;"
    assert _findings(tmp_path, _config(state="25.05"),
                     _config(state="25.11", package=pinned)) == []


@pytest.mark.parametrize(("state", "major"), [
    ("25.11", "17"), ("26.05", "17"), ("25.05", "16"), ("24.11", "16"), ("24.05", "15"),
    ("23.11", "15"), ("23.05", "14"), ("22.05", "14"), ("21.11", "13"), ("20.09", "11"),
])
def test_default_postgresql_major(state: str, major: str) -> None:
    assert rule.default_postgresql_major(state) == major


def test_podman_ps_baseline() -> None:
    running = rule.parse_podman_ps(
        '[{"Names": ["db"], "Image": "docker.io/timescale/timescaledb-ha:pg16"},'
        ' {"Names": ["cache"], "Image": "docker.io/library/redis:7-alpine"}]')
    assert running == {"db": "docker.io/timescale/timescaledb-ha:pg16",
                       "cache": "docker.io/library/redis:7-alpine"}
    with pytest.raises(ValueError):
        rule.parse_podman_ps("{}")


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_nqd_check_reports_tag_bump_in_a_git_work_tree(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    repo = tmp_path / "cfg"
    repo.mkdir()
    config = repo / "configuration.nix"
    config.write_text(_config())
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "configuration.nix"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], check=True)
    config.write_text(_config(db="timescale/timescaledb-ha:pg17"))
    code = main(["check", str(repo), "--from", "25.05", "--to", "25.11", "--format", "json"])
    out = capsys.readouterr().out
    assert code == 1
    assert "NQD301" in out and "PostgreSQL 16" in out
