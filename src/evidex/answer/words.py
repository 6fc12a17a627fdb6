"""How the answer steps compare a question's words with a source sentence's.

Deliberately cruder than :mod:`evidex.search.vocab`: these run on every
sentence of every retrieved passage.  :mod:`evidex.answer.understand` turns
the question's concepts into phrases once; appraise, compose and verdict
match sentences against those phrases and never re-read the question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_STOPWORDS = frozenset(
    "a an and are as at be by for from has have in is it its of on or that the their this to was were with "
    "without what which who how does do can should".split()
)
_SPELLING = {"disk": "disc", "tumour": "tumor", "oedema": "edema", "paediatric": "pediatric"}
_NOT_PLURAL = frozenset({"aids", "diabetes", "herpes", "rabies", "measles", "mumps", "scabies", "series", "species"})


_TOKEN = re.compile(r"[a-z0-9]+")
# "non-steroidal" drugs are not steroids, nor "non-opioid" analgesics opioids: before an adjective the
# prefix stays on its word ("non-HDL cholesterol" still names HDL, as the question that asks of it does).
_NON = re.compile(r"\bnon[-\s]+(?=[a-z]+(?:al|ic|oid|ive|ous|ary)\b)")


def crude_stems(text: str) -> set[str]:
    """Words cut to six letters, so "herniated", "herniation" and "hernias" meet.

    Deliberately simpler than :func:`evidex.search.vocab.normalise_words`: it runs on
    every sentence of every retrieved passage.
    """
    return {_stem(w) for w in _TOKEN.findall(_NON.sub("non", text.lower())) if w not in _STOPWORDS}


# Names of agencies whose words are not what a sentence is about: the U.S. Food and Drug
# Administration approving a drug does not mention food, nor does the National Institute of
# Neurological Disorders and Stroke researching headaches mention strokes.
_AGENCIES = re.compile(
    r"\b(?:food\s+and\s+drug\s+administration|centers?\s+for\s+disease\s+control(?:\s+and\s+prevention)?|"
    r"national\s+(?:institutes?\s+(?:of|on)\s+(?:neurological\s+disorders\s+and\s+stroke|diabetes\s+and\s+digestive\s+and\s+kidney\s+diseases|"
    r"allergy\s+and\s+infectious\s+diseases|arthritis\s+and\s+musculoskeletal\s+and\s+skin\s+diseases|"
    r"deafness\s+and\s+other\s+communication\s+disorders|mental\s+health|drug\s+abuse|alcohol\s+abuse\s+and\s+alcoholism|"
    r"child\s+health\s+and\s+human\s+development|dental\s+and\s+craniofacial\s+research|aging|health)|"
    r"heart,?\s+lung,?\s+and\s+blood\s+institute|eye\s+institute|cancer\s+institute|human\s+genome\s+research\s+institute))\b"
)


def _words(text: str) -> list[str]:
    """A text's words, lower case, with no agency's name and each "non-" joined to its word."""
    return _TOKEN.findall(_NON.sub("non", _AGENCIES.sub(" ", text.lower())))


@lru_cache(maxsize=20_000)
def concept_words(text: str) -> frozenset[str]:
    """:func:`crude_stems`, plus each longer word's first seven letters (marked "…"),
    which a concept phrase's long words must match too (:func:`concept_phrase`).
    Cached: appraise, relevance and compose ask it of the same sentences and titles."""
    words = [_singular(w) for w in _words(text) if w not in _STOPWORDS]
    return frozenset(
        {_stem(w) for w in words}
        | {_long_prefix(w) for w in words if len(w) > LONG_PREFIX}
        | {_long_prefix(w, LONGER_PREFIX) for w in words if len(w) > LONGER_PREFIX}
    )


def concept_phrase(name: str) -> frozenset[str]:
    """A concept's name as the words a sentence must mention (:func:`concept_words`).

    Six letters alone let "patellae" (genitopatellar syndrome) mention
    "patellofemoral", and "psychodynamic" mention "psychotherapy"; a long word
    (from :data:`LONG_WORD` letters) must also share its seventh, which still lets
    "radicular" mention "radiculopathy" and "neurologic" "neurological".
    """
    words = [_singular(w) for w in _words(name) if w not in _STOPWORDS]
    return frozenset(
        {_stem(w) for w in words}
        | {_long_prefix(w) for w in words if len(w) >= LONG_WORD}
        | {_long_prefix(w, LONGER_PREFIX) for w in words if len(w) >= VERY_LONG_WORD}
    )


LONG_PREFIX = 7
LONG_WORD = 12
# A very long name (a drug's chemical name) must share its first eleven letters: seven let
# "dimethylbiguanidine" (metformin) mention "dimethylsulfoxide", and "hydrochlorothiazide" "hydrochloride";
# eleven still let "psychotherapeutic" mention "psychotherapy".
LONGER_PREFIX = 11
VERY_LONG_WORD = 15


def _long_prefix(word: str, letters: int = LONG_PREFIX) -> str:
    """The first ``letters`` letters, "s" read as "z" ("immunisation" meets "immunization"), marked."""
    return f"{word[:letters].replace('s', 'z')}…"


def _stem(word: str) -> str:
    singular = _singular(word)
    return _SPELLING.get(singular, singular)[:6]


def _singular(word: str) -> str:
    """"discs" → "disc", "ESIs" → "esi": cutting to six letters already merges longer plurals.
    "aids" stays (AIDS is not a hearing aid); "-ss", "-us" and longer "-is" words are not plurals."""
    if word in _NOT_PLURAL or len(word) <= 3 or not word.endswith("s") or word.endswith(("ss", "us")):
        return word
    if word.endswith("is") and len(word) > 4:
        return word
    return word[:-1]


def mentions(phrases: list[frozenset[str]], text: str) -> bool:
    words = concept_words(text)
    return any(phrase <= words for phrase in phrases)


# Parts of the body a sentence is about, so that indirect evidence for a back problem does
# not come from a sentence about neck exercises in a guideline that covers both.
_BODY_REGIONS = {
    "back": re.compile(r"\b(?:back|lumbar|lumbosacral|thoracolumbar|spine|spinal|sciatic\w*|discs?|disks?|radicul\w*)\b", re.IGNORECASE),
    "neck": re.compile(r"\b(?:neck|cervical spine|whiplash)\b", re.IGNORECASE),
    "knee": re.compile(r"\bknees?\b", re.IGNORECASE),
    "hip": re.compile(r"\bhips?\b", re.IGNORECASE),
    "shoulder": re.compile(r"\bshoulders?\b", re.IGNORECASE),
    "hand": re.compile(r"\b(?:hands?|wrists?|fingers?|carpal)\b", re.IGNORECASE),
    "foot": re.compile(r"\b(?:feet|foot|ankles?|plantar)\b", re.IGNORECASE),
}


def body_regions(text: str) -> set[str]:
    return {region for region, pattern in _BODY_REGIONS.items() if pattern.search(text)}


@dataclass
class Topic:
    """What a finding must be about: the question's concepts as stem sets, and its plain words."""

    required: list[list[frozenset[str]]]  # one list of alternative phrases per main concept
    optional: list[list[frozenset[str]]]  # interventions and other concepts
    words: set[str]
    anchors: list[list[frozenset[str]]]  # every one must be mentioned (the drug of a dosing question)

    def covers_anchors(self, words: set[str]) -> bool:
        return all(any(phrase <= words for phrase in anchor) for anchor in self.anchors)

    def names_a_concept(self, words: set[str]) -> bool:
        return any(phrase and phrase <= words for concept in self.required + self.optional for phrase in concept)

    def names_all(self, words: set[str]) -> bool:
        """Whether ``words`` name every main concept of the question."""
        return all(any(phrase and phrase <= words for phrase in concept) for concept in self.required)

    def score(self, words: set[str]) -> tuple[float, int]:
        """(topical score, how many required concepts are mentioned)."""
        def mentioned(phrases: list[frozenset[str]]) -> bool:
            return any(phrase and phrase <= words for phrase in phrases)

        required = sum(mentioned(c) for c in self.required)
        optional = sum(mentioned(c) for c in self.optional)
        overlap = len(words & self.words) / max(1, len(self.words))
        concepts = len(self.required) + len(self.optional)
        score = (required + 0.7 * optional) / concepts if concepts else 0.0
        return score + 0.5 * overlap, required


