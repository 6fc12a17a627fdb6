"""Decide what kind of evidence a document is, how many people it studied,
and whether it has been retracted.

Rules, not a model, so every decision can be explained: PubMed publication
types when the record has them, else design cues in the title and abstract
(plus MeSH design headings).  A cue counts by where it occurs: a design
stated in the title or METHODS counts fully, one in the BACKGROUND or
CONCLUSIONS ("randomised trials are needed") hardly at all.  Sample size is
taken only from phrasings that name people ("181 patients", "n = 120 women")
because a wrong number is worse than none.  Runs once per record during
ingestion, so all patterns are compiled at import and each text is scanned by
one combined pattern.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from evidex.models import Document, EvidenceKind

K = EvidenceKind

# --------------------------------------------------------------------------- kind

# PubMed publication types (lower case) that settle the kind on their own.
_DECISIVE_TYPES: list[tuple[str, EvidenceKind]] = [
    ("retraction of publication", K.OTHER),
    ("practice guideline", K.GUIDELINE),
    ("guideline", K.GUIDELINE),
    ("consensus development conference", K.GUIDELINE),
    ("systematic review", K.SYSTEMATIC_REVIEW),
    ("meta-analysis", K.SYSTEMATIC_REVIEW),
    ("network meta-analysis", K.SYSTEMATIC_REVIEW),
    ("randomized controlled trial", K.RCT),
    ("equivalence trial", K.RCT),
    ("case reports", K.CASE_SERIES),
    ("editorial", K.OTHER),
    ("comment", K.OTHER),
    ("news", K.OTHER),
    ("biography", K.OTHER),
    ("historical article", K.OTHER),
]
_TRIAL_TYPES = ("clinical trial", "controlled clinical trial", "pragmatic clinical trial")
_OBSERVATIONAL = (K.COHORT, K.CASE_CONTROL, K.CROSS_SECTIONAL)

# MeSH headings that describe the study's own design, with the weight they add.
_MESH_CUES: dict[str, tuple[EvidenceKind, float]] = {
    "Random Allocation": (K.RCT, 1.0),
    "Double-Blind Method": (K.RCT, 2.0),
    "Single-Blind Method": (K.RCT, 1.5),
    "Cross-Over Studies": (K.RCT, 1.0),
    "Cohort Studies": (K.COHORT, 2.0),
    "Longitudinal Studies": (K.COHORT, 1.5),
    "Follow-Up Studies": (K.COHORT, 1.0),
    "Prospective Studies": (K.COHORT, 1.0),
    "Retrospective Studies": (K.COHORT, 0.5),
    "Case-Control Studies": (K.CASE_CONTROL, 2.0),
    "Cross-Sectional Studies": (K.CROSS_SECTIONAL, 2.5),
    "Surveys and Questionnaires": (K.CROSS_SECTIONAL, 1.0),
    "Health Surveys": (K.CROSS_SECTIONAL, 1.0),
    "Health Care Surveys": (K.CROSS_SECTIONAL, 1.0),
    "Sensitivity and Specificity": (K.CROSS_SECTIONAL, 1.0),
    "Predictive Value of Tests": (K.CROSS_SECTIONAL, 0.5),
}

_RANDOMISED = r"randomi[sz]ed"
# Each cue: (kind, weight, pattern).  Kind None marks a phrase that only
# *mentions* a design ("further randomised trials are needed"): it is
# consumed so the positive cue inside it never matches.
_CUES: list[tuple[EvidenceKind | None, float, str]] = [
    (None, 0, r"(?:further|future|larger|more|well[- ]designed|additional|adequately powered|previous|prior|earlier"
     r"|several|many|other|published|large|multiple|recent)(?: [\w-]+){0,3} " + _RANDOMISED + r"[^.;]*"),
    (None, 0, _RANDOMISED + r"(?: [\w-]+){0,3} (?:trials?|studies) (?:are|is|were|would be|will be|should be)"
     r" (?:needed|required|necessary|warranted|justified|lacking|needed)[^.;]*"),
    (None, 0, r"in vitro fertili[sz]ation"),
    (None, 0, r"(?:published|previous|other|reported|literature) (?:[\w-]+ )?case reports?"),
    (K.COHORT, 3, r"non-?" + _RANDOMISED + r"|not " + _RANDOMISED + r"|quasi-?(?:" + _RANDOMISED + r"|experimental)"),
    (K.RCT, 4, _RANDOMISED + r"(?:[ ,-]+(?:prospective|double|single|triple|blind(?:ed)?|placebo|sham|controlled|open"
     r"|label|parallel|group|multi-?cent(?:er|re)|cross-?over|clinical|pilot|comparative|and))*[ ,-]+(?:trial|study)"),
    (K.RCT, 4, r"(?:were|was|being|been|we) (?:[\w-]+ ){0,2}" + _RANDOMISED + r"|" + _RANDOMISED + r" (?:to|into|in a)"
     r"|randomly (?:assigned|allocated|divided|distributed|received)|randomi[sz]ation|(?:allocated|assigned) at random"),
    (K.RCT, 2, r"placebo[- ]controlled|double[- ](?:blind|mask)"),
    (K.SYSTEMATIC_REVIEW, 4, r"systematic(?:ally)? (?:literature )?(?:review|search)|meta-?analys[ie]s|metaanalys"
     r"|prisma|preferred reporting items|data sources:|study selection:|data synthesis:"),
    (K.SYSTEMATIC_REVIEW, 3, r"(?:medline|embase|pubmed|cochrane|web of science|scopus|cinahl)[^.;]{0,80} (?:were |was )?"
     r"(?:searched|search)|(?:searched|search of|searches of|search was)[^.;]{0,40}(?:medline|embase|pubmed|cochrane|"
     r"databases)|pooled (?:analysis|estimates?|odds|risk|relative|prevalence|data|results)"),
    (K.COHORT, 3, r"(?:prospective|retrospective|population-based|birth|historical|observational)[ ,]+cohort"
     r"|cohort (?:study|analysis|design)|longitudinal|natural experiment|propensity"),
    (K.COHORT, 1.5, r"cohort|were followed|(?:median|mean) follow-?up|follow-?up (?:study|period|of|for|was|data)"
     r"|hazard ratio|cox (?:proportional|regression|model)|kaplan-meier|registry"),
    (K.COHORT, 1, r"prospective(?:ly)?|(?:two|three|four|both) groups|survival|incidence|risk factors?"),
    (K.CASE_CONTROL, 5, r"case[- –]control"),
    (K.CASE_CONTROL, 2, r"matched (?:healthy )?controls?|(?:age|sex|gender)[- ](?:and[- ](?:sex|gender|age)[- ])?matched"
     r"|controls? (?:were|was) matched|cases and (?:\d+ )?(?:[\w-]+ )?controls"),
    (K.CASE_CONTROL, 1.5, r"(?:healthy|normal) (?:control|volunteer)s?|control subjects"),
    (K.CROSS_SECTIONAL, 5, r"cross[- ]sectional"),
    (K.CROSS_SECTIONAL, 2, r"surveys?(?:ed)?|questionnaires?|prevalence|interview(?:s|ed)?"),
    (K.CROSS_SECTIONAL, 1.5, r"sensitivity|specificity|diagnostic accuracy|receiver[- ]operating|roc curve"
     r"|predictive values?|inter-?observer|intra-?observer|reliability|psychometric|validity|rasch"),
    (K.CASE_SERIES, 5, r"case reports?|case series|we (?:present|report|describe) (?:a|an|the|two|three) (?:case|patient)"
     r"|(?:a|an) \d+-year-old (?:man|woman|male|female|boy|girl|patient|child|infant)"),
    (K.CASE_SERIES, 2, r"(?:this|our|a) series|our (?:initial |early )?experience|descriptive|uncontrolled"
     r"|single[- ]arm|retrospective(?:ly)? (?:review|reviewed|chart|evaluation|analysis)|we reviewed"),
    (K.CASE_SERIES, 1, r"consecutive|retrospective(?:ly)?|feasibility|pilot"),
    (K.NARRATIVE_REVIEW, 4, r"narrative review|review of the literature|literature review|(?:this|we|the present) review"
     r"|an? (?:brief |short )?(?:overview|update|review) (?:of|on)|summary:"),
    (K.OTHER, 4, r"\b(?:rats?|mice|mouse|murine|rabbits?|dogs?|canine|pigs|piglets?|porcine|swine|sheep|ovine|hamsters?"
     r"|monkeys?|primates|zebrafish|drosophila|animal models?)\b|cadaver(?:ic|s)?|embalm"),
    (K.OTHER, 4, r"decision[- ](?:analysis|analytic|model|tree)|markov|cost-(?:effectiveness|utility)|simulation model"),
    (K.OTHER, 2, r"in vitro|cell lines?|cultured|countries"),
]
_CUE_KINDS = [(kind, weight) for kind, weight, _ in _CUES]
_CUE_PATTERN = re.compile("|".join(f"(?P<c{i}>{pattern})" for i, (_, _, pattern) in enumerate(_CUES)))

_DESIGN_LABEL = re.compile(r"DESIGN|METHOD|PATIENT|PARTICIPANT|SUBJECT|SETTING|MATERIAL|POPULATION|SAMPLE|DATA")
_WEAK_LABEL = re.compile(r"BACKGROUND|INTRODUCTION|CONTEXT|OBJECTIVE|PURPOSE|AIM|HYPOTHES|RATIONALE|QUESTION")
_AFTERWORD_LABEL = re.compile(r"CONCLUSION|DISCUSSION|LIMITATION|IMPLICATION|COMMENT|LEVEL OF EVIDENCE|REGISTRATION")
_TITLE_WEIGHT = 2.0
_MAX_ZONE_CHARS = 4000
_MIN_SCORE = 1.0


@lru_cache(maxsize=512)
def _zone_weight(label: str) -> float:
    """How much a design cue in a section with this label counts."""
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


def design_scores(document: Document) -> dict[EvidenceKind, float]:
    """Weighted design cues per kind from title, passages and MeSH."""
    scores: dict[EvidenceKind, float] = dict.fromkeys(EvidenceKind, 0.0)
    zones = [(document.title, _TITLE_WEIGHT)]
    zones += [(f"{p.label}: {p.text}", _zone_weight(p.label)) for p in document.passages[:12]]
    for text, weight in zones:
        seen: set[int] = set()
        for match in _CUE_PATTERN.finditer(text[:_MAX_ZONE_CHARS].lower()):
            index = int(match.lastgroup[1:])  # type: ignore[index]
            kind, cue_weight = _CUE_KINDS[index]
            if kind is not None and index not in seen:
                seen.add(index)
                scores[kind] += cue_weight * weight
    for heading in document.mesh:
        cue = _MESH_CUES.get(heading)
        if cue:
            scores[cue[0]] += cue[1]
    if "Animals" in document.mesh and "Humans" not in document.mesh:
        scores[K.OTHER] += 6.0
    return scores


def _best(scores: dict[EvidenceKind, float], among: Iterable[EvidenceKind], default: EvidenceKind) -> EvidenceKind:
    """The highest-scoring kind of ``among``; ``default`` when none reaches the minimum."""
    kind, score = max(((k, scores[k]) for k in among), key=lambda pair: pair[1])
    return kind if score >= _MIN_SCORE else default


def evidence_kind(document: Document) -> EvidenceKind:
    """Publication types first (curated by NLM), then the text's design cues."""
    types = {t.lower() for t in document.publication_types}
    for name, kind in _DECISIVE_TYPES:
        if name in types or any(t.startswith(name) for t in types):
            return kind
    scores = design_scores(document)
    if any(t.startswith(_TRIAL_TYPES) for t in types):
        return K.RCT if scores[K.RCT] >= 4 else _best(scores, (K.COHORT, K.CASE_SERIES), K.COHORT)
    if "observational study" in types:
        return _best(scores, _OBSERVATIONAL, K.COHORT)
    if "review" in types:
        return K.SYSTEMATIC_REVIEW if scores[K.SYSTEMATIC_REVIEW] >= 4 else K.NARRATIVE_REVIEW
    return _best(scores, list(EvidenceKind), K.OTHER)


