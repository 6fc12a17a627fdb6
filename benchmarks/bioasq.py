"""The BioASQ benchmark shared by ``retrieval.py`` and ``dense_models.py``: loading and metrics.

Corpus: one pseudo-document per PMID that has gold snippets, its snippet
texts joined (de-duplicated, in order of appearance).  Query: the question
body.  Relevant: the question's gold PMIDs that have a pseudo-document
(``relevant``); ``gold`` keeps every gold PMID, including those that can never
be retrieved because no snippet names them.

Documents are named ``pmid:N`` (as ``retrieval.py`` ingests them).  Reads
BioASQ from ``../shared`` (evaluation only: neither evidex nor its tests read
it).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_BIOASQ = REPO.parent / "shared" / "data" / "eval" / "bioasq" / "bioasq_taskb_7b-10b.jsonl"
K = 10


@dataclass
class BioASQ:
    ids: list[str]
    queries: list[str]
    relevant: list[set[str]]  # "pmid:N" of gold PMIDs that have a pseudo-document
    gold: list[set[str]]  # "pmid:N" of every gold PMID
    doc_ids: list[str]
    doc_texts: list[str]

    @property
    def dev(self) -> np.ndarray:
        """Half the questions, chosen by a hash of the question id, for tuning; the rest are held out."""
        return np.array([int(hashlib.sha256(i.encode()).hexdigest(), 16) % 2 == 0 for i in self.ids])


def pmid(reference: str) -> str:
    """BioASQ names documents by PubMed URL or bare PMID; keep the PMID."""
    return reference.rstrip("/").rsplit("/", 1)[-1]


def load_bioasq(path: Path = DEFAULT_BIOASQ, limit: int | None = None, scorable_only: bool = True) -> BioASQ:
    """The first ``limit`` questions; with ``scorable_only`` only those with a relevant pseudo-document."""
    # Not str.splitlines(): snippet texts hold U+2028, which it would split on.
    with Path(path).open(encoding="utf-8") as lines:
        questions = [json.loads(line) for line in lines if line.strip()][:limit]
    snippets: dict[str, list[str]] = {}
    for question in questions:
        for snippet in question["snippets"]:
            texts = snippets.setdefault(pmid(snippet.get("pmid") or snippet["document"]), [])
            if snippet["text"] not in texts:
                texts.append(snippet["text"])
    bench = BioASQ([], [], [], [], [f"pmid:{p}" for p in snippets], [" ".join(t) for t in snippets.values()])
    for question in questions:
        gold = {f"pmid:{pmid(d)}" for d in question["documents"]}
        relevant = {d for d in gold if d.removeprefix("pmid:") in snippets}
        if relevant or not scorable_only:  # a question whose gold documents have no snippet cannot be scored
            bench.ids.append(question["id"])
            bench.queries.append(question["body"])
            bench.relevant.append(relevant)
            bench.gold.append(gold)
    return bench


def ndcg_at_k(ranked: list[str], relevant: set[str], ideal_hits: int | None = None, k: int = K) -> float:
    """Binary-relevance nDCG@k; ``ideal_hits``: how many relevant documents an ideal ranking shows
    (default: all of ``relevant``)."""
    dcg = sum(1 / math.log2(rank + 2) for rank, doc in enumerate(ranked[:k]) if doc in relevant)
    ideal_hits = len(relevant) if ideal_hits is None else ideal_hits
    ideal = sum(1 / math.log2(rank + 2) for rank in range(min(k, ideal_hits)))
    return dcg / ideal if ideal else 0.0


def ap_at_k(ranked: list[str], relevant: set[str], k: int = K) -> float:
    hits, total = 0, 0.0
    for rank, doc in enumerate(ranked[:k], start=1):
        if doc in relevant:
            hits += 1
            total += hits / rank
    return total / min(k, len(relevant)) if relevant else 0.0


def recall_at(ranked: list[str], relevant: set[str], depth: int = 100) -> float:
    return len(set(ranked[:depth]) & relevant) / len(relevant) if relevant else 0.0
