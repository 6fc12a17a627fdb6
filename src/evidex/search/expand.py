"""Turn a clinician's or patient's question into search terms and MeSH concepts.

"What are the most evidence-backed exercises for a slipped disc with
sciatica?" becomes the content words (exercises, slipped, disc, sciatica),
the concepts they name (Exercise, Intervertebral Disc Displacement, Sciatica)
and weighted synonyms (herniated disk, sciatic neuralgia, ...) so that the
search finds evidence written in other words.  The user's own words are kept
apart from the expansions so the search layer can weight them higher.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from evidex.search.vocab import (
    PLACES,
    Descriptor,
    LayTopic,
    Sense,
    SenseKind,
    Token,
    Vocabulary,
    normalise,
    stem,
    tokenize,
    uninvert,
)

MAX_NGRAM = 8
MAX_SYNONYMS = 6
MAX_SPELLING_CHECKS = 10
MIN_CORRECTED, MAX_CORRECTED = 6, 40  # letters of a word worth correcting
MAX_FTS_ITEMS = 64

ABBREVIATION_WEIGHT = 0.9  # the expansion is what the user meant by "PT"
NAME_WEIGHT = 0.8
SYNONYM_WEIGHT = 0.6

STOP_PHRASES = (
    "what is the best",
    "what are the best",
    "what is the most effective",
    "what are the most effective",
    "what is the most evidence based",
    "what are the most evidence based",
    "what is the most evidence backed",
    "what are the most evidence backed",
    "what does the evidence say about",
    "what is the evidence for",
    "what is the evidence on",
    "is there evidence that",
    "is there any evidence that",
    "is there evidence for",
    "is there any evidence for",
    "according to the evidence",
    "evidence based",
    "evidence backed",
    "in a patient with",
    "in patients with",
    "for a patient with",
    "for patients with",
    "in a person with",
    "in people with",
    "for people with",
    "can you tell me",
    "i would like to know",
    "treatment options for",
    "how to treat",
    "how do you treat",
    "how should i treat",
    "what should i do",
)
"""Question framings that say nothing about the topic ("patient", "evidence" and "best" mislead search)."""

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing done down during each few for from further get
    had has have having he her here hers herself him himself his how i if in into is it its itself just
    let me more most my myself no nor not now of off on once only or other our ours ourselves out over own
    please same she should so some such than that the their theirs them themselves then there these they
    this those through to too under until up very vs versus was we were what when where which while who
    whom why will with within without would you your yours yourself yourselves""".split()
)

CLINICAL_CATEGORIES = tuple("ACDEFGMN")
"""MeSH trees a concept must be in: anatomy, diseases, drugs, techniques, psychiatry, phenomena,
persons, health care; not organisms, disciplines, society, technology or geography."""

