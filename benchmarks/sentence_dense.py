"""Experiment: sentence-level dense scoring and a learned reranker on BioASQ (no product change).

Question: can evidex reach nDCG@10 >= 1.15x the bm25s baseline on BioASQ with
what is available offline (the bundled ONNX int8 MiniLM, no new model)?

Method.  evidex's default search (``Corpus.search``, top_k=100, on the BioASQ
index that ``benchmarks/retrieval.py`` builds: one passage per pseudo-document,
embedded as "BioASQ snippets for PMID N. <text>" and truncated at the model's
128 tokens) gives each question <= 100 candidate documents with their
``ScoreParts``.  Every candidate is then rescored; nothing outside the
candidates is retrieved, so recall@100 is evidex's.

* Sentence vectors: each pseudo-document's text is split into sentences with
  evidex's own splitter (``evidex.answer.appraise.SentenceSplitter``, pysbd) and every
  sentence is embedded alone (no title).  For comparison the gold snippets
  (an oracle segmentation the product does not have) and the whole text
  without the neutral title are embedded too.  Vectors are cached
  (``--cache``, default /tmp/evx/sentences.npy plus a .json of the texts).
  A document scores max cosine over its sentences ("maxsim"), or a softmax-
  weighted mean (temperature t: t * logsumexp(cos / t)).
* Fusion: evidex's linear fusion with the passage cosine replaced by
  (1 - a) * passage cosine + a * maxsim, evidence/recency multiplier kept.
* Cheap lexical extras: BM25 (bm25s, Snowball stemmer) over the same
  sentences (a document's best sentence), bm25s over whole documents, and the
  share of the question's (stemmed, non-stop) words a document contains.
* Learned rerankers over all these features (pointwise logistic regression
  and a pairwise logistic / RankNet-style linear model, plain numpy).

Protocol.  Questions split in two halves by a hash of their id
(``bioasq.BioASQ.dev``).  Every weight, temperature and model is chosen or
trained on the dev half only; "test" is held out; "all" mixes a tuned half
and a held-out half, as in ``retrieval.py``.  "2-fold" rows for learned models
also train on test and score dev, so that every question is scored held-out.

Latency.  The extra work per query is a cosine of the query vector (already
computed by search) with the candidates' sentence vectors, a softmax/max per
document, and for the lexical extras bm25s scoring; it is timed per query
(warm, wall clock) after the search itself.  The product cost (vectors for the
built-in corpus's passages' sentences) is estimated from its sentence count.

Run from the repository root (reuses the BioASQ index if ``--workdir`` holds
one, otherwise builds it there, ~80 s):

    .venv/bin/python benchmarks/sentence_dense.py --workdir /tmp/evx/w [--limit N] [--json FILE]

Needs ``bm25s`` and ``PyStemmer`` (benchmark-only, as ``retrieval.py``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import shlex
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from evidex.answer.appraise import SentenceSplitter
from evidex.corpus import Corpus
from evidex.search.embed import QUESTION_MODEL, Embedder
from evidex.settings import SearchSettings, Settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bioasq import DEFAULT_BIOASQ, BioASQ, load_bioasq, ndcg_at_k, pmid  # noqa: E402
from measure import evaluation_set  # noqa: E402
from retrieval import (  # noqa: E402
    DEPTH,
    bm25s_searcher,
    build_bioasq_corpus,
    load,
    machine_description,
)

DEFAULT_CACHE = Path("/tmp/evx/sentences.npy")


# --------------------------------------------------------------------------- units and vectors


def snippets_of(path: Path, bench: BioASQ) -> list[list[str]]:
    """Each pseudo-document's gold snippets, in the order ``load_bioasq`` joined them."""
    with Path(path).open(encoding="utf-8") as lines:
        questions = [json.loads(line) for line in lines if line.strip()]
    snippets: dict[str, list[str]] = {}
    for question in questions:
        for snippet in question["snippets"]:
            texts = snippets.setdefault(f"pmid:{pmid(snippet.get('pmid') or snippet['document'])}", [])
            if snippet["text"] not in texts:
                texts.append(snippet["text"])
    out = [snippets[d] for d in bench.doc_ids]
    assert all(" ".join(s) == t for s, t in zip(out, bench.doc_texts, strict=True))
    return out


def sentences_of(bench: BioASQ) -> list[list[str]]:
    """Each pseudo-document's sentences, by evidex's own splitter (what the product could do)."""
    splitter = SentenceSplitter(cache_size=1)
    out = []
    for doc_id, text in zip(bench.doc_ids, bench.doc_texts, strict=True):
        spans = splitter.spans(doc_id, text)
        sentences = [text[a:b] for a, b in spans if text[a:b].strip()]
        out.append(sentences or [text])
    return out


