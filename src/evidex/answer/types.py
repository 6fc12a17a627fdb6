"""The structured answer: the data type that compose builds, verify checks,
render prints and publish stores.  Its JSON form is the documented output
schema of ``evidex ask --json`` (see docs/answer-schema.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

SectionKey = Literal[
    "urgent",
    "bottom_line",
    "details",
    "first_line",
    "second_line",
    "how_to",
    "avoid",
    "pitfalls",
    "escalate",
    "patient_specific",
    "related",
    "usual_treatment",
    "evidence",
]

SECTION_TITLES: dict[str, str] = {
    "urgent": "Seek urgent care",
    "bottom_line": "Bottom line",
    "details": "More on this question",
    "first_line": "First-line options",
    "second_line": "Second-line options and adjuncts",
    "how_to": "How to do it",
    "avoid": "What to avoid or what lacks evidence",
    "pitfalls": "Common pitfalls and harms",
    "escalate": "When to escalate / red flags",
    "patient_specific": "Patient-specific considerations",
    "related": "Evidence from related groups",
    "usual_treatment": "How the sources say the condition is treated",
    "evidence": "Other findings",
}


class Quote(BaseModel):
    """The exact source text a claim rests on, with its place in the passage."""

    passage_id: str = Field(description="Document id and passage index, e.g. pmid:29768149#3")
    text: str
    start: int = Field(description="Character offset of the quote in the passage text")
    end: int


class Claim(BaseModel):
    """One sentence of the answer and the evidence that says it."""

    text: str = Field(description="The sentence shown to the reader")
    citations: list[int] = Field(description="Reference numbers, 1-based")
    quote: Quote
    verified: bool = False
    verification: str = Field(default="", description="How the claim was checked against its quote")
    note: str | None = Field(default=None, description="Context such as the recommendation strength")


class Note(BaseModel):
    """A statement about the evidence itself (not a medical claim), e.g. a gap."""

    text: str


class Section(BaseModel):
    key: SectionKey
    title: str
    claims: list[Claim] = Field(default_factory=list)
    notes: list[Note] = Field(default_factory=list)


class Reference(BaseModel):
    """An entry in the reference list."""

    number: int
    doc_id: str
    kind: str = Field(description="Evidence kind, e.g. guideline, systematic_review, rct")
    badge: str = Field(description="Label shown to readers, e.g. 'Systematic review'")
    evidence_level: int
    title: str
    source: str | None = Field(description="Issuing body for guidelines and websites, journal for articles")
    year: int | None
    published: str | None
    sample_size: int | None
    url: str | None
    doi: str | None
    citation: str | None = Field(default=None, description="The source's own reference when it has no url or DOI")
    outdated: bool = Field(description="Older than 10 years at the time of answering")
    licence: str


class Verdict(BaseModel):
    """For yes/no questions: the answer the evidence leans to, and why."""

    value: Literal["yes", "no", "uncertain"]
    basis: str
    citations: list[int] = Field(default_factory=list)


class LiveSearch(BaseModel):
    """A live search of PubMed made for this answer before retrieval."""

    query: str = Field(description="The E-utilities search term")
    found: int = Field(default=0, description="Records PubMed has for the search")
    pmids: list[str] = Field(default_factory=list, description="The records taken, best first; all are in the corpus searched")
    fetched: int = Field(default=0, description="Of which were fetched for this answer (the rest were stored already)")
    cached_at: str | None = Field(default=None, description="The search ran on this date and was not asked again")
    error: str | None = Field(default=None, description="Why PubMed could not be asked; the answer comes from the local corpus")

    @property
    def note(self) -> str:
        """One sentence for a person."""
        if self.error:
            return f"PubMed could not be searched ({self.error}); this answer comes from the local corpus only."
        if self.cached_at:
            return f"PubMed was searched on {self.cached_at}: {len(self.pmids)} records, all in the local corpus."
        return f"PubMed searched now: {self.found:,} records match, {len(self.pmids)} taken, {self.fetched} of them new."


class Provenance(BaseModel):
    """How the answer was made, so it can be reproduced and audited."""

    question: str
    searched: list[str] = Field(description="Queries sent to the search layer")
    filters: dict = Field(default_factory=dict)
    passages_considered: int
    settings_fingerprint: str
    corpus_documents: int
    generated_at: str
    evidex_version: str
    mode: str = Field(default="extractive", description="'extractive', or 'extractive, reworded by <model>' with an LLM")
    llm_model: str | None = Field(default=None, description="The LLM asked to reword claims, if any")
    llm_rewrites: int = Field(default=0, description="Claims whose wording comes from the LLM (each checked against its quote)")
    llm_refused: list[str] = Field(default_factory=list, description="LLM rewrites refused by the check, with the reason")
    llm_error: str | None = Field(default=None, description="Why the LLM could not be used (the answer stays extractive)")
    claims_checked: int = Field(default=0, description="Claims composed before verification")
    claims_removed: list[str] = Field(default_factory=list, description="Claims verification refused, with the reason")
    live_search: LiveSearch | None = Field(default=None, description="The live PubMed search made for this answer, if any")


class Answer(BaseModel):
    """A structured, cited answer to one clinical question."""

    question: str
    audience: Literal["clinician", "patient"]
    question_type: str = Field(description="What the question asks for: treatment, dose, side_effects, interactions, … (evidex.answer.understand.QuestionType)")
    yes_no: bool = Field(default=False, description="Whether the question asks yes or no")
    topic: str
    focus: list[str] = Field(default_factory=list, description="What the answer must be about: the drugs, conditions, tests asked about")
    patient_context: list[str] = Field(
        default_factory=list, description="What the question says about the patient (age, history, current drugs, drug allergies): qualifies the answer"
    )
    conditions: list[str] = Field(default_factory=list)
    interventions: list[str] = Field(default_factory=list)
    modifiers: list[str] = Field(default_factory=list)
    red_flags: list[str] = Field(default_factory=list)
    inherited: list[str] = Field(
        default_factory=list,
        description="For a follow-up question: the topic and patient details taken from earlier in the conversation",
    )
    abstained: bool = False
    abstain_reason: str | None = None
    closest: list[Reference] = Field(
        default_factory=list,
        description="When evidex abstains: the sources on what was asked that its search ranked highest. evidex found no "
        "sentence in them that answers the question; they are for the reader to look at, not evidence",
    )
    verdict: Verdict | None = None
    sections: list[Section] = Field(default_factory=list)
    references: list[Reference] = Field(default_factory=list)
    disclaimer: str
    reading_grade: float | None = Field(
        default=None, description="Flesch–Kincaid grade of the answer's sentences (lower is easier)"
    )
    provenance: Provenance

    def claims(self) -> list[Claim]:
        return [claim for section in self.sections for claim in section.claims]

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)
