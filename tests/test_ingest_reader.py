"""The reader process: same results as reading in-process, and it never outlives the ingest."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from evidex.evidence.classify import classify
from evidex.evidence.documents import Document, EvidenceKind, Passage
from evidex.evidence.ingest import _reader_environment, _ReaderProcess, _received, _sent, ingest_files
from evidex.evidence.sources.pubmed_xml import read_pubmed_xml
from evidex.evidence.store import SQLiteStore

REAL = Path(__file__).parent / "data" / "pubmed-29768149.xml"


def article(pmid: str | None, title: str) -> str:
    pmid_xml = f"<PMID Version='1'>{pmid}</PMID>" if pmid else ""
    return (
        f"<PubmedArticle><MedlineCitation>{pmid_xml}<Article><Journal><Title>J</Title><JournalIssue><PubDate>"
        f"<Year>2020</Year></PubDate></JournalIssue></Journal><ArticleTitle>{title}</ArticleTitle>"
        "<Abstract><AbstractText Label='METHODS'>We randomly assigned 120 patients.</AbstractText></Abstract>"
        "</Article></MedlineCitation></PubmedArticle>"
    )


def update_file(path: Path, records: int = 1500) -> Path:
    """Articles, a record without PMID, a deletion, a re-added article and a damaged record at the end."""
    parts = [article(str(i), f"Trial {i}") for i in range(1, records)]
    parts.insert(500, article(None, "No PMID"))
    parts.insert(700, "<DeleteCitation><PMID>5</PMID><PMID>6</PMID></DeleteCitation>")
    parts.insert(900, article("5", "Back again"))
    path.write_text("<?xml version='1.0'?><PubmedArticleSet>" + "".join(parts) + "<PubmedArticle><Oops></PubmedArticle></PubmedArticleSet>")
    return path


def test_reader_process_gives_the_same_store_report_and_progress(tmp_path):
    files = [update_file(tmp_path / "update.xml"), tmp_path / "missing.xml", update_file(tmp_path / "update.xml")]
    results = []
    for reader_process in (False, True):
        store = SQLiteStore(tmp_path / f"{reader_process}.db")
        progress: list[int] = []
        report = ingest_files(store, files, batch_size=300, progress=progress.append, reader_process=reader_process)
        documents = [d.model_dump_json() for d in store.iter_documents()]
        results.append((report, progress, documents))
        store.close()
    assert results[0] == results[1]
    report = results[1][0]
    assert (report.deleted, report.skipped) == (2 + 2, 2 + 1 + 2)  # each pass re-adds and deletes 5 and 6
    assert [p.location for p in report.problems[:2]] == ["record 501 (line 1)", "record 1502 (line 1)"]


def test_a_document_reaches_the_ingesting_process_as_it_was_read():
    """The reader process sends a Document's fields (its model_dump()), and they make the same Document."""
    guideline = Document(
        id="ngc:1", source="ngc", title="Care", organisation="A society", year=2020, citation="Society, 2020",
        passages=[Passage(label="Recommendation", text="Do this.", strength="Strong")], kind=EvidenceKind.GUIDELINE,
        sample_size=12, retracted=True, audience="consumer",
    )
    for document in [*map(classify, read_pubmed_xml(REAL)), guideline]:
        sent = pickle.loads(pickle.dumps(_sent(document), protocol=pickle.HIGHEST_PROTOCOL))
        assert sent == document.model_dump()
        received = _received(sent)
        assert received == document and received.model_dump_json() == document.model_dump_json()


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="finds processes through /proc")
def test_reader_process_exits_when_the_ingesting_process_is_killed(tmp_path):
    path = update_file(tmp_path / "big.xml", records=60_000)
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from evidex.evidence.ingest import ingest_files
        from evidex.evidence.store import SQLiteStore
        ingest_files(SQLiteStore({str(tmp_path / "k.db")!r}), [Path({str(path)!r})], batch_size=500, reader_process=True)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and not _readers_of(path):
        time.sleep(0.05)
    assert _readers_of(path), "no reader process started"
    time.sleep(1)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.time() + 10
    while time.time() < deadline and _readers_of(path):
        time.sleep(0.05)
    assert not _readers_of(path)


def test_reader_process_stopped_early_is_killed_and_reaped(tmp_path):
    reader = _ReaderProcess.start(update_file(tmp_path / "u.xml"), None, ahead=500)
    assert reader is not None
    with reader:
        next(iter(reader))
    assert reader.process.returncode is not None


def _readers_of(path: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"_reader_main" in cmdline and str(path).encode() in cmdline and int(entry.name) != os.getpid():
                try:
                    state = (entry / "stat").read_text().split(")")[-1].split()[0]
                except OSError:
                    continue
                if state != "Z":
                    found.append(int(entry.name))
    return found


def test_reader_process_malloc_tuning_keeps_the_users_tunables(monkeypatch):
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.arena_max=2")
    assert _reader_environment()["GLIBC_TUNABLES"] == "glibc.malloc.arena_max=2:glibc.malloc.tcache_count=1000"
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.tcache_count=7")
    assert _reader_environment()["GLIBC_TUNABLES"] == "glibc.malloc.tcache_count=7"
    monkeypatch.delenv("GLIBC_TUNABLES")
    assert _reader_environment()["GLIBC_TUNABLES"] == "glibc.malloc.tcache_count=1000"