def embed_cached(texts: list[str], cache: Path, embedder: Embedder, chunk: int = 2048) -> np.ndarray:
    """Vectors of ``texts`` (unique), computed once and kept in ``cache`` (+ ``.json`` of the texts)."""
    names = cache.with_suffix(".json")
    digest = hashlib.sha256("\n\u0000".join(texts).encode()).hexdigest()
    if cache.exists() and names.exists() and json.loads(names.read_text()).get("sha256") == digest:
        return np.load(cache)
    vectors = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    started = time.perf_counter()
    print(f"embedding {len(texts)} texts into {cache} [{load()}]", flush=True)
    for start in range(0, len(texts), chunk):
        vectors[start : start + chunk] = embedder.embed(texts[start : start + chunk])
        done = min(start + chunk, len(texts))
        rate = done / (time.perf_counter() - started)
        print(f"  {done}/{len(texts)}  {rate:.0f} texts/s  [{load()}]", flush=True)
    seconds = time.perf_counter() - started
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    names.write_text(json.dumps({"sha256": digest, "count": len(texts), "seconds": round(seconds, 1),
                                 "texts_per_s": round(len(texts) / seconds, 1), "load": load(), "texts": texts}))
    print(f"embedded {len(texts)} texts in {seconds:.0f} s ({len(texts) / seconds:.0f}/s) [{load()}]", flush=True)
    return vectors


