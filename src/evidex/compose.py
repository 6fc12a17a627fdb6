"""Compose: arrange findings into the sections of a clinical answer.

Extractive by design: every claim is a sentence taken from a source passage,
placed in a section by what it says (a recommendation for, a recommendation
against, a dose, a harm, a red flag, a subgroup) and cited.  Sections with
nothing to say are left out; patient modifiers with no evidence get an
explicit note instead of silence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from evidex.answer import SECTION_TITLES, Claim, Note, Quote, Reference, Section
from evidex.appraise import Finding
from evidex.models import Document
from evidex.understand import ClinicalQuestion, PatternSet

OUTDATED_AFTER_YEARS = 10

_AVOID = re.compile(
    r"\b(recommends? against|suggests? against|(?:Strong|Weak) Against|not recommended|should not|"
    r"insufficient evidence|inconclusive evidence|no evidence|lack of evidence|not (?:be )?(?:used|offered)|"
    r"(?:should|must|to) (?:be )?avoid\w*|"
    r"no (?:significant|clinically important|proven|clear) (?:benefit|difference|effect|improvement)|did not (?:improve|reduce)|"
    r"(?:D|I) (?:recommendation|statement))\b",
    re.IGNORECASE,
)
_ESCALATE = re.compile(
    r"\b(red[- ]flags?|urgent\w*|emergen\w*|immediate\w*|refer\w*|cauda equina|progressive|serious underlying|"
    r"surgical (?:consultation|evaluation|referral)|specialist|hospitali[sz]\w*|seek (?:medical )?care)\b",
    re.IGNORECASE,
)
_HOW_TO = re.compile(
    r"\b\d+(?:\.\d+)?\s*(?:mg|mcg|µg|g|ml|mL|IU|units?)\b(?:/(?:kg|day|d))?|"
    r"\b(?:\d+|once|twice|three|four|five)\s*(?:times|sessions?|sets?|repetitions?|reps|x)\s*(?:a|per|/|each)\s*(?:day|week|session)\b|"
    r"\b\d+\s*(?:-|to|–)?\s*\d*\s*(?:minutes?|min|hours?)\s*(?:a|per|/|each)\s*(?:day|week|session)\b|"
    r"\b(?:daily|twice daily|every \d+ (?:hours|days|weeks))\b",
    re.IGNORECASE,
)
_FIRST_LINE = re.compile(
    r"\b(recommends?(?! against)|first[- ]line|Strong For|strongly recommended|(?:A|B) recommendation|"
    r"should be (?:offered|used|provided)|preferred|mainstay)\b",
    re.IGNORECASE,
)
_SECOND_LINE = re.compile(
    r"\b(suggests?(?! against)|Weak For|conditionally recommended|second[- ]line|adjunct\w*|alternative|"
    r"may be considered|consider\w*|as part of a multimodal|add-on|in addition to)\b",
    re.IGNORECASE,
)
_PITFALL = re.compile(
    r"\b(harms?|adverse|side[- ]effects?|complications?|risk of|caution|pitfall|overuse|dependence|toxicity|"
    r"bleeding|misuse|false[- ]positive)\b",
    re.IGNORECASE,
)

_SECTION_ORDER = [
    "urgent", "bottom_line", "first_line", "second_line", "how_to", "avoid",
    "pitfalls", "escalate", "patient_specific", "evidence",
]
_LIMITS = {"bottom_line": 2, "first_line": 4, "second_line": 4, "how_to": 3, "avoid": 4,
           "pitfalls": 3, "escalate": 3, "patient_specific": 4, "evidence": 4}


@dataclass
class DraftClaim:
    """A finding placed in a section; ``text`` starts as the finding's sentence."""

    finding: Finding
    text: str
    note: str | None = None


@dataclass
class Draft:
    """Sections and the findings they cite, before numbering and verification."""

    sections: dict[str, list[DraftClaim]]
    notes: dict[str, list[str]]


def section_for(finding: Finding, question: ClinicalQuestion) -> str:
    """Which section a finding belongs in, from what its sentence says."""
    text = finding.text
    strength = finding.strength or ""
    if _AVOID.search(text) or re.search(r"\bAgainst\b", strength):
        return "avoid"
    if _ESCALATE.search(text):
        return "escalate"
    if any(modifier_matches(p, text) for p, _ in question.modifiers):
        return "patient_specific"
    if _HOW_TO.search(text) and question.question_type in ("therapy", "dosing"):
        return "how_to"
    if _FIRST_LINE.search(text) or re.search(r"\bStrong\b|\b[AB]\b", strength):
        return "first_line"
    if _SECOND_LINE.search(text) or re.search(r"\bWeak\b|Conditional", strength):
        return "second_line"
    if _PITFALL.search(text):
        return "pitfalls"
    return "evidence"


def modifier_matches(pattern: PatternSet, text: str) -> bool:
    if pattern.find(text):
        return True
    return any(re.search(rf"\b{re.escape(term)}", text, re.IGNORECASE) for term in pattern.search_terms)


