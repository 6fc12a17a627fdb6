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


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    """A real PostgreSQL 16 server with pgvector, from the pgserver package (one per test run)."""
    import pgserver

    server = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
    yield server
    server.cleanup()


def new_database(server, name: str) -> str:
    """A fresh, empty database on ``server``: its ``postgresql://`` URL."""
    name = "".join(c if c.isalnum() else "_" for c in name.lower())[-50:].lstrip("_0123456789") or "evidex"
    server.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE);")
    server.psql(f"CREATE DATABASE {name};")
    return server.get_uri(name)


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


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class EvidexServer:
    """The real ``evidex serve`` in a subprocess on 127.0.0.1, for API and browser tests."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.env = env or {}
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log = data_dir / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "EvidexServer":
        import time

        import httpx

        env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDEX_")}
        env.update({"EVIDEX_DATA_DIR": str(self.data_dir), **self.env})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "evidex", "serve", "--port", str(self.port)],
            env=env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"evidex serve exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/api/health", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"evidex serve did not answer within 180 s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> "EvidexServer":
        self.stop()
        return self.start()


HOSTILE_DOCUMENT = {
    "id": "test:hostile-1",
    "title": "Quadriceps taping for patellofemoral pain <script>alert('title')</script>",
    "kind": "rct",
    "year": 2021,
    "journal": "Journal <b>of</b> Tests",
    "passages": [
        {
            "label": "CONCLUSIONS",
            "text": "Quadriceps taping reduced patellofemoral pain compared with sham taping "
            "<script>alert('evidence')</script> at six weeks.",
        }
    ],
}
HOSTILE_QUESTION = "Does quadriceps taping help patellofemoral pain?"


def add_users(data_dir: Path, users: dict[str, str]) -> dict[str, str]:
    """Create users (name → role) with the real CLI; returns name → password."""
    passwords = {}
    for name, role in users.items():
        password = f"{name}-correct-horse-battery"
        result = run_cli("users", "add", name, "--role", role, "--password-stdin", data_dir=data_dir, input=password + "\n")
        assert result.returncode == 0, result.stderr
        passwords[name] = password
    return passwords


@pytest.fixture(scope="module")
def service_data_dir(builtin_data_dir, tmp_path_factory) -> Path:
    """A copy of the built-in data directory plus one document with hostile markup."""
    import json

    target = tmp_path_factory.mktemp("service") / "data"
    shutil.copytree(builtin_data_dir, target)
    hostile = target.parent / "hostile.jsonl"
    hostile.write_text(json.dumps(HOSTILE_DOCUMENT) + "\n")
    result = run_cli("ingest", str(hostile), data_dir=target)
    assert result.returncode == 0, result.stderr
    return target


def started_server(data_dir: Path, users: dict[str, str]) -> EvidexServer:
    """``evidex serve`` on ``data_dir`` with these users (name → role); ``.passwords`` holds theirs."""
    passwords = add_users(data_dir, users)
    server = EvidexServer(data_dir).start()
    server.passwords = passwords
    return server
