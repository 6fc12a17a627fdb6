"""The corpus on PostgreSQL: the same store as :class:`~evidex.evidence.store.SQLiteStore`, for a
deployment that outgrows one file (many machines, a PubMed-sized corpus, ingestion on a cluster).

Selected by ``database_url = "postgresql://…"`` (or ``postgresql+psycopg://…``); needs
``pip install 'evidex[postgres]'`` and the pgvector extension in the server.

* **Words.**  Each passage has a ``tsvector`` (GIN index) of its document's title (weight A), its
  text (B), the document's MeSH terms and keywords (C) and its label (D), under a text search
  configuration ``evidex``: PostgreSQL's parser and Snowball English stemmer, *without* stop words,
  over text reduced to letters and digits with accents removed, as SQLite's FTS5 ``porter
  unicode61 remove_diacritics 2`` tokenizer sees it.  Ranking is FTS5's BM25 (k1 1.2, b 0.75, the
  same column weights, idf ``log((N - n + 0.5) / (n + 0.5))``, document length in tokens), computed
  in SQL: a phrase's weighted frequency in a passage is ``ts_rank_cd`` of the phrase alone with the
  column weights and no normalisation, which sums the weight of each occurrence.  The scores are
  therefore on SQLite's scale (the reranker reads them raw).  Differences that remain: Snowball
  ("Porter 2") stems a few words differently from FTS5's Porter; a phrase can match across the end
  of the title and the start of the text; PostgreSQL keeps at most 256 positions of a word and
  none past the 16,383rd word of a passage; and the document frequencies and average length come
  from this process's cache (refreshed when it writes), as in SQLite.
* **Meaning.**  Vectors (rounded to float16 and back, as SQLite stores them, so cosines agree) in a
  pgvector column with an HNSW index (cosine distance) per embedding model, built when the first
  search needs it (a bulk load is faster without it).  The document attributes filters need are
  copied onto each vector row, so a filtered search is one index scan.  Search works before any
  vector exists: by words only.
* **Writes** are serialised by a transaction-level advisory lock, as SQLite's ``BEGIN IMMEDIATE``
  serialises them: retraction notices, content hashes and checkpoints stay consistent whichever
  process writes.  Vector saves run concurrently (one row per passage and model, upserted).
"""

from __future__ import annotations

import contextlib
import math
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from evidex.evidence.documents import Document, EvidenceKind
from evidex.evidence.store import (
    BM25_WEIGHTS,
    DOCUMENTS_GENERATION_KEY,
    FREQUENCY_CACHE_SIZE,
    VECTORS_GENERATION_KEY,
    Changes,
    Checkpoint,
    CorpusStats,
    PassageRef,
    SearchFilters,
    WriteCounts,
    _digest,
    attribute_columns,
    document_change,
    index_terms,
)

_TEXT_SEARCH_SETUP = """
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_ts_dict WHERE dictname = 'evidex_stem') THEN
    CREATE TEXT SEARCH DICTIONARY evidex_stem (TEMPLATE = snowball, Language = english);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'evidex') THEN
    CREATE TEXT SEARCH CONFIGURATION evidex (COPY = english);
    ALTER TEXT SEARCH CONFIGURATION evidex ALTER MAPPING REPLACE english_stem WITH evidex_stem;
  END IF;
END $$
"""

_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS documents (
        id TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        kind TEXT NOT NULL,
        year INTEGER,
        audience TEXT NOT NULL,
        retracted BOOLEAN NOT NULL DEFAULT false,
        content_hash TEXT NOT NULL,
        title TEXT NOT NULL,
        data TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS documents_source ON documents(source)",
    "CREATE SEQUENCE IF NOT EXISTS passage_rowids",
    # Narrow rows with the tsvector uncompressed and inline (up to 8 kB): BM25 reads it for every
    # passage that holds a query word, and decompressing it each time made search 2-5x slower.
    # A passage's text is read from its document (only embedding needs it).
    """CREATE TABLE IF NOT EXISTS passages (
        rowid BIGINT PRIMARY KEY DEFAULT nextval('passage_rowids'),
        doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        ord INTEGER NOT NULL,
        words TSVECTOR NOT NULL,
        length INTEGER NOT NULL,
        UNIQUE (doc_id, ord)
    ) WITH (toast_tuple_target = 8160)""",
    "ALTER TABLE passages ALTER COLUMN words SET STORAGE EXTERNAL",
    "CREATE INDEX IF NOT EXISTS passages_words ON passages USING gin (words)",
    """CREATE TABLE IF NOT EXISTS passage_vectors (
        model TEXT NOT NULL,
        rowid BIGINT NOT NULL REFERENCES passages(rowid) ON DELETE CASCADE,
        embedding vector NOT NULL,
        year INTEGER,
        kind TEXT NOT NULL,
        source TEXT NOT NULL,
        audience TEXT NOT NULL,
        retracted BOOLEAN NOT NULL,
        PRIMARY KEY (model, rowid)
    )""",
    "CREATE INDEX IF NOT EXISTS passage_vectors_rowid ON passage_vectors(rowid)",
    """CREATE TABLE IF NOT EXISTS retraction_notices (
        retracted_id TEXT NOT NULL,
        notice_id TEXT NOT NULL,
        PRIMARY KEY (retracted_id, notice_id)
    )""",
]
SCHEMA_VERSION = 1  # of this schema, kept in meta (the SQLite store numbers its own)

