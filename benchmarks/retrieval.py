"""Retrieval quality and speed of evidex search, against a plain BM25 baseline.

Run from the repository root:

    .venv/bin/python benchmarks/retrieval.py [--bioasq PATH] [--pubmedqa PATH] [--limit N]
                                             [--parts 1,2,3] [--synthetic-docs 100000] [--json FILE]

Three parts, each on a fresh temporary data directory, all through the public
API (``Corpus.open`` / ``ingest`` / ``prepare`` / ``search``):

1. BioASQ (Task B 7b-10b).  Corpus: one pseudo-document per gold PMID, its
   gold snippet texts joined (de-duplicated), written as generic JSONL
   (``{"id": "pmid:N", "title": "BioASQ snippets for PMID N", "text": ...}``: the
   title says nothing about the content; ``--title start`` uses the text's first
   ~80 characters instead, which double-weights them) and ingested with
   ``corpus.ingest()``, which embeds them.  Query: the question body.
   Relevant: the question's gold PMIDs that have a pseudo-document (document
   level: passage hits collapse to documents, first occurrence kept).
   Figures: nDCG@10, MAP@10, recall@100, and warm per-query latency of
   ``corpus.search`` (p50/p95), for evidex's default search (with the
   reranker, :mod:`evidex.search.rerank`, trained on the built-in corpus only), for
   ablations (without the reranker, the other fusion, lexical-only,
   dense-only, no synonym expansion, no evidence/recency adjustment), and
   for ``bm25s`` (Lucene BM25, English stopwords, Snowball English stemmer)
   as the baseline.  Questions split
   in two halves by a hash of their id (``bioasq.BioASQ.dev``): "dev" (the
   only half used to tune fusion weights, pseudo-relevance feedback and the
   common-word cut-off) and "test" (held out), reported separately and
   together.  Loading and metrics live in ``benchmarks/bioasq.py``.
2. Built-in corpus: ``corpus.prepare()`` (ingest + embedding, with the shipped
   vectors), its time and database size; then the 500 PubMedQA train/dev
   questions: is ``pmid:<PMID>`` the top document / in the top 10?
3. Latency on a synthetic corpus of ``--synthetic-docs`` documents (~1,500
   characters of sentences sampled from the built-in corpus, random kind and
   year).  Its vectors are random unit vectors (quality is meaningless; cost is
   real), saved under the real model's name so search uses them.

Reads BioASQ and PubMedQA from shared/ (evaluation only; never shipped).
Needs ``bm25s`` and ``PyStemmer`` (benchmark-only: ``pip install bm25s PyStemmer``).
Timings are wall-clock on a shared machine: the load average is printed with
every timing; compare runs made together.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shlex
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from evidex.corpus import Corpus
from evidex.evidence.builtin import VECTORS_FILE, data_path
from evidex.evidence.documents import EvidenceKind
from evidex.search.retrieve import embed_missing_passages
from evidex.settings import SearchSettings, Settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import EVAL_DIR, evaluation_set  # noqa: E402
from bioasq import (  # noqa: E402
    DEFAULT_BIOASQ,
    BioASQ,
    K,
    ap_at_k,
    load_bioasq,
    ndcg_at_k,
    recall_at,
)

DEFAULT_PUBMEDQA = EVAL_DIR / "pubmedqa" / "pqal_train_dev.json"
DEPTH = 100  # documents retrieved per query (recall@100)
WARMUP = 20


# --------------------------------------------------------------------------- reporting helpers


def machine_description() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), model)
    except OSError:
        pass
    import onnxruntime

    return (
        f"{os.cpu_count()} cores, {model}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}; "
        f"numpy {np.__version__}; onnxruntime {onnxruntime.__version__}"
    )


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def latency_figures(timer: Timer) -> dict:
    return {
        "p50_ms": round(percentile(timer.ms, 50), 1),
        "p95_ms": round(percentile(timer.ms, 95), 1),
        "cpu_ms_mean": round(float(np.mean(timer.cpu_ms)), 1),
    }


@dataclass
class Timer:
    """Per-query wall-clock milliseconds, with the load average around them.

    ``cpu_ms`` is the process's CPU time per query (every thread of it), which
    depends much less on what else the machine runs than wall-clock time does.
    """

    ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    load_before: str = ""
    load_after: str = ""

    def summary(self) -> str:
        text = f"p50 {percentile(self.ms, 50):6.1f} ms  p95 {percentile(self.ms, 95):6.1f} ms"
        if self.cpu_ms:
            text += f"  (CPU {np.mean(self.cpu_ms):5.1f} ms/query)"
        return text

    def time(self, function, *args):
        wall, cpu = time.perf_counter(), time.process_time()
        value = function(*args)
        self.cpu_ms.append((time.process_time() - cpu) * 1e3)
        self.ms.append((time.perf_counter() - wall) * 1e3)
        return value


# --------------------------------------------------------------------------- metrics


def documents_of(hits) -> list[str]:
    """Document ids in rank order, each at its first passage's place."""
    seen: dict[str, None] = {}
    for hit in hits:
        seen.setdefault(hit.document.id, None)
    return list(seen)


