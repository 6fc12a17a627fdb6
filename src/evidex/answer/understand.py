"""Understand: what a clinical question asks, about what and for whom — read once.

Every later step reads the :class:`ClinicalQuestion` made here and never the question's text:

* the question type, from a taxonomy of what clinicians and patients ask (treatment, dose,
  side effects, interactions, …; :class:`QuestionType`), and whether it asks yes or no;
* the focus: the drugs, conditions, tests or procedures asked about (MeSH-normalised through the
  vocabulary, so misspellings, brand names and abbreviations find their concept), kept apart from
* the patient context: age, pregnancy, history, other conditions and current drugs, which qualify
  the answer but never become its topic ("a history of heavy drinking" in a statin question);
* patient modifiers the evidence may not cover ("after recent spinal surgery"), red flags in clinical
  and everyday words (:mod:`evidex.answer.red_flags`), the topics of its when-to-get-help advice, audience;
* what a source sentence must mention to be about the question (:class:`~evidex.answer.words.Topic`).

It is pattern matching over the question, kept as data in this module's tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from enum import StrEnum
from typing import Literal

from evidex.answer.asking import QuestionCues, asked_aspect, is_yes_no, question_cues
from evidex.answer.red_flags import RedFlagMatch, find_red_flags, help_topics
from evidex.answer.words import (
    Topic,
    body_regions,
    concept_phrase,
    crude_stems,
    population_groups,
)
from evidex.search.expand import STOPWORDS, Concept, ExpandedQuery, expand_query
from evidex.search.vocab import Vocabulary, normalise, sentence_case

Audience = Literal["clinician", "patient"]

MAX_QUESTION_CHARS = 2000


class QuestionType(StrEnum):
    """What a question asks for; decides which sentences answer it."""

    TREATMENT = "treatment"
    DOSE = "dose"
    SIDE_EFFECTS = "side_effects"
    INTERACTIONS = "interactions"
    CONTRAINDICATIONS = "contraindications"  # safety in a condition, a population or pregnancy
    USAGE = "usage"  # what a drug is for, whether and how to take it
    STOPPING = "stopping"  # stopping, tapering, withdrawal
    MECHANISM = "mechanism"
    CAUSE = "cause"
    SYMPTOMS = "symptoms"
    DIAGNOSIS = "diagnosis"  # diagnosis, tests and screening
    PROGNOSIS = "prognosis"
    PREVENTION = "prevention"
    RISK = "risk"  # risk factors, susceptibility
    INHERITANCE = "inheritance"
    COMPLICATIONS = "complications"
    FREQUENCY = "frequency"
    DEFINITION = "definition"
    COMPARISON = "comparison"
    GENERAL = "general"

    @property
    def about_a_drug(self) -> bool:
        """Types whose answer is about a drug or treatment rather than a condition."""
        return self in _DRUG_TYPES

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


_DRUG_TYPES = frozenset({
    QuestionType.DOSE, QuestionType.SIDE_EFFECTS, QuestionType.INTERACTIONS, QuestionType.CONTRAINDICATIONS,
    QuestionType.USAGE, QuestionType.STOPPING, QuestionType.MECHANISM,
})

# Checked in this order on the question itself (not its background sentences); the first that
# matches decides.  Specific asks ("side effects", "dose") come before general words ("help").
# What "is it …?" or "do you think it's …?" may end with that is not a condition: "is it contagious?",
# "do you think it's working?", "… that's too much paracetamol?"
_NOT_A_DIAGNOSIS = (r"(?:contagious|serious|normal|safe|ok|okay|dangerous|curable|bad|working|worth|necessary|enough|"
                    r"too|related|possible|something|nothing|anything|fine|better|worse|helping|infected)\b")
_REACTION_TO_A_VERB = re.compile(
    r"reactions? to (?:be|become|get|go|have|turn|start|spread|last|appear|happen|show|occur|fade|subside|heal|wear|"
    r"develop|disappear|clear|improve|worsen|stay|look|feel)\b", re.IGNORECASE
)
_SAYS_CONTAGIOUS = re.compile(r"\b(?:non-?)?contagious\b", re.IGNORECASE)
_TYPE_CUES: tuple[tuple[QuestionType, str], ...] = (
    (QuestionType.INTERACTIONS, r"\binteract\w*|\bdrug[- ]drug\b"),
    (QuestionType.DOSE, r"\b(?:dose|doses|dosage|dosing|how much|how many (?:mg|milligrams?|pills?|tablets?|capsules?|"
                        r"units?|puffs?|drops?|times a day)|milligrams?|\d+\s*(?:mg|mcg|µg|ml)|maximum (?:amount|daily)|"
                        r"how often (?:should|can|do|must) (?:i|you|we|he|she|they) (?:take|use|give)|"
                        # "could I do 2 tablets", "is it ok to take two" (not "I take 2 tablets a day, is that safe …?")
                        r"(?:(?:can|could|should|may|do) (?:i|we|you|he|she) |(?:ok|okay|safe|fine) to )"
                        r"(?:take|do|have|use|give)\s+(?:\d+|two|three|four|an extra|another|a second)\s+"
                        r"(?:tablets?|pills?|capsules?|puffs?|tabs))\b"),
    (QuestionType.STOPPING, r"\b(?:taper\w*|wean\w*|titrat\w* off|stop(?:ping|ped)? (?:taking|using|the)|come off|coming off|"
                            r"get off|getting off|go off|quit(?:ting)?|discontinu\w*|withdraw\w*)\b"),
    (QuestionType.COMPARISON, r"\b(?:vs\.?|versus|compared (?:to|with)|comparison|difference between|differ from|"
                              r"(?:the )?same (?:thing |drug |medicine )?as|"
                              r"better than|worse than|safer than|which is (?:better|safer|best)|more effective than|"
                              r"as effective as|or (?:\w+ ){1,3}(?:better|safer)|are they the same)\b"),
    (QuestionType.SIDE_EFFECTS, r"\b(?:side[- ]?effects?|adverse (?:effects?|events?|reactions?)|harms?|harmful|"
                                r"dangers?|dangerous|toxic\w*|bad for (?:me|you|my)|reactions? to)\b"),
    (QuestionType.MECHANISM, r"\bhow (?:does|do|did|can) (?:\w+ ){1,5}work\b|\bmechanism\b|\bmode of action\b|"
                             r"\bwhat does (?:\w+ ){1,4}do (?:to|in) the body\b"),
    (QuestionType.INHERITANCE, r"\b(?:inherit\w*|hereditary|heredity|run(?:s)? in (?:the |my |our )?famil\w*|"
                               r"pass(?:ed)? (?:it )?(?:on|down) to|genetic(?:ally)? (?:passed|transmitted))\b"),
    (QuestionType.FREQUENCY, r"\b(?:how common|prevalen\w*|incidence|how many (?:people|patients|adults|children))\b"),
    (QuestionType.COMPLICATIONS, r"\b(?:complications?|long[- ]term (?:effects?|consequences?|damage)|"
                                 r"what (?:happens|will happen|could happen|can happen) if)\b|\blead to\b"),
    (QuestionType.PREVENTION, r"\b(?:prevent\w*|avoid (?:getting|catching)|reduce (?:the |my |your )?(?:risk|chances?) of|"
                              r"vaccin\w*|immuni[sz]\w*|prophyla\w*|protect (?:myself|yourself|against))\b"),
    (QuestionType.DIAGNOSIS, r"\b(?:diagnos\w*|tests?|testing|tested|screen\w*|scans?|mri|ct|x-?rays?|ultrasound|"
                             r"blood work|biopsy|detect\w*|rule (?:\w+ )?out|lab(?:oratory)? results?|"
                             r"how (?:do|can|would|will) (?:doctors?|they|the doctors?) (?:know|tell|find out)|"
                             r"how (?:do|can|would|will|could) (?:i|you|we) find out)\b"),
    # "could I have caught it from my spouse?" asks how it spreads, not what it feels like
    (QuestionType.CAUSE, r"\b(?:get|got|gotten|getting|catch|caught|catching|pick(?:ed)? up|contract(?:ed)?) (?:\w+ ){0,4}from "
                         r"(?:me|him|her|them|you|us|someone|somebody|other people|another person|people|kissing|sex|"
                         r"(?:my|his|her|their|your|our|a) (?:\w+ )?(?:husband|wife|spouse|partner|boyfriend|girlfriend|child|"
                         r"children|son|daughter|baby|kids?|mother|mom|mum|father|dad|brother|sister|friend|family|roommate|"
                         r"grandson|granddaughter|grandchild|coworker|colleague|classmate))\b"),
    # "how can I tell whether I have the flu?" asks how to recognise it: its signs, not the tests doctors run
    (QuestionType.SYMPTOMS, r"\b(?:symptoms?|signs?|manifestations?|what does (?:\w+ ){1,4}(?:feel|look) like|"
                            r"how (?:do|can|would|will|could) (?:i|you|we|one|someone|a person) (?:know|tell|recogni[sz]e)|"
                            r"is it normal to (?:feel|have)|do i have|could (?:it|this|that|i) (?:be|have)|"
                            r"what (?:would|might|could) indicate (?:a|an|that i have|i have)\b|"
                            # "do you think this is gout?", "is it likely that this is measles?", the question's last words
                            r"(?:think|possible|likely) (?:(?:that )?(?:(?:it|this|that) (?:is|could be|might be)|(?:it|that)['’]?s)|for it to be) "
                            rf"(?!{_NOT_A_DIAGNOSIS})(?:\w+\s*){{1,4}}[?.!]*\s*$|"
                            rf"is (?:it|this|that) (?:a |an |just )?(?!{_NOT_A_DIAGNOSIS})\w+\s*\?\s*$)"),
    (QuestionType.RISK, r"\b(?:risk factors?|at risk|who (?:gets|is at risk|can get)|susceptib\w*|"
                        r"more likely to (?:get|develop)|chances? of (?:getting|developing))\b"),
    (QuestionType.CAUSE, r"\b(?:caus\w*|etiolog\w*|aetiolog\w*|why (?:do|does|did|am|is|are|would|have|has)|due to|trigger\w*|"
                         r"reasons? for|what makes|contagious|infect(?:ious|ive) to|spread\w*|catch(?:ing)? it|"
                         r"^(?:is|are) (?:it|this|that|they|these|my \w+|the \w+) because of)\b"),
    # "ok to help with swelling?" asks whether it helps, not whether it is safe with swelling
    (QuestionType.TREATMENT, r"\bhelp(?:s|ful)? (?:with|for|my)\b|\bgood for\b|\bworks? for\b|\bfirst aid\b|"
                             r"\bfirst response\b|\bwhat (?:to|should (?:i|we|you)|do you) do (?:if|when|for|about)\b"),
    (QuestionType.CONTRAINDICATIONS, r"\b(?:contraindicat\w*|(?:safe|ok|okay|alright|all right)\b.{0,40}"
                                     r"\b(?:pregnan\w*|breast[- ]?feed\w*|nursing|while|during|if (?:i|he|she|you) (?:have|has|am|is|are)|"
                                     r"with (?:my |a |an |high |low )?\w+|for (?:children|kids|a child|my (?:son|daughter|baby|child))|"
                                     r"in (?:children|pregnancy|the elderly|older))|"
                                     # "can I take aspirin while pregnant?" asks whether it is safe then
                                     r"\b(?:can|could|may|should) (?:i|you|she|we|they) (?:still )?(?:take|use|have|keep taking) "
                                     r".{0,40}\b(?:while|during|when)\b.{0,20}\b(?:pregnan\w*|breast[- ]?feed\w*|nursing)\b)"),
    (QuestionType.PROGNOSIS, r"\b(?:prognos\w*|outlook|life expectancy|surviv\w*|go away|goes away|how long (?:does|will|do|can|until|before)|"
                             r"curable|permanent|get better|natural history|recurren\w*|come back|chance of recovery)\b"),
    # "what does sertraline treat?", "what conditions is gabapentin used for?": what the drug is for
    (QuestionType.USAGE, r"\bwhat (?:conditions?|diseases?|illness(?:es)?|problems?|symptoms?)?\s*(?:does|do|is|are|can) "
                         r"(?:\w+ ){1,3}(?:treat|used (?:to treat|for)|prescribed for|given for)\s*[?.!]*$"),
    (QuestionType.TREATMENT, r"\b(?:treat\w*|therap\w*|cure\w*|manag\w*|relie\w*|help\w*|remed\w*|get rid of|"
                             r"what (?:can|should|could) (?:i|we|you) (?:do|take|use|have|try|give)|exercis\w*|medications? for|"
                             r"medicines? for|drugs? for|surgery|rehabilitat\w*|work(?:s)? (?:best|for)|effective\w*|"
                             r"options?|first[- ]line|interventions?|ease|soothe|improv\w*|reduc\w*|lower\w*|control\w*|"
                             r"(?:keep|get|bring)\b.{0,30}\b(?:down|under control|in check)|"
                             r"(?:anything|something|what(?: is|'s)? good|best (?:thing|medicine|remedy)) for|"
                             # "is there anything I could take for the tiredness?", "what do you recommend for …",
                             # "a good nasal spray brand" (not "anything wrong with taking …", "studies suggest")
                             r"(?:anything|something)(?: [\w'’]+){0,4} (?:take|do|use|try|have|give|get|apply|put on) for|"
                             r"you (?:\w+ )?(?:recommend|suggest)|suggestions? (?:for|on)|make (?:a|any) difference (?:to|for|with)|"
                             r"good (?:\w+ ){0,3}(?:brands?|products?|medicines?|remed(?:y|ies)|creams?|sprays?|drops)|"
                             r"how (?:can|do|should) (?:i|we|you) (?:stop|manage|deal with|cope with|live with|beat|fight))\b"),
    (QuestionType.USAGE, r"\b(?:(?:is|was|are|were) (?:it |they |\w+ )?(?:only |just |mainly |specifically |specially |also )?for (?!a |an |the |how |long|my |me\b|life\b|ever\b|good\b|now\b|sure\b|real\b)\w+|"
                         r"(?:used|given|prescribed|taken) (?:for|to)|what does (?:\w+ ){1,3}do(?=\s*[?.!]*$)|indicat\w*|prescri(?:be|bed|ption)\w*|what is (?:\w+ ){1,3}for|why (?:would|do|did) (?:\w+ ){1,4}(?:prescribe|take)|"
                         r"how (?:to|do i|should i|do you) (?:take|use|apply|inject)|when (?:to|should i) take|"
                         r"should (?:i|he|she|we) (?:take|start|use|get|be on)|do (?:i|you) need)\b"),
    # "what is gout?", not "what is the impact of X on Y?" (of a relation between things: general)
    (QuestionType.DEFINITION, r"^(?:(?:what|who)\s+(?:exactly\s+|really\s+|actually\s+)?(?:is|are|was)|what['’]?s)\s+(?!(?:of|for|in|on|between|with|to|after|during|most|best|impact|"
                              r"effect|role)\b)[\w'’-]+(?:\s+(?!(?:of|for|in|on|between|with|to|after|during|most|best|impact|"
                              r"effect|role)\b)[\w'’-]+){0,5}\s*[?.!]*\s*$|\bwhat does (?:\w+ ){1,4}mean\b|\bdefin\w*|"
                              r"\bmeaning of\b|\bexplain\b|\btell me about\b|\binformation (?:on|about)\b|\b(?:what|which) (?:kind|type|sort) of\b"),
    # last, so that "what should I do if my cold turns into a sinus infection?" asks what to do
    (QuestionType.COMPLICATIONS, r"\b(?:turns?|turned|develops?|progress(?:es)?) into\b|\bprogress(?:es)? to\b"),
)
# Words that say what kind of answer is wanted; MeSH has headings for some ("Signs and Symptoms",
# "Drug-Related Side Effects and Adverse Reactions"), but in a question they are never its topic.
_ASKING_WORDS = re.compile(
    r"\b(?:side[- ]?effects?|adverse (?:effects?|events?|reactions?)|symptoms?|signs?|complications?|"
    r"risk factors?|causes?|treatments?|therapy|diagnos[ie]s|prognosis|outlook|dos(?:e|es|age|ing)|"
    r"interactions?|prevention|drug reactions?|reactions?|suggestions?|recommendations?|habit[- ]forming)\b",
    re.IGNORECASE,
)
_TYPE_PATTERNS = tuple((qtype, re.compile(pattern, re.IGNORECASE)) for qtype, pattern in _TYPE_CUES)
# "can <drug> cause …" asks for side effects; "can low testosterone cause …" for a cause.
_LOW_OR_HIGH = re.compile(r"\b(?:low|high|lack of|deficien\w*|too much|too little|excess\w*)\s+$", re.IGNORECASE)
# Taking two drugs together ("take zyrtec with hydroxyzine", "mix alcohol and tylenol").
_TOGETHER = re.compile(
    r"\b(?:take|taking|took|use|using|mix\w*|combin\w*|give|giving|on)\b.{0,60}\b(?:with|and|together|alongside|plus)\b|"
    r"\btogether\b|\bat the same time\b|\b(?:while|whilst|when) (?:on|taking|using)\b",
    re.IGNORECASE,
)

# "Is X safe?" and also "Therapeutic anticoagulation in trauma: is it safe?"
_YES_NO = re.compile(
    r"(?:^|[:.;]\s+|\?\s+|,\s*)(?:is|are|does|do|did|can|could|should|will|would|was|were|has|have|may|might|it's|am)\b",
    re.IGNORECASE,
)
_WH = re.compile(r"^\s*(?:what|which|who|whom|whose|when|where|why|how)\b", re.IGNORECASE)

# Background the asker gives about the patient; concepts after these words, up to the end of
# their clause, are context ("I take zyrtec for my allergies", "with a history of heavy drinking").
_CONTEXT_MARKER = re.compile(
    r"\b(?:(?:past |family |medical )?history of|hx of|diagnosed with|suffer(?:s|ed|ing)? from|"
    r"(?:i|he|she|they|we)(?:'ve| have| has| had)? (?:been )?(?:had|have|has)|i've|"
    r"(?:i|he|she|they|we)(?:'m| am| is| are| was| were)? (?:currently |already )?(?:on|taking|using|prescribed)|"
    r"(?<!should )(?<!can )(?<!could )(?<!may )(?<!would )(?<!will )(?<!do )(?<!to )(?<!if )"
    r"(?:i|he|she|they|we) (?:take|takes|use|uses)|who (?:has|have|had|is on|are on|takes|take)|because of|"
    r"since (?:my|his|her|i)|known)\b",
    re.IGNORECASE,
)
# Where a clause of background ends and the question starts again.
_CLAUSE_END = re.compile(
    r"[,;:.!?]|\s(?:and|but|so|will|would|can|could|should|is|are|does|do|did|may|might|what|which|how|why|when)\b",
    re.IGNORECASE,
)
_AGE = re.compile(
    r"\b(\d{1,3})[- ]?(?:years?|yrs?|y/?o|year[- ]old)(?:[- ]old)?\b|\baged? (\d{1,3})\b|\bin (?:my|his|her|their) (\d)0s\b|"
    r"\b(?:daughter|son|child|kid|baby|boy|girl|grandchild|grandson|granddaughter)(?: who)? is (\d{1,2})\b",
    re.IGNORECASE,
)
_SEX = (
    ("female", re.compile(r"\b(?:female|woman|women|girl|lady|(?:i am|i'm) a (?:mother|mom|mum|wife))\b", re.IGNORECASE)),
    ("male", re.compile(r"\b(?:male|man|men|boy|gentleman|(?:i am|i'm) a (?:father|dad|husband))\b", re.IGNORECASE)),
)

# "My son has PID": an abbreviation read as a genital disease of the other sex means something else
_MALE_PERSON = re.compile(r"\b(?:male|man|men|boys?|sons?|husband|boyfriend|father|dad|brother|grandson|he|him|his)\b", re.IGNORECASE)
_FEMALE_PERSON = re.compile(
    r"\b(?:female|woman|women|girls?|daughters?|wife|girlfriend|mother|mom|mum|sister|granddaughter|she|her|pregnan\w*)\b",
    re.IGNORECASE,
)
_FEMALE_GENITAL, _MALE_GENITAL = "C12.100.250", "C12.100.500"  # MeSH: Genital Diseases, Female / Male


def _of_the_other_sex(concept: Concept, text: str) -> bool:
    if concept.source != "abbreviation":
        return False
    male, female = bool(_MALE_PERSON.search(text)), bool(_FEMALE_PERSON.search(text))
    if male == female:
        return False
    other = _FEMALE_GENITAL if male else _MALE_GENITAL
    return any(t.startswith(other) for t in concept.tree_numbers)


# A word the vocabulary does not know is still a drug asked about when it has a drug-name stem
# (USAN stems: tirzepa-tide, semaglu-tide, dupilu-mab …) or follows "dose of", "side effects of" ….
_DRUG_STEMS = re.compile(
    r"(?:mab|tide|pril|sartan|olol|statin|azole|cillin|mycin|micin|cycline|oxacin|vir|tinib|gliflozin|gliptin|"
    r"dipine|prazole|triptan|lukast|parin|xaban|gatran|profen|setron|tidine|azepam|zolam|barbital|caine|"
    r"cort|sone|olone|lone|semide|thiazide|dronate|glitazone|glinide|terol|tropium|platin|rubicin|taxel|"
    r"mustine|fungin|conazole|afil|oxetine|pramine|triptyline|peridone|apine|azine|codone|morphone|fentanil|"
    r"gabalin|racetam|umab|imab|ximab|zumab|kinra|cept|ase)$"
)
_DRUG_SLOT = re.compile(
    r"\b(?:dose|doses|dosage|dosing|side[- ]?effects?|interactions?|taper(?:ing)?|stop(?:ping)? taking|"
    r"withdrawal|how much|safe to take|take|taking|prescribed|on)\s+(?:of\s+|from\s+|for\s+|with\s+)?"
    r"([A-Za-z][A-Za-z0-9-]{4,})\b",
    re.IGNORECASE,
)

# Tree-number prefixes: C (diseases) and F03 (mental disorders) are conditions;
# D (drugs), E (therapies, procedures), F04 (psychotherapies) and exercise are interventions.
_CONDITION_TREES = (
    "C", "F03", "F01.145", "G07.203.650.283",  # the last: alcohol drinking
    "F01.470.132", "F01.470.142", "F01.470.315", "F02.830.900",  # anxiety, grief, distress, stress: what one seeks help for
)
_INTERVENTION_TREES = (
    "D", "E01", "E02", "E03", "E04", "E05", "E06", "F04", "G11.427.410.698", "I03.350", "N02.421",
    "G07.203.300.456",  # dietary supplements, probiotics among them: what one takes
)
_DRUG_TREES = ("D",)
# Sugars, lipids, blood proteins: what "lower my cholesterol" asks to change, not a drug to take
_MEASURED_TREES = ("D09", "D10", "D12.776.124")
# Words of a question that asks for an overview of its focus: "are hives serious?"
_OVERVIEW_WORDS = frozenset({"seriou"})
# Parts of the body, devices, places, people and services: what a question may name without saying the
# condition it asks about.  Not life's stages and processes (G: pregnancy, menopause, sleep), which are asked about.
_PART_TREES = ("A", "E07", "J", "M", "N")
_TEST_TREES = ("E01",)


@dataclass(frozen=True)
class PatternSet:
    """A named clinical feature and the phrases that signal it."""

    key: str
    label: str
    patterns: tuple[str, ...]
    search_terms: tuple[str, ...] = ()

    def find(self, text: str) -> str | None:
        for pattern in self.patterns:
            match = re.search(pattern, text, re.IGNORECASE)
            if match:
                return match.group(0)
        return None


# Words that deny what follows them: "not pregnant", "non-pregnant", "no longer breastfeeding", "isn't pregnant"
_NOT_ANY_MORE = (r"(?<!\bnot )(?<!\bnon-)(?<!\bnon)(?<!\bnon )(?<!\bno longer )(?<!n't )(?<!n’t )(?<!\bnever )(?<!\bnever been )"
                 r"(?<!\bnot currently )(?<!\bnot yet )(?<!\bstopped )(?<!\bfinished )")

MODIFIERS: tuple[PatternSet, ...] = (
    PatternSet(
        "post_operative",
        "Recent surgery / post-operative",
        (r"\b(?:after|following|post[- ]?)\s*(?:recent\s+)?(?:\w+\s+){0,2}(?:surgery|operation|discectomy|laminectomy|fusion|decompression)\b",
         r"\bpost[- ]?op(?:erative(?:ly)?)?\b", r"\brecent(?:ly)?\s+(?:\w+\s+){0,2}(?:surgery|operated)\b"),
        ("postoperative", "after surgery", "rehabilitation after surgery"),
    ),
    PatternSet(
        "neurological_deficit",
        "Neurological deficit",
        (r"\bneurolog\w*\s+(?:deficits?|signs?|symptoms?|impairment)\b", r"\b(?:foot\s+drop|muscle\s+weakness|leg\s+weakness|numbness|motor\s+deficit)\b",
         r"\bradiculopathy\b"),
        ("neurological deficit", "neurologic deficit", "radiculopathy"),
    ),
    # not a pregnancy denied ("I am not pregnant", "non-pregnant adults", "no longer breastfeeding", "a negative pregnancy test")
    PatternSet("pregnancy", "Pregnancy", (
        rf"{_NOT_ANY_MORE}(?<!\bnegative )\bpregnan\w*\b", rf"{_NOT_ANY_MORE}\bbreast[- ]?feeding\b", rf"{_NOT_ANY_MORE}\blactat\w+\b",
    ), ("pregnancy",)),
    # not "can I have children", "unable to have children" or "having a baby": that is fertility, not
    # a child's care ("I have a child with a fever" is)
    PatternSet("child", "Child or adolescent", (r"(?<!\bto have )(?<!\bto have a )(?<!\bhaving a )(?<!\bcan i have )(?<!\bcan i have a )"
                                                r"(?<!\bcould i have )(?<!\bcould i have a )(?<!\bcan we have )(?<!\bcan we have a )"
                                                r"(?<!\bcan i still have )(?<!\bcould i still have )(?<!\bbear )(?<!\bconceive )(?<!\bconceive a )"
                                                r"\b(?:child|children|kids?|toddlers?|babies|baby|paediatric|pediatric|infants?|adolescents?|teen\w*|newborns?|neonates?|neonatal)\b",), ("children",)),
    PatternSet("older_adult", "Older adult", (r"\b(?:older|elderly|geriatric|aged\s+(?:6[5-9]|[7-9]\d)|seniors?)\b",), ("older adults", "elderly")),
    PatternSet("kidney_disease", "Kidney disease", (r"\b(?:kidney|renal)\s+(?:disease|failure|impairment|insufficiency|problems?)\b", r"\bCKD\b", r"\bdialysis\b"), ("chronic kidney disease",)),
    PatternSet("liver_disease", "Liver disease", (r"\b(?:liver|hepatic)\s+(?:disease|failure|impairment|problems?)\b", r"\bcirrho\w+\b"), ("liver disease",)),
    PatternSet("anticoagulation", "Anticoagulation", (r"\banticoagula\w+\b", r"\b(?:warfarin|apixaban|rivaroxaban|dabigatran|blood thinners?)\b"), ("anticoagulant",)),
    PatternSet("diabetes", "Diabetes", (r"\bdiabet\w+\b",), ("diabetes",)),
    PatternSet("heart_failure", "Heart failure", (r"\bheart\s+failure\b",), ("heart failure",)),
)
# An allergy to a drug the patient names ("allergic to penicillin", "my penicillin allergy"): a
# sentence speaks of it when it names an allergy or hypersensitivity.  Not among MODIFIERS, whose
# patterns are read in the question: "is Zyrtec only for allergies?" names no allergy of the patient's.
DRUG_ALLERGY = PatternSet(
    "drug_allergy", "Drug allergy", (r"\ballerg(?:y|ies|ic)\b", r"\bhypersensitiv\w*\b", r"\banaphyla\w*\b"), ("allergy",)
)
# Where the question names what the patient is allergic to: up to three words after "allergic to"
# (not past a word that starts another clause: "allergic to grass so Zyrtec or Claritin?"), or the
# words before "allergy" (not a product's name: "Benadryl Allergy", "Zyrtec allergy tablets").
# (a list runs on: "allergic to penicillin, amoxicillin and cephalexin")
_CLAUSE_WORD = (
    r"(?:but|so|can|could|should|would|will|is|are|was|what|which|if|when|while|with|because|since|"
    r"take|takes|taking|on|using|have|has|had|my)\b"
)
_ALLERGY_SPAN = re.compile(
    rf"\b(?:allergic|allerg(?:y|ies)|(?:an )?allergic reactions?|anaphyla\w+) to (?:(?!{_CLAUSE_WORD})\w[\w-]*,?\s+){{0,4}}"
    rf"(?!{_CLAUSE_WORD}|(?:and|or)\b)\w[\w-]*|"
    rf"\b(?:(?!{_CLAUSE_WORD})\w[\w-]*\s+){{1,2}}allerg(?:y|ies)\b"  # not "an allergy to X": the first branch reads X
    r"(?!\s+(?:to|tablets?|pills?|relief|medicines?|medications?|meds|liquid|syrup|sprays?|capsules?|formula|chews?|drops|season)\b)|"
    r"\b[\w-]+-allergic\b",
    re.IGNORECASE,
)
# a product in the words before "allergy": taken or bought, or named in title case ("Benadryl Allergy")
_ALLERGY_PRODUCT = re.compile(r"\b(?i:take|taking|took|use|using|buy|bought)\b|\b[A-Z][a-z]+ Allerg")
# "I'm not allergic to penicillin", "no longer allergic", "never had a penicillin allergy"
# (not "I didn't realise I'm allergic", which says the patient is)
_DENIED = re.compile(
    r"(?:\bnot|n[’']t|\bno longer|\bnever|\bno)\s+(?:(?:really|actually|even|truly|be|been|think|believe|have|had|known)\s+)?"
    r"(?:(?:i\s+)?(?:have|had)\s+)?(?:(?:a|an|any)\s+)?"
    r"(?:(?:i[’']m|i am|he[’']s|she[’']s|he is|she is)\s+)?$",
    re.IGNORECASE,
)
# "My husband is allergic to penicillin. Can I take amoxicillin?": another person's allergy, when the
# question asks about the asker
_SOMEONE_ELSE = re.compile(
    r"\b(?:(?:my|our) (?:husband|wife|partner|spouse|son|daughter|child|kid|baby|mother|mom|mum|father|dad|brother|sister|"
    r"friend|boyfriend|girlfriend)|he|she|they)(?:[’']s| is| are| was| has| have)?\s+(?:[\w’'-]+\s+){0,2}$",
    re.IGNORECASE,
)
# (not "can I give her amoxicillin?", which asks for her)
_ASKS_FOR_ME = re.compile(r"\b(?:can|could|should|may|do|will) i (?:still )?(?:take|use|have|try|start)\b|\bfor me\b", re.IGNORECASE)
_ME = re.compile(r"\b(?:i|me)\b|\bi[’']m\b", re.IGNORECASE)  # "my husband says I'm allergic": the asker's
_AGE_MODIFIERS = {"child": next(p for p in MODIFIERS if p.key == "child"),
                  "older_adult": next(p for p in MODIFIERS if p.key == "older_adult")}
OLDER_ADULT_AGE = 65
ADULT_AGE = 18

@dataclass(frozen=True)
class PatientContext:
    """Who the question is about, when the asker says: qualifies the answer, never its topic."""

    age: int | None = None
    sex: str | None = None
    conditions: tuple[str, ...] = ()  # history and other conditions (MeSH names)
    medications: tuple[str, ...] = ()  # drugs the patient takes that the question is not about
    allergies: tuple[str, ...] = ()  # drugs the patient is allergic to (not taking them)
    phrases: tuple[str, ...] = ()  # the asker's words for each, as typed

    def describe(self) -> list[str]:
        """Short lines for the reader: "age 70", "history: Alcohol Drinking", "taking: Cetirizine",
        "allergic to: Penicillins"."""
        lines = [f"age {self.age}"] if self.age is not None else []
        lines += [self.sex] if self.sex else []
        lines += [f"history: {', '.join(self.conditions)}"] if self.conditions else []
        lines += [f"taking: {', '.join(self.medications)}"] if self.medications else []
        lines += [f"allergic to: {', '.join(self.allergies)}"] if self.allergies else []
        return lines


@dataclass
class ClinicalQuestion:
    """The question, taken apart once for retrieval, appraisal and composition."""

    text: str
    audience: Audience
    question_type: QuestionType
    yes_no: bool
    focus: list[Concept] = field(default_factory=list)  # what the answer must be about, main one first
    conditions: list[Concept] = field(default_factory=list)  # focus conditions
    interventions: list[Concept] = field(default_factory=list)  # focus drugs, tests and procedures
    context: PatientContext = field(default_factory=PatientContext)
    context_concepts: list[Concept] = field(default_factory=list)
    modifiers: list[tuple[PatternSet, str]] = field(default_factory=list)
    red_flags: list[RedFlagMatch] = field(default_factory=list)
    help_topics: list[str] = field(default_factory=list)  # keys of the advice on when to get help
    # how a yes/no question is asked ("really", "as safe as", "pose a risk"), for the verdict
    cues: QuestionCues | None = None
    expanded: ExpandedQuery | None = None
    inherited: list[str] = field(default_factory=list)
    # Every name a source may use for the treatments asked about: MeSH name, synonyms and
    # narrower descriptors ("cognitive behavioral therapy" for "talk therapy").
    treatment_names: list[str] = field(default_factory=list)
    # Drug names the vocabulary does not know ("tirzepatide"): part of the focus all the same.
    unknown_terms: list[str] = field(default_factory=list)
    populations: set[str] = field(default_factory=set)  # groups the question names ("child", "pregnancy" …)
    body_regions: set[str] = field(default_factory=set)  # parts of the body it is about ("back", "neck" …)
    # Each focus concept (and unknown drug name) as the phrases that name it, main one first.
    focus_phrases: list[list[frozenset[str]]] = field(default_factory=list)
    condition_phrases: list[list[frozenset[str]]] = field(default_factory=list)  # of the focus's conditions alone
    # What a sentence must mention to be about this question (built once, from the focus).
    must_mention: Topic = field(default_factory=lambda: Topic([], [], set(), []))
    # The question's content words, for comparing with a sentence's.
    words: set[str] = field(default_factory=set)
    # Of a "what is …?" question, the words it puts before its focus ("uncontrolled" asthma,
    # "normal" blood pressure), as concept_phrase stems: the definition must be of that.
    defined: frozenset[str] = frozenset()
    # What an elliptical follow-up asked on its own continues ("okay and for the pain?", "so both
    # remedies are sprays?"): the words that point back to an earlier question, which is needed to
    # know what it is about.
    continues: str | None = None
    # A property of the focus asked for that no question type names: "contagion" ("is strep
    # contagious?"), "duration" ("how long does a cold last?"), "schedule" ("should I take Lexapro at night or in
    # the morning?"); see :func:`asking.asked_aspect`.
    aspect: str | None = None
    # The animal the question is about ("can I give aspirin to my horse?"): evidex's sources
    # are on people, and what is safe for a person may poison a cat.
    animal: str | None = None
    # It asks what the focus is for ("what is the diflucan for?", "what does lidocaine do?"), not
    # whether or how to take it ("should I take antibiotics?", "when should I take Prozac?").
    asks_purpose: bool = False
    # Of "is Lexapro an SNRI?" or "is Augmentin the same as amoxicillin?", the words naming the kind
    # or the other thing ("snri"): the focus is the thing asked of, and what it is answers.
    kind_asked: str | None = None
    # Longer names that end with a focus condition's name and that the question does not use: its narrower
    # kinds ("white coat hypertension" of "what causes high blood pressure?") and other things named so
    # ("Q fever" of a fever), as lookup keys.  A sentence naming the condition only so is about something else.
    longer_names_not_asked: tuple[str, ...] = ()
    # Of a question on causes, the conditions whose causes it asks: all of them ("what causes gout?"), or
    # those after "cause" when it asks whether one thing causes another ("can pink eye cause swelling?").
    caused: list[Concept] = field(default_factory=list)

    @property
    def asks_what_it_is(self) -> bool:
        """Whether a definition answers it: what something is, is for, or how it works."""
        return self.question_type in (QuestionType.DEFINITION, QuestionType.MECHANISM) or (
            self.question_type is QuestionType.USAGE and self.asks_purpose
        )

    @property
    def search_text(self) -> str:
        """What retrieval searches for: the question, plus the topic a follow-up inherited."""
        return self.expanded.text if self.expanded else self.text

    @property
    def main_conditions(self) -> list[Concept]:
        """The conditions the question is about, leaving out those that only name a patient
        detail ("neurological deficits" in "sciatica with neurological deficits")."""
        modifier_text = " ".join(matched for _, matched in self.modifiers).lower()
        return [c for c in self.conditions if c.matched_text.lower() not in modifier_text]

    @property
    def topic(self) -> str:
        """A short name for what the question is about."""
        names = self.unknown_terms + ([c.name for c in self.focus] or [c.name for c in self.conditions + self.interventions])
        return ", ".join(dict.fromkeys(names)) or self.text

    @property
    def focus_words(self) -> set[str]:
        """Every word of every name of the focus, as :func:`~evidex.answer.words.concept_phrase` stems."""
        return {w for alternatives in self.focus_phrases for phrase in alternatives for w in phrase}

    @property
    def unread(self) -> bool:
        """Whether the question asks something of its focus that evidex does not read: no kind of
        question, no property (contagion …), and words beyond the focus other than an overview's
        ("is it serious?").  A sentence that merely names the focus then answers something else
        ("Antibiotics do not fight infections caused by viruses" for "can I buy antibiotics online?")."""
        return (self.question_type is QuestionType.GENERAL and self.aspect is None
                and bool(self.words - self.focus_words - _OVERVIEW_WORDS))

    @property
    def treatment_for_nothing_named(self) -> bool:
        """Whether the question asks if drugs help without naming for what: "would antibiotics
        help?", "should I get antibiotics?", "is an antiviral an option?" ask about a condition the asker has in mind, and what a
        drug does depends on it ("how can I lower my cholesterol?" names what to change)."""
        # "should I get antibiotics?" (not "should I take Lexapro at night?", which asks when)
        whether_to_use = (self.question_type is QuestionType.USAGE and self.yes_no and not self.asks_purpose
                          and self.aspect != "schedule")
        return (
            (self.question_type is QuestionType.TREATMENT or whether_to_use) and bool(self.focus) and not self.unknown_terms
            and all(_acts_as_treatment(c) and not any(t.startswith(_MEASURED_TREES) for t in c.tree_numbers)
                    for c in self.focus)
            and not (self.context_concepts or self.body_regions or self.modifiers or self.populations)
        )

    @property
    def names_only_a_part(self) -> bool:
        """Whether nothing the question names is a condition, drug, test or procedure: only a part of
        the body, a device, a place or a service (:data:`_PART_TREES`: "do I put drops in both eyes?",
        "is there an inhaler you can recommend?").  What it asks of the eye depends on a condition it
        does not say; "what is the GI tract?" is still answered by what it is, and a stage of life or a
        bodily process ("the symptoms of menopause") is asked about itself."""
        return (bool(self.focus) and not self.unknown_terms and self.question_type is not QuestionType.DEFINITION
                and all(_kind(c) == "other" and all(t.startswith(_PART_TREES) for t in c.tree_numbers) for c in self.focus))

    @property
    def answered_only_by_its_study(self) -> bool:
        """Whether only a study or review that asks this very question (or, of several things asked
        about, a sentence that names them all) may answer it: it is :attr:`unread`, or
        :attr:`treatment_for_nothing_named`, or it :attr:`names_only_a_part`, or it asks only for
        a property ("is Zoloft addictive?"), which only a sentence stating it answers."""
        return (self.unread or self.treatment_for_nothing_named or self.names_only_a_part
                or (self.aspect is not None and self.question_type is QuestionType.GENERAL))

    @property
    def understood(self) -> bool:
        """Whether the question names something evidex can look up (a follow-up of "is it
        contagious?" names nothing without the conversation it came from)."""
        return bool(self.focus or self.unknown_terms)


class QuestionError(ValueError):
    """The question cannot be answered as asked (empty, too long)."""


def _in_sentence_case(expanded: ExpandedQuery, text: str) -> ExpandedQuery:
    """``expanded`` (read as typed: "PT" is physical therapy, "Pt" is not) with the question's
    words as in ``text``, its sentence-case form, so that every search it leads to reads the same
    whether the question was typed in capitals or not."""
    if expanded.text == text:
        return expanded
    concepts = [
        c if c.matched_text in text else c.model_copy(update={"matched_text": c.matched_text.lower()})
        for c in expanded.concepts
    ]
    return expanded.model_copy(update={"text": text, "concepts": concepts})


def understand(
    text: str, vocabulary: Vocabulary, audience: Audience = "clinician", earlier: ClinicalQuestion | None = None
) -> ClinicalQuestion:
    """Take a clinical question apart; raises :class:`QuestionError` for unusable input.

    ``earlier`` is the previous question of a conversation: a follow-up such
    as "what about after surgery?" names no condition of its own, so it
    inherits the earlier condition(s) (and interventions, if it names none),
    patient modifiers and red flags.  What it names itself always wins.
    """
    typed = " ".join((text or "").split())
    text = sentence_case(typed)  # a question typed in capitals is read as a sentence
    if not text:
        raise QuestionError("the question is empty")
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(f"the question is {len(text):,} characters long; the limit is {MAX_QUESTION_CHARS:,}")
    if audience not in ("clinician", "patient"):
        raise QuestionError(f"audience must be 'clinician' or 'patient', not {audience!r}")
    expanded = _without_lookalike_names(_in_sentence_case(expand_query(_with_pain_names(typed), vocabulary), text), vocabulary)
    expanded = expanded.model_copy(update={"concepts": _qualified_categories(expanded.concepts, text, vocabulary)})
    asked = _asking_part(text)
    background = _background_spans(text, asked)
    # "side effects" or "symptoms" say what is asked, not about what: not concepts of the question
    cue_spans = [m.span() for m in _ASKING_WORDS.finditer(text)]
    # "sounds good, what can I take?": an acknowledgement of what was said before names nothing
    cue_spans += [m.span() for m in _ACKNOWLEDGEMENT.finditer(text)]
    concepts = [
        c for c in expanded.concepts
        if (_kind(c) != "other" or _says_where(c, expanded.concepts, text))
        and not _within(_position(c, text), len(c.matched_text), cue_spans)
    ]
    concepts = [c for c in _without_dosage_forms(concepts, text) if not _of_the_other_sex(c, text)]
    in_background = [c for c in concepts if _inside(_position(c, text), background)]
    if not concepts:
        # nothing the question names is a condition, drug, test or procedure: what it names
        # (a body part, a cell: "sickle cells") is still what it is about
        concepts = [
            c for c in expanded.concepts
            # "what is GI?": gastrointestinal, in no MeSH tree, but in the dictionary
            if (c.tree_numbers or c.source == "lay" or (c.source == "abbreviation" and vocabulary.definition(c.name)))
            and not _within(_position(c, text), len(c.matched_text), cue_spans) and not _of_the_other_sex(c, text)
            and not any(t.startswith(_WHO_TREES) for t in c.tree_numbers)  # "my spouse" is who, not what
            and c.name not in _MEASURES  # "the incidence of …" is how often, not what
        ]
        in_background = [c for c in concepts if _inside(_position(c, text), background)]
    allergy_spans = _allergy_spans(text)
    allergens = _allergens(concepts, text, allergy_spans)
    named_only_as_allergens = [c for c in allergens if _only_within(c, text, allergy_spans)]
    if any(c not in allergens and not DRUG_ALLERGY.find(c.matched_text) for c in concepts if c not in in_background):
        # "can I take doxycycline if I am allergic to penicillin?" asks about doxycycline: the allergy
        # describes the patient ("what are the symptoms of a penicillin allergy?" asks about it)
        in_background += [c for c in named_only_as_allergens if c not in in_background]
    asked_concepts = [c for c in concepts if c not in in_background]
    # the patient's allergies: those in the background, and a drug asked about that the patient is
    # also allergic to ("can I take penicillin V if I'm allergic to penicillin?")
    allergies = [c for c in allergens if c in in_background or c not in named_only_as_allergens]
    unknown = [
        word for word in _unknown_drugs(text[asked[0]:asked[1]], expanded, vocabulary)
        if not any(word in matched.lower() for _, matched in _found(MODIFIERS, text))  # "post-op" is a patient detail
    ]
    # a drug the patient is allergic to is not a second drug taken with the first
    taken = [c for c in concepts if c not in allergies or c in asked_concepts]
    qtype = _question_type(text[asked[0]:asked[1]], asked_concepts, taken, unknown)
    if qtype is QuestionType.GENERAL and allergies and asked_concepts and all(_is_drug(c) for c in asked_concepts):
        # "can I take doxycycline if I am allergic to penicillin?": whether it is safe for me (not "penicillin
        # allergy: which antibiotic for pneumonia?", which asks what treats the pneumonia)
        qtype = QuestionType.CONTRAINDICATIONS
    focus, context = _focus_and_context(qtype, asked_concepts, in_background, allergies)
    focus = _most_specific(focus)
    kind = None
    if qtype in (QuestionType.GENERAL, QuestionType.COMPARISON) and (asked_kind := _kind_asked(text, focus, expanded.concepts)):
        # "is Lexapro an SNRI?", "is Augmentin the same as amoxicillin?": what the thing is answers it
        member, kind = asked_kind
        qtype, focus = QuestionType.DEFINITION, [member]
    question = ClinicalQuestion(
        text=text,
        audience=audience,
        question_type=qtype,
        yes_no=is_yes_no(text, bool(_YES_NO.search(text[asked[0]:asked[1]])) and not _WH.match(text[asked[0]:asked[1]])),
        focus=focus,
        conditions=[c for c in focus if _kind(c) == "condition"],
        interventions=[c for c in focus if _kind(c) == "intervention"],
        context=_patient_context(text, context, allergies),
        context_concepts=context,
        unknown_terms=unknown,
        expanded=expanded,
        modifiers=[
            (p, m) for p, m in _found(MODIFIERS, text) + _age_modifiers(text) + _allergy_modifier(text, allergies, allergy_spans)
            if not (kind and m.lower() in kind)
        ],
        red_flags=find_red_flags(text),
        kind_asked=kind,
    )
    # For a question about a drug, a condition named beside it is the patient's ("the dose of
    # metformin in kidney disease"), so it stays a modifier.
    # In "is X safe in heart failure with diabetes?" the first condition is asked about, the rest describe the patient.
    topic_conditions = question.conditions
    if qtype is QuestionType.CONTRAINDICATIONS:
        topic_conditions = question.conditions[:1]
    elif qtype.about_a_drug:
        topic_conditions = []
    question.modifiers = _distinct([
        (p, m) for p, m in question.modifiers
        if not _is_the_topic(m, topic_conditions) and not _is_the_topic(m, question.interventions)
    ])
    if earlier is not None:
        _inherit(question, earlier, vocabulary)
    else:
        question.continues = _continues(question)
    question.treatment_names = list(dict.fromkeys(
        name
        for concept in question.interventions
        for name in [concept.name, concept.matched_text, *concept.synonyms, *_narrower_names(concept, vocabulary)]
    ))
    question.longer_names_not_asked = _longer_names_not_asked(question.conditions, text, vocabulary)
    if qtype is QuestionType.CAUSE:
        question.caused = _caused(question.conditions, text)
    question.help_topics = help_topics(question.text, [c.name for c in question.conditions])
    question.populations = set(population_groups(question.text))
    question.cues = question_cues(question.text)
    question.aspect = asked_aspect(question.text)
    question.asks_purpose = qtype is QuestionType.USAGE and bool(_PURPOSE.search(question.text))
    if question.aspect == "schedule" and not (
        (question.unknown_terms or any(_is_drug(c) for c in question.focus + context))  # "when should I take the test?"
        and asked_aspect(text[asked[0]:asked[1]]) == "schedule"  # not "my doctor said to take it at night. Will it …?"
        and qtype in (QuestionType.GENERAL, QuestionType.USAGE)  # not "does it cause weight gain if taken at night?"
        and (not question.conditions or _TWO_TIMES.search(text))  # "ibuprofen at night for a fever?" asks what helps
    ):
        question.aspect = None
    if question.aspect == "contagion" and not question.conditions and not _SAYS_CONTAGIOUS.search(text):
        # "can I give it to my son?" of a drug is not about catching anything; "is it still contagious
        # after 24 hours of antibiotics?" is, about a condition it does not name
        question.aspect = None
    question.body_regions = body_regions(" ".join([question.text, *(c.name for c in question.conditions)]))
    question.must_mention = _topic(question)
    modifier_text = " ".join(matched for _, matched in question.modifiers).lower()
    question.focus_phrases = [
        _phrases(c) for c in question.focus if c.matched_text.lower() not in modifier_text
    ] + [[concept_phrase(t)] for t in question.unknown_terms]
    question.condition_phrases = [_phrases(c) for c in question.conditions if c.matched_text.lower() not in modifier_text]
    question.animal = _animal(text) or (earlier.animal if earlier is not None else None)
    question.words = crude_stems(" ".join(question.expanded.terms) if question.expanded else question.text)
    if qtype is QuestionType.DEFINITION and question.focus:
        question.defined = _defined_words(text, question.focus[0])
    return question


# Two times or ways of taking set against each other: "at night or in the morning", "before or after meals"
_TWO_TIMES = re.compile(
    r"\b(?:morning|night|evening|bedtime|before|after|with|without)\b[^?.]{0,30}\bor\s+(?:\w+\s+){0,2}?"
    r"(?:morning|night|evening|bedtime|before|after|with|without|on an empty)\b",
    re.IGNORECASE,
)


# Whether a thing is of a kind, or the same as another: "is Lexapro an SNRI?", "is Cephalexin a steroid?",
# "is Augmentin the same as amoxicillin?"; not "is ibuprofen a good idea?" nor "is an antiviral an option?"
# (no drug, condition or organism after the article).
_KIND_OF = re.compile(
    r"^\W*(?:(?:so|and|but|ok|okay|also),?\s+)?(?:is|isn'?t|are|aren'?t)\s+(?:the |my |this |that )?(?P<member>[\w'-]+(?: [\w'-]+){0,2}?)\s+"
    r"(?:also |really |actually |considered |classed as |classified as )?"
    r"(?:an? (?:type|kind|form|class|member) of (?:an? )?|an? |the same (?:thing |drug |medicine |medication )?as |same as )"
    r"(?P<kind>[\w' -]{2,40}?)\s*[?.!]*$",
    re.IGNORECASE,
)
# What a kind may be: a drug or drug class, a disease, an organism ("a virus"), a mental disorder; not a
# sign or a pathological process ("is chest pain an emergency?" asks whether to worry, not what it is).
_KIND_TREES = ("B", *(f"C{n:02d}" for n in range(1, 27) if n != 23), "D", "F03")


def _kind_asked(text: str, focus: list[Concept], concepts: list[Concept]) -> tuple[Concept, str] | None:
    """The drug or condition a question asks the kind of, and the words naming the kind ("Lexapro"
    and "snri" in "is Lexapro an SNRI?"), when the kind is a drug class, a drug, a disease or an
    organism; None for any other question."""
    match = _KIND_OF.match(text.strip())
    if match is None:
        return None
    kind = match.group("kind").lower()
    member = next((c for c in focus if c.matched_text.lower() not in kind and _kind(c) in ("condition", "intervention")), None)
    if member is None:
        return None
    # the kind is what follows the article, not a word further on ("is ibuprofen a good idea for a sprain?"),
    # and may be the member under another name ("is Advil the same as ibuprofen?")
    named = any(
        kind.startswith(c.matched_text.lower()) and any(t.startswith(_KIND_TREES) for t in c.tree_numbers)
        for c in concepts if c is not member
    ) or any(kind.startswith(name.lower()) for name in (member.name, *member.synonyms))
    return (member, kind) if named else None


# What a thing is for: "what is the diflucan for?", "what does lidocaine do?", "what is omeprazole used
# for?", "is Zyrtec only for allergies?", "what does sertraline treat?"; not "what is the criteria for
# antibiotics?" nor "what time of day is best for taking Lexapro?".
_PURPOSE = re.compile(
    r"\bwhat (?:is|are|was|were) (?:\w+ ){1,3}?(?:used |given |prescribed )?for\s*[?.!]*$|"
    r"\bwhat (?:conditions?|diseases?|illness(?:es)?|problems?|symptoms?)?\s*(?:does|do|did|is|are|can) (?:\w+ ){1,3}"
    r"(?:do|treat|used (?:to treat|for)|prescribed for|given for)\s*[?.!]*$|\bwhat (?:is|are) (?:\w+ ){1,3}used (?:for|to)\b|"
    r"\b(?:is|was|are|were) (?:it |they |\w+ )?(?:only|just|mainly|specifically|specially|also) for\b",
    re.IGNORECASE,
)
# Words of a request for a definition, never part of what is to be defined.
_DEFINING_WORDS = frozenset("define definition explain tell meaning mean means information kind please what's what’s whats who's".split())


# An animal as the patient: something given to it, safe for it, or what it ate or has ("can I give
# aspirin to my horse?", "is this safe for my dog?", "my puppy ate grapes"); not a person's bite,
# allergy or exposure ("bitten by my dog", "allergic to cats", "cat scratch disease").
_ANIMALS = r"(cats?|kittens?|dogs?|pupp(?:y|ies)|horses?|pets?|rabbits?|hamsters?|ferrets?|parrots?)"
_ANIMAL = re.compile(
    r"\b(?:(?:give|giving|gave|feed|feeding|fed)\b[^?.]{0,40}?\bto|(?:safe|ok|okay|dangerous|toxic|poisonous|bad) for|"
    r"(?:dose|dosage) (?:for|of \w+ for))\s+(?:a |an |my |our |the )?" + _ANIMALS + r"\b|"
    r"\b(?:my|our) " + _ANIMALS + r"\s+(?:ate|eats|has|had|is|was|vomit\w*|got|swallowed|seems|keeps|licked|drank|chewed)\b",
    re.IGNORECASE,
)


def _animal(text: str) -> str | None:
    match = _ANIMAL.search(text)
    return next(g for g in match.groups() if g).lower() if match else None


def _defined_words(text: str, focus: Concept) -> frozenset[str]:
    """The words just before the focus in a "what is …?" question, up to a stopword or a word of
    the request ("can you define *uncontrolled* asthma", "what is *normal* blood pressure")."""
    start = _position(focus, text)
    if start < 0:
        return frozenset()
    words = []
    for word in reversed(re.findall(r"[\w'’-]+", text[:start].lower())):
        if word in STOPWORDS or word in _DEFINING_WORDS:
            break
        words.append(word)
    return frozenset(concept_phrase(" ".join(reversed(words)))) if words else frozenset()


# -- which part of the text asks, which gives background ------------------------------------------


# "my back hurts" is back pain, "my tummy aches" abdominal pain: the names the vocabulary knows.
_ACHE = re.compile(
    r"\b(back|neck|head|stomach|tummy|belly|chest|knees?|hips?|shoulders?|tooth|teeth|ears?|feet|foot|legs?|arms?|"
    r"joints?|wrists?|ankles?|elbows?|jaw|throat|eyes?)\s+(?:really\s+|still\s+|keeps?\s+)?(?:hurts?|hurting|aches?|aching|"
    r"(?:is|are|feels?) (?:so |very |really )?(?:sore|painful|killing me))\b",
    re.IGNORECASE,
)
_PAIN_NAMES = {
    "head": "headache", "tooth": "toothache", "teeth": "toothache", "stomach": "abdominal pain", "tummy": "abdominal pain",
    "belly": "abdominal pain", "ear": "earache", "ears": "earache", "throat": "sore throat",
}


def _with_pain_names(text: str) -> str:
    """``text`` followed by the clinical name of each pain it describes in everyday words, so
    that the vocabulary finds it ("my back hurts" → "back pain")."""
    names = [_PAIN_NAMES.get(m.group(1).lower(), f"{m.group(1).lower().rstrip('s')} pain") for m in _ACHE.finditer(text)]
    return f"{text} ({', '.join(dict.fromkeys(names))})" if names else text


@lru_cache(maxsize=4)
def _everyday_words(vocabulary: Vocabulary) -> tuple[frozenset[str], frozenset[frozenset[str]]]:
    """Everyday English words, and their stems as :func:`concept_phrase` forms them."""
    words = frozenset(word for word in vocabulary.common_words() if len(word) > 3)
    return words, frozenset(map(concept_phrase, words))


def _without_lookalike_names(expanded: ExpandedQuery, vocabulary: Vocabulary) -> ExpandedQuery:
    """``expanded`` without the one-word other names that read, once stemmed, as an everyday
    word: a sentence about an allergic "reaction" does not name cetirizine because one of its
    brands is "Reactine".  The name asked by and the concept's own name always stay."""
    words, stems = _everyday_words(vocabulary)

    def lookalike(name: str) -> bool:
        return " " not in name.strip() and name.lower() not in words and concept_phrase(name) in stems

    concepts = [
        c.model_copy(update={"synonyms": [s for s in c.synonyms if not lookalike(s)]}) if any(map(lookalike, c.synonyms)) else c
        for c in expanded.concepts
    ]
    return expanded.model_copy(update={"concepts": concepts})


# Only where the sentence plainly goes on ("vs. open", "e.g. aspirin"): "MS." may end a sentence about multiple sclerosis.
_ABBREVIATION = re.compile(r"\b(?:vs|e\.g|i\.e|cf|approx|incl)\.(?=\s+[a-z0-9(])", re.IGNORECASE)


def _asking_part(text: str) -> tuple[int, int]:
    """The span of the sentence that asks: the last one ending in "?", else the last one
    opening with a question word, else the whole text.  Patients give background first."""
    # "Laparoscopic vs. open excision: are these still comparable?" is one sentence
    unstopped = _ABBREVIATION.sub(lambda m: m.group().replace(".", "_"), text)
    sentences = [(m.start(), m.end()) for m in re.finditer(r"[^.!?]+[.!?]*", unstopped) if m.group().strip()]
    asking = [s for s in sentences if text[s[0]:s[1]].rstrip().endswith("?")]
    asking = asking or [s for s in sentences if _WH.match(text[s[0]:s[1]]) or _YES_NO.match(text[s[0]:s[1]].lstrip())]
    if not asking:
        return 0, len(text)
    start, end = asking[-1]
    while start < end and text[start].isspace():
        start += 1
    return start, end


def _background_spans(text: str, asked: tuple[int, int]) -> list[tuple[int, int]]:
    """Sentences before or after the asking one, and clauses opened by a context marker."""
    spans = []
    if asked[0] > 0:
        spans.append((0, asked[0]))
    if asked[1] < len(text):
        spans.append((asked[1], len(text)))
    for marker in _CONTEXT_MARKER.finditer(text, asked[0], asked[1]):
        end = _CLAUSE_END.search(text, marker.end(), asked[1])
        spans.append((marker.start(), end.start() if end else asked[1]))
    return spans


# "cure the infection?", "this infection is spreading": one infection, named earlier, not infections at large
_ONE_NAMED_BEFORE = re.compile(r"\b(?:the|this|that|these|those)\s+$", re.IGNORECASE)
# (not "the cancer risk", "the infection rate": the category names a kind of risk or rate there; nor
# "the infection in my toe", which says where)
_ONE_NAMED_AFTER = re.compile(
    r"(?!\s*(?:risks?|rates?|screening|control|prevention|treatments?|therapy|patients?|survivors?|cells?|care|"
    r"cent(?:re|er)s?|types?|stages?|research|prevalence|incidence|mortality|drugs?|medicines?|tests?|testing|sites?|"
    r"(?:in|on|of|around|near|behind|under) (?:my|the|his|her|your|their)\b)\b)",
    re.IGNORECASE,
)


def _qualified_categories(concepts: list[Concept], text: str, vocabulary: Vocabulary) -> list[Concept]:
    """A whole disease category ("infection", "cancer", "injury") is what a question is about only
    when nothing narrows it: inside a longer name ("yeast infection", "throat cancer") or after a part
    of the body ("kidney infection", "liver injury") it is not the focus (the organ or the longer name
    is); "the infection" is one named earlier (a follow-up's), not infections at large; and its everyday
    one-word synonyms ("mass" for a tumour) are not its names.  So is "the pain", with no part of the
    body, when the question names nothing else ("the cough" is a question of its own)."""
    kept = []
    for concept in concepts:
        if concept.tree_numbers and all("." not in tree for tree in concept.tree_numbers):
            where = _position(concept, text)
            inside = any(
                other is not concept and concept.matched_text.lower() in other.matched_text.lower() for other in concepts
            )
            after_organ = any(
                other is not concept and any(t.startswith("A") for t in other.tree_numbers) and where >= 0
                and 0 <= where - (_position(other, text) + len(other.matched_text)) <= 1
                for other in concepts
            )
            if inside or after_organ or _named_earlier(concept, text):
                continue
            synonyms = [s for s in concept.synonyms if len(s.split()) > 1 or not vocabulary.is_everyday_word(s.lower())]
            concept = concept.model_copy(update={"synonyms": synonyms})
        elif len(concepts) == 1 and concept.name == "Pain" and _named_earlier(concept, text, _SIGN_ENDS):
            continue  # "anything for the pain?" alone: the pain the asker spoke of before (not "for the cough?")
        kept.append(concept)
    return kept


# where "the pain" ends a phrase of its own ("for the pain?", "the pain is worse"; not "the pain medicine")
_SIGN_ENDS = re.compile(r"\s*(?:[?.!,;]|$|(?:is|was|has|gets?|goes|go|will|won't|isn't|tonight|today|now)\b)", re.IGNORECASE)


def _named_earlier(concept: Concept, text: str, ends: re.Pattern = _ONE_NAMED_AFTER) -> bool:
    """"the infection", "this rash": one the asker named before, not all of them."""
    where = _position(concept, text)
    return where >= 0 and bool(_ONE_NAMED_BEFORE.search(text[:where])) and bool(
        ends.match(text[where + len(concept.matched_text):]))


def _position(concept: Concept, text: str) -> int:
    return text.lower().find(concept.matched_text.lower())


def _within(position: int, length: int, spans: list[tuple[int, int]]) -> bool:
    return position >= 0 and any(start <= position and position + length <= end for start, end in spans)


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return position >= 0 and any(start <= position < end for start, end in spans)


# Relatives ("Spouses", "Mothers" under Family) and age groups ("Infant, Newborn") say who a
# question is about, never what; a group with a problem of its own ("Ill-Housed Persons") can be.
_WHO_TREES = ("F01.829.263", "I01.880.853.150", "M01.060")
# Statistics ("Incidence", "Risk", "Mortality" under Epidemiologic Methods) are not treatments.
_NOT_INTERVENTION_TREES = ("E05.318",)
# Nor, alone, what a question is about: they say it asks how often ("Incidence", "Prevalence"); a
# measure of something named ("Maternal Mortality", "Infant Mortality") is.
_MEASURES = frozenset({"Incidence", "Prevalence", "Mortality", "Morbidity", "Epidemiologic Measurements"})


def _says_where(part: Concept, concepts: list[Concept], text: str) -> bool:
    """A part of the body just before a one-word sign ("tongue swelling", "wrist bone pain"), or the
    only part a question on pain names, says where it is, when that sign is the question's only
    condition: the question is about both, not about swelling or pain anywhere.  Not when a name holds both ("knee pain", "ear pain" are names of
    their own)."""
    if not any(t.startswith("A") for t in part.tree_numbers) or (start := _position(part, text)) < 0:
        return False
    if sum(_kind(c) == "condition" for c in concepts) != 1:
        return False
    parts = [c for c in concepts if any(t.startswith("A") for t in c.tree_numbers)]
    if len(parts) == 1 and any(c.ui == _PAIN for c in concepts):
        return True  # "pain" with one part of the body anywhere ("cleaning my vagina … soothe the pain")
    end = start + len(part.matched_text)
    for sign in concepts:
        where = _position(sign, text)
        if (" " not in sign.matched_text.strip() and 0 <= where - end <= 1 and _kind(sign) == "condition"
                and not any(start >= _position(c, text) >= 0 and where + len(sign.matched_text) <= _position(c, text) + len(c.matched_text)
                            for c in concepts if c is not part and c is not sign)):
            return True
    return False


_DOSAGE_FORM_TREES = ("D26.255", "D20.280.055")  # Dosage Forms (tablets, sprays, ointments); aerosols
_COMPARED = re.compile(r"\b(?:or|than|versus|vs|better|worse|both|instead)\b", re.IGNORECASE)


def _without_dosage_forms(concepts: list[Concept], text: str) -> list[Concept]:
    """A dosage form next to a drug is the drug's form ("2 tablets of fluconazole", "a fluticasone
    nasal spray"), not a second thing asked about; a form of its own ("saline spray and Flonase",
    "cream or tablets?") is."""
    if _COMPARED.search(text):
        return concepts

    def next_to_a_drug(form: Concept) -> bool:
        start = _position(form, text)
        end = start + len(form.matched_text)
        for drug in concepts:
            where = _position(drug, text)
            if drug is form or _is_form(drug) or _kind(drug) != "intervention" or where < 0:
                continue
            gap = text[end:where] if where >= end else text[where + len(drug.matched_text):start]
            if re.fullmatch(r"\s*(?:of\s+)?", gap, re.IGNORECASE):
                return True
        return False

    return [c for c in concepts if not (_is_form(c) and next_to_a_drug(c))]


def _is_form(concept: Concept) -> bool:
    return bool(concept.tree_numbers) and all(t.startswith(_DOSAGE_FORM_TREES) for t in concept.tree_numbers)




def _kind(concept: Concept) -> str:
    trees = [t for t in concept.tree_numbers if not t.startswith(_NOT_INTERVENTION_TREES)]
    if any(t.startswith(_CONDITION_TREES) for t in trees) or (concept.source == "lay" and not trees):
        return "condition"
    if any(t.startswith(_INTERVENTION_TREES) for t in trees):
        return "intervention"
    return "other"


def _is_drug(concept: Concept) -> bool:
    return any(t.startswith(_DRUG_TREES) for t in concept.tree_numbers)


def _acts_as_treatment(concept: Concept) -> bool:
    """A drug (not a body substance that is measured: Blood Glucose) or contraception."""
    trees = concept.tree_numbers
    drug = _is_drug(concept) and not all(t.startswith(_MEASURED_SUBSTANCE_TREES) for t in trees)
    return drug or any(t.startswith(_CONTRACEPTION_TREES) for t in trees)


_MEASURED_SUBSTANCE_TREES = ("D09", "D12.776.124", "D10.251")  # sugars, blood proteins, lipids: what a test measures
_CONTRACEPTION_TREES = ("E02.875",)

# A drug acting on another treatment: "affect my birth control", "stop the pill working"
_WORKING_OF = re.compile(
    r"\b(?:affects?|affecting|interfer\w* with|(?:have|has) (?:any )?(?:effects?|impact) on|"
    r"make (?:\w+ ){0,3}(?:less effective|not work)|stop (?:\w+ ){0,3}(?:from )?working|cancel (?:out )?)\b",
    re.IGNORECASE,
)

def _question_type(asking: str, asked: list[Concept], every: list[Concept], unknown: list[str]) -> QuestionType:
    """The first type whose cue the asking sentence holds.  Two drugs taken together ask about
    an interaction (one may be named in the background: "I take zyrtec … will hydroxyzine be ok
    with it?"), unless the question compares them; "can <drug> cause …" asks for side effects."""
    drugs = [c for c in asked if _is_drug(c)]
    together = len([c for c in every if _is_drug(c)]) + len(unknown) >= 2 and bool(_TOGETHER.search(asking))
    # a drug acting on another drug or on contraception, not on a measure or an activity
    # ("does ibuprofen affect blood pressure?", "how does exercise affect blood sugar?")
    treatments = [c for c in every if _acts_as_treatment(c)] + unknown
    if len(treatments) >= 2 and drugs and _WORKING_OF.search(asking):
        return QuestionType.INTERACTIONS  # "will the antibiotics affect my birth control?"
    for qtype, pattern in _TYPE_PATTERNS:
        match = pattern.search(asking)
        if not match:
            continue
        if qtype is QuestionType.SIDE_EFFECTS and not (drugs or unknown) and _REACTION_TO_A_VERB.match(asking, match.start()):
            continue  # "for an allergic reaction to become red" asks about a reaction, not what caused it
        if together and qtype not in (QuestionType.COMPARISON, QuestionType.DOSE):
            return QuestionType.INTERACTIONS
        if qtype in (QuestionType.CAUSE, QuestionType.COMPLICATIONS) and _drug_before(drugs, asking, match.start()):
            return QuestionType.SIDE_EFFECTS
        return qtype
    named_together = len(drugs) >= 2 and len(drugs) == len(asked) and bool(_JOINED.search(asking))
    if together or (named_together and not _COMPARED.search(asking) and not _CHOOSING.search(asking)):
        return QuestionType.INTERACTIONS  # "Lithium and ibuprofen?" names two drugs and asks nothing else of them
    if (drugs or unknown) and re.search(r"\b(?:safe|ok|okay|alright)\b", asking, re.IGNORECASE):
        return QuestionType.SIDE_EFFECTS
    return QuestionType.GENERAL


_JOINED = re.compile(r"\b(?:and|with|plus)\b|[+&]", re.IGNORECASE)
# "are they for the same things?", "ibuprofen and acetaminophen, which is stronger?": a choice between them
_CHOOSING = re.compile(
    r"\b(?:same|similar|alike|different|difference|which|stronger|weaker|safer|milder|gentler|more|less)\b", re.IGNORECASE
)


UNKNOWN_NAME_LETTERS = 7


# "wouldnt", "theyre": a contraction typed without its apostrophe, not a drug's name
_CONTRACTION = re.compile(
    r"(?:would|could|should|does|did|is|are|was|were|have|has|had|need|must|might)nt|(?:they|you|we)(?:re|ve|ll|d)|"
    r"(?:there|that|what|where|who|it)s"
)


def _unknown_drugs(asking: str, expanded: ExpandedQuery, vocabulary: Vocabulary) -> list[str]:
    """Words of the asking sentence that name something the vocabulary does not know: a drug by
    its stem or its place ("dose of …"), or any long word that is neither English nor medical
    vocabulary ("cyclobenzaprine", "Flexeril"), so that the answer must be about it or abstain."""
    named = " ".join(c.matched_text.lower() for c in expanded.concepts)
    slots = {m.group(1).lower() for m in _DRUG_SLOT.finditer(asking)}
    found = []
    for word in re.findall(r"[A-Za-z][A-Za-z0-9-]{5,}", asking):
        lowered = word.lower()
        if lowered in named or lowered in expanded.corrections or vocabulary.is_known_word(lowered) or _CONTRACTION.fullmatch(lowered):
            continue
        if "-" in lowered and all(vocabulary.is_known_word(part) for part in lowered.split("-") if part):
            continue  # "evidence-backed", "well-known": words the vocabulary knows, joined
        if _DRUG_STEMS.search(lowered) or lowered in slots or len(lowered) >= UNKNOWN_NAME_LETTERS:
            found.append(lowered)
    return list(dict.fromkeys(found))


def _drug_before(drugs: list[Concept], text: str, position: int) -> bool:
    """A drug named before ``position`` and not as a level ("low testosterone")."""
    lowered = text.lower()
    for drug in drugs:
        at = lowered.find(drug.matched_text.lower())
        if 0 <= at < position and not _LOW_OR_HIGH.search(text[:at]):
            return True
    return False


def _focus_and_context(
    qtype: QuestionType, asked: list[Concept], background: list[Concept], allergies: list[Concept]
) -> tuple[list[Concept], list[Concept]]:
    """What the answer must be about, and what only describes the patient.

    The asking sentence's concepts are the focus; background ones join it when the asking
    sentence names nothing ("I have gout. What should I eat?"), and a drug the patient already
    takes joins it when the question is whether two drugs go together."""
    focus = list(asked) or list(background)
    context = [c for c in background if c not in focus]
    if qtype is QuestionType.INTERACTIONS:
        drugs = [c for c in context if _is_drug(c) and c not in allergies]
        focus += drugs
        context = [c for c in context if c not in drugs]
    if qtype.about_a_drug:
        # the drug first: it is what a dose, side-effect or interaction answer is about
        focus.sort(key=lambda c: _kind(c) != "intervention")
    return _distinct(focus), _distinct(context)


def _most_specific(focus: list[Concept]) -> list[Concept]:
    """The focus without a concept named only inside a narrower one's name: "ear pain" is Earache,
    under Pain in MeSH, and "Pain is a feeling triggered in the nervous system" does not answer it."""
    def inside(broader: Concept, narrower: Concept) -> bool:
        return broader is not narrower and broader.matched_text.lower() in narrower.matched_text.lower() and any(
            tree.startswith(f"{parent}.") for tree in narrower.tree_numbers for parent in broader.tree_numbers)
    return [c for c in focus if not any(inside(c, other) for other in focus)]


def _patient_context(text: str, context: list[Concept], allergies: list[Concept]) -> PatientContext:
    age = None
    if match := _AGE.search(text):
        age = _years(match)
        age = age if age <= 120 else None
    sex = next((name for name, pattern in _SEX if pattern.search(text)), None)
    # "a penicillin allergy" is said once, as the allergy: not also as a history of Hypersensitivity
    # nor an allergy denied or another person's ("no known allergies to sulfa") as a history of Hypersensitivity
    others = [span for span in _allergy_phrases(text) if span not in _allergy_spans(text)]
    conditions = [c for c in context if not _is_drug(c) and not (
        DRUG_ALLERGY.find(c.matched_text) and (allergies or _only_within(c, text, others)))]
    return PatientContext(
        age=age,
        sex=sex,
        conditions=tuple(c.name for c in conditions),
        # not a drug named only as an allergy denied or another person's ("I'm not allergic to penicillin")
        medications=tuple(c.name for c in context if _is_drug(c) and c not in allergies
                          and not _only_within(c, text, _allergy_phrases(text))),
        allergies=tuple(c.name for c in allergies),
        phrases=tuple(c.matched_text for c in context),
    )


def _allergy_phrases(text: str) -> list[tuple[int, int]]:
    """Where the question speaks of an allergy to something, whoever's and even to deny it."""
    return [m.span() for m in _ALLERGY_SPAN.finditer(text) if not _ALLERGY_PRODUCT.search(m.group())]


# "I never had an allergy to penicillin until last year": it is the patient's now
_UNTIL = re.compile(r"\b(?:until|till)\b", re.IGNORECASE)


def _allergy_spans(text: str) -> list[tuple[int, int]]:
    """Where the question says what the patient is allergic to, unless it says they are not, names
    a product ("take Benadryl Allergy") or speaks of someone other than the one it asks for."""
    for_me = bool(_ASKS_FOR_ME.search(text))
    return [
        (start, end) for start, end in _allergy_phrases(text)
        if not (_DENIED.search(text, 0, start) and not _UNTIL.search(text, start, end + 12))
        and not (for_me and (other := _SOMEONE_ELSE.search(text, 0, start)) and not _ME.search(other.group()))
    ]


def _occurrences(concept: Concept, text: str) -> list[int]:
    """Where the words by which the question named a concept stand in it, each time."""
    return [m.start() for m in re.finditer(rf"\b{re.escape(concept.matched_text)}\b", text, re.IGNORECASE)]


def _allergens(concepts: list[Concept], text: str, spans: list[tuple[int, int]]) -> list[Concept]:
    """The drugs the question says the patient is allergic to ("allergic to penicillin")."""
    return [
        c for c in concepts
        if _is_drug(c) and any(_within(at, len(c.matched_text), spans) for at in _occurrences(c, text))
    ]


def _only_within(concept: Concept, text: str, spans: list[tuple[int, int]]) -> bool:
    return all(_within(at, len(concept.matched_text), spans) for at in _occurrences(concept, text))


def _allergy_modifier(
    text: str, allergies: list[Concept], spans: list[tuple[int, int]]
) -> list[tuple[PatternSet, str]]:
    """The patient's drug allergy as the modifier it is: the answer must say whether its sentences
    speak of it.  Quoted as typed: the words of the first span that names an allergen."""
    named = [
        (start, end) for start, end in spans
        if any(_within(at, len(c.matched_text), [(start, end)]) for c in allergies for at in _occurrences(c, text))
    ]
    return [(DRUG_ALLERGY, text[named[0][0]:named[0][1]])] if named else []


def _years(match: re.Match) -> int:
    years = next(int(g) for g in match.groups() if g)
    return years * 10 if match.group(3) else years


def _age_modifiers(text: str) -> list[tuple[PatternSet, str]]:
    """A stated age as the modifier it implies: "a 70 year old" is an older adult."""
    match = _AGE.search(text)
    if not match:
        return []
    years = _years(match)
    if years >= OLDER_ADULT_AGE:
        return [(_AGE_MODIFIERS["older_adult"], match.group(0))]
    if years < ADULT_AGE:
        return [(_AGE_MODIFIERS["child"], match.group(0))]
    return []


def _distinct(items: list) -> list:
    seen, kept = set(), []
    for item in items:
        key = item[0].key if isinstance(item, tuple) else (item.ui or item.name)
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


# -- follow-ups, names, topic ----------------------------------------------------------------------

# "okay and for the pain?", "what about for my eyes?": a continuation with no verb of its own
# Words that take in what was said before: "sounds good", "got it", "okay"
_ACKNOWLEDGING = (
    r"sounds? (?:good|great|fine|ok(?:ay)?|right|like a plan)|got it|ok(?:ay)?|alright|all right|yes|yeah|"
    r"thanks?|thank you|right|great|perfect|cool|i see|understood"
)
_CONTINUATION = re.compile(
    rf"^(?:(?:{_ACKNOWLEDGING}|so|well|no)\b[\s,.!]*)*"
    r"(?P<words>(?:and|or|also|but|plus)\b(?:\s+(?:what|how) about\b)?|(?:what|how) about\b)",
    re.IGNORECASE,
)
_ANY_VERB = re.compile(
    r"\b(?:is|are|was|were|be|am|do|does|did|can|could|should|would|will|may|might|must|have|has|had|"
    r"\w{4,}ed|take|taking|use|using|try|trying|help|work|working|need|get|getting|give|cause|mean|stop|start|"
    r"treat|cure|go|going|make|feel|feeling)\b",
    re.IGNORECASE,
)
# "both remedies", "these medicines", "any of this": what was said earlier in the conversation
_THOSE_NAMED = re.compile(
    r"\b(?:both|the two|these|those|the other|either|neither)\s+(?:\w+\s+)?"
    r"(?:remed(?:y|ies)|medicines?|medications?|meds|options?|drugs?|treatments?|pills?|tablets?|sprays?|"
    r"creams?|antibiotics?|ones?)\b|\b(?:any|all|some|none|either|which|one|each) of (?:this|that|these|those|them)\b",
    re.IGNORECASE,
)
_ACKNOWLEDGEMENT = re.compile(rf"^(?:(?:{_ACKNOWLEDGING})\b[\s,.!]*)+", re.IGNORECASE)
# "what else could I use?": something other than what was said before, which it does not name
_ELSE = re.compile(r"\b(?:what|anything|something|which) else\b", re.IGNORECASE)
# "… if I already tried AZO?", "besides Tylenol": what it is else than is said, if not known as a drug
_ELSE_THAN = re.compile(
    r"\b(?:besides|other than|apart from|aside from|except|instead of|tried|(?:already|have|has|had|i've) (?:taken|used))\b",
    re.IGNORECASE,
)
_FOR_IT = re.compile(r"\bfor (?:it|this|that)\s*[?.!]*\s*$", re.IGNORECASE)
_FIRST_SENTENCE = re.compile(r"^.*?(?:[.!?](?=\s)|$)", re.DOTALL)
_PAIN = "D010146"  # Pain: "the pain" alone is the one the asker spoke of


def _continues(question: ClinicalQuestion) -> str | None:
    """The words by which a question asked alone points back to an earlier one, or None:
    "okay and for the pain?" and "and what about ibuprofen?" have no verb, no patient detail and no
    question type of their own and name no condition but pain ("what about for my eye redness?",
    "what about the side effects of metformin?" and "what about pain after surgery?" say what they
    are about); "both
    remedies" were named before (in the question's first sentence, and not a list it goes on to
    give: "which of these are signs of diabetes: thirst, …"; nor a question that asks its own
    question about a condition: "none of that helps, what else can I do for my back pain?"); "can I
    take ibuprofen for it?" names
    nothing it is for, in the question or its background."""
    text = question.text
    opening = _CONTINUATION.match(text)
    named = [c for c in question.conditions if c.ui != _PAIN]
    if (opening and not _ANY_VERB.search(text[opening.end():]) and not named
            and not question.modifiers and question.question_type is QuestionType.GENERAL):
        return opening.group(0).strip(" ,.!")
    first = _FIRST_SENTENCE.match(text).group(0)
    pointer = _THOSE_NAMED.search(first)
    asks_its_own = bool(named) and question.question_type is not QuestionType.GENERAL  # "none of that helps, what else can I do for my back pain?"
    if pointer and len(question.interventions) < 2 and ":" not in first[pointer.end():] and not asks_its_own:
        return pointer.group(0)  # "are both ibuprofen and naproxen safe?" names them
    names_one = named or question.interventions or question.unknown_terms  # "something else that works like Ozempic?"
    if (other := _ELSE.search(first)) and not names_one and not _ELSE_THAN.search(first):
        # not "what else can I do for my back pain?", "what else helps besides ibuprofen?", nor
        # "my son has tried every drug. … What else can he try?", whose first sentence says what was tried
        return other.group(0)
    treated = _FOR_IT.search(text)
    if treated and not question.conditions and not any(_kind(c) == "condition" for c in question.context_concepts):
        return treated.group(0).strip(" ?.!")  # not "I was diagnosed with gout. Can I take ibuprofen for it?"
    return None


def _inherit(question: ClinicalQuestion, earlier: ClinicalQuestion, vocabulary: Vocabulary) -> None:
    added: list[Concept] = []
    named_nothing = not question.conditions and not question.interventions
    if not question.conditions:
        question.conditions = list(earlier.conditions)
        added += earlier.conditions
    if named_nothing:
        question.interventions = list(earlier.interventions)
        added += earlier.interventions
    question.focus = _distinct(question.focus + added)
    if question.question_type is QuestionType.GENERAL:
        question.question_type = earlier.question_type
    own = {p.key for p, _ in question.modifiers}
    question.modifiers += [(p, m) for p, m in earlier.modifiers if p.key not in own]
    flags = {m.key for m in question.red_flags}
    question.red_flags += [m for m in earlier.red_flags if m.key not in flags]
    question.inherited = [f"{c.name} (from “{earlier.text}”)" for c in added]
    question.inherited += [f"{p.label} (from “{earlier.text}”)" for p, m in earlier.modifiers if p.key not in own]
    if added:
        topic = " ".join(dict.fromkeys(c.matched_text for c in added))
        question.expanded = expand_query(f"{question.text} {topic}", vocabulary)


# "can pink eye cause swelling?", "does stress cause hives?": what follows "cause" is what is caused
_DOES_IT_CAUSE = re.compile(r"\b(?:can|could|does|do|did|will|would|might|may|is|are)\b[^?.]{1,60}?\b(?:cause|causes|causing|lead to|trigger|bring on)\b(?=\s+\w)", re.IGNORECASE)


def _caused(conditions: list[Concept], text: str) -> list[Concept]:
    """The conditions whose causes a question on causes asks (see :attr:`ClinicalQuestion.caused`)."""
    asks = _DOES_IT_CAUSE.search(text)
    if asks is None:
        return list(conditions)
    return [c for c in conditions if _position(c, text) >= asks.end()]


MAX_NARROWER_KINDS = 200
# How a condition runs, not another kind of it: "chronic bronchitis" is still bronchitis for "is there a
# treatment for bronchitis?" (the answer's population notes say when it is chronic)
_COURSE = frozenset("chronic acute subacute severe mild moderate recurrent persistent intractable".split())


def _longer_names_not_asked(conditions: list[Concept], text: str, vocabulary: Vocabulary) -> tuple[str, ...]:
    """The names that end with one of a condition's names but are not its own: its narrower kinds
    ("white coat hypertension" under Hypertension, MeSH names and entry terms) and other things the
    vocabulary names so ("Q fever", "hay fever" for a fever); except those whose every word the
    question uses.  As lookup keys (:func:`~evidex.search.vocab.normalise`), the form a sentence is
    compared in."""
    asked = set(normalise(text).split())
    longer: dict[str, None] = {}
    for condition in conditions:
        descriptor = vocabulary.descriptor(condition.ui) if condition.ui else None
        own = {normalise(n) for n in [*concept_names(condition), *(descriptor.entry_terms if descriptor else ())]}
        names = {n for n in own if len(n) > 3}
        narrower = vocabulary.narrower_terms(condition.ui, limit=MAX_NARROWER_KINDS) if condition.ui else ()
        for phrase in [*narrower, *(p for n in names for p in vocabulary.longer_names(n))]:
            if phrase not in own and any(phrase.endswith(" " + n) for n in names) and phrase.split()[0] not in _COURSE \
                    and not set(phrase.split()) <= asked:
                longer[phrase] = None
    return tuple(longer)


def _narrower_names(concept: Concept, vocabulary: Vocabulary) -> list[str]:
    """Narrower MeSH names, except single everyday words ("Suggestion" under Psychotherapy
    would make any sentence that "suggests" something a mention of talk therapy)."""
    names = vocabulary.narrower(concept.ui) if concept.ui else []
    return [n for n in names if len(n.split()) > 1 or not vocabulary.is_common_word(n.lower())]


def _is_the_topic(matched: str, concepts: list[Concept]) -> bool:
    """A modifier that names the question's only condition ("metformin for type 2 diabetes")
    or only treatment ("blood thinners for AF") is what the question is about, not a detail
    of the patient.  Named means one phrase contains the other, not a shared word
    ("kidney disease" is a detail in a question about heart disease, and "after heart failure
    surgery" one in a question about heart failure)."""
    phrase = matched.lower()

    def names(concept: Concept) -> bool:
        text = concept.matched_text.lower()
        return phrase in text or (text in phrase and len(text.split()) * 3 >= len(phrase.split()) * 2)

    named = [c for c in concepts if names(c)]
    return bool(named) and len(named) == len(concepts)


def _found(patterns: tuple[PatternSet, ...], text: str) -> list[tuple[PatternSet, str]]:
    found = []
    for pattern in patterns:
        matched = pattern.find(text)
        if matched:
            found.append((pattern, matched))
    return found


def concept_names(concept: Concept) -> list[str]:
    """Every name a source may use for ``concept`` (not the everyday word that named it in the
    question when that word alone means something else: "cold" in "heat and cold therapy")."""
    typed = [] if concept.ambiguous else [concept.matched_text]
    return [concept.name, *typed, *concept.synonyms]


def _phrases(concept: Concept) -> list[frozenset[str]]:
    return [phrase for name in concept_names(concept) if (phrase := concept_phrase(name))]


def _topic(question: ClinicalQuestion) -> Topic:
    """What a finding must mention.  For a question about a drug (its dose, side effects,
    interactions …) every drug asked about is an anchor that each finding must name; otherwise
    at least one of the focus conditions is required; the other concepts add weight."""
    concepts = question.expanded.concepts if question.expanded else []
    main = question.main_conditions
    if not main:
        # A consumer-health topic with no MeSH heading ("fractures") is nearly always a condition.
        main = [c for c in concepts if c.source == "lay" and not c.tree_numbers and c not in question.context_concepts]
    anchors = []
    unknown = [[concept_phrase(t)] for t in question.unknown_terms]
    if question.question_type is QuestionType.COMPARISON:
        # a comparison is answered by a sentence that names what is compared
        compared = question.interventions if len(question.interventions) + len(unknown) >= 2 else question.conditions
        anchors = [_phrases(c) for c in compared] + unknown if len(compared) + len(unknown) >= 2 else []
        main = [] if anchors else main
    elif question.question_type.about_a_drug:
        anchors = [_phrases(c) for c in question.interventions] + unknown
        if question.question_type is QuestionType.CONTRAINDICATIONS and question.conditions:
            anchors.append([p for c in question.conditions for p in _phrases(c)])  # any one of them
        main = [] if anchors else main
    if unknown and not anchors and not main:
        anchors = unknown  # a question about something only its own words name must name it
    if not anchors and not main:
        main = [c for c in question.focus if c not in question.context_concepts]
    others = [c for c in concepts if c not in main and c not in question.context_concepts]
    return Topic(
        required=[_phrases(c) for c in main],
        optional=[_phrases(c) for c in others],
        words=crude_stems(" ".join(question.expanded.terms) if question.expanded else question.text),
        anchors=anchors,
    )
