"""The hand-curated release knowledge: valid, loadable, and right where the research document
was wrong (each assertion below was checked against the cited release notes / module sources)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from nqd.knowledge.loader import curated_dir, data_dir, load_file
from nqd.knowledge.model import Area, Change, Kind, Severity

SCHEMA = json.loads((Path(curated_dir()).parent / "schema.json").read_text())
FILES = {"25.11": curated_dir() / "25.11.json", "26.05": curated_dir() / "26.05.json"}
HM_MIRROR = Path("/work/.mirror/nix-community+home-manager/repo")


def changes(release: str) -> dict[str, Change]:
    return {c.id: c for c in load_file(FILES[release]).changes}


def every_change() -> list[Change]:
    return [c for release in FILES for c in changes(release).values()]


@pytest.mark.parametrize("release", sorted(FILES))
def test_curated_file_is_valid_against_schema(release: str) -> None:
    raw = json.loads(FILES[release].read_text())
    jsonschema.Draft202012Validator(SCHEMA).validate(raw)
    assert raw["to"] == release
    ids = [c["id"] for c in raw["changes"]]
    assert ids == sorted(ids), "curated files are kept sorted by id"


def test_ids_spell_area_and_kind() -> None:
    for change in every_change():
        area, kind, rest = change.id.split(":", 2)
        assert (Area(area), Kind(kind)) == (change.area, change.kind), change.id
        assert rest, change.id


def test_evidence_urls_match_their_commit_path_and_line() -> None:
    for change in every_change():
        assert change.evidence, change.id
        for evidence in change.evidence:
            assert evidence.url.startswith("https://"), change.id
            if evidence.path and evidence.commit:
                assert re.fullmatch(r"[0-9a-f]{40}", evidence.commit), change.id
                assert f"/blob/{evidence.commit}/{evidence.path}" in evidence.url, change.id
                anchor = f"#L{evidence.line}" if evidence.line else ""
                assert evidence.url.endswith(evidence.path + anchor), change.id


def test_fixable_only_where_fix_is_mechanical() -> None:
    for change in every_change():
        if change.fixable:
            assert change.kind in (Kind.RENAMED_OPTION, Kind.RENAMED_PACKAGE) \
                or change.transform == "ini-lines-to-attrs", change.id


# --- CORRECTIONS.md, item by item -------------------------------------------------------


def test_state_version_is_never_advised_to_be_bumped() -> None:
    c2511 = changes("25.11")
    for key in ("nixos:behaviour:system.stateVersion", "home-manager:behaviour:home.stateVersion"):
        assert "Do not raise" in c2511[key].message
    for change in every_change():
        after = change.example_after or ""
        assert not re.search(r'stateVersion\s*=\s*"(25\.11|26\.05)"', after), change.id


def test_postgresql_17_default_only_for_new_state_versions() -> None:
    pg = changes("25.11")["nixos:changed-default:services.postgresql.package"]
    assert pg.condition is not None
    assert pg.condition.requires == ("services.postgresql.enable",)
    assert pg.condition.unset == ("services.postgresql.package",)
    assert pg.condition.state_version_below == "25.11"
    assert "postgresql_17" in pg.message and "postgresql_16" in pg.message
    assert pg.effective_severity is Severity.INFO


def test_networkmanager_plugins_not_vpn_plugins() -> None:
    nm = changes("25.11")["nixos:behaviour:networking.networkmanager.plugins"]
    assert nm.condition is not None
    assert nm.condition.requires == ("networking.networkmanager.enable",)
    assert "no longer ships a default set of VPN plugins" in nm.message
    shipped = [c for path in sorted(data_dir().glob("*.json")) for c in load_file(path).changes]
    for change in [*every_change(), *shipped]:
        assert change.new is None or "vpnPlugins" not in change.new, change.id
        assert "vpnPlugins" not in (change.example_after or ""), change.id


def test_lact_enable_is_boolean_and_needs_amdgpu_overdrive() -> None:
    c2511 = changes("25.11")
    lact = c2511["nixos:new-module:services.lact"]
    assert lact.new == "services.lact.enable"
    assert "boolean" in lact.message and "hardware.amdgpu.overdrive.enable" in lact.message
    assert '"auto"' not in (lact.example_after or "")
    assert "services.lact.enable = true;" in (lact.example_after or "")
    assert c2511["nixos:new-option:hardware.amdgpu.overdrive.enable"].kind is Kind.NEW_OPTION


def test_oci_containers_have_no_healthcheck_option() -> None:
    entry = changes("25.11")[
        "nixos:behaviour:virtualisation.oci-containers.containers.<name>.healthcheck"]
    assert entry.effective_severity is Severity.ERROR
    for fact in ("extraOptions", "podman.sdnotify", "25.05", "lingering"):
        assert fact in entry.message, fact
    assert "healthcheck" not in (entry.example_after or "")
    for change in every_change():
        assert change.new is None or not change.new.endswith(".healthcheck"), change.id


def test_logind_extra_config_is_removed_not_forwarded() -> None:
    logind = changes("25.11")["nixos:removed-option:services.logind.extraConfig"]
    assert logind.new == "services.logind.settings.Login"
    assert logind.effective_severity is Severity.ERROR
    assert logind.fixable and logind.transform == "ini-lines-to-attrs"
    assert 'IdleAction = "lock";' in (logind.example_after or "")


def test_gnome_and_gdm_moved_out_of_xserver_and_xwayland_not_needed() -> None:
    c2511 = changes("25.11")
    gnome = c2511["nixos:renamed-option:services.xserver.desktopManager.gnome.enable"]
    gdm = c2511["nixos:renamed-option:services.xserver.displayManager.gdm.enable"]
    assert gnome.new == "services.desktopManager.gnome.enable" and gnome.fixable
    assert gdm.new == "services.displayManager.gdm.enable" and gdm.fixable
    assert "programs.xwayland.enable is not needed" in gnome.message
    assert all(c.new != "programs.xwayland.enable" for c in every_change())


def test_openssh_dsa_and_nodejs_23_are_not_25_11_changes() -> None:
    for change in changes("25.11").values():
        text = f"{change.id} {change.message}".lower()
        assert "openssh" not in text and "dsa" not in text.split(), change.id
        assert "nodejs_23" not in text, change.id


def test_kernel_6_12_and_gcc_14_are_not_25_11_changes() -> None:
    """Both shipped in 25.05 (nixpkgs rl-2505 highlights); 26.05 moves on to 6.18 and GCC 15."""
    c2511 = changes("25.11")
    assert not any(c.old in ("gcc", "linuxPackages", "boot.kernelPackages") for c in c2511.values())
    c2605 = changes("26.05")
    assert "6.12 to 6.18" in c2605["nixos:changed-default:boot.kernelPackages"].message
    assert c2605["nixpkgs:version-bump:gcc"].new == "gcc15"


def test_cosmic_is_a_desktop_environment() -> None:
    cosmic = changes("25.11")["nixos:version-bump:services.desktopManager.cosmic.enable"]
    assert "desktop environment" in cosmic.message and "beta" in cosmic.message


def test_postfix_settings_and_removed_ssl_options() -> None:
    c2511 = changes("25.11")
    for name in ("sslCert", "sslKey"):
        change = c2511[f"nixos:removed-option:services.postfix.{name}"]
        assert change.new == "services.postfix.settings.main.smtpd_tls_chain_files"
        assert change.effective_severity is Severity.ERROR
    assert c2511["nixos:behaviour:services.postfix.tlsConfig"].new is None


def test_home_manager_password_store_default_by_state_version() -> None:
    change = changes("25.11")["home-manager:changed-default:programs.password-store.settings"]
    assert change.condition is not None and change.condition.state_version_below == "25.11"
    # the module merges its default into any settings (apply = mergeAttrs default), so only an
    # explicit PASSWORD_STORE_DIR escapes the change
    assert change.condition.unset == ("programs.password-store.settings.PASSWORD_STORE_DIR",)
    assert "$XDG_DATA_HOME/password-store" in change.message


def test_version_bumps_and_removals_of_25_11() -> None:
    c2511 = changes("25.11")
    assert c2511["nixpkgs:version-bump:python3"].new == "python313"
    assert c2511["nixpkgs:version-bump:docker"].new == "docker_28"
    assert "19 to 21" in c2511["nixpkgs:version-bump:llvmPackages"].message
    assert "4." in c2511["nixpkgs:version-bump:cmake"].message
    assert c2511["nixpkgs:removed-package:linuxPackages_5_4"].effective_severity is Severity.ERROR
    assert c2511["nixos:removed-module:services.xserver.desktopManager.plasma5"].old


@pytest.mark.parametrize("new", [
    "system.nixos-init.enable", "boot.loader.refind.enable", "networking.firewall.backend",
    "boot.isNspawnContainer", "home-manager.enableLegacyProfileManagement",
])
def test_new_options_named_in_the_research_document(new: str) -> None:
    assert any(c.new == new and c.kind is Kind.NEW_OPTION for c in changes("25.11").values())


def test_git_settings_moved_in_home_manager_25_11() -> None:
    c2511 = changes("25.11")
    assert c2511["home-manager:renamed-option:programs.git.userName"].new == \
        "programs.git.settings.user.name"
    assert c2511["home-manager:renamed-option:programs.git.userEmail"].new == \
        "programs.git.settings.user.email"


# --- evidence that can be re-read on this machine -----------------------------------------

HM_LINES = [
    ("modules/programs/git.nix", 308, 'old = [ "userName" ];'),
    ("modules/programs/git.nix", 300, '"programs" "git" "extraConfig"'),
    ("modules/programs/password-store.nix", 28, 'versionOlder config.home.stateVersion "25.11"'),
    ("nixos/common.nix", 140, "enableLegacyProfileManagement = mkOption"),
    ("modules/programs/zsh/default.nix", 110, 'versionAtLeast config.home.stateVersion "26.05"'),
]


@pytest.mark.skipif(shutil.which("git") is None or not HM_MIRROR.is_dir(),
                    reason="Home Manager mirror not present")
def test_home_manager_evidence_lines_say_what_we_claim() -> None:
    cited: dict[tuple[str, int], str] = {}
    for change in every_change():
        for evidence in change.evidence:
            if evidence.repo == "nix-community/home-manager" and evidence.line and evidence.commit:
                cited[(evidence.path or "", evidence.line)] = evidence.commit
    for path, line, text in HM_LINES:
        commit = cited[(path, line)]
        blob = subprocess.run(["git", "-C", str(HM_MIRROR), "show", f"{commit}:{path}"],
                              capture_output=True, text=True, check=True).stdout
        assert text in blob.splitlines()[line - 1], (path, line)


def _raw(release: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FILES[release].read_text())
    return data


def test_sources_record_the_commits_used() -> None:
    for release in FILES:
        sources = _raw(release)["sources"]
        assert re.fullmatch(r"[0-9a-f]{40}", sources["home_manager"]["commit"])
        assert re.fullmatch(r"[0-9a-f]{40}", sources["nixos_release_notes"]["commit"])
        assert sources["count"] == len(_raw(release)["changes"])


def test_zfs_force_import_root_warning_in_26_05() -> None:
    zfs = changes("26.05")["nixos:changed-default:boot.zfs.forceImportRoot"]
    assert zfs.condition is not None
    assert zfs.condition.unset == ("boot.zfs.forceImportRoot",)
    assert zfs.condition.requires
    assert "26.11" in zfs.message and zfs.effective_severity is Severity.WARNING
    assert any("/pull/495581" in e.url for e in zfs.evidence)


def test_module_sourced_entries_cite_the_module_file() -> None:
    """Entries tagged source:module cite the nixos/modules file holding the mk*OptionModule
    call at a full commit; renames known from the release notes alone are never fixable."""
    for change in every_change():
        if change.area is not Area.NIXOS:
            continue
        if "source:module" in change.tags:
            modules = [e for e in change.evidence if (e.path or "").startswith("nixos/modules/")]
            assert modules, change.id
            assert all(e.commit and re.fullmatch(r"[0-9a-f]{40}", e.commit) for e in modules)
        elif "source:release-notes" in change.tags and change.kind is Kind.RENAMED_OPTION:
            assert not change.fixable, change.id


def test_final_release_notes_renames_and_removals() -> None:
    c2511, c2605 = changes("25.11"), changes("26.05")
    watchdog = c2511["nixos:renamed-option:systemd.watchdog.runtimeTime"]
    assert watchdog.new == "systemd.settings.Manager.RuntimeWatchdogSec" and watchdog.fixable
    postfix = c2511["nixos:renamed-option:services.postfix.config"]
    assert postfix.new == "services.postfix.settings.main" and postfix.fixable
    assert "nixos:behaviour:services.postfix.config" not in c2511
    dnssec = c2605["nixos:renamed-option:services.resolved.dnssec"]
    assert dnssec.new == "services.resolved.settings.Resolve.DNSSEC" and dnssec.fixable
    assert any(e.line == 67 and e.path == "nixos/modules/system/boot/resolved.nix"
               for e in dnssec.evidence)
    assert c2605["nixos:removed-option:systemd.sleep.extraConfig"].fixable is False
    assert c2605["nixos:renamed-option:services.jellyseerr"].fixable is False


@pytest.mark.parametrize(("client", "noted"), [
    ("client.enable = true;", True),
    ("client.enable = lib.mkDefault false;", False),  # its default was false already
    ("", False),                                      # client off by default
])
def test_torsocks_default_change_needs_the_tor_client(
        tmp_path: Path, client: str, noted: bool) -> None:
    """torsocks.enable defaulted to `tor.enable && tor.client.enable` (torsocks.nix at
    faukah/nixpkgs 3b20077c, cited): without the client nothing changes for the config."""
    from nqd.analysis.engine import run_check
    from nqd.releases import Release

    (tmp_path / "configuration.nix").write_text(
        f"{{ lib, ... }}: {{ services.tor = {{ enable = true; {client} }}; }}\n")
    result = run_check([tmp_path], Release.parse("25.05"), Release.parse("25.11"))
    ids = {f.change.id for f in result.findings if f.change is not None}
    assert ("nixos:changed-default:services.tor.torsocks.enable" in ids) is noted


@pytest.mark.parametrize(("value", "noted"), [
    ('"WAYLAND_DISPLAY"', True),                       # a string: no longer accepted
    ('[ "WAYLAND_DISPLAY" ]', False),                  # already a list
    ('lib.concatStringsSep " " [ "A" ]', True),        # cannot tell: said
])
def test_accept_env_note_only_for_a_string(tmp_path: Path, value: str, noted: bool) -> None:
    """26.05 made services.openssh.settings.AcceptEnv a list of strings (rl-2605): a list
    already written as one needs nothing (two of three configurations in the field test)."""
    from nqd.analysis.engine import run_check
    from nqd.releases import Release

    (tmp_path / "configuration.nix").write_text(
        f"{{ lib, ... }}: {{ services.openssh.settings.AcceptEnv = {value}; }}\n")
    result = run_check([tmp_path], Release.parse("25.11"), Release.parse("26.05"))
    ids = {f.change.id for f in result.findings if f.change is not None}
    assert ("nixos:behaviour:services.openssh.settings.AcceptEnv" in ids) is noted