@dataclass
class Scores:
    name: str
    per_query: dict[str, list[float]]  # metric -> value per question
    timer: Timer

    def mean(self, metric: str, mask: np.ndarray | None = None) -> float:
        values = np.array(self.per_query[metric])
        return float(values[mask].mean() if mask is not None else values.mean())


def score_rankings(name: str, rankings: list[list[str]], timer: Timer, relevant: list[set[str]]) -> Scores:
    return Scores(
        name,
        {
            "ndcg@10": [ndcg_at_k(r, g) for r, g in zip(rankings, relevant, strict=True)],
            "map@10": [ap_at_k(r, g) for r, g in zip(rankings, relevant, strict=True)],
            "recall@100": [recall_at(r, g, DEPTH) for r, g in zip(rankings, relevant, strict=True)],
        },
        timer,
    )


# --------------------------------------------------------------------------- part 1: BioASQ


def pseudo_title(text: str, limit: int = 80) -> str:
    """The first ~``limit`` characters of the snippets, cut at a word: no words beyond the text itself."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut or text[:limit]


def write_bioasq_jsonl(bench: BioASQ, path: Path, title: str = "neutral") -> None:
    """``title``: "neutral" ("BioASQ snippets for PMID N") or "start" (the first ~80 characters of the text)."""
    with path.open("w", encoding="utf-8") as out:
        for doc_id, text in zip(bench.doc_ids, bench.doc_texts, strict=True):
            heading = pseudo_title(text) if title == "start" else f"BioASQ snippets for PMID {doc_id.removeprefix('pmid:')}"
            out.write(json.dumps({"id": doc_id, "title": heading, "text": text}) + "\n")


def build_bioasq_corpus(bench: BioASQ, data_dir: Path, title: str = "neutral") -> dict:
    """Ingest the pseudo-documents into ``data_dir`` (reused if already built there)."""
    settings = Settings(data_dir=data_dir, builtin_corpus=False)
    marker = data_dir / "bioasq-built.json"
    if marker.exists():
        info = json.loads(marker.read_text())
        if info.get("title") == title and info.get("documents") == len(bench.doc_ids):
            with Corpus.open(settings) as corpus:
                corpus.embed_passages()  # an index reused from another embedding model has none of this one's vectors
            return info | {"reused": True}
        raise SystemExit(
            f"{data_dir} holds another BioASQ index ({info.get('documents')} documents, {info.get('title')} titles);"
            " use another --workdir"
        )
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "bioasq-pseudo-docs.jsonl"
    write_bioasq_jsonl(bench, path, title)
    load_before = load()
    with Corpus.open(settings) as corpus:
        started = time.perf_counter()
        report = corpus.ingest([path])
        seconds = time.perf_counter() - started
        stats = corpus.stats()
    info = {
        "documents": stats.documents,
        "passages": stats.passages,
        "embedded": stats.embedded_passages,
        "by_kind": stats.by_kind,
        "ingest_embed_s": round(seconds, 1),
        "load_before": load_before,
        "load_after": load(),
        "problems": report.skipped,
        "title": title,
    }
    marker.write_text(json.dumps(info))
    return info


def evidex_searcher(corpus: Corpus, top_k: int = DEPTH):
    return lambda query: documents_of(corpus.search(query, top_k=top_k).hits)


def bm25s_searcher(bench: BioASQ):
    """A bm25s index of the pseudo-documents (Lucene BM25, English stopwords, Snowball stemmer)."""
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    started = time.perf_counter()
    tokens = bm25s.tokenize(bench.doc_texts, stopwords="en", stemmer=stemmer, show_progress=False)
    retriever = bm25s.BM25(method="lucene")
    retriever.index(tokens, show_progress=False)
    index_s = time.perf_counter() - started
    depth = min(DEPTH, len(bench.doc_ids))

    def search(query: str) -> list[str]:
        query_tokens = bm25s.tokenize([query], stopwords="en", stemmer=stemmer, return_ids=False, show_progress=False)
        if not query_tokens[0]:
            return []
        docs, scores = retriever.retrieve(query_tokens, k=depth, show_progress=False, n_threads=1)
        return [bench.doc_ids[int(i)] for i, s in zip(docs[0], scores[0]) if s > 0]

    return search, index_s


def run_interleaved(searchers: dict, queries: list[str]) -> dict[str, tuple[list[list[str]], Timer]]:
    """Every searcher on every query, query by query, in an order that rotates, so
    all of them meet the same machine load and none always gets the others' warm caches."""
    names = list(searchers)
    for name in names:  # loads vectors, vocabulary and model
        for query in queries[:WARMUP]:
            searchers[name](query)
    timers = {name: Timer(load_before=load()) for name in names}
    rankings: dict[str, list[list[str]]] = {name: [] for name in names}
    for n, query in enumerate(queries):
        for name in names[n % len(names) :] + names[: n % len(names)]:
            rankings[name].append(timers[name].time(searchers[name], query))
    for timer in timers.values():
        timer.load_after = load()
    return {name: (rankings[name], timers[name]) for name in names}


