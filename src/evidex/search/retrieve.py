"""Retrieve: hybrid lexical + dense search over passages, ranked for evidence.

1. The question is expanded with medical synonyms (:mod:`evidex.search.expand`).
2. BM25 (SQLite FTS5) ranks passages for the question's own words and,
   separately and with less weight, for the synonyms; a sentence-embedding
   model ranks them by meaning (:class:`DenseIndex`).
3. The rankings are fused (``SearchSettings.fusion``), then the fused
   relevance is adjusted for evidence level and recency:

   * ``linear`` (the default): a weighted mean of scores in [0, 1]: each
     BM25 score divided by the best BM25 score of its ranking, and the
     cosine similarity of the passage to the question (computed for every
     candidate, not only the dense ranking's).  A passage missing from a
     lexical ranking scores 0 there.
   * ``rrf``: reciprocal rank fusion, sum of ``weight / (rrf_k + rank)``,
     divided by its best possible value.

   On BioASQ (``benchmarks/retrieval.py``) linear fusion ranks better than
   RRF: it keeps how much better the best match is, which ranks throw away.
4. With linear fusion of BM25 and embeddings, a small learned model
   (:mod:`evidex.search.rerank`, ``SearchSettings.rerank``) re-scores every fused
   candidate from its score parts and the idf-weighted share of the
   question's words it contains; its probability becomes the relevance.

Every score component stays on the hit (:class:`ScoreParts`) so an answer can
show why a source was chosen.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol

import numpy as np

from evidex.evidence.documents import Document, EvidenceKind, Passage
from evidex.evidence.store import (
    DOCUMENTS_GENERATION_KEY,
    VECTORS_GENERATION_KEY,
    SearchFilters,
    Store,
)
from evidex.search.expand import ExpandedQuery, expand_query, fts_match
from evidex.search.rerank import QuestionWords, Reranker
from evidex.search.vocab import Vocabulary
from evidex.settings import SearchSettings

_KIND_CODES = {kind: i for i, kind in enumerate(EvidenceKind)}
_AUDIENCE_CODES = {"professional": 0, "consumer": 1}
MIN_PASSAGES_FOR_COMMON_WORDS = 1000  # below this every OR query is cheap and frequencies say little


class TextEncoder(Protocol):
    """What search needs from an embedding model (see :mod:`evidex.search.embed`)."""

    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Passage vectors, one unit row per text."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """The vector of a search."""
        ...


@dataclass
class ScoreParts:
    """Why a passage ranks where it does."""

    lexical_rank: int | None = None
    lexical_score: float | None = None  # BM25 of the question's own words (higher is better)
    lexical_norm: float | None = None  # lexical_score / the best lexical_score of this search
    expansion_rank: int | None = None
    expansion_score: float | None = None  # BM25 of the words and their synonyms
    expansion_norm: float | None = None
    dense_rank: int | None = None
    dense_score: float | None = None  # cosine similarity to the question (after feedback), also outside the dense ranking
    # dense_score rescaled to [0, 1] between the lowest and highest cosine of this search's dense ranking:
    # what fusion adds to BM25 (e5's cosines all lie near 0.8, so raw they barely separate passages)
    dense_norm: float | None = None
    fused: float | None = None  # relevance from fusion alone, when the reranker ran
    coverage: float | None = None  # share of the question's words in the title and passage (reranker feature)
    idf_coverage: float | None = None  # the same, each word weighted by its idf (reranker feature)
    idf_coverage_below_best: float | None = None  # the best candidate's idf_coverage minus this one's (reranker feature)
    rerank: float | None = None  # the reranker's log-odds that the passage answers the question
    relevance: float = 0.0  # in [0, 1]: the reranker's probability, or else the fused relevance
    evidence: float = 0.0
    recency: float = 0.0
    final: float = 0.0


@dataclass
class SearchHit:
    passage_id: str
    document: Document
    passage: Passage
    parts: ScoreParts


@dataclass
class SearchResult:
    query: str
    expanded: ExpandedQuery
    lexical_query: str
    expansion_query: str
    filters: SearchFilters
    hits: list[SearchHit] = field(default_factory=list)
    took_ms: float = 0.0


def passage_text_for_embedding(title: str, text: str) -> str:
    """What is embedded for a passage: its document title gives it context."""
    return f"{title}. {text}"


# Passages embedded and committed together: about 2 s of e5 on two cores, the most an interrupted
# run loses, and the longest a search waits for the model when it shares it with an embedding run.
EMBED_COMMIT = 16
_PAGE = 512  # passages read from the store at a time


def embed_missing_passages(
    store: Store,
    encoder: TextEncoder,
    progress=None,
    known_vectors=None,
    compute: bool = True,
    *,
    commit_every: int = EMBED_COMMIT,
    newest_first: bool = False,
    should_stop=None,
) -> int:
    """Embed every passage that has no vector for ``encoder`` yet; returns how many.

    Vectors are committed every ``commit_every`` passages, so an interrupted run
    (even ``kill -9``) keeps what it did and the next run goes on from there, and
    search finds each committed passage by meaning at once.  ``known_vectors(rows)``
    may supply ready-made vectors (the built-in corpus ships its own) as
    ``{rowid: vector}``; only the rest are computed.  ``newest_first`` embeds the
    latest passages first (what was just fetched for a question); ``should_stop()``
    is asked between commits.
    """
    done = 0
    after = 0
    while rows := store.passages_without_vectors(encoder.name, _PAGE, after, newest_first):
        after = rows[-1][0]
        known = known_vectors(rows) if known_vectors else {}
        if known:
            store.save_vectors(encoder.name, ((r[0], known[r[0]]) for r in rows if r[0] in known))
            rows = [r for r in rows if r[0] not in known]
            done += len(known)
            if progress:
                progress(len(known))
        if not compute:
            continue
        for start in range(0, len(rows), commit_every):
            if should_stop is not None and should_stop():
                return done
            part = rows[start : start + commit_every]
            vectors = encoder.embed([passage_text_for_embedding(title, text) for _, _, title, text in part])
            store.save_vectors(encoder.name, zip((r[0] for r in part), vectors))
            done += len(part)
            if progress:
                progress(len(part))
    return done


def cosines(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """``matrix @ vector`` for unit rows, on this thread.

    Not ``@``: numpy hands a matrix-vector product to the BLAS library, whose
    worker threads then spin waiting for more work and take the cores from the
    embedding model and SQLite.  ``einsum`` runs the same SIMD loop in this
    thread: as fast alone, and on BioASQ it cut search p50 from ~17 to ~12 ms
    and p95 from ~38 to ~21 ms on two cores (benchmarks/retrieval.py).
    """
    return np.einsum("ij,j->i", matrix, vector)


class DenseIndex:
    """Passage vectors in memory, with the document attributes filters need.

    Brute-force cosine over a float32 matrix: about a millisecond per 10k
    passages on one core (~7 ms for 100k), so no approximate index is needed
    at this size.
    """

    def __init__(self, store: Store, encoder: TextEncoder) -> None:
        self.store = store
        self.encoder = encoder
        self.generation: tuple[str | None, str | None] = (None, None)
        self.loaded = False
        self.rowids = np.zeros(0, dtype=np.int64)
        self.matrix = np.zeros((0, 0), dtype=np.float32)
        self.year = np.zeros(0, dtype=np.int32)
        self.kind = np.zeros(0, dtype=np.int8)
        self.audience = np.zeros(0, dtype=np.int8)
        self.retracted = np.zeros(0, dtype=bool)
        self.source = np.zeros(0, dtype=object)

    def refresh(self) -> None:
        """Take in the store's new vectors: only those added since the last look when
        nothing was deleted or changed meanwhile (an embedding run commits every few
        seconds), else everything again."""
        generation = (self.store.get_meta(VECTORS_GENERATION_KEY), self.store.get_meta(DOCUMENTS_GENERATION_KEY))
        if self.loaded and generation == self.generation:
            return
        if not self.loaded or generation[1] != self.generation[1] or not self._add_new_vectors():
            self.rowids, self.matrix = self.store.load_vectors(self.encoder.name)
            self._set_attributes(self.store.passage_attributes(self.rowids))
        self.generation = generation
        self.loaded = True

    def _add_new_vectors(self) -> bool:
        """Load the vectors saved since the last load; False when some loaded one is gone."""
        stored = self.store.vector_rowids(self.encoder.name)
        new = np.setdiff1d(stored, self.rowids, assume_unique=True)
        if len(stored) - len(new) != len(self.rowids):
            return False
        if not len(new):
            return True
        rowids, matrix = self.store.load_vectors(self.encoder.name, new)
        if not len(rowids):
            return True
        attrs = self.store.passage_attributes(rowids)
        old = {"year": self.year, "kind": self.kind, "source": self.source, "audience": self.audience, "retracted": self.retracted}
        order = np.argsort(np.concatenate([self.rowids, rowids]), kind="stable")
        self.rowids = np.concatenate([self.rowids, rowids])[order]
        self.matrix = (np.vstack([self.matrix, matrix]) if len(self.matrix) else matrix)[order]
        self._set_attributes({name: np.concatenate([old[name], attrs[name]])[order] for name in old})
        return True

    def _set_attributes(self, attrs: dict[str, np.ndarray]) -> None:
        self.year = attrs["year"]
        self.kind = attrs["kind"]
        self.audience = attrs["audience"]
        self.retracted = attrs["retracted"]
        self.source = attrs["source"]

    def mask(self, filters: SearchFilters) -> np.ndarray:
        keep = np.ones(len(self.rowids), dtype=bool)
        if filters.year_from is not None:
            keep &= self.year >= filters.year_from
        if filters.year_to is not None:
            keep &= (self.year <= filters.year_to) & (self.year > 0)
        if filters.kinds:
            keep &= np.isin(self.kind, [_KIND_CODES[EvidenceKind(k)] for k in filters.kinds])
        if filters.sources:
            keep &= np.isin(self.source, filters.sources)
        if filters.exclude_sources:
            keep &= ~np.isin(self.source, filters.exclude_sources)
        if filters.audience:
            keep &= self.audience == _AUDIENCE_CODES[filters.audience]
        if filters.exclude_retracted:
            keep &= ~self.retracted
        return keep

    def locate(self, rowids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row of each passage in the matrix, and whether it has one."""
        self.refresh()
        if not len(self.rowids):
            return np.zeros(len(rowids), dtype=np.int64), np.zeros(len(rowids), dtype=bool)
        where = np.minimum(np.searchsorted(self.rowids, rowids), len(self.rowids) - 1)
        return where, self.rowids[where] == rowids

    def similarities(self, rowids: np.ndarray, query_vector: np.ndarray) -> np.ndarray:
        """Cosine of each passage to the query; NaN for a passage without a vector."""
        where, known = self.locate(rowids)
        scores = np.full(len(rowids), np.nan, dtype=np.float32)
        if known.any():
            scores[known] = cosines(self.matrix[where[known]], query_vector)
        return scores

    def attributes(self, rowids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Evidence level (1 strongest), year (0 unknown) and retraction of each passage's document,
        and whether it is known here (a passage without a vector is not)."""
        self.refresh()
        levels = np.full(len(rowids), len(EvidenceKind), dtype=np.float64)
        years = np.zeros(len(rowids), dtype=np.int64)
        retracted = np.zeros(len(rowids), dtype=bool)
        where, known = self.locate(rowids)
        if known.any():
            levels[known] = self.kind[where[known]] + 1
            years[known] = self.year[where[known]]
            retracted[known] = self.retracted[where[known]]
        return levels, years, retracted, known

    def vectors(self, rowids: np.ndarray) -> np.ndarray:
        """The vectors of those of ``rowids`` that have one."""
        where, known = self.locate(rowids)
        return self.matrix[where[known]]

    def search(self, query_vector: np.ndarray, limit: int, filters: SearchFilters) -> list[tuple[int, float]]:
        self.refresh()
        if not len(self.rowids):
            return []
        scores = cosines(self.matrix, query_vector)
        scores[~self.mask(filters)] = -np.inf
        limit = min(limit, len(scores))
        top = np.argpartition(-scores, limit - 1)[:limit]
        top = top[np.argsort(-scores[top])]
        return [(int(self.rowids[i]), float(scores[i])) for i in top if np.isfinite(scores[i])]


class StoredVectors:
    """The dense ranking of a store that searches its own vectors (PostgreSQL with pgvector's HNSW
    index): nothing is loaded into memory, each call is a query; same methods as :class:`DenseIndex`."""

    def __init__(self, store: Store, encoder: TextEncoder) -> None:
        self.store = store
        self.encoder = encoder

    def search(self, query_vector: np.ndarray, limit: int, filters: SearchFilters) -> list[tuple[int, float]]:
        return self.store.nearest_passages(self.encoder.name, query_vector, limit, filters)

    def similarities(self, rowids: np.ndarray, query_vector: np.ndarray) -> np.ndarray:
        found = self.store.passage_similarities(self.encoder.name, rowids.tolist(), query_vector)
        return np.array([found.get(r, np.nan) for r in rowids.tolist()], dtype=np.float32)

    def attributes(self, rowids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        attrs = self.store.passage_attributes(rowids)
        known = np.ones(len(rowids), dtype=bool)
        return attrs["kind"].astype(np.float64) + 1, attrs["year"].astype(np.int64), attrs["retracted"], known

    def vectors(self, rowids: np.ndarray) -> np.ndarray:
        return self.store.load_vectors(self.encoder.name, rowids)[1]


class Searcher:
    """Hybrid search over one store.

    ``reranker`` re-scores the fused candidates when ``settings.rerank`` is on:
    the shipped model by default, if it was trained with the same embedding
    model as ``encoder`` (otherwise fusion alone ranks).  ``None`` still puts the reranker's
    features in every candidate's :class:`ScoreParts` but keeps the fused
    order: what ``scripts/train_reranker.py`` learns from.
    """

    def __init__(
        self,
        store: Store,
        vocabulary: Vocabulary,
        encoder: TextEncoder | None,
        settings: SearchSettings,
        reranker: Reranker | None | Literal["shipped"] = "shipped",
    ) -> None:
        self.store = store
        self.vocabulary = vocabulary
        dense = StoredVectors if store.searches_vectors else DenseIndex
        self.dense = dense(store, encoder) if encoder is not None else None
        self.settings = settings
        if reranker == "shipped":
            shipped = Reranker.load() if settings.rerank and encoder is not None else None
            reranker = shipped if shipped and shipped.embedding_model == encoder.name else None
        self.reranker = reranker
        self._embedder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="evidex-query-embedding")

    def close(self) -> None:
        """Stop the thread that embeds questions (it would otherwise wait until garbage collection)."""
        self._embedder.shutdown(wait=True)

    def search(self, query: str, filters: SearchFilters | None = None, top_k: int | None = None) -> SearchResult:
        started = time.perf_counter()
        settings = self.settings
        filters = filters or SearchFilters(exclude_retracted=settings.exclude_retracted)
        expanded = expand_query(query, self.vocabulary)
        lexical = settings.lexical_weight > 0
        lexical_query = expansion_query = ""
        if lexical:
            lexical_query = fts_match(self._without_common(expanded.fts_phrases(include_expansions=False)))
            if settings.expand_synonyms:
                expansion_query = fts_match(self._without_common(expanded.fts_phrases(include_expansions=True)))
        result = SearchResult(query, expanded, lexical_query, expansion_query, filters)

        # The question is embedded while the store counts words: both wait outside Python
        # (ctypes and sqlite3 release the GIL), so on two cores they overlap.
        embedding = None
        if self.dense is not None and settings.dense_weight > 0 and query.strip():
            embedding = self._embedder.submit(self.dense.encoder.embed_query, query)
        rankings: dict[str, list[tuple[int, float]]] = {}
        if lexical_query:
            rankings["lexical"] = self.store.lexical_search(lexical_query, settings.candidates, filters)
        if expansion_query and expansion_query != lexical_query:
            rankings["expansion"] = self.store.lexical_search(expansion_query, settings.candidates, filters)
        vector = None
        if embedding is not None:
            vector = embedding.result()
            rankings["dense"] = self.dense.search(vector, settings.candidates, filters)

        words = expanded.fts_phrases(include_expansions=False)
        result.hits = self._rank(rankings, top_k or settings.top_k, vector, words)
        result.took_ms = (time.perf_counter() - started) * 1000
        return result

    def _without_common(self, phrases: list[str]) -> list[str]:
        """``phrases`` less those found in more than ``common_term_fraction`` of the passages.

        A word in most passages barely moves BM25 but makes FTS5 score every passage
        that has it: on 100k documents such OR queries took most of search's time.
        When every phrase is that common, all are kept, so a query of common words
        still finds what contains them.
        """
        fraction = self.settings.common_term_fraction
        if fraction >= 1 or len(phrases) < 2:
            return phrases
        total = self.store.passage_count()
        if total < MIN_PASSAGES_FOR_COMMON_WORDS:
            return phrases
        rare = [p for p in phrases if self.store.document_frequency(p) <= fraction * total]
        return rare or phrases

    def _weights(self) -> dict[str, float]:
        s = self.settings
        return {"lexical": s.lexical_weight, "expansion": s.lexical_weight * 0.5, "dense": s.dense_weight}

    def _rank(
        self,
        rankings: dict[str, list[tuple[int, float]]],
        top_k: int,
        vector: np.ndarray | None = None,
        words: list[str] | None = None,
    ) -> list[SearchHit]:
        s = self.settings
        weights = self._weights()
        parts: dict[int, ScoreParts] = {}
        for name, ranking in rankings.items():
            best = max((score for _, score in ranking), default=0.0)
            for rank, (rowid, score) in enumerate(ranking, start=1):
                p = parts.setdefault(rowid, ScoreParts())
                norm = score / best if best > 0 else 0.0
                if name == "lexical":
                    p.lexical_rank, p.lexical_score, p.lexical_norm = rank, score, norm
                elif name == "expansion":
                    p.expansion_rank, p.expansion_score, p.expansion_norm = rank, score, norm
                else:
                    p.dense_rank, p.dense_score = rank, score
        if not parts:
            return []
        rowids = np.fromiter(parts, dtype=np.int64, count=len(parts))
        # Passages found by words that have no vector yet (just ingested, still being embedded):
        # meaning cannot count for or against them, so they are ranked on what is known.
        unembedded: set[int] = set()
        if vector is not None and self.dense is not None:
            # Every candidate's cosine, so lexical candidates outside the dense ranking get theirs too.
            for rowid, cosine in zip(rowids.tolist(), self.dense.similarities(rowids, vector)):
                if not np.isfinite(cosine):
                    unembedded.add(rowid)
                elif parts[rowid].dense_score is None:
                    parts[rowid].dense_score = float(cosine)

        if s.fusion == "rrf":
            best_possible = sum(weights[name] for name in rankings) / (s.rrf_k + 1) or 1.0
            for p in parts.values():
                total = 0.0
                for name, rank in (("lexical", p.lexical_rank), ("expansion", p.expansion_rank), ("dense", p.dense_rank)):
                    if rank is not None:
                        total += weights[name] / (s.rrf_k + rank)
                p.relevance = total / best_possible
        else:
            total_weight = sum(weights[name] for name in rankings) or 1.0
            w_lexical = weights["lexical"] if "lexical" in rankings else 0.0
            w_expansion = weights["expansion"] if "expansion" in rankings else 0.0
            w_dense = weights["dense"] if "dense" in rankings else 0.0
            def fuse() -> None:
                ranked = [p.dense_score for p in parts.values() if p.dense_rank is not None and p.dense_score is not None]
                low, high = (min(ranked), max(ranked)) if ranked else (0.0, 0.0)
                for rowid, p in parts.items():
                    if p.dense_score is not None:
                        spread = (p.dense_score - low) / (high - low) if high > low else 1.0
                        p.dense_norm = min(max(spread, 0.0), 1.0)
                    words_only = rowid in unembedded and w_lexical + w_expansion > 0
                    p.relevance = (
                        w_lexical * (p.lexical_norm or 0.0)
                        + w_expansion * (p.expansion_norm or 0.0)
                        + (0.0 if words_only else w_dense * (p.dense_norm or 0.0))
                    ) / (w_lexical + w_expansion if words_only else total_weight)

            fuse()
            if vector is not None and self.dense is not None and w_dense and s.feedback_weight > 0:
                self._feedback(parts, rowids, vector)
                fuse()
            if s.rerank and words and "lexical" in rankings and "dense" in rankings:
                self._rerank(parts, rowids, words, unembedded)

        # Evidence and recency from the attributes the dense index keeps, so only the
        # passages returned are read from the store.
        levels, years, retracted = self._document_attributes(rowids)
        evidence = (len(EvidenceKind) - levels) / (len(EvidenceKind) - 1)
        this_year = date.today().year
        recency = np.where(
            years > 0, 0.5 ** (np.maximum(0, this_year - years) / s.recency_half_life_years), 0.0
        )
        relevance = np.array([parts[r].relevance for r in rowids.tolist()])
        final = relevance * (1 + s.evidence_weight * evidence + s.recency_weight * recency) * np.where(retracted, 0.5, 1.0)
        order = np.argsort(-final, kind="stable")

        hits: list[SearchHit] = []
        start = 0
        while len(hits) < top_k and start < len(order):
            chunk = [int(rowids[i]) for i in order[start : start + top_k - len(hits) + 5]]
            start += len(chunk)
            refs = self.store.passages(chunk)
            for rowid in chunk:
                ref = refs.get(rowid)
                if ref is None:  # deleted since the dense index was loaded
                    continue
                hits.append(SearchHit(ref.id, ref.document, ref.passage, self._adjust(parts[rowid], ref.document)))
        hits.sort(key=lambda h: h.parts.final, reverse=True)
        return hits[:top_k]

    def _rerank(
        self, parts: dict[int, ScoreParts], rowids: np.ndarray, words: list[str], unembedded: set[int] = frozenset()
    ) -> None:
        """The reranker's features on every candidate; with a model, its probability becomes the relevance.
        A passage without a vector (``unembedded``) gets the mean cosine the model was trained on, which
        moves its score neither way.

        Word frequencies are those :meth:`_without_common` already looked up (cached by the store)."""
        question = QuestionWords.of(words, [self.store.document_frequency(w) for w in words], self.store.passage_count())
        refs = self.store.passages(rowids.tolist())
        for rowid in rowids.tolist():
            p = parts[rowid]
            p.fused = p.relevance
            ref = refs.get(rowid)
            text = f"{ref.document.title}\n{ref.passage.text}" if ref is not None else ""
            p.coverage, p.idf_coverage = question.coverage(text)
        best = max(p.idf_coverage for p in parts.values())
        for p in parts.values():
            p.idf_coverage_below_best = best - p.idf_coverage
        if self.reranker is None:
            return
        neutral = dict(zip(self.reranker.features, self.reranker.mean.tolist()))
        rows = [
            [
                neutral[name] if name == "dense_score" and r in unembedded else getattr(parts[r], name) or 0.0
                for name in self.reranker.features
            ]
            for r in rowids.tolist()
        ]
        log_odds = self.reranker.score(np.array(rows))
        probability = 0.5 * (1 + np.tanh(log_odds / 2))  # the logistic function, without overflow
        for rowid, score, chance in zip(rowids.tolist(), log_odds.tolist(), probability.tolist()):
            parts[rowid].rerank = score
            parts[rowid].relevance = chance

    def _feedback(self, parts: dict[int, ScoreParts], rowids: np.ndarray, vector: np.ndarray) -> None:
        """Pseudo-relevance feedback: move the question's vector towards the best-fused
        passages' and recompute every candidate's cosine with it (``dense_score``).

        Off by default (``feedback_weight`` 0); see that setting for its BioASQ figure."""
        s = self.settings
        best = sorted(parts, key=lambda r: parts[r].relevance, reverse=True)[: s.feedback_passages]
        vectors = self.dense.vectors(np.array(best, dtype=np.int64))
        if not len(vectors):
            return
        moved = vector + s.feedback_weight * vectors.mean(axis=0)
        moved /= np.linalg.norm(moved)
        for rowid, cosine in zip(rowids.tolist(), self.dense.similarities(rowids, moved)):
            parts[rowid].dense_score = float(cosine) if np.isfinite(cosine) else None

    def _adjust(self, p: ScoreParts, document: Document) -> ScoreParts:
        """Evidence level and recency of ``document`` applied to the fused relevance."""
        s = self.settings
        p.evidence = (len(EvidenceKind) - document.kind.level) / (len(EvidenceKind) - 1)
        age = max(0, date.today().year - document.year) if document.year else None
        p.recency = 0.5 ** (age / s.recency_half_life_years) if age is not None else 0.0
        penalty = 0.5 if document.retracted else 1.0
        p.final = p.relevance * (1 + s.evidence_weight * p.evidence + s.recency_weight * p.recency) * penalty
        return p

    def _document_attributes(self, rowids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Evidence level (1 strongest), year (0 unknown) and retraction of each passage's document."""
        if self.dense is not None:
            levels, years, retracted, known = self.dense.attributes(rowids)
        else:
            levels = np.full(len(rowids), len(EvidenceKind), dtype=np.float64)
            years = np.zeros(len(rowids), dtype=np.int64)
            retracted = np.zeros(len(rowids), dtype=bool)
            known = np.zeros(len(rowids), dtype=bool)
        if not known.all():  # passages without vectors: read their documents
            missing = [int(r) for r in rowids[~known]]
            refs = self.store.passages(missing)
            for i in np.flatnonzero(~known):
                ref = refs.get(int(rowids[i]))
                if ref is not None:
                    levels[i] = ref.document.kind.level
                    years[i] = ref.document.year or 0
                    retracted[i] = ref.document.retracted
        return levels, years, retracted
