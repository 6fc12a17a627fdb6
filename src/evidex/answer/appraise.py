"""Appraise: from retrieved passages to findings worth stating.

A *finding* is one sentence of a passage that states a result, conclusion
or recommendation, with the document it came from and its exact place in
the passage.  Background, aims and methods sentences are not findings.
Findings are scored by topical match with the question, by how clearly they
state a result, and by the strength of their source (evidence level,
recommendation strength, recency); retracted documents never get here.
"""

from __future__ import annotations

import hashlib
import inspect
import re
from collections import OrderedDict
from dataclasses import dataclass, replace

import pysbd

from evidex.answer.relevance import (
    DICTIONARY_ENTRY,
    Candidate,
    RelevanceModel,
    page_about,
    relevance,
    title_asks,
    title_names_focus,
)
from evidex.answer.understand import ClinicalQuestion
from evidex.answer.words import (
    Topic,
    body_regions,
    concept_phrase,
    concept_words,
    mentions,
)
from evidex.evidence.builtin import ShippedSentences
from evidex.evidence.documents import Document, EvidenceKind, Passage
from evidex.evidence.sources.nci_dictionary import NCI_DICTIONARY_SOURCE
from evidex.search.retrieve import SearchHit

# Abstract sections that describe why or how a study was done, not what it found.
NON_FINDING_LABELS = re.compile(
    r"^(BACKGROUND|INTRODUCTION|OBJECTIVES?|AIMS?|PURPOSE|METHODS?|MATERIALS?|DESIGN|SETTING|"
    r"PARTICIPANTS|PATIENTS|SUBJECTS|STUDY DESIGN|MAIN OUTCOME|INTERVENTIONS?|CONTEXT|TITLE|DATA SOURCES|"
    r"STUDY SELECTION|DATA EXTRACTION|SEARCH|ELIGIBILITY|REVIEW METHODS|PATIENTS AND METHODS|MATERIALS AND METHODS)",
    re.IGNORECASE,
)
FINDING_LABELS = re.compile(r"(CONCLUSION|RESULTS?|FINDINGS|INTERPRETATION|IMPLICATIONS|RECOMMENDATION)", re.IGNORECASE)
FINDING_CUES = re.compile(
    r"\b(recommend\w*|suggest\w*|should|effective\w*|improv\w*|reduc\w*|increas\w*|decreas\w*|associated|"
    r"significant\w*|superior|inferior|benefit\w*|no difference|insufficient evidence|inconclusive|"
    r"first[- ]line|safe|harm\w*|risk)\b",
    re.IGNORECASE,
)
AIM_CUES = re.compile(
    r"^(we (aimed|sought|investigated|examined|evaluated|assessed|conducted|performed|hypothesi[sz]ed|describe|"
    r"present|reviewed|searched|studied|analy[sz]ed|included|enrolled|recruited|retrospectively|prospectively)|"
    r"the (aim|purpose|objective)|to (determine|assess|evaluate|investigate|examine|compare)|"
    r"refer to|see (the|also)|for more (?:information|details)|click|note:|"
    r"in (this|the present|our) (study|review|systematic review|trial|meta-analysis|analysis),? we|"
    r"(this|these|it|they|such|those)\b(?! (guideline|recommendation|review|trial|study)))\b|:$",
    re.IGNORECASE,
)
# Editorial notes of guideline summaries (how grades are defined, where to find them) are not evidence.
EDITORIAL_NOTES = re.compile(
    r"\b(?:is|are) defined (?:at the end|below|in the)|\"Major Recommendations\" field|National Guideline Clearinghouse|"
    # where a summary points for the content itself: "Evidence of side effects of hydroxyurea … is presented
    # in Exhibit 13 in the original guideline document" (not "(see Table 2 in the original guideline document)")
    r"\b(?:is|are) (?:presented|provided|discussed|described|summari[sz]ed|listed|shown|found|available) in "
    r"(?:[\w-]+ ){0,5}the original guideline\b|\boriginal guideline document (?:provides?|contains?|includes?|lists?)\b|"
    r"\(NGC\)|grades its recommendations|definitions? (?:of|for) the (?:grades|levels|strength|quality)|"
    r"(?:strength|quality|level)s? of (?:the )?(?:evidence|recommendations?) (?:rating|grading|scheme)|"
    r"Human Phenotype Ontology|(?:table|list) below|the following list|MedlinePlus Medical Dictionary|"
    r"\b(?:this|the) information (?:comes|came|is taken|was taken) from\b|"
    r"look up the definitions|frequency of a sign or symptom|frequency may also be listed|"
    # the rare-disease pages' note on how symptom frequencies are written ("25/25 means …")
    r"number of the fraction|a frequency of \d+/\d+|(?:sign or symptom|symptoms?) may be rare or common|"
    r"information on frequency|these frequencies|the fractions? may|"
    r"\bpercentage of people who have\b.{0,40}\bsymptom|"
    r"OpenMedicine Calculator|available via MCP\b|"  # a note on a software tool, not on the patient
    # what a guideline is about, not what it recommends: "The 2019 ATS/IDSA guideline provides specific
    # recommendations on when to obtain microbiological studies"
    r"\b(?:guidelines?|document|statement|update|review)s? (?:provides?|includes?|covers?|addresses|contains?|offers?|gives?) "
    r"(?:\w+ ){0,2}(?:recommendations?|guidance|advice)\b|"
    # a sentence that only points to another page or heading: "Also, see \"Key Words\" related to gout"
    # (not "(see \"Assessment of Risk\")" inside a recommendation)
    r"^\s*(?:also,?\s+)?(?:see|go to|visit|read)\s+[\"“]|"
    r"^\s*\(?(?:see|learn more|more information is|for more information)\b.*\bfor more information\b|"
    r"^\s*(?:learn more about|more information (?:is|can be) (?:provided|found))\b|"
    # how to use a web page or video, and who made it: not medical content
    r"\b(?:press|click|tap|select) (?:the|on|here)\b|\b(?:this|the) (?:video|web ?site|web ?page|tutorial)\b|"
    r"\b(?:support|funding|contributions?) from (?:researchers|reviewers|editors|the)\b|\b(?:reviewers|editors|authors) (?:thank|acknowledge)\b|"
    r"\bwww\.|https?://|\bavailable at\b",
    re.IGNORECASE,
)
# A finding is a statement: it has a verb, and is not an item cut from a list or table
# ("1 or more subcutaneous tophi", "4) use of coping strategies") that needs its lead-in to mean anything.
_VERB = re.compile(
    r"\b(?:is|are|was|were|be|been|being|should|may|might|can|could|will|would|must|shall|has|have|had|do|does|did|"
    r"needs?|\w{3,}ed|(?:recommend|suggest|reduce|increase|improve|help|work|cause|prevent|lower|raise|treat|use|"
    r"include|require|appear|remain|seem|show|indicate|lead|result|occur|provide|offer|support|affect|decrease|"
    r"predict|associate|correlate|differ|exceed|outperform|yield|achieve|reflect|contribute|correspond|relate|depend|"
    r"benefit|worsen|enhance|protect|alter|prolong|shorten|persist|produce|promote|inhibit|facilitate|confer|"
    r"allow|enable|involve|contain|affect|develop|respond|tolerate|know|begin|start|last|spread|heal)s?)\b",
    re.IGNORECASE,
)
_LIST_ITEM = re.compile(r"^\s*(?:\(?\d{1,2}[.)]|\(?[a-z][)]|[-•*])\s")
# Pieces a sentence splitter cut badly: starting mid-sentence (", …"), or a lead-in whose list is missing.
# Also a sentence with no subject, cut from a list whose item named it, even after a label:
# "Recommended as part of the treatment plan …", "Dose Reduction: Reduce to 15 mg once daily …".
_FRAGMENT = re.compile(
    r"^\s*[,;:)\]–-]|\b(?:include|includes|including|following|follows)\s*[.:]?\s*$|"
    r"^\s*(?:[^:.]{1,40}:\*?\s*)?(?:Recommended|Preferred|Indicated|Contraindicated|Reserved|Considered|Used|"
    # a doctor's action cut from "Your doctor may: - Recommend a chest x ray …"
    r"Recommend|"
    r"Suggested|Should|Must|May|Might|Can|Could|Will|Would|Is|Are|Requires?|Reduces|Increases|Improves|Lowers|Reduce to|"
    r"Increase to)\b|"
    r"^\s*(?:When|How|What|Why|Where|Whom?) to\b|"
    # a quantity whose noun is in the sentence before: "Some prevent or cure diseases" (some medicines),
    # "Most are caused by a virus" (most sore throats)
    r"^\s*(?:Some|Many|Most|Several|Others|Both|Few)\s+(?:are|is|was|were|can|could|may|might|will|would|should|"
    r"must|have|has|had|do|does|did|cause|include|help|prevent|treat|work|need|require|affect|occur|develop|lead|"
    r"make|become|get|go|cure|relieve|reduce)\b(?!-)|"
    # examples of what the sentence before names: "Examples include a major accident, war, assault …" (of trauma)
    r"^\s*(?:Some |Other |More )?examples (?:include|are)\b|"
    # part of a count whose whole is in the sentence before: "Three of which, were double blinded."
    r"^\s*(?:\w+ )?of (?:which|whom|these|them|those)\b|"  # a heading: "When to seek medical attention (…)"
    # a list item whose subject is its heading: "**Not routinely recommended** in DKA", "Consider only if pH < 7.0"
    r"^[\s*_]*(?:Not|Never) (?:\w+ )?(?:recommended|indicated|advised|required|needed|used|given)\b|"
    r"^[\s*_]*(?:Only|Consider(?: \W*only\W*)?) (?:if|when|in|for|after)\b|"
    # a condition stated elsewhere: "If administered: 100 mmol sodium bicarbonate …" (administer what, and when?)
    r"^[\s*_]*(?:If|When|Once|Unless|Where)\s+(?:\w+\s+){0,2}?(?:administered|used|given|started|chosen|needed|"
    r"indicated|prescribed|required|present|applicable|available|tolerated|necessary|so|this|these|it|they)\b|"
    # a condition that only repeats the sentence before: "If you do, I.V. antibiotics during labor …" (have group B strep)
    r"^[\s*_]*(?:If|Unless)\s+(?:not|(?:you|they|we|he|she)\s+(?:do|does|did|don't|doesn't|can|cannot|can't|are|aren't|have|haven't))\s*,|"
    # an item of a list of what something depends on: "Whether the cancer has recurred (come back)."
    # (not a sentence whose whether-clause is its subject or is followed by a comma: "Whether you have Rh
    # factor doesn't affect your health.", "Whether they have a mental disorder or not, patients …")
    r"^[\s*_]*Whether\b(?![^.]*[,;])(?!.*(?:n't|\b(?:not|cannot|unknown|unclear|uncertain|affects?|depends?|"
    r"determine[sd]?|predict\w*|remains?|controversial|debated)\b))|"
    # a summary's heading, which names no factor: "Certain factors affect prognosis (chance of recovery)."
    r"^[\s*_]*(?:Certain|Some|Several|Many|Various|Other) factors (?:may )?(?:affect|influence|determine)\b[^,;]{0,80}\.?\s*$",
    re.IGNORECASE,
)
MAX_HEADING_WORDS = 12