# The other fusion with the weights it is best with: RRF 1/1 was the default before linear fusion.
FUSION_PRESETS = {
    "rrf": {"fusion": "rrf", "lexical_weight": 1.0, "dense_weight": 1.0},
    "linear": {"fusion": "linear", "lexical_weight": 0.3, "dense_weight": 0.7},
}


# Every search embeds its question afresh: the searchers below ask each question in turn,
# and the e5 model's query cache would otherwise time all but the first from memory.
NEW_QUESTIONS = {"query_cache": 0}


def bioasq_variants() -> list[tuple[str, dict]]:
    default = SearchSettings()
    other = "linear" if default.fusion == "rrf" else "rrf"
    weights = f"{default.lexical_weight:g}/{default.dense_weight:g}"
    reranker = ", reranker" if default.rerank else ""
    preset = FUSION_PRESETS[other]
    return [
        (f"evidex hybrid (default: {default.fusion}, lexical/dense {weights}{reranker})", {}),
        ("evidex hybrid without the reranker (rerank=False)", {"rerank": False}),
        (f"evidex hybrid, {other} {preset['lexical_weight']:g}/{preset['dense_weight']:g}", preset),
        ("evidex lexical only (dense_weight=0)", {"dense_weight": 0}),
        ("evidex dense only (lexical_weight=0)", {"lexical_weight": 0}),
        ("evidex hybrid, no synonym expansion", {"expand_synonyms": False}),
        ("evidex hybrid, no evidence/recency adjustment", {"evidence_weight": 0, "recency_weight": 0}),
    ]