class Units:
    """Per document: row indices into the vector cache for its sentences, snippets and whole text."""

    def __init__(self, bench: BioASQ, bioasq_path: Path, cache: Path, embedder: Embedder) -> None:
        started = time.perf_counter()
        self.sentences = sentences_of(bench)
        self.split_s = time.perf_counter() - started
        self.snippets = snippets_of(bioasq_path, bench)
        index: dict[str, int] = {}
        for group in (self.sentences, self.snippets, [[t] for t in bench.doc_texts]):
            for texts in group:
                for text in texts:
                    index.setdefault(text, len(index))
        self.texts = list(index)
        self.vectors = embed_cached(self.texts, cache, embedder)
        self.sentence_rows = [np.array([index[t] for t in s]) for s in self.sentences]
        self.snippet_rows = [np.array([index[t] for t in s]) for s in self.snippets]
        self.whole_rows = np.array([index[t] for t in bench.doc_texts])
        self.index = index

    @staticmethod
    def flat(rows: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """All rows concatenated, and each document's start offset (for np.maximum.reduceat)."""
        lengths = np.array([len(r) for r in rows])
        return np.concatenate(rows), np.concatenate([[0], np.cumsum(lengths)[:-1]])


# --------------------------------------------------------------------------- candidates from evidex


def evidex_candidates(bench: BioASQ, data_dir: Path, query_vectors_path: Path) -> tuple[list[dict], np.ndarray, list]:
    """Per question: evidex's top-100 documents with their ScoreParts, and the query vectors
    (each question embedded alone, as search does), with per-query search and embedding times."""
    # The experiment is about MiniLM's sentence vectors: its search runs on MiniLM too.
    settings = Settings(data_dir=data_dir, builtin_corpus=False, search=SearchSettings(embedding_model=QUESTION_MODEL))
    doc_index = {d: i for i, d in enumerate(bench.doc_ids)}
    out, search_ms, embed_ms = [], [], []
    with Corpus.open(settings) as corpus:
        corpus.embed_passages()  # the index is built with the default model; MiniLM's vectors replace its own
        for query in bench.queries[:20]:
            corpus.search(query, top_k=DEPTH)
        embedder = corpus.embedder
        vectors = np.zeros((len(bench.queries), embedder.dim), dtype=np.float32)
        for n, query in enumerate(bench.queries):
            started = time.perf_counter()
            hits = corpus.search(query, top_k=DEPTH).hits
            search_ms.append((time.perf_counter() - started) * 1e3)
            started = time.perf_counter()
            vectors[n] = embedder.embed_query(query)
            embed_ms.append((time.perf_counter() - started) * 1e3)
            docs: dict[str, dict] = {}
            for hit in hits:
                if hit.document.id in docs:
                    continue
                p = hit.parts
                docs[hit.document.id] = {
                    "doc": doc_index[hit.document.id],
                    "lexical_rank": p.lexical_rank, "lexical_norm": p.lexical_norm or 0.0,
                    "expansion_rank": p.expansion_rank, "expansion_norm": p.expansion_norm or 0.0,
                    "dense_rank": p.dense_rank, "dense_score": p.dense_score or 0.0,
                    "relevance": p.relevance, "evidence": p.evidence, "recency": p.recency, "final": p.final,
                }
            out.append({"docs": list(docs.values())})
            if n % 250 == 0:
                print(f"  evidex search {n}/{len(bench.queries)} [{load()}]", flush=True)
    np.save(query_vectors_path, vectors)
    return out, vectors, [search_ms, embed_ms]


# --------------------------------------------------------------------------- features


FEATURES = [
    "lexical_norm", "expansion_norm", "dense_score", "in_lexical", "in_expansion", "in_dense",
    "inv_lexical_rank", "inv_expansion_rank", "inv_dense_rank", "evidence", "recency",
    "sent_max", "sent_soft", "sent_mean", "sent_max_gap", "dense_gap", "whole_cos",
    "sent_bm25_norm", "doc_bm25s_norm", "coverage", "idf_coverage", "log_sentences",
]


class Extras:
    """Sentence-level BM25, whole-document bm25s and query-word coverage, all with bm25s's tokenizer."""

    def __init__(self, bench: BioASQ, units: Units) -> None:
        import bm25s
        import Stemmer

        self.bm25s = bm25s
        self.stemmer = Stemmer.Stemmer("english")
        started = time.perf_counter()
        flat = [s for doc in units.sentences for s in doc]
        self.sentence_doc = np.repeat(np.arange(len(units.sentences)), [len(s) for s in units.sentences])
        self.sentence_start = np.concatenate([[0], np.cumsum([len(s) for s in units.sentences])[:-1]])
        tokens = bm25s.tokenize(flat, stopwords="en", stemmer=self.stemmer, show_progress=False)
        self.sentences = bm25s.BM25(method="lucene")
        self.sentences.index(tokens, show_progress=False)
        doc_tokens = bm25s.tokenize(bench.doc_texts, stopwords="en", stemmer=self.stemmer, show_progress=False)
        self.docs = bm25s.BM25(method="lucene")
        self.docs.index(doc_tokens, show_progress=False)
        vocab = doc_tokens.vocab  # word -> id
        self.doc_words = [set(ids) for ids in doc_tokens.ids]
        self.word_id = vocab
        df = np.zeros(len(vocab))
        for ids in self.doc_words:
            for i in ids:
                df[i] += 1
        self.idf = np.log((len(bench.doc_texts) + 1) / (df + 0.5))
        self.index_s = time.perf_counter() - started

    def query_words(self, query: str) -> list[str]:
        return self.bm25s.tokenize([query], stopwords="en", stemmer=self.stemmer, return_ids=False,
                                   show_progress=False)[0]

    def scores(self, query: str, docs: np.ndarray) -> dict[str, np.ndarray]:
        words = self.query_words(query)
        if not words:
            zero = np.zeros(len(docs))
            return {"sent_bm25": zero, "doc_bm25s": zero, "coverage": zero, "idf_coverage": zero}
        sentence_scores = self.sentences.get_scores(words)
        per_doc = np.maximum.reduceat(sentence_scores, self.sentence_start)
        doc_scores = self.docs.get_scores(words)
        ids = [self.word_id[w] for w in dict.fromkeys(words) if w in self.word_id]
        weights = self.idf[ids] if ids else np.zeros(0)
        coverage = np.zeros(len(docs))
        idf_coverage = np.zeros(len(docs))
        for n, d in enumerate(docs):
            present = np.array([i in self.doc_words[d] for i in ids], dtype=float)
            coverage[n] = present.sum() / max(len(set(words)), 1)
            idf_coverage[n] = (present * weights).sum() / weights.sum() if weights.sum() > 0 else 0.0
        return {"sent_bm25": per_doc[docs], "doc_bm25s": doc_scores[docs], "coverage": coverage,
                "idf_coverage": idf_coverage}


def softmax_pool(cos: np.ndarray, starts: np.ndarray, temperature: float) -> np.ndarray:
    """t * log(sum exp(cos / t)) per document, minus t * log(n): between the mean (t -> inf) and the max (t -> 0)."""
    cos = cos.astype(np.float64)
    counts = np.diff(np.append(starts, len(cos)))
    top = np.maximum.reduceat(cos, starts)
    sums = np.add.reduceat(np.exp((cos - np.repeat(top, counts)) / temperature), starts)
    return top + temperature * (np.log(sums) - np.log(counts))


def build_features(bench: BioASQ, units: Units, extras: Extras, candidates: list[dict],
                   qvecs: np.ndarray) -> tuple[list[dict], dict[str, list[float]]]:
    """Per question: candidate docs, labels, feature matrix (columns FEATURES), and the raw sentence
    cosines (to pool them other ways); plus the extra milliseconds per query each step took."""
    doc_pos = {d: i for i, d in enumerate(bench.doc_ids)}
    out, ms = [], {"sentence_cosines": [], "lexical_extras": []}
    for n, (cand, query) in enumerate(zip(candidates, bench.queries, strict=True)):
        docs = np.array([c["doc"] for c in cand["docs"]], dtype=np.int64)
        relevant = {doc_pos[d] for d in bench.relevant[n]}
        if not len(docs):
            out.append({"docs": docs, "labels": np.zeros(0), "X": np.zeros((0, len(FEATURES)))})
            continue
        started = time.perf_counter()
        rows, starts = Units.flat([units.sentence_rows[d] for d in docs])
        cos = np.einsum("ij,j->i", units.vectors[rows], qvecs[n])
        sent_max = np.maximum.reduceat(cos, starts)
        ms["sentence_cosines"].append((time.perf_counter() - started) * 1e3)
        started = time.perf_counter()
        lex = extras.scores(query, docs)
        ms["lexical_extras"].append((time.perf_counter() - started) * 1e3)
        col = {k: np.array([c[k] for c in cand["docs"]], dtype=float) for k in
               ("lexical_norm", "expansion_norm", "dense_score", "evidence", "recency", "final")}
        for name in ("lexical", "expansion", "dense"):
            ranks = [c[f"{name}_rank"] for c in cand["docs"]]
            col[f"in_{name}"] = np.array([r is not None for r in ranks], dtype=float)
            col[f"inv_{name}_rank"] = np.array([1.0 / r if r else 0.0 for r in ranks])
        col["sent_max"] = sent_max
        col["sent_soft"] = softmax_pool(cos, starts, 0.05)
        col["sent_mean"] = np.add.reduceat(cos, starts) / np.diff(np.append(starts, len(cos)))
        col["whole_cos"] = units.vectors[units.whole_rows[docs]] @ qvecs[n]
        col["sent_max_gap"] = sent_max - sent_max.max()
        col["dense_gap"] = col["dense_score"] - col["dense_score"].max()
        col["sent_bm25_norm"] = lex["sent_bm25"] / max(lex["sent_bm25"].max(), 1e-9)
        col["doc_bm25s_norm"] = lex["doc_bm25s"] / max(lex["doc_bm25s"].max(), 1e-9)
        col["coverage"], col["idf_coverage"] = lex["coverage"], lex["idf_coverage"]
        col["log_sentences"] = np.log([len(units.sentence_rows[d]) for d in docs])
        snip_cos, snip_starts = _pooled_cosines(units, units.snippet_rows, docs, qvecs[n])
        out.append({
            "docs": docs,
            "labels": np.array([d in relevant for d in docs], dtype=float),
            "X": np.stack([col[f] for f in FEATURES], axis=1),
            "final": col["final"],
            "cos": cos, "starts": starts,
            "snip_max": np.maximum.reduceat(snip_cos, snip_starts),
        })
    return out, ms


def _pooled_cosines(units: Units, rows_of: list[np.ndarray], docs: np.ndarray, qvec: np.ndarray):
    rows, starts = Units.flat([rows_of[d] for d in docs])
    return np.einsum("ij,j->i", units.vectors[rows], qvec), starts


# --------------------------------------------------------------------------- scoring


def column(f: dict, name: str) -> np.ndarray:
    return f["X"][:, FEATURES.index(name)]


def pooled(f: dict, pool: str) -> np.ndarray:
    """Sentence cosines pooled per document: "max", "soft:T" (softmax, temperature T), "mean", "snip" (gold snippets)."""
    if pool == "max":
        return column(f, "sent_max")
    if pool == "mean":
        return column(f, "sent_mean")
    if pool == "snip":
        return f["snip_max"]
    if pool == "whole":
        return column(f, "whole_cos")
    return softmax_pool(f["cos"], f["starts"], float(pool.split(":")[1]))


def fused(f: dict, w_dense: float = 0.7, a: float = 0.0, pool: str = "max", extra: dict | None = None) -> np.ndarray:
    """evidex's linear fusion (lexical w_l, synonyms w_l / 2, dense w_dense; then evidence/recency), its
    passage cosine replaced by (1 - a) * cosine + a * pooled sentence cosine; ``extra``: more weighted features."""
    if not len(f["docs"]):
        return np.zeros(0)
    w_l = 1.0 - w_dense
    dense = (1 - a) * column(f, "dense_score") + (a * pooled(f, pool) if a else 0.0)
    relevance = w_l * column(f, "lexical_norm") + 0.5 * w_l * column(f, "expansion_norm") + w_dense * np.maximum(dense, 0)
    for name, weight in (extra or {}).items():
        relevance = relevance + weight * column(f, name)
    return relevance * (1 + 0.15 * column(f, "evidence") + 0.05 * column(f, "recency"))


def ndcgs(bench: BioASQ, feats: list[dict], scores: list[np.ndarray]) -> np.ndarray:
    """nDCG@10 per question of the candidates ordered by ``scores`` (ties keep evidex's order)."""
    out = np.zeros(len(feats))
    for n, (f, s) in enumerate(zip(feats, scores, strict=True)):
        order = np.argsort(-s, kind="stable")
        out[n] = ndcg_at_k([bench.doc_ids[d] for d in f["docs"][order[:10]]], bench.relevant[n])
    return out


def grid_search(bench, feats, mask, make_scores, grid: list[dict]) -> tuple[dict, float]:
    """The grid point with the best mean nDCG@10 on the questions in ``mask``."""
    subset = [f for f, m in zip(feats, mask, strict=True) if m]
    sub_bench = _subset(bench, mask)
    best, best_value = None, -1.0
    for point in grid:
        value = ndcgs(sub_bench, subset, [make_scores(f, **point) for f in subset]).mean()
        if value > best_value + 1e-12:
            best, best_value = point, value
    return best, best_value


def _subset(bench: BioASQ, mask: np.ndarray) -> BioASQ:
    keep = np.flatnonzero(mask)
    return BioASQ([bench.ids[i] for i in keep], [bench.queries[i] for i in keep],
                  [bench.relevant[i] for i in keep], [bench.gold[i] for i in keep], bench.doc_ids, bench.doc_texts)


def coordinate_ascent(bench, feats, mask, base: dict, names: list[str], steps=(0.0, 0.02, 0.05, 0.1, 0.2, 0.3),
                      rounds: int = 2) -> tuple[dict, float]:
    """Extra feature weights added to the best fusion, one feature at a time, on the ``mask`` questions."""
    extra = {name: 0.0 for name in names}
    best_value = -1.0
    for _ in range(rounds):
        for name in names:
            grid = [{**base, "extra": {**extra, name: w}} for w in steps + tuple(-w for w in steps[1:3])]
            point, value = grid_search(bench, feats, mask, fused, grid)
            if value > best_value:
                extra, best_value = point["extra"], value
    return extra, best_value


# --------------------------------------------------------------------------- learned rerankers (numpy)


def _standardise(train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean, std = train.mean(axis=0), train.std(axis=0)
    return mean, np.where(std > 1e-9, std, 1.0)


def train_pointwise(feats: list[dict], l2: float = 1e-3, iterations: int = 300) -> callable:
    """Logistic regression: is this candidate relevant?  Full-batch Newton steps."""
    X = np.concatenate([f["X"] for f in feats])
    y = np.concatenate([f["labels"] for f in feats])
    mean, std = _standardise(X)
    Z = np.hstack([(X - mean) / std, np.ones((len(X), 1))])
    w = np.zeros(Z.shape[1])
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-Z @ w))
        grad = Z.T @ (p - y) / len(y) + l2 * w
        hess = (Z * (p * (1 - p))[:, None]).T @ Z / len(y) + l2 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return lambda f: ((f["X"] - mean) / std) @ w[:-1] if len(f["docs"]) else np.zeros(0)