# A pronoun and a modal verb, after which an everyday word is a verb ("this may sound silly"; but
# "can stress cause …" asks about stress).
_MODALS = frozenset("may might can could will would should must shall does do did".split())
_COMING_BACK = frozenset("come comes came coming go goes went going grow grows grew growing bounce get gets got".split())
_SUBJECT_PRONOUNS = frozenset("i you he she it we they this that these those which who".split())
_THIRD_PERSON = frozenset("it this that these those they".split())
# "a cold", "my cold", "colds": an everyday word counted like an illness, and not followed by what
# it describes ("a cold compress", "my cold hands"), names the illness.
_COUNTING = frozenset("a an my this your his her our their".split())
# Units of measure, which the abbreviation list also reads as names ("MG" myasthenia gravis, "ML"
# multiple myeloma's …): after a number, or after "how many" when what follows is not what is counted
# ("how many MG of naproxen", not "how many MG patients"), they are amounts.
_UNITS = frozenset("mg mgs mcg ug g gm kg ml mls l iu mmol meq cc".split())
_AMOUNT_WORDS = frozenset("many much few".split())
# Letters after a drug's name that name its product ("Tylenol PM", "Mucinex DM", "Depakote ER",
# "Claritin D"): the abbreviation list reads them as polymyositis, dermatomyositis or estrogen receptors.
# Release forms follow any drug's name ("Metformin ER"); the letters of a combination ("DM", "PE",
# "CD") follow only a brand the vocabulary does not know, since after a known one they are a
# condition ("Januvia DM", "Lovenox PE", "Humira CD").
_RELEASE_SUFFIXES = frozenset("pm am xr xl er sr cr la odt ir hct xt d".split())
_COMBINATION_SUFFIXES = frozenset("dm pe cd".split())
_AFTER_AN_AMOUNT = frozenset("of should do does can could would will is are a an per every each daily".split())
# Words after an illness's everyday name that keep it a name ("my cold lasts", "cold symptoms",
# "does my cold need antibiotics"); any other word is what it describes ("a cold day", "a cold cloth").
_AFTER_AN_ILLNESS = frozenset(
    """need needs needed last lasts lasted lasting get gets got getting go goes going went turn turns turned
    make makes made keep keeps kept come comes came start starts started cause causes caused spread spreads
    seem seems linger lingers lingering won't wont isn't hasn't symptoms symptom medicine medicines medication
    medications remedy remedies virus viruses germs season contagious worse better gone over viral bacterial""".split()
)
GENERIC_WORDS = frozenset(
    stem(w)
    for w in """treatment therapy management patient people person option approach intervention evidence
    best effective recent use effect way help good better work study research time risk disease disorder
    condition problem symptom sign medication medicine drug surgery operation procedure method affect""".split()
)
"""Kept as search terms but never a concept alone: as MeSH headings they are too broad or mean
something else ("treatment" is Therapeutics, "surgery" the specialty General Surgery, "affects" in
"what affects babies …" is not Affect, the emotion)."""

_STOP_PHRASE_KEYS = tuple(sorted((tuple(normalise(p).split()) for p in STOP_PHRASES), key=len, reverse=True))
_KIND_ORDER = (SenseKind.MESH, SenseKind.LAY, SenseKind.ABBREVIATION)
_ACRONYM_ORDER = (SenseKind.MESH, SenseKind.ABBREVIATION, SenseKind.LAY)
Source = Literal["mesh", "lay", "abbreviation"]
_SOURCE: dict[SenseKind, Source] = {
    SenseKind.MESH: "mesh",
    SenseKind.LAY: "lay",
    SenseKind.ABBREVIATION: "abbreviation",
}


class Concept(BaseModel):
    """A medical concept named in the question."""

    name: str = Field(description="Canonical MeSH name, or the lay topic / abbreviation expansion without one")
    ui: str | None = Field(default=None, description="MeSH descriptor UI, e.g. D012585")
    tree_numbers: list[str] = Field(default_factory=list)
    matched_text: str = Field(description="The words of the question that named it")
    synonyms: list[str] = Field(default_factory=list, description="A few useful other names, best first")
    source: Source = Field(description="What matched: a MeSH term, a MedQuAD lay name or an abbreviation")
    ambiguous: bool = Field(
        default=False,
        description="The word that named it means something else alone (\"cold\" in \"I have a cold\" is a "
        "temperature elsewhere): a sentence must use one of its other names",
    )


class WeightedTerm(BaseModel):
    """An expansion; ``weight`` < 1 says how much less it counts than the user's own words."""

    text: str
    weight: float


