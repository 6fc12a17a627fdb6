"""One question through every step: understand → retrieve → appraise →
compose → verify.  Rendering and publishing take the :class:`Answer` from here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from importlib.metadata import version

from evidex.answer.appraise import (
    Finding,
    SentenceSplitter,
    extract_findings,
    indirect_findings,
    rank_by_relevance,
    treatment_phrases,
    urgent_advice,
)
from evidex.answer.asking import states_aspect
from evidex.answer.compose import (
    about_all_of_it,
    as_typed,
    add_urgent_advice,
    asks_in_pregnancy,
    about_the_treatment,
    bottom_line,
    draft_answer,
    may_be_the_bottom_line,
    number_references,
    reference_for,
    section_for,
    speaks_of_pregnancy,
    treatment_gap,
    verdict_for,
)
from evidex.answer.llm import ChatClient, rewrite_claims
from evidex.answer.plain import PlainLanguage, fit_reading_grade, reading_grade
from evidex.answer.red_flags import evidence_caveat, urgent_notice, when_to_get_help
from evidex.answer.relevance import (
    RelevanceModel,
    about_the_focus,
    answers_what_it_is,
    defines_focus,
    dictionary_entry_for,
    says_what_focus_is,
    shipped_model,
    title_asks,
    title_names_focus,
)
from evidex.answer.types import Answer, LiveSearch, Note, Provenance, Reference, Section, Verdict
from evidex.answer.understand import (
    Audience,
    ClinicalQuestion,
    QuestionType,
    understand,
)
from evidex.answer.verify import verify_answer
from evidex.evidence.documents import Document, EvidenceKind
from evidex.evidence.sources.nci_dictionary import NCI_DICTIONARY_SOURCE, entry_id
from evidex.evidence.store import SearchFilters, SQLiteStore
from evidex.search.retrieve import ScoreParts, Searcher, SearchHit
from evidex.settings import Settings

DISCLAIMER = (
    "evidex summarises published evidence for education and to support, not replace, professional judgement. "
    "It is not medical advice. Check each cited source, its date and its applicability to the individual patient. "
    "Generated {date}."
)
MIN_TOPICAL = 0.34
# Words that find answers of each kind; the focus's names come before them in the query.
SEARCH_TERMS: dict[QuestionType, str] = {
    QuestionType.TREATMENT: "treatment", QuestionType.DOSE: "dose dosage", QuestionType.SIDE_EFFECTS: "side effects adverse effects",
    QuestionType.INTERACTIONS: "interaction", QuestionType.CONTRAINDICATIONS: "safety contraindications",
    QuestionType.USAGE: "used for indications", QuestionType.STOPPING: "stopping tapering withdrawal",
    QuestionType.MECHANISM: "mechanism of action", QuestionType.CAUSE: "causes", QuestionType.SYMPTOMS: "symptoms signs",
    QuestionType.DIAGNOSIS: "diagnosis tests", QuestionType.PROGNOSIS: "prognosis outlook", QuestionType.PREVENTION: "prevention",
    QuestionType.RISK: "risk factors", QuestionType.INHERITANCE: "inheritance genetic", QuestionType.COMPLICATIONS: "complications",
    QuestionType.FREQUENCY: "prevalence how common", QuestionType.DEFINITION: "", QuestionType.COMPARISON: "compared",
    QuestionType.GENERAL: "",
}


# "CHA2DS2-VASc = 0: No antithrombotic therapy …": a row for one group of patients
_SUBGROUP_LABEL = re.compile(r"^[^.:]{1,60}(?:=|[<>≤≥])[^.:]{0,20}:")
# Advice topics chosen by who the patient is, written for that patient ("if a child has a rash
# that does not fade"): not a clinician's when a condition's own advice is meant.
_PATIENT_GROUP_TOPICS = frozenset({"child", "pregnancy"})
# Words of a sentence that states a property asked about (see asking.asked_aspect)
ASPECT_TERMS = {"contagion": "contagious spread", "dependence": "addiction dependence abuse", "duration": "how long last",
                "timing": "days weeks hours", "schedule": "morning evening bedtime food meals"}
ASPECT_ASKED = {"contagion": "whether {topic} is contagious", "dependence": "whether {topic} is addictive",
                "duration": "how long {topic} lasts", "timing": "how soon or how long, for {topic}",
                "schedule": "when in the day, or whether with food, to take {topic}"}
DICTIONARY_ENTRIES = 5  # a dictionary's entries looked up for "what is naproxen?", "what is the diflucan for?"
CLOSEST_SOURCES = 3  # sources listed when evidex abstains, for the reader to look at
USUAL_TREATMENTS = 3  # sentences on how the condition is treated, when the treatment asked about is never mentioned
_NOT_UNDERSTOOD = (
    "evidex could not tell what this question is about: it names no condition, drug, test or procedure "
    "that its vocabulary knows. If it follows an earlier question (\"is it contagious?\"), ask it as a "
    "follow-up of that question, or name the condition or drug."
)
_CONTINUES_EARLIER = (
    "This question seems to continue an earlier one (“{words}”), which evidex was not given, so it cannot "
    "tell what it is about. Ask it as a follow-up of that question, or name the condition and the treatment "
    "or test it is about."
)
# Why a question only a study asking it could answer was not answered (see ClinicalQuestion.answered_only_by_its_study)
_UNREAD = (
    "evidex did not recognise what this question asks about {named}: it reads questions on a treatment, its dose, uses,"
    " side effects and interactions, stopping it and how it works, comparisons, and a condition's symptoms, causes,"
    " tests, risk, prevention, complications and outlook. No study or review in the index asks this question itself,"
    " and a sentence that merely mentions {named} would answer something else. {searched}."
)
_FOR_WHAT = (
    "This question asks whether {named} would help, but evidex recognised no condition or symptom it would be for,"
    " and no study or review in the index asks the question itself: what a treatment does depends on the condition."
    " {searched}. Naming the condition or symptom may help."
)
_FOR_ANIMALS = (
    "This question is about an animal ({animal}). evidex's sources are on human medicine, and what is safe for a person "
    "can be harmful to an animal. Ask a veterinarian."
)


@dataclass
class Engine:
    """Everything ``ask`` needs, loaded once and reused across questions."""

    store: SQLiteStore
    searcher: Searcher
    plain: PlainLanguage
    settings: Settings
    splitter: SentenceSplitter
    llm: ChatClient | None = None
    relevance_model: RelevanceModel | None = None  # None: the model shipped in the package, loaded on first use

    def ask(
        self,
        question: str,
        audience: Audience = "clinician",
        filters: SearchFilters | None = None,
        earlier: Sequence[str] = (),
        fetch: Callable[[ClinicalQuestion], LiveSearch] | None = None,
    ) -> Answer:
        """Answer ``question``; ``earlier`` holds the conversation's previous questions, oldest first.
        ``fetch`` adds evidence for the understood question to the store before retrieval (live PubMed)."""
        parsed = None
        for text in [*earlier, question]:
            parsed = understand(text, self.searcher.vocabulary, audience, parsed)
        assert parsed is not None
        if not parsed.understood:
            return self._not_answered(parsed, filters, _NOT_UNDERSTOOD)
        if parsed.continues:
            return self._not_answered(parsed, filters, _CONTINUES_EARLIER.format(words=parsed.continues))
        if parsed.animal:
            return self._not_answered(parsed, filters, _FOR_ANIMALS.format(animal=parsed.animal))
        live = fetch(parsed) if fetch is not None else None
        hits, searched = self.retrieve(parsed, filters)
        findings = self.select(parsed, hits)
        if asks_in_pregnancy(parsed):
            # what is first-line for adults at large may be wrong in pregnancy or breastfeeding (thiazides for high
            # blood pressure, GLP-1 drugs for diabetes): only sentences or sources that speak of them answer for them
            findings = [f for f in findings if speaks_of_pregnancy(f)]
        gap = treatment_gap(parsed, findings)  # on every finding: whether any names the treatment
        if not any(may_be_the_bottom_line(parsed, f) for f in findings):
            findings = []  # only pages on other conditions mention it: the corpus does not answer this
        if parsed.yes_no and len(parsed.focus_phrases) > 1 and not any(about_all_of_it(parsed, f) for f in findings):
            findings = []  # "is citalopram an SNRI?" is not answered by a sentence on SNRIs that never names citalopram
            # a treatment question says so, and shows what sources on the condition say of that treatment
            # elsewhere; one that names no condition ("will Tylenol or Advil help?") has none to show
            # (not one on when to take a drug: none that says so is a gap in the evidence on the drug)
            gap = gap or (treatment_gap(parsed, findings) and not parsed.treatment_for_nothing_named and parsed.aspect != "schedule")
        indirect = indirect_findings(parsed, hits, self.splitter) if gap else []
        usual = self.usual_treatments(parsed, filters) if gap and not indirect else []
        answer = self._compose(parsed, findings, gap, indirect, hits, searched, filters, usual)
        answer, report = verify_answer(answer, self.store)
        provenance = answer.provenance.model_copy(
            update={
                "claims_checked": report.checked,
                "claims_removed": [f"{why}: {text}" for text, why in report.removed],
                "live_search": live,
            }
        )
        # a section whose every claim failed verification or was left out for readability says nothing
        sections = [section for section in answer.sections if section.claims or section.notes]
        answer = answer.model_copy(update={"provenance": provenance, "sections": sections})
        if not answer.claims():
            return _abstain(answer, searched, parsed, hits)
        if self.llm is not None:
            answer = self._reword(answer)
        grade = reading_grade([claim.text for claim in answer.claims()])
        return answer.model_copy(update={"reading_grade": grade})

    def select(self, parsed: ClinicalQuestion, hits: list[SearchHit]) -> list[Finding]:
        """The sentences of ``hits`` that answer this kind of question about this focus, the most
        relevant first."""
        candidates = [f for f in extract_findings(parsed, hits, self.splitter) if f.topical >= MIN_TOPICAL]
        # the learned model's threshold: see evidex/data/models/relevance.json for its precision on held-out topics
        model = self.relevance_model or shipped_model()
        ranked = rank_by_relevance(parsed, candidates, model)
        defining = parsed.question_type is QuestionType.DEFINITION
        findings = [
            f for f in ranked
            if (f.relevance >= model.threshold or (states_aspect(parsed.aspect, f.text) and f.names_all)
                or answers_what_it_is(parsed, f.text, f.document.source))
            and about_the_focus(parsed, f.candidate()) and dictionary_entry_for(parsed, f.document)
        ]
        findings = [f for f in findings if about_the_treatment(parsed, f)]
        if defining:
            # "what is X?" is answered by what X is; sentences that only mention X do not answer it
            findings = (
                [f for f in findings if defines_focus(parsed, f.text, f.document.source)]
                or [f for f in findings if says_what_focus_is(parsed, f.text)]
            )
        return findings

    def usual_treatments(self, parsed: ClinicalQuestion, filters: SearchFilters | None) -> list[Finding]:
        """How the sources treat the question's condition, for a question on a treatment of it that
        they never mention ("is vitamin C given for chickenpox?"): the answer to the question evidex
        asks itself, "How is chickenpox treated?"."""
        conditions = parsed.main_conditions
        if not conditions or parsed.modifiers:
            return []  # what suits the patient's group ("during pregnancy") is not the general treatment
        asked = understand(
            f"How is {' and '.join(c.matched_text for c in conditions)} treated?", self.searcher.vocabulary, parsed.audience
        )
        if asked.question_type is not QuestionType.TREATMENT or {c.ui for c in asked.conditions} != {c.ui for c in conditions}:
            return []
        hits, _ = self.retrieve(asked, filters)
        floor = (self.relevance_model or shipped_model()).claim_threshold
        findings = [
            f for f in self.select(asked, hits)
            if may_be_the_bottom_line(asked, f) and f.relevance >= floor and section_for(f, asked) != "avoid"
            and not _SUBGROUP_LABEL.match(f.text)
        ]
        best = bottom_line(asked, findings)  # that question's own answer first, then the most relevant
        return ([best] if best else []) + sorted((f for f in findings if f is not best), key=lambda f: -f.relevance)[: USUAL_TREATMENTS - 1]

    def _not_answered(self, question: ClinicalQuestion, filters: SearchFilters | None, reason: str) -> Answer:
        """An answer that says why evidex does not look this question up (it names nothing evidex
        knows, or it is about an animal), keeping any urgent notice."""
        answer = self._compose(question, [], False, [], [], [], filters)
        urgent = [s.model_copy(update={"claims": []}) for s in answer.sections if s.notes and s.key in ("urgent", "escalate")]
        return answer.model_copy(
            update={"abstained": True, "abstain_reason": reason, "sections": urgent, "references": [], "verdict": None}
        )

    def _reword(self, answer: Answer) -> Answer:
        """Let the LLM reword verified claims; each rewrite is checked, failures keep the source wording."""
        assert self.llm is not None
        answer, report = rewrite_claims(answer, self.llm, self.settings.llm.max_new_words)
        provenance = answer.provenance.model_copy(
            update={
                "mode": f"extractive, reworded by {report.model}" if report.accepted else "extractive",
                "llm_model": report.model,
                "llm_rewrites": report.accepted,
                "llm_refused": [f"{why}: {text}" for text, why in report.refused],
                "llm_error": report.error,
            }
        )
        return answer.model_copy(update={"provenance": provenance})

    def retrieve(self, question: ClinicalQuestion, filters: SearchFilters | None) -> tuple[list[SearchHit], list[str]]:
        """The question itself; its focus with words of the kind of answer asked ("hydroxyzine
        cetirizine interaction"), which a long question full of background would drown; then one
        focused search per patient modifier and for red flags."""
        text = question.search_text
        topic = " ".join(c.matched_text for c in question.conditions) or text
        focus = " ".join(c.matched_text for c in question.conditions + question.interventions)
        treatment = " ".join(c.matched_text for c in question.interventions)
        asked = " ".join(filter(None, [*question.unknown_terms, *(c.name for c in question.focus),
                                       SEARCH_TERMS[question.question_type], ASPECT_TERMS.get(question.aspect or "")]))
        queries = [(text, 30)]
        if asked and asked != text:
            queries.append((asked, 20))
        elif focus and focus != text:
            queries.append((focus, 20))
        # The question's treatment with each condition alone: with every condition word in
        # one query, passages about the conditions outrank those about the treatment.
        if treatment and len(question.conditions) > 1:
            queries += [(f"{treatment} {c.matched_text}", 10) for c in question.conditions]
        for pattern, _ in question.modifiers:
            queries.append((f"{topic} {treatment} {' '.join(pattern.search_terms[:2])}".replace("  ", " "), 10))
        if question.red_flags:
            queries.append((f"{topic} red flags urgent referral", 10))
        # a dictionary says what a word means, and only that: "Severe itching may be a side effect of some
        # cancer treatments" does not say how itching is treated; it is looked up on its own, for what
        # something is or is for, so that its short entries never take the places of other passages
        filters = filters or SearchFilters()
        answers = replace(filters, exclude_sources=[*filters.exclude_sources, NCI_DICTIONARY_SOURCE])
        searches = [(query, k, answers) for query, k in queries]
        if question.audience == "patient":
            searches.append((text, 10, replace(answers, audience="consumer")))
        looks_up = question.asks_what_it_is and bool(question.focus) and NCI_DICTIONARY_SOURCE not in filters.exclude_sources \
            and (not filters.sources or NCI_DICTIONARY_SOURCE in filters.sources)
        if looks_up:
            dictionary = replace(filters, sources=[NCI_DICTIONARY_SOURCE])
            names = dict.fromkeys(name for c in question.focus for name in (c.matched_text, c.name))  # "Tylenol", "Acetaminophen"
            searches.append((" ".join(names), DICTIONARY_ENTRIES, dictionary))
        hits = _merge([self.searcher.search(query, query_filters, top_k=k).hits for query, k, query_filters in searches])
        if looks_up:
            hits = _merge([hits, self._dictionary_entries(names)])
        return hits, [q for q, _ in queries]

    def _dictionary_entries(self, names: Iterable[str]) -> list[SearchHit]:
        """The dictionary's entries under these names, looked up by term, as hits: a search for "cancer"
        among thousands of entries on cancers may miss the one on cancer itself."""
        ids = dict.fromkeys(entry_id(form) for name in names for form in (name, name.removesuffix("s")))  # "NSAIDs": "NSAID"
        entries = [d for d in map(self.store.get, ids) if d is not None and d.passages]
        return [SearchHit(d.passage_id(0), d, d.passages[0], ScoreParts()) for d in entries]

    def _compose(
        self,
        question: ClinicalQuestion,
        findings: list[Finding],
        gap: bool,
        indirect: list[Finding],
        hits: list[SearchHit],
        searched: list[str],
        filters: SearchFilters | None,
        usual: Sequence[Finding] = (),
    ) -> Answer:
        now = datetime.now(timezone.utc)
        # No yes or no on a treatment that no retrieved passage mentions: it would rest on another treatment.
        # The bottom line is the finding that best answers the question; a yes/no verdict may only
        # rest on that finding's own source, so that the two never disagree.
        chosen = None if gap else bottom_line(question, findings)
        same_source = [f for f in findings if chosen is not None and f.document.id == chosen.document.id]
        found = verdict_for(question, same_source, self.splitter) if same_source else None
        model = self.relevance_model or shipped_model()
        draft = draft_answer(
            question,
            findings,
            bottom=found[1] if found else chosen,
            indirect=indirect,
            min_relevance=model.claim_threshold,
            gap=gap,
            usual=usual,
        )
        quoted = [c.finding for claims in draft.sections.values() for c in claims]
        add_urgent_advice(draft, urgent_advice(quoted, self.splitter))
        if question.audience == "patient":
            draft = fit_reading_grade(self.plain.rewrite_draft(draft), treatment_phrases(question))
        sections, references = number_references(draft, now.year)
        if question.audience == "patient" or question.red_flags:
            # when to get help, for this question's topic and red flags, each line with its source
            advice = [Note(text=str(a)) for a in when_to_get_help(question.red_flags, question.help_topics)]
        elif not findings and question.question_type is QuestionType.TREATMENT and (topics := [
                t for t in question.help_topics if t not in _PATIENT_GROUP_TOPICS]):
            # a question on what to do that has nothing else to quote still gives its condition's
            # emergencies ("a seizure that lasts more than 5 minutes"), for clinicians too
            advice = [Note(text=str(a)) for a in when_to_get_help((), topics) if a.level == "emergency"]
        else:
            advice = []
        if advice:
            existing = next((s for s in sections if s.key == "escalate"), None)
            if existing:
                existing.notes.extend(advice)
                if question.audience == "patient":
                    existing.title = "When to get help"
            else:
                sections.append(Section(key="escalate", title="When to get help", notes=advice))
        if notice := urgent_notice(question.red_flags, question.audience):
            sections.insert(0, Section(key="urgent", title="Seek urgent care", notes=[Note(text=notice)]))
            caveat = Note(text=evidence_caveat(question.red_flags, question.audience))
            bottom = next((s for s in sections if s.key == "bottom_line"), None)
            if bottom is not None:
                bottom.notes.insert(0, caveat)
        verdict = None
        if found:
            value, finding = found
            number = next(r.number for r in references if r.doc_id == finding.document.id)
            verdict = Verdict(value=value, basis=finding.text, citations=[number])
        return Answer(
            question=question.text,
            audience=question.audience,
            question_type=question.question_type,
            yes_no=question.yes_no,
            topic=question.topic,
            focus=[*question.unknown_terms, *(c.name for c in question.focus)],
            patient_context=question.context.describe(),
            conditions=[c.name for c in question.conditions],
            interventions=[c.name for c in question.interventions],
            modifiers=[p.label for p, _ in question.modifiers],
            red_flags=[m.label for m in question.red_flags],
            inherited=question.inherited,
            verdict=verdict,
            sections=sections,
            references=references,
            disclaimer=DISCLAIMER.format(date=now.date().isoformat()),
            provenance=Provenance(
                question=question.text,
                searched=searched,
                filters=(filters.__dict__ if filters else {}),
                passages_considered=len(hits),
                settings_fingerprint=self.settings.fingerprint("search"),
                corpus_documents=self.store.count_documents(),
                generated_at=now.isoformat(timespec="seconds"),
                evidex_version=version("evidex"),
            ),
        )


def _merge(results: list[list[SearchHit]]) -> list[SearchHit]:
    """Hits of several searches, each passage once with its best score, best first."""
    merged: dict[str, SearchHit] = {}
    for hits in results:
        for hit in hits:
            if hit.passage_id not in merged or merged[hit.passage_id].parts.final < hit.parts.final:
                merged[hit.passage_id] = hit
    return sorted(merged.values(), key=lambda h: h.parts.final, reverse=True)


def _closest(question: ClinicalQuestion, hits: list[SearchHit], year: int) -> list[Reference]:
    """The sources on what was asked (a page or guideline on it, a study whose title names it) that the
    search ranked highest, one entry each: where a reader may look when evidex found nothing that
    answers the question ("Valley fever" is not a page on fever)."""
    documents: dict[str, Document] = {}
    for hit in hits:  # one entry per page (a health site's questions on one topic share its address)
        document = hit.document
        if document.kind in (EvidenceKind.CONSUMER, EvidenceKind.GUIDELINE):
            on_it = title_names_focus(question, document)
        else:  # a study that asks the question, not one on blood loss in hip surgery that names ibuprofen
            on_it = document.kind is not EvidenceKind.OTHER and title_names_focus(question, document) and title_asks(question, document.title)
        if on_it:
            documents.setdefault(document.url or document.id, document)
    return [reference_for(document, number, year) for number, document in enumerate(list(documents.values())[:CLOSEST_SOURCES], 1)]


def _abstain(answer: Answer, searched: list[str], question: ClinicalQuestion, hits: list[SearchHit]) -> Answer:
    asked = f"the {question.question_type.label} of {question.topic}" if question.question_type is not QuestionType.GENERAL else question.topic
    if question.question_type is QuestionType.DEFINITION:
        asked = f"what {question.topic} is"
    if asks_in_pregnancy(question):  # the sources on the topic do not speak of pregnancy
        asked += " in pregnancy or breastfeeding"
    if question.aspect:
        topic = question.topic
        if question.aspect == "contagion" and not (question.conditions or question.unknown_terms):
            # "still contagious after 24 hours of antibiotics?", "is the chickenpox vaccine contagious?"
            topic = f"the condition (or {topic})" if question.focus else "the condition (the question names none)"
        if question.aspect == "schedule":  # the drug taken, as the question names it, not what it is taken for
            drugs = [as_typed(c.matched_text) for c in question.interventions if any(t.startswith("D") for t in c.tree_numbers)]
            topic = ", ".join(drugs + question.unknown_terms) or topic
        asked = ASPECT_ASKED[question.aspect].format(topic=topic)
    where = "Searched for: " + "; ".join(f"“{q}”" for q in searched) + f" across {answer.provenance.corpus_documents:,} documents"
    named = " and ".join(dict.fromkeys([as_typed(c.matched_text) for c in question.focus] + question.unknown_terms))
    if question.unread:
        reason = _UNREAD.format(named=named, searched=where)
    elif question.treatment_for_nothing_named:
        reason = _FOR_WHAT.format(named=named, searched=where)
    else:
        reason = f"The indexed evidence does not answer this question ({asked}). {where}; no passage stated a finding that answers it."
    urgent = [s.model_copy(update={"claims": []}) for s in answer.sections if s.notes and s.key in ("urgent", "escalate")]
    # where evidex cannot tell what is asked of the topic, a source on the topic is no nearer an answer
    unclear = question.unread or question.treatment_for_nothing_named or question.names_only_a_part
    closest = [] if unclear else _closest(question, hits, datetime.now(timezone.utc).year)
    return answer.model_copy(
        update={"abstained": True, "abstain_reason": reason, "sections": urgent, "references": [], "verdict": None,
                "closest": closest}
    )
