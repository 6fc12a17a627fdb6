"""Ingest throughput and peak memory: synthetic PubMed XML and the built-in corpus.

Run: .venv/bin/python benchmarks/ingest.py [--records 100000] [--small 10000] [--abstracts 50000] [--repeat 3]
                                            [--out-dir DIR] [--skip-embedding] [--skip-builtin] [--no-reader-process] [--json FILE]

What it measures
----------------
* PubMed XML: ``tests/data/pubmed-29768149.xml`` (one NEJM record, 21.5 kB of
  XML: structured abstract, 10 authors with affiliations, 23 MeSH headings)
  is replicated into a gzipped ``PubmedArticleSet`` of ``--small`` and of
  ``--records`` records, each with a new PMID (50000000 + n) and its number
  appended to the title, so every record is a new document with its own
  content hash.  The same for ``--abstracts`` records nearer a typical PubMed
  record (3.8 kB of XML): the 1,209 PubMed abstracts of the built-in corpus
  written as PubMed XML (title, journal, year, labelled abstract sections,
  authors, publication types, MeSH headings), repeated in turn with new PMIDs.
  Each file is ingested into a fresh data directory through the
  public API, ``Corpus.open(Settings(data_dir=..., builtin_corpus=False)).ingest([file])``:
  parse, classify, store (documents, passages, FTS5 index), committed in
  batches of ``settings.ingest.batch_size``.
* Built-in corpus: ``Corpus.ensure_builtin()`` into a fresh data directory.

Every run is a separate process, so its peak RSS (``ru_maxrss``, which counts
lxml's and SQLite's C allocations that tracemalloc cannot see) is its own;
ingesting the small and the large file shows whether memory grows with the
file.  The reader process that parses and classifies large files is measured
separately (``RUSAGE_CHILDREN``).  "Store-end" is the time of the last
committed batch (the progress callback), "total" is until ``ingest()``
returned: they differ only if ``Corpus.ingest`` does more than parse + store
(it embeds the new passages; ``--skip-embedding`` stubs that step out, for
a quick run of the ingest step alone; ``--no-reader-process`` reads every
file in the ingesting process, for comparison).  CPU is user + system time
of the ingesting process and its reader process, per record: on a loaded
machine wall time depends on what else runs, CPU per record much less.  The
reader process's start-up (its imports) is a fixed cost per file, measured on
its own by reading a one-record file through a reader process, so the
reader's CPU per record is also given without it.  The best of ``--repeat``
runs (by wall time) is reported, with every run listed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "data" / "pubmed-29768149.xml"
FIXTURE_PMID = "29768149"
FIXTURE_TITLE_END = "as Needed in Mild Asthma."
FIRST_PMID = 50_000_000
sys.path.insert(0, str(ROOT / "scripts"))


# --------------------------------------------------------------------------- synthetic PubMed XML


def split_fixture() -> tuple[str, str, str]:
    """The fixture's text before its record, the record, and the text after it."""
    text = FIXTURE.read_text(encoding="utf-8")
    start = text.index("<PubmedArticle>")
    end = text.index("</PubmedArticle>") + len("</PubmedArticle>")
    return text[:start], text[start:end], text[end:]


def abstract_records(work_dir: Path) -> tuple[str, list[tuple[str, str]], str]:
    """The bundled PubMed abstracts written as PubMed XML (as ``scripts/classification_snapshot.py``
    writes them): the text before the records, each record with its PMID, the text after them."""
    from classification_snapshot import as_pubmed_xml

    from evidex.evidence.builtin import builtin_files
    from evidex.evidence.sources import read_source

    documents = [record for path, fmt in builtin_files() if fmt == "pubmed-jsonl" for record in read_source(path, fmt)]
    text = as_pubmed_xml(documents, work_dir / "bundled-pubmed.xml").read_text(encoding="utf-8")
    records = re.findall(r"<PubmedArticle>.*?</PubmedArticle>", text, re.DOTALL)
    pmids = [record.split("<PMID>", 1)[1].split("</PMID>", 1)[0] for record in records]
    start, end = text.index(records[0]), text.rindex(records[-1]) + len(records[-1])
    return text[:start], list(zip(pmids, records)), text[end:]