def part_bioasq(args, results: dict) -> None:
    print("\n== 1. BioASQ retrieval (document level) ==", flush=True)
    bench = load_bioasq(args.bioasq, args.limit)
    dev = bench.dev
    print(
        f"{len(bench.queries)} questions ({int(dev.sum())} dev / {int((~dev).sum())} test), "
        f"{len(bench.doc_ids)} pseudo-documents; relevant = gold PMIDs with a pseudo-document",
        flush=True,
    )
    top_k = SearchSettings().top_k
    latency_only = f"evidex hybrid (default), top_k={top_k}: latency only"
    latency_without_reranker = f"evidex hybrid without the reranker, top_k={top_k}: latency only"
    with tempfile.TemporaryDirectory(prefix="evidex-bioasq-") as tmp:
        data_dir = Path(args.workdir) / "bioasq" if args.workdir else Path(tmp)
        info = build_bioasq_corpus(bench, data_dir, args.title)
        print(
            f"evidex index ({info['title']} titles): {info['documents']} documents, {info['passages']} passages,"
            f" {info['embedded']} embedded; ingest + embedding {info['ingest_embed_s']} s"
            f"{' (reused)' if info.get('reused') else ''} [{info['load_before']} -> {info['load_after']}];"
            f" evidence kinds {info['by_kind']}",
            flush=True,
        )
        baseline_name = "bm25s (Lucene, en stopwords, Snowball stemmer)"
        bm25s_search, bm25_index_s = bm25s_searcher(bench)
        print(f"bm25s index built in {bm25_index_s:.1f} s", flush=True)
        searchers = {baseline_name: bm25s_search}
        corpora = []
        for name, overrides in bioasq_variants():
            settings = Settings(data_dir=data_dir, builtin_corpus=False, search=SearchSettings(**NEW_QUESTIONS, **overrides))
            corpora.append(Corpus.open(settings))
            searchers[name] = evidex_searcher(corpora[-1])
        searchers[latency_only] = evidex_searcher(corpora[0], top_k)
        searchers[latency_without_reranker] = evidex_searcher(corpora[1], top_k)
        print(f"running {len(searchers)} searchers on each question, interleaved ...", flush=True)
        try:
            outcome = run_interleaved(searchers, bench.queries)
        finally:
            for corpus in corpora:
                corpus.close()
    latency_rows = (latency_only, latency_without_reranker)
    all_scores = [score_rankings(name, *outcome[name], bench.relevant) for name in searchers if name not in latency_rows]
    baseline = all_scores[0]
    default_timer = outcome[latency_only][1]

    print(f"{'':60} {'nDCG@10':>8} {'dev':>6} {'test':>6} {'MAP@10':>7} {'R@100':>6}  {'ratio':>6}  latency (warm, per query)")
    base = baseline.mean("ndcg@10")
    rows = []
    for s in all_scores:
        ndcg = s.mean("ndcg@10")
        row = {
            "name": s.name,
            "ndcg@10": round(ndcg, 4),
            "ndcg@10_dev": round(s.mean("ndcg@10", dev), 4),
            "ndcg@10_test": round(s.mean("ndcg@10", ~dev), 4),
            "map@10": round(s.mean("map@10"), 4),
            "recall@100": round(s.mean("recall@100"), 4),
            "ratio_vs_bm25s": round(ndcg / base, 3) if base else None,
            "p50_ms": round(percentile(s.timer.ms, 50), 1),
            "p95_ms": round(percentile(s.timer.ms, 95), 1),
            "cpu_ms_mean": round(float(np.mean(s.timer.cpu_ms)), 1),
        }
        rows.append(row)
        print(
            f"{s.name:60} {row['ndcg@10']:8.4f} {row['ndcg@10_dev']:6.4f} {row['ndcg@10_test']:6.4f}"
            f" {row['map@10']:7.4f} {row['recall@100']:6.4f}  {row['ratio_vs_bm25s']:5.3f}x  {s.timer.summary()}"
        )
    for name in latency_rows:
        print(f"{name:60} {'':47}  {outcome[name][1].summary()}")
    default_row, without_row = rows[1], rows[2]
    print(
        f"evidex default vs bm25s: nDCG@10 {default_row['ndcg@10']:.4f} / {rows[0]['ndcg@10']:.4f}"
        f" = {default_row['ratio_vs_bm25s']:.3f}x (target >= 1.15x); p95 {default_row['p95_ms']} ms at top_k={DEPTH},"
        f" {percentile(default_timer.ms, 95):.1f} ms at top_k={top_k} (target <= 50 ms);"
        f" without the reranker {without_row['ndcg@10']:.4f} = {without_row['ratio_vs_bm25s']:.3f}x"
    )
    print(
        f"ratio = nDCG@10 / bm25s's; dev/test = the two halves of the questions (fusion was tuned on dev);"
        f" every searcher ran on each question in turn [{baseline.timer.load_before} -> {baseline.timer.load_after}]",
        flush=True,
    )
    results["bioasq"] = {
        "questions": len(bench.queries),
        "dev_questions": int(dev.sum()),
        "documents": len(bench.doc_ids),
        "index": info,
        "bm25s_index_s": round(bm25_index_s, 1),
        "rows": rows,
        "default_top_k_latency": {"top_k": top_k, **latency_figures(default_timer)},
        "without_reranker_top_k_latency": {"top_k": top_k, **latency_figures(outcome[latency_without_reranker][1])},
        "load": f"{baseline.timer.load_before} -> {baseline.timer.load_after}",
    }


