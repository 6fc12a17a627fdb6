"""Shared fixtures: real SQLite stores in temporary directories, never the user's data dir."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from evidex.corpus import Corpus
from evidex.settings import Settings

TESTS = Path(__file__).parent
DATA = TESTS / "data"
MINI = DATA / "corpus_mini"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test reads the developer's config or data directory."""
    for key in list(os.environ):
        if key.startswith("EVIDEX_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("EVIDEX_DATA_DIR", str(tmp_path / "default-data"))


@pytest.fixture
def empty_corpus(tmp_path) -> Corpus:
    """A corpus with no built-in documents, for ingestion tests."""
    corpus = Corpus.open(Settings(data_dir=tmp_path / "data", builtin_corpus=False))
    yield corpus
    corpus.close()


@pytest.fixture(scope="session")
def builtin_data_dir(tmp_path_factory) -> Path:
    """A data directory holding the full built-in corpus, built once per run."""
    data_dir = tmp_path_factory.mktemp("builtin")
    with Corpus.open(Settings(data_dir=data_dir)) as corpus:
        corpus.prepare()
    return data_dir


@pytest.fixture
def builtin_copy(builtin_data_dir, tmp_path) -> Path:
    """A private copy of the built-in data directory that a test may change."""
    target = tmp_path / "builtin-copy"
    shutil.copytree(builtin_data_dir, target)
    return target


def run_cli(*args: str, data_dir: Path, env: dict[str, str] | None = None, input: str | None = None):
    """Run the real ``evidex`` command in a subprocess."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDEX_")}
    full_env.update({"EVIDEX_DATA_DIR": str(data_dir), "COLUMNS": "200", **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "evidex", *args],
        capture_output=True,
        text=True,
        env=full_env,
        input=input,
        timeout=300,
    )