# --------------------------------------------------------------------------- sample size

_NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen"
        " sixteen seventeen eighteen nineteen".split()
    )
} | {word: 10 * (i + 2) for i, word in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
_WORD_NUMBER = r"(?:(?:" + "|".join(_NUMBER_WORDS) + r"|hundred|thousand)(?:[ -]and[ -]|[ -])?)+"
_DIGITS = r"\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+(?= [a-z])|\d+"
_PEOPLE = (
    r"patients?|participants?|subjects?|individuals?|persons?|people|adults?|children|infants?|neonates?|newborns?"
    r"|women|men|girls|boys|adolescents?|students?|respondents?|volunteers?|cases|mothers?|pregnancies|veterans?"
    r"|residents?|physicians?|nurses?|doctors?|workers?|employees?|athletes?|smokers?|survivors?|recipients?"
    r"|donors?|users?|parents?|couples?|families|twins?|inpatients?|outpatients?|youths?|teenagers?|casualties"
    r"|victims?|trainees?|probands?|deliveries|controls|farmers|cleaners|drivers|soldiers|recruits|elderly"
)
# Words that may stand between a number and its people noun ("560 healthy
# women"); units, prepositions and non-people nouns may not ("12 years of age").
_NOT_ADJECTIVE = (
    r"years?|yrs?|old|months?|weeks?|days?|hours?|minutes?|mg|kg|g|ml|mm|cm|km|times|fold|per|percent|of|in|from"
    r"|with|at|to|for|by|and|or|than|vs|versus|were|was|who|had|between|the|a|an|eyes|teeth|knees|hips|fractures"
    r"|lesions|samples|specimens|procedures|operations|studies|trials|articles|papers|records|charts|visits"
    r"|admissions|attendances|episodes|tumou?rs|rats|mice|animals"
)
_ADJECTIVES = rf"(?:(?!(?:{_NOT_ADJECTIVE})\b)[a-z][\w'’-]*,? ){{0,3}}"
_COUNT = rf"(?:(?P<digits>{_DIGITS})|(?P<words>{_WORD_NUMBER}))"
_ENROL_VERB = (
    r"(?:were|was|had been) (?:[a-z]+ly )?(?:enrolled|included|recruited|randomi[sz]ed|studied|analy[sz]ed|evaluated"
    r"|reviewed|identified|examined|investigated|assessed|followed|surveyed|interviewed|eligible|selected|involved)"
    r"|participated|took part|completed|underwent|met the|(?:were|was) (?:available|enrolled)"
)
_PEOPLE_COUNT = re.compile(
    rf"(?:^|(?<=[\s(\[]))(?P<pre>total of |n ?= ?)?{_COUNT} {_ADJECTIVES}(?P<noun>{_PEOPLE})\b(?P<post>[^.;]{{0,60}})"
)
_N_EQUALS = re.compile(rf"(?P<ctx>[^.;(]{{0,40}})\(\s*n ?= ?(?P<digits>{_DIGITS})\s*(?P<post>[^)]{{0,30}})\)")
_SUBSET_AFTER = re.compile(r"^\s*(?:\(\s*[\d.]+ ?%|in (?:the|each|either|both) [\w-]+(?: [\w-]+)? (?:group|arm)|"
                           r"[\w\s,-]{0,30}(?:were|was) screened|assessed for eligibility)")
_SUBSET_BEFORE = re.compile(r"(?:\d\s*(?:of|out of|/)|group [a-z0-9]+ \(|[<>≤≥~]|\bthan|\bof the)\s*$")
_ENROLLED_AFTER = re.compile(rf"^\s*(?:\([^)]*\)\s*)?,?\s*(?:{_ENROL_VERB})")
_ENROL_BEFORE = re.compile(
    r"(?:enrolled|included|recruited|randomi[sz]ed|studied|analy[sz]ed|evaluated|reviewed|examined|investigated"
    r"|followed|surveyed|interviewed|involving|involved|comprising|comprised|consisted of|composed of|sample of"
    r"|cohort of|population of|data (?:from|on|of)|records of|^of|^out of|^among|^in)\s+(?:a total of |all |the )?$"
)
_GROUP_CONTEXT = re.compile(r"group|arm|stud(?:y|ies)|trials?|rcts?|articles|reports")
_POPULATION_CONTEXT = re.compile(rf"\b(?:{_PEOPLE}|cohort|sample|population)\b")
_SUM_WITH = re.compile(rf"^\s*(?:[^\d.;()]{{0,60}}?) (?:and|plus) (?P<digits>{_DIGITS}) {_ADJECTIVES}(?:{_PEOPLE})\b")
_SR_TOTAL_BEFORE = re.compile(
    r"(?:stud(?:y|ies)|trials?|rcts?|articles|cohorts|meta-analysis|review)\b[^.;]{0,25}"
    r"(?:with|including|involving|enrolling|comprising|of|\(|,)\s*(?:a total of |n ?= ?)?$|total of $|^of $"
)
_SENTENCE_START = re.compile(r"(?:^|[.:;!?]\s+)$")
_SAMPLE_KINDS = {K.RCT, K.COHORT, K.CASE_CONTROL, K.CROSS_SECTIONAL, K.CASE_SERIES, K.SYSTEMATIC_REVIEW}
_SINGLE_CASE = re.compile(
    r"we (?:present|report|describe) (?:a|an|the) (?:case|patient)|case of (?:a|an) \d+-year-old|this case report"
)


def _to_int(digits: str | None, words: str | None) -> int | None:
    """"1,234" / "12 537" / "One thousand one hundred and two" -> int."""
    if digits:
        return int(digits.replace(",", "").replace(" ", ""))
    total = current = 0
    for word in re.split(r"[ -]+", (words or "").strip()):
        if word in _NUMBER_WORDS:
            current += _NUMBER_WORDS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word == "thousand":
            total, current = total + max(current, 1) * 1000, 0
        elif word != "and":
            return None
    return total + current or None


def _year_like(value: int, digits: str | None, before: str) -> bool:
    """"In 2005 patients were…" names a year, not 2005 people."""
    return bool(digits) and 1900 <= value <= 2030 and re.search(r"(?:in|since|from|during|until|and|to|of)\s*$", before) is not None


def _people_counts(text: str, review: bool) -> list[tuple[int, int, bool]]:
    """(position, count, stated-as-the-sample) for each plausible head count in ``text``."""
    found: list[tuple[int, int, bool]] = []
    for match in _PEOPLE_COUNT.finditer(text):
        before, post = text[max(0, match.start() - 60) : match.start()], match.group("post")
        digits, words = match.group("digits"), match.group("words")
        if words and not _SENTENCE_START.search(before):
            continue  # mid-sentence "two patients" is nearly always a subgroup
        if _SUBSET_BEFORE.search(before) or _SUBSET_AFTER.match(post):
            continue
        value = _to_int(digits, words)
        if value is None or _year_like(value, digits, before):
            continue
        if review:
            stated = bool(_SR_TOTAL_BEFORE.search(before + (match.group("pre") or "")))
        else:
            stated = bool(match.group("pre") or _ENROLLED_AFTER.match(post) or _ENROL_BEFORE.search(before))
        total = _SUM_WITH.match(post)
        if total and not match.group("pre") and not review:
            value += _to_int(total.group("digits"), None) or 0
        found.append((match.start(), value, stated))
    for match in _N_EQUALS.finditer(text):
        context = match.group("ctx")
        if _GROUP_CONTEXT.search(context[-25:]) or not _POPULATION_CONTEXT.search(context):
            continue
        if _SUBSET_AFTER.match(" " + match.group("post")) or "%" in match.group("post"):
            continue
        value = _to_int(match.group("digits"), None)
        if value and not review:
            found.append((match.start(), value, True))
    return found


def sample_size(document: Document, kind: EvidenceKind) -> int | None:
    """Number of people studied when the abstract states it plainly, else None.

    The first count stated as the sample ("A total of 3849 patients underwent
    randomization", "n = 120") wins; otherwise the first people count in the
    METHODS.  Systematic reviews only count totals across studies.
    """
    if kind not in _SAMPLE_KINDS:
        return None
    review = kind is K.SYSTEMATIC_REVIEW
    zones = [(document.title.lower(), _TITLE_WEIGHT)] if review else []
    zones += [(p.text.lower(), _zone_weight(p.label)) for p in document.passages[:12]]
    weak: int | None = None
    for text, weight in zones:
        if weight < 1.0:
            continue
        counts = sorted(_people_counts(text[:_MAX_ZONE_CHARS], review))
        stated = {value for _, value, is_stated in counts if is_stated}
        if review and len(stated) == 1:
            return stated.pop()
        if not review:
            for _, value, is_stated in counts:
                if is_stated:
                    return value
            if weak is None and counts and weight > 1.0:
                weak = counts[0][1]
    if weak is None and kind is K.CASE_SERIES and _SINGLE_CASE.search(document.text[:_MAX_ZONE_CHARS].lower()):
        return 1
    return weak


# --------------------------------------------------------------------------- retraction

_RETRACTION_TYPES = {"retracted publication", "retraction of publication"}
_RETRACTED_TITLE = re.compile(r"^\W*(?:retracted|retraction|notice of retraction)\b\s*[:.\]]", re.IGNORECASE)


def is_retracted(document: Document) -> bool:
    """A retracted paper, or the notice retracting one: neither may be cited."""
    if document.retracted or _RETRACTED_TITLE.match(document.title):
        return True
    return any(t.lower() in _RETRACTION_TYPES for t in document.publication_types)


# --------------------------------------------------------------------------- entry point


def classify(document: Document) -> Document:
    """A copy of ``document`` with kind, sample size and retraction decided.

    A kind the source already set (guideline, consumer, a user's stated
    kind) and a sample size already given are kept: they came from someone
    who knew.
    """
    kind = evidence_kind(document) if document.kind is K.OTHER else document.kind
    size = document.sample_size if document.sample_size is not None else sample_size(document, kind)
    return document.model_copy(update={"kind": kind, "sample_size": size, "retracted": is_retracted(document)})
