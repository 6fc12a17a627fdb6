"""Rebuild ``src/evidex/data/rerank_model.json``, the weights of the search reranker (:mod:`evidex.search.rerank`).

    .venv/bin/python scripts/train_reranker.py [--workdir DIR]

Trains only on the built-in corpus that evidex ships (``src/evidex/data/corpus``);
no benchmark data is read.  Questions and the document each belongs to:

* PubMedQA: the title of each abstract whose ``pubmedqa_split`` is "test"
  (the 500 "train_dev" abstracts are the evaluation set of
  ``benchmarks/ask.py``: they are left out of the index altogether);
* PubMedRS-200: each review's title.

Every other built-in guideline and PubMed document is indexed with its
passages as evidex stores them and its title hidden (the questions above are
those titles, and a model that learnt "the question is the title" would learn
nothing that transfers).  MedQuAD's consumer pages are left out of the index:
they are three quarters of the built-in passages, hence of the embedding time
(e5 embeds about 6 passages a second on two cores), none of them is a
question's document, and when MedQuAD's own questions were added to the
training questions (with MiniLM embeddings) the model ranked BioASQ worse.  Each question is
searched with evidex's own search (reranker features on, order unchanged);
every candidate passage is labelled by whether it belongs to the question's
document, and a logistic regression is fitted on all candidates.  Building
and embedding the index (8,434 passages) takes 10-20 minutes;
``--workdir`` keeps it.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from evidex.corpus import Corpus
from evidex.evidence.builtin import builtin_files, data_path
from evidex.evidence.documents import Document
from evidex.evidence.sources import READERS
from evidex.search.rerank import MODEL_FILE, Reranker, fit
from evidex.search.retrieve import Searcher
from evidex.settings import SearchSettings, Settings

ROOT = Path(__file__).resolve().parent.parent
HIDDEN_TITLE = "Untitled"
SOURCES = ("pubmedqa", "pubmedrs")
LEFT_OUT = ("medquad",)  # built-in files whose documents the training index leaves out
# Chosen on BioASQ dev by benchmarks/rerank_transfer.py (greedy: add or drop one ScoreParts field at a time).
FEATURES = ("dense_score", "expansion_score", "coverage", "idf_coverage", "idf_coverage_below_best")
L2 = 1.0
SEARCH_DEPTH = 1000  # more than the candidates of any search: every fused candidate is returned


@dataclass
class Question:
    text: str
    source: str  # one of SOURCES
    documents: set[str]  # ids of the documents it belongs to


def pubmedqa_held_out() -> set[str]:
    """PMIDs of the PubMedQA abstracts whose questions ``benchmarks/ask.py`` evaluates (split "train_dev")."""
    path = data_path("corpus/pubmed/pubmedqa_pqal_abstracts.jsonl")
    with path.open(encoding="utf-8") as lines:
        return {f"pmid:{r['pmid']}" for r in map(json.loads, lines) if r["pubmedqa_split"] != "test"}


def builtin_documents() -> Iterator[tuple[str, Document]]:
    """(source file name, document) for every readable built-in document."""
    for path, fmt in builtin_files():
        for record in READERS[fmt](path):
            if isinstance(record, Document):
                yield path.name, record


def training_data() -> tuple[list[dict], list[Question]]:
    """Generic JSONL records of the index (the built-in documents but MedQuAD's, their passages as evidex
    stores them, titles hidden) and the training questions."""
    held_out = pubmedqa_held_out()
    records = []
    asked: dict[str, Question] = {}  # question folded -> the question
    for file_name, document in builtin_documents():
        if document.id in held_out or file_name.startswith(LEFT_OUT):
            continue
        passages = [{"label": p.label, "text": p.text} for p in document.passages]
        records.append({"id": document.id, "title": HIDDEN_TITLE, "passages": passages, "kind": document.kind.value})
        source = next((s for s in SOURCES if file_name.startswith(s)), None)
        if source:
            asked.setdefault(document.title.casefold(), Question(document.title, source, set())).documents.add(document.id)
    return records, list(asked.values())


def build_index(data_dir: Path, records: list[dict]) -> None:
    """Ingest and embed ``records`` into ``data_dir`` unless an index of the same records is there."""
    marker = data_dir / "training-index.json"
    size = {"documents": len(records), "passages": sum(len(r["passages"]) for r in records)}
    if marker.exists():
        if json.loads(marker.read_text()).items() >= size.items():
            with Corpus.open(Settings(data_dir=data_dir, builtin_corpus=False)) as corpus:
                corpus.embed_passages()  # an index reused from another embedding model has none of this one's vectors
            return
        raise SystemExit(f"{data_dir} holds another training index; use another directory")
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "training-documents.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record) + "\n")
    started = time.perf_counter()
    with Corpus.open(Settings(data_dir=data_dir, builtin_corpus=False)) as corpus:
        corpus.ingest([path])
    marker.write_text(json.dumps(size | {"seconds": round(time.perf_counter() - started)}))


def feature_searcher(corpus: Corpus) -> Searcher:
    """evidex's default search with the reranker's features in every candidate's ScoreParts and no model."""
    return Searcher(corpus.store, corpus.vocabulary, corpus.embedder, SearchSettings(rerank=True), reranker=None)


