"""The built-in corpus shipped inside the package (see data/SOURCES.md).

It is ingested into the data directory on first use.  A version stamp in the
store records which bundle was ingested, so an upgraded package re-ingests
(idempotently) instead of answering from a stale copy.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

BUILTIN_FILES: list[tuple[str, str]] = [
    ("corpus/guidelines/ngc_us_gov_guideline_summaries.jsonl", "ngc"),
    ("corpus/guidelines/open_medicine_guideline_sections.jsonl", "open-medicine"),
    ("corpus/pubmed/pubmedrs200_review_abstracts.jsonl", "pubmed-jsonl"),
    ("corpus/pubmed/pubmedqa_pqal_abstracts.jsonl", "pubmed-jsonl"),
    ("corpus/consumer/medquad_qa.jsonl.gz", "medquad"),
]

# Bump when readers or the classifier change what they store for these files.
READER_VERSION = "1"


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