# --------------------------------------------------------------------------- part 2: built-in corpus + PubMedQA


def part_builtin(args, results: dict, data_dir: Path) -> None:
    print("\n== 2. Built-in corpus: build, then PubMedQA questions ==", flush=True)
    if not data_path(VECTORS_FILE).is_file():
        print(f"skipped: {data_path(VECTORS_FILE)} is missing (scripts/build_builtin_vectors.py makes it);"
              " without it prepare() embeds ~38k passages (~10 min)", flush=True)
        return
    with open(args.pubmedqa, encoding="utf-8") as handle:
        questions = list(json.load(handle).items())[: args.limit]
    load_before = load()
    with Corpus.open(Settings(data_dir=data_dir, search=SearchSettings(**NEW_QUESTIONS))) as corpus:
        started = time.perf_counter()
        corpus.ensure_builtin()
        ingested = time.perf_counter()
        embedded = corpus.embed_passages()
        done = time.perf_counter()
        corpus.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        stats = corpus.stats()
        build = {
            "documents": stats.documents,
            "passages": stats.passages,
            "embedded": embedded,
            "ingest_s": round(ingested - started, 1),
            "embed_s": round(done - ingested, 1),
            "total_s": round(done - started, 1),
            "db_mb": round(stats.size_bytes / 1e6, 1),
            "load": f"{load_before} -> {load()}",
        }
        print(
            f"prepare(): {build['documents']} documents, {build['passages']} passages; ingest {build['ingest_s']} s"
            f" + embedding {build['embed_s']} s (shipped vectors) = {build['total_s']} s; database {build['db_mb']} MB"
            f" [{build['load']}]",
            flush=True,
        )
        for _, q in questions[:WARMUP]:
            corpus.search(q["QUESTION"], top_k=DEPTH)
        timer = Timer(load_before=load())
        top1 = top10 = 0
        reciprocal = []
        for key, q in questions:
            result = timer.time(corpus.search, q["QUESTION"], None, DEPTH)
            docs = documents_of(result.hits)
            target = f"pmid:{key}"
            top1 += docs[:1] == [target]
            top10 += target in docs[:K]
            reciprocal.append(1 / (docs.index(target) + 1) if target in docs else 0.0)
        timer.load_after = load()
    n = len(questions)
    print("(the built-in corpus holds the 1,000 PubMedQA PQA-L abstracts, and a PubMedQA question is its"
          " abstract's title, nearly always word for word: this checks that search finds them, it is not a"
          " hard retrieval test)")
    print(
        f"PubMedQA ({n} questions): top-1 {top1}/{n} = {top1 / n:.3f}; top-10 {top10}/{n} = {top10 / n:.3f};"
        f" MRR@{DEPTH} {np.mean(reciprocal):.3f}; search {timer.summary()} [{timer.load_before} -> {timer.load_after}]",
        flush=True,
    )
    results["builtin"] = build | {
        "pubmedqa_questions": n,
        "top1": round(top1 / n, 4),
        "top10": round(top10 / n, 4),
        "mrr": round(float(np.mean(reciprocal)), 4),
        "p50_ms": round(percentile(timer.ms, 50), 1),
        "p95_ms": round(percentile(timer.ms, 95), 1),
        "cpu_ms_mean": round(float(np.mean(timer.cpu_ms)), 1),
    }