def candidates(searcher: Searcher, query: str) -> tuple[list[str], list[dict]]:
    """Every fused candidate of ``query``, in evidex's order: (document ids, score parts)."""
    hits = searcher.search(query, top_k=SEARCH_DEPTH).hits
    return [h.document.id for h in hits], [asdict(h.parts) for h in hits]


def feature_rows(parts: list[dict], features=FEATURES) -> np.ndarray:
    """The reranker's input: one row per candidate, a missing value (a retriever that did not find it) as 0."""
    return np.array([[p[name] or 0.0 for name in features] for p in parts], dtype=np.float64).reshape(len(parts), len(features))


def collect(data_dir: Path, questions: list[Question]) -> list[dict]:
    """Per question: its source, its candidates' score parts and labels (1: the question's document)."""
    groups = []
    with Corpus.open(Settings(data_dir=data_dir, builtin_corpus=False)) as corpus:
        searcher = feature_searcher(corpus)
        for question in questions:
            doc_ids, parts = candidates(searcher, question.text)
            labels = np.array([d in question.documents for d in doc_ids], dtype=np.float64)
            groups.append({"source": question.source, "parts": parts, "labels": labels})
    return groups


def train(
    groups: list[dict], embedding_model: str, features=FEATURES, sources=SOURCES, l2: float = L2
) -> Reranker:
    chosen = [g for g in groups if g["source"] in sources and g["parts"]]
    rows = np.concatenate([feature_rows(g["parts"], features) for g in chosen])
    labels = np.concatenate([g["labels"] for g in chosen])
    counts = {s: sum(g["source"] == s for g in chosen) for s in sources}
    trained_on = (
        "scripts/train_reranker.py on the built-in corpus only (titles hidden, MedQuAD pages left out): "
        + ", ".join(f"{n} {s} questions" for s, n in counts.items())
        + f"; {len(rows)} candidates, {int(labels.sum())} of them the question's document"
    )
    return fit(rows, labels, features, l2, trained_on, embedding_model)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, help="keep (and reuse) the training index here")
    parser.add_argument("--out", type=Path, default=ROOT / "src/evidex/data" / MODEL_FILE)
    args = parser.parse_args()
    records, questions = training_data()
    with tempfile.TemporaryDirectory(prefix="evidex-rerank-") as tmp:
        data_dir = args.workdir or Path(tmp)
        build_index(data_dir, records)
        groups = collect(data_dir, questions)
    model = train(groups, Settings().search.embedding_model)
    args.out.write_text(json.dumps(model.to_json(), indent=1) + "\n")
    print(model.trained_on)
    print("weights (standardised features):", dict(zip(model.features, np.round(model.weights, 3).tolist())))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
