"""`evidex pubmed sync` against NLM's file layout served over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from evidex.corpus import Corpus
from evidex.evidence.pubmed.sync import SyncError
from evidex.settings import PubMedSettings, PubMedSubset, Settings
from tests.conftest import run_cli
from tests.pubmed_servers import FileServer, article_set, record, write_nlm_file

A, B, C, R, X = 70000001, 70000002, 70000003, 70000004, 70000005  # see nlm_files
NOTICE_B, NOTICE_X = 70000011, 70000012


def nlm_files(root):
    """Two baseline files and two update files that exercise every rule:

    * A is revised by the first update file (its new title must win);
    * B is retracted by a notice that arrives after it, X by a notice that arrives before it;
    * R is itself a "Retracted Publication"; C is deleted by the first update file.
    """
    pubmed = root / "pubmed"
    write_nlm_file(pubmed, "baseline", "pubmed26n0001.xml.gz", article_set([record(A, title="A first version."), record(B), record(C)]))
    write_nlm_file(pubmed, "baseline", "pubmed26n0002.xml.gz", article_set([record(R, publication_types=["Journal Article", "Retracted Publication"])]))
    write_nlm_file(
        pubmed, "updatefiles", "pubmed26n0003.xml.gz",
        article_set(
            [record(A, title="A second version."),
             record(NOTICE_B, title="Retraction: B.", publication_types=["Retraction of Publication"], retracts=[B]),
             record(NOTICE_X, title="Retraction: X.", publication_types=["Retraction of Publication"], retracts=[X])],
            deletions=[C, 79999999],
        ),
    )
    write_nlm_file(pubmed, "updatefiles", "pubmed26n0004.xml.gz", article_set([record(X)]))
    return pubmed


def settings(tmp_path, server, **pubmed) -> Settings:
    return Settings(data_dir=tmp_path / "data", builtin_corpus=False, pubmed=PubMedSettings(baseline_url=server.url, **pubmed))


def test_sync_applies_files_in_order_with_deletions_and_retractions(tmp_path):
    nlm_files(tmp_path / "nlm")
    with FileServer(tmp_path / "nlm") as server, Corpus.open(settings(tmp_path, server)) as corpus:
        report = corpus.sync_pubmed(log=lambda line: None)
        assert [f.name for f in report.applied] == [f"pubmed26n000{n}.xml.gz" for n in (1, 2, 3, 4)]
        assert corpus.get(f"pmid:{A}").title == "A second version."
        assert [corpus.get(f"pmid:{p}").retracted for p in (A, B, R, X)] == [False, True, True, True]
        assert corpus.store.get(f"pmid:{C}") is None
        update = report.applied[2].report
        assert (update.updated, update.inserted, update.deleted, update.not_found, update.retracted) == (1, 2, 1, 1, 1)
        # Every record of every file is counted once: 3 + 1 + (3 articles + 2 deletions) + 1.
        assert [f.report.records for f in report.applied] == [3, 1, 5, 1]
        assert "1 deletions of records not stored, 1 marked retracted by a notice" in update.summary()
        assert not list((tmp_path / "data" / "pubmed" / "files").glob("*.gz"))  # applied files are not kept
        again = corpus.sync_pubmed(log=lambda line: None)
        assert (again.applied, again.already, again.listed) == ([], 4, 4)
        # A retracted record is never an answer's evidence.
        assert all(not h.document.retracted for h in corpus.search("budesonide formoterol mild asthma", top_k=20).hits)


def test_a_file_that_does_not_match_its_md5_is_not_applied(tmp_path):
    pubmed = nlm_files(tmp_path / "nlm")
    (pubmed / "updatefiles" / "pubmed26n0003.xml.gz.md5").write_text("MD5(pubmed26n0003.xml.gz)= " + "0" * 32 + "\n")
    with FileServer(tmp_path / "nlm") as server, Corpus.open(settings(tmp_path, server)) as corpus:
        with pytest.raises(SyncError, match="pubmed26n0003.xml.gz: the download does not match its MD5 twice"):
            corpus.sync_pubmed(log=lambda line: None)
        assert corpus.get(f"pmid:{A}").title == "A first version."  # what came before stays
        assert corpus.store.get(f"pmid:{C}") is not None and corpus.store.get(f"pmid:{X}") is None


def test_a_subset_keeps_only_the_records_it_names(tmp_path):
    pubmed = tmp_path / "nlm" / "pubmed"
    write_nlm_file(pubmed, "baseline", "pubmed26n0001.xml.gz", article_set([
        record(A), record(B, publication_types=["Journal Article"]), record(C, abstract=False)]))
    # A is re-issued as an editorial: it no longer belongs to the subset and goes.
    write_nlm_file(pubmed, "updatefiles", "pubmed26n0002.xml.gz", article_set([record(A, publication_types=["Editorial"])]))
    subset = PubMedSubset(publication_types=["Randomized Controlled Trial"], require_abstract=True)
    with FileServer(tmp_path / "nlm") as server, Corpus.open(settings(tmp_path, server, subset=subset)) as corpus:
        first = corpus.sync_pubmed(limit=1, log=lambda line: None)
        assert first.applied[0].report.filtered == 2 and first.left == 1
        assert corpus.store.contains([f"pmid:{p}" for p in (A, B, C)]) == {f"pmid:{A}"}
        corpus.sync_pubmed(log=lambda line: None)
        assert corpus.stats().documents == 0


def _file_state(database, name: str) -> dict:
    if not database.exists():
        return {}
    try:
        with sqlite3.connect(database, timeout=10) as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (f"pubmed:file:{name}",)).fetchone()
    except sqlite3.OperationalError:  # the database is not created yet
        return {}
    return json.loads(row[0]) if row else {}


def test_kill_9_during_sync_loses_nothing_committed_and_applies_nothing_twice(tmp_path):
    pubmed = tmp_path / "nlm" / "pubmed"
    big = [record(80000000 + n) for n in range(3000)]
    write_nlm_file(pubmed, "baseline", "pubmed26n0001.xml.gz", article_set(big))
    write_nlm_file(pubmed, "updatefiles", "pubmed26n0002.xml.gz", article_set([record(80000000, title="Revised.")], deletions=[80000001]))
    data = tmp_path / "data"
    with FileServer(tmp_path / "nlm") as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDEX_")}
        env.update(EVIDEX_DATA_DIR=str(data), EVIDEX_BUILTIN_CORPUS="false", EVIDEX_PUBMED__BASELINE_URL=server.url,
                   EVIDEX_INGEST__BATCH_SIZE="50")
        process = subprocess.Popen([sys.executable, "-m", "evidex", "pubmed", "sync"], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        state = {}
        while time.monotonic() < deadline and process.poll() is None:
            state = _file_state(Settings(data_dir=data).database_path, "pubmed26n0001.xml.gz")
            if state.get("consumed", 0) >= 200:
                break
            time.sleep(0.02)
        assert process.poll() is None, "the sync ended before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        killed_at = _file_state(Settings(data_dir=data).database_path, "pubmed26n0001.xml.gz")
        assert not killed_at["complete"] and killed_at["consumed"] >= 200
        with sqlite3.connect(Settings(data_dir=data).database_path) as conn:
            stored = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        assert stored >= killed_at["consumed"]  # every committed batch is there

        again = run_cli("pubmed", "sync", data_dir=data, env={k: v for k, v in env.items() if k.startswith("EVIDEX_")})
        assert again.returncode == 0, again.stderr
    assert f"pubmed26n0001.xml.gz: resuming after record {killed_at['consumed']:,}" in again.stderr
    # The whole baseline file counts its 3,000 records once: nothing was stored twice or counted unchanged.
    assert "pubmed26n0001.xml.gz: 3000 ingested, 0 updated, 0 unchanged, 0 skipped, 0 deleted" in again.stderr
    assert "pubmed26n0002.xml.gz: 0 ingested, 1 updated, 0 unchanged, 0 skipped, 1 deleted" in again.stderr
    with sqlite3.connect(Settings(data_dir=data).database_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 2999
        assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT doc_id || ord) FROM passages").fetchone() == (2999 * 4, 2999 * 4)
        title = json.loads(conn.execute("SELECT data FROM documents WHERE id = 'pmid:80000000'").fetchone()[0])["title"]
    assert title == "Revised."
