"""`backup verify` names damaged members; `backup restore` refuses unsafe archives."""

from __future__ import annotations

import json
import os
import stat
import tarfile
from pathlib import Path

import pytest
from backup_helpers import file_info, link_info, make_tree, manifest_of, write_backup

from nqd.cli import main


@pytest.fixture
def backup(nqd_env, tmp_path, capsys) -> dict:
    tree = tmp_path / "tree"
    tree.mkdir()
    made = make_tree(tree)
    made["socket"].close()
    (tree / "big.bin").write_bytes(os.urandom(2 << 20))
    rc = main(["backup", "create", "--no-defaults", "--no-databases", "--path", str(tree),
               "--json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    return {"id": out["id"], "path": Path(out["path"]), "tree": tree,
            "archive": Path(out["archive"])}


def test_flipped_byte_names_the_member(backup, capsys):
    archive = backup["archive"]
    data = bytearray(archive.read_bytes())
    # big.bin is random, so it fills most of the compressed stream: flip a byte in its middle.
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    assert main(["backup", "verify", backup["id"]]) == 1
    out = capsys.readouterr().out
    assert "sha256 differs from the manifest" in out
    assert "big.bin" in out


def test_truncated_archive_names_what_is_missing(backup, capsys):
    archive = backup["archive"]
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 3])
    assert main(["backup", "verify", backup["id"], "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert not report["ok"]
    text = "\n".join(report["problems"])
    assert "size" in text and "truncated" in text
    assert "sub/deep/secret.key: missing from the archive" in text or "big.bin" in text


def test_manifest_disagreement_is_named(backup, capsys):
    manifest = manifest_of(backup["path"])
    for member in manifest["members"]:
        if member["name"].endswith("/a.txt"):
            member["mode"] = 0o777
    (backup["path"] / "manifest.json").write_text(json.dumps(manifest))
    assert main(["backup", "verify", backup["id"]]) == 1
    assert "a.txt: mode 640, manifest says 777" in capsys.readouterr().out


def test_restore_refuses_to_overwrite_without_force(backup, tmp_path, capsys):
    target = tmp_path / "out"
    assert main(["backup", "restore", backup["id"], "--to", str(target)]) == 0
    victim = target / ("files" + str(backup["tree"])) / "a.txt"
    victim.write_text("changed by the user")
    assert main(["backup", "restore", backup["id"], "--to", str(target)]) == 2
    assert "would be overwritten" in capsys.readouterr().err
    assert victim.read_text() == "changed by the user"
    assert main(["backup", "restore", backup["id"], "--to", str(target), "--force"]) == 0
    assert victim.read_bytes() == b"hello\n" * 100
    assert stat.S_IMODE(victim.stat().st_mode) == 0o640


def test_restore_only_one_path_to_its_original_place(backup, tmp_path):
    from nqd.runtime.backup.restore import restore_backup
    from nqd.runtime.backup.store import find_backup

    stored = find_backup(backup["path"].parent, backup["id"])
    root = tmp_path / "fake-root"  # stands in for "/" so the test never writes outside tmp
    wanted = str(backup["tree"] / "sub" / "deep")
    result = restore_backup(stored, only=(wanted,), root=root)
    restored = root / str(backup["tree"]).lstrip("/")
    assert (restored / "sub/deep/secret.key").read_bytes() == b"AGE-SECRET-KEY-1TEST\n"
    assert stat.S_IMODE((restored / "sub/deep/secret.key").stat().st_mode) == 0o600
    assert not (restored / "a.txt").exists()
    assert len(result.written) == 1


MALICIOUS = {
    "dotdot": [file_info("files/../../evil.txt", b"pwned")],
    "absolute": [file_info("/tmp/nqd-evil-absolute.txt", b"pwned")],
    "symlink-escape": [link_info("files/escape", "../../../../../etc"),
                       file_info("files/escape/passwd", b"pwned")],
    "absolute-symlink": [link_info("files/abs", "/etc")],
    "hardlink-escape": [link_info("files/hard", "../../etc/passwd", tarfile.LNKTYPE)],
    "device": [tarfile.TarInfo("files/dev")],
}
MALICIOUS["device"][0].type = tarfile.CHRTYPE  # type: ignore[union-attr]


@pytest.mark.parametrize("case", sorted(MALICIOUS))
def test_malicious_archive_is_refused_and_nothing_written(nqd_env, tmp_path, capsys, case):
    directory = tmp_path / "backups"
    write_backup(directory, MALICIOUS[case])
    target = tmp_path / "target"
    target.mkdir()
    rc = main(["backup", "restore", "20200101T000000Z", "--dir", str(directory),
               "--to", str(target)])
    err = capsys.readouterr().err
    assert rc == 2
    assert "refusing to restore" in err
    assert list(target.iterdir()) == []
    assert not Path("/tmp/nqd-evil-absolute.txt").exists()
    assert not (tmp_path / "evil.txt").exists()


def test_content_not_matching_manifest_is_not_restored(nqd_env, tmp_path, capsys):
    directory = tmp_path / "backups"
    target_dir = write_backup(directory, [file_info("files/x.txt", b"original")])
    manifest = manifest_of(target_dir)
    manifest["members"][0]["sha256"] = "0" * 64
    (target_dir / "manifest.json").write_text(json.dumps(manifest))
    rc = main(["backup", "restore", "20200101T000000Z", "--dir", str(directory),
               "--to", str(tmp_path / "out")])
    assert rc == 1
    assert "content differs" in capsys.readouterr().err
    assert not (tmp_path / "out" / "files" / "x.txt").exists()


def test_prune_keeps_newest(nqd_env, tmp_path, capsys):
    directory = tmp_path / "backups"
    for i in range(4):
        write_backup(directory, [file_info("files/x", b"x")], backup_id=f"2020010{i}T000000Z")
    dead = directory / ".tmp-20200105T000000Z"  # left by a killed process
    dead.mkdir()
    (dead / ".nqd-pid").write_text("999999999\n")
    alive = directory / ".tmp-20200106T000000Z"  # a backup in progress: kept
    alive.mkdir()
    (alive / ".nqd-pid").write_text(f"{os.getpid()}\n")
    assert main(["backup", "prune", "--keep", "2", "--dir", str(directory)]) == 0
    assert sorted(p.name for p in directory.iterdir()) == [
        ".tmp-20200106T000000Z", "20200102T000000Z", "20200103T000000Z"]
    assert main(["backup", "prune", "--keep", "0", "--dir", str(directory)]) == 2


def test_only_the_selected_members_must_be_safe_to_restore(nqd_env, tmp_path, capsys):
    """A flake directory's `result -> /nix/store/...` link cannot be restored into
    another directory; restoring only `flake.nix` from it was refused all the same (QA
    pass). The selection is checked; the whole directory is still refused."""
    flake = tmp_path / "flake"
    flake.mkdir()
    (flake / "flake.nix").write_text("{ outputs = _: { }; }\n")
    (flake / "result").symlink_to("/nix/store/00000000000000000000000000000000-system")
    assert main(["backup", "create", "--no-defaults", "--no-databases", "--path", str(flake),
                 "--json"]) == 0
    backup_id = json.loads(capsys.readouterr().out)["id"]
    target = tmp_path / "out"
    assert main(["backup", "restore", backup_id, "--to", str(target),
                 "--only", str(flake / "flake.nix")]) == 0
    assert (target / ("files" + str(flake)) / "flake.nix").read_text().startswith("{ outputs")
    capsys.readouterr()
    assert main(["backup", "restore", backup_id, "--to", str(tmp_path / "all")]) == 2
    assert "points outside the target" in capsys.readouterr().err
