"""Medical vocabularies bundled with evidex, loaded into lookup tables.

Clinicians and patients name things their own way ("slipped disc", "PT",
"NSAIDs"); the evidence uses MeSH language.  :class:`Vocabulary` joins six
bundled sources so a phrase can be mapped to a MeSH descriptor, its lay
synonyms, abbreviation expansions and plain-language alternatives:

* MeSH 2024 descriptors (names, tree numbers, entry terms),
* MedQuAD focus topics with lay and technical synonyms,
* a list of medical abbreviations (noisy: matched case-sensitively),
* everyday names of treatments mapped to MeSH by hand ("talk therapy", "water pills"),
* the CDC plain-language thesaurus and the NCI dictionary of cancer terms,

and pyspellchecker's English word frequencies tell ordinary English words
(never spelling-corrected, never read as acronyms) from medical ones.

Parsing and normalising the 235,000 MeSH entry terms takes seconds, so the
lookup tables are precomputed into ``vocab_index.json.gz`` by
``scripts/build_vocab_index.py`` (which calls :func:`build_index`).  The index
records a fingerprint of its sources; if they change, :meth:`Vocabulary.load`
rebuilds in memory rather than serve stale data.
"""

from __future__ import annotations

import bisect
import csv
import gzip
import hashlib
import io
import json
import logging
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from typing import Any, NamedTuple

from rapidfuzz import process
from rapidfuzz.distance import OSA
from spellchecker import SpellChecker

log = logging.getLogger(__name__)

INDEX_FILE = "vocab_index.json.gz"
DEFINITIONS_FILE = "abbreviation_definitions.tsv"  # scripts/count_abbreviation_definitions.py
MAX_NARROWER = 60
INDEX_VERSION = 5
SOURCE_FILES = (
    "mesh2024_descriptors.tsv.gz",
    "medquad_focus_synonyms.json",
    "medical_abbreviations.csv",
    "cdc_plain_language_thesaurus.json",
    "nci_dictionary_of_cancer_terms.json",
    "lay_terms.tsv",
    DEFINITIONS_FILE,
)

_TOKEN = re.compile(r"[^\W_]+(?:['’][sS](?![^\W_]))?")
_PARENTHETICAL = re.compile(r"\s*[(\[][^)\]]*[)\]]")
_MAX_SYNONYM_WORDS = 4
_MAX_SYNONYM_CHARS = 40
_SPELLING_ENDINGS = (
    ("ological", "ologic"),
    ("isation", "ization"),
    ("our", "or"),
    ("tre", "ter"),
    ("ogue", "og"),
)
_COMMON_WORD = 50  # the rarest count in the English word list
# Words patients write that no word list holds: "can I take a med for pain?" asks for a medicine, not
# about MED (multiple epiphyseal dysplasia).
_INFORMAL_WORDS = frozenset(("med", "meds", "vax", "vaxx"))
_EVERYDAY_WORD = 10_000  # "exercises" 3,777; "stroke" 14,811; "speed" 67,832


# --------------------------------------------------------------------------
# Normalisation: one definition shared by the index and by query parsing.


class Token(NamedTuple):
    """A word of the input: ``text`` as typed, ``surface`` folded, ``key`` also de-pluralised."""

    text: str
    start: int
    end: int
    surface: str
    key: str


def sentence_case(text: str) -> str:
    """A question typed all in capitals (three words or more) or all in lower case, as a
    sentence: "What helps sciatica?".

    e5 tells case apart (MiniLM and the lexical index do not), so "WHAT HELPS
    SCIATICA?" and "what helps sciatica?" would each find somewhat different
    passages than "What helps sciatica?".  Mixed-case text is left alone: its
    capitals are usually acronyms or gene names ("CBT", "mTOR"); so is a short
    text in capitals, which is more likely an acronym ("CBT", "SSRI") than shouting.
    """
    text = text.strip()
    if any(c.islower() for c in text):
        return text[:1].upper() + text[1:] if not any(c.isupper() for c in text) else text
    return text[:1] + text[1:].lower() if len(text.split()) >= 3 else text


