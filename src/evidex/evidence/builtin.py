"""The built-in corpus shipped inside the package (see data/SOURCES.md).

It is ingested into the data directory on first use.  A version stamp in the
store records which bundle was ingested, so an upgraded package re-ingests
(idempotently) instead of answering from a stale copy.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

import numpy as np

BUILTIN_FILES: list[tuple[str, str]] = [
    ("corpus/guidelines/ngc_us_gov_guideline_summaries.jsonl", "ngc"),
    ("corpus/guidelines/open_medicine_guideline_sections.jsonl", "open-medicine"),
    ("corpus/pubmed/pubmedrs200_review_abstracts.jsonl", "pubmed-jsonl"),
    ("corpus/pubmed/pubmedqa_pqal_abstracts.jsonl", "pubmed-jsonl"),
    ("corpus/consumer/medquad_qa.jsonl.gz", "medquad"),
    ("vocab/nci_dictionary_of_cancer_terms.json", "nci-dictionary"),  # also a vocabulary: one copy serves both
]

# Bump when readers or the classifier change what they store for these files.
READER_VERSION = "4"


def data_path(relative: str) -> Path:
    """Path of a file bundled under ``evidex/data``."""
    return Path(str(resources.files("evidex") / "data" / relative))


def builtin_files() -> list[tuple[Path, str]]:
    return [(data_path(relative), fmt) for relative, fmt in BUILTIN_FILES]


def builtin_version() -> str:
    """Stamp of the bundle: file names and sizes plus the reader version."""
    digest = hashlib.sha256(READER_VERSION.encode())
    for path, fmt in builtin_files():
        digest.update(f"{path.name}:{path.stat().st_size}:{fmt}".encode())
    return digest.hexdigest()[:12]


VECTORS_FILE = "builtin_vectors.npz"


def text_fingerprint(text: str) -> bytes:
    """8 bytes identifying a text, so shipped vectors and sentences are used only for the same text."""
    return hashlib.blake2b(text.encode(errors="surrogatepass"), digest_size=8).digest()


def passage_fingerprint(title: str, text: str) -> bytes:
    """The fingerprint of a passage's embedded text (its title and text)."""
    return text_fingerprint(f"{title}\n{text}")


class ShippedVectors:
    """Pre-computed int8 vectors of the built-in corpus's passages, for one model.

    Embedding the ~38,000 built-in passages with e5 takes over an hour on two
    cores; shipping them makes the first run take seconds.
    A vector is used only when the passage id, the text fingerprint and the
    model name all match, so an edited passage is re-embedded.
    """

    def __init__(self, model: str, ids: np.ndarray, fingerprints: np.ndarray, codes: np.ndarray, scales: np.ndarray):
        self.model = model
        self.codes = codes
        self.scales = scales
        # numpy's fixed-width bytes drop trailing NUL bytes: pad back to 8.
        self.index = {(str(pid), bytes(fp).ljust(8, b"\0")): i for i, (pid, fp) in enumerate(zip(ids, fingerprints))}

    @classmethod
    def load(cls, model: str) -> "ShippedVectors | None":
        path = data_path(VECTORS_FILE)
        if not path.is_file():
            return None
        with np.load(path, allow_pickle=False) as data:
            if str(data["model"]) != model:
                return None
            return cls(model, data["ids"], data["fingerprints"], data["codes"], data["scales"])

    def lookup(self, rows: list[tuple[int, str, str, str]]) -> dict[int, np.ndarray]:
        """Vectors for the rows (rowid, passage id, title, text) that are shipped."""
        found = {}
        for rowid, passage_id, title, text in rows:
            i = self.index.get((passage_id, passage_fingerprint(title, text)))
            if i is not None:
                found[rowid] = self.codes[i].astype(np.float32) * self.scales[i]
        return found


def save_shipped_vectors(path: Path, model: str, rows: list[tuple[str, str, str]], vectors: np.ndarray) -> None:
    """Write ``vectors`` (one per (passage id, title, text) row) as int8 with a scale per row."""
    scales = np.abs(vectors).max(axis=1, keepdims=True) / 127.0
    codes = np.round(vectors / np.maximum(scales, 1e-12)).astype(np.int8)
    np.savez_compressed(
        path,
        model=np.array(model),
        ids=np.array([r[0] for r in rows]),
        fingerprints=np.array([passage_fingerprint(r[1], r[2]) for r in rows], dtype="S8"),
        codes=codes,
        scales=scales.astype(np.float32).ravel(),
    )


SENTENCES_FILE = "builtin_sentences.npz"


class ShippedSentences:
    """The sentence spans of the built-in corpus's passages, split when the package was built.

    Splitting is the slowest part of reading a retrieved passage; the spans are
    used only for the same text split by the same rules (``stamp``), so an
    edited passage or a changed splitter splits afresh.
    """

    def __init__(self, fingerprints: np.ndarray, offsets: np.ndarray, spans: np.ndarray):
        self.offsets = offsets
        self.spans = spans
        self.index = {bytes(fp).ljust(8, b"\0"): i for i, fp in enumerate(fingerprints)}

    @classmethod
    def load(cls, stamp: str) -> "ShippedSentences | None":
        path = data_path(SENTENCES_FILE)
        if not stamp or not path.is_file():
            return None
        with np.load(path, allow_pickle=False) as data:
            if str(data["stamp"]) != stamp:
                return None
            return cls(data["fingerprints"], data["offsets"], data["spans"])

    def get(self, text: str) -> list[tuple[int, int]] | None:
        """The (start, end) of each sentence of ``text``, or None when it was not shipped."""
        i = self.index.get(text_fingerprint(text))
        if i is None:
            return None
        return [(int(start), int(end)) for start, end in self.spans[self.offsets[i]:self.offsets[i + 1]]]


def save_shipped_sentences(path: Path, stamp: str, split: list[tuple[str, list[tuple[int, int]]]]) -> None:
    """Write the spans of each (text, spans) pair, under the splitter's ``stamp``."""
    lengths = [len(spans) for _, spans in split]
    flat = [pair for _, spans in split for pair in spans]
    np.savez_compressed(
        path,
        stamp=np.array(stamp),
        fingerprints=np.array([text_fingerprint(text) for text, _ in split], dtype="S8"),
        offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        spans=np.array(flat, dtype=np.uint32).reshape(-1, 2),
    )
