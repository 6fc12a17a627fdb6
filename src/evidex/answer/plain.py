"""Patient language: explain medical terms in plain words, and measure reading grade.

A rewrite only adds glosses from the CDC plain-language thesaurus after
medical terms ("hypertension (high blood pressure)"); it never adds numbers,
negations or claims, so :mod:`evidex.answer.verify` can still check the rewritten
sentence against the source.  Glosses that would add a negation
("asymptomatic" → "without symptoms") are skipped for the same reason.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import replace

with warnings.catch_warnings():  # textstat 0.7.3 imports pkg_resources, which setuptools 81 warns is deprecated
    warnings.simplefilter("ignore", UserWarning)
    import textstat

from evidex.answer.appraise import _VERB
from evidex.answer.compose import PATIENT_GRADE, Draft, warns
from evidex.answer.types import SECTION_TITLES
from evidex.answer.verify import check_claim
from evidex.answer.words import crude_stems, mentions
from evidex.search.vocab import Vocabulary, normalise

_NEGATING = re.compile(r"\b(no|not|without|never|none)\b", re.IGNORECASE)
_DESCRIPTION = re.compile(r"^(a|an|the|something|someone|related to|having|being)\b", re.IGNORECASE)
# A one-word gloss ending in -ed describes rather than names, so it glosses only an adjective:
# "spontaneous (unplanned)", never "anemia (tired)" or "morbidity (diseased)" ("require (need)" stays).
_ADJECTIVE = re.compile(r"(?:ent|ant|ous|ive|al|ic|ed|ful|less|able|ible)$", re.IGNORECASE)
_WORDS = re.compile(r"[A-Za-z][A-Za-z'-]*")
_PARTICLES = frozenset("to with of for on up in at from by about into out off".split())
MAX_PHRASE_WORDS = 3
MIN_GLOSSED_CHARS = 5  # short words in the thesaurus ("able", "aid") are everyday English
# Everyday words whose first thesaurus alternative changes the meaning in a sentence or
# says less than the word: "clinical (work) trial", "exposure (around)", "increases (add to)",
# "appropriate (take)", "control (manage)", "asthma (disease)", "severe (strong)", "regimen (diet)",
# "effect (make)", "United States (say)", "corticosteroid (asthma drug)".
EVERYDAY = frozenset(
    "treatment treatments treat regimen regimens effect effects hormone hormones factor factors available states "
    "state present attack attacks diagnose prevention prevent comply trigger triggers episode episodes traumatic "
    "substance substances corticosteroid corticosteroids "
    "control asthma disease illness risk clinical exposure exposures appropriate develop develops developed developing increase increases increased "
    "decrease decreases decreased reduce reduces reduced effective effectively demonstrate demonstrated demonstrates "
    "currently respond responds response receive receives perform performed performs procedure procedures "
    "therapeutic significant significantly individual individuals condition conditions symptoms symptom "
    "highly "  # the thesaurus's "very probably" would make "highly contagious" a guess
    "moderate moderately severe severity function functional activity activities "
    "medication medications medicine medicines therapy therapies option options occur occurs require requires "
    "required initial similar".split()
)
# Parenthetical asides a patient does not need and that carry no claim of their own:
# statistics, study design notes, cross-references and abbreviations.
_STATISTICS = re.compile(
    r"\s\([^()]*(?:\b(?:CI|OR|RR|HR|SMD|WMD|MD)\b|\b[pPn]\s?[<=>≤]|Design:|\b[Rr]efer to\b|\b[Ss]ee\b|95\s?%|\bI2\b|I²)[^()]*\)"
)
_ABBREVIATION = re.compile(r"\s\(([A-Z]{2,}[A-Za-z0-9/-]{0,8})\)")
# Grading tags such as "(Strong, High)" or "(Conditional, Very Low)": the sentence itself says
# "strongly" / "conditionally recommended", and the reference list keeps the source.
_GRADE_TAG = re.compile(
    r"\s\((?:Strong|Conditional|Weak|Moderate|Good|Fair|Insufficient|Expert|Grade\s[A-D]|Level\s[IV1-5]+)\b[^()]{0,40}\)"
)


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
            or (len(words) == 1 and re.search(r"[^e]ed$", first) and not _ADJECTIVE.search(phrase))
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
                plain = self._gloss(phrase, glossed, text)
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

    def _gloss(self, phrase: str, glossed: set[str], sentence: str) -> str | None:
        if phrase.lower() in glossed or len(phrase) < MIN_GLOSSED_CHARS or phrase.lower() in EVERYDAY:
            return None
        plain = self.plain_word(phrase)
        # No gloss that only repeats the word ("kidneys (kidney)") or a plain word the
        # sentence already uses ("glucose (sugar), also called sugar").
        if not plain or crude_stems(plain) == crude_stems(phrase) or re.search(rf"\b{re.escape(plain)}\b", sentence, re.IGNORECASE):
            return None
        if not self._fits(phrase, plain):
            return None
        return plain

    def _fits(self, phrase: str, plain: str) -> bool:
        """Whether the gloss reads in the word's place.  The thesaurus glosses the base form
        ("fracture" → "break", "supplement" → "add to"): a plural in the sentence gets no
        singular gloss ("fractures (break)"), and a gloss that ends in a preposition or particle is
        a verb phrase that cannot stand for a noun ("supplements (add to)", "absorption (take in)")."""
        if plain.split()[-1].lower() in _PARTICLES:
            return False
        last = phrase.split()[-1]
        singular = normalise(last)
        plural = last.lower() != singular and self.vocabulary.is_common_word(singular)
        return not (plural and not plain.lower().endswith("s"))

    def simplify(self, text: str) -> str:
        """``text`` without parenthetical statistics, design notes, grading tags, cross-references and
        abbreviations ("(95% CI 0.5-0.9)", "(Design: RCT)", "(Strong, High)", "(USPSTF)"), its
        semicolons made full stops, ending in a full stop.

        Only removes text and changes punctuation; :meth:`rewrite_draft` keeps the
        result only if verification still accepts it against the source."""
        simpler = _GRADE_TAG.sub("", _STATISTICS.sub("", text))
        # "(USPSTF)" goes only if the sentence does not use the abbreviation again
        simpler = _ABBREVIATION.sub(lambda m: "" if simpler.count(m.group(1)) == 1 else m.group(0), simpler).strip()
        simpler = _split_semicolons(simpler)
        if simpler and simpler[-1] not in ".!?":
            simpler = simpler.rstrip(" ;:,") + "."
        return simpler

    def rewrite_draft(self, draft: Draft) -> Draft:
        """Rewrite every claim that stays checkable against its source; keep the others verbatim."""
        sections = {}
        for key, claims in draft.sections.items():
            rewritten = []
            for claim in claims:
                text = claim.text
                for step in (self.simplify, self.rewrite):
                    candidate = step(text)
                    if check_claim(candidate, claim.finding.text)[0]:
                        text = candidate
                rewritten.append(replace(claim, text=text))
            sections[key] = rewritten
        return Draft(sections=sections, notes=draft.notes)


# What a patient answer keeps whatever its reading grade: the answer itself, what to avoid, harms
# and pitfalls, when to get help and what applies to the reader, and any statement that warns of
# harm or urgency wherever it stands.  The other statements may go, hardest first; a patient
# answer keeps at least this many.
_ALWAYS_KEPT = frozenset({"bottom_line", "avoid", "pitfalls", "escalate", "patient_specific"})
PATIENT_MIN_CLAIMS = 3


def fit_reading_grade(
    draft: Draft,
    treatments: Sequence[frozenset[str]] = (),
    target: float = PATIENT_GRADE,
    minimum: int = PATIENT_MIN_CLAIMS,
) -> Draft:
    """Leave out hard optional statements until the whole answer reads at ``target``.

    One hard sentence can lift a patient answer above grade 8 on its own; the
    clinician answer keeps it.  A statement goes only if leaving it out lowers
    the answer's grade: first those that do not name a treatment the question
    asks about (``treatments``, as :func:`evidex.answer.appraise.treatment_phrases`
    gives them), the hardest first (of two as hard, the less relevant);
    never below ``minimum`` statements, never one that warns of harm or urgency,
    never from the sections in ``_ALWAYS_KEPT``, and never the last statement of
    a section that a note points to ("shown under Evidence from related groups")."""
    sections = {key: list(claims) for key, claims in draft.sections.items()}
    noted = " ".join(text for texts in draft.notes.values() for text in texts)

    def grade_without(skipped=None) -> float:
        return reading_grade([c.text for claims in sections.values() for c in claims if c is not skipped]) or 0.0

    def removable(key: str, claim) -> bool:
        if key in _ALWAYS_KEPT or warns(claim.text):
            return False
        return len(sections[key]) > 1 or SECTION_TITLES.get(key, key) not in noted

    while sum(map(len, sections.values())) > minimum and (current := grade_without()) > target:
        hard = [
            (key, claim)
            for key, claims in sections.items()
            for claim in claims
            if removable(key, claim) and (reading_grade(claim.text) or 0.0) > target and grade_without(claim) < current
        ]
        if not hard:
            break
        key, hardest = max(
            hard,
            key=lambda item: (
                not mentions(treatments, item[1].text),
                reading_grade(item[1].text) or 0.0,
                -item[1].finding.score,
            ),
        )
        sections[key].remove(hardest)
    return Draft(sections={key: claims for key, claims in sections.items() if claims}, notes=draft.notes)


def _split_semicolons(text: str) -> str:
    """"Increase the dose; use SABA for relief" → "Increase the dose. Use SABA for relief":
    shorter sentences, the same words.  Only where every piece is a sentence of its own: a
    piece without a verb, or one that continues the sentence before it ("…should not be used
    in eGFR below 30; in those with acidosis; or during contrast studies"), keeps the
    semicolons, and so do semicolons inside brackets."""
    pieces, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += char in "(["
        depth -= char in ")]"
        if char == ";" and depth == 0:
            pieces.append(text[start:i].strip())
            start = i + 1
    pieces.append(text[start:].strip())
    if len(pieces) == 1 or not all(_stands_alone(p) for p in pieces):
        return text
    return " ".join(_capitalised(p) + ("" if p[-1] in ".!?" else ".") for p in pieces)


def _stands_alone(piece: str) -> bool:
    """At least three words, a verb (or an instruction: "start OCS if not improving"), and
    not a continuation of the sentence before ("in those with acidosis", "- and …")."""
    words = piece.split()
    if len(words) < 3 or words[0].lower() in _CONTINUATIONS or piece.startswith(("-", "–")):
        return False
    return bool(_VERB.search(piece)) or words[0].lower() in _INSTRUCTIONS


def _capitalised(piece: str) -> str:
    """First letter up, unless the first word is written in mixed case ("eGFR", "pH")."""
    first = piece.split()[0]
    return piece[:1].upper() + piece[1:] if first.islower() else piece


_INSTRUCTIONS = frozenset(
    "use start stop check take avoid give add increase decrease reduce consider continue monitor measure switch "
    "begin keep limit eat drink call see ask talk tell try get make seek minimize minimise interpret repeat refer "
    "assess review follow step watch wait rest walk".split()
)
_CONTINUATIONS = frozenset(
    "and or but nor in on at for with without during by to from of those that which who whom whose whereas while "
    "including especially particularly e.g. i.e. such as than then".split()
)


def reading_grade(text: str | list[str]) -> float | None:
    """Flesch–Kincaid grade of ``text`` (None for empty text).

    Given a list, each item counts as a sentence of its own even without a
    full stop (answer claims are shown one per line; joined without
    punctuation, table rows and bullet fragments would read as one
    enormous sentence)."""
    if isinstance(text, list):
        text = " ".join(t.strip() if t.strip()[-1:] in ".!?" else t.strip() + "." for t in text if t.strip())
    return round(textstat.flesch_kincaid_grade(text), 1) if text.strip() else None


def _match_case(original: str, replacement: str) -> str:
    return replacement[:1].upper() + replacement[1:] if original[:1].isupper() else replacement
