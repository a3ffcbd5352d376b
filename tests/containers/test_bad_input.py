"""Bad input to `nqd containers import|migrate-db`: one line, exit 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from nqd.cli import main

CASES: dict[str, tuple[str, str, str]] = {
    # name: (file name, content, expected message part)
    "yaml": ("c.yml", "services:\n  a: [\n", "not valid YAML"),
    "duplicate-key": ("c.yml", "services:\n  a:\n    image: x\n  a:\n    image: y\n",
                      "not valid YAML"),
    "typo": ("c.yml", "services:\n  a:\n    image: x\n    enviroment: {A: b}\n",
             "'enviroment' is not a Compose field"),
    "not-a-mapping": ("c.yml", "- just\n- a list\n", "top level is not a mapping"),
    "no-services": ("c.yml", "volumes: {}\n", "'services' is a required property"),
    "no-image": ("c.yml", "services:\n  a:\n    build: .\n", "no `image:`"),
    "bad-port": ("c.yml", "services:\n  a:\n    image: x\n    ports: ['80:http']\n",
                 "bad port"),
    "bad-type": ("c.yml", "services:\n  a:\n    image: x\n    ports: 80\n",
                 "services.a.ports"),
    "undeclared-volume": ("c.yml", "services:\n  a:\n    image: x\n    volumes: [data:/d]\n",
                          "volume 'data' is used but not declared"),
    "required-var": ("c.yml", "services:\n  a:\n    image: ${IMG:?set IMG}\n",
                     "${IMG} is required"),
    "bad-image": ("c.yml", "services:\n  a:\n    image: 'x y'\n", "not an image reference"),
    "unit-no-podman": ("a.service", "[Service]\nExecStart=/usr/bin/sleep 10\n",
                       "does not run podman"),
    "unit-no-run": ("a.service", "[Service]\nExecStart=/usr/bin/podman start a\n",
                    "is not `podman run`"),
    "unit-quote": ("a.service", "[Service]\nExecStart=/usr/bin/podman run 'x\n",
                   "No closing quotation"),
    "unit-junk": ("a.service", "this is not a unit\n", "not a unit file line"),
    "unit-empty": ("a.service", "[Unit]\nDescription=x\n", "neither a [Service]"),
    "quadlet-no-image": ("a.container", "[Container]\nExec=sleep 1\n", "has no Image="),
    "unknown-kind": ("a.txt", "hello\n", "unknown input kind"),
    "too-deep": ("c.yml", "services:\n  a:\n    image: x\n    environment: "
                 + "[" * 3000 + "]" * 3000 + "\n", "nested too deeply"),
    "bad-network-name": ("c.yml", "services:\n  a:\n    image: x:1\n    networks: [n]\n"
                         "networks:\n  n:\n    external: true\n    name: 'a;reboot'\n",
                         "not a safe"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_line_exit_2(case: str, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    filename, content, expected = CASES[case]
    path = tmp_path / filename
    path.write_text(content)
    code = main(["containers", "import", str(path), "-o", str(tmp_path / "out.nix")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert expected in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "out.nix").exists()


def test_missing_file_and_usage_errors(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["containers", "import", str(tmp_path / "nope.yml")]) == 2
    assert "no such file" in capsys.readouterr().err
    compose = tmp_path / "c.yml"
    compose.write_text("services:\n  a:\n    image: nginx:1.27\n")
    out = tmp_path / "out.nix"
    out.write_text("# mine\n")
    assert main(["containers", "import", str(compose), "-o", str(out)]) == 2
    assert "pass --force" in capsys.readouterr().err
    assert out.read_text() == "# mine\n"
    assert main(["containers", "import", str(compose), "--data-root", "rel/dir"]) == 2
    assert "absolute" in capsys.readouterr().err
    assert main(["containers", "import", str(compose), "--user", "Bad User"]) == 2
    assert "not a valid user name" in capsys.readouterr().err
    assert main(["containers"]) == 2
    assert "choose an action" in capsys.readouterr().err
    assert main(["containers", "import", str(compose), "-o", str(out), "--force"]) == 0
    assert "nginx:1.27" in out.read_text()


def test_duplicate_service_across_inputs(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    compose = tmp_path / "c.yml"
    compose.write_text("services:\n  db:\n    image: postgres:16\n")
    unit = tmp_path / "podman-db.service"
    unit.write_text("[Service]\nExecStart=/usr/bin/podman run --name db postgres:16\n")
    assert main(["containers", "import", str(compose), str(unit)]) == 2
    assert "already defined" in capsys.readouterr().err


@pytest.mark.parametrize(("ports", "expected"), [
    ('["127.0.0.1:99999:6379"]', "port '99999' is not a port number (1-65535)"),
    ('["0:6379"]', "port '0' is not a port number (1-65535)"),
    ("[{target: 70000, published: 8080}]", "port '70000' is not a port number (1-65535)"),
])
def test_a_port_out_of_range_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        ports: str, expected: str) -> None:
    """QA pass: port 99999 was written into the module."""
    compose = tmp_path / "c.yml"
    compose.write_text(f"services:\n  a:\n    image: redis:7.2\n    ports: {ports}\n")
    assert main(["containers", "import", str(compose)]) == 2
    assert expected in capsys.readouterr().err


@pytest.mark.parametrize(("args", "expected"), [
    (["--user", "root"], "dedicated account"),
    (["--user", "nobody"], "dedicated account"),
    (["--user", "svc", "--uid", "99999999"], "out of range (1000-59999"),
    (["--user", "svc", "--uid", "0"], "out of range (1000-59999"),
])
def test_the_containers_account_must_be_a_regular_user(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
        expected: str) -> None:
    """QA pass: --user root made users.users.root.uid = 2000; --uid 99999999 a subuid
    range start beyond 2^32."""
    compose = tmp_path / "c.yml"
    compose.write_text("services:\n  a:\n    image: redis:7.2\n")
    assert main(["containers", "import", str(compose), *args]) == 2
    assert expected in capsys.readouterr().err


def test_the_output_is_never_one_of_the_inputs(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """QA pass: `-o compose.yml --force` replaced the compose file with the module."""
    compose = tmp_path / "c.yml"
    text = "services:\n  a:\n    image: redis:7.2\n"
    compose.write_text(text)
    assert main(["containers", "import", str(compose), "-o", str(compose), "--force"]) == 2
    assert "is one of the inputs" in capsys.readouterr().err
    assert compose.read_text() == text


def test_a_dependency_on_a_service_not_imported_is_said_on_stderr(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """QA pass: only a comment inside the module said the dependency was dropped."""
    compose = tmp_path / "c.yml"
    compose.write_text("services:\n  app:\n    image: ghcr.io/x/app:1\n    depends_on: [db]\n")
    assert main(["containers", "import", str(compose)]) == 0
    err = capsys.readouterr().err
    assert "app depends on 'db', which is not among the inputs" in err
