"""Every supported input format, behind one function: :func:`read_source`.

Each format has its own module; this one only names them and recognises
formats.  XML is PubMed XML; a JSONL file's format is recognised record by
record, so one file may mix bundled formats (e.g. NGC and open-medicine
guidelines) and records with no known signature are read as evidex's
generic format.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from evidex.evidence.documents import SourceRecord
from evidex.evidence.sources.generic import generic_document, read_generic
from evidex.evidence.sources.jsonl import open_binary, read_jsonl
from evidex.evidence.sources.medquad import medquad_document, read_medquad
from evidex.evidence.sources.nci_dictionary import read_nci_dictionary
from evidex.evidence.sources.ngc import ngc_document, read_ngc
from evidex.evidence.sources.open_medicine import (
    open_medicine_document,
    read_open_medicine,
)
from evidex.evidence.sources.pubmed_jsonl import pubmed_document, read_pubmed_jsonl
from evidex.evidence.sources.pubmed_xml import read_pubmed_xml

Reader = Callable[[Path], Iterator[SourceRecord]]

READERS: dict[str, Reader] = {
    "pubmed-xml": read_pubmed_xml,
    "pubmed-jsonl": read_pubmed_jsonl,
    "ngc": read_ngc,
    "open-medicine": read_open_medicine,
    "medquad": read_medquad,
    "nci-dictionary": read_nci_dictionary,
    "jsonl": read_generic,
}

# A key only one format's records carry, checked in this order.
_SIGNATURES = [
    ("ngc_id", ngc_document),
    ("guideline_id", open_medicine_document),
    ("qtype", medquad_document),
    ("pmid", pubmed_document),
]


class UnknownFormatError(ValueError):
    """The file's format could not be recognised; pass ``--format``."""


def convert_any(obj: dict[str, Any]) -> SourceRecord:
    """Convert one JSON record with the converter its keys identify."""
    for key, convert in _SIGNATURES:
        if key in obj:
            return convert(obj)
    return generic_document(obj)


def read_any_jsonl(path: Path) -> Iterator[SourceRecord]:
    return read_jsonl(path, convert_any)


def read_source(path: Path, format: str | None = None) -> Iterator[SourceRecord]:
    """Stream records from ``path`` in ``format`` (recognised when ``None``)."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    if format is not None:
        if format not in READERS:
            raise UnknownFormatError(f"unknown format {format!r}; choose one of {', '.join(READERS)}")
        return READERS[format](path)
    return read_pubmed_xml(path) if _looks_like_xml(path) else read_any_jsonl(path)


def _looks_like_xml(path: Path) -> bool:
    with open_binary(path) as handle:
        try:
            head = handle.read(512)
        except (EOFError, OSError) as exc:
            raise UnknownFormatError(f"{path}: cannot read ({exc})") from exc
    if not head.strip():
        raise UnknownFormatError(f"{path}: the file is empty")
    return head.lstrip()[:1] == b"<"
