"""Decide what kind of evidence a document is, how many people it studied,
and whether it has been retracted.

Rules, not a model, so every decision can be explained: PubMed publication
types when the record has them, else design cues in the title and abstract
(plus MeSH design headings).  A cue counts by where it occurs: a design
stated in the title or METHODS counts fully, one in the BACKGROUND or
CONCLUSIONS ("randomised trials are needed") hardly at all.  Sample size is
taken only from phrasings that name people ("181 patients", "n = 120 women")
because a wrong number is worse than none.

Runs once per record during ingestion, so patterns are compiled at import,
each section is split into words once, a cue's regex only runs on a
section that holds one of its trigger words and a phrase its matches start
with, and a section is scanned for "n = …" or "number of …" only when it
holds them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from evidex.evidence.documents import Document, EvidenceKind

K = EvidenceKind

Section = tuple[str, str, float]
"""(label, lower-cased text, weight) of the title or one passage."""

# =========================================================================== sections

_DESIGN_LABEL = re.compile(r"METHOD|PATIENT|PARTICIPANT|SUBJECT|SETTING|MATERIAL|POPULATION|SAMPLE|DATA")
_WEAK_LABEL = re.compile(r"BACKGROUND|INTRODUCTION|CONTEXT|OBJECTIVE|PURPOSE|AIM|HYPOTHES|RATIONALE|QUESTION")
_AFTERWORD_LABEL = re.compile(r"CONCLUSION|DISCUSSION|LIMITATION|IMPLICATION|COMMENT|LEVEL OF EVIDENCE|REGISTRATION")
_TITLE_WEIGHT = 2.0
_MAX_SECTION_CHARS = 4000
_MAX_SECTIONS = 12


@lru_cache(maxsize=512)
def _section_weight(label: str) -> float:
    """How much a design cue counts in a section with this label: the methods
    describe the study, the background and conclusions talk about others."""
    label = label.upper()
    if "DESIGN" in label:
        return 2.0
    if _DESIGN_LABEL.search(label):
        return 1.5
    if _AFTERWORD_LABEL.search(label):
        return 0.25
    if _WEAK_LABEL.search(label):
        return 0.5
    return 1.0


def _sections(document: Document) -> list[Section]:
    """The title and the first passages, lower-cased and weighted."""
    title = ("TITLE", document.title.lower(), _TITLE_WEIGHT)
    return [title] + [
        (p.label, p.text[:_MAX_SECTION_CHARS].lower(), _section_weight(p.label))
        for p in document.passages[:_MAX_SECTIONS]
    ]


# =========================================================================== kind

# PubMed publication types (lower case, matched as prefixes) that settle the kind.
_DECISIVE_TYPES: list[tuple[str, EvidenceKind]] = [
    ("retraction of publication", K.OTHER),
    ("practice guideline", K.GUIDELINE),
    ("guideline", K.GUIDELINE),
    ("consensus development conference", K.GUIDELINE),
    ("systematic review", K.SYSTEMATIC_REVIEW),
    ("meta-analysis", K.SYSTEMATIC_REVIEW),
    ("network meta-analysis", K.SYSTEMATIC_REVIEW),
    ("randomized controlled trial, veterinary", K.OTHER),
    ("clinical trial, veterinary", K.OTHER),
    ("randomized controlled trial", K.RCT),
    ("equivalence trial", K.RCT),
    ("case reports", K.CASE_SERIES),
    ("editorial", K.OTHER),
    ("comment", K.OTHER),
    ("news", K.OTHER),
    ("biography", K.OTHER),
    ("historical article", K.OTHER),
]
_DECISIVE_PREFIXES = tuple(name for name, _ in _DECISIVE_TYPES)
_TRIAL_TYPES = ("clinical trial", "controlled clinical trial", "pragmatic clinical trial")
_OBSERVATIONAL = (K.COHORT, K.CASE_CONTROL, K.CROSS_SECTIONAL)

# MeSH headings describing the study's own design: the cue group they feed and
# how much.  NLM indexers assign the design headings, so they count as stated.
_MESH_CUES: dict[str, tuple[str, float]] = {
    "Random Allocation": ("rct", 1.0),
    "Double-Blind Method": ("blind", 2.0),
    "Single-Blind Method": ("blind", 1.5),
    "Cross-Over Studies": ("blind", 1.0),
    "Cohort Studies": ("cohort", 4.0),
    "Longitudinal Studies": ("cohort", 2.0),
    "Follow-Up Studies": ("temporal", 1.5),
    "Prospective Studies": ("collection", 1.0),
    "Retrospective Studies": ("collection", 0.5),
    "Case-Control Studies": ("cc", 4.0),
    "Cross-Sectional Studies": ("cs", 4.0),
    "Surveys and Questionnaires": ("onetime", 1.0),
    "Health Surveys": ("onetime", 1.0),
    "Health Care Surveys": ("onetime", 1.0),
    "Sensitivity and Specificity": ("onetime", 1.0),
    "Predictive Value of Tests": ("onetime", 0.5),
}
# Section labels that only some designs use.
_LABEL_CUES = {
    "DATA SOURCES": "sr",
    "STUDY SELECTION": "sr",
    "DATA SYNTHESIS": "sr",
    "DATA EXTRACTION": "sr",
    "SUMMARY": "review",
}

# Phrases that only *mention* a design ("further randomised trials are
# needed", "in vitro fertilisation") are blanked before cues are looked for;
# "non-randomised" becomes one word so no randomised-trial cue sees it.
_MENTIONS = re.compile(
    r"(?:further|future|larger|more|well-designed|well designed|additional|adequately powered|previous|prior"
    r"|earlier|several|many|other|published|large|multiple|recent|\. in|; in|: in)(?: [\w-]+){0,3} randomi[sz]ed[^.;]*"
    r"|randomi[sz]ed(?: [\w-]+){0,3} (?:trials?|studies) (?:are|is|were|would be|will be|should be|remain)"
    r" (?:needed|required|necessary|warranted|justified|lacking|scarce|few)[^.;]*"
    r"|in vitro fertili[sz]ation|(?:published|previous|other|reported|literature|two|three|several|few|many)"
    r"(?: [\w-]+)? case reports?|case reports? (?:published|from|in the literature)"
)
_NON_RANDOMISED = re.compile(r"non[- ]randomi[sz]ed|not randomi[sz]ed")
_MENTION_WORDS = frozenset(b"randomized randomised vitro reports report".split())


def _mentions_blanked(text: str) -> str:
    """``text`` with the mentions blanked out.  Every mention holds "randomi", "vitro fertili"
    or "case report": a text with none of them, as most with "report" are, is left as it is
    without the regexes, which try every position of the text."""
    if "randomi" in text or "vitro fertili" in text or "case report" in text:
        return _MENTIONS.sub(" ", _NON_RANDOMISED.sub("nonrandomized", text))
    return text


class _Cue:
    """One design cue, counted at most once per section.

    It is in a section that has one of ``words``, or one of ``gate`` and a
    match for ``pattern``.  Words are looked up in a set, so a regex only
    runs on the few sections that could match, and then, when every match
    starts with one of a few ``phrases``, only where the section holds one:
    finding them is several times quicker than the regex's own scan, which
    stops at every letter a match could start with.  ``floor`` lets a
    statement about the paper itself ("this randomised study") count fully
    in any section.  Words are ASCII bytes because bytes split several times
    faster.
    """

    __slots__ = ("group", "weight", "words", "gate", "pattern", "phrases", "floor")

    def __init__(
        self, group: str, weight: float, words: str = "", gate: str = "", pattern: str = "", floor: float = 0.0
    ) -> None:
        self.group, self.weight, self.floor = group, weight, floor
        self.words, self.gate = frozenset(words.encode().split()), frozenset(gate.encode().split())
        self.pattern = re.compile(pattern) if pattern else None
        self.phrases = _leading_phrases(pattern)

    def found(self, text: str, words: frozenset[bytes]) -> bool:
        """Whether the cue is in ``text``, whose trigger words are ``words``."""
        if not self.words.isdisjoint(words):
            return True
        if self.pattern is None or self.gate.isdisjoint(words):
            return False
        if not self.phrases:
            return self.pattern.search(text) is not None
        for phrase in self.phrases:
            start = text.find(phrase)
            while start >= 0:
                if self.pattern.match(text, start):  # a lookbehind still sees the text before start
                    return True
                start = text.find(phrase, start + 1)
        return False


_SPECIAL = frozenset("\\.^$*+?{}[]()|")
_QUANTIFIERS = frozenset("?*+{")
_LOOKBEHIND = re.compile(r"\(\?<[=!][^()]*\)")
# A group of plain words ("(?:this|our)"), neither optional nor repeated.
_PLAIN_GROUP = re.compile(r"\(\?:(?P<words>[^\\.^$*+?{}\[\]()]*)\)(?![?*+{])")
_MIN_PHRASE = 4  # a shorter phrase is in most sections: testing for it would save nothing


def _leading_phrases(pattern: str) -> tuple[str, ...]:
    """Phrases one of which every match of ``pattern`` starts with: the plain text each of its
    top-level alternatives starts with (after a lookbehind, which matches nothing itself, and
    with each word of a group of plain words it starts with), up to its first special character.
    () when an alternative starts with no such text, or with too little of it to rule out
    many sections."""
    phrases = []
    alternatives = _top_level_alternatives(pattern)
    while alternatives:
        alternative = alternatives.pop()
        if lookbehind := _LOOKBEHIND.match(alternative):
            alternative = alternative[lookbehind.end() :]
        if group := _PLAIN_GROUP.match(alternative):  # "(?:this|our) study": "this study", "our study"
            alternatives += [word + alternative[group.end() :] for word in group["words"].split("|")]
            continue
        end = next((i for i, char in enumerate(alternative) if char in _SPECIAL), len(alternative))
        if alternative[end : end + 1] in _QUANTIFIERS:
            end -= 1  # "reports?": the "s" may be missing
        if end < _MIN_PHRASE:
            return ()
        phrases.append(alternative[:end])
    # A phrase that starts with another ("decision tree", "decision") adds no place to try.
    return tuple(p for p in dict.fromkeys(phrases) if not any(q != p and p.startswith(q) for q in phrases))


def _top_level_alternatives(pattern: str) -> list[str]:
    """``pattern`` cut at each "|" outside groups and character sets."""
    alternatives, start, depth, in_set, i = [], 0, 0, False, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 1  # the escaped character is no delimiter
        elif in_set:
            in_set = char != "]"
        elif char == "[":
            in_set = True
            i += pattern.startswith("^", i + 1)
            i += pattern.startswith("]", i + 1)  # a "]" first in a set is one of its characters
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            alternatives.append(pattern[start:i])
            start = i + 1
        i += 1
    return [*alternatives, pattern[start:]] if pattern else []


# Groups fed by statements of a design: only these count in the title, where
# question-style titles ("Does X predict Y?") would otherwise look analytic.
_STATED = {"rct", "sr", "review", "cohort", "cc", "cs", "case", "nonhuman", "model", "nonrandom", "posthoc"}
_SELF = r"(?:this|the present|our) (?:[\w-]+,? ){0,4}"
_CUES = [
    _Cue("rct", 4, gate="randomized randomised", pattern=_SELF + r"randomi[sz]ed", floor=1.0),
    _Cue("sr", 4, gate="systematic meta", pattern=r"(?:this|the present|our) (?:systematic review|meta-?analysis)",
         floor=1.0),
    _Cue("cohort", 4, gate="cohort", pattern=_SELF + r"cohort (?:study|analysis)", floor=1.0),
    _Cue("cs", 4, gate="sectional", pattern=_SELF + r"cross[- ]sectional (?:study|design|analysis|survey)", floor=1.0),
    _Cue("cc", 4, gate="case", pattern=_SELF + r"case[- –]control (?:study|design|analysis)", floor=1.0),
    _Cue("rct", 4, gate="randomized randomised randomly random randomization randomisation",
         pattern=r"randomi[sz]ed(?:[ ,-]+[\w()-]+){0,6}?[ ,-]+(?:trial|study)|randomi[sz]ed (?:to|into|in a)"
         r"|in (?:the|a|an) randomi[sz]ed|randomi[sz]ation|allocated at random|assigned at random"
         r"|were (?:[\w-]+ ){0,2}randomi[sz]ed|was (?:[\w-]+ ){0,2}randomi[sz]ed|we (?:[\w-]+ ){0,2}randomi[sz]ed"
         r"|randomly (?:assigned|allocated|divided|distributed|received|included|enrolled)"
         r"(?! to (?:two |three |the |one of )?(?:[\w-]+ )?(?:readers|observers|reviewers|raters|radiologists))"),
    _Cue("blind", 2, words="placebo sham", gate="double", pattern=r"double[- ](?:blind|mask)"),
    _Cue("posthoc", 4, gate="post secondary ancillary",
         pattern=r"post[- ]hoc|secondary analysis|ancillary (?:study|analysis)"),
    _Cue("nonrandom", 4, words="nonrandomized nonrandomised quasi pretest", gate="before",
         pattern=r"before[- ]and[- ]after|before and after"),
    _Cue("sr", 4, words="metaanalysis prisma", gate="systematic systematically meta preferred eligible included",
         pattern=r"systematic(?:ally)? (?:literature )?(?:review|search)|meta-?analys[ie]s|preferred reporting items"
         r"|eligible for (?:this|the) review|included in (?:this|the) review"),
    _Cue("sr", 3, gate="searched search searches pooled summary dersimonian",
         pattern=r"(?:medline|embase|pubmed|cochrane|web of science|scopus|cinahl|databases)[^.;]{0,80} "
         r"(?:were |was )?searched"
         r"|(?:searched|search of|searches of|search was)[^.;]{0,40}(?:medline|embase|pubmed|cochrane|databases)"
         r"|pooled (?:analysis|estimates?|odds|risk|relative|prevalence|data|results)|summary estimates|dersimonian"),
    _Cue("review", 3, gate="review overview update",
         pattern=r"narrative review|review of the literature|literature review|(?:this|we|the present) review\b"
         r"|an? (?:brief |short )?(?:overview|update) (?:of|on)"),
    _Cue("cohort", 5, gate="cohort longitudinal natural propensity",
         pattern=r"(?:prospective|retrospective|population-based|birth|historical|observational|longitudinal)[ ,]+"
         r"cohort|cohort (?:study|analysis|design)|longitudinal (?:study|design|analysis|data|follow)"
         r"|natural experiment|propensity"),
    _Cue("cohort", 2, words="cohort longitudinal"),
    _Cue("cc", 5, gate="control", pattern=r"case[- –]control"),
    _Cue("controls", 2, gate="matched controls control volunteers volunteer",
         pattern=r"matched (?:healthy |normal )?control|age[- ]matched|sex[- ]matched|gender[- ]matched"
         r"|controls? (?:were|was) matched|healthy control|normal control|healthy volunteer|control subjects"),
    _Cue("cs", 5, gate="sectional", pattern=r"cross[- ]sectional"),
    _Cue("onetime", 2, words="survey surveys surveyed questionnaire questionnaires prevalence interview interviews"
         " interviewed"),
    _Cue("onetime", 1.5, words="sensitivity specificity receiver roc interobserver intraobserver observer reliability"
         " psychometric validity rasch correlation correlations correlated correlates correlate",
         gate="predictive diagnostic", pattern=r"predictive value|diagnostic (?:accuracy|value|performance)"),
    _Cue("case", 5, gate="case series present report describe old",
         pattern=r"case report\b|case series|we (?:present|report|describe) (?:a|an|the|two|three) (?:case|patient)"
         r"|(?:a|an) \d+-year-old (?:man|woman|male|female|boy|girl|patient|child|infant)"),
    _Cue("describe", 2, words="descriptive uncontrolled feasibility feasible pilot",
         gate="series experience single retrospective retrospectively reviewed safe",
         pattern=r"this series|our series|a series|our experience|our initial experience|our early experience"
         r"|single[- ]arm|retrospective review|retrospectively reviewed|retrospective chart|retrospective evaluation"
         r"|we reviewed|safe and effective|safe and feasible|the experience of"),
    _Cue("compare", 1.5, words="compared comparing comparison comparisons versus vs group groups divided"
         " association predictor predictors predict predicted predicts predictive multivariate multivariable odds"
         " hazard differed difference differences", gate="risk those regression associated",
         pattern=r"risk factors?|those (?:with|without|who)|logistic regression|relative risk|(?<!-)associated with"),
    _Cue("temporal", 1.5, words="follow followed followup postoperative postoperatively recurrence recurrences"
         " recurrent mortality survival survived incidence developed subsequent subsequently", gate="long after",
         pattern=r"long-term|after surgery|after treatment|after the procedure|after the operation|after discharge"),
    _Cue("collection", 1.5, words="prospective prospectively retrospective retrospectively"),
    _Cue("nonhuman", 4, words="rat rats mice mouse murine rabbit rabbits dog dogs canine pigs piglet piglets porcine"
         " swine sheep ovine hamster hamsters monkey monkeys primates zebrafish drosophila cadaver cadavers cadaveric"
         " embalming", gate="animal", pattern=r"animal models?"),
    _Cue("nonhuman", 2, words="cultured", gate="vitro cell lines", pattern=r"in vitro|cell lines?"),
    _Cue("model", 4, words="markov", gate="decision effectiveness utility simulation",
         pattern=r"decision[- ]analy|decision model|decision tree|cost-effectiveness|cost-utility|simulation model"),
    _Cue("ecological", 2, words="countries ecological districts", gate="country", pattern=r"country-level"),
]
_GROUPS = {cue.group for cue in _CUES}
_HUMANS = frozenset(
    b"patient patients participant participants subject subjects women men child children volunteers adults adult"
    b" individuals people persons infants respondents students mothers workers humans".split()
)
_LETTERS_ONLY = bytes(ch if 97 <= ch <= 122 else 32 for ch in range(256))  # a-z kept, all else a space


def _index_triggers() -> dict[bytes, list[_Cue]]:
    """Each trigger word -> the cues it may fire, so a section only tries its few candidates."""
    triggers: dict[bytes, list[_Cue]] = {word: [] for word in _HUMANS | _MENTION_WORDS}
    for cue in _CUES:
        for word in cue.words | cue.gate:
            triggers.setdefault(word, []).append(cue)
    return triggers


_TRIGGERS = _index_triggers()
_TRIGGER_WORDS = frozenset(_TRIGGERS)


def design_cues(document: Document, sections: list[Section] | None = None) -> dict[str, float]:
    """Weighted score per cue group: each cue counts once per section, times the section's weight."""
    scores = dict.fromkeys(_GROUPS, 0.0)
    human = "Humans" in document.mesh
    for index, (label, text, weight) in enumerate(sections or _sections(document)):
        words = _TRIGGER_WORDS.intersection(text.encode("ascii", "ignore").translate(_LETTERS_ONLY).split())
        human = human or not _HUMANS.isdisjoint(words)
        if not _MENTION_WORDS.isdisjoint(words):
            text = _mentions_blanked(text)
        if label in _LABEL_CUES:
            scores[_LABEL_CUES[label]] += 4
        candidates = {cue for word in words for cue in _TRIGGERS[word]}
        for cue in candidates:
            if (index or cue.group in _STATED) and cue.found(text, words):
                scores[cue.group] += cue.weight * max(weight, cue.floor)
    for heading in document.mesh:
        if heading in _MESH_CUES:
            group, weight = _MESH_CUES[heading]
            scores[group] += weight
    if "Animals" in document.mesh and "Humans" not in document.mesh:
        scores["nonhuman"] += 6.0
    scores["human"] = float(human)
    return scores