def _is_heading(text: str) -> bool:
    """Whether a line is a page's heading ("Genetic Causes of High Blood Pressure"): short, every
    longer word capitalised, and no full stop; its verb ("Causes") states nothing."""
    words = re.findall(r"[A-Za-z][\w'-]*", text)
    longer = [w for w in words if len(w) > 3]
    return bool(longer) and len(words) <= MAX_HEADING_WORDS and "|" not in text and text.rstrip()[-1] not in ".!?:;)\"'" \
        and all(w[0].isupper() for w in longer)


# A piece of a list, or of a sentence the splitter cut, opens with an ordinary lower-case word
# ("chills and shaking night sweats … fever above 101 degrees" has lost "If the UTI spreads to the
# kidneys, symptoms may include"); "mRNA", "pH", "p53" and "n-3" open sentences and are not such words.
_LOWER_CASE_OPENING = re.compile(r"^[\s*_]*[a-z]{3,}\b(?![-\d])")
# Cases or people that the sentence before defines: "In these cases, people have no signs or symptoms of
# a bacterial infection" (which cases?), "For such patients, …".  Naming the topic does not say which.
_CASES_BEFORE = re.compile(
    r"\b(?:in|for|among) (?:these|those|such) (?:cases|situations|instances|patients|people|individuals|persons)\b",
    re.IGNORECASE,
)
# A sentence whose subject is outside it ("Patients who are unwilling to engage in this therapy
# should not receive this procedure", "Evidence supports its use") says nothing on its own,
# unless it names what the question is about ("Tramadol …; its use is not recommended").
_OUT_OF_CONTEXT = re.compile(
    r"\b(?:this|these|such) (?:procedures?|therapy|therapies|treatments?|interventions?|modalit(?:y|ies)|"
    r"techniques?|programs?|drugs?|medications?|medicines?|agents?|recommendations?|regimens?|approach(?:es)?|"
    r"strateg(?:y|ies))\b|\b(?:its|their) use\b|"
    # a pronoun subject after a connective: "However, it is caused by calcium phosphate" ("it" is pseudogout,
    # named in the sentence before); "However, it is a medical emergency if seizures last …" names what it is about
    r"^(?:however|but|also|still|yet|instead|thus|therefore|in addition|in fact|so|as a result|for example|"
    r"in some cases|furthermore|moreover|nevertheless|additionally|otherwise|similarly|in contrast|"
    # or after how often: "Sometimes it is painful to pass" (the stool, of constipation)
    r"sometimes|often|usually|occasionally|rarely|typically|generally|normally|in most cases|at times),?\s+"
    r"(?:it|this|these|they|that)\b|"
    # someone named in the sentence before: "He or she may ask how long you've had it" (the doctor)
    r"^\s*(?:he or she|she or he|he/she|s/he)\b",
    re.IGNORECASE,
)
# What a study did, not what it found: "64 patients were randomly assigned to …", "22 studies were selected.",
# "Rotator cuff repairs were performed in 472 males …".
_METHODS = re.compile(
    r"\b(?:were|was) (?:then |subsequently )?(?:randomly |prospectively |retrospectively )?(?:assigned|randomi[sz]ed|"
    r"allocated|enrolled|recruited|included|selected|screened|identified|reviewed|retrieved|searched|divided|"
    r"grouped|categori[sz]ed|stratified|pooled|extracted|matched)\b|"
    r"\b(?:were|was) performed (?:in|on) \d",
    re.IGNORECASE,
)
# What happened to the patient of a case report ("the patient showed no neurologic symptoms
# other than the sciatica", "a 45-year-old man presented with …") describes that case; it is
# not a finding about the patients a question asks about.
_CASE_NARRATIVE = re.compile(
    r"\b(?:the|our|this|a|an) (?:patient|man|woman|boy|girl|child|infant)(?![-\w]|\s+(?:population|group|cohort|sample)s?\b)|"
    r"\b\d{1,3}[- ](?:day|week|month|year)s?[- ]old\b|"
    r"\bwe (?:report|present|describe)\b",
    re.IGNORECASE,
)
# Words that point into a study's own design ("the two groups", "these results"): such a sentence
# means something only in an abstract that asks the question itself.
_STUDY_INTERNAL = re.compile(
    r"\b(?:the two|both|the (?:intervention|control|treatment|placebo|study|other)) (?:groups?|arms?|cohorts?)\b|"
    r"\b(?:these|all these|our|the present|this) (?:results?|findings?|data|study|trial|analysis|patients)\b",
    re.IGNORECASE,
)
MIN_SENTENCE_CHARS = 25
MAX_INDIRECT_PASSAGES_PER_SOURCE = 20
_OUTSIDE_PARENTHESES = re.compile(r"\([^)]*\)")
MAX_SENTENCE_CHARS = 600


