"""Ingestion and embedding on Ray (a real local Ray instance, `--ray local`) into a real PostgreSQL
with pgvector: the same corpus as a plain ingest, and `kill -9` in the middle loses nothing committed
and duplicates nothing."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time

import numpy as np
import psycopg
import pytest

pytest.importorskip("ray")

from evidex.corpus import Corpus  # noqa: E402
from evidex.settings import PubMedSettings, Settings  # noqa: E402
from tests.conftest import new_database  # noqa: E402
from tests.pubmed_servers import FileServer, article_set, record  # noqa: E402
from tests.test_pubmed_sync import A, B, C, R, X, nlm_files  # noqa: E402

FILES, RECORDS = 3, 100  # a few hundred records: CI time goes on Ray's start (~5-10 s a run)
# MiniLM (~150 passages/s on two cores) rather than e5 (6-11/s): what is tested is the distribution.
ENV = {"EVIDEX_BUILTIN_CORPUS": "false", "EVIDEX_SEARCH__EMBEDDING_MODEL": "minilm-l6-onnx-int8"}


def write_files(folder) -> list[str]:
    """PubMed XML files; one record in ten has its abstract (four passages), the rest a title only."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(FILES):
        first = 81_000_000 + n * RECORDS
        records = [record(first + i, title=f"Exercise for chronic low back pain, trial {first + i}.", abstract=i % 10 == 0)
                   for i in range(RECORDS)]
        path = folder / f"trials{n}.xml.gz"
        path.write_bytes(gzip.compress(article_set(records).encode()))
        paths.append(str(path))
    return paths


def evidex(*args: str, data_dir, url: str, **popen) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDEX_")}
    env.update({"EVIDEX_DATA_DIR": str(data_dir), "EVIDEX_DATABASE_URL": url, "EVIDEX_INGEST__BATCH_SIZE": "10", **ENV})
    return subprocess.Popen([sys.executable, "-m", "evidex", *args], env=env, text=True, **popen)


def corpus_rows(url: str) -> tuple[set[str], int, int, int]:
    """(document ids, passages, distinct (document, ordinal) passages, vectors)."""
    with psycopg.connect(url) as conn:
        if conn.execute("SELECT to_regclass('passage_vectors')").fetchone()[0] is None:  # not created yet
            return set(), 0, 0, 0
        ids = {row[0] for row in conn.execute("SELECT id FROM documents")}
        passages, distinct = conn.execute("SELECT COUNT(*), COUNT(DISTINCT (doc_id, ord)) FROM passages").fetchone()
        vectors = conn.execute("SELECT COUNT(*) FROM passage_vectors").fetchone()[0]
    return ids, passages, distinct, vectors