def train_pairwise(feats: list[dict], hidden: int = 0, l2: float = 1e-3, epochs: int = 400, seed: int = 0,
                   max_pairs: int = 200) -> callable:
    """RankNet-style: logistic loss on score(relevant) - score(other), per-question weighted.
    ``hidden`` = 0: linear score; otherwise one tanh hidden layer of that width.  Adam, full batch."""
    X = np.concatenate([f["X"] for f in feats])
    mean, std = _standardise(X)
    rng = np.random.default_rng(seed)
    dim = X.shape[1]
    if hidden:
        params = [rng.normal(0, 1 / np.sqrt(dim), (dim, hidden)), np.zeros(hidden), rng.normal(0, 1 / np.sqrt(hidden), hidden)]
    else:
        params = [np.zeros(dim)]

    def score(Z, params):
        if not hidden:
            return Z @ params[0], None
        h = np.tanh(Z @ params[0] + params[1])
        return h @ params[2], h

    # Pairs of standardised rows: score difference needs both sides for the hidden layer.
    left, right, weights = [], [], []
    for f in feats:
        pos, neg = np.flatnonzero(f["labels"] == 1), np.flatnonzero(f["labels"] == 0)
        if not len(pos) or not len(neg):
            continue
        Z = (f["X"] - mean) / std
        i, j = np.meshgrid(pos, neg, indexing="ij")
        i, j = i.ravel(), j.ravel()
        if len(i) > max_pairs:  # a sample of each question's pairs keeps training to seconds
            keep = rng.choice(len(i), max_pairs, replace=False)
            i, j = i[keep], j[keep]
        left.append(Z[i])
        right.append(Z[j])
        weights.append(np.full(i.size, 1.0 / i.size))
    L, R, W = np.concatenate(left), np.concatenate(right), np.concatenate(weights)
    W = W / W.sum()
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    lr = 0.05 if not hidden else 0.01
    for t in range(1, epochs + 1):
        sl, hl = score(L, params)
        sr, hr = score(R, params)
        g = -W / (1 + np.exp(sl - sr))  # d loss / d (sl - sr)
        if not hidden:
            grads = [(L - R).T @ g + l2 * params[0]]
        else:
            gl, gr = g[:, None] * params[2] * (1 - hl**2), -g[:, None] * params[2] * (1 - hr**2)
            grads = [L.T @ gl + R.T @ gr + l2 * params[0], gl.sum(0) + gr.sum(0), hl.T @ g - hr.T @ g + l2 * params[2]]
        for k, grad in enumerate(grads):
            m[k] = 0.9 * m[k] + 0.1 * grad
            v[k] = 0.999 * v[k] + 0.001 * grad**2
            params[k] = params[k] - lr * (m[k] / (1 - 0.9**t)) / (np.sqrt(v[k] / (1 - 0.999**t)) + 1e-8)
    return lambda f: score((f["X"] - mean) / std, params)[0] if len(f["docs"]) else np.zeros(0)