@dataclass
class Finding:
    """A sentence from a passage that states a result or recommendation."""

    text: str
    start: int
    end: int
    passage_id: str
    passage: Passage
    document: Document
    score: float
    topical: float
    hit_score: float
    index: int = 0  # sentence number within its passage
    sentences: int = 1  # sentences in the passage
    relevance: float = 0.0  # P(it answers the question), from :mod:`evidex.answer.relevance`
    option_list: bool = False  # a guideline's list of options, quoted whole under its heading
    names_all: bool = True  # it (with its source's title) names every concept of the question
    lead: int = 0  # characters of the sentence before, quoted for its subject, that the finding does not state

    @property
    def strength(self) -> str | None:
        return self.passage.strength

    def candidate(self, own_sentence: bool = False) -> Candidate:
        """The finding as the relevance checks read it; ``own_sentence``: without the sentence
        quoted for its subject (what the relevance model scores)."""
        text = self.text[self.lead:] if own_sentence else self.text
        return Candidate(text, self.index, self.sentences, self.passage.label, self.document, bool(self.strength))


class SentenceSplitter:
    """pysbd sentence spans, cached per passage (splitting costs ~2 ms per abstract section).

    The built-in corpus's passages come split (:class:`~evidex.evidence.builtin.ShippedSentences`,
    made by ``scripts/build_builtin_sentences.py``): splitting the passages a question retrieves
    took about a fifth of ``ask``."""

    def __init__(self, cache_size: int = 20_000, shipped: ShippedSentences | None = None) -> None:
        self._segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)
        self._cache: OrderedDict[str, list[tuple[int, int]]] = OrderedDict()
        self._cache_size = cache_size
        self._shipped = shipped

    def spans(self, key: str, text: str) -> list[tuple[int, int]]:
        cached = self._cache.get(key)
        if cached is None:
            cached = self._shipped.get(text) if self._shipped else None
            if cached is None:
                cached = self.split(text)
            self._cache[key] = cached
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return cached

    def split(self, text: str) -> list[tuple[int, int]]:
        """The sentences of ``text`` as (start, end) offsets, split now."""
        spans: list[tuple[int, int]] = []
        for block_start, block in _blocks(text):
            pieces: list[tuple[int, int]] = []
            for span in self._segmenter.segment(block):
                for start, end in _unspaced(block, span.start, span.end):
                    start, end = _trim(block, start, end)
                    if heading := _RUN_IN_HEADING.match(block, start, end):
                        start = heading.end(1)  # "Other Causes Other causes of …": the heading is not the sentence's
                    if end <= start:
                        continue
                    if pieces and _GENUS.search(block, 0, pieces[-1][1]) and block[start].islower():
                        pieces[-1] = (pieces[-1][0], end)  # "non-S. | aureus infections": one sentence
                    else:
                        pieces.append((start, end))
            spans.extend((block_start + start, block_start + end) for start, end in pieces)
        return spans


