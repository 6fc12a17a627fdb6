"""Embed every passage of the built-in corpus and ship the vectors in the package.

Run after changing the built-in corpus, its readers or the default embedding
model (takes about ten minutes on two cores):

    .venv/bin/python scripts/build_builtin_vectors.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from evidex.builtin import VECTORS_FILE, data_path, save_shipped_vectors
from evidex.corpus import Corpus
from evidex.retrieve import passage_text_for_embedding
from evidex.settings import Settings


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, Corpus.open(Settings(data_dir=Path(tmp))) as corpus:
        corpus.ensure_builtin()
        rows = corpus.store.passages_without_vectors(corpus.embedder.name, 10**9)
        started = time.perf_counter()
        vectors = np.zeros((len(rows), 0), dtype=np.float32)
        chunks = []
        for start in range(0, len(rows), 2048):
            chunk = rows[start : start + 2048]
            chunks.append(corpus.embedder.embed([passage_text_for_embedding(t, x) for _, _, t, x in chunk]))
            print(f"{start + len(chunk):,}/{len(rows):,} passages", flush=True)
        vectors = np.vstack(chunks)
        seconds = time.perf_counter() - started
        target = data_path(VECTORS_FILE)
        save_shipped_vectors(target, corpus.embedder.name, [(r[1], r[2], r[3]) for r in rows], vectors)
        print(f"{len(rows):,} passages in {seconds:.0f} s ({len(rows) / seconds:.0f}/s) -> {target}")


if __name__ == "__main__":
    main()
