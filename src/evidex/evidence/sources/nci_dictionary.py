"""Lay definitions from the NCI Dictionary of Cancer Terms (cancer.gov).

Each term becomes a one-passage consumer document, so that "what is naproxen?" and "what is the
diflucan for?" find the National Cancer Institute's definition.  The passage is ``"<Term>:
<definition>"``, as the dictionary shows an entry, so a quoted first sentence keeps its subject
(a term written all in lower case starts with a capital there, as the first word of a sentence).
The file ships with the vocabularies (``vocab/nci_dictionary_of_cancer_terms.json``): one JSON
array of ``{"term", "plain_alternative"}`` objects.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evidex.evidence.documents import (
    Document,
    EvidenceKind,
    Passage,
    RecordError,
    SourceRecord,
)
from evidex.evidence.sources.text import clean

NCI_DICTIONARY_SOURCE = "nci_dictionary"
NCI_DICTIONARY_LICENCE = "NCI Dictionary of Cancer Terms, U.S. government work (public domain); courtesy of the National Cancer Institute"
NCI_DICTIONARY_URL = "https://www.cancer.gov/publications/dictionaries/cancer-terms/def/"
DEFINITION_LABEL = "Definition"


def read_nci_dictionary(path: Path) -> Iterator[SourceRecord]:
    """Stream one document per term of the dictionary file; a malformed entry is reported and skipped."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        yield RecordError(file=str(path), location="file", message=f"not a JSON array of terms ({exc})")
        return
    if not isinstance(entries, list):
        yield RecordError(file=str(path), location="file", message="not a JSON array of terms")
        return
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        try:
            document = nci_dictionary_document(entry)
        except (KeyError, ValueError, TypeError) as exc:
            yield RecordError(file=str(path), location=f"entry {number}", message=f"{type(exc).__name__}: {exc}")
            continue
        if document.id not in seen:  # "BCR::ABL1 fusion gene" is "BCR-ABL1 fusion gene" spelt another way
            seen.add(document.id)
            yield document


def nci_dictionary_document(entry: dict[str, Any]) -> Document:
    term = clean(str(entry["term"]))
    definition = clean(str(entry["plain_alternative"]))
    if not (term and definition):
        raise ValueError("a dictionary entry needs a term and a definition")
    slug = _slug(term)
    return Document(
        id=entry_id(term),
        source=NCI_DICTIONARY_SOURCE,
        title=term,
        organisation="NCI Dictionary of Cancer Terms, National Cancer Institute (cancer.gov)",
        url=NCI_DICTIONARY_URL + slug,
        keywords=[term],
        passages=[Passage(label=DEFINITION_LABEL, text=f"{_heading(term)}: {definition}")],
        licence=NCI_DICTIONARY_LICENCE,
        audience="consumer",
        kind=EvidenceKind.CONSUMER,
    )


def entry_id(term: str) -> str:
    """The id of a term's entry: "nci-dictionary:naproxen", so an entry is found by its term."""
    return f"nci-dictionary:{_slug(term)}"


def _slug(term: str) -> str:
    return re.sub(r"[\W_]+", "-", term.lower()).strip("-")


def _heading(term: str) -> str:
    """The term as an entry's first word: "naproxen" → "Naproxen"; "pH" and "mRNA" stay as written."""
    return term[0].upper() + term[1:] if term.islower() else term