class ExpandedQuery(BaseModel):
    """A question as search terms: the user's words, the concepts they name, and synonyms."""

    text: str
    terms: list[str] = Field(description="Content words of the question, lowercase, spelling-corrected")
    concepts: list[Concept] = Field(default_factory=list)
    expansion_terms: list[WeightedTerm] = Field(default_factory=list)
    corrections: dict[str, str] = Field(default_factory=dict, description="Misspelt word -> correction")

    def fts_query(self, include_expansions: bool = True) -> str:
        """An SQLite FTS5 MATCH expression: an OR of quoted words and phrases.

        Every item is reduced to letters and digits and quoted, so no input
        (quotes, NEAR, *, :, parentheses, AND/OR/NOT) can form FTS5 syntax.
        At most ``MAX_FTS_ITEMS`` items, the user's words first.  With nothing
        to search for it returns ``""`` (an empty phrase, which matches
        nothing) rather than an empty string, which FTS5 rejects.
        """
        return fts_match(self.fts_phrases(include_expansions))

    def fts_phrases(self, include_expansions: bool = True) -> list[str]:
        """The distinct words and phrases of :meth:`fts_query`, reduced to letters and digits, the user's first."""
        texts = list(self.terms)
        if include_expansions:
            texts += [term.text for term in self.expansion_terms]
        phrases = dict.fromkeys(" ".join(t.surface for t in tokenize(text)) for text in texts)
        return [phrase for phrase in phrases if phrase]


def fts_match(phrases: Sequence[str]) -> str:
    """An FTS5 OR of quoted phrases (from :meth:`ExpandedQuery.fts_phrases`), at most ``MAX_FTS_ITEMS``;
    ``'""'`` (matches nothing) when there are none."""
    return " OR ".join(f'"{phrase}"' for phrase in phrases[:MAX_FTS_ITEMS]) or '""'


@dataclass(frozen=True, slots=True)
class _Match:
    """Words of the question found in the vocabulary."""

    typed: str
    senses: list[Sense]
    words: int
    after_modal: bool = False  # "this may sound like": a verb, not Sound
    counted: bool = False  # "I have a cold": an illness, not Cold Temperature
    defined: str | None = None  # "computer-aided detection (CAD)": the meaning the question gives


@dataclass(frozen=True, slots=True)
class _Reading:
    """One interpretation of a match."""

    name: str
    source: Source
    descriptor: Descriptor | None = None
    topic: LayTopic | None = None


def expand_query(text: str, vocab: Vocabulary) -> ExpandedQuery:
    """Find the content words, concepts and synonyms of a question."""
    segments = _content_segments(tokenize(text))
    corrections = _correct_spelling(segments, vocab)
    segments = [_joined([_corrected(t, corrections) for t in segment], vocab) for segment in segments]
    matches = [m for segment in segments for m in _find_matches(segment, text, vocab)]
    concepts = _resolve(matches, vocab)
    words = [t.surface for segment in segments for t in segment]
    terms = [w for w in words if len(w) > 1 and w not in STOPWORDS]
    return ExpandedQuery(
        text=text,
        terms=list(dict.fromkeys(terms)),
        concepts=concepts,
        expansion_terms=_expansions(concepts, terms),
        corrections=corrections,
    )


def _content_segments(tokens: list[Token]) -> list[list[Token]]:
    """The runs of words left between stop phrases; concepts never span a removed phrase."""
    segments: list[list[Token]] = [[]]
    i = 0
    while i < len(tokens):
        keys = tuple(t.key for t in tokens[i : i + MAX_NGRAM])
        phrase = next((p for p in _STOP_PHRASE_KEYS if keys[: len(p)] == p), None)
        if phrase:
            segments.append([])
            i += len(phrase)
        else:
            segments[-1].append(tokens[i])
            i += 1
    return [segment for segment in segments if segment]


def _correct_spelling(segments: list[list[Token]], vocab: Vocabulary) -> dict[str, str]:
    """Corrections for the first few unknown words (each costs milliseconds; an essay must not stall)."""
    words = dict.fromkeys(t.surface for segment in segments for t in segment)
    unknown = [w for w in words if MIN_CORRECTED <= len(w) <= MAX_CORRECTED and not vocab.is_known_word(w)]
    corrections = {word: vocab.correct_spelling(word) for word in unknown[:MAX_SPELLING_CHECKS]}
    return {word: corrected for word, corrected in corrections.items() if corrected}


_ARTICLES = frozenset(("a", "an"))


