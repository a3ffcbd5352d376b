"""Every generated file parses (nix-instantiate --parse and the tree-sitter grammar), every
option it sets is one that exists in the profile's release, and the research document's
mistakes are absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from nqd.init.facts import problems
from nqd.init.optionpaths import leaf_paths
from nqd.nix.parser import parse
from nqd.runtime.host import LocalHost
from tests.init.conftest import EMPTY_ROOT, GOLDEN_PROFILES, PROFILES, RunInit, init_args

VARIANTS = {
    # Extra profiles beyond the golden ones, to reach every feature branch.
    "plasma_intel_systemd_boot": """
release = "25.11"
hostname = "p6"
[user]
name = "carol"
shell = "bash"
[desktop]
environments = ["plasma6"]
[hardware]
gpu = "intel"
kernel = "zen"
[dev]
editors = ["emacs", "neovim"]
toolsets = ["base", "c", "rust", "go", "node", "python", "nix"]
""",
    "xanmod_sops_ai": """
release = "26.05"
hostname = "x"
[user]
name = "dave"
[desktop]
environments = ["hyprland"]
display_manager = "gdm"
[hardware]
kernel = "xanmod"
[containers.ai_stack]
enable = true
[secrets]
sops = true
""",
}


def _generate(name: str, tmp_path: Path, run_init: RunInit) -> tuple[Path, str]:
    out = tmp_path / name
    if name in VARIANTS:
        profile = tmp_path / f"{name}.toml"
        profile.write_text(VARIANTS[name])
        code, _, err = run_init("--profile", str(profile), "--out", str(out),
                                "--non-interactive", "--hardware-config", "none",
                                "--root", str(EMPTY_ROOT))
        release = VARIANTS[name].split('"')[1]
    else:
        code, _, err = run_init(*init_args(name, out))
        release = (PROFILES / f"{name}.toml").read_text().split('release = "')[1][:5]
    assert code == 0, err
    return out, release


ALL = sorted(GOLDEN_PROFILES) + sorted(VARIANTS)


def _nix_files(out: Path) -> list[Path]:
    files = sorted(out.rglob("*.nix"))
    assert files
    return files


@pytest.mark.parametrize("name", ALL)
def test_every_file_parses_with_nix_instantiate(name: str, tmp_path: Path,
                                                run_init: RunInit) -> None:
    host = LocalHost()
    if host.which("nix-instantiate") is None:
        pytest.skip("nix-instantiate is not installed (apt install nix-bin)")
    out, _ = _generate(name, tmp_path, run_init)
    for path in _nix_files(out):
        result = host.run(["nix-instantiate", "--parse", str(path)], timeout=30)
        assert result.ok, f"{path}: {result.stderr}"
        assert not parse(path.read_bytes()).has_errors, path


@pytest.mark.parametrize("name", ALL)
def test_every_option_exists_in_the_release(name: str, tmp_path: Path,
                                            run_init: RunInit) -> None:
    out, release = _generate(name, tmp_path, run_init)
    found = []
    checked = 0
    for path in _nix_files(out):
        rel = path.relative_to(out)
        if rel.name in ("flake.nix", "hardware-configuration.nix", "local.nix"):
            continue
        context = "home" if rel.parts[0] == "home" else "nixos"
        for option, _ in leaf_paths(path.read_bytes()):
            checked += 1
            problem = problems(option, context, release)
            if problem:
                found.append(f"{rel}: {problem}")
    assert checked > 10
    assert found == []


def test_facts_reject_an_option_that_is_too_new() -> None:
    assert problems(("boot", "loader", "refind", "enable"), "nixos", "25.05")
    assert problems(("boot", "loader", "refind", "enable"), "nixos", "25.11") is None
    assert problems(("networking", "networkmanager", "vpnPlugins"), "nixos", "25.11")


@pytest.mark.parametrize("name", ALL)
def test_research_document_mistakes_are_absent(name: str, tmp_path: Path,
                                               run_init: RunInit) -> None:
    out, _ = _generate(name, tmp_path, run_init)
    for path in _nix_files(out):
        for option, value in leaf_paths(path.read_bytes()):
            assert "vpnPlugins" not in option, path
            assert "healthcheck" not in option, path
            assert option[:2] != ("services", "xserver") or option[2] == "videoDrivers", path
            if option == ("services", "lact", "enable"):
                assert value.type == "variable_expression" and value.text == b"true"
            if option[-1] == "stateVersion":
                assert value.type == "string_expression"


def test_ai_stack_is_rootless_and_local(tmp_path: Path, run_init: RunInit) -> None:
    out, _ = _generate("cosmic_hyprland_amd_ai", tmp_path, run_init)
    options = dict(leaf_paths((out / "modules/containers/ai-stack.nix").read_bytes()))
    containers = {o[3] for o in options if o[:3] == ("virtualisation", "oci-containers",
                                                    "containers")}
    assert containers == {"llama-cpp", "postgres", "redis", "qdrant", "ollama", "open-webui"}
    for name in containers:
        prefix = ("virtualisation", "oci-containers", "containers", name)
        assert options[(*prefix, "podman", "user")].text == b'"alice"'
        assert options[(*prefix, "podman", "sdnotify")].text == b'"healthy"'
        extra = options[(*prefix, "extraOptions")].text.decode()
        assert "--health-cmd=" in extra
        ports = options.get((*prefix, "ports"))
        if ports is None:
            assert "--network=host" in extra
            host = options[(*prefix, "environment", "HOST")].text
            assert host == b'"127.0.0.1"'
        else:
            for port in ports.named_children:
                assert port.text.decode().startswith('"127.0.0.1:'), port.text
    assert options[("users", "users", "alice", "linger")].text == b"true"
    assert options[("users", "users", "alice", "uid")].text == b"1000"


def test_docs_list_every_fact() -> None:
    from nqd.init.facts import FACTS

    docs = (Path(__file__).parents[2] / "docs" / "init.md").read_text()
    missing = [f.pattern for f in FACTS if f"`{f.pattern}`" not in docs]
    assert missing == []