def splitter_stamp() -> str:
    """Names the splitting rules (pysbd's version and the code below that adjusts its spans), so
    that sentences split by other rules are never used in place of splitting."""
    digest = hashlib.sha256(f"pysbd {pysbd.__version__}".encode())
    for part in (SentenceSplitter.__init__, SentenceSplitter.split, _unspaced, _blocks, _trim):
        try:
            digest.update(inspect.getsource(part).encode())
        except (OSError, TypeError):  # installed without its source: split everything afresh
            return ""
    for pattern in (_UNSPACED_STOP, _RUN_IN_HEADING, _GENUS):
        digest.update(pattern.pattern.encode())
    return digest.hexdigest()[:16]


# Two sentences an abstract's typesetting ran together ("… harmful to liver health.Study heterogeneity …"):
# a full stop after a lower-case word, then a capitalised word with no space between.
_UNSPACED_STOP = re.compile(r"(?<=[a-z]{2}\.)(?=[A-Z][a-z])")


# A heading a page ran into its first sentence, which repeats it: "Other Causes Other causes of high blood pressure …".
_RUN_IN_HEADING = re.compile(r"((?:[A-Z][\w'-]*\s+){1,6}?)(?=(?i:\1))")


# A capital initial before a full stop ends an abbreviated genus ("S. aureus", "E. coli"), not a sentence,
# when the next piece opens in lower case.
_GENUS = re.compile(r"\b[A-Z]\.$")