# --------------------------------------------------------------------------- part 3: synthetic 100k latency

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")


def builtin_sentences(data_dir: Path) -> list[str]:
    with Corpus.open(Settings(data_dir=data_dir)) as corpus:
        corpus.ensure_builtin()
        sentences = []
        for document in corpus.store.iter_documents():
            if document.audience != "professional":
                continue
            for passage in document.passages:
                sentences.extend(s for s in _SENTENCE_END.split(passage.text) if 40 <= len(s) <= 400)
    return sentences


def write_synthetic(path: Path, sentences: list[str], count: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    kinds = [k.value for k in EvidenceKind if k is not EvidenceKind.CONSUMER]
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            parts, size = [], 0
            while size < 1500:
                sentence = rng.choice(sentences)
                parts.append(sentence)
                size += len(sentence) + 1
            record = {
                "id": f"synthetic:{n}",
                "title": pseudo_title(rng.choice(sentences), 120),
                "text": " ".join(parts),
                "kind": rng.choice(kinds),
                "year": rng.randint(1985, 2025),
            }
            out.write(json.dumps(record) + "\n")


class RandomVectors:
    """Stands in for the embedding model at ingest: random unit vectors under the real model's name."""

    def __init__(self, name: str, dim: int, seed: int = 0) -> None:
        self.name, self.dim = name, dim
        self.rng = np.random.default_rng(seed)

    def embed(self, texts) -> np.ndarray:
        vectors = self.rng.standard_normal((len(texts), self.dim)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def part_synthetic(args, results: dict, builtin_dir: Path, work: Path) -> None:
    count = args.synthetic_docs
    print(f"\n== 3. Latency on {count:,} synthetic documents ==", flush=True)
    sentences = builtin_sentences(builtin_dir)
    path = work / "synthetic.jsonl"
    started = time.perf_counter()
    write_synthetic(path, sentences, count)
    print(f"generated {count:,} documents from {len(sentences):,} built-in sentences"
          f" ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - started:.0f} s", flush=True)
    with open(args.pubmedqa, encoding="utf-8") as handle:
        queries = [q["QUESTION"] for q in json.load(handle).values()][: min(100, args.limit or 100)]

    data_dir = work / "synthetic"
    settings = Settings(data_dir=data_dir, builtin_corpus=False)
    load_before = load()
    with Corpus.open(settings) as corpus:
        random_model = RandomVectors(corpus.embedder.name, corpus.embedder.dim)
        # Corpus.ingest embeds new passages; random vectors stand in for the ~15 min of embedding.
        corpus.embed_passages = lambda progress=None: embed_missing_passages(corpus.store, random_model, commit_every=20_000)
        started = time.perf_counter()
        corpus.ingest([path])
        ingest_s = time.perf_counter() - started
        corpus.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        stats = corpus.stats()
    print(f"ingest (random vectors): {stats.documents:,} documents, {stats.passages:,} passages in {ingest_s:.0f} s;"
          f" database {stats.size_bytes / 1e6:.0f} MB [{load_before} -> {load()}]", flush=True)
    path.unlink()

    rows = {}
    for name, overrides, top_k in [
        ("hybrid, top_k=10", {}, 10),
        ("lexical only, top_k=10", {"dense_weight": 0}, 10),
        ("dense only, top_k=10", {"lexical_weight": 0}, 10),
    ]:
        with Corpus.open(Settings(data_dir=data_dir, builtin_corpus=False, search=SearchSettings(**NEW_QUESTIONS, **overrides))) as corpus:
            started = time.perf_counter()
            corpus.search(queries[0], top_k=top_k)
            first_ms = (time.perf_counter() - started) * 1e3
            for query in queries[1:WARMUP]:
                corpus.search(query, top_k=top_k)
            timer = Timer(load_before=load())
            for query in queries:
                timer.time(corpus.search, query, None, top_k)
            timer.load_after = load()
            dense = corpus.searcher.dense
            matmul = []
            if dense is not None and len(dense.rowids):
                vector = dense.matrix[0]
                for _ in range(50):
                    started = time.perf_counter()
                    dense.matrix @ vector
                    matmul.append((time.perf_counter() - started) * 1e3)
        rows[name] = {
            "p50_ms": round(percentile(timer.ms, 50), 1),
            "p95_ms": round(percentile(timer.ms, 95), 1),
            "cpu_ms_mean": round(float(np.mean(timer.cpu_ms)), 1),
            "first_search_ms": round(first_ms),
            "load": f"{timer.load_before} -> {timer.load_after}",
        }
        extra = f"; brute-force cosine over {len(dense.rowids):,} vectors p50 {percentile(matmul, 50):.1f} ms" if matmul else ""
        print(f"  {name:26} {timer.summary()} over {len(queries)} PubMedQA questions"
              f" (first search incl. loading {first_ms:.0f} ms{extra}) [{rows[name]['load']}]", flush=True)
    results["synthetic"] = {
        "documents": stats.documents,
        "ingest_s": round(ingest_s, 1),
        "db_mb": round(stats.size_bytes / 1e6, 1),
        "queries": len(queries),
        "rows": rows,
    }


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bioasq", type=Path, help=f"BioASQ Task B questions, JSON lines (default: {DEFAULT_BIOASQ})")
    parser.add_argument("--pubmedqa", type=Path, help=f"PubMedQA PQA-L train/dev JSON (default: {DEFAULT_PUBMEDQA})")
    parser.add_argument(
        "--limit", type=int, help="only the first N questions of each data set, and 100 N synthetic documents at most"
    )
    parser.add_argument("--parts", default="1,2,3", help="which parts to run, e.g. 1 or 2,3")
    parser.add_argument("--synthetic-docs", type=int, default=100_000, help="documents in part 3's synthetic corpus")
    parser.add_argument(
        "--title", choices=["neutral", "start"], default="neutral",
        help="BioASQ pseudo-document titles: 'BioASQ snippets for PMID N' (default), or the text's first ~80 characters",
    )
    parser.add_argument("--workdir", help="keep (and reuse) the BioASQ index here instead of a fresh temporary one")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args()
    parts = {p.strip() for p in args.parts.split(",")}
    if args.limit:
        args.synthetic_docs = min(args.synthetic_docs, 100 * args.limit)
    if "1" in parts:
        args.bioasq = evaluation_set(args.bioasq, DEFAULT_BIOASQ, "--bioasq")
        parts -= set() if args.bioasq else {"1"}
    if parts & {"2", "3"}:
        args.pubmedqa = evaluation_set(args.pubmedqa, DEFAULT_PUBMEDQA, "--pubmedqa")
        parts -= set() if args.pubmedqa else {"2", "3"}

    print("evidex retrieval benchmark")
    print(f"command: {shlex.join([os.path.relpath(sys.executable), *sys.argv])}   (in {os.getcwd()})")
    print(f"machine: {machine_description()}")
    print(f"start: {time.strftime('%Y-%m-%d %H:%M:%S')}, {load()}")
    print(f"search settings: {SearchSettings(**NEW_QUESTIONS).model_dump()}", flush=True)
    started = time.perf_counter()
    results: dict = {"command": shlex.join(sys.argv), "machine": machine_description()}
    if "1" in parts:
        part_bioasq(args, results)
    if parts & {"2", "3"}:
        with tempfile.TemporaryDirectory(prefix="evidex-builtin-") as builtin_tmp:
            if "2" in parts:
                part_builtin(args, results, Path(builtin_tmp))
            if "3" in parts:
                with tempfile.TemporaryDirectory(prefix="evidex-synthetic-") as work:
                    part_synthetic(args, results, Path(builtin_tmp), Path(work))
    print(f"\ntotal {time.perf_counter() - started:.0f} s, end {load()}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
