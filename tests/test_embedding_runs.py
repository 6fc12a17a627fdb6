"""Embedding as a user meets it: progress without a terminal, kill -9 and a re-run,
and a server that listens at once and embeds in the background."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import httpx
import pytest

from evidex.settings import Settings
from tests.conftest import MINI, EvidexServer, run_cli

ENV = {"EVIDEX_BUILTIN_CORPUS": "false"}


def _counts(data) -> tuple[int, int]:
    """(passages, passages with a vector)."""
    with sqlite3.connect(Settings(data_dir=data).database_path, timeout=10) as conn:
        return (
            conn.execute("SELECT COUNT(*) FROM passages").fetchone()[0],
            conn.execute("SELECT COUNT(*) FROM passage_vectors").fetchone()[0],
        )


def _ingest_without_vectors(data) -> int:
    files = [str(MINI / name) for name in ("review_abstracts.jsonl", "pubmed_abstracts.jsonl", "guidelines.jsonl")]
    result = run_cli("ingest", "--no-embed", *files, data_dir=data, env=ENV)
    assert result.returncode == 0, result.stderr
    passages, embedded = _counts(data)
    assert embedded == 0 and passages > 40
    return passages


@pytest.mark.slow
def test_kill_9_while_embedding_keeps_what_was_committed_and_a_rerun_finishes(tmp_path):
    data = tmp_path / "data"
    passages = _ingest_without_vectors(data)
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDEX_")}
    env.update(EVIDEX_DATA_DIR=str(data), **ENV)
    process = subprocess.Popen([sys.executable, "-m", "evidex", "embed"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and _counts(data)[1] < 16:
        time.sleep(0.1)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    _, kept = _counts(data)
    assert 16 <= kept < passages  # committed batches survive the kill; the run was not finished

    rerun = run_cli("embed", data_dir=data, env=ENV)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{passages - kept} passages embedded" in rerun.stdout  # only what was left
    assert _counts(data) == (passages, passages)
    # Not on a terminal, progress comes as lines, the last one at the end.
    assert f"embedding passages {passages - kept:,} of {passages - kept:,} passages (" in rerun.stderr


@pytest.mark.slow
def test_the_server_listens_at_once_and_embeds_in_the_background(tmp_path):
    data = tmp_path / "data"
    passages = _ingest_without_vectors(data)
    server = EvidexServer(data, env=ENV).start()
    try:
        health = httpx.get(f"{server.url}/api/health", timeout=10)
        assert health.status_code == 200
        assert _counts(data)[1] < passages  # answering before the passages are embedded
        found = httpx.get(f"{server.url}/api/search", params={"q": "exercise"}, timeout=60)
        assert found.status_code == 200, found.text
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and _counts(data)[1] < passages:
            time.sleep(1)
        assert _counts(data) == (passages, passages)
    finally:
        server.stop()
    log = server.log.read_text()
    assert "passages have no vector yet: embedding them in the background" in log