def _unspaced(text: str, start: int, end: int) -> list[tuple[int, int]]:
    cuts = [start] + [m.start() for m in _UNSPACED_STOP.finditer(text, start, end)] + [end]
    return list(zip(cuts, cuts[1:]))


def _blocks(text: str) -> list[tuple[int, str]]:
    """Lines are hard boundaries (bullets, table rows); pysbd splits within them."""
    blocks, offset = [], 0
    for line in text.split("\n"):
        if line.strip():
            blocks.append((offset, line))
        offset += len(line) + 1
    return blocks


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in " \t-•*|":
        start += 1
    while end > start and text[end - 1] in " \t|":
        end -= 1
    return start, end


def extract_findings(
    question: ClinicalQuestion,
    hits: list[SearchHit],
    splitter: SentenceSplitter,
    max_per_passage: int = 15,
    max_passages: int = 30,
    max_focus_pages: int = 10,
    topic: Topic | None = None,
) -> list[Finding]:
    """Findings from the best ``max_passages`` of ``hits`` and the best passage of up to
    ``max_focus_pages`` consumer-health pages on the question's focus that they leave out, best first.  When the question names a
    condition, a finding's sentence or document title must mention one of them (or, given
    another ``topic``, what that topic requires)."""
    topic = topic or question.must_mention
    findings: list[Finding] = []
    # the best passages, then the best one of each page on the focus they leave out: thirty
    # passages of one guideline on gout would hide the page that says what gout is
    considered = hits[:max_passages]
    documents = {hit.document.id for hit in considered}
    for hit in hits[max_passages:]:
        if len(considered) == max_passages + max_focus_pages:
            break
        if hit.document.id not in documents and hit.document.kind is EvidenceKind.CONSUMER and page_about(question, hit.document):
            documents.add(hit.document.id)
            considered.append(hit)
    for hit in considered:
        if hit.document.retracted or NON_FINDING_LABELS.match(hit.passage.label or ""):
            continue
        case_report = hit.document.kind is EvidenceKind.CASE_SERIES
        own_study = title_asks(question, hit.document.title)
        dictionary = hit.document.source == NCI_DICTIONARY_SOURCE  # its entries define with no verb of their own
        context = concept_words(f"{hit.document.title} {' '.join(hit.document.keywords[:5])}")
        if not _may_hold_findings(topic, concept_words(hit.passage.text) | context):
            continue  # no sentence of it can pass the checks below: skip splitting it (~2 ms)
        candidates = []
        spans = splitter.spans(hit.passage_id, hit.passage.text)
        for index, (start, end) in enumerate(spans):
            antecedent = _with_antecedent(hit.passage.text, spans, index, topic)
            lead = 0 if antecedent is None else start - antecedent
            start = _with_preceding_warning(hit.passage.text, spans, index) if antecedent is None else antecedent
            text = hit.passage.text[start:end]
            entry = dictionary and bool(DICTIONARY_ENTRY.match(text))  # "Arthralgia: Joint pain." is whole however short
            if not (entry or MIN_SENTENCE_CHARS <= len(text)) or len(text) > MAX_SENTENCE_CHARS or AIM_CUES.search(text) \
                    or EDITORIAL_NOTES.search(text):
                continue
            if _METHODS.search(text) or text.rstrip().endswith("?") or (case_report and _CASE_NARRATIVE.search(text)):
                continue  # what a study did or a case report's patient had, or a question (a consumer page's heading), is not a finding
            if not (_VERB.search(text) or entry) or _LIST_ITEM.match(text) \
                    or _FRAGMENT.search(text) or _LOWER_CASE_OPENING.match(text) or _is_heading(text):  # "Jaundice: A condition in which …"
                continue
            if not _balanced(text):
                continue
            words = concept_words(text)
            if _OUT_OF_CONTEXT.search(text) and not topic.names_a_concept(words):
                continue  # "this procedure" with nothing to say which: the sentence is not about the question
            if _CASES_BEFORE.search(text):
                continue
            if _STUDY_INTERNAL.search(text) and not own_study:
                continue  # "no differences between the two groups" of another study's comparison
            # A table row ("ARB | Alternative to ACEi") has lost its table's heading: it
            # must name what the question is about itself, not through the document title.
            seen = words if "|" in text else words | context
            topical, required = topic.score(seen)
            if (topic.required and not required) or not topic.covers_anchors(seen):
                continue
            if len(_OUTSIDE_PARENTHESES.sub("", text).split()) < 4 and not entry:
                continue
            cue = 0.3 if FINDING_CUES.search(text) else 0.0
            label = 0.3 if FINDING_LABELS.search(hit.passage.label or "") or hit.passage.strength else 0.0
            score = hit.parts.final * (1 + min(topical, 1.5) + cue + label)
            candidates.append(
                Finding(text, start, end, hit.passage_id, hit.passage, hit.document, score, topical, hit.parts.final,
                        index, len(spans), names_all=topic.names_all(seen), lead=lead)
            )
        if question.audience == "clinician" and hit.document.kind is EvidenceKind.GUIDELINE and _is_option_list(hit.passage.text):
            # "- Amoxicillin 1 g orally three times daily; OR" says nothing alone: the list, with its
            # lead-ins ("PLUS one of:") and its heading, is the recommendation (a prescriber's, so
            # a clinician's answer)
            start = len(hit.passage.text) - len(hit.passage.text.lstrip(" \t\n-•*"))
            end = len(hit.passage.text)
            if note := EDITORIAL_NOTES.search(hit.passage.text):
                end = len(hit.passage.text[: hit.passage.text.rfind("\n", 0, note.start()) + 1].rstrip())  # up to the note's line
            text = " ".join(hit.passage.text[start:end].split())
            # named in the list or its heading, or the guideline is on the condition asked about
            # (a step of asthma treatment does not answer a question on a nasal spray)
            seen = concept_words(f"{text} {hit.passage.label}") | (context if title_names_focus(question, hit.document) else set())
            topical, required = topic.score(seen)
            if (not topic.required or required) and topic.covers_anchors(seen) and topic.names_a_concept(seen):
                score = hit.parts.final * (1 + min(topical, 1.5) + 0.6)
                candidates.append(Finding(text, start, end, hit.passage_id, hit.passage, hit.document,
                                          score, topical, hit.parts.final, 0, 1, option_list=True,
                                          names_all=topic.names_all(seen)))
        candidates.sort(key=lambda f: f.score, reverse=True)
        findings.extend(candidates[:max_per_passage])
    findings.sort(key=lambda f: f.score, reverse=True)
    return findings