def fold(text: str) -> str:
    """Lowercase and strip accents so "Sjögren" and "sjogren" compare equal."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def stem(word: str) -> str:
    """The key form of a folded word: singular, American spelling, "-ologic".

    So "discs"/"disc", "therapies"/"therapy", "tumours"/"tumor",
    "oedema"/"edema" and "neurological"/"neurologic" meet.  Deliberately
    crude ("diabetes" -> "diabete") and applied identically to vocabulary and
    queries, so over-reaching is harmless.
    """
    if len(word) < 4 or not word.isalpha():
        return word
    return _american(_singular_word(word))


def _singular_word(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("oses") and len(word) >= 8:
        return word[:-2] + "is"
    if word.endswith(("ss", "us", "is")) or not word.endswith("s"):
        return word
    return word[:-1]


def _american(word: str) -> str:
    """British to American spelling, and "-ological" to MeSH's "-ologic"."""
    if len(word) < 5:
        return word
    word = word.replace("ae", "e").replace("oe", "e")
    for british, american in _SPELLING_ENDINGS:
        if word.endswith(british) and len(word) > len(british) + 2:
            return word[: -len(british)] + american
    return word


def _words(text: str) -> Iterator[tuple[str, int, str]]:
    """(word as typed, offset, folded form); punctuation separates words, a possessive 's goes."""
    for match in _TOKEN.finditer(text):
        word = match.group()
        if word[-2:-1] in ("'", "’"):
            word = word[:-2]
        surface = word.lower() if word.isascii() else "".join(_TOKEN.findall(fold(word)))
        if surface:
            yield word, match.start(), surface


def tokenize(text: str) -> list[Token]:
    """The words of ``text`` with their offsets and lookup keys."""
    return [
        Token(word, start, start + len(word), surface, stem(surface)) for word, start, surface in _words(text)
    ]


def normalise_words(text: str) -> list[str]:
    """Folded, de-pluralised words: what the vocabulary and topical matching compare."""
    return [stem(surface) for _, _, surface in _words(text)]


def normalise(text: str) -> str:
    """The lookup key of a phrase: "Herniated Discs" -> "herniated disc"."""
    return " ".join(normalise_words(text))


def acronym_form(term: str) -> str | None:
    """The spelling to match case-sensitively, for terms like "PT", "As" or "NSAIDs".

    Such terms collide with English words ("AS", "IN", "Pt") when lowercased,
    so they only match when typed the same way.
    """
    if " " in term.strip():
        return None
    letters = [c for c in term if c.isalpha()]
    if sum(c.isupper() for c in letters) >= 2 or 0 < len(letters) <= 2:
        return term.strip()
    return None


def uninvert(term: str) -> str | None:
    """MeSH writes "Disk, Herniated"; users write "herniated disk"."""
    head, sep, tail = term.partition(", ")
    if not sep or "," in tail:
        return None
    return f"{tail} {head}"


def strip_qualifier(term: str) -> str:
    """Drop bracketed qualifiers: "Physiotherapy (Techniques)" -> "Physiotherapy"."""
    return _PARENTHETICAL.sub("", term).strip()


# --------------------------------------------------------------------------
# Records


class SenseKind(StrEnum):
    """Where a matched phrase points."""

    MESH = "m"
    LAY = "l"
    ABBREVIATION = "a"


@dataclass(frozen=True, slots=True)
class Sense:
    """One meaning of a phrase.

    ``ref`` is a descriptor UI, a lay-topic number or an abbreviation.
    ``rank`` orders senses of one phrase: 0 for a preferred name, 1 for a
    listed synonym, 2 for a form derived here (un-inverted, unqualified).
    ``form`` is set when the phrase must be typed with this exact case.
    """

    kind: SenseKind
    ref: str
    rank: int
    form: str | None = None

    def encode(self) -> str:
        return "\t".join((self.kind.value, str(self.rank), self.ref, self.form or ""))

    @classmethod
    def decode(cls, code: str) -> Sense:
        kind, rank, ref, form = code.split("\t")
        return cls(SenseKind(kind), ref, int(rank), form or None)


@dataclass(frozen=True, slots=True)
class Descriptor:
    """A MeSH descriptor."""

    ui: str
    name: str
    tree_numbers: tuple[str, ...]
    entry_terms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LayTopic:
    """A MedQuAD consumer-health topic, linked to MeSH when its name is a MeSH term."""

    focus: str
    synonyms: tuple[str, ...]
    mesh_ui: str | None


# --------------------------------------------------------------------------
# Building the index from the bundled sources


def _source_bytes(name: str) -> bytes:
    return resources.files("evidex").joinpath("data", "vocab", name).read_bytes()


def fingerprint(sources: dict[str, bytes]) -> dict[str, str]:
    """SHA-256 of each source, so a stale index is noticed at load time."""
    return {name: hashlib.sha256(data).hexdigest() for name, data in sorted(sources.items())}


