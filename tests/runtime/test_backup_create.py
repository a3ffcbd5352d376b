"""`nqd backup create` end to end: content, modes, skipped specials, atomicity, memory."""

from __future__ import annotations

import json
import os
import resource
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from backup_helpers import make_tree, manifest_of, sha256

from nqd.cli import main


@pytest.mark.parametrize("compression", ["zstd", "gzip"])
def test_create_verify_restore_round_trip(nqd_env, tmp_path, capsys, compression):
    tree = tmp_path / "tree"
    tree.mkdir()
    made = make_tree(tree)
    rc = main(["backup", "create", "--no-defaults", "--no-databases", "--path", str(tree),
               "--compression", compression, "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    backup = Path(out["path"])
    assert backup.parent == nqd_env.backups
    assert stat.S_IMODE(nqd_env.backups.stat().st_mode) == 0o700
    assert stat.S_IMODE(backup.stat().st_mode) == 0o700
    for child in backup.iterdir():
        assert stat.S_IMODE(child.stat().st_mode) == 0o600, child
    manifest = manifest_of(backup)
    by_name = {m["name"]: m for m in manifest["members"]}
    prefix = "files" + str(tree)
    for rel, data in made["files"].items():
        member = by_name[f"{prefix}/{rel}"]
        assert member["sha256"] == sha256(data)
        assert member["size"] == len(data)
    assert by_name[f"{prefix}/a.txt"]["mode"] == 0o640
    assert by_name[f"{prefix}/a.txt"]["mtime"] == 1_600_000_000
    assert by_name[f"{prefix}/loop1"] == {**by_name[f"{prefix}/loop1"], "type": "symlink",
                                          "target": "loop2"}
    skipped = {s["path"]: s["reason"] for s in manifest["skipped"]}
    assert "fifo" in skipped[str(tree / "fifo")]
    assert "socket" in skipped[str(tree / "sock")]
    assert manifest["archive_sha256"] == sha256((backup / manifest["archive"]).read_bytes())

    assert main(["backup", "verify", out["id"]]) == 0
    target = tmp_path / "restored"
    assert main(["backup", "restore", out["id"], "--to", str(target)]) == 0
    restored = target / prefix
    for rel, data in made["files"].items():
        got = restored / rel
        assert got.read_bytes() == data
        assert stat.S_IMODE(got.stat().st_mode) == stat.S_IMODE((tree / rel).stat().st_mode)
        assert int(got.stat().st_mtime) == int((tree / rel).stat().st_mtime)
    assert os.readlink(restored / "loop1") == "loop2"
    assert os.readlink(restored / "link-to-a") == "a.txt"
    assert not (restored / "fifo").exists()
    made["socket"].close()


def test_default_sources_take_age_key_and_skip_missing(nqd_env, capsys):
    key = nqd_env.config_home / "sops" / "age" / "keys.txt"
    key.parent.mkdir(parents=True)
    key.write_text("AGE-SECRET-KEY-1XYZ\n")
    flake = nqd_env.home / ".dotfiles" / "home-manager"
    flake.mkdir(parents=True)
    (flake / "flake.nix").write_text("{ outputs = _: { }; }\n")
    state = nqd_env.state_home / "nixos-quick-deploy"
    state.mkdir(parents=True)
    (state / "journal.json").write_text("{}")
    assert main(["backup", "create", "--no-databases", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert str(nqd_env.home / ".local/share/ai-optimizer") in first["missing_sources"]
    assert main(["backup", "create", "--no-databases", "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    names = {m["name"] for m in manifest_of(Path(second["path"]))["members"]}
    assert f"files{key}" in names
    assert f"files{flake}/flake.nix" in names
    assert f"files{state}/journal.json" in names
    # The second backup must not contain the first one: backups never back up backups.
    assert not any("/backups/" in n for n in names)


def test_config_paths_and_excludes(nqd_env, tmp_path, capsys):
    data = tmp_path / "data"
    (data / "cache").mkdir(parents=True)
    (data / "keep.txt").write_text("keep")
    (data / "drop.tmp").write_text("drop")
    (data / "cache" / "big").write_text("x")
    nqd_env.write_config(f'[backup]\ninclude_defaults = false\npaths = ["{data}"]\n'
                         f'excludes = ["*.tmp", "{data}/cache"]\n')
    assert main(["backup", "create", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    names = {m["name"] for m in manifest_of(Path(out["path"]))["members"]}
    assert f"files{data}/keep.txt" in names
    assert f"files{data}/drop.tmp" not in names
    assert not any("cache" in n for n in names)


def test_unreadable_file_is_skipped_and_named(nqd_env, tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "ok.txt").write_text("fine")
    (tree / "locked.txt").write_text("no")
    os.chmod(tree / "locked.txt", 0o000)
    prefix: tuple[str, ...] = ()
    if os.geteuid() == 0:  # root reads everything: drop the capabilities that allow it
        prefix = ("setpriv", "--bounding-set=-dac_override,-dac_read_search", "--")
    proc = nqd_env.run("backup", "create", "--no-defaults", "--no-databases", "--path",
                       str(tree), "--json", prefix=prefix, check_rc=0)
    out = json.loads(proc.stdout)
    skipped = {s["path"]: s["reason"] for s in out["skipped"]}
    assert "Permission denied" in skipped[str(tree / "locked.txt")]
    names = {m["name"] for m in manifest_of(Path(out["path"]))["members"]}
    assert f"files{tree}/ok.txt" in names


def test_memory_stays_flat_on_a_big_file(nqd_env, tmp_path):
    """Streaming: peak RSS while archiving 256 MiB must stay far below it."""
    big = tmp_path / "big"
    big.mkdir()
    with open(big / "zeros.bin", "wb") as handle:
        handle.truncate(256 << 20)
    code = ("import resource, sys; from nqd.cli import main; rc = main(sys.argv[1:]); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); "
            "sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code, "backup", "create", "--no-defaults",
                           "--no-databases", "--path", str(big)], env=nqd_env.env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    peak_kib = int(proc.stderr.strip().splitlines()[-1])
    assert peak_kib < 150 * 1024, f"peak RSS {peak_kib} KiB"
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss > 0


def _leftovers(backups: Path) -> list[str]:
    return sorted(p.name for p in backups.iterdir()) if backups.exists() else []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_leaves_no_half_backup(nqd_env, tmp_path, signum):
    tree = tmp_path / "tree"
    tree.mkdir()
    for i in range(4):
        (tree / f"random{i}.bin").write_bytes(os.urandom(24 << 20))
    proc = subprocess.Popen([sys.executable, "-m", "nqd", "backup", "create", "--no-defaults",
                             "--no-databases", "--compression", "gzip", "--level", "9",
                             "--path", str(tree)], env=nqd_env.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            # a CI shell may start us with SIGINT ignored; a terminal does not
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        temps = [n for n in _leftovers(nqd_env.backups) if n.startswith(".tmp-")]
        if temps and any((nqd_env.backups / temps[0]).glob("backup.tar.*")):
            break
        time.sleep(0.01)
    else:
        proc.kill()
        pytest.fail("backup never started writing")
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert _leftovers(nqd_env.backups) == []


def _mount_tmpfs(path: Path, size: str) -> bool:
    if os.geteuid() != 0:
        return False
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs",
                             str(path)], capture_output=True)
    return result.returncode == 0


def test_disk_full_leaves_no_partial_backup(nqd_env, tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "random.bin").write_bytes(os.urandom(8 << 20))
    small = tmp_path / "small"
    small.mkdir()
    mounted = _mount_tmpfs(small, "2m")
    try:
        args = ["backup", "create", "--no-defaults", "--no-databases", "--path", str(tree),
                "--dir", str(small / "backups")]
        if mounted:  # a real full file system: ENOSPC
            proc = nqd_env.run(*args)
        else:  # else the kernel's file-size limit: EFBIG on the archive's write
            proc = nqd_env.run(*args, prefix=("prlimit", "--fsize=2000000", "--"))
        assert proc.returncode == 1, (proc.stdout, proc.stderr)
        assert "nothing kept" in proc.stderr
        assert "Traceback" not in proc.stderr
        assert _leftovers(small / "backups") == []
    finally:
        if mounted:
            subprocess.run(["umount", str(small)], check=True)


@pytest.mark.parametrize("compression", ["zstd", "gzip"])
def test_archives_are_plain_tar_for_standard_tools(nqd_env, tmp_path, capsys, compression):
    """Without nqd, `tar` (with gzip or zstd) lists and extracts the archive."""
    tree = tmp_path / "tree"
    tree.mkdir()
    for i in range(3):  # > 1 MiB each: several gzip members, several zstd blocks
        (tree / f"f{i}.bin").write_bytes(os.urandom(1 << 20) + b"text" * 300_000)
    assert main(["backup", "create", "--no-defaults", "--no-databases", "--path", str(tree),
                 "--compression", compression, "--json"]) == 0
    archive = json.loads(capsys.readouterr().out)["archive"]
    flag = "-z" if compression == "gzip" else "--zstd"
    out = tmp_path / "plain"
    out.mkdir()
    subprocess.run(["tar", flag, "-xf", archive, "-C", str(out)], check=True)
    for i in range(3):
        assert (out / ("files" + str(tree)) / f"f{i}.bin").read_bytes() == \
            (tree / f"f{i}.bin").read_bytes()


def test_progress_bar_draws_on_a_stream():
    import io

    from nqd.runtime.backup.progress import Progress

    stream = io.StringIO()
    progress = Progress(4 << 20, stream)
    progress.advance(1 << 20)
    progress.finish()
    text = stream.getvalue()
    assert "[" in text and "25.0%" in text and "100.0%" not in text
    assert "1.0 MiB/4.0 MiB" in text
    silent = Progress(10, None)
    silent.advance(5)
    silent.finish()


def test_concurrent_creates_get_distinct_ids(nqd_env, tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "f").write_text("x")
    argv = [sys.executable, "-m", "nqd", "backup", "create", "--no-defaults", "--no-databases",
            "--path", str(tree), "--json"]
    procs = [subprocess.Popen(argv, env=nqd_env.env, stdout=subprocess.PIPE, text=True)
             for _ in range(4)]
    ids = [json.loads(p.communicate(timeout=60)[0])["id"] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert len(set(ids)) == 4
    assert sorted(_leftovers(nqd_env.backups)) == sorted(ids)


def test_progress_bar_only_on_a_terminal(nqd_env, tmp_path):
    import pty

    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "f.bin").write_bytes(os.urandom(1 << 20))
    argv = [sys.executable, "-m", "nqd", "backup", "create", "--no-defaults", "--no-databases",
            "--path", str(tree)]
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, env=nqd_env.env, stdout=subprocess.PIPE, stderr=slave)
    proc.communicate(timeout=60)
    os.close(slave)
    drawn = b""
    try:
        while chunk := os.read(master, 65536):
            drawn += chunk
    except OSError:  # EIO once the terminal is drained
        pass
    os.close(master)
    assert b"100.0%" in drawn and b"[####" in drawn
    piped = nqd_env.run(*argv[3:])
    assert "%" not in piped.stderr and "\r" not in piped.stderr


def test_a_source_that_is_a_symlink_is_followed(nqd_env, tmp_path, capsys):
    """`/etc/nixos -> /persist/etc/nixos`: both the link and what it points to are kept."""
    persist = tmp_path / "persist" / "nixos"
    persist.mkdir(parents=True)
    (persist / "configuration.nix").write_text("{ }\n")
    link = tmp_path / "etc-nixos"
    link.symlink_to(persist)
    assert main(["backup", "create", "--no-defaults", "--no-databases", "--path", str(link),
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    manifest = manifest_of(Path(out["path"]))
    names = {m["name"]: m for m in manifest["members"]}
    assert names[f"files{link}"]["type"] == "symlink"
    assert names[f"files{persist}/configuration.nix"]["type"] == "file"
    labels = {s["label"] for s in manifest["sources"]}
    assert "command-line (link target)" in labels