def _joined(tokens: list[Token], vocab: Vocabulary) -> list[Token]:
    """Two words that are one term when written together: "heart burn" is heartburn (not burns
    of the heart), "tooth ache" toothache; never an article and its noun ("a steroid" is no asteroid)."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        if i + 1 < len(tokens) and tokens[i].surface.isalpha() and tokens[i + 1].surface.isalpha() \
                and tokens[i].surface not in _ARTICLES:
            word = tokens[i].surface + tokens[i + 1].surface
            if len(word) >= 7 and any(s.kind is not SenseKind.ABBREVIATION for s in vocab.senses(word)):
                out.append(Token(word, tokens[i].start, tokens[i + 1].end, word, stem(word)))
                i += 2
                continue
        out.append(tokens[i])
        i += 1
    return out


def _corrected(token: Token, corrections: dict[str, str]) -> Token:
    surface = corrections.get(token.surface)
    return token._replace(text=surface, surface=surface, key=stem(surface)) if surface else token


def _find_matches(
    tokens: list[Token], text: str, vocab: Vocabulary, longest: int = MAX_NGRAM
) -> Iterator[_Match]:
    """Greedy longest match, left to right.

    A phrase known only as a lay or abbreviation term ("COPD exacerbation")
    is searched for shorter MeSH terms too, so "COPD" is not lost.
    """
    i = 0
    drug_ends_at = -1  # the token after the last drug named
    while i < len(tokens):
        n, senses = _longest_at(tokens, i, text, vocab, longest)
        if not senses:
            i += 1
            continue
        span = tokens[i : i + n]
        if n == 1 and _names_a_product(tokens, i, text, vocab, drug_ends_at):
            i += 1  # "Tylenol PM", "Mucinex DM": the product, not polymyositis
            continue
        if any(s.kind is SenseKind.MESH and _is_a_drug(vocab.descriptor(s.ref)) for s in senses):
            drug_ends_at = i + n
        if n == 1 and span[0].surface == "back" and i > 0 and tokens[i - 1].surface in _COMING_BACK:
            i += 1  # "will it come back?": a recurrence, not the back
            continue
        if n == 1 and _is_an_amount(tokens, i, text):
            i += 1  # "how many MG of naproxen", "600 mg": a unit, not myasthenia gravis
            continue
        # "this may sound", "would it lead": a verb ("can I smoke", "should I ice" ask about smoking and ice)
        two_before = (tokens[i - 2].surface, tokens[i - 1].surface) if i > 1 else ("", "")
        after_modal = (two_before[0] in _SUBJECT_PRONOUNS and two_before[1] in _MODALS) or (
            two_before[0] in _MODALS and two_before[1] in _THIRD_PERSON)
        plural = n == 1 and span[0].surface != span[0].key and span[0].surface.endswith("s")
        counted = n == 1 and (plural or i > 0 and tokens[i - 1].surface in _COUNTING) and _ends_a_name(tokens, i + 1, text)
        defined = _meaning_given(tokens, i, text, senses, vocab) if n == 1 else None
        yield _Match(_typed(span, text), senses, n, after_modal, counted, defined)
        if n > 1 and all(s.kind is not SenseKind.MESH for s in senses):
            yield from _find_matches(span, text, vocab, n - 1)
        i += n


# "back to the ER", "went to ER", "in the OR", "an ER visit": the place, not estrogen receptors or odds ratios
_BEFORE_A_PLACE = re.compile(r"\b(?:(?:to|in|at|into)(?: the)?|(?:from|leave|left|visit|visited) the)\s+$", re.IGNORECASE)
# "ER status", "ER-positive", "PR negative": a tumour's receptor
_AFTER_A_MARKER = re.compile(r"^(?:\s*[+-]|[\s-]+(?:status|positive|negative|expression)\b)", re.IGNORECASE)
_AFTER_A_PLACE = re.compile(r"^\s+(?:visits?|trips?|doctors?|physicians?|nurses?|staff|waits?)\b", re.IGNORECASE)


def _meaning_given(tokens: list[Token], i: int, text: str, senses: list[Sense], vocab: Vocabulary) -> str | None:
    """The meaning of an abbreviation that the question itself gives: one it defines in brackets
    anywhere ("computer-aided detection (CAD)", "BPD (borderline personality disorder)"), whatever the
    corpus most often means by it, or a place it names ("back to the ER")."""
    meanings = [m for sense in senses if sense.kind is SenseKind.ABBREVIATION for m in vocab.abbreviation_meanings(sense.ref)]
    token = tokens[i]
    if _BEFORE_A_PLACE.search(text[: token.start]) or _AFTER_A_PLACE.match(text[token.end :]):
        if place := next((m for m in meanings if m.endswith(PLACES)), None):
            return place
    if _AFTER_A_MARKER.match(text[token.end :]):
        if marker := next((m for m in meanings if m.lower().endswith("receptor")), None):
            return marker
    for meaning in meanings if "(" in text else ():  # "… (BPD)" or "BPD (…)", anywhere in the question
        spelled = r"\W+".join(re.escape(t.text) for t in tokenize(meaning))
        letters = re.escape(token.text)
        if re.search(rf"\b{spelled}\W*\(\s*{letters}s?\s*\)|\b{letters}s?\s*\(\s*{spelled}\W*\)", text, re.IGNORECASE):
            return meaning
    return None


def _is_a_drug(descriptor: Descriptor) -> bool:
    """A drug by its name or a brand's, not a class of drugs (D27: "statins", "SGLT2 inhibitors")."""
    trees = descriptor.tree_numbers
    return any(t.startswith("D") for t in trees) and not any(t.startswith("D27") for t in trees)


