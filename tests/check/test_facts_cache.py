"""The facts cache (nqd.model.facts_cache) and the worker-process path: neither may change
what check finds, and a file's edit must always be seen."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from nqd.analysis.engine import run_check
from nqd.cli import main
from nqd.model import builder
from nqd.model.builder import PARALLEL_THRESHOLD, build_model
from nqd.model.facts_cache import FactsCache
from nqd.model.files import read_source
from nqd.releases import Release
from tests.check.helpers import write_tree

EXAMPLE = Path(__file__).parents[2] / "examples" / "workstation"
FROM, TO = Release.parse("25.05"), Release.parse("25.11")


def _keys(result):  # type: ignore[no-untyped-def]
    return sorted((str(f.pos), f.pos.end_byte, f.rule, f.message) for f in result.findings)


def _no_extraction(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("a file was parsed although the cache had its facts")

    monkeypatch.setattr(builder, "extract_file", refuse)


def test_a_second_run_takes_every_file_from_the_cache_with_the_same_findings(
        monkeypatch: pytest.MonkeyPatch) -> None:
    uncached = run_check([EXAMPLE], FROM, TO)
    first = run_check([EXAMPLE], FROM, TO, cache=True)
    _no_extraction(monkeypatch)
    second = run_check([EXAMPLE], FROM, TO, cache=True)
    assert _keys(first) == _keys(second) == _keys(uncached)
    assert second.findings
    positions = [(f.pos.line, f.pos.column, f.pos.end_line) for f in second.findings]
    assert positions == [(f.pos.line, f.pos.column, f.pos.end_line) for f in uncached.findings]


def test_an_edited_file_is_parsed_again(tmp_path: Path, kb_dir: Path) -> None:
    tree = write_tree(tmp_path / "cfg", {
        "configuration.nix": "{ ... }: { imports = [ ./desktop.nix ]; }\n",
        "desktop.nix": "{ ... }: { services.xserver.enable = true;    }\n",
    })
    assert run_check([tree], FROM, cache=True).findings == ()
    # Same size, same mtime: only the bytes tell the edit apart.
    desktop = tree / "desktop.nix"
    stat = desktop.stat()
    desktop.write_text("{ ... }: { services.logind.extraConfig = \"x\"; }\n")
    os.utime(desktop, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert desktop.stat().st_size == stat.st_size
    rules = {(f.rule, f.pos.path.name) for f in run_check([tree], FROM, cache=True).findings}
    assert ("NQD102", "desktop.nix") in rules  # services.logind.extraConfig was removed


def test_a_damaged_cache_is_ignored_and_rewritten(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _keys(run_check([EXAMPLE], FROM, TO, cache=True))
    cache_files = list((Path(os.environ["XDG_CACHE_HOME"]) / "nixos-quick-deploy" / "facts")
                       .glob("*.facts"))
    assert cache_files
    for path in cache_files:
        path.write_bytes(b"\xffnot marshal data at all")
    assert _keys(run_check([EXAMPLE], FROM, TO, cache=True)) == expected
    _no_extraction(monkeypatch)  # rewritten: the next run parses nothing
    assert _keys(run_check([EXAMPLE], FROM, TO, cache=True)) == expected


def test_an_unusable_cache_directory_only_costs_speed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    not_a_directory = tmp_path / "cache-is-a-file"
    not_a_directory.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(not_a_directory))
    expected = _keys(run_check([EXAMPLE], FROM, TO))
    assert _keys(run_check([EXAMPLE], FROM, TO, cache=True)) == expected


def test_cached_imports_follow_symlinks_as_they_are_now(tmp_path: Path) -> None:
    tree = write_tree(tmp_path, {
        "main.nix": "{ ... }: { imports = [ ./current.nix ]; }\n",
        "a.nix": "{ ... }: { }\n",
        "b.nix": "{ ... }: { }\n",
    })
    (tree / "current.nix").symlink_to("a.nix")
    cache = FactsCache.open([tree], None, directory=tmp_path / "cache")
    build_model([tree / "main.nix"], cache=cache, follow_imports=False)
    (tree / "current.nix").unlink()
    (tree / "current.nix").symlink_to("b.nix")
    cache = FactsCache.open([tree], None, directory=tmp_path / "cache")
    source, _ = read_source(tree / "main.nix")
    assert source is not None
    facts = cache.get(source.path, source.source)
    assert facts is not None, "main.nix is unchanged, its facts should come from the cache"
    assert [ref.target for ref in facts.imports] == [(tree / "b.nix").resolve()]


def _big_tree(root: Path) -> Path:
    listed = " ".join(f"./h{i}.nix" for i in range(PARALLEL_THRESHOLD))
    files = {"configuration.nix": "{ ... }: { imports = [ ./hosts ]; }\n",
             "hosts/default.nix": f"{{ ... }}: {{ imports = [ {listed} ]; }}\n"}
    for i in range(PARALLEL_THRESHOLD):
        body = ("services.logind.extraConfig = \"x\";" if i % 7 == 0 else
                "services.xserver.desktopManager.gnome.enable = true;" if i % 5 == 0 else
                f"networking.hostName = \"h{i}\";")
        files[f"hosts/h{i}.nix"] = (f"{{ pkgs, ... }}: {{ {body} environment.systemPackages = "
                                    "[ pkgs.noto-fonts-emoji ]; }\n")
    files["broken.nix"] = "{ a = ; }\n"
    return write_tree(root, files)


def test_worker_processes_and_the_cache_give_the_single_process_model(
        tmp_path: Path, kb_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = _big_tree(tmp_path / "big")
    single = run_check([tree], FROM, jobs=1)
    parallel = run_check([tree], FROM, jobs=2, cache=True)
    assert _keys(parallel) == _keys(single)
    assert {f.rule for f in single.findings} >= {"NQD001", "NQD101", "NQD102", "NQD201"}
    for path, model in single.model.files.items():
        other = parallel.model.files[path]
        assert (other.context, other.options, other.packages, other.reads) == \
            (model.context, model.options, model.packages, model.reads)
    _no_extraction(monkeypatch)
    cached = run_check([tree], FROM, jobs=2, cache=True)
    assert _keys(cached) == _keys(single)


def test_cli_uses_the_cache_and_no_cache_leaves_it_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    facts_dir = tmp_path / "xdg" / "nixos-quick-deploy" / "facts"
    assert main(["check", str(EXAMPLE), "--no-git", "--no-cache"]) == 1
    assert not facts_dir.exists()
    facts_dir.mkdir(parents=True)
    (facts_dir / "0123.pickle").write_bytes(b"a cache of an earlier nqd")
    assert main(["check", str(EXAMPLE), "--no-git"]) == 1
    assert len(list(facts_dir.glob("*.facts"))) == 1
    assert not list(facts_dir.glob("*.pickle"))  # the older format is removed
    capsys.readouterr()


def _die(*_: object) -> None:
    os._exit(3)  # a worker killed (out of memory, a crash in the parser)


def test_a_dying_worker_falls_back_to_extracting_in_process(
        tmp_path: Path, kb_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = _big_tree(tmp_path / "big")
    expected = _keys(run_check([tree], FROM, jobs=1))
    monkeypatch.setattr(builder, "_extract_records", _die)
    assert _keys(run_check([tree], FROM, jobs=2)) == expected


def _die_after_taking_three(*_: object) -> None:
    for _ in range(3):
        builder._take()
    os._exit(3)


def _die_holding_the_counter(*_: object) -> None:
    builder._NEXT.get_lock().acquire()
    os._exit(3)


def test_files_a_worker_took_before_it_died_are_extracted_in_process(
        tmp_path: Path, kb_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers take files from a shared counter; this process waits (in its first file)
    until the worker has taken three, so that they are taken and lost for sure. The files
    import nothing: no import can bring a lost file back."""
    tree = write_tree(tmp_path / "loose", {
        f"h{i}.nix": f'{{ ... }}: {{ services.logind.extraConfig = "{i}"; }}\n'
        for i in range(PARALLEL_THRESHOLD)})
    expected = _keys(run_check([tree], FROM, jobs=1))
    waited: list[bool] = []
    extracted = builder._extracted

    def slow_start(*args: Any) -> Any:
        if not waited:
            counter = builder._NEXT.get_obj()  # read without the lock
            deadline = time.monotonic() + 30
            while counter.value < 4 and time.monotonic() < deadline:
                time.sleep(0.01)
            waited.append(counter.value >= 4)
        return extracted(*args)

    monkeypatch.setattr(builder, "_extract_records", _die_after_taking_three)
    monkeypatch.setattr(builder, "_extracted", slow_start)
    result = run_check([tree], FROM, jobs=2)
    assert waited == [True]
    assert _keys(result) == expected
    assert len(result.model.files) == PARALLEL_THRESHOLD