MAX_OPTION_LIST_CHARS = 900


def _is_option_list(text: str) -> bool:
    """A passage made of list items that are not sentences ("- Doxycycline 100 mg orally twice daily; OR")."""
    items = [line for line in text.splitlines() if line.lstrip().startswith(("- ", "• ", "* "))]
    options = [item for item in items if not _VERB.search(item)]
    return len(options) >= 2 and 2 * len(options) >= len(items) and len(text) <= MAX_OPTION_LIST_CHARS


# A prohibition or warning just before a sentence limits what the sentence allows: "Children under
# four should not have cough medicine. For children over four, use caution." travel together.
_WARNING = re.compile(
    r"\b(?:should not|must not|do not|don't|never|not be (?:used|given)|avoid\w*|contraindicated|not recommended)\b",
    re.IGNORECASE,
)
MAX_WARNING_CHARS = 250


# "It" or "They" opening a sentence whose subject is the one before's: "Hives are very common. They
# usually go away on their own …"
_PRONOUN_SUBJECT = re.compile(r"^\s*(?:It|They)\s")
ANTECEDENT_WORDS = 3  # how far into the sentence before its subject, the focus, must be named
ANTECEDENT_SENTENCES = 2  # how many sentences back the subject may be


def _with_antecedent(text: str, spans: list[tuple[int, int]], index: int, topic: Topic) -> int | None:
    """Where the quote of a sentence that opens with "It" or "They" starts when a sentence before
    it on the same line, with only such sentences between, opens by naming what the question is
    about: there, so that the quote keeps its subject ("Hives are very common. They usually go
    away …"; "Conjunctivitis is … It involves … It can cause swelling"); else None."""
    start, _ = spans[index]
    if not _PRONOUN_SUBJECT.match(text[start:start + 6]):
        return None
    for before in range(index - 1, max(-1, index - 1 - ANTECEDENT_SENTENCES), -1):
        before_start, _ = spans[before]
        if "\n" in text[before_start:start]:
            return None
        opening = " ".join(text[before_start:start].split()[:ANTECEDENT_WORDS])
        if topic.names_a_concept(concept_words(opening)):
            return before_start
        if not _PRONOUN_SUBJECT.match(text[before_start:before_start + 6]):
            return None
    return None


