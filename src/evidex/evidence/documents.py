"""Plain data types passed between evidex's steps.

A :class:`Document` is one piece of evidence (a PubMed record, a guideline
recommendation set, a consumer-health answer) split into labelled
:class:`Passage` objects.  Every later step (search, appraisal, composition,
verification) works on passages and reaches back to the document for
provenance: id, source, date, evidence kind, licence.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field


class EvidenceKind(StrEnum):
    """What kind of evidence a document is, in the order of :attr:`level`."""

    GUIDELINE = "guideline"
    SYSTEMATIC_REVIEW = "systematic_review"
    RCT = "rct"
    COHORT = "cohort"
    CASE_CONTROL = "case_control"
    CROSS_SECTIONAL = "cross_sectional"
    CASE_SERIES = "case_series"
    NARRATIVE_REVIEW = "narrative_review"
    CONSUMER = "consumer"
    OTHER = "other"

    @classmethod
    def _missing_(cls, value: object) -> EvidenceKind | None:
        """Kinds are read case-insensitively, with a hyphen or space for the underscore: "RCT", "Systematic-review"."""
        if isinstance(value, str):
            key = value.strip().lower().replace("-", "_").replace(" ", "_")
            return next((kind for kind in cls if kind.value == key), None)
        return None

    @property
    def level(self) -> int:
        """Evidence level: 1 is the strongest, 10 the weakest."""
        return list(EvidenceKind).index(self) + 1

    @property
    def label(self) -> str:
        """The badge shown next to a reference."""
        return _KIND_LABELS[self]


_KIND_LABELS = {
    EvidenceKind.GUIDELINE: "Guideline",
    EvidenceKind.SYSTEMATIC_REVIEW: "Systematic review",
    EvidenceKind.RCT: "RCT",
    EvidenceKind.COHORT: "Cohort",
    EvidenceKind.CASE_CONTROL: "Case-control",
    EvidenceKind.CROSS_SECTIONAL: "Cross-sectional",
    EvidenceKind.CASE_SERIES: "Case series/report",
    EvidenceKind.NARRATIVE_REVIEW: "Narrative review",
    EvidenceKind.CONSUMER: "Consumer health information",
    EvidenceKind.OTHER: "Other",
}

Audience = Literal["professional", "consumer"]


class Passage(BaseModel):
    """A labelled span of a document: an abstract section, one guideline
    recommendation, one consumer answer.  The unit that is searched and cited."""

    label: str = Field(description="Section label, e.g. CONCLUSIONS or Recommendation")
    text: str
    strength: str | None = Field(
        default=None, description="Recommendation strength or grade as stated by the source"
    )


class Document(BaseModel):
    """One evidence document with the provenance every citation needs."""

    id: str = Field(description="Source-prefixed stable id, e.g. pmid:29768149")
    source: str = Field(description="Where the record came from: pubmed, ngc, open_medicine, medquad, user")
    title: str
    organisation: str | None = Field(default=None, description="Issuing body of a guideline or website")
    journal: str | None = None
    year: int | None = None
    published: str | None = Field(default=None, description="Publication date as the source states it")
    authors: list[str] = Field(default_factory=list)
    doi: str | None = None
    url: str | None = None
    citation: str | None = Field(
        default=None, description="The source's own bibliographic reference, when its record gives no address or DOI"
    )
    mesh: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    publication_types: list[str] = Field(default_factory=list)
    passages: list[Passage] = Field(default_factory=list)
    licence: str = ""
    audience: Audience = "professional"
    kind: EvidenceKind = EvidenceKind.OTHER
    sample_size: int | None = None
    retracted: bool = False

    def passage_id(self, index: int) -> str:
        """Stable id of the passage at ``index``: ``pmid:29768149#2``."""
        return f"{self.id}#{index}"

    @property
    def text(self) -> str:
        """All passage text, for classification and display."""
        return "\n\n".join(p.text for p in self.passages)


class Deletion(BaseModel):
    """A source says this document no longer exists (PubMed ``DeleteCitation``)."""

    id: str


class Retraction(BaseModel):
    """A retraction notice (PubMed "Retraction of Publication") names the documents it retracts.

    The notice and the retracted record arrive in any order: the store remembers
    the link and marks the retracted document whenever it is, or becomes, stored.
    """

    notice: str = Field(description="Id of the notice, e.g. pmid:31000001")
    retracted: list[str] = Field(description="Ids of the documents it retracts")


class RecordError(BaseModel):
    """One bad record: the rest of the file goes on."""

    file: str
    location: str = Field(description="Line or record number inside the file")
    message: str


SourceRecord = Document | Deletion | Retraction | RecordError