class _IndexBuilder:
    """Collects phrase -> senses, keeping the best rank of each sense."""

    def __init__(self) -> None:
        self.senses: dict[str, dict[tuple[SenseKind, str, str | None], int]] = {}

    def add(self, phrase: str, kind: SenseKind, ref: str, rank: int, form: str | None = None) -> None:
        key = normalise(phrase)
        if not key:
            return
        slot = self.senses.setdefault(key, {})
        ident = (kind, ref, form)
        slot[ident] = min(rank, slot.get(ident, rank))

    def add_term(self, term: str, kind: SenseKind, ref: str, rank: int) -> None:
        """Add a vocabulary term and the forms users type instead of it.

        An inverted synonym ("Disk, Herniated") is only added the way people
        write it; preferred names are kept as they are too, for lookups by name.
        """
        uninverted = uninvert(term)
        if rank == 0 or not uninverted:
            self.add(term, kind, ref, rank, acronym_form(term))
        for variant in (uninverted, strip_qualifier(term)):
            if variant and variant != term:
                self.add(variant, kind, ref, 2, acronym_form(variant))

    def best_mesh(self, phrase: str) -> str | None:
        """The descriptor a phrase names, when it names exactly one at its best rank."""
        slot = self.senses.get(normalise(phrase), {})
        mesh = [(rank, ref) for (kind, ref, form), rank in slot.items() if kind is SenseKind.MESH and not form]
        if not mesh:
            return None
        best = min(rank for rank, _ in mesh)
        refs = {ref for rank, ref in mesh if rank == best}
        return refs.pop() if len(refs) == 1 else None

    def encoded(self) -> dict[str, str]:
        """Phrase -> its senses as text, one a line: compact and quick to load."""
        return {
            key: "\n".join(Sense(kind, ref, rank, form).encode() for (kind, ref, form), rank in slot.items())
            for key, slot in self.senses.items()
        }


def _read_mesh(raw: bytes) -> list[list[str]]:
    rows = csv.reader(io.StringIO(gzip.decompress(raw).decode("utf-8")), delimiter="\t")
    header = next(rows)
    if header != ["descriptor_ui", "descriptor_name", "tree_numbers", "top_categories", "entry_terms"]:
        raise ValueError(f"unexpected MeSH columns: {header}")
    return [[ui, name, trees or _CATEGORY_TREES.get(name, ""), entries] for ui, name, trees, _categories, entries in rows]


# The heads of MeSH's disease categories carry no tree number in the descriptor file (a category's
# code is its tree): without one, "cancer" (Neoplasms), "an infection" or "mental illness" would
# read as no condition at all.  Codes from MeSH's tree structure; the other heads ("Therapeutics",
# "Pharmaceutical Preparations") stay without, since their entry terms are the words of any question.
_CATEGORY_TREES = {
    "Infections": "C01", "Neoplasms": "C04", "Musculoskeletal Diseases": "C05", "Digestive System Diseases": "C06",
    "Stomatognathic Diseases": "C07", "Respiratory Tract Diseases": "C08", "Otorhinolaryngologic Diseases": "C09",
    "Nervous System Diseases": "C10", "Eye Diseases": "C11", "Urogenital Diseases": "C12", "Cardiovascular Diseases": "C14",
    "Hemic and Lymphatic Diseases": "C15", "Congenital, Hereditary, and Neonatal Diseases and Abnormalities": "C16",
    "Skin and Connective Tissue Diseases": "C17", "Nutritional and Metabolic Diseases": "C18",
    "Endocrine System Diseases": "C19", "Immune System Diseases": "C20", "Disorders of Environmental Origin": "C21",
    "Occupational Diseases": "C24", "Chemically-Induced Disorders": "C25", "Wounds and Injuries": "C26",
    "Mental Disorders": "F03",
}


def _read_lay(raw: bytes) -> list[list[str]]:
    """MedQuAD topics; "Backache - lifting" style sub-topic labels are not synonyms."""
    topics = []
    for item in json.loads(raw):
        synonyms = [s for s in item["synonyms"] if " - " not in s and s != item["focus"]]
        topics.append([item["focus"], "|".join(synonyms)])
    return topics


def _read_lay_terms(raw: bytes) -> list[tuple[str, str]]:
    """(everyday phrase, MeSH descriptor UI): "talk therapy" -> Psychotherapy, "bipolar" -> Bipolar Disorder."""
    lines = [line for line in raw.decode("utf-8").splitlines() if line.strip() and not line.startswith("#")]
    return [(row["phrase"], row["descriptor_ui"]) for row in csv.DictReader(lines, delimiter="\t")]


