"""How a yes/no question is asked: the cues of its wording that decide which way a finding
answers it ("really", "as effective as", "pose a risk", "type 1").  Read once, by
:mod:`evidex.answer.understand`; :mod:`evidex.answer.verdict` weighs sentences against them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from evidex.answer.words import crude_stems

# "Is X …?" without a leading auxiliary: "Aripiprazole: a new risk factor for pathological gambling?"
_WH = re.compile(r"\b(what|which|who|whom|whose|when|where|why|how)\b", re.IGNORECASE)
UP = re.compile(
    r"\b(increas\w*|higher|more|greater|improv\w*|better|longer|elevat\w*|rais\w*|enhanc\w*|superior|gain\w*|"
    r"favou?rable|induc\w*|promot\w*|stimulat\w*|activat\w*|accelerat\w*|upregulat\w*)\b",
    re.IGNORECASE,
)
DOWN = re.compile(
    r"\b(decreas\w*|lower(?:ed|ing|s)?(?! (?:limbs?|extremit\w*|gastro\w*|gi|urinary|back|respiratory|legs?|abdom\w*|"
    r"lobes?|body|segment|jaw|lip|eyelid))|less|fewer|reduc\w*|declin\w*|worse|shorter|diminish\w*|inferior|loss|poor\w*|"
    r"unfavou?rable|inhibit\w*|suppress\w*|attenuat\w*|impair\w*|delay\w*|downregulat\w*)\b",
    re.IGNORECASE,
)
_Q_DOUBT = re.compile(
    r"\b(really|necessary|necessity|needed|need|always|mandatory|routine\w*|worth\w*|justif\w*|required|essential|"
    r"still|only|all|sufficient|adequate\w*|enough|myth|contraindicat\w*|truly|actually|indispensable|obligatory|"
    r"must|overrated|any|waste|unnecessary|obsolete|overus\w*|should we care)\b",
    re.IGNORECASE,
)
# Asks whether one thing matches or can stand in for another: "similar outcomes" answers yes.
_Q_SAME = re.compile(
    r"\b(similar|same|equivalent|comparable|equal\w*|as (?:safe|effective|good|accurate) as|alike|non-?inferior|"
    r"interchangeabl\w*|substitut\w*|instead of|omit\w*|reflect\w*)\b",
    re.IGNORECASE,
)
_Q_DIFFER = re.compile(r"\b(?:differ\w*|vary|varies|better|superior|inferior|advantage\w*|versus|vs|compared (?:with|to))\b", re.IGNORECASE)
_Q_NEGATION = re.compile(r"\b(?:not|never)\b|n't\b|\b(?:is|are|was|were) there no\b", re.IGNORECASE)
_Q_HARM = re.compile(
    r"\b(?:pose[sd]? (?:a |an |any )?(?:\w+ )?(?:risk|threat|danger|hazard)|(?:increase\w*|raise\w*|higher|greater|"
    r"elevat\w*|excess|more) (?:\w+ ){0,2}risks?|risk factors?|at (?:\w+ )?risk|harm\w*|danger\w*|unsafe|"
    r"hazard\w*|toxic\w*|detrimental|deleterious|risky|adverse|complications?|side[- ]effects?|"
    r"(?:cause|lead to|result in)s? (?:\w+ ){0,2}(?:damage|injury|harm))\b",
    re.IGNORECASE,
)
NUMBER = re.compile(r"\d+(?:\.\d+)?")
_SEX = re.compile(r"\b(wom[ae]n|m[ae]n|females?|males?|girls?|boys?)\b", re.IGNORECASE)
_Q_RECOMMENDATION = re.compile(r"\b(?:should|recommend\w*|indicated|advis\w*|offer\w*|first[- ]line)\b", re.IGNORECASE)
_Q_SAFETY = re.compile(r"\b(?:safe(?:ly|ty)?|well[- ]tolerated)\b", re.IGNORECASE)
_Q_BENEFIT = re.compile(r"\b(?:reduc\w*|lower\w*|decreas\w*|prevent\w*|protect\w*|minimi[sz]\w*) (?:\w+ ){0,3}(?:risks?|complications?|harm|adverse|toxicity|side[- ]effects?)\b", re.IGNORECASE)

GENERIC_WORDS = frozenset(crude_stems(
    "is are was were does do did can could should will would may might there their patients patient study "
    "really always any all still new use used using effect effects risk role"
))


def is_yes_no(text: str, flagged: bool) -> bool:
    """A yes/no question: flagged by :mod:`evidex.answer.understand` (leading auxiliary), or a
    question ending in "?" that asks no wh-question ("Aripiprazole: a risk factor for gambling?")."""
    text = text.strip()
    return flagged or (text.endswith("?") and not _WH.search(text))


@dataclass(frozen=True)
class QuestionCues:
    """How a yes/no question is asked, read once from its text by :func:`question_cues`."""

    stems: frozenset[str]  # its own words, without the generic ones
    doubt: bool  # "really", "necessary", "routine", "always": a plain positive finding does not answer it
    same: bool  # "similar", "as effective as", "instead of" (and not "better"): "no difference" answers yes
    differ: bool  # "better", "differ", "versus": "similar" or "as good as" answers no
    harm: bool  # "pose a risk", "increased risk", "risk factor", "harmful": "low risk" answers no
    safety: bool  # "safe", "safely": "low risk" answers yes, "increased risk" no
    negated: bool  # "Is X not …?": too easily answered the wrong way round
    recommendation: bool  # "should", "recommended", "indicated": a recommendation answers it
    groups: frozenset[str]  # the sexes it names: a finding "in women" answers a question about women
    numbers: frozenset[str]  # "type 1", "stage 3", "aged 40 to 49": a sentence on type 2 diabetes does not answer it
    up: bool  # asks about more, higher, better
    down: bool  # asks about less, lower, fewer


def question_cues(text: str) -> QuestionCues:
    """The cues of a question's wording that decide which way a finding answers it."""
    harm = bool(_Q_HARM.search(text)) and not _Q_BENEFIT.search(text)
    return QuestionCues(
        stems=frozenset(crude_stems(text) - GENERIC_WORDS),
        doubt=bool(_Q_DOUBT.search(text)),
        same=bool(_Q_SAME.search(text)) and not _Q_DIFFER.search(text),
        differ=bool(_Q_DIFFER.search(text)),
        harm=harm,
        safety=bool(_Q_SAFETY.search(text)) and not harm,
        negated=bool(_Q_NEGATION.search(text)),
        recommendation=bool(_Q_RECOMMENDATION.search(text)),
        groups=sex_groups(text),
        numbers=frozenset(NUMBER.findall(text)),
        up=bool(UP.search(text)),
        down=bool(DOWN.search(text)),
    )