# Advisory lock keys (any two constants unlikely to be used by another application on the database).
_SCHEMA_LOCK = 0x65766964_00000001
_WRITE_LOCK = 0x65766964_00000002
BM25_K1, BM25_B = 1.2, 0.75
# ts_rank_cd weights {D, C, B, A} = label, terms, text, title; it refuses weights above 1, so they
# are halved here and the frequency doubled.
_RANK_WEIGHTS = "{%s,%s,%s,%s}" % tuple(w / 2 for w in (BM25_WEIGHTS[1], BM25_WEIGHTS[3], BM25_WEIGHTS[2], BM25_WEIGHTS[0]))
HNSW_EF_SEARCH_MAX = 1000  # pgvector's limit
HNSW_BUILD_MEMORY = 1 << 30  # maintenance_work_mem (at least) while the index is built: ~500,000 vectors in memory
_NOT_WORD = re.compile(r"[\W_]+")
_MARKS = re.compile(r"[\u0300-\u036f]")


def index_words(text: str) -> str:
    """``text`` as FTS5's unicode61 tokenizer splits it: letters and digits, accents removed."""
    if not text.isascii():
        text = _MARKS.sub("", unicodedata.normalize("NFKD", text))
    return _NOT_WORD.sub(" ", text).strip()


def phrases_of(match: str) -> list[str]:
    """The phrases of an FTS5 OR of quoted phrases (what :func:`evidex.search.expand.fts_match` writes)."""
    return [index_words(p) for p in re.findall(r'"([^"]*)"', match) if index_words(p)]


def plain_url(url: str) -> str:
    """A libpq URL from a SQLAlchemy-style one (``postgresql+psycopg://`` → ``postgresql://``)."""
    scheme, _, rest = url.partition("://")
    return "postgresql://" + rest if scheme.startswith("postgres") else url


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