# How much more often the built-in corpus must define one meaning of an abbreviation ("diabetes mellitus
# (DM)" 8 times, "dermatomyositis (DM)" once) than each other meaning, and how often at least, to put
# it first.  The corpus is written by researchers: a weaker lead says little of what a patient means
# ("BPD": bronchopulmonary dysplasia 5, borderline personality disorder 1).
DOMINANT_DEFINITIONS = 6


def read_abbreviations(
    raw: bytes, definitions: bytes = b"", statistics: frozenset[str] = frozenset()
) -> dict[str, list[str]]:
    """Abbreviation -> its meanings in the list's order, except that a meaning the built-in corpus
    defines far more often than every other (``definitions``, from :data:`DEFINITIONS_FILE`) comes first, unless that would
    put it before a place ("ER": emergency room), which researchers seldom abbreviate and patients often
    do, or it is a statistic of how studies report (``statistics``, normalised names: "CI" stays a
    cochlear implant, though every abstract defines its confidence intervals)."""
    meanings: dict[str, list[str]] = {}
    for row in csv.DictReader(io.StringIO(raw.decode("utf-8"))):
        meaning = strip_qualifier(row["meaning"])
        abbreviation = row["abbreviation"].strip()
        if meaning and abbreviation and meaning not in meanings.get(abbreviation, []):
            meanings.setdefault(abbreviation, []).append(meaning)
    used = {(row["abbreviation"], row["meaning"]): int(row["definitions"])
            for row in csv.DictReader(io.StringIO(definitions.decode("utf-8")), delimiter="\t")}
    for abbreviation, options in meanings.items():
        defined = {m: used.get((abbreviation, m), 0) for m in options}
        leader = max(options, key=lambda m: defined[m])
        others = [m for m in options if m != leader]
        leads = defined[leader] >= DOMINANT_DEFINITIONS and all(defined[leader] >= DOMINANT_DEFINITIONS * max(defined[m], 1) for m in others)
        if (leads and normalise(leader) not in statistics
                and not any(m.endswith(PLACES) for m in options[: options.index(leader)])):
            options.remove(leader)
            options.insert(0, leader)
    return meanings


# MeSH's statistics (Statistics as Topic, Statistics): how studies report, not what patients ask about
_STATISTICS = ("E05.318", "N05.715")
# What an abbreviation names when it is a place one goes to ("back to the ER", "in the OR").
PLACES = ("room", "department", "unit")


def _read_plain(raw: bytes) -> dict[str, list[str]]:
    """CDC thesaurus: medical term -> plain alternatives ("hypertension" -> "high blood pressure")."""
    plain: dict[str, list[str]] = {}
    for item in json.loads(raw):
        alternatives = [a.strip() for a in re.split(r"[,;]", item["plain_alternative"]) if a.strip()]
        plain.setdefault(normalise(item["term"]), []).extend(alternatives)
    return plain


def _read_definitions(raw: bytes) -> dict[str, str]:
    """NCI dictionary: term -> lay definition."""
    return {normalise(item["term"]): item["plain_alternative"] for item in json.loads(raw)}