def _names_a_product(tokens: list[Token], i: int, text: str, vocab: Vocabulary, drug_ends_at: int) -> bool:
    """Whether token ``i`` is the letters of a product after a drug's name ("Metformin ER",
    "Tylenol PM") or after a capitalised name no vocabulary knows ("Mucinex DM"), not a tumour's
    marker ("Tamoxifen ER status")."""
    letters = tokens[i].surface
    if letters not in _RELEASE_SUFFIXES | _COMBINATION_SUFFIXES or _AFTER_A_MARKER.match(text[tokens[i].end :]):
        return False
    if i == drug_ends_at:
        return letters in _RELEASE_SUFFIXES
    if i == 0 or not _typed([tokens[i]], text).isupper():
        return False
    name = _typed([tokens[i - 1]], text)
    return (len(name) >= 4 and name[0].isupper() and name[1:].islower() and not vocab.is_everyday_word(name)
            and not _longest_at(tokens, i - 1, text, vocab, 1)[1])


def _is_an_amount(tokens: list[Token], i: int, text: str) -> bool:
    """Whether token ``i`` is a unit of :data:`_UNITS` measuring something ("400 mg", "how many mg of")."""
    if tokens[i].surface not in _UNITS:
        return False
    before = text[: tokens[i].start].rstrip()
    if before and before[-1].isdigit():
        return True
    counted = i > 0 and tokens[i - 1].surface in _AMOUNT_WORDS
    return counted and (i + 1 == len(tokens) or tokens[i + 1].surface in _AFTER_AN_AMOUNT)


def _longest_at(
    tokens: list[Token], i: int, text: str, vocab: Vocabulary, longest: int
) -> tuple[int, list[Sense]]:
    """The longest phrase from ``i`` that names something; it may not start or end with a stopword."""
    for n in range(min(longest, len(tokens) - i), 0, -1):
        span = tokens[i : i + n]
        if _can_match(span):
            senses = vocab.senses(_typed(span, text))
            if senses:
                return n, senses
    return 0, []


def _ends_a_name(tokens: list[Token], i: int, text: str) -> bool:
    """Whether the word before token ``i`` ends an illness's name: nothing follows it in the clause, or
    a function word or a word of :data:`_AFTER_AN_ILLNESS` does ("a cold is", "my cold lasted", "cold
    symptoms"; not "a cold compress", "a cold day", "my cold hands")."""
    if i == len(tokens) or tokens[i].surface in STOPWORDS or text[tokens[i - 1].end : tokens[i].start].strip():
        return True
    return tokens[i].surface in _AFTER_AN_ILLNESS