# A property of the focus a question asks for that no answer type names: whether it spreads from
# person to person, whether one can come to depend on it, how long it lasts, how soon it works.  The relevance model
# learned answer types from consumer pages, which have no heading for any of them, so a sentence
# that states the property is looked for.
_OTHERS = (r"(?:others|other people|another person|people|someone|somebody|my (?:\w+ )?(?:family|partner|husband|wife|"
           r"spouse|boyfriend|girlfriend|kids?|children|child|son|daughter|baby|grandson|granddaughter|friends?|roommate|"
           r"coworkers?|colleagues?))")
# A time of day or a meal a drug is taken at or with ("at bedtime", "with food", "on an empty stomach")
_WHEN_TAKEN = (r"(?:(?:at|in the|at the|before|after|during the)\s+(?:morning|night|nighttime|evening|bedtime|day ?time)|"
               r"with(?:out)? (?:food|meals?|a meal|milk|breakfast|juice|orange juice)|on an empty stomach|"
               r"(?:before|after) (?:meals?|a meal|eating|breakfast|food|bed))\b")
# Asking whether or how to take it: "should I take", "is it better to take", "do I need to take", "can he use"
_ASKING_TO_TAKE = (r"(?:should|shall|do|does|can|could|must|would|will) (?:i|you|we|he|she|they|it)(?: \w+)?? (?:take|use|give)|"
                   r"(?:is it|is it ok|is it okay) (?:better|best|ok|okay|fine|safe)? ?to (?:take|use|give)|"
                   r"(?:do|does|will|would) (?:i|you|we|he|she|they|it) (?:need|have) to (?:take|use|give|be taken)|"
                   r"(?:should|can|must|does|do|is|are) (?:it|they|this|these|\w+) (?:\w+ )?(?:need to )?be (?:taken|given)")