# Groups of people (and laboratory animals) a sentence or a question can be about.
_POPULATION = re.compile(
    # not a Child-Pugh score, nor child-bearing age, nor the children one may have ("couples planning to have children")
    r"\b(?<!have )(?<!having )(?<!had )(?<!have a )(?<!having a )(?<!had a )(?:children|child(?![-–\s]*(?:pugh|turcotte|bearing|birth))|infants?|adolescents?|paediatric|pediatric|"
    r"newborns?|neonates?|neonatal|older (?:adults|people|patients)|"
    r"elderly|aged (?:6[5-9]|[7-9]\d)|pregnan\w*|breast[- ]?feeding|women|men|mice|mouse|rats?|murine|rodents?|"
    r"animal (?:models?|studies))\b",
    re.IGNORECASE,
)

# A population word, as the modifier key understand gives it (so "older" matches "older_adult").
_POPULATION_GROUP = {
    "child": "child", "children": "child", "infant": "child", "adolescent": "child", "paediatric": "child",
    "pediatric": "child", "newborn": "child", "neonate": "child", "neonatal": "child", "older": "older_adult", "elderly": "older_adult", "aged": "older_adult",
    "pregnan": "pregnancy", "pregnancy": "pregnancy", "pregnant": "pregnancy", "breast": "pregnancy",
    "breastfeeding": "pregnancy", "women": "women", "men": "men", "mice": "animals", "mouse": "animals",
    "rat": "animals", "murine": "animals", "rodent": "animals", "animal": "animals",
}

_GROUP_LABELS = {
    "child": "children or adolescents", "older_adult": "older adults", "pregnancy": "pregnancy or breastfeeding",
    "animals": "animals (a laboratory study)",
}


def population_groups(text: str) -> list[str]:
    """The groups ``text`` names, as keys: "child", "older_adult", "pregnancy", "women", "animals" …"""
    groups: list[str] = []
    for match in _POPULATION.finditer(text):
        word = match.group(0).lower()
        group = _POPULATION_GROUP.get(word.split()[0].rstrip("s"), word)
        if group not in groups:
            groups.append(group)
    return groups


def population_label(group: str) -> str:
    """How a group reads in a note: "older adults", "children or adolescents" …"""
    return _GROUP_LABELS.get(group, group)