def _lowercase_words(texts: Iterable[str]) -> Counter[str]:
    """Words as written in lowercase in prose: English and medical words, not acronyms."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(surface for word, _, surface in _words(text) if word.islower())
    return counts


def _term_words(terms: Iterable[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for term in terms:
        counts.update(surface for _, _, surface in _words(term))
    return counts


def _split(joined: str) -> list[str]:
    return [part for part in joined.split("|") if part]


def build_index(sources: dict[str, bytes] | None = None) -> dict[str, Any]:
    """Parse the bundled sources into the tables :class:`Vocabulary` serves."""
    sources = sources or {name: _source_bytes(name) for name in SOURCE_FILES}
    mesh = _read_mesh(sources["mesh2024_descriptors.tsv.gz"])
    lay = _read_lay(sources["medquad_focus_synonyms.json"])
    statistics = frozenset(
        normalise(term) for _ui, name, trees, entries in mesh if any(t.startswith(_STATISTICS) for t in _split(trees))
        for term in (name, *_split(entries))
    )
    abbreviations = read_abbreviations(sources["medical_abbreviations.csv"], sources[DEFINITIONS_FILE], statistics)
    builder = _IndexBuilder()
    for ui, name, _trees, entries in mesh:
        builder.add_term(name, SenseKind.MESH, ui, 0)
        for entry in _split(entries):
            builder.add_term(entry, SenseKind.MESH, ui, 1)
    for number, topic in enumerate(lay):
        topic.append(builder.best_mesh(topic[0]) or builder.best_mesh(strip_qualifier(topic[0])) or "")
        builder.add_term(topic[0], SenseKind.LAY, str(number), 0)
        for synonym in _split(topic[1]):
            builder.add_term(synonym, SenseKind.LAY, str(number), 1)
    for abbreviation in abbreviations:
        builder.add(abbreviation, SenseKind.ABBREVIATION, abbreviation, 1, abbreviation)
    for phrase, ui in _read_lay_terms(sources["lay_terms.tsv"]):
        builder.add(phrase, SenseKind.MESH, ui, 0)
    _add_problem_names(builder, mesh)  # last: only phrases that name nothing else
    cdc = json.loads(sources["cdc_plain_language_thesaurus.json"])
    nci = json.loads(sources["nci_dictionary_of_cancer_terms.json"])
    prose = [item["plain_alternative"] for item in nci + cdc]
    terms = [term for row in mesh for term in (row[1], *_split(row[3]))]
    terms += [term for topic in lay for term in (topic[0], *_split(topic[1]))]
    return {
        "version": INDEX_VERSION,
        "sources": fingerprint(sources),
        "descriptors": mesh,
        "lay_topics": lay,
        "abbreviations": abbreviations,
        "plain_terms": _read_plain(sources["cdc_plain_language_thesaurus.json"]),
        "definitions": _read_definitions(sources["nci_dictionary_of_cancer_terms.json"]),
        "prose_words": dict(sorted(_lowercase_words(prose).items())),
        "term_words": dict(sorted(_term_words(terms).items())),
        "index": builder.encoded(),
    }


# "heart problems", "a cardiac condition": a disease named by its organ and an everyday head noun
_DISEASES_OF = re.compile(r"^([a-z]+)\s+(?:diseases?|disorders?)$", re.IGNORECASE)
_EVERYDAY_HEADS = ("condition", "conditions", "problem", "problems", "trouble")


def _add_problem_names(builder: _IndexBuilder, mesh: list[list[str]]) -> None:
    """"<organ> problems" and "<organ> condition" for each "<organ> diseases" name ("Heart
    Diseases", "Cardiac Diseases"), as a weaker name, unless the phrase already names something."""
    for ui, name, trees, entries in mesh:
        if not any(tree.startswith(("C", "F03")) for tree in _split(trees)):
            continue
        for term in (name, *_split(entries)):
            if match := _DISEASES_OF.match(uninvert(term) or term):
                for head in _EVERYDAY_HEADS:
                    phrase = f"{match.group(1)} {head}"
                    if normalise(phrase) not in builder.senses:
                        builder.add(phrase, SenseKind.MESH, ui, 2)


def encode_index(index: dict[str, Any]) -> bytes:
    """Byte-for-byte reproducible serialisation (no gzip timestamp)."""
    text = json.dumps(index, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)


def _load_index() -> dict[str, Any]:
    sources = {name: _source_bytes(name) for name in SOURCE_FILES}
    try:
        index = json.loads(gzip.decompress(_source_bytes(INDEX_FILE)))
    except FileNotFoundError:
        index = None
    if index and index.get("version") == INDEX_VERSION and index.get("sources") == fingerprint(sources):
        return index
    log.warning("%s is missing or stale; rebuilding (run scripts/build_vocab_index.py)", INDEX_FILE)
    return build_index(sources)


# --------------------------------------------------------------------------
# Lookups


def _same_acronym(typed: str, form: str) -> bool:
    """ "NSAIDs" is typed for "NSAID" and the other way round."""
    return typed == form or _acronym_singular(typed) == _acronym_singular(form)


def _acronym_singular(form: str) -> str:
    stripped = form.removesuffix("s")
    return stripped if sum(c.isalpha() for c in stripped) >= 2 else form


def _in_order(letters: str, word: str) -> bool:
    """Whether every letter of ``letters`` appears in ``word`` in the same order."""
    remaining = iter(word)
    return all(letter in remaining for letter in letters)


# Occurrences in the subtitles frequency list above which a word is an everyday one (~12,000 words).
COMMON_WORD_FREQUENCY = 1000


class Vocabulary:
    """Lookup tables over the bundled vocabularies; load once and keep the instance."""

    def __init__(self, index: dict[str, Any], english: Mapping[str, int]) -> None:
        self._english = english
        self._descriptors: dict[str, list[str]] = {row[0]: row for row in index["descriptors"]}
        self._lay: list[list[str]] = index["lay_topics"]
        self._lay_by_mesh: dict[str, list[int]] = {}
        for number, (_focus, _synonyms, ui) in enumerate(self._lay):
            if ui:
                self._lay_by_mesh.setdefault(ui, []).append(number)
        self._abbreviations: dict[str, list[str]] = index["abbreviations"]
        self._plain: dict[str, list[str]] = index["plain_terms"]
        self._definitions: dict[str, str] = index["definitions"]
        self._prose: dict[str, int] = index["prose_words"]
        self._term_words: dict[str, int] = index["term_words"]
        self._index: dict[str, str] = index["index"]
        self._tree_order: list[tuple[str, str]] | None = None  # (tree number, UI), sorted; built on first use
        self._targets_by_prefix: dict[str, list[str]] | None = None  # built on first use
        self._phrases_by_last_word: dict[str, list[str]] | None = None  # built on first use
        self._narrower_terms: dict[tuple[str, int], tuple[str, ...]] = {}  # asked of every question's conditions
        self._spelling_targets = [
            word
            for word, count in self._term_words.items()
            if len(word) >= 5 and word.isalpha() and (count >= 2 or self._prose.get(word, 0) >= 2)
        ]

    @classmethod
    def load(cls) -> Vocabulary:
        """Load the precomputed index and pyspellchecker's English word list (about 0.6 s)."""
        english = SpellChecker(language="en").word_frequency.dictionary
        return cls(_load_index(), english)

    # -- phrases -----------------------------------------------------------

    def senses(self, typed: str) -> list[Sense]:
        """Meanings of a phrase as the user typed it.

        Acronym-like terms only match when typed alike ("PT", "NSAIDs"); a
        lowercase word of three or more letters may stand for an upper-case
        acronym ("copd") unless it is an ordinary word ("aids").
        """
        code = self._index.get(normalise(typed))
        if not code:
            return []
        senses = [Sense.decode(line) for line in code.split("\n")]
        return [sense for sense in senses if self._accepts(sense, typed)]

    def _accepts(self, sense: Sense, typed: str) -> bool:
        form = sense.form
        if form is None:
            return True
        if _same_acronym(typed, form):
            return sum(c.isupper() for c in form) >= 2 or not self.is_common_word(typed)
        letters = sum(c.isalpha() for c in typed)
        return typed.islower() and letters >= 3 and form.isupper() and not self.is_common_word(typed)

    def lookup(self, term: str) -> Descriptor | None:
        """The MeSH descriptor a term names (by name, entry term or lay synonym)."""
        senses = sorted(self.senses(term), key=lambda s: (s.kind is not SenseKind.MESH, s.rank))
        uis = [ui for ui in map(self.mesh_ui, senses) if ui]
        return self.descriptor(uis[0]) if uis else None

    def mesh_ui(self, sense: Sense) -> str | None:
        """The descriptor a MeSH or (linked) lay sense stands for."""
        if sense.kind is SenseKind.MESH:
            return sense.ref
        if sense.kind is SenseKind.LAY:
            return self.lay_topic(int(sense.ref)).mesh_ui
        return None

    def narrower(self, ui: str, limit: int = MAX_NARROWER) -> list[str]:
        """Names of the descriptors below ``ui`` in the MeSH tree, nearest first
        ("Cognitive Behavioral Therapy" under "Psychotherapy"): a treatment is often
        named more specifically than the question names it."""
        row = self._descriptors.get(ui)
        if row is None:
            return []
        if self._tree_order is None:
            self._tree_order = sorted((tree, row[0]) for row in self._descriptors.values() for tree in _split(row[2]))
        found: dict[str, int] = {}
        for tree in _split(row[2]):
            start = bisect.bisect_left(self._tree_order, (tree + ".",))
            for child_tree, child in self._tree_order[start:]:
                if not child_tree.startswith(tree + "."):
                    break
                depth = child_tree.count(".") - tree.count(".")
                found[child] = min(depth, found.get(child, depth))
        nearest = sorted(found, key=lambda child: (found[child], child))[:limit]
        return [self._descriptors[child][1] for child in nearest]

    def descriptor(self, ui: str) -> Descriptor:
        ui, name, trees, entries = self._descriptors[ui]
        return Descriptor(ui, name, tuple(_split(trees)), tuple(_split(entries)))

    def lay_topic(self, number: int) -> LayTopic:
        focus, synonyms, ui = self._lay[number]
        return LayTopic(focus, tuple(_split(synonyms)), ui or None)

    def lay_topics(self, ui: str) -> list[LayTopic]:
        """Consumer-health topics about a descriptor."""
        return [self.lay_topic(number) for number in self._lay_by_mesh.get(ui, [])]

    def abbreviation_meanings(self, abbreviation: str) -> list[str]:
        """Expansions of an abbreviation exactly as written ("PT" and "Pt" differ)."""
        return list(self._abbreviations.get(abbreviation, []))

    def plain_terms(self, term: str) -> list[str]:
        """Plain-language alternatives (CDC) for rewriting answers for patients."""
        return list(self._plain.get(normalise(term), []))

    def definition(self, term: str) -> str | None:
        """A lay definition (NCI dictionary), mostly for cancer-related terms."""
        return self._definitions.get(normalise(term))

    # -- words -------------------------------------------------------------

    def is_common_word(self, word: str) -> bool:
        """An English word, or one written in lowercase in plain-language prose.

        Such a word typed in lowercase is read as itself, not as an acronym
        ("ten" is not TENS, "aids" is not AIDS; "copd" is COPD).
        """
        surface = fold(word)
        return surface in self._english or self._prose.get(surface, 0) >= 2 or surface in _INFORMAL_WORDS

    def is_everyday_word(self, word: str) -> bool:
        """A frequent English word ("speed", "need", "cold"), whose rarer MeSH entry-term
        senses (methamphetamine, health needs, cold temperature) are unlikely to be meant."""
        return self._english.get(fold(word), 0) >= _EVERYDAY_WORD

    def is_known_word(self, word: str) -> bool:
        """An English word or a word of a vocabulary: never spelling-corrected."""
        surface = fold(word)
        tables = (self._english, self._prose, self._term_words)
        return any(w in table for w in (surface, stem(surface)) for table in tables)

    def common_words(self, min_frequency: int = COMMON_WORD_FREQUENCY) -> list[str]:
        """English words at least this frequent in the subtitles list: the words a reader meets daily."""
        return [word for word, count in self._english.items() if count >= min_frequency]

    def frequency(self, word: str) -> int:
        """How common a word is in English (subtitles) and in the vocabularies."""
        surface = fold(word)
        return self._english.get(surface, 0) + self._term_words.get(surface, 0)

    def correct_spelling(self, word: str) -> str | None:
        """The vocabulary word a misspelt medical word (6+ letters) was meant to be.

        Only unknown words are corrected, to one edit (a swap of neighbours is one edit) and never
        in the first letter.  From eight letters two edits are allowed when one word alone is that
        near ("testerone" is testosterone), from twelve always.
        """
        surface = fold(word)
        if len(surface) < 6 or not surface.isalpha() or self.is_known_word(surface):
            return None
        corrected = self._nearest_word(surface)
        if corrected is None and surface.endswith("s"):
            # an eponym's possessive without its apostrophe: "sjorens" syndrome is Sjogren's
            corrected = self._nearest_word(surface[:-1]) if len(surface) > 6 else None
        return corrected

    def _nearest_word(self, surface: str) -> str | None:
        """:meth:`correct_spelling` of a folded, unknown word."""
        limit = 1 if len(surface) < 8 else 2
        matches = process.extract(
            surface, self._spelling_targets, scorer=OSA.distance, score_cutoff=limit, limit=None
        )
        ranked = sorted((distance, -self.frequency(m), m) for m, distance, _ in matches if m[0] == surface[0])
        # drug names are alike by design: two edits from one is another drug as often as a slip
        # ("tessalon", a brand evidex does not know, is not Tensilon)
        ranked = [r for r in ranked if r[0] == 1 or not self._names_a_drug(r[2])]
        if ranked and ranked[0][0] == 1 or len(surface) >= 12:
            return ranked[0][2] if ranked else None
        # Letters left out are the commonest slip ("colestrol", "testerone"): a word all of
        # whose letters appear in order in exactly one near-length target is that target.
        if len(surface) >= 8:
            dropped = [m for m in self._targets_starting(surface[0]) if 0 < len(m) - len(surface) <= 3 and _in_order(surface, m)]
            if len({stem(m) for m in dropped}) == 1:  # "cholesterol" and "cholesterols" are one word
                return min(dropped, key=len)
        nearest = [m for distance, _, m in ranked if distance == ranked[0][0]] if ranked else []
        return nearest[0] if len(nearest) == 1 else None  # two edits from several words would be a guess

    def _names_a_drug(self, word: str) -> bool:
        """Whether a word is the name of a drug or chemical (MeSH tree D)."""
        return any(
            tree.startswith("D")
            for sense in self.senses(word) if (ui := self.mesh_ui(sense))
            for tree in self.descriptor(ui).tree_numbers
        )

    def narrower_terms(self, ui: str, limit: int = MAX_NARROWER) -> tuple[str, ...]:
        """Every name and entry term of the descriptors below ``ui`` (:meth:`narrower`), as lookup
        keys; kept, since the same conditions are asked about again and again."""
        if (ui, limit) not in self._narrower_terms:
            self._narrower_terms[(ui, limit)] = tuple(dict.fromkeys(
                normalise(term) for name in self.narrower(ui, limit) if (found := self.lookup(name))
                for term in (found.name, *found.entry_terms) if "," not in term
            ))
        return self._narrower_terms[(ui, limit)]

    def longer_names(self, name: str) -> list[str]:
        """The vocabulary's phrases that end with a name and add words before it ("q fever", "hay
        fever" for "fever"), as lookup keys: another thing, or a kind of it, that a sentence names."""
        if self._phrases_by_last_word is None:
            self._phrases_by_last_word = {}
            for key in self._index:
                if " " in key:
                    self._phrases_by_last_word.setdefault(key.rsplit(" ", 1)[1], []).append(key)
        key = normalise(name)
        if not key:
            return []
        return [p for p in self._phrases_by_last_word.get(key.rsplit(" ", 1)[-1], []) if p.endswith(" " + key)]

    def _targets_starting(self, prefix: str) -> list[str]:
        if self._targets_by_prefix is None:
            self._targets_by_prefix = {}
            for target in self._spelling_targets:
                self._targets_by_prefix.setdefault(target[0], []).append(target)
        return self._targets_by_prefix.get(prefix, [])

    def synonyms(self, ui: str, limit: int = 6, exclude: Iterable[str] = ()) -> list[str]:
        """The most useful other names of a descriptor (see :meth:`_rank_synonyms`)."""
        descriptor = self.descriptor(ui)
        lay_terms = [t for topic in self.lay_topics(ui) for t in (topic.focus, *topic.synonyms)]
        exclude = [descriptor.name, *exclude]
        return self._rank_synonyms(lay_terms, list(descriptor.entry_terms), exclude, limit)

    def topic_synonyms(self, topic: LayTopic, limit: int = 6, exclude: Iterable[str] = ()) -> list[str]:
        """The most useful other names of a lay topic that has no MeSH descriptor."""
        return self._rank_synonyms(list(topic.synonyms), [], [topic.focus, *exclude], limit)

    def _rank_synonyms(
        self, lay_terms: list[str], entry_terms: list[str], exclude: list[str], limit: int
    ) -> list[str]:
        """Short, common, central names first.

        Inverted ("Disk, Herniated"), qualified and long terms are skipped.
        Names made of common English words cost less; so do lay names that
        MeSH agrees with, and MeSH entry terms listed early (later ones tend
        to belong to narrower concepts, "Aspirin-Like Agents").  Other lay
        names rank as if half-way down the MeSH list.
        """
        seen = {normalise(e) for e in exclude}
        mesh_keys = {normalise(e) for e in entry_terms}
        candidates = []
        for position, term in enumerate(lay_terms + entry_terms):
            key = normalise(term)
            if key in seen or not _usable_synonym(term):
                continue
            seen.add(key)
            lay = position < len(lay_terms)
            listed = 0.5 if lay else (position - len(lay_terms)) / len(entry_terms)
            candidates.append((self._synonym_cost(term, listed, lay and key in mesh_keys), position, term))
        return [term for *_, term in sorted(candidates)[:limit]]

    def _synonym_cost(self, term: str, listed: float, agreed: bool) -> float:
        """Lower is better; ``listed`` is how far down the MeSH entry list (0-1) a term is."""
        words = [surface for _, _, surface in _words(term)]
        rarity = sum(1 / (1 + math.log1p(self._english.get(w, 0) / _COMMON_WORD)) for w in words)
        return rarity + 0.3 * len(words) + listed - (0.5 if agreed else 0.0)


def _usable_synonym(term: str) -> bool:
    return (
        "," not in term
        and strip_qualifier(term) == term
        and len(term) <= _MAX_SYNONYM_CHARS
        and len(term.split()) <= _MAX_SYNONYM_WORDS
    )
