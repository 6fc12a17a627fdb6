"""Dense-only retrieval quality and speed of embedding models on BioASQ.

Why: choosing the default model needs its quality alone (no BM25 to hide a
weak model) and its cost at ingest (passages/s) and at query time (ms).  By
default it measures the shipped default model; pass ``--model`` (repeatable)
to compare others placed in ``src/evidex/data/models/``.

Corpus: one pseudo-document per gold PMID, its gold snippet texts joined
(deduplicated); queries: question bodies; relevant: the gold PMIDs.  Ranking is
brute-force cosine over all pseudo-documents.  Two nDCG@10 figures:
``all_gold`` counts every gold PMID as relevant (gold PMIDs without snippets
can never be retrieved, so this caps below 1); ``in_corpus`` counts only
gold PMIDs that have a pseudo-document.

    .venv/bin/python benchmarks/dense_models.py [--data PATH] [--model NAME ...] [--limit N]

Loading and nDCG come from ``benchmarks/bioasq.py`` (shared with
``retrieval.py``).  Reads BioASQ from shared/ (evaluation only; never shipped).  Timings are
wall-clock on whatever else the machine is doing: compare runs made together.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from evidex.search.embed import DEFAULT_MODEL, QUESTION_MODEL, load_embedder

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bioasq import DEFAULT_BIOASQ, BioASQ, K, load_bioasq, ndcg_at_k  # noqa: E402
from measure import evaluation_set  # noqa: E402


@dataclass
class Result:
    model: str
    dim: int
    questions: int
    documents: int
    ndcg10_all_gold: float
    ndcg10_in_corpus: float
    corpus_passages_per_s: float
    query_embed_ms_p50: float
    query_embed_ms_p95: float
    search_ms_p95: float


def top_k(scores: np.ndarray) -> np.ndarray:
    """Indices of the K best scores, best first (what a search would return)."""
    k = min(K, len(scores))
    best = np.argpartition(-scores, k - 1)[:k]
    return best[np.argsort(-scores[best])]


def evaluate(embedder, bench: BioASQ) -> Result:
    started = time.perf_counter()
    docs = embedder.embed(bench.doc_texts)
    corpus_seconds = time.perf_counter() - started

    embed_ms, search_ms, all_gold, in_corpus = [], [], [], []
    in_index = set(bench.doc_ids)
    for query, gold in zip(bench.queries, bench.gold, strict=True):
        started = time.perf_counter()
        vector = embedder.embed_query(query)
        embedded = time.perf_counter()
        ranked = [bench.doc_ids[i] for i in top_k(docs @ vector)]
        embed_ms.append((embedded - started) * 1e3)
        search_ms.append((time.perf_counter() - embedded) * 1e3)
        all_gold.append(ndcg_at_k(ranked, gold))
        if reachable := len(gold & in_index):
            in_corpus.append(ndcg_at_k(ranked, gold, reachable))
    return Result(
        model=embedder.name,
        dim=embedder.dim,
        questions=len(bench.queries),
        documents=len(bench.doc_ids),
        ndcg10_all_gold=round(float(np.mean(all_gold)), 4),
        ndcg10_in_corpus=round(float(np.mean(in_corpus)), 4),
        corpus_passages_per_s=round(len(bench.doc_texts) / corpus_seconds, 1),
        query_embed_ms_p50=round(float(np.percentile(embed_ms, 50)), 2),
        query_embed_ms_p95=round(float(np.percentile(embed_ms, 95)), 2),
        search_ms_p95=round(float(np.percentile(search_ms, 95)), 2),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help=f"BioASQ Task B questions, JSON lines (default: {DEFAULT_BIOASQ})")
    parser.add_argument(
        "--model", action="append", help=f"model to evaluate (repeatable); default: {DEFAULT_MODEL} and {QUESTION_MODEL}"
    )
    parser.add_argument("--limit", type=int, help="evaluate only the first N questions")
    args = parser.parse_args()
    data = evaluation_set(args.data, DEFAULT_BIOASQ, "--data")
    if data is None:
        return
    bench = load_bioasq(data, args.limit, scorable_only=False)
    for name in args.model or [DEFAULT_MODEL, QUESTION_MODEL]:
        print(json.dumps(asdict(evaluate(load_embedder(name), bench))), flush=True)


if __name__ == "__main__":
    main()
