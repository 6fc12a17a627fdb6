"""Split every passage of the built-in corpus into sentences and ship the spans in the package.

Run after changing the built-in corpus, its readers or the sentence splitter
(``evidex.answer.appraise.SentenceSplitter``; about two minutes on two cores):

    .venv/bin/python scripts/build_builtin_sentences.py

The spans carry the splitter's stamp (pysbd's version and evidex's adjustments), so a
changed splitter never uses them: it splits at question time until this is run again.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

from rich.progress import Progress

from evidex.answer.appraise import SentenceSplitter, splitter_stamp
from evidex.corpus import Corpus
from evidex.evidence.builtin import (
    SENTENCES_FILE,
    builtin_files,
    data_path,
    save_shipped_sentences,
)
from evidex.evidence.ingest import IngestReport, ingest_file
from evidex.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=data_path(SENTENCES_FILE), help="where to write the spans")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, Corpus.open(Settings(data_dir=Path(tmp), builtin_corpus=False)) as corpus:
        for path, fmt in builtin_files():
            ingest_file(corpus.store, path, fmt, IngestReport(), corpus.settings.ingest.batch_size)
        texts = sorted({p.text for doc in corpus.store.iter_documents() for p in doc.passages})
    splitter = SentenceSplitter()
    split = []
    with Progress() as progress:
        task = progress.add_task("splitting passages", total=len(texts))
        for text in texts:
            split.append((text, splitter.split(text)))
            progress.advance(task)
    stamp = splitter_stamp()
    if not stamp:
        raise SystemExit("the splitter's source is not readable here, so the spans could not be stamped")
    save_shipped_sentences(args.out, stamp, split)
    sentences = sum(len(spans) for _, spans in split)
    print(f"{len(split)} passages, {sentences} sentences in {time.perf_counter() - started:.0f} s: {args.out} "
          f"({args.out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