def draft_answer(
    question: ClinicalQuestion, findings: list[Finding], max_claims: int = 14, bottom: Finding | None = None
) -> Draft:
    """Place the best findings into sections, at most two per document per section.

    ``bottom`` forces the bottom line (the basis of a yes/no verdict)."""
    sections: dict[str, list[DraftClaim]] = {}
    notes: dict[str, list[str]] = {}
    seen_text: set[str] = set()
    per_doc_section: dict[tuple[str, str], int] = {}
    chosen = 0
    bottom = bottom or _bottom_line(findings)
    if bottom:
        sections["bottom_line"] = [DraftClaim(bottom, bottom.text, _strength_note(bottom))]
        seen_text.add(_key(bottom.text))
    for finding in findings:
        if chosen >= max_claims:
            break
        if _key(finding.text) in seen_text:
            continue
        key = section_for(finding, question)
        slot = (finding.document.id, key)
        if len(sections.get(key, [])) >= _LIMITS[key] or per_doc_section.get(slot, 0) >= 2:
            continue
        sections.setdefault(key, []).append(DraftClaim(finding, finding.text, _strength_note(finding)))
        per_doc_section[slot] = per_doc_section.get(slot, 0) + 1
        seen_text.add(_key(finding.text))
        chosen += 1
    for pattern, matched in question.modifiers:
        covered = any(modifier_matches(pattern, c.finding.text) for c in sections.get("patient_specific", []))
        if not covered:
            notes.setdefault("patient_specific", []).append(
                f"{pattern.label} (“{matched}”): the indexed evidence found for this question does not "
                f"specifically address this group; the statements above may not apply."
            )
    return Draft(sections=sections, notes=notes)


def _bottom_line(findings: list[Finding]) -> Finding | None:
    """The strongest well-matched finding: prefer guidelines and reviews among the top few,
    and a statement of what to do over one of what not to do."""
    top = [f for f in findings[:8] if f.topical > 0]
    if not top:
        return None
    return min(top, key=lambda f: (bool(_AVOID.search(f.text)), f.document.kind.level, -f.score))


def _strength_note(finding: Finding) -> str | None:
    return f"Recommendation strength: {finding.strength}" if finding.strength else None


def _key(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def number_references(draft: Draft, answer_year: int) -> tuple[list[Section], list[Reference]]:
    """Number sources in order of first citation and build the sections' claims."""
    numbers: dict[str, int] = {}
    references: list[Reference] = []
    sections: list[Section] = []
    for key in _SECTION_ORDER:
        entries = draft.sections.get(key, [])
        section_notes = [Note(text=t) for t in draft.notes.get(key, [])]
        if not entries and not section_notes:
            continue
        claims = []
        for entry in entries:
            finding = entry.finding
            doc = finding.document
            if doc.id not in numbers:
                numbers[doc.id] = len(numbers) + 1
                references.append(reference_for(doc, numbers[doc.id], answer_year))
            claims.append(
                Claim(
                    text=entry.text,
                    citations=[numbers[doc.id]],
                    quote=Quote(passage_id=finding.passage_id, text=finding.text, start=finding.start, end=finding.end),
                    note=entry.note,
                )
            )
        sections.append(Section(key=key, title=SECTION_TITLES[key], claims=claims, notes=section_notes))
    return sections, references


def reference_for(doc: Document, number: int, answer_year: int) -> Reference:
    return Reference(
        number=number,
        doc_id=doc.id,
        kind=doc.kind.value,
        badge=doc.kind.label,
        evidence_level=doc.kind.level,
        title=doc.title,
        source=doc.organisation or doc.journal,
        year=doc.year,
        published=doc.published,
        sample_size=doc.sample_size,
        url=doc.url,
        doi=doc.doi,
        outdated=bool(doc.year and answer_year - doc.year > OUTDATED_AFTER_YEARS),
        licence=doc.licence,
    )


_UNCERTAIN = re.compile(
    r"\b(unclear|uncertain|inconclusive|insufficient|not clear|remains? (?:to be|controversial|unknown)|controversial|"
    r"conflicting|cannot be (?:drawn|determined|recommended)|further (?:studies|research|trials) (?:are|is) "
    r"(?:needed|required|warranted))\b",
    re.IGNORECASE,
)
_NEGATIVE = re.compile(
    r"\b(no (?:significant |clear |clinically \w+ )?(?:difference|effect|benefit|association|improvement|evidence|role|impact|relationship|correlation)|"
    r"not (?:significantly |statistically )?(?:associated|effective|superior|improve\w*|reduce\w*|increase\w*|related|correlated|predict\w*|useful|necessary|justified|recommended|beneficial)|"
    r"did not|does not|do not|was not|were not|failed to|neither|unlikely|no longer|nor|no change|"
    r"not differ\w*|disappointing|no more than)\b",
    re.IGNORECASE,
)


def verdict_for(findings: list[Finding]) -> tuple[str, Finding] | None:
    """Yes / no / uncertain from the best-matching conclusion, and that finding.

    Reads the direction of the top finding's sentence: negation of an effect
    means "no", explicit uncertainty ("unclear", "inconclusive", "further
    studies are needed") means "uncertain", an affirmative finding "yes".
    Hedges such as "may" are how most positive conclusions are written, so
    they do not count as uncertainty.
    """
    conclusions = [f for f in findings[:6] if re.search(r"CONCLUSION|Recommendation", f.passage.label, re.IGNORECASE) or f.strength]
    best = (conclusions or findings[:1] or [None])[0]
    if best is None:
        return None
    text = best.text
    if _NEGATIVE.search(text):
        return "no", best
    if _UNCERTAIN.search(text):
        return "uncertain", best
    return "yes", best
