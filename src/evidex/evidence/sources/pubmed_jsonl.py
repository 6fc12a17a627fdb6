"""PubMed abstracts distributed as JSONL (PubMedQA and PubMedRS-200 exports).

Both carry a PMID, a title and the abstract; PubMedQA gives labelled
sections, PubMedRS-200 gives the structured abstract as ``LABEL:\\n text``
blocks, which are split back into sections here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

from evidex.evidence.documents import Document, Passage, SourceRecord
from evidex.evidence.sources.jsonl import read_jsonl
from evidex.evidence.sources.text import clean, latest_year

PUBMED_LICENCE = "Abstract text © the publisher; PubMed metadata courtesy of the U.S. National Library of Medicine"
_LABELLED_BLOCK = re.compile(r"^([A-Z][A-Z /&,-]{2,60}):\s*\n", re.MULTILINE)


def pubmed_url(pmid: str) -> str:
    return f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"


def read_pubmed_jsonl(path: Path) -> Iterator[SourceRecord]:
    """Stream PubMed records from a PubMedQA or PubMedRS-200 JSONL file."""
    return read_jsonl(path, pubmed_document)


def pubmed_document(obj: dict[str, Any]) -> Document:
    pmid = str(obj["pmid"]).strip()
    if not pmid.isdigit():
        raise ValueError(f"pmid must be digits, got {pmid!r}")
    title = clean(str(obj.get("title") or ""))
    if not title:
        raise ValueError(f"PMID {pmid} has no title")
    if obj.get("sections"):
        passages = [
            Passage(label=str(s.get("label") or "ABSTRACT").upper(), text=clean(str(s["text"])))
            for s in obj["sections"]
            if str(s.get("text") or "").strip()
        ]
    else:
        passages = split_structured_abstract(str(obj.get("abstract") or ""))
    if not passages:
        passages = [Passage(label="TITLE", text=title)]
    return Document(
        id=f"pmid:{pmid}",
        source="pubmed",
        title=title,
        year=latest_year(obj.get("year") or obj.get("published")),
        published=str(obj.get("published") or obj.get("year") or "") or None,
        url=pubmed_url(pmid),
        mesh=[str(m) for m in obj.get("mesh") or []],
        publication_types=[str(t) for t in obj.get("publication_types") or []],
        passages=passages,
        licence=PUBMED_LICENCE,
    )


def split_structured_abstract(abstract: str) -> list[Passage]:
    """Turn ``BACKGROUND:\\n…\\n\\nMETHODS:\\n…`` into one passage per label."""
    abstract = abstract.strip()
    if not abstract:
        return []
    matches = list(_LABELLED_BLOCK.finditer(abstract))
    if not matches:
        return [Passage(label="ABSTRACT", text=clean(abstract))]
    passages = []
    preamble = abstract[: matches[0].start()].strip()
    if preamble:
        passages.append(Passage(label="ABSTRACT", text=clean(preamble)))
    for match, following in zip(matches, matches[1:] + [None]):
        end = following.start() if following else len(abstract)
        text = clean(abstract[match.end() : end])
        if text:
            passages.append(Passage(label=match.group(1).strip(), text=text))
    return passages
