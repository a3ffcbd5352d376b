from __future__ import annotations

from pathlib import Path

import pytest

from nqd.knowledge.loader import KnowledgeBase
from tests.fix.kb import write_test_kb


@pytest.fixture(scope="session")
def kb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_test_kb(tmp_path_factory.mktemp("kb"))


@pytest.fixture(scope="session")
def kb(kb_dir: Path) -> KnowledgeBase:
    return KnowledgeBase.load(kb_dir)


@pytest.fixture(autouse=True)
def _isolated(kb_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Knowledge from the test directory; undo state and working directory in tmp."""
    monkeypatch.setenv("NQD_KNOWLEDGE_DIR", str(kb_dir))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)  # a run that forgets its PATH must not fix the repository
