"""Where documents live: a small storage interface and its SQLite default.

The SQLite store keeps documents, their passages, a full-text (FTS5) index of
the passages and passage embeddings in one file, so a batch of documents and
its index entries are committed in one transaction: a crash mid-ingest
leaves every committed batch whole and the file usable (WAL mode).
:func:`open_store` picks the store a ``database_url`` names: SQLite, or
PostgreSQL (:mod:`evidex.evidence.pgstore`) for a deployment.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Protocol

import numpy as np

from evidex.evidence.documents import Document, EvidenceKind, Retraction

try:
    import fcntl
except ImportError:  # not on a Unix: nothing keeps two processes from doing the same job at once
    fcntl = None  # type: ignore[assignment]

# The SQLite schema's version, kept in meta (the PostgreSQL store numbers its own schema).
# 1: the full-text index kept its own copy of each passage's title, label, text and terms.
# 2: it keeps none (contentless FTS5): the documents hold the text.  The index, its rowids and its
#    BM25 scores are the same.  A database of schema 1 is upgraded when it is opened.
SCHEMA_VERSION = 2

# Passage words for BM25: the document's title and its MeSH terms and keywords go with each of its
# passages, since a passage is ranked with them.  Contentless (content=''): the text lives in
# ``documents.data`` only, so a row is removed by giving back the values it was indexed with
# (:func:`_index_rows`).
_FTS_TABLE = """
CREATE VIRTUAL TABLE IF NOT EXISTS passages_fts USING fts5(
    title, label, text, terms,
    content = '',
    tokenize = 'porter unicode61 remove_diacritics 2'
)"""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    year INTEGER,
    audience TEXT NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0,
    content_hash TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_source ON documents(source);
CREATE TABLE IF NOT EXISTS passages (
    rowid INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    UNIQUE (doc_id, ord)
);
CREATE TABLE IF NOT EXISTS passage_vectors (
    rowid INTEGER PRIMARY KEY REFERENCES passages(rowid) ON DELETE CASCADE,
    model TEXT NOT NULL,
    vector BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS retraction_notices (
    retracted_id TEXT NOT NULL,
    notice_id TEXT NOT NULL,
    PRIMARY KEY (retracted_id, notice_id)
);
""" + _FTS_TABLE + ";"

# BM25 column weights for title, label, text, terms (MeSH and keywords).
BM25_WEIGHTS = (2.0, 0.2, 1.0, 1.0)
FREQUENCY_CACHE_SIZE = 100_000  # phrases whose document frequency is remembered
VECTORS_GENERATION_KEY = "vectors_generation"  # meta key bumped whenever passage vectors are saved
# Meta key bumped whenever passages go away or a document's filterable attributes change (an update,
# a deletion, a retraction): dense indexes then reload everything rather than add the new vectors.
DOCUMENTS_GENERATION_KEY = "documents_generation"
CHUNK = 500  # ids per SQL IN (...) list
# FTS5 writes its pending index terms out as a new segment whenever they pass 'hashsize' bytes
# (1 MB by default), and later merges those segments: a batch of 2,000 PubMed abstracts made several.
# With room for a whole batch, each batch becomes one segment: a sixth fewer instructions per stored
# record, the same index.  Only writing is affected; the setting is kept in the database file.
FTS_PENDING_BYTES = 32 << 20
# FTS5 merges the segments of one level into one of the next as soon as this many have gathered
# (4 by default), so every indexed word is written again about log4(batches) times; at 16 (its
# largest setting) about log16: 7 % fewer instructions to store a record when 32 segments were
# written, more as the index grows.  A search then reads up to 15 segments a level instead of 3:
# 0.1 % more instructions for the same BM25 results over 50,000 PubMed records.  Kept in the file.
FTS_AUTOMERGE = 16
# Those merges are done bit by bit with the writes that follow; only a level that reaches this many
# segments is merged at once.  At FTS5's default (16, the same as FTS_AUTOMERGE) the whole merge of
# 16 segments fell on one batch of 2,000 PubMed abstracts: 1.2-1.3 s where a batch takes ~0.4, while
# the reader process waited (the slowest batch now takes 0.7-0.9 s).
FTS_CRISISMERGE = 64

