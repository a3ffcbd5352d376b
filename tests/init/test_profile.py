"""Profile validation: exit 2 and one line naming the key; the printed default profile is
itself a valid profile."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from nqd.init.profile import DEFAULT_PROFILE_TOML, FIELDS, build_profile, flatten
from tests.init.conftest import EMPTY_ROOT, RunInit

CASES = [
    ('[hardware]\ngpu = "ati"\n', "hardware.gpu: expected one of amd, nvidia, intel, none; "
     "got 'ati'"),
    ('[hardware]\ngpus = "amd"\n', "hardware.gpus: unknown key (did you mean hardware.gpu?)"),
    ('release = "25.05"\n', "release: expected one of 25.11, 26.05; got '25.05'"),
    ('hostname = "my_host"\n', "hostname: expected a host name"),
    ('[user]\nname = "Alice"\n', "user.name: expected a login name"),
    ('[user]\nname = "root"\n', "user.name: 'root' is a system account"),  # QA pass
    ('timezone = "Mars/Olympus"\n', "timezone: expected a time zone such as Europe/Berlin; "
     "'Mars/Olympus' is not in the tz database"),
    ('[user]\nuid = "1000"\n', "user.uid: expected a number from 1000 to 59999"),
    ('[desktop]\nenvironments = ["none", "gnome"]\n', "desktop.environments: 'none' cannot"),
    ('[desktop]\nenvironments = "gnome"\n', "desktop.environments: expected a list"),
    ('[desktop]\nenvironments = ["gnome", "gnome"]\n', "desktop.environments: lists an item "
     "twice"),
    ('[containers]\npodman = false\n[containers.ai_stack]\nenable = true\n',
     "containers.ai_stack.enable: the AI stack runs on rootless podman"),
    ('[python]\nenable = "yes"\n', "python.enable: expected true or false, got 'yes'"),
    ('[python]\npackages = ["torch", "a b"]\n', "python.packages: item 2: expected a "
     "python3Packages attribute name"),
    ('[caches]\nsubstituters = ["http://x.org"]\n', "caches.substituters: item 1: expected an "
     "https:// URL"),
    ('[desktop]\nenvironments = ["none"]\n[flatpak]\nenable = true\n',
     "flatpak.enable: Flatpak needs a desktop"),
    ("hardware = 3\n", "hardware: expected a table, got int 3"),
    ('[hardware\ngpu = "amd"\n', "not valid TOML"),
]


@pytest.mark.parametrize(("text", "message"), CASES)
def test_bad_profile_exits_2_with_one_line(text: str, message: str, tmp_path: Path,
                                          run_init: RunInit) -> None:
    import zoneinfo

    if "tz database" in message and not zoneinfo.available_timezones():
        pytest.skip("no tz database on this machine (Debian: tzdata)")
    profile = tmp_path / "p.toml"
    profile.write_text(text)
    code, out, err = run_init("--profile", str(profile), "--out", str(tmp_path / "o"),
                              "--non-interactive", "--root", str(EMPTY_ROOT))
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert message in err
    assert str(profile) in err
    assert "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_missing_profile_file(tmp_path: Path, run_init: RunInit) -> None:
    code, _, err = run_init("--profile", str(tmp_path / "nope.toml"), "--non-interactive")
    assert code == 2
    assert "no such profile file" in err


def test_print_profile_is_a_valid_profile_setting_every_key(run_init: RunInit) -> None:
    code, out, _ = run_init("--print-profile")
    assert code == 0
    assert out == DEFAULT_PROFILE_TOML
    values = flatten(tomllib.loads(out), "default")
    assert sorted(values) == sorted(FIELDS)
    profile = build_profile(values, "default")
    assert profile.release == "26.05"
    assert profile.desktops == ("gnome",)


def test_release_option_overrides_the_profile(tmp_path: Path, run_init: RunInit) -> None:
    profile = tmp_path / "p.toml"
    profile.write_text('release = "26.05"\n[desktop]\nenvironments = ["none"]\n')
    out = tmp_path / "o"
    code, _, err = run_init("--profile", str(profile), "--out", str(out), "--release", "25.11",
                            "--non-interactive", "--root", str(EMPTY_ROOT))
    assert code == 0, err
    assert "nixos-25.11" in (out / "flake.nix").read_text()


def test_out_must_be_a_directory(tmp_path: Path, run_init: RunInit) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    code, _, err = run_init("--out", str(target), "--non-interactive", "--root",
                            str(EMPTY_ROOT))
    assert code == 2
    assert "--out must be a directory" in err