def record_kb(kind: str, work_dir: Path) -> float:
    """Mean size of the replicated records' XML (typical PubMed records are a few kB)."""
    _, records, _ = templates(kind, work_dir)
    return sum(len(record.encode()) for _, record in records) / len(records) / 1e3


def templates(kind: str, work_dir: Path) -> tuple[str, list[tuple[str, str]], str]:
    """``kind`` "nejm": the one 21.5 kB fixture record; "abstracts": the 1,209 bundled abstracts."""
    if kind == "abstracts":
        return abstract_records(work_dir)
    head, record, tail = split_fixture()
    assert record.count(f">{FIXTURE_PMID}<") == 2 and record.count(FIXTURE_TITLE_END) == 1
    return head, [(FIXTURE_PMID, record)], tail


def generate(path: Path, records: int, first: int = FIRST_PMID, kind: str = "nejm") -> None:
    """Write ``records`` copies of the ``kind`` template records, in turn, with new PMIDs (from
    ``first``); copies of the fixture also get their number in the title."""
    head, samples, tail = templates(kind, path.parent)
    partial = path.with_name(path.name + ".part")
    with gzip.open(partial, "wt", encoding="utf-8", compresslevel=1) as out:
        out.write(head)
        for n in range(records):
            pmid, record = samples[n % len(samples)]
            record = record.replace(f">{pmid}<", f">{first + n}<")
            if kind == "nejm":
                record = record.replace(FIXTURE_TITLE_END, f"as Needed in Mild Asthma (record {n}).")
            out.write(record)
            out.write("\n\t")
        out.write(tail)
    partial.rename(path)