def _decide(cues: dict[str, float]) -> EvidenceKind:
    """Non-human or modelling work, then stated designs, then the observational features."""
    if max(cues["nonhuman"], cues["model"]) >= 4:
        return K.OTHER
    if cues["sr"] >= 4:
        return K.SYSTEMATIC_REVIEW
    randomised = cues["rct"] >= 4 or (cues["rct"] >= 2 and cues["blind"] >= 2)
    if randomised and cues["rct"] > cues["nonrandom"]:
        return K.COHORT if cues["posthoc"] >= 4 else K.RCT  # a post hoc look at trial data is observational
    stated = {
        K.COHORT: cues["cohort"],
        K.CASE_CONTROL: cues["cc"],
        K.CROSS_SECTIONAL: cues["cs"],
        K.CASE_SERIES: cues["case"],
    }
    kind = max(stated, key=stated.__getitem__)
    if stated[kind] >= 4:
        return kind
    if cues["review"] >= 3 and cues["compare"] + cues["temporal"] < 3:
        return K.NARRATIVE_REVIEW
    if cues["ecological"] >= 2:
        return K.OTHER
    return _observational(cues)


def _observational(cues: dict[str, float]) -> EvidenceKind:
    """No design stated: tell the observational designs apart by what the study does.

    Patients set against controls: case-control.  Groups compared: cohort if
    they are followed over time, else cross-sectional.  One group described
    after treatment or over time: case series.  Measured once: cross-sectional.
    Whether data were collected prospectively or retrospectively says nothing
    about follow-up, so it only tips a comparison towards cohort.
    """
    if cues["controls"] >= 2:
        return K.CASE_CONTROL
    timing = cues["temporal"] + cues["cohort"] + cues["nonrandom"]
    if cues["compare"] >= 2:
        return K.COHORT if timing + cues["collection"] > max(cues["onetime"], 1) else K.CROSS_SECTIONAL
    if cues["onetime"] >= max(timing, cues["describe"], 1):
        return K.CROSS_SECTIONAL
    if cues["describe"] + timing >= 1:
        return K.CASE_SERIES
    return K.CROSS_SECTIONAL if cues["human"] else K.OTHER