# --------------------------------------------------------------------------- product cost


def product_cost(sample: int = 3000) -> dict:
    """Sentences in the built-in corpus's passages (evidex's splitter), and what embedding and keeping them costs."""
    with tempfile.TemporaryDirectory(prefix="evidex-sentences-") as tmp, Corpus.open(
        Settings(data_dir=Path(tmp), search=SearchSettings(embedding_model=QUESTION_MODEL))
    ) as corpus:
        started = time.perf_counter()
        corpus.ensure_builtin()
        ingest_s = time.perf_counter() - started
        splitter = SentenceSplitter(cache_size=1)
        sentences, passages = [], 0
        started = time.perf_counter()
        for document in corpus.store.iter_documents():
            for n, passage in enumerate(document.passages):
                passages += 1
                sentences.extend(passage.text[a:b] for a, b in splitter.spans(f"{document.id}#{n}", passage.text))
        split_s = time.perf_counter() - started
        rng = np.random.default_rng(0)
        picked = [sentences[i] for i in rng.choice(len(sentences), min(sample, len(sentences)), replace=False)]
        load_before = load()
        started = time.perf_counter()
        corpus.embedder.embed(picked)
        rate = len(picked) / (time.perf_counter() - started)
        shipped = data_path_size()
    n = len(sentences)
    return {
        "passages": passages, "sentences": n, "ingest_s": round(ingest_s, 1), "split_s": round(split_s, 1),
        "embed_texts_per_s": round(rate, 1), "embed_estimate_min": round(n / rate / 60, 1),
        "int8_mb": round(n * 384 / 1e6, 1), "float32_mb": round(n * 384 * 4 / 1e6, 1),
        "shipped_passage_vectors_mb": shipped, "load": f"{load_before} -> {load()}",
    }


