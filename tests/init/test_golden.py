"""Golden output trees for the three profiles of issue 8 (reviewed by hand; regenerate with
NQD_UPDATE_GOLDEN=1 and review the diff before committing)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.init.conftest import GOLDEN, GOLDEN_PROFILES, RunInit, init_args, tree


@pytest.mark.parametrize("name", sorted(GOLDEN_PROFILES))
def test_output_matches_golden_tree(name: str, tmp_path: Path, run_init: RunInit) -> None:
    out = tmp_path / "out"
    code, _, err = run_init(*init_args(name, out))
    assert code == 0, err
    produced = tree(out)
    expected_dir = GOLDEN / name
    if os.environ.get("NQD_UPDATE_GOLDEN"):
        shutil.rmtree(expected_dir, ignore_errors=True)
        shutil.copytree(out, expected_dir)
    expected = tree(expected_dir)
    assert sorted(produced) == sorted(expected)
    for rel, data in expected.items():
        assert produced[rel].decode() == data.decode(), rel
