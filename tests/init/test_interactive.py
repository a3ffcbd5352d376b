"""Interactive mode asks only what the profile lacks, offers machine defaults, re-asks on
invalid answers; driven through a prompt function and through stdin."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from nqd.errors import InputError
from nqd.init.generate import QUESTIONS, complete_values
from tests.init.conftest import EMPTY_ROOT, RunInit


class Script:
    """A prompt function answering from a list and recording the questions."""

    def __init__(self, answers: list[str]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, str]] = []

    def __call__(self, question: str, default: str) -> str:
        self.asked.append((question, default))
        return self.answers.pop(0)


def test_asks_only_missing_keys_with_machine_defaults() -> None:
    given = {"release": "25.11", "hostname": "h", "user.name": "eve", "git.email": "e@x.org",
             "desktop.environments": ["gnome"]}
    suggested = {"timezone": "Europe/Paris", "hardware.gpu": "intel", "user.full_name": "Eve"}
    script = Script(["", "Eve Q", "", "nvidia"])  # full name (default), git.name, tz, gpu
    values = complete_values(given, suggested, script, lambda _: None)
    questions = [q for q, _ in script.asked]
    assert questions == [q for k, q in QUESTIONS if k not in given]
    assert dict(script.asked)["Time zone"] == "Europe/Paris"
    assert dict(script.asked)["GPU (amd, nvidia, intel, none)"] == "intel"
    assert values["user.full_name"] == "Eve"
    assert values["git.name"] == "Eve Q"
    assert values["timezone"] == "Europe/Paris"
    assert values["hardware.gpu"] == "nvidia"
    assert values["hostname"] == "h"


def test_invalid_answer_is_asked_again_then_gives_up() -> None:
    said: list[str] = []
    script = Script(["ati", "amd"])
    given = {k: "x" for k, _ in QUESTIONS if k != "hardware.gpu"}
    values = complete_values(given, {}, script, said.append)
    assert values["hardware.gpu"] == "amd"
    assert said == ["hardware.gpu: expected one of amd, nvidia, intel, none; got 'ati'"]
    with pytest.raises(InputError, match=r"hardware\.gpu: no valid answer"):
        complete_values(given, {}, Script(["a", "b", "c"]), said.append)


def test_non_interactive_takes_suggestions_then_defaults() -> None:
    values = complete_values({}, {"hostname": "detected"}, None, lambda _: None)
    assert values["hostname"] == "detected"
    assert values["release"] == "26.05"


def test_cli_reads_answers_from_stdin(tmp_path: Path, run_init: RunInit,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    profile = tmp_path / "p.toml"
    profile.write_text('release = "26.05"\n[desktop]\nenvironments = ["none"]\n'
                       '[git]\nname = "Zed"\nemail = "zed@example.org"\n')
    answers = "\n".join(["zhost", "zed", "Zed Zee", "Europe/Oslo", "none", "y"]) + "\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(answers))
    out = tmp_path / "out"
    code, _, err = run_init("--profile", str(profile), "--out", str(out), "--root",
                            str(EMPTY_ROOT), "--hardware-config", "none")
    assert code == 0, err
    assert "Host name [nixos]: " in err
    assert "Git user.name" not in err  # the profile has it
    config = (out / "hosts/zhost/configuration.nix").read_text()
    assert 'time.timeZone = "Europe/Oslo";' in config
    assert 'description = "Zed Zee";' in config


def test_cli_answer_no_writes_nothing(tmp_path: Path, run_init: RunInit,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    profile = tmp_path / "p.toml"
    profile.write_text('release = "26.05"\nhostname = "a"\ntimezone = "UTC"\n'
                       '[user]\nname = "a"\nfull_name = "A"\n[git]\nname = "A"\n'
                       'email = "a@b.c"\n[desktop]\nenvironments = ["none"]\n'
                       '[hardware]\ngpu = "none"\n')
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    code, stdout, err = run_init("--profile", str(profile), "--out", str(tmp_path / "o"),
                                 "--root", str(EMPTY_ROOT), "--hardware-config", "none")
    assert code == 0
    assert "+++ b/flake.nix" in stdout
    assert "nothing written" in err
    assert not (tmp_path / "o").exists()


def test_cli_end_of_input_is_a_clear_error(tmp_path: Path, run_init: RunInit,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, _, err = run_init("--out", str(tmp_path / "o"), "--root", str(EMPTY_ROOT))
    assert code == 2
    assert "end of input" in err and "--non-interactive" in err
