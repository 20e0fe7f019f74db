"""Shared fixtures: keep the developer's machine out of every test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("SEARCHKIT_CORPUS", REPO.parent / "shared" / "corpus"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """Every path and setting points into tmp_path; the UI speaks French."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SEARCHKIT_LANG", "fr")
    monkeypatch.delenv("SEARCHKIT_INDEX", raising=False)
    monkeypatch.delenv("SEARCHKIT_CONFIG", raising=False)
    for var in ("SEARCHKIT_SOURCES", "SEARCHKIT_THESAURUS", "SEARCHKIT_WORKERS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "home" / ".local" / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home" / ".cache"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def corpus() -> Path:
    """The shared real-world corpus; the test is skipped when it is absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    return CORPUS