class PostgresStore:
    """The corpus in a PostgreSQL database with the pgvector extension."""

    searches_vectors = True  # dense search runs in the database (HNSW), not over vectors loaded into memory

    def __init__(self, url: str) -> None:
        try:
            import psycopg
            from pgvector.psycopg import register_vector
        except ImportError:
            raise ValueError(
                "a postgresql:// database_url needs the PostgreSQL extra: pip install 'evidex[postgres]'"
            ) from None
        self.url = plain_url(url)
        self._psycopg = psycopg
        try:
            self.conn = psycopg.connect(self.url, autocommit=True)
        except psycopg.OperationalError as exc:
            raise ValueError(f"cannot connect to {_without_password(self.url)}: {str(exc).strip()}") from None
        self._lock = threading.RLock()  # one connection: one statement at a time, one transaction at a time
        self._create_schema()
        register_vector(self.conn)
        self._documents_cache: dict[str, Document] = {}
        self._frequencies: dict[str, int] = {}
        self._passage_count: int | None = None
        self._average_length: float | None = None
        self._vector_indexes: set[str] = set()

    def _create_schema(self) -> None:
        with self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            try:
                with self.conn.transaction():
                    self.conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            except self._psycopg.Error as exc:
                raise ValueError(
                    "the PostgreSQL server lacks the pgvector extension, or this user may not create it"
                    f" ({str(exc).strip()}); install pgvector and run CREATE EXTENSION vector as its owner"
                ) from None
            self.conn.execute(_TEXT_SEARCH_SETUP)
            for statement in _SCHEMA:
                self.conn.execute(statement)
            self.set_meta("schema_version", str(SCHEMA_VERSION))

    # -- transactions and metadata -------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction (a savepoint inside another); rolled back on any exception."""
        with self._lock, self.conn.transaction():
            yield

    def _execute(self, sql, params=None):
        with self._lock:
            return self.conn.execute(sql, params)

    def get_meta(self, key: str) -> str | None:
        row = self._execute("SELECT value FROM meta WHERE key = %s", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._execute(
            "INSERT INTO meta(key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def meta_items(self, prefix: str) -> dict[str, str]:
        """Every meta entry whose key starts with ``prefix``."""
        rows = self._execute("SELECT key, value FROM meta WHERE left(key, %s) = %s", (len(prefix), prefix))
        return dict(rows.fetchall())

    def _bump(self, key: str) -> None:
        self._execute(
            "INSERT INTO meta(key, value) VALUES (%s, '1')"
            " ON CONFLICT (key) DO UPDATE SET value = (meta.value::bigint + 1)::text",
            (key,),
        )

    @contextlib.contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        """Held while one process does ``name`` (embedding, a PubMed sync) on this database, from any
        machine; raises ``BlockingIOError`` when another holds it."""
        import psycopg

        key = int.from_bytes(_digest(f"evidex:{name}").encode()[:8], "big") & 0x7FFF_FFFF_FFFF_FFFF
        with psycopg.connect(self.url, autocommit=True) as conn:  # its own session: released when it closes
            if not conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:
                raise BlockingIOError(f"another evidex process holds the {name} lock on this database")
            yield

    # -- writing ----------------------------------------------------------------------

    def apply(self, changes: Changes, checkpoint: Checkpoint | None = None) -> WriteCounts:
        """Write one batch in one transaction: retraction links, removals, then documents;
        ``checkpoint``'s meta entries are written in the same transaction."""
        counts = WriteCounts()
        with self.transaction():
            self._execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))
            if changes.retractions:
                pairs = [(target, r.notice) for r in changes.retractions for target in r.retracted]
                self._execute(
                    "INSERT INTO retraction_notices(retracted_id, notice_id)"
                    " SELECT * FROM unnest(%s::text[], %s::text[]) ON CONFLICT DO NOTHING",
                    ([p[0] for p in pairs], [p[1] for p in pairs]),
                )
            removed = changes.deletions | changes.dropped
            if removed:
                stored = {
                    row[0]
                    for row in self._execute("DELETE FROM documents WHERE id = ANY(%s) RETURNING id", (list(removed),))
                }
                counts.deleted = len(stored & changes.deletions)
                counts.not_found = len(changes.deletions - stored)
            if changes.documents:
                self._upsert(list(changes.documents.values()), counts)
            if changes.retractions:
                counts.retracted = self._mark_retracted([t for r in changes.retractions for t in r.retracted])
            if removed or counts.updated or counts.retracted:
                self._bump(DOCUMENTS_GENERATION_KEY)
            if checkpoint is not None:
                for key, value in checkpoint(counts).items():
                    self.set_meta(key, value)
        self._forget_index_statistics()
        return counts

    def upsert(self, documents: Sequence[Document]) -> WriteCounts:
        """Insert or update ``documents`` in one transaction (of copies with one id, the last wins)."""
        latest = {document.id: document for document in documents}
        counts = self.apply(Changes(documents=latest))
        counts.unchanged += len(documents) - len(latest)
        return counts

    def _upsert(self, documents: list[Document], counts: WriteCounts) -> None:
        """Write ``documents`` (distinct ids) inside the caller's transaction.  A document
        a stored retraction notice names is stored as retracted."""
        ids = [document.id for document in documents]
        stored = self._stored_hashes(ids)
        retracted = {
            row[0]
            for row in self._execute(
                "SELECT DISTINCT retracted_id FROM retraction_notices WHERE retracted_id = ANY(%s)", (ids,)
            )
        }
        rows: list[tuple] = []
        changed: list[str] = []
        titles: list[str] = []
        terms: list[str] = []
        passages: dict[str, list] = {name: [] for name in ("doc", "ord", "body", "label", "length")}
        for document in documents:
            if (change := document_change(document, retracted, stored, counts)) is None:
                continue
            document, data, digest, replaces = change
            if replaces:
                changed.append(document.id)
            rows.append(
                (document.id, document.source, document.kind.value, document.year, document.audience,
                 document.retracted, digest, document.title, data)
            )
            title, words = index_words(document.title), index_words(index_terms(document))
            titles.append(title)
            terms.append(words)
            for ordinal, passage in enumerate(document.passages):
                body, label = index_words(passage.text), index_words(passage.label)
                passages["doc"].append(document.id)
                passages["ord"].append(ordinal)
                passages["body"].append(body)
                passages["label"].append(label)
                # Tokens in all four columns: the document length BM25 normalises by, as FTS5 counts it.
                passages["length"].append(sum(len(part.split()) for part in (title, body, words, label)))
        if changed:
            self._execute("DELETE FROM passages WHERE doc_id = ANY(%s)", (changed,))
        if not rows:
            return
        with self._lock, self.conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO documents(id, source, kind, year, audience, retracted, content_hash, title, data)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (id) DO UPDATE SET source = excluded.source, kind = excluded.kind,"
                " year = excluded.year, audience = excluded.audience, retracted = excluded.retracted,"
                " content_hash = excluded.content_hash, title = excluded.title, data = excluded.data",
                rows,
            )
        # Title (A), text (B), MeSH terms and keywords (C), label (D); a document's title and terms
        # are indexed once and joined to each of its passages.
        self._execute(
            "WITH docs AS (SELECT id, setweight(to_tsvector('evidex', title), 'A') AS title,"
            "  setweight(to_tsvector('evidex', terms), 'C') AS terms"
            "  FROM unnest(%s::text[], %s::text[], %s::text[]) AS d(id, title, terms))"
            " INSERT INTO passages(doc_id, ord, words, length)"
            " SELECT t.doc, t.ord,"
            "  d.title || setweight(to_tsvector('evidex', t.body), 'B') || d.terms"
            "  || setweight(to_tsvector('evidex', t.label), 'D'), t.length"
            " FROM unnest(%s::text[], %s::int[], %s::text[], %s::text[], %s::int[])"
            "  AS t(doc, ord, body, label, length) JOIN docs d ON d.id = t.doc",
            ([row[0] for row in rows], titles, terms,
             *(passages[name] for name in ("doc", "ord", "body", "label", "length"))),
        )

    def _stored_hashes(self, ids: list[str]) -> dict[str, str]:
        return dict(self._execute("SELECT id, content_hash FROM documents WHERE id = ANY(%s)", (ids,)).fetchall())

    def contains(self, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` are stored."""
        return set(self._stored_hashes(list(ids)))

    def _mark_retracted(self, ids: list[str]) -> int:
        """Mark the stored, not yet retracted documents among ``ids`` retracted (passages and
        vectors stay; only the flag changes).  Returns how many were marked."""
        rows = self._execute("SELECT id, data FROM documents WHERE id = ANY(%s) AND NOT retracted", (ids,)).fetchall()
        for doc_id, data in rows:
            document = Document.model_validate_json(data).model_copy(update={"retracted": True})
            data = document.model_dump_json()
            self._execute(
                "UPDATE documents SET retracted = true, data = %s, content_hash = %s WHERE id = %s",
                (data, _digest(data), doc_id),
            )
        if rows:
            self._execute(
                "UPDATE passage_vectors v SET retracted = true FROM passages p"
                " WHERE p.rowid = v.rowid AND p.doc_id = ANY(%s)",
                ([row[0] for row in rows],),
            )
        return len(rows)

    def delete(self, ids: Sequence[str]) -> int:
        """Remove documents by id; returns how many existed."""
        return self.apply(Changes(deletions=set(ids))).deleted

    def _forget_index_statistics(self) -> None:
        self._documents_cache.clear()
        self._frequencies.clear()
        self._passage_count = None
        self._average_length = None

    def save_vectors(self, model: str, vectors: Iterable[tuple[int, np.ndarray]]) -> None:
        """Store passage vectors (float16 precision, as SQLite keeps them) with their documents'
        filter attributes; a passage deleted meanwhile is skipped.  Saving again replaces."""
        from pgvector import Vector

        pairs = [(int(rowid), Vector(np.asarray(v, dtype=np.float16).astype(np.float32))) for rowid, v in vectors]
        if not pairs:
            return
        with self.transaction():
            with self.conn.cursor() as cursor:
                cursor.execute("CREATE TEMPORARY TABLE IF NOT EXISTS new_vectors (rowid BIGINT, embedding vector) ON COMMIT DELETE ROWS")
                with cursor.copy("COPY new_vectors (rowid, embedding) FROM STDIN WITH (FORMAT BINARY)") as copy:
                    copy.set_types(["int8", "vector"])
                    for pair in pairs:
                        copy.write_row(pair)
            self._execute(
                "INSERT INTO passage_vectors(model, rowid, embedding, year, kind, source, audience, retracted)"
                " SELECT %s, n.rowid, n.embedding, d.year, d.kind, d.source, d.audience, d.retracted"
                " FROM new_vectors n JOIN passages p ON p.rowid = n.rowid JOIN documents d ON d.id = p.doc_id"
                " ON CONFLICT (model, rowid) DO UPDATE SET embedding = excluded.embedding",
                (model,),
            )
            self._bump(VECTORS_GENERATION_KEY)

    # -- reading ----------------------------------------------------------------------

    def get(self, doc_id: str) -> Document | None:
        cached = self._documents_cache.get(doc_id)
        if cached is not None:
            return cached
        row = self._execute("SELECT data FROM documents WHERE id = %s", (doc_id,)).fetchone()
        if row is None:
            return None
        document = Document.model_validate_json(row[0])
        if len(self._documents_cache) > 5000:
            self._documents_cache.clear()
        self._documents_cache[doc_id] = document
        return document

    def count_documents(self) -> int:
        return self._execute("SELECT COUNT(*) FROM documents").fetchone()[0]

    def example_ids(self) -> list[str]:
        """One stored id for each id prefix ("medquad:", "pmid:" …): real ids to suggest when one is not found."""
        rows = self._execute("SELECT MIN(id) FROM documents GROUP BY split_part(id, ':', 1) ORDER BY 1")
        return [row[0] for row in rows]

    def iter_documents(self) -> Iterator[Document]:
        import psycopg

        with psycopg.connect(self.url) as conn, conn.cursor(name="evidex_documents") as cursor:
            cursor.execute("SELECT data FROM documents ORDER BY id")
            for (data,) in cursor:
                yield Document.model_validate_json(data)

    def passages(self, rowids: Sequence[int]) -> dict[int, PassageRef]:
        """Resolve passage row ids to their documents (read once, then remembered until this store writes)."""
        result: dict[int, PassageRef] = {}
        if not len(rowids):
            return result
        rows = self._execute(
            "SELECT rowid, doc_id, ord FROM passages WHERE rowid = ANY(%s)", ([int(r) for r in rowids],)
        ).fetchall()
        missing = list({doc_id for _, doc_id, _ in rows if doc_id not in self._documents_cache})
        if missing:
            if len(self._documents_cache) + len(missing) > 5000:
                self._documents_cache.clear()
            for doc_id, data in self._execute("SELECT id, data FROM documents WHERE id = ANY(%s)", (missing,)):
                self._documents_cache[doc_id] = Document.model_validate_json(data)
        for rowid, doc_id, ordinal in rows:
            document = self._documents_cache.get(doc_id)
            if document is not None and ordinal < len(document.passages):
                result[rowid] = PassageRef(rowid=rowid, document=document, index=ordinal)
        return result

    def count_passages_without_vectors(self, model: str) -> int:
        """Passages not yet embedded with ``model``."""
        return self._execute(
            "SELECT COUNT(*) FROM passages p WHERE NOT EXISTS"
            " (SELECT 1 FROM passage_vectors v WHERE v.model = %s AND v.rowid = p.rowid)",
            (model,),
        ).fetchone()[0]

    def passages_without_vectors(
        self, model: str, limit: int, after: int = 0, newest_first: bool = False
    ) -> list[tuple[int, str, str, str]]:
        """(rowid, passage id, title, text) of passages not yet embedded with ``model``: by rowid
        after ``after``, or with ``newest_first`` the latest first (before ``after`` unless it is 0)."""
        if newest_first:
            order, bound = "DESC", ("p.rowid < %s" if after else "p.rowid > %s")
        else:
            order, bound = "ASC", "p.rowid > %s"
        rows = self._execute(
            "SELECT p.rowid, p.doc_id || '#' || p.ord, d.title, d.data::json -> 'passages' -> p.ord ->> 'text'"
            " FROM passages p JOIN documents d ON d.id = p.doc_id"
            " WHERE NOT EXISTS (SELECT 1 FROM passage_vectors v WHERE v.model = %s AND v.rowid = p.rowid)"
            f" AND {bound} ORDER BY p.rowid {order} LIMIT %s",
            (model, after, limit),
        ).fetchall()
        return [tuple(row) for row in rows]

    def vector_rowids(self, model: str) -> np.ndarray:
        rows = self._execute("SELECT rowid FROM passage_vectors WHERE model = %s ORDER BY rowid", (model,))
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    def load_vectors(self, model: str, rowids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Passage vectors for ``model`` (all, or those of ``rowids``): (rowids ascending, float32 matrix)."""
        if rowids is None:
            rows = self._execute(
                "SELECT rowid, embedding FROM passage_vectors WHERE model = %s ORDER BY rowid", (model,)
            ).fetchall()
        else:
            rows = self._execute(
                "SELECT rowid, embedding FROM passage_vectors WHERE model = %s AND rowid = ANY(%s) ORDER BY rowid",
                (model, [int(r) for r in rowids]),
            ).fetchall()
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        return ids, np.vstack([r[1].to_numpy() for r in rows]).astype(np.float32)

    def passage_attributes(self, rowids: np.ndarray) -> dict[str, np.ndarray]:
        """Document attributes of each passage, aligned with ``rowids`` (a passage not found: retracted)."""
        found = self._execute(
            "SELECT p.rowid, d.year, d.kind, d.source, d.audience, d.retracted"
            " FROM passages p JOIN documents d ON d.id = p.doc_id WHERE p.rowid = ANY(%s)",
            ([int(r) for r in rowids],),
        ).fetchall()
        return attribute_columns(found, rowids)

    # -- search -----------------------------------------------------------------------

    def lexical_search(self, query: str, limit: int, filters: SearchFilters) -> list[tuple[int, float]]:
        """BM25 (as FTS5 computes it, see the module's docstring) over passages for an FTS5-style OR of
        quoted phrases; higher score is better.

        One branch per phrase, each reading only the passages that hold it (GIN index) and scoring
        them for that phrase alone, then the sum per passage: the work grows with the phrases'
        document frequencies, not with (passages matching any phrase) x (phrases)."""
        from psycopg import sql

        total = self.passage_count()
        phrases = [p for p in dict.fromkeys(phrases_of(query)) if total and self.document_frequency(p)]
        if not phrases:
            return []
        branches, arguments = [], []
        norm = sql.SQL("{k1} * (1 - {b} + {b} * length / %s)").format(k1=sql.Literal(BM25_K1), b=sql.Literal(BM25_B))
        for phrase in phrases:
            count = self.document_frequency(phrase)
            idf = math.log((total - count + 0.5) / (count + 0.5))
            # The frequency in a subquery that is not flattened (OFFSET 0), so it is computed once a row.
            branches.append(
                sql.SQL(
                    "SELECT rowid, {idf} * f * {k} / (f + norm) AS score FROM (SELECT rowid, {norm} AS norm,"
                    " 2 * ts_rank_cd({w}::float4[], words, phraseto_tsquery('evidex', %s), 0) AS f"
                    " FROM passages WHERE words @@ phraseto_tsquery('evidex', %s) OFFSET 0) m"
                ).format(
                    idf=sql.Literal(idf if idf > 0 else 1e-6), k=sql.Literal(BM25_K1 + 1), norm=norm,
                    w=sql.Literal(_RANK_WEIGHTS),
                )
            )
            arguments += [self._average_passage_length(), phrase, phrase]
        summed = sql.SQL("SELECT rowid, SUM(score) AS score FROM ({branches}) b GROUP BY rowid").format(
            branches=sql.SQL(" UNION ALL ").join(branches)
        )
        where, params = filter_sql(filters)

        def ranked(candidates: sql.Composable, extra: list) -> list[tuple[int, float]]:
            statement = sql.SQL(
                "SELECT r.rowid, r.score FROM ({candidates}) r JOIN passages p ON p.rowid = r.rowid"
                " JOIN documents d ON d.id = p.doc_id WHERE true {where} ORDER BY r.score DESC, r.rowid LIMIT %s"
            ).format(candidates=candidates, where=sql.SQL(where))
            return self._execute(statement, [*arguments, *extra, *params, limit]).fetchall()

        rows = []
        if not (filters.kinds or filters.sources or filters.audience or filters.year_from or filters.year_to):
            # As in SQLite: rank first, then apply filters that leave few out to a generous over-fetch.
            best = sql.SQL("SELECT * FROM ({summed}) s ORDER BY score DESC, rowid LIMIT %s").format(summed=summed)
            rows = ranked(best, [limit * 2 + 20])
        if len(rows) < limit and where:
            rows = ranked(summed, [])
        return [(rowid, float(score)) for rowid, score in rows]

    def passage_count(self) -> int:
        """Passages in the full-text index (remembered until this store writes)."""
        if self._passage_count is None:
            self._passage_count = self._execute("SELECT COUNT(*) FROM passages").fetchone()[0]
        return self._passage_count

    def _average_passage_length(self) -> float:
        if self._average_length is None:
            self._average_length = float(self._execute("SELECT COALESCE(AVG(length), 1) FROM passages").fetchone()[0])
        return max(self._average_length, 1.0)

    def document_frequency(self, phrase: str) -> int:
        """How many passages contain ``phrase`` (letters, digits and spaces), stemmed as the index is;
        remembered until this store writes (see :meth:`SQLiteStore.document_frequency`)."""
        count = self._frequencies.get(phrase)
        if count is None:
            count = self._execute(
                "SELECT COUNT(*) FROM passages WHERE words @@ phraseto_tsquery('evidex', %s)", (index_words(phrase),)
            ).fetchone()[0]
            if len(self._frequencies) >= FREQUENCY_CACHE_SIZE:
                self._frequencies.clear()
            self._frequencies[phrase] = count
        return count

    def nearest_passages(
        self, model: str, vector: np.ndarray, limit: int, filters: SearchFilters
    ) -> list[tuple[int, float]]:
        """The ``limit`` passages closest in meaning to ``vector`` that pass ``filters``, as
        (rowid, cosine): HNSW first; when a narrow filter leaves fewer than ``limit`` of what the
        index returns, an exact scan of the passages that pass it."""
        from pgvector import Vector
        from psycopg import sql

        dim = len(vector)
        if not self._ensure_vector_index(model, dim):
            return []
        where, params = filter_sql(filters, alias="v")
        query = Vector(np.asarray(vector, dtype=np.float32))
        statement = sql.SQL(
            "SELECT v.rowid, 1 - (v.embedding::vector({dim}) <=> %s) FROM passage_vectors v"
            " WHERE v.model = {model} {where} ORDER BY v.embedding::vector({dim}) <=> %s LIMIT %s"
        ).format(dim=sql.Literal(dim), model=sql.Literal(model), where=sql.SQL(where))
        with self.transaction():
            self._execute(f"SET LOCAL hnsw.ef_search = {min(HNSW_EF_SEARCH_MAX, max(40, 2 * limit))}")
            rows = self._execute(statement, (query, *params, query, limit)).fetchall()
        # leaving a source out (the dictionary, for most answers) is not narrow: an exact scan of nearly
        # every passage would cost more than the few neighbours the index may miss
        narrow = bool(filters.year_from or filters.year_to or filters.kinds or filters.sources or filters.audience)
        if len(rows) < limit and narrow:
            with self.transaction():
                self._execute("SET LOCAL enable_indexscan = off")
                rows = self._execute(statement, (query, *params, query, limit)).fetchall()
        return [(rowid, float(cosine)) for rowid, cosine in rows]

    def passage_similarities(self, model: str, rowids: Sequence[int], vector: np.ndarray) -> dict[int, float]:
        """Cosine of each of ``rowids`` that has a ``model`` vector to ``vector``."""
        from pgvector import Vector

        rows = self._execute(
            "SELECT rowid, 1 - (embedding <=> %s) FROM passage_vectors WHERE model = %s AND rowid = ANY(%s)",
            (Vector(np.asarray(vector, dtype=np.float32)), model, [int(r) for r in rowids]),
        ).fetchall()
        return {rowid: float(cosine) for rowid, cosine in rows}

    def _ensure_vector_index(self, model: str, dim: int) -> bool:
        """The HNSW index of ``model``'s vectors, built now if missing; False when there are no vectors."""
        from psycopg import sql

        name = "passage_vectors_hnsw_" + _digest(model)[:12]
        if name in self._vector_indexes:
            return True
        if self._execute("SELECT 1 FROM passage_vectors WHERE model = %s LIMIT 1", (model,)).fetchone() is None:
            return False
        if self._execute("SELECT to_regclass(%s)", (name,)).fetchone()[0] is None:
            with self.transaction():
                self._execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                # pgvector builds the graph in memory when it fits (a few times faster than on disk):
                # about 2 kB a vector of 384 dimensions.  A server set higher keeps its setting.
                self._execute(
                    "SELECT set_config('maintenance_work_mem', %s, true) FROM pg_settings"
                    " WHERE name = 'maintenance_work_mem' AND setting::bigint * 1024 < %s",
                    (f"{HNSW_BUILD_MEMORY >> 20}MB", HNSW_BUILD_MEMORY),
                )
                self._execute(
                    sql.SQL(
                        "CREATE INDEX IF NOT EXISTS {name} ON passage_vectors"
                        " USING hnsw ((embedding::vector({dim})) vector_cosine_ops) WHERE model = {model}"
                    ).format(name=sql.Identifier(name), dim=sql.Literal(dim), model=sql.Literal(model))
                )
        self._vector_indexes.add(name)
        return True

    def build_vector_index(self, model: str, dim: int) -> None:
        """Build ``model``'s HNSW index now (after a bulk load) rather than at the first search."""
        self._ensure_vector_index(model, dim)

    def allowed_rowids(self, filters: SearchFilters) -> np.ndarray | None:
        """Passage row ids that pass ``filters``, or ``None`` when nothing is filtered."""
        where, params = filter_sql(filters)
        if not where:
            return None
        rows = self._execute(
            f"SELECT p.rowid FROM passages p JOIN documents d ON d.id = p.doc_id WHERE true {where}", params
        ).fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def stats(self, model: str) -> CorpusStats:
        """Counts for ``evidex corpus stats``; embedded passages are those with a vector of ``model``."""
        def grouped(column: str) -> dict[str, int]:
            rows = self._execute(f"SELECT {column}, COUNT(*) FROM documents GROUP BY 1 ORDER BY 2 DESC, 1")
            return {str(k).lower() if isinstance(k, bool) else str(k): n for k, n in rows}

        def one(statement: str, params=None) -> tuple:
            return self._execute(statement, params).fetchone()

        year_min, year_max = one("SELECT MIN(year), MAX(year) FROM documents")
        size = one(
            "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
            " WHERE c.relname IN ('documents', 'passages', 'passage_vectors', 'meta', 'retraction_notices')"
            " AND c.relnamespace = current_schema()::regnamespace"
        )[0]
        return CorpusStats(
            documents=one("SELECT COUNT(*) FROM documents")[0],
            passages=one("SELECT COUNT(*) FROM passages")[0],
            embedded_passages=one("SELECT COUNT(*) FROM passage_vectors WHERE model = %s", (model,))[0],
            by_source=grouped("source"),
            by_kind=grouped("kind"),
            by_audience=grouped("audience"),
            retracted=one("SELECT COUNT(*) FROM documents WHERE retracted")[0],
            year_min=year_min,
            year_max=year_max,
            database=_without_password(self.url),
            size_bytes=int(size),
        )

    def close(self) -> None:
        self.conn.close()


def filter_sql(filters: SearchFilters, alias: str = "d") -> tuple[str, list[object]]:
    """SQL conditions for ``filters`` on a table (alias ``alias``) with the documents' filter columns."""
    clauses: list[str] = []
    params: list[object] = []
    if filters.year_from is not None:
        clauses.append(f"{alias}.year >= %s")
        params.append(filters.year_from)
    if filters.year_to is not None:
        clauses.append(f"{alias}.year <= %s")
        params.append(filters.year_to)
    if filters.kinds:
        clauses.append(f"{alias}.kind = ANY(%s)")
        params.append([EvidenceKind(k).value for k in filters.kinds])
    if filters.sources:
        clauses.append(f"{alias}.source = ANY(%s)")
        params.append(list(filters.sources))
    if filters.exclude_sources:
        clauses.append(f"NOT ({alias}.source = ANY(%s))")
        params.append(list(filters.exclude_sources))
    if filters.audience:
        clauses.append(f"{alias}.audience = %s")
        params.append(filters.audience)
    if filters.exclude_retracted:
        clauses.append(f"{alias}.retracted = false")
    return "".join(f" AND {c}" for c in clauses), params
