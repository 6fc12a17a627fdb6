"""Guideline sections from the open-medicine package (third-party summaries).

Each record is one section of a guideline in Markdown.  It is split at its
headings so each passage is one topic ("First-Line Therapy"), labelled with
the heading path.  These are paraphrased summaries citing the guideline's
DOI, which the licence note says.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

from evidex.evidence.documents import Document, EvidenceKind, Passage, SourceRecord
from evidex.evidence.sources.jsonl import read_jsonl
from evidex.evidence.sources.text import clean

OM_LICENCE = (
    "Paraphrased summary from the open-medicine package 0.12.0 (MIT); "
    "see the original guideline via its DOI"
)
_HEADING = re.compile(r"^(#{1,4})\s+(.*)$")
_FENCE = re.compile(r"```.*?```", re.DOTALL)
_EMPHASIS = re.compile(r"\*\*|__|`")


def read_open_medicine(path: Path) -> Iterator[SourceRecord]:
    """Stream guideline-section documents from an open-medicine JSONL file."""
    return read_jsonl(path, open_medicine_document)


def open_medicine_document(obj: dict[str, Any]) -> Document:
    record_id = str(obj.get("id") or f"{obj['guideline_id']}/{obj['section']}").strip()
    title = clean(str(obj.get("title") or ""))
    if not record_id or not title:
        raise ValueError("open-medicine record needs id and title")
    passages = split_markdown(str(obj.get("text") or ""))
    if not passages:
        raise ValueError(f"open-medicine {record_id} has no text")
    doi = str(obj.get("doi") or "").strip() or None
    section = str(obj.get("section") or "").replace("_", " ")
    return Document(
        id=f"om:{record_id}",
        source="open_medicine",
        title=f"{title} — {section}" if section else title,
        organisation=str(obj.get("organization") or "").strip() or None,
        year=int(obj["year"]) if obj.get("year") else None,
        published=str(obj.get("year") or "") or None,
        doi=doi,
        url=f"https://doi.org/{doi}" if doi else None,
        keywords=[str(t) for t in obj.get("topics") or []],
        passages=passages,
        licence=OM_LICENCE,
        kind=EvidenceKind.GUIDELINE,
        publication_types=["Practice Guideline"],
    )


def split_markdown(markdown: str) -> list[Passage]:
    """One passage per heading section; the label is the heading path."""
    markdown = _FENCE.sub("", markdown)
    passages: list[Passage] = []
    path: dict[int, str] = {}
    lines: list[str] = []

    def flush() -> None:
        text = clean(_EMPHASIS.sub("", "\n".join(lines)))
        if text:
            label = " > ".join(path[level] for level in sorted(path) if level > 1) or "Summary"
            passages.append(Passage(label=label, text=text))
        lines.clear()

    for line in markdown.splitlines():
        heading = _HEADING.match(line)
        if heading:
            flush()
            level = len(heading.group(1))
            path = {k: v for k, v in path.items() if k < level}
            path[level] = _EMPHASIS.sub("", heading.group(2)).strip()
        elif not re.fullmatch(r"\s*\|?[-:| ]+\|?\s*", line) or not line.strip():
            lines.append(line)
    flush()
    return passages