_ASPECTS: dict[str, re.Pattern] = {
    "contagion": re.compile(
        r"\b(?:contagious|catching|infect(?:ious|ive) (?:to|for)|catch(?:ing)? it|"
        rf"(?:spread|pass|give) (?:\w+ ){{0,3}}?(?:on )?to {_OTHERS}|"  # of a drug, "give it to my son" is not: see understand
        # "could I have gotten strep from my partner?" (not "did I get my asthma from my dad?": inherited)
        rf"(?:catch|caught|get|got|gotten|pick(?:ed)? up) (?:\w+ ){{1,4}}from {_OTHERS})\b",
        re.IGNORECASE,
    ),
    # "is tramadol addictive?", "are benzodiazepines habit-forming?" (not "I'm addicted to alcohol")
    "dependence": re.compile(r"\b(?:addictive|habit[- ]forming|(?:get|become|be|getting) (?:addicted|hooked|dependent))\b", re.IGNORECASE),
    "duration": re.compile(
        r"\bhow (?:long|many days|many weeks) (?:\w+ ){1,5}?(?:last|lasts|go away|heal|clear up|get better|recover|be sick)\b|"
        r"\bwhen (?:will|does|should) (?:it|this|that|the \w+|my \w+) (?:go away|get better|clear up|heal)\b",
        re.IGNORECASE,
    ),
    # how soon something takes effect: "how long until the amox works?", "how long does it take to kick in?"
    # (not "how soon should I see a doctor?", nor "how soon can I go back to work?"; see _HOW_LONG_TO_TREAT)
    "timing": re.compile(
        r"\bhow (?:long|soon|quickly|fast) (?:\w+ ){0,8}?(?:(?<!back )(?<!return )(?<!returning )(?<!go )(?<!going )(?<!get )to work|"
        r"(?<!to )(?<!at )(?<!off )(?<!from )(?<!of )works?|start(?:s|ing)? (?:to )?work\w*|working|kicks? in|takes? effect|starts? to (?:help|reduce|ease|improve|clear)|"
        r"feel better|relief|improve|get rid of)\b|"
        # "when will the antibiotics start working?", "how many days until amoxicillin works?"
        r"\bwhen (?:will|does|do|should|would) (?:\w+ ){1,6}?(?:start(?:s)? (?:to )?work\w*|kicks? in|takes? effect)\b|"
        r"\bhow many (?:hours|days|weeks) (?:until|till|before) (?:\w+ ){0,4}?(?:works?|starts? working|kicks? in|takes? effect)\b",
        re.IGNORECASE,
    ),
    # when in the day, or how with meals, a drug is taken, asked as a question: "what time of day is best for taking
    # Lexapro?", "should I take it at night or in the morning?", "does amoxicillin need to be taken with food?",
    # "when should I take the Prozac?" (not "I take metformin with food but still get diarrhea", which says
    # what is done, nor "when should I take antibiotics?", which asks in what case)
    "schedule": re.compile(
        rf"\bwhat time (?:of (?:the )?day )?(?:\w+ ){{0,4}}?(?:take|taking|give|use)\b|"
        rf"\b(?:best|better|right) time (?:of (?:the )?day )?(?:\w+ ){{0,2}}?(?:to|for) (?:take|taking|give|use)\b|"
        rf"\b(?:{_ASKING_TO_TAKE})\b(?:\s+[\w'-]+){{0,5}}?\s+(?:{_WHEN_TAKEN}|(?:morning|night|evening) or (?:at |in the )?(?:morning|night|evening)\b)|"
        r"\bwhen (?:should|do) (?:i|you|we|he|she) take (?:the|my|his|her) [\w-]+\W*$",
        re.IGNORECASE,
    ),
}
# "how long do I take amoxicillin?", "how long will I have to take antibiotics to get rid of it?": how
# long to treat, which a dose or a guideline answers, not how soon it works
_HOW_LONG_TO_TREAT = re.compile(
    r"\b(?:(?:have|need|got) to (?:take|use|keep|stay|continue)|(?:should|do|must|can) (?:i|you|we|he|she|they) "
    r"(?:take|use|keep|stay|continue)|keep (?:taking|using)|stay on|continue (?:taking|using))\b",
    re.IGNORECASE,
)
# How long something lasts: "last 2 to 14 days", "within 3 to 5 weeks, the lesions heal"
_LASTING = r"(?:last|lasts|lasted|lasting|go(?:es)? away|gone|clear(?:s|ed)? up|resolve[sd]?|heal(?:s|ed)?|subside[sd]?|get(?:s)? better|recover\w*)"
_SPAN = (r"(?:\d+|one|two|three|four|five|six|seven|ten|a few|several)\s*(?:(?:to|-|–|or)\s*(?:\d+|\w+)\s*)?"
         r"(?:hours?|days?|weeks?|months?|years?)")
