"""The SQLite store's schema version: a database of an older evidex is upgraded in place when opened,
keeping everything it holds and ranking as before; one of a newer evidex is refused."""

from __future__ import annotations

import gzip
import sqlite3

import pytest

from evidex.evidence.documents import Deletion, Passage
from evidex.evidence.ingest import IngestReport, ingest_files, ingest_records
from evidex.evidence.store import BM25_WEIGHTS, SCHEMA_VERSION, SearchFilters, SQLiteStore
from tests.conftest import DATA, MINI

# Made by evidex at 2bee930 (schema 1, whose full-text index kept its own copy of the text):
# SQLiteStore + ingest_files of corpus_mini/review_abstracts.jsonl, corpus_mini/medquad_qa.jsonl and
# pubmed-29768149.xml, then a retraction notice (pmid:1) naming the first PubMed document, three
# passage vectors of model "test-model", meta builtin_version = "fixture", and VACUUM.
SCHEMA_1 = DATA / "store-schema-1.db.gz"
QUERIES = ['"asthma"', '"budesonide" OR "formoterol"', '"hiv" OR "infection"', '"genetic changes"', '"systematic review"']
TABLES = {
    "documents": "SELECT * FROM documents ORDER BY id",
    "passages": "SELECT * FROM passages ORDER BY rowid",
    "passage_vectors": "SELECT * FROM passage_vectors ORDER BY rowid",
    "retraction_notices": "SELECT * FROM retraction_notices ORDER BY 1, 2",
    "meta": "SELECT * FROM meta WHERE key != 'schema_version' ORDER BY key",
}


def _schema_1_database(tmp_path):
    path = tmp_path / "evidex.db"
    path.write_bytes(gzip.decompress(SCHEMA_1.read_bytes()))
    return path


def _raw_bm25(conn: sqlite3.Connection, query: str) -> list[tuple[int, float]]:
    rows = conn.execute(
        "SELECT rowid, bm25(passages_fts, ?, ?, ?, ?) AS score FROM passages_fts WHERE passages_fts MATCH ?"
        " ORDER BY score, rowid",
        (*BM25_WEIGHTS, query),
    )
    return [(rowid, -score) for rowid, score in rows]


def test_schema_1_database_is_upgraded_keeping_everything_and_ranking_as_before(tmp_path):
    path = _schema_1_database(tmp_path)
    with sqlite3.connect(path) as old:
        assert old.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("1",)
        before = {name: old.execute(sql).fetchall() for name, sql in TABLES.items()}
        rankings = {query: _raw_bm25(old, query) for query in QUERIES}
        texts = old.execute("SELECT rowid, title, text FROM passages_fts ORDER BY rowid").fetchall()
    assert all(rankings.values()) and before["passage_vectors"] and before["retraction_notices"]

    store = SQLiteStore(path)
    assert store.get_meta("schema_version") == str(SCHEMA_VERSION) == "2"
    assert {name: store.conn.execute(sql).fetchall() for name, sql in TABLES.items()} == before
    for query, ranking in rankings.items():
        found = store.lexical_search(query, 100, SearchFilters(exclude_retracted=False))
        assert sorted(found, key=lambda hit: (-hit[1], hit[0])) == ranking, query
    # The index keeps no copy of the text: embedding reads it from the documents.
    assert store.conn.execute("SELECT text FROM passages_fts LIMIT 1").fetchone() == (None,)
    assert not store.conn.execute("SELECT 1 FROM sqlite_schema WHERE name = 'passages_fts_content'").fetchone()
    unembedded = store.passages_without_vectors("another-model", 1000)
    assert [(rowid, title, text) for rowid, _, title, text in unembedded] == texts
    store.close()

    again = SQLiteStore(path)  # upgraded once: opening it again changes nothing
    assert {name: again.conn.execute(sql).fetchall() for name, sql in TABLES.items()} == before
    again.close()


def test_an_upgrade_cut_short_leaves_the_database_as_it_was(tmp_path, monkeypatch):
    path = _schema_1_database(tmp_path)

    def fail(self):
        self.conn.execute("INSERT INTO passages_fts(rowid, title, label, text, terms) VALUES (1, 'a', 'b', 'c', 'd')")
        raise OSError("disk full")

    monkeypatch.setattr(SQLiteStore, "_index_stored_documents", fail)
    with pytest.raises(OSError):
        SQLiteStore(path)
    with sqlite3.connect(path) as old:
        assert old.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("1",)
        assert _raw_bm25(old, '"asthma"') and old.execute("SELECT count(*) FROM passages_fts_content").fetchone()[0]
    monkeypatch.undo()
    store = SQLiteStore(path)
    assert store.get_meta("schema_version") == "2" and store.lexical_search('"asthma"', 10, SearchFilters())
    store.close()


def test_database_of_a_newer_evidex_is_refused(tmp_path):
    store = SQLiteStore(tmp_path / "evidex.db")
    with store.transaction():
        store.set_meta("schema_version", str(SCHEMA_VERSION + 1))
    store.close()
    with pytest.raises(ValueError, match="newer evidex"):
        SQLiteStore(tmp_path / "evidex.db")


def _vocabulary(store: SQLiteStore) -> list[tuple]:
    store.conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.words USING fts5vocab(main, passages_fts, row)")
    return store.conn.execute("SELECT term, doc, cnt FROM temp.words ORDER BY term").fetchall()


def _ranked_passages(store: SQLiteStore, query: str) -> list[tuple[str, float]]:
    refs = store.passages([rowid for rowid, _ in store.lexical_search(query, 100, SearchFilters())])
    return [(refs[rowid].id, round(score, 9)) for rowid, score in store.lexical_search(query, 100, SearchFilters())]


def test_updates_and_deletions_leave_the_index_as_if_built_afresh(tmp_path):
    """Each removed passage's index row is removed with the values it was indexed with: the words and
    the BM25 scores are those of a store that only ever held the final documents."""
    files = sorted(MINI.glob("*.jsonl"))
    edited = SQLiteStore(tmp_path / "edited.db")
    ingest_files(edited, files)
    documents = list(edited.iter_documents())
    revision = {"mesh": ["Asthma"], "passages": [Passage(label="X", text="new words")]}
    changed = [document.model_copy(update={"title": document.title + " revised", **revision}) for document in documents[::5]]
    gone = [Deletion(id=document.id) for document in documents[1::5]]
    report = ingest_records(edited, [*changed, *gone], IngestReport())
    assert (report.updated, report.deleted) == (len(changed), len(gone))

    fresh = SQLiteStore(tmp_path / "fresh.db")
    ingest_records(fresh, list(edited.iter_documents()), IngestReport())
    assert _vocabulary(edited) == _vocabulary(fresh)
    for query in QUERIES + ['"revised"', '"new words"']:
        assert _ranked_passages(edited, query) == _ranked_passages(fresh, query), query