@pytest.mark.slow
def test_ray_ingest_gives_the_corpus_a_plain_ingest_gives(postgres, tmp_path):
    paths = write_files(tmp_path / "files")
    url = new_database(postgres, "ray_ingest")
    run = evidex("ingest", "--ray", "local", *paths, data_dir=tmp_path / "data", url=url,
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = run.communicate(timeout=600)
    assert run.returncode == 0, err
    assert f"{FILES * RECORDS} ingested, 0 updated, 0 unchanged, 0 skipped, 0 deleted" in out
    assert "Ray: 390 passages" in err and " x 2 cores" in err
    ids, passages, distinct, vectors = corpus_rows(url)
    assert len(ids) == FILES * RECORDS and passages == distinct == vectors == 390

    plain = new_database(postgres, "plain_ingest")
    with Corpus.open(Settings(data_dir=tmp_path / "plain", database_url=plain, builtin_corpus=False,
                              search={"embedding_model": "minilm-l6-onnx-int8"})) as corpus:
        corpus.ingest(paths)
    with psycopg.connect(url) as on_ray, psycopg.connect(plain) as alone:
        documents = "SELECT id, content_hash FROM documents ORDER BY id"
        assert on_ray.execute(documents).fetchall() == alone.execute(documents).fetchall()
        vectors = ("SELECT p.doc_id, p.ord, v.embedding FROM passage_vectors v JOIN passages p USING (rowid)"
                   " ORDER BY 1, 2")
        ray_vectors, plain_vectors = on_ray.execute(vectors).fetchall(), alone.execute(vectors).fetchall()
    assert [r[:2] for r in ray_vectors] == [r[:2] for r in plain_vectors]
    # The same vectors, up to MiniLM's int8 activations, which depend a little on the batch a text is in.
    cosines = [float(np.dot(_floats(a[2]), _floats(b[2]))) for a, b in zip(ray_vectors, plain_vectors)]
    assert min(cosines) > 0.98


def _floats(text: str) -> np.ndarray:
    return np.array(text.strip("[]").split(","), dtype=np.float32)


@pytest.mark.slow
def test_kill_9_during_a_ray_ingest_loses_nothing_committed_and_duplicates_nothing(postgres, tmp_path):
    paths = write_files(tmp_path / "files")
    url = new_database(postgres, "ray_kill")
    run = evidex("ingest", "--ray", "local", *paths, data_dir=tmp_path / "data", url=url,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 300
    before = (set(), 0, 0, 0)
    while time.monotonic() < deadline and run.poll() is None:
        before = corpus_rows(url)
        if before[0]:  # the first batches are committed: stop it in the middle
            break
        time.sleep(0.05)
    assert run.poll() is None, "the ingest ended before it could be stopped"
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    # Ray's GCS, raylet and workers go away with the process that started them, but a worker may
    # still commit the batch it holds meanwhile; its two agents (dashboard, runtime environments)
    # stay until `ray stop`. This test stops them all itself before it counts what was committed.
    for pid in _ray_processes(run.pid):
        os.kill(pid, signal.SIGKILL)
    stopped = _settled(url)  # a COMMIT the server had already received still completes
    assert before[0] <= stopped[0] and (len(stopped[0]) < FILES * RECORDS or stopped[3] < stopped[1])

    again = evidex("ingest", "--ray", "local", *paths, data_dir=tmp_path / "data", url=url,
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    ids, passages, distinct, vectors = corpus_rows(url)
    assert stopped[0] <= ids and len(ids) == FILES * RECORDS
    assert passages == distinct == vectors == 390  # every passage once, every vector once
    stored = len(stopped[0])
    assert f"{FILES * RECORDS - stored} ingested, 0 updated, {stored} unchanged" in out


def _settled(url: str) -> tuple:
    """The corpus's rows once two reads a moment apart agree."""
    rows = corpus_rows(url)
    while True:
        time.sleep(0.2)
        again = corpus_rows(url)
        if again == rows:
            return rows
        rows = again


def _ray_processes(session: int) -> list[int]:
    """Processes still in the killed command's session (Ray's agents)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getsid(int(entry)) == session:
                    found.append(int(entry))
            except (ProcessLookupError, PermissionError):
                continue
    return found


def test_pubmed_sync_on_ray_applies_files_in_order(postgres, tmp_path):
    nlm_files(tmp_path / "nlm")
    with FileServer(tmp_path / "nlm") as server:
        settings = Settings(
            data_dir=tmp_path / "data", builtin_corpus=False, database_url=new_database(postgres, "ray_sync"),
            pubmed=PubMedSettings(baseline_url=server.url),
        )
        with Corpus.open(settings) as corpus:
            try:
                report = corpus.sync_pubmed(log=lambda line: None, ray="local")
            finally:
                import ray

                ray.shutdown()
            assert [f.report.records for f in report.applied] == [3, 1, 5, 1]
            assert corpus.get(f"pmid:{A}").title == "A second version."
            assert [corpus.get(f"pmid:{p}").retracted for p in (A, B, R, X)] == [False, True, True, True]
            assert corpus.store.get(f"pmid:{C}") is None
