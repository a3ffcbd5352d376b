"""`nqd containers import`: golden modules and reports for the research document's stack,
a compose file with every mapped field, podman units (password on the command line) plus a
Quadlet file, and the unsupported-field report. Every module must parse with
`nix-instantiate --parse`, pass `nqd check`, and hold no secret value of any input.

Goldens: tests/containers/golden/<case>.nix and <case>.report (the stderr report), with
the temporary input directory written as @FIXTURES@. Regenerate with NQD_UPDATE_GOLDEN=1
and review the diff.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from nqd.analysis.engine import run_check
from nqd.cli import main
from nqd.containers.reader import read_inputs
from nqd.releases import Release

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("NQD_UPDATE_GOLDEN") == "1"

CASES: dict[str, tuple[list[str], list[str]]] = {
    "ai-stack": (["ai-stack.yml"], ["--user", "aistack", "--uid", "2001"]),
    "every-field": (["every-field.yml"], ["--user", "hyperd", "--uid", "1000",
                                          "--data-root", "/srv/containers"]),
    "podman-units": (["podman-mcp-postgres.service", "podman-aidb.service",
                      "lemonade.container"], ["--user", "hyperd", "--uid", "1000",
                                              "--secrets-dir", "/run/keys/containers"]),
    "unsupported": (["unsupported.yml"], []),
}
# Every secret value written into the fixtures (compose values, .env, units, Quadlet,
# env_file). None may appear in any output.
SECRET_VALUES = (
    "hf_fixtureTokenValue0123456789", "sk-fixture-openai-key-9f8e7d6c",
    "pg-fixture-secret-Zq81x", "redis-fixture-secret-Kp27v", "unit-fixture-pw-7Hs2",
    "unit-env-pw-Lm44", "cmdline-fixture-pw-Xy9", "quadlet-fixture-key-Pz5",
    "app-envfile-secret-Qw3",
)


def _run_case(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
              monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str, str, Path]:
    inputs = tmp_path / "in"
    shutil.copytree(FIXTURES, inputs)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    monkeypatch.chdir(inputs)
    files, options = CASES[name]
    module = out_dir / f"{name}.nix"
    code = main(["containers", "import", *files, *options, "--output", str(module)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return module, captured.out, captured.err, inputs


def _normalise(text: str, inputs: Path) -> str:
    tmp = inputs.parent
    for path, mark in ((inputs, "@FIXTURES@"), (tmp / "out", "@OUT@")):
        text = text.replace(str(path.resolve()), mark).replace(str(path), mark)
    return text


def _compare(path: Path, actual: str) -> None:
    if UPDATE:
        path.write_text(actual)
    assert path.exists(), f"missing golden {path.name}: run with NQD_UPDATE_GOLDEN=1"
    assert actual == path.read_text(), f"{path.name} differs from the golden file"


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_module_and_report(name: str, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    module, _out, err, inputs = _run_case(name, tmp_path, capsys, monkeypatch)
    _compare(GOLDEN / f"{name}.nix", _normalise(module.read_text(), inputs))
    _compare(GOLDEN / f"{name}.report", _normalise(err, inputs))


@pytest.mark.skipif(shutil.which("nix-instantiate") is None,
                    reason="nix-instantiate (Debian nix-bin) is not installed")
@pytest.mark.parametrize("name", sorted(CASES))
def test_module_parses_with_nix(name: str, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    module, *_ = _run_case(name, tmp_path, capsys, monkeypatch)
    result = subprocess.run(["nix-instantiate", "--parse", str(module)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", sorted(CASES))
def test_module_passes_nqd_check(name: str, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    module, *_ = _run_case(name, tmp_path, capsys, monkeypatch)
    result = run_check([module], Release.parse("25.05"), Release.parse("25.11"))
    assert not result.model.diagnostics
    assert [f.message for f in result.findings] == []


def test_check_does_see_generated_containers(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Control for the test above: an unpinned database image is reported."""
    compose = tmp_path / "db.yml"
    compose.write_text("services:\n  db:\n    image: postgres:latest\n")
    module = tmp_path / "db.nix"
    assert main(["containers", "import", str(compose), "-o", str(module)]) == 0
    assert "pin a version" in capsys.readouterr().err
    result = run_check([module], Release.parse("25.05"), Release.parse("25.11"))
    assert [f.rule for f in result.findings] == ["NQD302"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_secret_value_in_any_output(name: str, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    module, out, err, _inputs = _run_case(name, tmp_path, capsys, monkeypatch)
    outputs = {"stdout": out, "stderr": err}
    for path in (tmp_path / "out").rglob("*"):
        if path.is_file():
            outputs[str(path)] = path.read_text(errors="replace")
    assert str(module) in outputs
    for where, text in outputs.items():
        for secret in SECRET_VALUES:
            assert secret not in text, f"secret {secret[:6]}... leaked into {where}"


def test_health_checks_read_secrets_from_the_environment_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--health-cmd` lands in the Nix store like the command line (QA pass: the Redis
    password of `redis-cli -a PASS ping` was inlined although `--requirepass PASS` was
    moved out)."""
    compose = tmp_path / "stack.yml"
    compose.write_text(
        "services:\n"
        "  redis:\n    image: redis:7.2\n"
        '    command: ["redis-server", "--requirepass", "health-secret-Rq11"]\n'
        '    healthcheck:\n      test: ["CMD", "redis-cli", "-a", "health-secret-Rq11", "ping"]\n'
        "  api:\n    image: ghcr.io/example/api:1.0\n"
        "    healthcheck:\n      test: curl -fsS --api-key=health-secret-Ak22 http://localhost/\n"
        "  plain:\n    image: ghcr.io/example/plain:1.0\n"
        '    healthcheck:\n      test: ["CMD", "pg_isready", "-U", "app"]\n')
    module = tmp_path / "stack.nix"
    assert main(["containers", "import", str(compose), "-o", str(module)]) == 0
    capsys.readouterr()
    text = module.read_text()
    assert "health-secret" not in text
    assert '"--health-cmd=exec redis-cli -a \\"$REQUIREPASS\\" ping"' in text
    assert '"--health-cmd=curl -fsS --api-key=\\${API_KEY} http://localhost/"' in text
    assert '--health-cmd=[\\"pg_isready\\", \\"-U\\", \\"app\\"]' in text  # unchanged
    secrets = {ref.key: ref.value for svc in read_inputs([compose]).services.values()
               for ref in svc.secrets}
    assert secrets == {"REQUIREPASS": "health-secret-Rq11", "API_KEY": "health-secret-Ak22"}


def test_every_fixture_secret_is_detected() -> None:
    """The secret scan above is meaningful: each inline secret is found and moved out."""
    found: set[str] = set()
    for files, _ in CASES.values():
        stack = read_inputs([FIXTURES / f for f in files])
        for svc in stack.services.values():
            found.update(ref.value for ref in svc.secrets)
            assert not any(s in v for v in svc.environment.values() for s in SECRET_VALUES)
    dotenv_only = {"pg-fixture-secret-Zq81x", "redis-fixture-secret-Kp27v"}
    env_file_only = {"app-envfile-secret-Qw3"}
    inline = set(SECRET_VALUES) - dotenv_only - env_file_only
    assert inline <= found, inline - found


def test_stdout_module_when_no_output(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["containers", "import", str(FIXTURES / "ai-stack.yml")]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("{ config, lib, pkgs, ... }:")
    assert "pg-fixture-secret" not in captured.out + captured.err


@pytest.mark.skipif(shutil.which("nix-instantiate") is None,
                    reason="nix-instantiate (Debian nix-bin) is not installed")
@pytest.mark.parametrize("name", sorted(CASES))
def test_nix_evaluates_back_to_the_input_values(name: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Escaping round trip: Nix itself evaluates the emitted strings (`${`, `''`, quotes,
    `$`, multi-line) back to exactly what the reader took from the inputs."""
    import json

    module, _out, _err, inputs = _run_case(name, tmp_path, capsys, monkeypatch)
    expr = (f"(import {module} {{ config.virtualisation.podman.package = null; "
            f"lib = null; pkgs = null; }}).virtualisation.oci-containers.containers")
    result = subprocess.run(["nix-instantiate", "--eval", "--strict", "--json", "-E", expr],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    evaluated = json.loads(result.stdout)
    stack = read_inputs([inputs / f for f in CASES[name][0]])
    assert set(evaluated) == set(stack.services)
    for svc_name, svc in stack.services.items():
        container = evaluated[svc_name]
        assert container["image"] == svc.image
        assert container.get("environment", {}) == svc.environment
        assert container.get("labels", {}) == svc.labels
        if svc.cmd is not None:
            assert container["cmd"] == svc.cmd


def test_a_secret_among_arguments_for_the_image_entrypoint_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`command: --model m --api-key KEY` runs behind the image's ENTRYPOINT: rewriting it
    to `sh -c 'exec --model ...'` made a container that cannot start (QA pass); inlining
    the key would put it in the Nix store. One line, exit 2, nothing written."""
    compose = tmp_path / "vllm.yml"
    compose.write_text("services:\n  vllm:\n    image: vllm/vllm-openai:v0.6.4\n"
                       "    command: --model m --api-key sk-args-secret-123\n")
    module = tmp_path / "vllm.nix"
    assert main(["containers", "import", str(compose), "-o", str(module)]) == 2
    err = capsys.readouterr().err
    assert "only arguments for the image's entrypoint" in err and "sk-args" not in err
    assert not module.exists()
