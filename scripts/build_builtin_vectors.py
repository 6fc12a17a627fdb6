"""Embed every passage of the built-in corpus and ship the vectors in the package.

Run after changing the built-in corpus, its readers or the default embedding
model (all ~47,000 passages with e5-small-q4: about 90 minutes on two cores):

    .venv/bin/python scripts/build_builtin_vectors.py [--cache DIR]

Passages whose text the shipped file already holds keep their vector, so
adding a source embeds only its passages.  Each chunk of 1,024 passages is
saved in ``--cache`` (default ``build/builtin-vectors``) as soon as it is
embedded, under a hash of the model and the chunk's texts, so an interrupted
run picks up where it stopped.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from evidex.corpus import Corpus
from evidex.evidence.builtin import (
    VECTORS_FILE,
    ShippedVectors,
    builtin_files,
    data_path,
    passage_fingerprint,
    save_shipped_vectors,
)
from evidex.evidence.ingest import IngestReport, ingest_file
from evidex.search.retrieve import passage_text_for_embedding
from evidex.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 1024


def chunk_key(model: str, rows: list[tuple[int, str, str, str]]) -> str:
    """Names a chunk by what was embedded, so a changed corpus never reuses a stale chunk."""
    digest = hashlib.sha256(model.encode())
    for _, _, title, text in rows:
        digest.update(passage_fingerprint(title, text))
    return digest.hexdigest()[:24]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=ROOT / "build" / "builtin-vectors", help="chunks embedded so far")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, Corpus.open(Settings(data_dir=Path(tmp))) as corpus:
        for path, fmt in builtin_files():  # ingested without the shipped vectors: every passage is listed below
            ingest_file(corpus.store, path, fmt, IngestReport(), corpus.settings.ingest.batch_size)
        embedder = corpus.embedder
        rows = corpus.store.passages_without_vectors(embedder.name, 10**9)
        shipped = ShippedVectors.load(embedder.name)
        known = shipped.lookup(rows) if shipped else {}
        started, computed = time.perf_counter(), 0
        chunks = []
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            saved = args.cache / f"{chunk_key(embedder.name, chunk)}.npy"
            if saved.is_file():
                chunks.append(np.load(saved))
                continue
            missing = [row for row in chunk if row[0] not in known]
            if missing:
                embedded = embedder.embed([passage_text_for_embedding(t, x) for _, _, t, x in missing])
                known.update((row[0], vector) for row, vector in zip(missing, embedded))
            vectors = np.vstack([known[row[0]] for row in chunk]).astype(np.float32)
            partial = saved.with_suffix(".partial")
            with partial.open("wb") as out:
                np.save(out, vectors)
            os.replace(partial, saved)  # a run killed while writing leaves no truncated chunk behind
            chunks.append(vectors)
            computed += len(missing)
            print(f"{start + len(chunk):,}/{len(rows):,} passages", flush=True)
        seconds = time.perf_counter() - started
        target = data_path(VECTORS_FILE)
        save_shipped_vectors(target, embedder.name, [(r[1], r[2], r[3]) for r in rows], np.vstack(chunks))
        rate = f" ({computed / seconds:.1f}/s)" if computed else ""
        print(f"{len(rows):,} passages, {computed:,} embedded now in {seconds:.0f} s{rate} -> {target}")


if __name__ == "__main__":
    main()
