"""Patient language: explain medical terms in plain words, and measure reading grade.

A rewrite only adds glosses from the CDC plain-language thesaurus after
medical terms ("hypertension (high blood pressure)"); it never adds numbers,
negations or claims, so :mod:`evidex.verify` can still check the rewritten
sentence against the source.  Glosses that would add a negation
("asymptomatic" → "without symptoms") are skipped for the same reason.
"""

from __future__ import annotations

import re
from dataclasses import replace

import textstat

from evidex.compose import Draft
from evidex.verify import check_claim
from evidex.vocab import Vocabulary

_NEGATING = re.compile(r"\b(no|not|without|never|none)\b", re.IGNORECASE)
_DESCRIPTION = re.compile(r"^(a|an|the|something|someone|related to|having|being)\b", re.IGNORECASE)
_WORDS = re.compile(r"[A-Za-z][A-Za-z'-]*")
MAX_PHRASE_WORDS = 3
MIN_GLOSSED_CHARS = 5  # short words in the thesaurus ("able", "aid") are everyday English


class PlainLanguage:
    """Adds plain-word glosses to sentences; build once per process."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary

    def plain_word(self, phrase: str) -> str | None:
        """The thesaurus's first alternative, if it can stand in the sentence's place.

        Only the first (preferred) alternative is considered: later ones are
        sometimes narrower ("anti-inflammatory" → "aspirin"), which would change
        the claim.  Descriptions ("a drug to …", "related to the kidney") do not
        fit inside a sentence and are skipped.
        """
        alternatives = self.vocabulary.plain_terms(phrase)
        if not alternatives:
            return None
        first = alternatives[0].strip()
        words = first.split()
        if (
            not first
            or _NEGATING.search(first)
            or _DESCRIPTION.match(first)
            or any(c.isdigit() for c in first)
            or len(words) > len(phrase.split()) + 2
        ):
            return None
        return first

    def rewrite(self, text: str) -> str:
        """``text`` with a plain gloss after the first use of each medical word or phrase:
        "aerobic (needs oxygen) reconditioning".

        Glossing rather than replacing keeps the sentence grammatical and the
        source's exact words in place.
        """
        words = list(_WORDS.finditer(text))
        pieces: list[str] = []
        position = 0
        glossed: set[str] = set()
        i = 0
        while i < len(words):
            for size in range(min(MAX_PHRASE_WORDS, len(words) - i), 0, -1):
                start, end = words[i].start(), words[i + size - 1].end()
                phrase = text[start:end]
                plain = self._gloss(phrase, glossed)
                if plain:
                    pieces.append(text[position:end])
                    pieces.append(f" ({plain})")
                    position = end
                    glossed.add(phrase.lower())
                    i += size
                    break
            else:
                i += 1
        pieces.append(text[position:])
        return "".join(pieces)

    def _gloss(self, phrase: str, glossed: set[str]) -> str | None:
        if phrase.lower() in glossed or len(phrase) < MIN_GLOSSED_CHARS:
            return None
        plain = self.plain_word(phrase)
        return plain if plain and plain.lower() != phrase.lower() else None

    def rewrite_draft(self, draft: Draft) -> Draft:
        """Rewrite every claim that stays checkable against its source; keep the others verbatim."""
        sections = {}
        for key, claims in draft.sections.items():
            rewritten = []
            for claim in claims:
                text = self.rewrite(claim.text)
                ok, _ = check_claim(text, claim.finding.text)
                rewritten.append(replace(claim, text=text if ok else claim.text))
            sections[key] = rewritten
        return Draft(sections=sections, notes=draft.notes)


def reading_grade(text: str) -> float | None:
    """Flesch–Kincaid grade of ``text`` (None for empty text)."""
    return round(textstat.flesch_kincaid_grade(text), 1) if text.strip() else None


def _match_case(original: str, replacement: str) -> str:
    return replacement[:1].upper() + replacement[1:] if original[:1].isupper() else replacement