def _can_match(span: Sequence[Token]) -> bool:
    if span[0].surface in STOPWORDS or span[-1].surface in STOPWORDS:
        return False
    return len(span) > 1 or span[0].key not in GENERIC_WORDS


def _typed(span: Sequence[Token], text: str) -> str:
    """The span as typed (case matters for acronyms), or as corrected."""
    if any(text[t.start : t.end] != t.text for t in span):
        return " ".join(t.text for t in span)
    return text[span[0].start : span[-1].end]


def _resolve(matches: list[_Match], vocab: Vocabulary) -> list[Concept]:
    """One concept per match; ambiguous ones ("PT") go to the reading nearest the others in MeSH."""
    readings = [_readings(match, vocab) for match in matches]
    context = {p for options in readings if len(options) == 1 for p in _tree_prefixes(options[0].descriptor)}
    concepts: dict[str, Concept] = {}
    for match, options in zip(matches, readings):
        if not options:
            continue
        best = max(options, key=lambda r: (len(_tree_prefixes(r.descriptor) & context), -options.index(r)))
        key = best.descriptor.ui if best.descriptor else best.name
        if key not in concepts:
            concepts[key] = _concept(best, match.typed, vocab)
    return list(concepts.values())


def _readings(match: _Match, vocab: Vocabulary) -> list[_Reading]:
    """The interpretations worth choosing between, in order of preference.

    A word typed as an acronym ("PT") pools every source, for the context to
    decide; otherwise the best kind and rank of sense wins: MeSH over lay
    over abbreviation.
    """
    everyday = match.words == 1 and vocab.is_everyday_word(match.typed)
    verb = everyday and match.after_modal
    senses = match.senses
    if not all(s.form for s in senses):
        kind = min((s.kind for s in senses), key=_KIND_ORDER.index)
        senses = [s for s in senses if s.kind is kind]
        senses = [s for s in senses if s.rank == min(s.rank for s in senses)]
    readings: dict[str, _Reading] = {}
    for sense in sorted(senses, key=lambda s: (_ACRONYM_ORDER.index(s.kind), s.rank)):
        for reading in _sense_readings(sense, vocab):
            if _plausible(reading, sense, everyday, verb):
                readings.setdefault(reading.descriptor.ui if reading.descriptor else reading.name, reading)
    if match.defined:
        return [r for r in readings.values() if r.name.lower() == match.defined.lower()] or list(readings.values())
    if match.counted and vocab.is_everyday_word(stem(match.typed.lower())) and not any(map(_is_disease, readings.values())):
        return _illnesses(match, vocab) or list(readings.values())
    return list(readings.values())


def _is_disease(reading: _Reading) -> bool:
    return bool(reading.descriptor) and any(t.startswith("C") for t in reading.descriptor.tree_numbers)


def _illnesses(match: _Match, vocab: Vocabulary) -> list[_Reading]:
    """The disease an everyday word names as a consumer-health topic, for a word counted like an
    illness ("I have a cold", "colds") whose clinical readings name none (Cold Temperature)."""
    lay = [s for s in match.senses if s.kind is SenseKind.LAY]
    readings = {r.descriptor.ui: r for sense in lay for r in _sense_readings(sense, vocab) if _is_disease(r)}
    return list(readings.values())


def _plausible(reading: _Reading, sense: Sense, everyday: bool, verb: bool = False) -> bool:
    """Drop readings outside clinical MeSH categories ("man" is Humans), the entry-term senses
    of everyday words unless they name a disease or body part ("speed", but "bleeding"), and an
    everyday word after a pronoun and a modal verb ("this may sound silly", "would this lead to")
    unless it names a disease, a procedure or an activity ("it can bleed", "should I exercise")."""
    trees = reading.descriptor.tree_numbers if reading.descriptor else ()
    if trees and not any(t.startswith(CLINICAL_CATEGORIES) for t in trees):
        return False
    if verb:
        return any(t.startswith(("C", "E", "I03")) for t in trees)  # "it can bleed", "should I exercise"
    return not everyday or sense.rank == 0 or any(t.startswith(("A", "C")) for t in trees)


