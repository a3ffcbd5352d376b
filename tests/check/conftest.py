from __future__ import annotations

from pathlib import Path

import pytest

from nqd.knowledge.loader import KnowledgeBase
from tests.check.helpers import FIXTURE_CHANGES, write_kb


@pytest.fixture
def kb_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A hand-written knowledge dir, also used by the CLI through NQD_KNOWLEDGE_DIR."""
    directory = write_kb(tmp_path / "kb", FIXTURE_CHANGES)
    monkeypatch.setenv("NQD_KNOWLEDGE_DIR", str(directory))
    return directory


@pytest.fixture
def kb(kb_dir: Path) -> KnowledgeBase:
    return KnowledgeBase.load(kb_dir)