def _with_preceding_warning(text: str, spans: list[tuple[int, int]], index: int) -> int:
    """Where a sentence's quote starts: at the sentence before it when that one is a short warning
    on the same line (the sentence would read as permission without it), else at the sentence."""
    start, end = spans[index]
    if index == 0:
        return start
    before_start, before_end = spans[index - 1]
    before = text[before_start:before_end]
    if "\n" in text[before_start:start] or len(before) > MAX_WARNING_CHARS or not _WARNING.search(before):
        return start
    if _WARNING.search(text[start:end]):
        return start  # the sentence carries its own warning
    return before_start


def rank_by_relevance(question: ClinicalQuestion, findings: list[Finding], model: RelevanceModel | None = None) -> list[Finding]:
    """The findings with :attr:`Finding.relevance` set, the most relevant first."""
    scores = relevance(question, [f.candidate(own_sentence=True) for f in findings], model)
    for finding, score in zip(findings, scores):
        finding.relevance = float(score)
    return sorted(findings, key=lambda f: (-f.relevance, -f.score))


def treatment_phrases(question: ClinicalQuestion) -> list[frozenset[str]]:
    """Every name of the question's treatments (:attr:`ClinicalQuestion.treatment_names`) as a stem set."""
    return [phrase for name in question.treatment_names if (phrase := concept_phrase(name))]