def pubmed_file(out_dir: Path, records: int, kind: str = "nejm") -> Path:
    path = out_dir / f"pubmed-synthetic-{kind}-{records}.xml.gz"
    if not path.exists():
        started = time.perf_counter()
        generate(path, records, kind=kind)
        print(
            f"generated {path} ({records:,} records, {path.stat().st_size / 1e6:.1f} MB gzipped)"
            f" in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
    return path


# --------------------------------------------------------------------------- one measured run (child process)


def rss_now_kb() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def run_child(kind: str, data_dir: Path, file: Path | None, skip_embedding: bool, reader: str) -> dict:
    """Ingest into ``data_dir`` in this process and return the measurements.

    ``reader``: "auto" (a reader process when the file is big enough), "never" or "always".
    """
    import evidex.evidence.ingest
    from evidex.corpus import Corpus
    from evidex.settings import Settings

    if reader != "auto":
        evidex.evidence.ingest.READER_PROCESS_MIN_BYTES = float("inf") if reader == "never" else 0

    corpus = Corpus.open(Settings(data_dir=data_dir, builtin_corpus=kind == "builtin"))
    if skip_embedding and hasattr(corpus, "embed_passages"):
        corpus.embed_passages = lambda *args, **kwargs: 0  # the step after parse + store
    rss_before = rss_now_kb()
    marks: list[tuple[float, int]] = []
    done = 0

    def progress(n: int) -> None:
        nonlocal done
        done += n
        marks.append((time.perf_counter(), done))

    load_before = os.getloadavg()[0]
    cpu0 = os.times()
    started = time.perf_counter()
    if kind == "builtin":
        report = corpus.ensure_builtin(progress=progress)
    else:
        report = corpus.ingest([file], progress=progress)
    finished = time.perf_counter()
    cpu1 = os.times()
    assert report is not None and not report.problems, report and report.problems[:3]
    stats = corpus.stats()
    corpus.close()
    database = Path(stats.database)
    wal = database.with_name(database.name + "-wal")
    self_usage = resource.getrusage(resource.RUSAGE_SELF)
    child_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    # Batches report their records; anything reported after the last stored
    # record (e.g. embedding progress) is not parse + store.
    marks = marks[: next((i + 1 for i, (_, count) in enumerate(marks) if count >= report.stored), len(marks))]
    store_end = marks[-1][0] if marks else finished
    # Throughput over each tenth of the run, to show it does not fall as the database grows.
    deciles = []
    previous = (started, 0)
    for when, count in marks:
        if count - previous[1] >= max(1, report.stored // 10) or (when, count) == marks[-1]:
            deciles.append(round((count - previous[1]) / max(when - previous[0], 1e-9)))
            previous = (when, count)
    return {
        "kind": kind,
        "records": report.stored,
        "summary": report.summary(),
        "wall_s": finished - started,
        "store_end_s": store_end - started,
        "cpu_self_s": (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system),
        "cpu_reader_s": (cpu1.children_user - cpu0.children_user) + (cpu1.children_system - cpu0.children_system),
        "rss_before_mb": rss_before / 1024,
        "peak_rss_mb": self_usage.ru_maxrss / 1024,
        "peak_rss_reader_mb": child_usage.ru_maxrss / 1024,
        "db_bytes": database.stat().st_size,
        "wal_bytes": wal.stat().st_size if wal.exists() else 0,
        "documents": stats.documents,
        "passages": stats.passages,
        "deciles_rps": deciles,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
    }


def measure(kind: str, out_dir: Path, file: Path | None, options: list[str]) -> dict:
    """One run in a fresh process and a fresh data directory."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"data-{kind}-", dir=out_dir))
    command = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--data-dir", str(data_dir)]
    if file is not None:
        command += ["--file", str(file)]
    command += options
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDEX_")}
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise SystemExit(f"run failed ({' '.join(command)}):\n{result.stderr}")
        return json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


# --------------------------------------------------------------------------- report


def machine() -> list[str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    from lxml import etree

    lxml_version = ".".join(map(str, etree.LXML_VERSION[:3]))
    libxml_version = ".".join(map(str, etree.LIBXML_VERSION))
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return [
        f"CPU: {model}, {os.cpu_count()} cores ({usable} usable), {memory:.0f} GiB RAM",
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, lxml {lxml_version}"
        f" (libxml2 {libxml_version}), {platform.system()} {platform.release()}",
    ]


def cpu_per_record(run: dict) -> float:
    return (run["cpu_self_s"] + run["cpu_reader_s"]) / run["records"] * 1e6


def describe(label: str, runs: list[dict], reader_startup_s: float | None) -> None:
    best = min(runs, key=lambda r: r["wall_s"])
    n = best["records"]
    cpu = best["cpu_self_s"] + best["cpu_reader_s"]
    steady = ""
    if reader_startup_s is not None and best["cpu_reader_s"] > 0:
        steady = f", {(best['cpu_reader_s'] - reader_startup_s) / n * 1e6:,.0f} without its start-up"
    print(f"\n{label}: best of {len(runs)}")
    print(f"  {best['summary']}; {best['documents']:,} documents, {best['passages']:,} passages")
    print(
        f"  parse+store: {n / best['store_end_s']:,.0f} records/s ({best['store_end_s']:.1f} s)"
        f" | total ingest() call: {n / best['wall_s']:,.0f} records/s ({best['wall_s']:.1f} s)"
    )
    print(
        f"  CPU: {cpu / n * 1e6:,.0f} µs/record (ingesting process {best['cpu_self_s'] / n * 1e6:,.0f},"
        f" reader process {best['cpu_reader_s'] / n * 1e6:,.0f}{steady})"
    )
    print(
        f"  peak RSS: {best['peak_rss_mb']:.0f} MB ingesting process (after imports and open:"
        f" {best['rss_before_mb']:.0f} MB), {best['peak_rss_reader_mb']:.0f} MB reader process"
    )
    print(
        f"  database: {best['db_bytes'] / 1e6:,.0f} MB ({best['db_bytes'] / max(n, 1) / 1e3:.1f} kB/record),"
        f" plus a {best['wal_bytes'] / 1e6:,.0f} MB write-ahead log"
    )
    print(f"  records/s over successive tenths of the run (whole batches): {best['deciles_rps']}")
    for run in runs:
        print(
            f"    run: {run['records'] / run['store_end_s']:,.0f} records/s parse+store,"
            f" {run['wall_s']:.1f} s, CPU {cpu_per_record(run):,.0f} µs/record"
            f" ({run['cpu_self_s'] / run['records'] * 1e6:,.0f} + {run['cpu_reader_s'] / run['records'] * 1e6:,.0f}),"
            f" peak RSS {run['peak_rss_mb']:.0f} + {run['peak_rss_reader_mb']:.0f} MB,"
            f" load average {run['load_before']:.2f} -> {run['load_after']:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000, help="records in the large PubMed XML file")
    parser.add_argument("--small", type=int, default=10_000, help="records in the small file (memory comparison)")
    parser.add_argument(
        "--abstracts",
        type=int,
        default=50_000,
        help="records in a file of the bundled PubMed abstracts (3.8 kB each, nearer a typical record); 0 skips it",
    )
    parser.add_argument(
        "--repeat", type=int, help="runs per measurement; the best is reported (default 3, 1 with --limit)"
    )
    parser.add_argument("--out-dir", type=Path, help="where generated files are kept (default: a temporary dir)")
    parser.add_argument("--skip-builtin", action="store_true", help="do not measure the built-in corpus")
    parser.add_argument(
        "--skip-embedding", action="store_true", help="stub out Corpus.embed_passages: time the ingest step alone"
    )
    parser.add_argument(
        "--no-reader-process", action="store_true", help="read every file in the ingesting process (comparison)"
    )
    parser.add_argument("--json", type=Path, help="also write every run's figures to this file")
    parser.add_argument(
        "--limit", type=int, help="N records in each PubMed file, no built-in corpus (a quick check)"
    )
    parser.add_argument("--child", choices=["pubmed", "builtin"], help=argparse.SUPPRESS)
    parser.add_argument("--reader", choices=["auto", "never", "always"], default="auto", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.limit:
        args.records, args.small, args.abstracts, args.skip_builtin = args.limit, args.limit, args.limit, True
    if args.repeat is None:
        args.repeat = 1 if args.limit else 3

    if args.child:
        reader = "never" if args.no_reader_process else args.reader
        result = run_child(args.child, args.data_dir, args.file, args.skip_embedding, reader)
        print(json.dumps(result))
        return

    out_dir = args.out_dir or Path(tempfile.mkdtemp(prefix="evidex-bench-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    print("evidex ingest benchmark")
    print("  command: " + " ".join([Path(sys.executable).name, *sys.argv]))
    for line in machine():
        print("  " + line)
    options = [
        flag
        for flag, chosen in (("--skip-embedding", args.skip_embedding), ("--no-reader-process", args.no_reader_process))
        if chosen
    ]
    if args.skip_embedding:
        print("  Corpus.embed_passages stubbed out (--skip-embedding)")
    if args.no_reader_process:
        print("  every file read in the ingesting process (--no-reader-process)")
    print(f"  load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)

    results: dict[str, list[dict]] = {}
    sizes = [("nejm", n) for n in sorted({args.small, args.records} - {0})]
    sizes += [("abstracts", args.abstracts)] if args.abstracts else []
    files = {(kind, n): pubmed_file(out_dir, n, kind) for kind, n in sizes}
    reader_startup_s = None
    if not args.no_reader_process:
        one_record = pubmed_file(out_dir, 1)
        forced = [*options, "--reader", "always"]
        reader_startup_s = min(
            measure("pubmed", out_dir, one_record, forced)["cpu_reader_s"] for _ in range(args.repeat)
        )
        print(f"  reader process start-up (imports, one record read): {reader_startup_s:.2f} s CPU", flush=True)
    for kind, n in sizes:
        what = "the fixture record" if kind == "nejm" else "the bundled abstracts"
        label = (
            f"PubMed XML, {n:,} records of {record_kb(kind, out_dir):.1f} kB ({what};"
            f" {files[kind, n].stat().st_size / 1e6:,.0f} MB gzipped)"
        )
        results[label] = []
        for _ in range(args.repeat):
            results[label].append(measure("pubmed", out_dir, files[kind, n], options))
            print(".", end="", flush=True)
    if not args.skip_builtin:
        label = "Built-in corpus (Corpus.ensure_builtin)"
        results[label] = []
        for _ in range(args.repeat):
            results[label].append(measure("builtin", out_dir, None, options))
            print(".", end="", flush=True)
    print()
    for label, runs in results.items():
        describe(label, runs, reader_startup_s if label.startswith("PubMed") else None)
    print(f"\n  load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        figures = {"machine": machine(), "reader_startup_cpu_s": reader_startup_s, "results": results}
        args.json.write_text(json.dumps(figures, indent=1))
    if args.out_dir is None:
        shutil.rmtree(out_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