def test_a_worker_killed_holding_the_counter_costs_time_not_files(
        tmp_path: Path, kb_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = _big_tree(tmp_path / "big")
    expected = _keys(run_check([tree], FROM, jobs=1))
    monkeypatch.setattr(builder, "_extract_records", _die_holding_the_counter)
    monkeypatch.setattr(builder, "_TAKE_TIMEOUT", 0.5)
    result = run_check([tree], FROM, jobs=2)
    assert _keys(result) == expected
    assert len(result.model.files) == PARALLEL_THRESHOLD + 3


def test_a_record_restores_the_facts_it_was_made_from(tmp_path: Path) -> None:
    """Records are restored without the dataclasses' `__init__` (for speed): the restored
    facts must equal the extracted ones, positions included, and stay frozen."""
    import dataclasses

    from nqd.model.extract import extract_file
    from nqd.model.records import from_record, to_record

    source = (b'{ pkgs, lib, ... }: let hm = builtins.fetchTarball "https://github.com/'
              b'nix-community/home-manager/archive/release-25.05.tar.gz"; in {\n'
              b'  imports = [ ./hw.nix ];\n'
              b'  services.logind = lib.mkIf true { extraConfig = "x"; };\n'
              b'  environment.systemPackages = with pkgs; [ hello pkgs.git ];\n'
              b'  nixpkgs.overlays = [ (final: prev: { s = prev.system; }) ];\n'
              b'  x = config.services.xserver.enable;\n}\n')
    path = tmp_path / "configuration.nix"
    facts = extract_file(path, source)
    restored = from_record(to_record(facts), path, source)
    for name in ("options", "packages", "reads", "imports", "fetched", "top_roots"):
        assert getattr(restored, name) == getattr(facts, name), name
    assert facts.options and facts.packages and facts.reads and facts.fetched
    assert [o.pos for o in restored.options] == [o.pos for o in facts.options]
    assert [r.pos for r in restored.reads] == [r.pos for r in facts.reads]
    with pytest.raises(dataclasses.FrozenInstanceError):
        restored.options[0].path = ("changed",)  # type: ignore[misc]