def evidence_kind(document: Document, sections: list[Section] | None = None) -> EvidenceKind:
    """Publication types first (curated by NLM), then the text's design cues."""
    types = [t.lower() for t in document.publication_types]
    if decisive := [t for t in types if t.startswith(_DECISIVE_PREFIXES)]:  # one C-level test rules most types out
        for name, kind in _DECISIVE_TYPES:
            if any(t.startswith(name) for t in decisive):
                return kind
    cues = design_cues(document, sections)
    if any(t.startswith(_TRIAL_TYPES) for t in types):
        return K.RCT if cues["rct"] >= 4 else _observational(cues)
    if "observational study" in types:
        kind = _decide(cues)
        return kind if kind in _OBSERVATIONAL else K.COHORT
    if "review" in types:
        return K.SYSTEMATIC_REVIEW if cues["sr"] >= 4 else K.NARRATIVE_REVIEW
    return _decide(cues)


# =========================================================================== sample size

_NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen"
        " sixteen seventeen eighteen nineteen".split()
    )
} | {word: 10 * (i + 2) for i, word in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
_SPELLED_NUMBER = re.compile(
    r"(?:(?:" + "|".join(_NUMBER_WORDS) + r"|hundred|thousand)(?:[ -]and[ -]|[ -])?)+(?<=[ -])"
)
_SPELLED_OPENING = re.compile(r"[.;:!?] (?=(?:" + "|".join(_NUMBER_WORDS) + r")[ -])")
# The same for text whose only stops are full stops: a pattern that starts with a set of characters makes
# the regex engine test every character against the set, one that starts with ". " lets it skip to each ".".
_FULL_STOP_OPENING = re.compile(r"\. (?=(?:" + "|".join(_NUMBER_WORDS) + r")[ -])")
# A number from its first digit: "1,234", "12 537", "181" (starting with \d lets the regex engine skip ahead).
_DIGITS = r"\d(?:\d{0,2}(?:,\d{3})+|\d{0,2}(?:[ \u2009\u202f]\d{3})+(?= [a-z])|\d*)"
_NUMBER_THEN_WORD = re.compile(rf"(?P<digits>{_DIGITS}) (?=[a-z])")
# The same for ASCII text, where it finds the same numbers: an ASCII \d is ten characters, which the regex
# engine tells apart ~20 % faster than Unicode's decimal digits as it scans a whole section for them.
_ASCII_NUMBER_THEN_WORD = re.compile(_NUMBER_THEN_WORD.pattern, re.ASCII)
_WORD = re.compile(r"[a-z][\w'’-]*")
_PEOPLE = frozenset(
    "patient patients participant participants subject subjects individual individuals person persons people adult"
    " adults child children infant infants neonate neonates newborn newborns women woman men man girls boys"
    " adolescent adolescents student students respondent respondents volunteer volunteers cases mother mothers"
    " pregnancies veteran veterans resident residents physician physicians nurse nurses doctor doctors worker workers"
    " employee employees athlete athletes smoker smokers survivor survivors recipient recipients donor donors user"
    " users parent parents couples families twins inpatients outpatients youths teenagers casualties victims"
    " trainees probands deliveries controls farmers cleaners drivers soldiers recruits elderly".split()
)
_POPULATION = _PEOPLE | {"cohort", "sample", "population"}
# Words that may not stand between a number and its people noun: units,
# prepositions and non-people nouns ("12 years of age", "120 eyes of 60 patients").
_NOT_ADJECTIVES = frozenset(
    "year years yr yrs old month months week weeks day days hour hours minute minutes mg kg g ml mm cm km times fold"
    " per percent of in from with at to for by and or than vs versus were was who had between the a an eyes teeth"
    " knees hips fractures lesions samples specimens procedures operations studies trials articles papers records"
    " charts visits admissions attendances episodes tumours tumors rats mice animals".split()
)
_NUMBER_JOINERS = frozenset(".,/-–=±")

# Phrasings that state a count is the study sample.
_ENROL_VERB = (
    r"(?:were|was|had been) (?:[a-z]+ly (?:and [a-z]+ly )?)?(?:enrolled|included|recruited|randomi[sz]ed|studied"
    r"|analy[sz]ed|evaluated|reviewed|identified|examined|investigated|assessed|followed|surveyed|interviewed"
    r"|eligible|selected|involved)|participated|took part|completed|underwent|met the"
    r"|(?:were|was) (?:available|enrolled)"
)
_ENROLLED_AFTER = re.compile(
    rf"\s*(?:\([^)]*\)\s*)?,?\s*(?:(?:with|from|who|aged|undergoing) [^.;()]{{0,60}}?)?(?:{_ENROL_VERB})"
)
_ENROL_BEFORE = re.compile(
    r"(?:enrolled|included|recruited|randomi[sz]ed|studied|analy[sz]ed|evaluated|reviewed|examined|investigated"
    r"|followed|surveyed|interviewed|involving|involved|comprising|comprised|consisted of|composed of|sample of"
    r"|cohort of|population of|data (?:from|on|of)|records of|^of|^out of|^among)\s+(?:a total of |all |the )?$"
)
_STATED_BEFORE = re.compile(r"(?:total of|n ?=)\s*$")
_N_EQUALS = re.compile(rf"n ?= ?(?P<digits>{_DIGITS})(?P<post>[^.;)]{{0,30}})")
_NUMBER_OF_PEOPLE = re.compile(rf"number of (?P<noun>[a-z]+) (?:was|were|is) (?P<digits>{_DIGITS})\b")
_SR_TOTAL_BEFORE = re.compile(
    r"(?:stud(?:y|ies)|trials?|rcts?|articles|cohorts|meta-analysis|review)\b[^.;]{0,25}"
    r"(?:with|including|involving|enrolling|comprising|of|\(|,)\s*(?:a total of |n ?= ?)?$|total of $|^of $"
)
# Counts that are part of the sample, not all of it: "27 of 138", "the other
# 75 patients", "and 533 …" (second of a pair), one group's size, a share.
# The words the text before the count ends with (and what each such ending needs),
# then words anywhere in it (see _subset_before).
_SUBSET_BEFORE_END = re.compile(
    r"(?:\d\s*(?:of|out of)(?: the| these| all)?|\d\s*/|[<>≤≥~]|\bthan|\band|\bother|\bremaining)\s*$"
)
_SUBSET_END_WORDS = ("of", "the", "these", "all", "/", "<", ">", "≤", "≥", "~", "than", "and", "other", "remaining")
_SUBSET_BEFORE_ANYWHERE = re.compile(r"(?<!study )\bgroups?\b|\bthe other\b")
_SUBSET_AFTER = re.compile(
    r"\s*(?:\(\s*[\d.]+ ?%|in (?:the|each|either|both) (?:[\w-]+ ){0,2}(?:group|arm)"
    r"|[\w\s,-]{0,30}(?:were|was) screened|assessed for eligibility|[^.;]{0,30}\b(?:from|in|at|per) each\b)"
)
_GROUP_CONTEXT = re.compile(r"group|arm|stud(?:y|ies)|trials?|rcts?|articles|reports")
_YEAR_BEFORE = re.compile(r"(?:in|since|from|during|until|and|to|of)\s*$")
# "33 patients … and 32 controls", "43 LRT patients were compared with those of 49 SLT patients": two groups, summed.
_AND_NUMBER = re.compile(
    rf"[^\d.;()]{{0,60}}? (?:and|plus|versus|vs\.?|compared with|with those of) (?P<digits>{_DIGITS}) "
)
_SINGLE_CASE = re.compile(
    r"we (?:present|report|describe) (?:a|an|the) (?:case|patient)|case of (?:a|an) \d+-year-old|this case report"
)
_SAMPLE_KINDS = {K.RCT, K.COHORT, K.CASE_CONTROL, K.CROSS_SECTIONAL, K.CASE_SERIES, K.SYSTEMATIC_REVIEW}

Count = tuple[int, int, bool]
"""(position in the section, number of people, whether stated as the sample)."""


def _spelled(words: str) -> int | None:
    """"one thousand one hundred and two" -> 1102."""
    total = current = 0
    for word in re.split(r"[ -]+", words.strip()):
        if word in _NUMBER_WORDS:
            current += _NUMBER_WORDS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word == "thousand":
            total, current = total + max(current, 1) * 1000, 0
        elif word != "and":
            return None
    return total + current or None


def _digits(digits: str) -> int:
    """"1,234" / "12 537" -> int."""
    return int(re.sub(r"[, \u2009\u202f]", "", digits))


def _people_noun_end(text: str, pos: int) -> int | None:
    """End of the people noun at ``pos`` after at most three adjectives ("560 healthy women")."""
    for _ in range(4):
        word = _WORD.match(text, pos)
        if word is None or word.group() in _NOT_ADJECTIVES:
            return None
        if word.group() in _PEOPLE:
            return word.end()
        pos = word.end() + 1 + text.startswith(",", word.end())
        if text[pos - 1 : pos] != " ":
            return None
    return None


def _head_counts(text: str) -> Iterator[tuple[int, int, int]]:
    """(start, end, value) of every "<number> [adjectives] <people>".

    Spelled-out numbers are only taken when they open a sentence, as journal
    style requires; in mid-sentence ("two patients") they count subgroups.
    """
    for match in (_ASCII_NUMBER_THEN_WORD if text.isascii() else _NUMBER_THEN_WORD).finditer(text):
        start = match.start()
        previous = text[max(0, start - 2) : start]
        if previous[-1:] in _NUMBER_JOINERS or previous[-1:].isalnum() or previous[:1].isdigit():
            continue  # inside a longer number or word: "1.5", "20 960", "t2"
        end = _people_noun_end(text, match.end())
        if end:
            yield start, end, _digits(match.group("digits"))
    openings = _SPELLED_OPENING if ";" in text or ":" in text or "!" in text or "?" in text else _FULL_STOP_OPENING
    for start in [0] + [m.end() for m in openings.finditer(text)]:
        number = _SPELLED_NUMBER.match(text, start)
        value = _spelled(number.group()) if number else None
        end = _people_noun_end(text, number.end()) if number and value else None
        if value and end:
            yield start, end, value


def _around(text: str, start: int, end: int) -> tuple[str, str]:
    """Up to 120 characters before ``start`` and 60 after ``end``, within the sentence."""
    before = text[max(0, start - 120) : start]
    before = before[max(before.rfind(". "), before.rfind("; ")) + 1 :]
    after = text[end : end + 60]
    stops = [i for i in (after.find(". "), after.find("; ")) if i >= 0]
    return before, after[: min(stops)] if stops else after


def _subset_before(before: str) -> bool:
    """Whether the text before a count says it is part of the sample.

    A regex search tries every place in the text, so each one runs only on text that ends with,
    or holds, the words it needs (one search over both took ~5 µs a record; this ~2)."""
    if before.rstrip().endswith(_SUBSET_END_WORDS) and _SUBSET_BEFORE_END.search(before):
        return True
    return ("group" in before or "the other" in before) and _SUBSET_BEFORE_ANYWHERE.search(before) is not None


def _people_counts(text: str, review: bool, results: bool) -> list[Count]:
    """Every plausible head count in a section, in no particular order."""
    found: list[Count] = []
    for start, end, value in _head_counts(text):
        before, after = _around(text, start, end)
        if _subset_before(before) or _SUBSET_AFTER.match(after):
            continue
        if 1900 <= value <= 2030 and _YEAR_BEFORE.search(before):
            continue  # "in 2005 patients were…" names a year
        if review:
            found.append((start, value, bool(_SR_TOTAL_BEFORE.search(before))))
            continue
        if before.endswith("("):
            continue  # "benign (34 cases) or malignant (17 cases)": a breakdown
        stated = bool(_STATED_BEFORE.search(before) or _ENROLLED_AFTER.match(after) or _ENROL_BEFORE.search(before))
        other_group = _AND_NUMBER.match(after)
        if other_group and not _STATED_BEFORE.search(before) and _people_noun_end(after, other_group.end()):
            value += _digits(other_group.group("digits"))
        found.append((start, value, stated))
    if not review:
        if not results:
            found += _n_equals(text)  # in RESULTS, "(n = …)" sizes subgroups
        if "number of " in text:  # a substring test is far quicker than the regex's scan
            found += [
                (m.start(), _digits(m["digits"]), True)
                for m in _NUMBER_OF_PEOPLE.finditer(text)
                if m["noun"] in _PEOPLE
            ]
    return found


def _n_equals(text: str) -> list[Count]:
    """"Adult patients undergoing anaesthesia (n = 240)": a stated sample, unless one group's.

    Two or more "n = …" in one sentence are group sizes, and none is taken.
    """
    if "=" not in text:  # most sections: a substring test is far quicker than the regex's scan
        return []
    matches = [m for m in _N_EQUALS.finditer(text) if not text[m.start() - 1 : m.start()].isalnum()]
    sentences = [(text.rfind(". ", 0, m.start()), text.find(". ", m.start())) for m in matches]
    found: list[Count] = []
    for match, sentence in zip(matches, sentences):
        window = text[max(0, match.start() - 80) : match.start()].rstrip(" (")
        names_people = not _POPULATION.isdisjoint(_WORD.findall(re.split(r"[.;(]", window)[-1]))
        post = match.group("post")
        in_group = _GROUP_CONTEXT.search(window[-40:]) or _SUBSET_AFTER.match(" " + post) or "%" in post
        if names_people and not in_group and sentences.count(sentence) == 1:
            found.append((match.start(), _digits(match.group("digits")), True))
    return found


def sample_size(document: Document, kind: EvidenceKind, sections: list[Section] | None = None) -> int | None:
    """Number of people studied when the abstract states it plainly, else None.

    Sections are read in order.  In each, the first count stated as the
    sample ("A total of 3849 patients underwent randomization", "n = 120")
    wins, else the first people count unless it is a RESULTS section, where
    counts are mostly subgroups.  Systematic reviews take a total across
    studies, never a number of studies, and only when there is one.
    """
    if kind not in _SAMPLE_KINDS:
        return None
    review = kind is K.SYSTEMATIC_REVIEW
    sections = sections or _sections(document)
    for label, text, weight in sections if review else sections[1:]:
        if weight < 1.0:
            continue
        results = "RESULT" in label.upper() and "METHOD" not in label.upper()
        counts = sorted(_people_counts(text, review, results))
        stated = [value for _, value, is_stated in counts if is_stated]
        if review and len(set(stated)) == 1:
            return stated[0]
        if not review and stated:
            return stated[0]
        if not review and counts and not results:
            return counts[0][1]
    if kind is K.CASE_SERIES and _SINGLE_CASE.search(document.text[:_MAX_SECTION_CHARS].lower()):
        return 1
    return None


# =========================================================================== retraction

_RETRACTION_TYPES = {"retracted publication", "retraction of publication"}
_RETRACTED_TITLE = re.compile(
    r"^\W*(?:retracted|retraction|notice of retraction)\b\s*[:.\]]|^\W*retraction notice\b", re.IGNORECASE
)


def is_retracted(document: Document) -> bool:
    """A retracted paper, or the notice retracting one: neither may be cited."""
    if document.retracted or _RETRACTED_TITLE.match(document.title):
        return True
    return any(t.lower() in _RETRACTION_TYPES for t in document.publication_types)


# =========================================================================== entry point


def classify(document: Document) -> Document:
    """A copy of ``document`` with kind, sample size and retraction decided.

    A kind the source already set (guideline, consumer, a user's stated
    kind) and a sample size already given are kept: they came from someone
    who knew.
    """
    kind, sections = document.kind, None
    if kind is K.OTHER:
        sections = _sections(document)
        kind = evidence_kind(document, sections)
    size = document.sample_size if document.sample_size is not None else sample_size(document, kind, sections)
    return document.model_copy(update={"kind": kind, "sample_size": size, "retracted": is_retracted(document)})
