"""Ingesting into a real SQLite store: idempotence, updates, deletions, bad input, crashes."""

from __future__ import annotations

import gc
import json
import signal
import sqlite3
import subprocess
import sys
import time
import weakref

import pytest

from evidex.corpus import Corpus
from evidex.evidence.documents import Deletion, Document, Passage
from evidex.evidence.ingest import IngestReport, ingest_records
from evidex.settings import Settings
from tests.conftest import MINI


@pytest.fixture
def empty_corpus(tmp_path) -> Corpus:
    """An empty corpus that embeds with MiniLM (~150 passages/s on two cores) rather than e5 (6-11/s):
    what these tests check is ingestion, not the vectors."""
    corpus = Corpus.open(Settings(data_dir=tmp_path / "data", builtin_corpus=False,
                                  search={"embedding_model": "minilm-l6-onnx-int8"}))
    yield corpus
    corpus.close()


def test_reingesting_updates_and_never_duplicates(empty_corpus):
    files = sorted(MINI.glob("*.jsonl"))
    first = empty_corpus.ingest(files)
    assert first.inserted == 41 and not first.problems
    again = empty_corpus.ingest(files)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 41)
    assert empty_corpus.stats().documents == 41


def test_changed_record_is_updated_in_place(empty_corpus):
    doc = Document(id="user:a", source="user", title="Old", passages=[Passage(label="Text", text="old words")])
    report = IngestReport()
    ingest_records(empty_corpus.store, [doc], report)
    changed = doc.model_copy(update={"title": "New", "passages": [Passage(label="Text", text="fresh words")]})
    ingest_records(empty_corpus.store, [changed], report)
    assert (report.inserted, report.updated) == (1, 1)
    assert empty_corpus.get("user:a").title == "New"
    hits = empty_corpus.store.lexical_search('"fresh"', 10, _no_filters())
    assert len(hits) == 1 and not empty_corpus.store.lexical_search('"old"', 10, _no_filters())


def test_garbage_is_collected_batch_by_batch_and_the_setting_given_back(empty_corpus):
    """An ingest turns automatic garbage collection off while it stores, collects after each
    committed batch, and leaves the process's setting as it found it."""

    class Cycle:  # garbage only a collection frees, such as another thread might leave behind
        def __init__(self) -> None:
            self.me = self

    cycles: weakref.WeakSet[Cycle] = weakref.WeakSet()

    def keep(document: Document) -> bool:
        cycles.add(Cycle())
        return True

    def documents(prefix: str) -> list[Document]:
        text = [Passage(label="Text", text="x")]
        return [Document(id=f"user:{prefix}{i}", source="user", title=f"T {i}", passages=text) for i in range(30)]

    alive: list[int] = []  # garbage cycles alive when each batch has been committed
    store = empty_corpus.store
    report = ingest_records(store, documents("a"), IngestReport(), 10, lambda _: alive.append(len(cycles)), keep)
    assert report.inserted == 30 and alive == [0, 0, 0] and gc.isenabled()
    gc.disable()
    try:
        ingest_records(store, documents("b"), IngestReport(), batch_size=10)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_deletion_removes_document_and_its_index_entries(empty_corpus):
    empty_corpus.ingest([MINI / "pubmed_abstracts.jsonl"])
    doc_id = next(iter(empty_corpus.store.iter_documents())).id
    report = ingest_records(empty_corpus.store, [Deletion(id=doc_id), Deletion(id="pmid:1")], IngestReport())
    assert report.deleted == 1
    assert empty_corpus.store.get(doc_id) is None
    assert empty_corpus.stats().passages == sum(len(d.passages) for d in empty_corpus.store.iter_documents())


def test_bad_records_are_skipped_with_counts_and_good_ones_stored(empty_corpus, tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        json.dumps({"id": "ok-1", "title": "Fine", "text": "Some text."})
        + "\n{broken\n"
        + json.dumps({"id": "ok-2", "title": "Also fine", "text": "More text.", "colour": "red"})
        + "\n"
    )
    report = empty_corpus.ingest([path, tmp_path / "missing.xml"])
    assert (report.inserted, report.skipped) == (1, 3)
    messages = [f"{p.file} {p.location}: {p.message}" for p in report.problems]
    assert any("mixed.jsonl line 2" in m and "invalid JSON" in m for m in messages)
    assert any("mixed.jsonl line 3" in m and "colour" in m for m in messages)
    assert any("missing.xml" in m and "no such file" in m for m in messages)
    assert empty_corpus.get("user:ok-1").title == "Fine"


def test_kill_9_mid_ingest_keeps_committed_batches_and_rerun_completes(tmp_path):
    records = 40_000
    path = tmp_path / "big.jsonl"
    with path.open("w") as handle:
        for i in range(records):
            handle.write(json.dumps({"id": f"bulk:{i}", "title": f"Record {i}", "text": f"text {i} " * 20}) + "\n")
    env = {"EVIDEX_DATA_DIR": str(tmp_path / "data"), "EVIDEX_BUILTIN_CORPUS": "false", "EVIDEX_INGEST__BATCH_SIZE": "500"}
    command = [sys.executable, "-m", "evidex", "ingest", "--no-embed", str(path)]
    proc = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    db = tmp_path / "data" / "evidex.db"
    deadline = time.time() + 60
    while time.time() < deadline and _count(db) < 2_000:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stored = _count(db)
    assert 0 < stored < records and stored % 500 == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    with Corpus.open(Settings(data_dir=tmp_path / "data", builtin_corpus=False)) as corpus:
        report = corpus.ingest([path], embed=False)
        assert (report.inserted, report.unchanged) == (records - stored, stored)
        assert corpus.stats().documents == records


def _count(db) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _no_filters():
    from evidex.evidence.store import SearchFilters

    return SearchFilters()


def test_stats_count_only_vectors_of_the_search_model(tmp_path):
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"id": "acme:1", "title": "Gout", "text": "Colchicine eased gout flares."}) + "\n")
    data = tmp_path / "data"
    with Corpus.open(Settings(data_dir=data, builtin_corpus=False)) as corpus:
        corpus.ingest([path])
        assert corpus.stats().embedded_passages == corpus.stats().passages == 1
    minilm = Settings(data_dir=data, builtin_corpus=False, search={"embedding_model": "minilm-l6-onnx-int8"})
    with Corpus.open(minilm) as corpus:
        assert corpus.stats().embedded_passages == 0  # the e5 vector does not serve a MiniLM search
