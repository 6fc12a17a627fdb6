"""Evidence at PubMed scale: search latency on SQLite and PostgreSQL, and what ingesting and embedding
the whole PubMed baseline on a Ray cluster would take.

Run from the repository root (the 1M part takes hours and ~20 GB under --work; run it once, niced):

    .venv/bin/python benchmarks/scale.py [--docs 100000 1000000] [--stores sqlite,postgresql]
                                         [--parts search,ray] [--queries 100] [--work DIR] [--limit N]
                                         [--json FILE]

1. **Search** (``--parts search``), for each ``--docs`` size and store: a synthetic corpus of
   documents of ~1,500 characters of sentences drawn from the built-in corpus's professional
   documents, a random evidence kind and year (as ``benchmarks/retrieval.py`` part 3), one passage
   each, written with the store's own batch write (``apply``, 2,000 documents a transaction; no
   parsing, which ``benchmarks/ingest.py`` measures), and a random unit vector per passage under
   the search model's name (quality is meaningless, cost is real).  PostgreSQL (16, pgvector
   0.6, from the ``pgserver`` package, ``shared_buffers`` 2 GB, ``work_mem`` 64 MB) builds its
   HNSW index before the first search.  Then ``--queries`` PubMedQA questions (or, without the
   evaluation set, the questions of ``tests/test_postgres.py``) are searched with the default
   settings (query vectors not cached): wall time per search, p50 / p95, and where it goes:
   embedding the question (e5), words (the store's BM25 for the question's words and for its
   synonyms), meaning (nearest passages and every candidate's cosine), and fetching the
   candidates' passages and documents (the reranker reads their text, the results need them).
2. **Ray** (``--parts ray``): synthetic PubMed XML (the fixture record of ``tests/data`` with new
   PMIDs, as ``benchmarks/ingest.py`` makes it) ingested with ``Corpus.ingest(ray="local")``
   into PostgreSQL: read and classified by Ray tasks, written by one process, then embedded by
   Ray actors, each batch timed inside its actor (embedding + saving).  From those per-batch
   figures: passages per second per core for e5 and MiniLM, and the core-hours and cost of
   embedding the baseline (assumptions printed with the figures).

Reads the PubMedQA questions from ../shared/data/eval (benchmarks only).  Timings are wall-clock on
a shared machine: the load average is printed with each.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from evidex.corpus import Corpus
from evidex.evidence.documents import Document, EvidenceKind, Passage
from evidex.evidence.store import Changes
from evidex.settings import SearchSettings, Settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import generate  # noqa: E402
from measure import EVAL_DIR, evaluation_set, machine, percentile  # noqa: E402
from retrieval import builtin_sentences, pseudo_title  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BATCH = 2000
VECTOR_BATCH = 20_000
# Assumptions of the baseline estimate (NLM's 2026 baseline: ~1,200 files of ~30,000 records).
BASELINE_RECORDS = 36_000_000
BASELINE_FILES = 1_200
ABSTRACT_SHARE = 0.70  # records with an abstract; the others are a title: one passage
PRICE_PER_CORE_HOUR = 0.0425  # USD: an on-demand compute-optimised cloud vCPU (e.g. c6i.xlarge: 4 vCPU, 0.17 $/h)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


def queries(limit: int | None, given: Path | None) -> list[str]:
    path = evaluation_set(given, EVAL_DIR / "pubmedqa" / "pqal_train_dev.json", "--pubmedqa")
    if path is None:
        sys.path.insert(0, str(ROOT))
        from tests.test_postgres import PARITY_QUERIES

        found = list(PARITY_QUERIES)
    else:
        found = [q["QUESTION"] for q in json.loads(path.read_text()).values()]
    return found[: limit or len(found)]


# --------------------------------------------------------------------------- part 1: search


def postgres_server(work: Path):
    import pgserver

    server = pgserver.get_server(work / "pg", cleanup_mode="stop")
    if server.psql("SHOW shared_buffers;").split()[2] != "2GB":
        server.psql("ALTER SYSTEM SET shared_buffers = '2GB';")
        server.psql("ALTER SYSTEM SET work_mem = '64MB';")
        server.psql("ALTER SYSTEM SET maintenance_work_mem = '3GB';")  # the HNSW graph of 1M vectors in memory
        server.cleanup()
        server = pgserver.get_server(work / "pg", cleanup_mode="stop")
    return server


def synthetic_documents(sentences: list[str], count: int, seed: int = 0):
    rng = random.Random(seed)
    kinds = [k for k in EvidenceKind if k is not EvidenceKind.CONSUMER]
    for n in range(count):
        parts, size = [], 0
        while size < 1500:
            sentence = rng.choice(sentences)
            parts.append(sentence)
            size += len(sentence) + 1
        yield Document(
            id=f"synthetic:{n}", source="user", title=pseudo_title(rng.choice(sentences), 120),
            passages=[Passage(label="TEXT", text=" ".join(parts))], kind=rng.choice(kinds), year=rng.randint(1985, 2025),
        )


def build(settings: Settings, sentences: list[str], count: int) -> dict:
    """The synthetic corpus in ``settings``' store, unless it is there already: seconds and size."""
    with Corpus.open(settings) as corpus:
        store = corpus.store
        if store.get_meta("synthetic_documents") == str(count):
            return {"reused": True, "mb": round(corpus.stats().size_bytes / 1e6)}
        started, load_before = time.perf_counter(), load()
        batch: dict[str, Document] = {}
        for n, document in enumerate(synthetic_documents(sentences, count), start=1):
            batch[document.id] = document
            if len(batch) >= BATCH:
                store.apply(Changes(documents=batch))
                batch = {}
            if n % 100_000 == 0:
                print(f"  {n:,} documents ({time.perf_counter() - started:.0f} s, {load()})", flush=True)
        store.apply(Changes(documents=batch))
        documents_s = time.perf_counter() - started
        rng = np.random.default_rng(0)
        model, dim = corpus.embedder.name, corpus.embedder.dim
        while rows := store.passages_without_vectors(model, VECTOR_BATCH):
            vectors = rng.standard_normal((len(rows), dim)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            store.save_vectors(model, zip((r[0] for r in rows), vectors))
        vectors_s = time.perf_counter() - started - documents_s
        index_s = 0.0
        if store.searches_vectors:
            before = time.perf_counter()
            store.build_vector_index(model, dim)
            index_s = time.perf_counter() - before
        with store.transaction():
            store.set_meta("synthetic_documents", str(count))
        mb = corpus.stats().size_bytes / 1e6
    figures = {"documents_s": round(documents_s), "vectors_s": round(vectors_s), "index_s": round(index_s),
               "mb": round(mb), "load": f"{load_before} -> {load()}"}
    print(f"  built in {documents_s:.0f} s (documents) + {vectors_s:.0f} s (vectors) + {index_s:.0f} s (HNSW index),"
          f" {mb:,.0f} MB [{figures['load']}]", flush=True)
    return figures


class Parts:
    """Wall time spent in each part of a search, per search."""

    def __init__(self) -> None:
        self.current: dict[str, float] = defaultdict(float)

    def wrap(self, owner, name: str, part: str) -> None:
        method = getattr(owner, name)

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.current[part] += (time.perf_counter() - started) * 1e3

        setattr(owner, name, timed)

    def take(self) -> dict[str, float]:
        taken, self.current = dict(self.current), defaultdict(float)
        return taken


def measure_search(settings: Settings, texts: list[str]) -> dict:
    with Corpus.open(settings) as corpus:
        searcher = corpus.searcher
        parts = Parts()
        parts.wrap(searcher.dense.encoder, "embed_query", "question vector")
        parts.wrap(corpus.store, "lexical_search", "words")
        parts.wrap(corpus.store, "passages", "passages")
        parts.wrap(searcher.dense, "search", "meaning")
        parts.wrap(searcher.dense, "similarities", "meaning")
        for text in texts[:10]:  # warm: models, caches, the dense index's first load
            corpus.search(text)
        parts.take()
        load_before = load()
        totals, breakdown = [], defaultdict(list)
        for text in texts:
            started = time.perf_counter()
            corpus.search(text)
            totals.append((time.perf_counter() - started) * 1e3)
            for name, ms in parts.take().items():
                breakdown[name].append(ms)
    row = {"p50_ms": round(percentile(totals, 0.5)), "p95_ms": round(percentile(totals, 0.95)),
           "load": f"{load_before} -> {load()}"}
    for name, values in breakdown.items():
        row[name] = {"p50_ms": round(percentile(values, 0.5), 1), "p95_ms": round(percentile(values, 0.95), 1)}
    parts_text = ", ".join(f"{n} {v['p50_ms']:.0f}/{v['p95_ms']:.0f}" for n, v in row.items() if isinstance(v, dict))
    print(f"  search p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms over {len(texts)} questions;"
          f" p50/p95 ms: {parts_text} [{row['load']}]", flush=True)
    return row


def part_search(args, results: dict) -> None:
    texts = queries(args.queries, args.pubmedqa)
    builtin = args.work / "builtin"
    sentences = builtin_sentences(builtin)
    server = postgres_server(args.work) if "postgresql" in args.stores else None
    search = SearchSettings(query_cache=0)
    for count in args.docs:
        for store in args.stores:
            print(f"\n== {count:,} synthetic documents on {store} ==", flush=True)
            if store == "sqlite":
                settings = Settings(data_dir=args.work / f"sqlite-{count}", builtin_corpus=False, search=search)
            else:
                name = f"synthetic_{count}"
                if name not in server.psql("SELECT datname FROM pg_database;").split():
                    server.psql(f"CREATE DATABASE {name};")
                settings = Settings(data_dir=args.work / f"pg-{count}", builtin_corpus=False, search=search,
                                    database_url=server.get_uri(name))
            built = build(settings, sentences, count)
            results.setdefault("search", {}).setdefault(str(count), {})[store] = {"build": built, **measure_search(settings, texts)}
            if not args.keep:
                if store == "sqlite":
                    shutil.rmtree(settings.data_dir, ignore_errors=True)
                else:
                    server.psql(f"DROP DATABASE synthetic_{count};")


# --------------------------------------------------------------------------- part 2: Ray


def part_ray(args, results: dict) -> None:
    import pgserver

    server = pgserver.get_server(args.work / "pg-ray", cleanup_mode="stop")
    records = args.limit if args.limit else args.ray_records
    files = []
    for n in range(4):
        path = args.work / f"ray-{records}-file{n}.xml.gz"
        if not path.exists():
            generate(path, records, first=60_000_000 + n * records)
        files.append(path)
    import ray

    from evidex.evidence.distributed import connect

    connect("local")
    figures = {}
    for model in ("e5-small-q4", "minilm-l6-onnx-int8"):
        print(f"\n== Ray (local, {int(ray.cluster_resources()['CPU'])} cores): {len(files)} files of {records:,} PubMed records, {model} ==", flush=True)
        name = "ray_" + model.replace("-", "_")
        server.psql(f"DROP DATABASE IF EXISTS {name};")
        server.psql(f"CREATE DATABASE {name};")
        settings = Settings(data_dir=args.work / name, builtin_corpus=False, database_url=server.get_uri(name),
                            search=SearchSettings(embedding_model=model))
        with Corpus.open(settings) as corpus:
            load_before = load()
            started = time.perf_counter()
            report = corpus.ingest(files, embed=False, ray="local")
            ingest_s = time.perf_counter() - started
            run = corpus.embed_on_ray("local")
            stats = corpus.stats()
        per_actor = run.passages_per_actor_second
        per_core = per_actor / run.threads_per_actor
        batches = sorted(size / seconds for size, seconds in zip(run.batch_sizes, run.batch_seconds))
        figures[model] = {
            "records": report.inserted, "passages": stats.passages, "ingest_s": round(ingest_s, 1),
            "records_per_s": round(report.inserted / ingest_s), "embed_s": round(run.seconds, 1),
            "actors": run.actors, "threads_per_actor": run.threads_per_actor, "batches": len(run.batch_sizes),
            "batch_passages_per_s_median": round(statistics.median(batches), 1),
            "passages_per_core_s": round(per_core, 2), "load": f"{load_before} -> {load()}",
        }
        print(f"  ingest {report.inserted:,} records in {ingest_s:.1f} s ({report.inserted / ingest_s:,.0f} records/s,"
              f" Ray's start included); {stats.passages:,} passages embedded in {run.seconds:.0f} s by {run.actors} actor(s)"
              f" x {run.threads_per_actor} cores: {per_actor:.1f} passages/s per actor, {per_core:.2f} per core"
              f" ({len(batches)} batches of {run.batch_sizes[0] if run.batch_sizes else 0}; median batch"
              f" {figures[model]['batch_passages_per_s_median']} passages/s) [{figures[model]['load']}]", flush=True)
    ray.shutdown()
    server.cleanup()
    passages_per_record = figures["e5-small-q4"]["passages"] / figures["e5-small-q4"]["records"]
    passages = BASELINE_RECORDS * (ABSTRACT_SHARE * passages_per_record + (1 - ABSTRACT_SHARE))
    print(f"\n== The PubMed baseline: {BASELINE_RECORDS / 1e6:.0f} M records in ~{BASELINE_FILES:,} files ==")
    print(f"  assumptions: {ABSTRACT_SHARE:.0%} of records have an abstract, split into {passages_per_record:.1f} passages"
          f" as the fixture record is; the others are a title (one passage): {passages / 1e6:.0f} M passages;"
          f" {PRICE_PER_CORE_HOUR} $ per core-hour; throughput per core as measured here (a cluster's cores"
          f" are rarely slower, but this machine was shared)")
    estimate = {"passages": round(passages)}
    for model, row in figures.items():
        core_hours = passages / row["passages_per_core_s"] / 3600
        estimate[model] = {"core_hours": round(core_hours), "usd": round(core_hours * PRICE_PER_CORE_HOUR),
                           "hours_on_256_cores": round(core_hours / 256, 1)}
        print(f"  {model}: {core_hours:,.0f} core-hours, about {core_hours * PRICE_PER_CORE_HOUR:,.0f} $;"
              f" {core_hours / 256:,.1f} h on 256 cores (64 actors of 4)")
    results["ray"] = {"figures": figures, "baseline": estimate}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, nargs="+", default=[100_000], help="synthetic corpus sizes")
    parser.add_argument("--stores", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--parts", default="search,ray", help="comma-separated: search, ray")
    parser.add_argument("--pubmedqa", type=Path, help="PubMedQA's pqal_train_dev.json (default: in ../shared/data/eval)")
    parser.add_argument("--queries", type=int, default=100, help="PubMedQA questions searched per corpus")
    parser.add_argument("--ray-records", type=int, default=2000, help="PubMed records in each of the 4 Ray files")
    parser.add_argument("--work", type=Path, help="where corpora and servers live (default: /tmp/evidex-scale;"
                        " with --limit a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the synthetic corpora for another run")
    parser.add_argument("--limit", type=int, help="a smoke run: N x 100 documents, N questions, N records a file")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    args.stores = args.stores.split(",")
    if args.limit:
        args.docs, args.queries = [100 * args.limit], args.limit
    temporary = args.work is None and args.limit
    args.work = Path(tempfile.mkdtemp(prefix="evidex-scale-")) if temporary else args.work or Path("/tmp/evidex-scale")
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"Machine: {machine()}; {load()}", flush=True)
    results: dict = {}
    parts = args.parts.split(",")
    try:
        if "search" in parts:
            part_search(args, results)
        if "ray" in parts:
            part_ray(args, results)
    finally:
        if temporary:
            shutil.rmtree(args.work, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