def data_path_size() -> float:
    from evidex.evidence.builtin import VECTORS_FILE, data_path

    path = data_path(VECTORS_FILE)
    return round(path.stat().st_size / 1e6, 1) if path.is_file() else float("nan")


# --------------------------------------------------------------------------- main


def percentiles(values: list[float]) -> str:
    return f"p50 {np.percentile(values, 50):5.2f} ms  p95 {np.percentile(values, 95):5.2f} ms" if values else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bioasq", type=Path, help=f"BioASQ Task B questions, JSON lines (default: {DEFAULT_BIOASQ})")
    parser.add_argument(
        "--limit", type=int,
        help="only the first N questions (a quick check: a temporary index and cache, no product cost: that embeds the built-in corpus)",
    )
    parser.add_argument("--workdir", help="holds (or gets) the BioASQ index, as retrieval.py --workdir (default: temporary)")
    parser.add_argument("--cache", type=Path, help=f"sentence vectors (.npy; texts in .json beside; default {DEFAULT_CACHE})")
    parser.add_argument("--no-product-cost", action="store_true", help="skip counting the built-in corpus's sentences")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args()
    args.bioasq = evaluation_set(args.bioasq, DEFAULT_BIOASQ, "--bioasq")
    if args.bioasq is None:
        return
    args.no_product_cost = args.no_product_cost or bool(args.limit)
    with tempfile.TemporaryDirectory(prefix="evidex-sentence-dense-") as tmp:
        args.workdir = args.workdir or tmp
        args.cache = args.cache or (Path(tmp) / "sentences.npy" if args.limit else DEFAULT_CACHE)
        run(args)


