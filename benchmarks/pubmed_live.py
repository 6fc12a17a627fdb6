"""Live PubMed: time a question's PubMed round trips add, and time until the records it
fetched are searchable by meaning.

Run: nice -n 10 .venv/bin/python benchmarks/pubmed_live.py [--delay 0.4] [--records 20] [--runs 3]

Method.  A real HTTP server on 127.0.0.1 speaks the E-utilities protocol
(``tests/pubmed_servers.py``) and waits ``--delay`` seconds before each answer
(NCBI's esearch and efetch usually take a few hundred ms each).  It holds
``--records`` copies of the real record ``tests/data/pubmed-29768149.xml`` (new
PMIDs each run, so every run fetches and ingests them anew).  The corpus is the
built-in one in a fresh data directory.  For each run the same question is asked
without PubMed and then with it (warm process, query cache off, no LLM); the
difference is the time PubMed adds: one esearch (two when the strongest evidence is fewer than
``--records``) and one efetch round trip at
NCBI's pace (3 requests a second without a key), parsing and storing the records.
Then the server's background embedding (one core, newest passages first, as
``evidex serve`` runs it) embeds them, and the time until every fetched passage
has its vector is reported: until then they are found by words only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evidex.corpus import BackgroundEmbedding, Corpus  # noqa: E402
from evidex.settings import PubMedSettings, Settings  # noqa: E402
from tests.pubmed_servers import EutilsBehaviour, EutilsServer, record  # noqa: E402

QUESTION = "Is as-needed budesonide-formoterol effective for mild asthma?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--delay", type=float, default=0.4, help="seconds the server waits before each answer")
    parser.add_argument("--records", type=int, default=20, help="records PubMed returns (pubmed.max_records)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--limit", type=int, help="a quick run (CI smoke test): one run of at most 5 x N records")
    args = parser.parse_args()
    if args.limit:
        args.runs, args.records = 1, min(args.records, 5 * args.limit)
    print("evidex live PubMed benchmark")
    print(f"  load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    behaviour = EutilsBehaviour(delay_seconds=args.delay)
    with tempfile.TemporaryDirectory() as tmp, EutilsServer({}, behaviour) as server:
        pubmed = PubMedSettings(eutils_url=server.url, max_records=args.records, query_cache_days=0, email="bench@example.org")
        settings = Settings(data_dir=Path(tmp) / "data", pubmed=pubmed)
        with Corpus.open(settings) as corpus:
            started = time.perf_counter()
            corpus.prepare()
            corpus.ask(QUESTION)  # load the models
            print(f"  built-in corpus ready in {time.perf_counter() - started:.0f} s")
            plain, live, fetch, searchable = [], [], [], []
            for run in range(args.runs):
                server.records = {str(p): record(p) for p in range(90_000_000 + run * 1000, 90_000_000 + run * 1000 + args.records)}
                started = time.perf_counter()
                corpus.ask(QUESTION, pubmed=False)
                plain.append(time.perf_counter() - started)
                behaviour.requests.clear()
                started = time.perf_counter()
                answer = corpus.ask(QUESTION, pubmed=True)
                live.append(time.perf_counter() - started)
                search = answer.provenance.live_search
                assert search.error is None and search.fetched == args.records, search
                fetch.append(len(behaviour.requests))
                waiting = corpus.passages_to_embed()
                started = time.perf_counter()
                background = BackgroundEmbedding(settings, poll_seconds=0.2)
                while corpus.passages_to_embed():
                    time.sleep(0.2)
                searchable.append(time.perf_counter() - started)
                background.stop()
                print(
                    f"  run {run + 1}: ask {plain[-1] * 1000:.0f} ms without PubMed, {live[-1] * 1000:.0f} ms with it"
                    f" ({fetch[-1]} requests, {search.fetched} records fetched);"
                    f" {waiting} new passages embedded in the background in {searchable[-1]:.1f} s"
                )
    added = [b - a for a, b in zip(plain, live)]
    print(f"\nserver delay {args.delay:.2f} s per request, {args.records} records per question, median of {args.runs} runs:")
    print(f"  ask without PubMed: {statistics.median(plain) * 1000:.0f} ms; with PubMed: {statistics.median(live) * 1000:.0f} ms")
    print(f"  time PubMed adds: {statistics.median(added):.2f} s")
    print(f"  until the fetched records are searchable by meaning (background, one core): {statistics.median(searchable):.1f} s")
    print(f"  load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
