"""Verify: check every claim against the passage it cites, from the store.

Nothing from composition is trusted: the cited passage is fetched again by
id, the quote must be exactly that passage's text at the stated span, and
the claim must be the quote itself or a tightly constrained rewrite of it
(same numbers, same negation, same direction of effect, most words shared).
Claims that fail are removed; references left uncited are removed and the
rest renumbered, so every citation resolves and every reference is cited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from evidex.answer.types import Answer, Claim
from evidex.evidence.store import SQLiteStore

_NUMBER = re.compile(r"(?<![\w.])[-−]?\d+(?:[.,]\d+)*(?:\s?%)?")
_NEGATION = re.compile(r"\b(no|not|none|neither|nor|never|without|against|insufficient|inconclusive|cannot|n't)\b", re.IGNORECASE)
_DIRECTION = {
    "up": re.compile(r"\b(increas\w*|higher|more|greater|improv\w*|rais\w*|superior|benefit\w*)\b", re.IGNORECASE),
    "down": re.compile(r"\b(decreas\w*|lower|less|fewer|reduc\w*|declin\w*|inferior|worse\w*)\b", re.IGNORECASE),
}
_WORD = re.compile(r"[a-z]+")
MIN_WORD_OVERLAP = 0.5


@dataclass
class VerificationReport:
    checked: int = 0
    verified: int = 0
    removed: list[tuple[str, str]] = field(default_factory=list)  # (claim text, reason)


def numbers_in(text: str) -> set[str]:
    return {n.replace("−", "-").replace(" ", "").replace(",", "") for n in _NUMBER.findall(text)}


def check_claim(claim_text: str, quote: str) -> tuple[bool, str]:
    """Is ``claim_text`` supported by ``quote``? Returns (ok, how it was checked)."""
    if _squash(claim_text) == _squash(quote):
        return True, "verbatim extract of the cited passage"
    missing = numbers_in(claim_text) - numbers_in(quote)
    if missing:
        return False, f"numbers not in the source: {', '.join(sorted(missing))}"
    if bool(_NEGATION.search(claim_text)) != bool(_NEGATION.search(quote)):
        return False, "negation differs from the source"
    for direction, pattern in _DIRECTION.items():
        if bool(pattern.search(claim_text)) and not pattern.search(quote):
            return False, f"direction of effect ({direction}) not in the source"
    claim_words = set(_WORD.findall(claim_text.lower()))
    quote_words = set(_WORD.findall(quote.lower()))
    overlap = len(claim_words & quote_words) / max(1, len(claim_words))
    if overlap < MIN_WORD_OVERLAP:
        return False, f"only {overlap:.0%} of the claim's words are in the source"
    return True, f"constrained rewrite: numbers, negation and direction match; {overlap:.0%} of words from the source"


def _squash(text: str) -> str:
    return " ".join(text.split()).strip().rstrip(".").lower()


def verify_answer(answer: Answer, store: SQLiteStore) -> tuple[Answer, VerificationReport]:
    """A copy of ``answer`` holding only verified claims and the references they cite."""
    report = VerificationReport()
    references = {r.number: r for r in answer.references}
    sections = []
    for section in answer.sections:
        kept: list[Claim] = []
        for claim in section.claims:
            report.checked += 1
            ok, how = _verify_one(claim, references, store)
            if ok:
                report.verified += 1
                kept.append(claim.model_copy(update={"verified": True, "verification": how}))
            else:
                report.removed.append((claim.text, how))
        if kept or section.notes:
            sections.append(section.model_copy(update={"claims": kept}))
    verdict = answer.verdict
    verified_quotes = {c.quote.text for s in sections for c in s.claims}
    if verdict is not None and verdict.basis not in verified_quotes:
        verdict = None  # a verdict stands only on a claim that passed verification
    return _renumber(answer.model_copy(update={"sections": sections, "verdict": verdict})), report


def _verify_one(claim: Claim, references: dict, store: SQLiteStore) -> tuple[bool, str]:
    doc_id, _, index = claim.quote.passage_id.rpartition("#")
    document = store.get(doc_id)
    if document is None or not index.isdigit() or int(index) >= len(document.passages):
        return False, f"cited passage {claim.quote.passage_id} does not exist"
    if document.retracted:
        return False, f"{doc_id} is retracted"
    if not claim.citations or any(references.get(n) is None or references[n].doc_id != doc_id for n in claim.citations):
        return False, f"citation {claim.citations} does not point to {doc_id}"
    passage_text = document.passages[int(index)].text
    if passage_text[claim.quote.start : claim.quote.end] != claim.quote.text:
        return False, "quote is not the cited passage's text at the stated span"
    return check_claim(claim.text, claim.quote.text)


def _renumber(answer: Answer) -> Answer:
    """Drop uncited references and number the rest 1..n in order of first citation."""
    old = {r.number: r for r in answer.references}
    mapping: dict[int, int] = {}
    for claim in answer.claims():
        for number in claim.citations:
            mapping.setdefault(number, len(mapping) + 1)
    if answer.verdict:
        for number in answer.verdict.citations:
            mapping.setdefault(number, len(mapping) + 1)
    sections = [
        s.model_copy(update={"claims": [c.model_copy(update={"citations": [mapping[n] for n in c.citations]}) for c in s.claims]})
        for s in answer.sections
    ]
    references = [old[n].model_copy(update={"number": new}) for n, new in sorted(mapping.items(), key=lambda kv: kv[1])]
    verdict = answer.verdict
    if verdict:
        verdict = verdict.model_copy(update={"citations": [mapping[n] for n in verdict.citations]})
    return answer.model_copy(update={"sections": sections, "references": references, "verdict": verdict})
