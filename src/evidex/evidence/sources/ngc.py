"""AHRQ National Guideline Clearinghouse summaries (archived July 2018).

Each summary becomes one guideline document whose passages are its
individual recommendations, with the strength or grade the developer
attached ("(B recommendation)", "(Strong For; Reviewed, Amended)"), plus the
stated benefits, harms and contraindications.  Rating-scheme definitions are
left out: they describe grades, not care.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

from evidex.evidence.documents import Document, EvidenceKind, Passage, SourceRecord
from evidex.evidence.sources.jsonl import read_jsonl
from evidex.evidence.sources.text import clean, latest_year

NGC_NOTE = "AHRQ National Guideline Clearinghouse summary (archived July 2018; historical)"
_STRENGTH = re.compile(
    r"\(([^()]*?\b(?:recommendation|statement|Strong|Weak|Grade|grade|Level|level|evidence|Consensus|Expert|Not Applicable|Reviewed|Amended)\b[^()]*)\)\s*\.?\s*$"
)
_DEFINITIONS = re.compile(r"^(Definitions?|Rating Scheme|Grade Definitions)\b", re.IGNORECASE)
_EXTRA_FIELDS = {
    "potential_benefits": "Potential benefits",
    "potential_harms": "Potential harms",
    "contraindications": "Contraindications",
}


def read_ngc(path: Path) -> Iterator[SourceRecord]:
    """Stream guideline documents from an NGC summaries JSONL file."""
    return read_jsonl(path, ngc_document)


def ngc_document(obj: dict[str, Any]) -> Document:
    ngc_id = str(obj["ngc_id"]).removeprefix("ngc-").strip()
    title = clean(str(obj.get("guideline_title") or ""))
    if not ngc_id or not title:
        raise ValueError("NGC record needs ngc_id and guideline_title")
    passages = split_recommendations(str(obj.get("major_recommendations") or ""))
    for field, label in _EXTRA_FIELDS.items():
        text = clean(str(obj.get(field) or ""))
        if text and text.lower() not in {"not stated", "not applicable"}:
            passages.append(Passage(label=label, text=text))
    if not passages:
        raise ValueError(f"NGC {ngc_id} has no recommendations")
    return Document(
        id=f"ngc:{ngc_id}",
        source="ngc",
        title=title,
        organisation=developers(str(obj.get("guideline_developers") or "")),
        year=latest_year(obj.get("date_released")),
        published=str(obj.get("date_released") or "") or None,
        keywords=[k for k in (clean(str(obj.get("disease_conditions") or "")).split("\n")) if k][:20],
        passages=passages,
        citation=bibliographic_source(str(obj.get("bibliographic_sources") or "")),
        licence=f"{NGC_NOTE}. {clean(str(obj.get('copyright_statement') or ''))}".strip(),
        kind=EvidenceKind.GUIDELINE,
        publication_types=["Practice Guideline"],
    )


def bibliographic_source(text: str) -> str | None:
    """The guideline as published, from the summary's bibliographic sources: "… Ann Intern Med.
    2013 Sep 3;159(5):342-8." (without the archive's reference count and link label)."""
    text = re.sub(r"\s*\[\d+ references?\]", "", clean(text))
    text = re.sub(r"\s*\bPubMed\s*$", "", text).strip()
    return " ".join(text.split()) or None


def developers(text: str) -> str | None:
    """"Department of Defense - Federal Government Agency [U.S.]\n\n…" -> "Department of Defense; …"."""
    names = [line.split(" - ")[0].strip() for line in clean(text).split("\n") if line.strip()]
    return "; ".join(dict.fromkeys(names)) or None


def split_recommendations(text: str) -> list[Passage]:
    """One passage per paragraph or bullet, labelled with its heading."""
    passages: list[Passage] = []
    heading = "Recommendations"
    for block in re.split(r"\n\s*\n|\n(?=\s*- )", text):
        block = clean(block).removeprefix("- ").strip()
        if not block:
            continue
        if _DEFINITIONS.match(block):
            break
        if _is_heading(block):
            heading = block.rstrip(":")
            continue
        match = _STRENGTH.search(block)
        strength = match.group(1).strip() if match else None
        passages.append(Passage(label=heading, text=block, strength=strength))
    return passages


def _is_heading(block: str) -> bool:
    return len(block) < 90 and "\n" not in block and not block.endswith((".", ")", ";"))
