"""Consumer-health questions and answers from NIH websites (MedQuAD).

MedQuAD ids repeat across its sub-sources, so the id is
``medquad:<source>/<id>``.  Answers are plain-language information, not
primary evidence: the kind is ``consumer`` and the audience ``consumer``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from evidex.evidence.documents import Document, EvidenceKind, Passage, SourceRecord
from evidex.evidence.sources.jsonl import read_jsonl
from evidex.evidence.sources.text import chunk_paragraphs, clean

MEDQUAD_LICENCE = "MedQuAD (CC BY 4.0), answers from U.S. National Institutes of Health websites"
MEDQUAD_ORGANISATIONS = {
    "CancerGov": "National Cancer Institute (cancer.gov)",
    "GARD": "Genetic and Rare Diseases Information Center (NIH)",
    "GHR": "Genetics Home Reference (NIH)",
    "MPlusHealthTopics": "MedlinePlus (NIH)",
    "NIDDK": "National Institute of Diabetes and Digestive and Kidney Diseases",
    "NINDS": "National Institute of Neurological Disorders and Stroke",
    "NIHSeniorHealth": "NIHSeniorHealth (NIH)",
    "NHLBI": "National Heart, Lung, and Blood Institute",
    "CDC": "Centers for Disease Control and Prevention",
}


def read_medquad(path: Path) -> Iterator[SourceRecord]:
    """Stream consumer Q&A documents from a MedQuAD JSONL(.gz) file."""
    return read_jsonl(path, medquad_document)


def medquad_document(obj: dict[str, Any]) -> Document:
    source = str(obj["source"]).strip()
    record_id = str(obj["id"]).strip()
    question = clean(str(obj.get("question") or ""))
    answer = clean(str(obj.get("answer") or ""))
    if not (source and record_id and question and answer):
        raise ValueError("MedQuAD record needs source, id, question and answer")
    focus = clean(str(obj.get("focus") or ""))
    return Document(
        id=f"medquad:{source}/{record_id}",
        source="medquad",
        title=question,
        organisation=MEDQUAD_ORGANISATIONS.get(source, source),
        url=str(obj.get("url") or "") or None,
        keywords=[focus] if focus else [],
        passages=[Passage(label=str(obj.get("qtype") or "answer"), text=chunk) for chunk in chunk_paragraphs(answer)],
        licence=MEDQUAD_LICENCE,
        audience="consumer",
        kind=EvidenceKind.CONSUMER,
    )