def run(args: argparse.Namespace) -> None:
    started_all = time.perf_counter()
    print("evidex sentence-level dense scoring / learned reranking experiment (BioASQ)")
    print(f"command: {shlex.join([os.path.relpath(sys.executable), *sys.argv])}   (in {os.getcwd()})")
    print(f"machine: {machine_description()}")
    print(f"start: {time.strftime('%Y-%m-%d %H:%M:%S')}, {load()}", flush=True)
    results: dict = {"command": shlex.join(sys.argv)}

    bench = load_bioasq(args.bioasq, args.limit)
    dev = bench.dev
    test = ~dev
    info = build_bioasq_corpus(bench, Path(args.workdir) / "bioasq")
    print(f"{len(bench.queries)} questions ({int(dev.sum())} dev / {int(test.sum())} test), {len(bench.doc_ids)} documents;"
          f" evidex index {info['passages']} passages{' (reused)' if info.get('reused') else ''}", flush=True)
    embedder = Embedder.load()
    units = Units(bench, args.bioasq, args.cache, embedder)
    embed_info = json.loads(args.cache.with_suffix(".json").read_text())
    n_sent = sum(map(len, units.sentences))
    print(f"units: {n_sent} sentences ({n_sent / len(bench.doc_ids):.2f}/document; split in {units.split_s:.1f} s),"
          f" {sum(map(len, units.snippets))} gold snippets; {len(units.texts)} unique texts embedded in"
          f" {embed_info['seconds']} s ({embed_info['texts_per_s']}/s) [{embed_info['load']}]", flush=True)
    extras = Extras(bench, units)
    print(f"bm25s over sentences + documents indexed in {extras.index_s:.1f} s", flush=True)

    key = hashlib.sha256(json.dumps([bench.ids, SearchSettings(embedding_model=QUESTION_MODEL).model_dump(), info["passages"]]).encode()).hexdigest()[:16]
    pickle_path = args.cache.with_name(f"sentence_candidates_{key}.pkl")
    if pickle_path.exists():
        candidates, qvecs, (search_ms, qembed_ms), search_load = pickle.loads(pickle_path.read_bytes())
        print(f"evidex candidates reused from {pickle_path}", flush=True)
    else:
        search_load = load()
        candidates, qvecs, (search_ms, qembed_ms) = evidex_candidates(bench, Path(args.workdir) / "bioasq",
                                                                       pickle_path.with_suffix(".queries.npy"))
        search_load = f"{search_load} -> {load()}"
        pickle_path.write_bytes(pickle.dumps((candidates, qvecs, (search_ms, qembed_ms), search_load)))
    print(f"evidex search, top_k={DEPTH}: {percentiles(search_ms)}; a query's vector alone {percentiles(qembed_ms)}"
          f" [{search_load}]", flush=True)

    bm25_search, _ = bm25s_searcher(bench)
    bm25_ndcg = np.array([ndcg_at_k(bm25_search(q), r) for q, r in zip(bench.queries, bench.relevant, strict=True)])

    feature_load = load()
    feats, ms = build_features(bench, units, extras, candidates, qvecs)
    print(f"features built; extra per query: sentence cosines + max {percentiles(ms['sentence_cosines'])},"
          f" lexical extras (sentence BM25, bm25s, coverage) {percentiles(ms['lexical_extras'])} [{feature_load} -> {load()}]",
          flush=True)

    rows: list[dict] = []

    def add(name: str, per_query: np.ndarray, latency: str, params=None) -> None:
        rows.append({"name": name, "all": per_query.mean(), "dev": per_query[dev].mean(), "test": per_query[test].mean(),
                     "latency": latency, "params": params})

    def rank_with(score) -> np.ndarray:
        return ndcgs(bench, feats, [score(f) for f in feats])

    sent_lat = f"+{np.mean(ms['sentence_cosines']):.2f} ms"
    lex_lat = f"+{np.mean(ms['sentence_cosines']) + np.mean(ms['lexical_extras']):.2f} ms"
    add("bm25s (Lucene, en stopwords, Snowball stemmer)", bm25_ndcg, "")
    add("evidex default (linear 0.3/0.7), its own top-100 order", rank_with(lambda f: f["final"]), "+0")
    add("  same, recomputed by this script's fusion (check)", rank_with(fused), "+0")
    add("rerank top-100: passage cosine only (title + text, 128 tok)", rank_with(lambda f: column(f, "dense_score")), "+0")
    add("rerank top-100: whole text cosine, no title", rank_with(lambda f: column(f, "whole_cos")), "(needs 2nd vector)")
    add("rerank top-100: sentence max-sim only", rank_with(lambda f: column(f, "sent_max")), sent_lat)
    point, _ = grid_search(bench, feats, dev, lambda f, pool: pooled(f, pool),
                           [{"pool": p} for p in ("mean", "soft:0.01", "soft:0.02", "soft:0.05", "soft:0.1", "soft:0.2")])
    add(f"rerank top-100: sentence softmax-pool only ({point['pool']}, dev-tuned)", rank_with(lambda f: pooled(f, point["pool"])),
        sent_lat, point)
    add("rerank top-100: gold-snippet max-sim only (oracle split)", rank_with(lambda f: f["snip_max"]), sent_lat)

    print("tuning fusion on dev ...", flush=True)
    a_grid = [float(round(x, 2)) for x in np.arange(0, 1.01, 0.1)]
    point, _ = grid_search(bench, feats, dev, fused, [{"w_dense": 0.7, "a": a, "pool": "max"} for a in a_grid])
    add(f"fusion 0.3/0.7, dense = (1-a) passage + a sentence-max (a={point['a']}, dev)", rank_with(lambda f: fused(f, **point)),
        sent_lat, point)
    grid = [{"w_dense": w, "a": a, "pool": p} for w in (0.5, 0.6, 0.7, 0.8, 0.9) for a in a_grid
            for p in ("max", "soft:0.02", "soft:0.05", "soft:0.1")]
    best_fusion, _ = grid_search(bench, feats, dev, fused, grid)
    add("fusion, dev-tuned w_dense, a, pooling", rank_with(lambda f: fused(f, **best_fusion)), sent_lat, best_fusion)
    point, _ = grid_search(bench, feats, dev, fused, [{"w_dense": w, "a": a, "pool": "whole"} for w in (0.6, 0.7, 0.8) for a in a_grid])
    add("fusion with whole-text-no-title cosine instead (dev-tuned)", rank_with(lambda f: fused(f, **point)),
        "(needs 2nd vector)", point)
    point, _ = grid_search(bench, feats, dev, fused, [{"w_dense": w, "a": a, "pool": "snip"} for w in (0.6, 0.7, 0.8) for a in a_grid])
    add("fusion with gold-snippet max-sim instead (oracle, dev-tuned)", rank_with(lambda f: fused(f, **point)), sent_lat, point)

    print("coordinate ascent of lexical extras on dev ...", flush=True)
    extra_names = ["sent_bm25_norm", "doc_bm25s_norm", "idf_coverage", "coverage"]
    base_plain = {"w_dense": 0.7, "a": 0.0, "pool": "max"}
    extra, _ = coordinate_ascent(bench, feats, dev, base_plain, extra_names)
    add("evidex fusion + lexical extras only (no sentence vectors, dev)", rank_with(lambda f: fused(f, **base_plain, extra=extra)),
        f"+{np.mean(ms['lexical_extras']):.2f} ms", {"extra": extra})
    extra, _ = coordinate_ascent(bench, feats, dev, best_fusion, extra_names)
    add("best sentence fusion + lexical extras (dev)", rank_with(lambda f: fused(f, **best_fusion, extra=extra)), lex_lat,
        {**best_fusion, "extra": extra})

    print("training learned rerankers ...", flush=True)
    dev_feats = [f for f, m in zip(feats, dev, strict=True) if m]
    test_feats = [f for f, m in zip(feats, test, strict=True) if m]
    groups = {
        "scoreparts": ["lexical_norm", "expansion_norm", "dense_score", "in_lexical", "in_expansion", "in_dense",
                       "inv_lexical_rank", "inv_expansion_rank", "inv_dense_rank", "evidence", "recency"],
        "sentence": ["sent_max", "sent_soft", "sent_mean", "sent_max_gap", "dense_gap", "log_sentences"],
        "coverage": ["coverage", "idf_coverage"],
    }
    cols_of = lambda *names: [FEATURES.index(n) for g in names for n in groups[g]]  # noqa: E731
    cover_lat = f"+{np.mean(ms['lexical_extras']):.2f} ms (upper bound)"
    feature_sets = [
        ("ScoreParts only", cols_of("scoreparts"), "+~0.01 ms"),
        ("ScoreParts + sentence max-sim features", cols_of("scoreparts", "sentence"), sent_lat),
        ("ScoreParts + query-word coverage (no new vectors)", cols_of("scoreparts", "coverage"), cover_lat),
        ("all features", list(range(len(FEATURES))), lex_lat),
    ]
    learners = [
        ("logistic regression", lambda fs: train_pointwise(fs), None),
        ("pairwise linear (RankNet)", lambda fs: train_pairwise(fs), None),
        ("pairwise MLP 16 tanh", lambda fs: train_pairwise(fs, hidden=16, epochs=500), {"ScoreParts only", "all features"}),
    ]

    def restrict(fs, cols):
        return [{**f, "X": f["X"][:, cols]} for f in fs]

    for label, cols, latency in feature_sets:
        for name, learn, only in learners:
            if only is not None and label not in only:
                continue
            started = time.perf_counter()
            on_dev = learn(restrict(dev_feats, cols))
            on_test = learn(restrict(test_feats, cols))
            train_s = time.perf_counter() - started
            scored = restrict(feats, cols)
            trained_on_dev = ndcgs(bench, feats, [on_dev(f) for f in scored])
            trained_on_test = ndcgs(bench, feats, [on_test(f) for f in scored])
            add(f"{name}: {label}; trained on dev", trained_on_dev, latency)
            crossfit = np.where(dev, trained_on_test, trained_on_dev)
            rows.append({"name": "  same, 2-fold (each half scored by the model trained on the other)",
                         "all": crossfit.mean(), "dev": crossfit[dev].mean(), "test": crossfit[test].mean(),
                         "latency": "", "params": None})
            print(f"  {name}, {label}: trained twice in {train_s:.1f} s [{load()}]", flush=True)

    base = rows[0]
    print(f"\n{'':76} {'nDCG@10':>8} {'dev':>6} {'test':>6}  {'ratio':>6} {'test ratio':>10}  extra latency/query")
    for row in rows:
        row["ratio"] = row["all"] / base["all"]
        row["test_ratio"] = row["test"] / base["test"]
        print(f"{row['name'][:76]:76} {row['all']:8.4f} {row['dev']:6.4f} {row['test']:6.4f}  {row['ratio']:5.3f}x"
              f" {row['test_ratio']:9.3f}x  {row['latency']}")
    print("ratio = nDCG@10 / bm25s's on all questions; test ratio = on the held-out half; every weight/model chosen on dev"
          " (2-fold rows: each half scored by a model trained on the other half)")
    for row in rows:
        if row["params"]:
            print(f"  {row['name'].strip()[:60]}: {row['params']}")
    results["rows"] = [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()} for row in rows]
    results["search_ms"] = {"p50": float(np.percentile(search_ms, 50)), "p95": float(np.percentile(search_ms, 95))}
    results["extra_ms"] = {k: {"mean": float(np.mean(v)), "p95": float(np.percentile(v, 95))} for k, v in ms.items()}
    results["bioasq_sentences"] = n_sent

    if not args.no_product_cost:
        print("\nproduct cost: sentences of the built-in corpus ...", flush=True)
        cost = product_cost()
        results["product_cost"] = cost
        print(f"built-in corpus: {cost['passages']} passages -> {cost['sentences']} sentences (split in {cost['split_s']} s);"
              f" embedding them at {cost['embed_texts_per_s']}/s ~ {cost['embed_estimate_min']} min on this machine"
              f" (or shipped pre-computed); vectors {cost['int8_mb']} MB int8 / {cost['float32_mb']} MB float32 in memory"
              f" (shipped passage vectors today: {cost['shipped_passage_vectors_mb']} MB) [{cost['load']}]", flush=True)
    print(f"\ntotal {time.perf_counter() - started_all:.0f} s, end {load()}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