def _sense_readings(sense: Sense, vocab: Vocabulary) -> list[_Reading]:
    source = _SOURCE[sense.kind]
    if sense.kind is SenseKind.ABBREVIATION:
        meanings = vocab.abbreviation_meanings(sense.ref)
        found = [(meaning, vocab.lookup(meaning)) for meaning in meanings]
        return [_Reading(meaning, source, _infection(d, vocab) if d else None) for meaning, d in found]  # "CMV"
    if sense.kind is SenseKind.LAY:
        topic = vocab.lay_topic(int(sense.ref))
        descriptor = vocab.descriptor(topic.mesh_ui) if topic.mesh_ui else None
        return [_Reading(topic.focus, source, descriptor, topic)]
    descriptor = vocab.descriptor(sense.ref)
    return [_Reading(descriptor.name, source, _infection(descriptor, vocab))]


def _infection(descriptor: Descriptor, vocab: Vocabulary) -> Descriptor:
    """An organism named in a question means the infection it causes: "chlamydia" is
    Chlamydia Infections, not the genus (organisms are outside the clinical trees)."""
    if not descriptor.tree_numbers or not all(t.startswith("B") for t in descriptor.tree_numbers):
        return descriptor
    for name in (f"{descriptor.name} Infections", f"{descriptor.name} Infection"):
        if (infection := vocab.lookup(name)) is not None:
            return infection
    return descriptor


def _tree_prefixes(descriptor: Descriptor | None) -> set[str]:
    """"C05.116.900" -> {"C", "C05", "C05.116", "C05.116.900"}: how near two concepts are."""
    prefixes = set()
    for tree in descriptor.tree_numbers if descriptor else ():
        parts = tree.split(".")
        prefixes.add(tree[0])
        prefixes.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    return prefixes


def _concept(reading: _Reading, typed: str, vocab: Vocabulary) -> Concept:
    descriptor = reading.descriptor
    if descriptor:
        synonyms = vocab.synonyms(descriptor.ui, MAX_SYNONYMS, exclude=[typed])
        name, ui, trees = descriptor.name, descriptor.ui, list(descriptor.tree_numbers)
    else:
        synonyms = vocab.topic_synonyms(reading.topic, MAX_SYNONYMS, exclude=[typed]) if reading.topic else []
        name, ui, trees = reading.name, None, []
    if ui:
        synonyms = [s for s in synonyms if not _means_else(s, ui, vocab)]
    return Concept(
        name=name, ui=ui, tree_numbers=trees, matched_text=typed, synonyms=synonyms, source=reading.source,
        ambiguous=bool(ui) and _means_else(typed, ui, vocab),
    )


def _means_else(name: str, ui: str, vocab: Vocabulary) -> bool:
    """Whether one everyday word ("cold", "colds"), read alone in a sentence, names something other
    than the descriptor ``ui`` (the temperature, not the common cold)."""
    word = stem(name.lower())
    if " " in name.strip() or not vocab.is_everyday_word(word):
        return False
    senses = vocab.senses(word)
    alone = _readings(_Match(word, senses, 1), vocab) if senses else []
    return not any(r.descriptor and r.descriptor.ui == ui for r in alone)


def _expansions(concepts: list[Concept], terms: list[str]) -> list[WeightedTerm]:
    """Concept names and synonyms not already among the user's words."""
    seen = {normalise(t) for t in terms} | {normalise(c.matched_text) for c in concepts}
    expansions = []
    for concept in concepts:
        name_weight = ABBREVIATION_WEIGHT if concept.source == "abbreviation" else NAME_WEIGHT
        weighted = [(uninvert(concept.name) or concept.name, name_weight)]
        weighted += [(synonym, SYNONYM_WEIGHT) for synonym in concept.synonyms]
        for text, weight in weighted:
            key = normalise(text)
            if key not in seen:
                seen.add(key)
                expansions.append(WeightedTerm(text=text, weight=weight))
    return expansions