log = logging.getLogger(__name__)


@dataclass
class WriteCounts:
    """What one write did."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    not_found: int = 0  # deletions of documents that were not stored
    retracted: int = 0  # stored documents a retraction notice marked retracted

    def add(self, other: WriteCounts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass
class Changes:
    """One batch of writes, applied in one transaction by :meth:`Store.apply`.

    An id is in at most one of ``documents``, ``deletions`` and ``dropped``
    (the caller commits a batch before an id comes back), so the order in which
    they are applied does not matter.
    """

    documents: dict[str, Document] = field(default_factory=dict)
    deletions: set[str] = field(default_factory=set)  # the source says these documents no longer exist
    dropped: set[str] = field(default_factory=set)  # left out by a subset filter: removed if stored, not counted as deleted
    retractions: list[Retraction] = field(default_factory=list)

    def holds(self, doc_id: str) -> bool:
        return doc_id in self.documents or doc_id in self.deletions or doc_id in self.dropped

    def __len__(self) -> int:
        return len(self.documents) + len(self.deletions) + len(self.dropped) + len(self.retractions)


# Meta entries to write in the same transaction as a batch, given what the batch did:
# how a long job (``evidex pubmed sync``) remembers exactly what it has applied.
Checkpoint = Callable[[WriteCounts], dict[str, str]]


@dataclass
class SearchFilters:
    """Restrictions every retriever applies before ranking."""

    year_from: int | None = None
    year_to: int | None = None
    kinds: list[EvidenceKind] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    exclude_sources: list[str] = field(default_factory=list)  # what answers leave out: the dictionary, but for "what is …?"
    audience: str | None = None
    exclude_retracted: bool = True


@dataclass
class PassageRef:
    """A passage with the document it belongs to."""

    rowid: int
    document: Document
    index: int

    @property
    def id(self) -> str:
        return self.document.passage_id(self.index)

    @property
    def passage(self):
        return self.document.passages[self.index]


@dataclass
class CorpusStats:
    documents: int
    passages: int
    embedded_passages: int
    by_source: dict[str, int]
    by_kind: dict[str, int]
    by_audience: dict[str, int]
    retracted: int
    year_min: int | None
    year_max: int | None
    database: str
    size_bytes: int


class Store(Protocol):
    """What evidex needs from a storage backend."""

    # True when the store ranks passages by meaning itself: it then also has nearest_passages(model,
    # vector, limit, filters), passage_similarities(model, rowids, vector) and build_vector_index(model,
    # dim) (PostgresStore); otherwise search loads the vectors into memory (load_vectors, passage_attributes).
    searches_vectors: bool

    def transaction(self) -> contextlib.AbstractContextManager: ...
    def exclusive(self, name: str) -> contextlib.AbstractContextManager: ...
    def set_meta(self, key: str, value: str) -> None: ...
    def count_documents(self) -> int: ...
    def example_ids(self) -> list[str]: ...
    def iter_documents(self) -> Iterator[Document]: ...
    def passage_count(self) -> int: ...
    def document_frequency(self, phrase: str) -> int: ...
    def passage_attributes(self, rowids: np.ndarray) -> dict[str, np.ndarray]: ...
    def apply(self, changes: Changes, checkpoint: Checkpoint | None = None) -> WriteCounts: ...
    def upsert(self, documents: Sequence[Document]) -> WriteCounts: ...
    def delete(self, ids: Sequence[str]) -> int: ...
    def get(self, doc_id: str) -> Document | None: ...
    def contains(self, ids: Sequence[str]) -> set[str]: ...
    def get_meta(self, key: str) -> str | None: ...
    def meta_items(self, prefix: str) -> dict[str, str]: ...
    def stats(self, model: str) -> CorpusStats: ...
    def lexical_search(self, query: str, limit: int, filters: SearchFilters) -> list[tuple[int, float]]: ...
    def passages(self, rowids: Sequence[int]) -> dict[int, PassageRef]: ...
    def count_passages_without_vectors(self, model: str) -> int: ...
    def passages_without_vectors(
        self, model: str, limit: int, after: int = 0, newest_first: bool = False
    ) -> list[tuple[int, str, str, str]]: ...
    def save_vectors(self, model: str, vectors: Iterable[tuple[int, np.ndarray]]) -> None: ...
    def vector_rowids(self, model: str) -> np.ndarray: ...
    def load_vectors(self, model: str, rowids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]: ...
    def close(self) -> None: ...


def open_store(url: str | None, sqlite_path: Path) -> Store:
    """The store ``url`` names: ``postgresql://…`` (or ``postgresql+psycopg://…``) a
    :class:`~evidex.evidence.pgstore.PostgresStore`, otherwise the SQLite file ``sqlite_path``
    (what ``sqlite:///PATH`` or no URL at all gives)."""
    scheme = (url or "").partition("://")[0].lower()
    if scheme in ("postgresql", "postgres") or scheme.startswith("postgresql+"):
        from evidex.evidence.pgstore import PostgresStore

        return PostgresStore(url)
    if url and not url.startswith("sqlite:///"):
        raise ValueError(f"database_url must start with sqlite:/// or postgresql://, not {url.split('://')[0]!r}://")
    return SQLiteStore(sqlite_path)


def content_hash(document: Document) -> str:
    return _digest(document.model_dump_json())


def _digest(data: str) -> str:
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def index_terms(document: Document) -> str:
    """Extra words a passage is found by: the document's MeSH terms and keywords."""
    return " ".join(document.mesh + document.keywords)


def _index_rows(document: Document, rowids: Sequence[int]) -> list[tuple[int, str, str, str, str]]:
    """The full-text index rows (rowid, title, label, text, terms) of ``document``'s passages, the
    i-th numbered ``rowids[i]``: what is inserted, and what removing them must give back."""
    terms = index_terms(document)
    return [
        (rowid, document.title, passage.label, passage.text, terms)
        for rowid, passage in zip(rowids, document.passages, strict=True)
    ]


def document_change(
    document: Document, retracted: set[str], stored: dict[str, str], counts: WriteCounts
) -> tuple[Document, str, str, bool] | None:
    """A document as a store writes it: retracted if a notice names it, its JSON, the JSON's
    digest, and whether it replaces a stored version; None (counted unchanged) when the stored
    version is the same.  Both stores count inserts and updates here."""
    if document.id in retracted and not document.retracted:
        document = document.model_copy(update={"retracted": True})
    data = document.model_dump_json()
    digest = _digest(data)
    old = stored.get(document.id)
    if old == digest:
        counts.unchanged += 1
        return None
    if old is None:
        counts.inserted += 1
    else:
        counts.updated += 1
    return document, data, digest, old is not None


def attribute_columns(found: Iterable[tuple], rowids: np.ndarray) -> dict[str, np.ndarray]:
    """``(rowid, year, kind, source, audience, retracted)`` rows as arrays aligned with ``rowids``,
    for vectorised filtering; a passage not found reads as retracted, so that no filter keeps it."""
    kinds = {kind.value: i for i, kind in enumerate(EvidenceKind)}
    rows = {
        rowid: (year or 0, kinds[kind], source, audience == "consumer", bool(retracted))
        for rowid, year, kind, source, audience, retracted in found
    }
    aligned = [rows.get(int(r), (0, 0, "", False, True)) for r in rowids]
    columns = list(zip(*aligned)) or [[], [], [], [], []]
    return {
        "year": np.array(columns[0], dtype=np.int32),
        "kind": np.array(columns[1], dtype=np.int8),
        "source": np.array(columns[2], dtype=object),
        "audience": np.array(columns[3], dtype=np.int8),
        "retracted": np.array(columns[4], dtype=bool),
    }


class SQLiteStore:
    """The embedded default store: one SQLite file."""

    searches_vectors = False

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.execute("PRAGMA busy_timeout=10000")
        with self.transaction():
            self._create_or_upgrade_schema()
        self._documents_cache: dict[str, Document] = {}
        self._frequencies: dict[str, int] = {}
        self._passage_count: int | None = None

    def _create_or_upgrade_schema(self) -> None:
        """Create the tables of a new database, or bring an older one to :data:`SCHEMA_VERSION`
        (inside the caller's transaction: an upgrade cut short leaves the database as it was)."""
        exists = self.conn.execute("SELECT 1 FROM sqlite_schema WHERE name = 'documents'").fetchone()
        version = int(self.get_meta("schema_version") or 1) if exists else SCHEMA_VERSION
        if version > SCHEMA_VERSION:
            raise ValueError(
                f"{self.path} was written by a newer evidex (corpus schema {version}; this evidex reads"
                f" schema {SCHEMA_VERSION} and older): upgrade evidex, or use another data directory"
            )
        if version == 1:
            log.warning("upgrading %s to schema %d: its full-text index is made anew", self.path, SCHEMA_VERSION)
            self.conn.execute("DROP TABLE passages_fts")
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                self.conn.execute(statement)
        self._set_fts_options()
        if version == 1:
            self._index_stored_documents()
        self.set_meta("schema_version", str(SCHEMA_VERSION))

    def _index_stored_documents(self) -> None:
        """Index every stored passage anew, from its document (the rowids stay, and so do vectors)."""
        for doc_id, data in self.conn.execute("SELECT id, data FROM documents ORDER BY id"):
            self._index(_index_rows(Document.model_validate_json(data), self._passage_rowids(doc_id)))

    def _index(self, rows: list[tuple[int, str, str, str, str]]) -> None:
        """Add rows (:func:`_index_rows`) to the full-text index."""
        self.conn.executemany(
            "INSERT INTO passages_fts(rowid, title, label, text, terms) VALUES (?, ?, ?, ?, ?)", rows
        )

    def _passage_rowids(self, doc_id: str) -> list[int]:
        """Row ids of a stored document's passages, in passage order."""
        rows = self.conn.execute("SELECT rowid FROM passages WHERE doc_id = ? ORDER BY ord", (doc_id,))
        return [row[0] for row in rows]

    def _set_fts_options(self) -> None:
        """Set :data:`FTS_PENDING_BYTES`, :data:`FTS_AUTOMERGE` and :data:`FTS_CRISISMERGE` (also in a
        database made before they existed)."""
        options = (("hashsize", FTS_PENDING_BYTES), ("automerge", FTS_AUTOMERGE), ("crisismerge", FTS_CRISISMERGE))
        for option, value in options:
            row = self.conn.execute("SELECT v FROM passages_fts_config WHERE k = ?", (option,)).fetchone()
            if row is None or row[0] != value:
                self.conn.execute("INSERT INTO passages_fts(passages_fts, rank) VALUES (?, ?)", (option, value))

    # -- transactions and metadata -------------------------------------------------

    def transaction(self) -> "_Transaction":
        return _Transaction(self.conn)

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def meta_items(self, prefix: str) -> dict[str, str]:
        """Every meta entry whose key starts with ``prefix``."""
        rows = self.conn.execute("SELECT key, value FROM meta WHERE substr(key, 1, ?) = ?", (len(prefix), prefix))
        return dict(rows.fetchall())

    def _bump(self, key: str) -> None:
        self.set_meta(key, str(int(self.get_meta(key) or 0) + 1))

    @contextlib.contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        """Held while one process does ``name`` (embedding, a PubMed sync) on this database;
        raises ``BlockingIOError`` when another process holds it (a lock file beside the database)."""
        path = self.path.with_name(f"{self.path.name}.{name}")
        with path.open("a") as handle:
            if fcntl is not None:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError when held
            yield

    # -- writing ----------------------------------------------------------------------

    def apply(self, changes: Changes, checkpoint: Checkpoint | None = None) -> WriteCounts:
        """Write one batch in one transaction: retraction links, removals, then documents;
        ``checkpoint``'s meta entries are written in the same transaction."""
        counts = WriteCounts()
        with self.transaction():
            if changes.retractions:
                self.conn.executemany(
                    "INSERT OR IGNORE INTO retraction_notices(retracted_id, notice_id) VALUES (?, ?)",
                    [(target, r.notice) for r in changes.retractions for target in r.retracted],
                )
            removed = changes.deletions | changes.dropped
            if removed:
                stored = self.contains(list(removed))
                for doc_id in stored:
                    self._delete_passages(doc_id)
                    self.conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
                counts.deleted = len(stored & changes.deletions)
                counts.not_found = len(changes.deletions - stored)
            if changes.documents:
                self._upsert(list(changes.documents.values()), counts)
            if changes.retractions:
                counts.retracted = self._mark_retracted(
                    [target for r in changes.retractions for target in r.retracted]
                )
            if removed or counts.updated or counts.retracted:
                self._bump(DOCUMENTS_GENERATION_KEY)
            if checkpoint is not None:
                for key, value in checkpoint(counts).items():
                    self.set_meta(key, value)
        self._forget_index_statistics()
        return counts

    def upsert(self, documents: Sequence[Document]) -> WriteCounts:
        """Insert or update ``documents`` in one transaction (of copies with one id, the last wins)."""
        counts = WriteCounts()
        latest = {document.id: document for document in documents}
        with self.transaction():
            self._upsert(list(latest.values()), counts)
            if counts.updated:
                self._bump(DOCUMENTS_GENERATION_KEY)
        counts.unchanged += len(documents) - len(latest)
        self._forget_index_statistics()
        return counts

    def _upsert(self, documents: list[Document], counts: WriteCounts) -> None:
        """Write ``documents`` (distinct ids) inside the caller's transaction.  A document
        a stored retraction notice names is stored as retracted."""
        ids = [document.id for document in documents]
        stored = self._stored_hashes(ids)
        retracted = self._named_by_notices(ids)
        rowid = self.conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM passages").fetchone()[0]
        rows: list[tuple] = []
        passages: list[tuple] = []
        index: list[tuple] = []
        for document in documents:
            if (change := document_change(document, retracted, stored, counts)) is None:
                continue
            document, data, digest, replaces = change
            if replaces:
                self._delete_passages(document.id)
            rows.append(
                (
                    document.id,
                    document.source,
                    document.kind.value,
                    document.year,
                    document.audience,
                    int(document.retracted),
                    digest,
                    data,
                )
            )
            # Numbered here so that each FTS row shares its passage's rowid.
            rowids = range(rowid + 1, rowid + 1 + len(document.passages))
            rowid += len(rowids)
            passages.extend((number, document.id, ordinal) for ordinal, number in enumerate(rowids))
            index += _index_rows(document, rowids)
        self.conn.executemany(
            "INSERT OR REPLACE INTO documents(id, source, kind, year, audience, retracted, content_hash, data)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        self.conn.executemany("INSERT INTO passages(rowid, doc_id, ord) VALUES (?, ?, ?)", passages)
        self._index(index)

    def _stored_hashes(self, ids: list[str]) -> dict[str, str]:
        """Content hash of each of ``ids`` that is stored."""
        found: dict[str, str] = {}
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            marks = ",".join("?" * len(chunk))
            found.update(self.conn.execute(f"SELECT id, content_hash FROM documents WHERE id IN ({marks})", chunk))
        return found

    def contains(self, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` are stored."""
        return set(self._stored_hashes(list(ids)))

    def _named_by_notices(self, ids: list[str]) -> set[str]:
        """Which of ``ids`` a stored retraction notice names."""
        found: set[str] = set()
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            marks = ",".join("?" * len(chunk))
            found.update(
                row[0]
                for row in self.conn.execute(
                    f"SELECT DISTINCT retracted_id FROM retraction_notices WHERE retracted_id IN ({marks})", chunk
                )
            )
        return found

    def _mark_retracted(self, ids: list[str]) -> int:
        """Mark the stored, not yet retracted documents among ``ids`` retracted; their passages
        and vectors stay (only the flag changes).  Returns how many were marked."""
        marked = 0
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"SELECT id, data FROM documents WHERE id IN ({marks}) AND retracted = 0", chunk
            ).fetchall()
            for doc_id, data in rows:
                document = Document.model_validate_json(data).model_copy(update={"retracted": True})
                data = document.model_dump_json()
                self.conn.execute(
                    "UPDATE documents SET retracted = 1, data = ?, content_hash = ? WHERE id = ?",
                    (data, _digest(data), doc_id),
                )
                marked += 1
        return marked

    def _delete_passages(self, doc_id: str) -> None:
        """Remove a stored document's passages and their index rows (before the document itself:
        the index rows are removed with the values they were made from, which it holds)."""
        row = self.conn.execute("SELECT data FROM documents WHERE id = ?", (doc_id,)).fetchone()
        if row is not None:
            self.conn.executemany(
                "INSERT INTO passages_fts(passages_fts, rowid, title, label, text, terms)"
                " VALUES ('delete', ?, ?, ?, ?, ?)",
                _index_rows(Document.model_validate_json(row[0]), self._passage_rowids(doc_id)),
            )
        self.conn.execute("DELETE FROM passages WHERE doc_id = ?", (doc_id,))

    def delete(self, ids: Sequence[str]) -> int:
        """Remove documents by id; returns how many existed."""
        return self.apply(Changes(deletions=set(ids))).deleted

    def _forget_index_statistics(self) -> None:
        self._documents_cache.clear()
        self._frequencies.clear()
        self._passage_count = None

    def save_vectors(self, model: str, vectors: Iterable[tuple[int, np.ndarray]]) -> None:
        """Store passage vectors and, in the same transaction, tell dense indexes to reload.

        Each batch counts at once, so an embedding run that is interrupted
        (or still going, for another process) leaves what it saved searchable.
        """
        with self.transaction():
            self.conn.executemany(
                "INSERT OR REPLACE INTO passage_vectors(rowid, model, vector) VALUES (?, ?, ?)",
                ((rowid, model, vector.astype(np.float16).tobytes()) for rowid, vector in vectors),
            )
            self.set_meta(VECTORS_GENERATION_KEY, str(int(self.get_meta(VECTORS_GENERATION_KEY) or 0) + 1))

    # -- reading ----------------------------------------------------------------------

    def get(self, doc_id: str) -> Document | None:
        cached = self._documents_cache.get(doc_id)
        if cached is not None:
            return cached
        row = self.conn.execute("SELECT data FROM documents WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            return None
        document = Document.model_validate_json(row[0])
        if len(self._documents_cache) > 5000:
            self._documents_cache.clear()
        self._documents_cache[doc_id] = document
        return document

    def count_documents(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]

    def example_ids(self) -> list[str]:
        """One stored id for each id prefix ("medquad:", "ngc:", "pmid:" …): real ids to suggest
        when one is not found."""
        rows = self.conn.execute("SELECT MIN(id) FROM documents GROUP BY substr(id, 1, instr(id, ':')) ORDER BY 1")
        return [row[0] for row in rows]

    def iter_documents(self) -> Iterator[Document]:
        for (data,) in self.conn.execute("SELECT data FROM documents ORDER BY id"):
            yield Document.model_validate_json(data)

    def passages(self, rowids: Sequence[int]) -> dict[int, PassageRef]:
        """Resolve passage row ids to their documents."""
        result: dict[int, PassageRef] = {}
        for start in range(0, len(rowids), 500):
            chunk = list(rowids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for rowid, doc_id, ordinal in self.conn.execute(
                f"SELECT rowid, doc_id, ord FROM passages WHERE rowid IN ({marks})", chunk
            ):
                document = self.get(doc_id)
                if document is not None and ordinal < len(document.passages):
                    result[rowid] = PassageRef(rowid=rowid, document=document, index=ordinal)
        return result

    def count_passages_without_vectors(self, model: str) -> int:
        """Passages not yet embedded with ``model``: the work an embedding run has ahead of it."""
        return self.conn.execute(
            "SELECT COUNT(*) FROM passages p LEFT JOIN passage_vectors v ON v.rowid = p.rowid AND v.model = ?"
            " WHERE v.rowid IS NULL",
            (model,),
        ).fetchone()[0]

    def passages_without_vectors(
        self, model: str, limit: int, after: int = 0, newest_first: bool = False
    ) -> list[tuple[int, str, str, str]]:
        """(rowid, passage id, title, text) of passages not yet embedded with ``model``: by rowid
        after ``after``, or with ``newest_first`` the latest first (before ``after`` unless it is 0)."""
        if newest_first:
            order, bound = "DESC", ("p.rowid < ?" if after else "p.rowid > ?")
        else:
            order, bound = "ASC", "p.rowid > ?"
        return self.conn.execute(
            "SELECT p.rowid, p.doc_id || '#' || p.ord, json_extract(d.data, '$.title'),"
            " json_extract(d.data, '$.passages[' || p.ord || '].text') FROM passages p"
            " JOIN documents d ON d.id = p.doc_id"
            " LEFT JOIN passage_vectors v ON v.rowid = p.rowid AND v.model = ?"
            f" WHERE v.rowid IS NULL AND {bound} ORDER BY p.rowid {order} LIMIT ?",
            (model, after, limit),
        ).fetchall()

    def vector_rowids(self, model: str) -> np.ndarray:
        """Row ids of the passages that have a ``model`` vector, ascending."""
        rows = self.conn.execute("SELECT rowid FROM passage_vectors WHERE model = ? ORDER BY rowid", (model,))
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    def load_vectors(self, model: str, rowids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Passage vectors for ``model`` (all, or those of ``rowids``): (rowids ascending, float32 matrix)."""
        if rowids is None:
            rows = self.conn.execute(
                "SELECT rowid, vector FROM passage_vectors WHERE model = ? ORDER BY rowid", (model,)
            ).fetchall()
        else:
            wanted = sorted(int(r) for r in rowids)
            rows = []
            for start in range(0, len(wanted), CHUNK):
                chunk = wanted[start : start + CHUNK]
                marks = ",".join("?" * len(chunk))
                rows += self.conn.execute(
                    f"SELECT rowid, vector FROM passage_vectors WHERE model = ? AND rowid IN ({marks}) ORDER BY rowid",
                    (model, *chunk),
                ).fetchall()
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float16).reshape(len(rows), -1)
        return ids, matrix.astype(np.float32)

    def passage_attributes(self, rowids: np.ndarray) -> dict[str, np.ndarray]:
        """Document attributes of each passage, aligned with ``rowids``, for vectorised filtering."""
        sql = (
            "SELECT p.rowid, d.year, d.kind, d.source, d.audience, d.retracted"
            " FROM passages p JOIN documents d ON d.id = p.doc_id"
        )
        if len(rowids) > 20 * CHUNK:  # most of the corpus: one scan beats many lookups
            found = self.conn.execute(sql).fetchall()
        else:
            found = []
            wanted = [int(r) for r in rowids]
            for start in range(0, len(wanted), CHUNK):
                chunk = wanted[start : start + CHUNK]
                found += self.conn.execute(f"{sql} WHERE p.rowid IN ({','.join('?' * len(chunk))})", chunk).fetchall()
        return attribute_columns(found, rowids)

    def lexical_search(self, query: str, limit: int, filters: SearchFilters) -> list[tuple[int, float]]:
        """BM25 over passages; higher score is better.

        When the filters only leave a few documents out (retracted ones, the dictionary),
        FTS5 ranks its matches first and only a generous over-fetch of the best is
        joined to the documents: joining every match before ranking took twice as
        long on the built-in corpus.  When fewer than ``limit`` of the over-fetch pass,
        or the filters keep only some kinds, sources, years or audiences, the exact
        query over every match runs.
        """
        where, params = filter_sql(filters)
        rows: list[tuple[int, float]] = []
        leaves_out_few = not (filters.kinds or filters.sources or filters.audience or filters.year_from or filters.year_to)
        if leaves_out_few:
            rows = self.conn.execute(
                "SELECT f.rowid, f.score FROM (SELECT rowid, bm25(passages_fts, ?, ?, ?, ?) AS score"
                " FROM passages_fts WHERE passages_fts MATCH ? ORDER BY score LIMIT ?) f"
                f" JOIN passages p ON p.rowid = f.rowid JOIN documents d ON d.id = p.doc_id WHERE 1 {where}"
                " ORDER BY f.score LIMIT ?",
                (*BM25_WEIGHTS, query, limit * 2 + 20, *params, limit),
            ).fetchall()
        if len(rows) < limit and where:
            rows = self.conn.execute(
                "SELECT f.rowid, bm25(passages_fts, ?, ?, ?, ?) AS score FROM passages_fts f"
                " JOIN passages p ON p.rowid = f.rowid JOIN documents d ON d.id = p.doc_id"
                f" WHERE passages_fts MATCH ? {where} ORDER BY score LIMIT ?",
                (*BM25_WEIGHTS, query, *params, limit),
            ).fetchall()
        return [(rowid, -score) for rowid, score in rows]

    def passage_count(self) -> int:
        """Passages in the full-text index (remembered until this store writes)."""
        if self._passage_count is None:
            self._passage_count = self.conn.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
        return self._passage_count

    def document_frequency(self, phrase: str) -> int:
        """How many passages contain ``phrase`` (letters, digits and spaces only, as
        :meth:`evidex.search.expand.ExpandedQuery.fts_phrases` gives), stemmed as the index is.

        Remembered until this store writes, so a common word costs one scan of its
        posting list per process, not one per query.  Another process's ingest is
        seen after a restart: a slightly stale count only moves the line between
        common and rare words.
        """
        count = self._frequencies.get(phrase)
        if count is None:
            count = self.conn.execute(
                "SELECT COUNT(*) FROM passages_fts WHERE passages_fts MATCH ?", (f'"{phrase}"',)
            ).fetchone()[0]
            if len(self._frequencies) >= FREQUENCY_CACHE_SIZE:
                self._frequencies.clear()
            self._frequencies[phrase] = count
        return count

    def allowed_rowids(self, filters: SearchFilters) -> np.ndarray | None:
        """Passage row ids that pass ``filters``, or ``None`` when nothing is filtered."""
        where, params = filter_sql(filters)
        if not where:
            return None
        rows = self.conn.execute(
            f"SELECT p.rowid FROM passages p JOIN documents d ON d.id = p.doc_id WHERE 1 {where}", params
        ).fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def stats(self, model: str) -> CorpusStats:
        """Counts for ``evidex corpus stats``; embedded passages are those with a vector of ``model``."""
        def grouped(column: str) -> dict[str, int]:
            rows = self.conn.execute(f"SELECT {column}, COUNT(*) FROM documents GROUP BY 1 ORDER BY 2 DESC")
            return {str(k): n for k, n in rows}

        def one(sql: str) -> tuple:
            return self.conn.execute(sql).fetchone()

        year_min, year_max = one("SELECT MIN(year), MAX(year) FROM documents")
        size = self.path.stat().st_size if self.path.exists() else 0
        wal = self.path.with_name(self.path.name + "-wal")
        return CorpusStats(
            documents=one("SELECT COUNT(*) FROM documents")[0],
            passages=one("SELECT COUNT(*) FROM passages")[0],
            embedded_passages=self.conn.execute("SELECT COUNT(*) FROM passage_vectors WHERE model = ?", (model,)).fetchone()[0],
            by_source=grouped("source"),
            by_kind=grouped("kind"),
            by_audience=grouped("audience"),
            retracted=one("SELECT COUNT(*) FROM documents WHERE retracted")[0],
            year_min=year_min,
            year_max=year_max,
            database=str(self.path),
            size_bytes=size + (wal.stat().st_size if wal.exists() else 0),
        )

    def close(self) -> None:
        self.conn.close()


def filter_sql(filters: SearchFilters) -> tuple[str, list[object]]:
    """SQL conditions on the ``documents`` table alias ``d`` for ``filters``."""
    clauses: list[str] = []
    params: list[object] = []
    if filters.year_from is not None:
        clauses.append("d.year >= ?")
        params.append(filters.year_from)
    if filters.year_to is not None:
        clauses.append("d.year <= ?")
        params.append(filters.year_to)
    if filters.kinds:
        clauses.append(f"d.kind IN ({','.join('?' * len(filters.kinds))})")
        params.extend(EvidenceKind(k).value for k in filters.kinds)
    if filters.sources:
        clauses.append(f"d.source IN ({','.join('?' * len(filters.sources))})")
        params.extend(filters.sources)
    if filters.exclude_sources:
        clauses.append(f"d.source NOT IN ({','.join('?' * len(filters.exclude_sources))})")
        params.extend(filters.exclude_sources)
    if filters.audience:
        clauses.append("d.audience = ?")
        params.append(filters.audience)
    if filters.exclude_retracted:
        clauses.append("d.retracted = 0")
    return "".join(f" AND {c}" for c in clauses), params


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any exception."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")