def indirect_findings(question: ClinicalQuestion, hits: list[SearchHit], splitter: "SentenceSplitter") -> list[Finding]:
    """What the retrieved sources on the question's condition say about its treatment elsewhere.

    For when no finding names the treatment and the condition together: a low back
    pain guideline that covers sciatica in one section may recommend exercise in
    another.  Such evidence is indirect; compose shows it apart, under its own
    heading, never as the bottom line.  Each sentence must name the treatment itself
    (a document title does not count) and no part of the body the question does not
    (neck exercises are not evidence for sciatica); sources that discuss the condition
    more often come first.
    """
    treatments = treatment_phrases(question)
    topic = question.must_mention
    conditions = topic.required
    if not treatments or not conditions:
        return []
    best_hit: dict[str, SearchHit] = {}
    for hit in hits:
        best_hit.setdefault(hit.document.id, hit)
    candidates: list[SearchHit] = []
    condition_passages: dict[str, int] = {}
    for doc_id, hit in best_hit.items():
        document = hit.document
        whole = concept_words(document.text)
        if not any(phrase <= whole for alternatives in conditions for phrase in alternatives):
            continue  # the whole text lacks the words: no passage can have them
        stems = [concept_words(p.text) for p in document.passages]
        condition_passages[doc_id] = sum(any(p <= words for c in conditions for p in c) for words in stems)
        if condition_passages[doc_id]:
            candidates += [
                SearchHit(document.passage_id(i), document, p, hit.parts)
                for i, (p, words) in enumerate(zip(document.passages, stems))
                if any(phrase <= words for phrase in treatments)
            ][:MAX_INDIRECT_PASSAGES_PER_SOURCE]
    treatment_topic = Topic(required=[treatments], optional=conditions, words=topic.words, anchors=[])
    found = extract_findings(question, candidates, splitter, max_per_passage=1, max_passages=len(candidates), topic=treatment_topic)
    asked = question.body_regions
    # a sentence in a guideline on the neck ("Cervical spine injury …") is about the neck, whatever it names
    found = [
        f for f in found
        if mentions(treatments, f.text) and (regions := body_regions(f"{f.text} {f.document.title}")) <= (asked or regions)
    ]
    return sorted(found, key=lambda f: (-condition_passages[f.document.id], -f.score))


def _balanced(text: str) -> bool:
    """Brackets open and close in pairs.  An unpaired one marks damaged source text or a
    bad split: "recommends against targeting blood glucose levels Strong against; …)" lost
    its "<110 mg/dL (" to markup stripping, and would state the opposite of the guideline."""
    return text.count("(") == text.count(")") and text.count("[") == text.count("]")


def _may_hold_findings(topic: Topic, words: set[str]) -> bool:
    """Whether some sentence whose words are among ``words`` (a whole passage's, and its
    document's context) could mention a required concept and every anchor."""
    _, required = topic.score(words)
    return (required or not topic.required) and topic.covers_anchors(words)


def evidence_rank(document: Document) -> int:
    """Lower is stronger; consumer pages and 'other' come last."""
    return document.kind.level if document.kind is not EvidenceKind.OTHER else 99


# A source's own call for urgent care ("If you have other symptoms such as crushing chest pain, it
# could be a heart attack. Get help immediately.").
_URGENT_ADVICE = re.compile(
    r"\b(?:get (?:medical )?help (?:immediately|right away|at once)|call (?:911|999|112)\b|"
    r"(?:call|see|contact) (?:your|a) (?:doctor|health care provider|provider) (?:immediately|right away|at once)|"
    r"go to (?:the|an) (?:emergency|ER\b|A&E)|seek (?:emergency|immediate|urgent) (?:medical )?(?:care|help|attention|treatment)|"
    r"is a medical emergency)",
    re.IGNORECASE,
)
# "Get help immediately." needs the sentence before it to say when; "Appendicitis is a medical emergency."
# and "Go to the ER if you can't breathe." do not
_BARE_COMMAND = re.compile(r"(?:get|call|go|seek|see|contact)\b(?!.*\b(?:if|when|unless|whenever)\b)", re.IGNORECASE)
# "Most people with a cold do not need to go to the emergency room", "there is no need to call 911"
_NO_NEED = re.compile(r"\b(?:not|no|never|n't|without)\b.{0,30}$", re.IGNORECASE)


def urgent_advice(findings: list[Finding], splitter: SentenceSplitter) -> list[Finding]:
    """The calls for urgent care in the health pages and guidelines that ``findings`` quote, as
    findings of their own, in passage order.  A bare command takes the sentence before it on the
    same line, which says when; a lead-in whose list is elsewhere ("Call 911 if:") is left out."""
    out: list[Finding] = []
    seen: set[str] = set()
    for finding in findings:
        if finding.passage_id in seen or finding.document.kind not in (EvidenceKind.CONSUMER, EvidenceKind.GUIDELINE):
            continue
        seen.add(finding.passage_id)
        text = finding.passage.text
        spans = splitter.spans(finding.passage_id, text)
        for index, (start, end) in enumerate(spans):
            sentence = text[start:end]
            advice = _URGENT_ADVICE.search(sentence)
            if not advice or _NO_NEED.search(sentence[: advice.start()]) or re.search(r"(?::|\bif)\s*$", sentence):
                continue
            if _BARE_COMMAND.match(sentence) and index > 0 and "\n" not in text[spans[index - 1][0]:start]:
                start = spans[index - 1][0]
            out.append(replace(finding, text=" ".join(text[start:end].split()), start=start, end=end, index=index, lead=0))
    return out