# When a treatment takes effect: "improve within 2 to 3 days", "may take 4 to 6 weeks to work".  How a
# condition runs ("the pain usually clears up in a few weeks") says so only of a treated one.
_TAKES_EFFECT = r"(?:to work|working|take effect|takes effect|kicks? in|improv\w*|better|reliev\w*|relief|respon\w*)"
_RESOLVES = r"(?:resolv\w*|heal(?:s|ed|ing)?|clears? up|go(?:es)? away|subside[sd]?)"
_TREATED = re.compile(r"\b(?:treat\w*|therap\w*|medicines?|medications?|drugs?|antibiotics?|doses?|injections?|pills?|tablets?)\b",
                      re.IGNORECASE)
_UNTREATED = re.compile(r"\b(?:without treatment|untreated|on (?:its|their) own|by (?:itself|themselves))\b", re.IGNORECASE)
# a time after which ("within 2 to 3 days", "may take 4 to 6 weeks"), not how long something is done ("a 12-week programme")
_WHEN = (rf"(?:(?:within|after|in|take|takes|taking)\s+(?:about |around |up to |at least |as little as |only |the first )?"
         rf"(?:{_SPAN}|a (?:day|week|month)(?: or two)?)|overnight)")
_TAKES_EFFECT_WHEN = re.compile(rf"\b{_TAKES_EFFECT}\b.{{0,60}}\b{_WHEN}\b|\b{_WHEN}\b.{{0,60}}\b{_TAKES_EFFECT}\b", re.IGNORECASE)
_RESOLVES_WHEN = re.compile(rf"\b{_RESOLVES}\b.{{0,60}}\b{_WHEN}\b|\b{_WHEN}\b.{{0,60}}\b{_RESOLVES}\b", re.IGNORECASE)
_STATES: dict[str, re.Pattern] = {
    # from one person to another, not through the body ("spread to other organs", "nerve impulses")
    "contagion": re.compile(
        r"\b(?:contagious|catching|person[- ]to[- ]person|from one person to another|"
        r"(?:spread\w*|pass(?:es|ed)?|transmit\w*|caught|catch\w*) (?:\w+ ){0,4}?(?:to|from|between|among|through|by) "
        r"(?:other people|others|another person|a person|people|someone|close contact|direct contact|sexual contact|"
        r"contact with|the air|droplets|coughing|sneezing|saliva|sex|touching|kissing|infected people|an infected))",
        re.IGNORECASE,
    ),
    "dependence": re.compile(
        r"\b(?:addict\w*|habit[- ]forming|dependen(?:ce|cy|t)|abuse|misuse|withdrawal symptoms)\b", re.IGNORECASE
    ),
    "duration": re.compile(
        rf"\b{_LASTING}\b.{{0,60}}\b{_SPAN}\b|\b{_SPAN}\b.{{0,60}}\b{_LASTING}\b", re.IGNORECASE
    ),
    # a time or a meal next to taking the drug: "take it at bedtime", "is absorbed best on an empty stomach" (not
    # "stiffness is usually worse in the morning", nor "symptoms occur after meals")
    "schedule": re.compile(
        rf"\b(?:take|taken|taking|takes|give|given|dose[sd]?|administer\w*|swallow\w*|absorb\w*)\b.{{0,50}}?\b{_WHEN_TAKEN}|"
        r"\bsame time (?:each|every) day\b",
        re.IGNORECASE,
    ),
}


def asked_aspect(text: str) -> str | None:
    """"contagion" for "is it contagious?", "dependence" for "is it addictive?", "duration" for "how
    long does it last?", "timing" for "how soon will it work?", "schedule" for "should I take it at
    night or in the morning?", else None."""
    aspect = next((aspect for aspect, pattern in _ASPECTS.items() if pattern.search(text)), None)
    return None if aspect == "timing" and _HOW_LONG_TO_TREAT.search(text) else aspect


def states_aspect(aspect: str | None, text: str) -> bool:
    """Whether a sentence states the property ``aspect`` ("… which is highly contagious", "last 2 to 14 days")."""
    if aspect == "timing":  # not "continue for at least six months", nor "partners from the preceding 60 days"
        return not _UNTREATED.search(text) and bool(
            _TAKES_EFFECT_WHEN.search(text) or (_RESOLVES_WHEN.search(text) and _TREATED.search(text)))
    return aspect is not None and bool(_STATES[aspect].search(text))


def sex_groups(text: str) -> frozenset[str]:
    """The sexes a text names ("women", "males"), as "female" / "male"."""
    return frozenset("female" if re.match(r"wom|fem|gir", m.group(1), re.IGNORECASE) else "male" for m in _SEX.finditer(text))
