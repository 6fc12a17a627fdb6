"""evidex's own JSONL format, for bringing your own guidelines and documents.

One JSON object per line::

    {"id": "acme:lbp-2024/rec-3", "title": "…", "kind": "guideline",
     "organisation": "ACME Spine Society", "year": 2024,
     "passages": [{"label": "Recommendation", "text": "…", "strength": "Strong"}]}

``text`` may replace ``passages`` for a single-passage document.  Unknown
fields are an error (so a misspelt field is reported rather than ignored);
see docs/jsonl-format.md for every field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from evidex.evidence.documents import (
    Audience,
    Document,
    EvidenceKind,
    Passage,
    SourceRecord,
)
from evidex.evidence.sources.jsonl import read_jsonl


class GenericRecord(BaseModel):
    """The documented generic JSONL record."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=300, description="Unique id; 'user:' is prefixed when it has no 'prefix:'")
    title: str = Field(min_length=1, max_length=2000)
    text: str | None = Field(default=None, description="Whole text, when there are no passages")
    passages: list[Passage] = Field(default_factory=list)
    kind: EvidenceKind | None = Field(default=None, description="Evidence kind; classified from the text when absent")
    organisation: str | None = None
    journal: str | None = None
    year: int | None = Field(default=None, ge=1800, le=2200)
    published: str | None = None
    authors: list[str] = Field(default_factory=list)
    doi: str | None = None
    url: str | None = None
    mesh: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    publication_types: list[str] = Field(default_factory=list)
    licence: str = ""
    audience: Audience = "professional"
    sample_size: int | None = Field(default=None, ge=1)
    retracted: bool = False

    @field_validator("id")
    @classmethod
    def _namespaced(cls, value: str) -> str:
        value = value.strip()
        if any(ch.isspace() for ch in value):
            raise ValueError("id must not contain spaces")
        return value if ":" in value else f"user:{value}"

    @model_validator(mode="after")
    def _has_text(self) -> "GenericRecord":
        if not self.passages and not (self.text and self.text.strip()):
            raise ValueError("give 'text' or a non-empty 'passages' list")
        return self


def read_generic(path: Path) -> Iterator[SourceRecord]:
    """Stream documents in evidex's generic JSONL format."""
    return read_jsonl(path, generic_document)


def generic_document(obj: dict[str, Any]) -> Document:
    record = GenericRecord.model_validate(obj)
    data = record.model_dump(exclude={"text", "kind"})
    passages = record.passages or [Passage(label="Text", text=record.text or "")]
    return Document(
        **{**data, "passages": passages},
        source="user",
        kind=record.kind or EvidenceKind.OTHER,
    )
