"""Evidence kind, sample size and retraction, on real bundled abstracts and on small made-up records."""

from __future__ import annotations

import time
from functools import lru_cache
from pathlib import Path

import pytest

import evidex
from evidex.evidence.classify import _CUES, classify, design_cues, evidence_kind, sample_size
from evidex.evidence.documents import Document, EvidenceKind, Passage
from evidex.evidence.sources import read_source

K = EvidenceKind
CORPUS = Path(evidex.__file__).parent / "data" / "corpus"
PUBMEDQA = "pubmed/pubmedqa_pqal_abstracts.jsonl"
PUBMEDRS = "pubmed/pubmedrs200_review_abstracts.jsonl"


@lru_cache(maxsize=None)
def bundled(name: str) -> dict[str, Document]:
    """Every document of one bundled corpus file, by id, read by evidex's own readers."""
    return {r.id: r for r in read_source(CORPUS / name) if isinstance(r, Document)}


def made_up(*sections: tuple[str, str], title: str = "A study", types: tuple[str, ...] = (), **fields) -> Document:
    """A small PubMed-like record with labelled abstract sections."""
    passages = [Passage(label=label, text=text) for label, text in sections]
    return Document(
        id="pmid:1", source="pubmed", title=title, passages=passages, publication_types=list(types), **fields
    )


# --------------------------------------------------------------------------- real abstracts


@pytest.mark.parametrize(
    ("file", "pmid", "kind", "size"),
    [
        # "416 patients … were randomly allocated to … placebo or … vitamin C"
        (PUBMEDQA, "17606778", K.RCT, 416),
        # "DESIGN: Prospective randomized study. PARTICIPANTS: Adult patients … (n = 240)"
        (PUBMEDQA, "12407608", K.RCT, 240),
        # randomised crossover trial stated in a BACKGROUND section that absorbed "STUDY:"
        (PUBMEDQA, "11500608", K.RCT, None),
        # "A prospective cohort of 481 newly confirmed TB patients"
        (PUBMEDQA, "27146470", K.COHORT, 481),
        # a cohort whose conclusion says "Randomized controlled trials are necessary": not an RCT
        (PUBMEDQA, "25985014", K.COHORT, 519),
        # "a representative cohort (N = 8655)"
        (PUBMEDQA, "9363529", K.COHORT, 8655),
        # "One thousand one hundred and two patients …": a number in words
        (PUBMEDQA, "23224030", K.COHORT, 1102),
        # "prospective non randomized observational cohort study", "Six hundred and twenty consecutive patients"
        (PUBMEDQA, "24267613", K.COHORT, 620),
        # "33 patients with pre-eclampsia and 32 normotensive pregnant patients as controls": the groups summed
        (PUBMEDQA, "25255719", K.CASE_CONTROL, 65),
        # "This was a cross-sectional study including 560 healthy women"
        (PUBMEDQA, "25475395", K.CROSS_SECTIONAL, 560),
        # compares the sample *of* an RCT with another sample; it is not itself an RCT
        (PUBMEDQA, "17335331", K.CROSS_SECTIONAL, 247),
        # a retrospective series of 25 patients treated one way
        (PUBMEDQA, "27818079", K.CASE_SERIES, 25),
        # "This case report presents …" one child
        (PUBMEDQA, "17279467", K.CASE_SERIES, 1),
        # the 8 patients described, not "a cohort of 166 pathological gamblers" they came from
        (PUBMEDQA, "24315783", K.CASE_SERIES, 8),
        # albino rats
        (PUBMEDQA, "18603989", K.OTHER, None),
        # PURPOSE / SUMMARY narrative review that cites case reports
        (PUBMEDQA, "21164063", K.NARRATIVE_REVIEW, None),
        # a meta-analysis found by its methods ("databases were searched", "DerSimonian-Laird");
        # "Seventeen trials with 20 960 patients": the total, with a space as thousands separator
        (PUBMEDQA, "26175531", K.SYSTEMATIC_REVIEW, 20960),
        # "Forty-nine studies, with a total of 36,123 patients"
        (PUBMEDRS, "35871179", K.SYSTEMATIC_REVIEW, 36123),
        # "Seventy RCTs (n = 4789 patients)"
        (PUBMEDRS, "33165042", K.SYSTEMATIC_REVIEW, 4789),
        # "descendent approach, n=3": counts studies, so no sample size
        (PUBMEDRS, "28182144", K.SYSTEMATIC_REVIEW, None),
    ],
)
def test_real_abstracts(file, pmid, kind, size):
    doc = classify(bundled(file)[f"pmid:{pmid}"])
    assert (doc.kind, doc.sample_size) == (kind, size)


def test_pubmedrs_reviews_are_systematic_reviews_by_construction():
    docs = [classify(d) for d in bundled(PUBMEDRS).values()]
    assert {d.kind for d in docs} == {K.SYSTEMATIC_REVIEW}


def test_kinds_set_by_readers_are_kept():
    guideline = classify(next(iter(bundled("guidelines/ngc_us_gov_guideline_summaries.jsonl").values())))
    assert (guideline.kind, guideline.sample_size) == (K.GUIDELINE, None)
    answer = bundled("consumer/medquad_qa.jsonl.gz")["medquad:NIDDK/0000032-7"]
    assert "1,000 calories" in answer.text
    assert (classify(answer).kind, classify(answer).sample_size) == (K.CONSUMER, None)


def test_whole_pubmedqa_file_classifies_quickly():
    """A loose guard against a pathological regex, far above the ~100 µs per abstract measured."""
    docs = list(bundled(PUBMEDQA).values())
    start = time.perf_counter()
    for doc in docs:
        classify(doc)
    assert (time.perf_counter() - start) / len(docs) < 0.002


# --------------------------------------------------------------------------- publication types


@pytest.mark.parametrize(
    ("types", "text", "kind"),
    [
        (["Practice Guideline"], "", K.GUIDELINE),
        (["Journal Article", "Guideline"], "", K.GUIDELINE),
        (["Journal Article", "Meta-Analysis"], "", K.SYSTEMATIC_REVIEW),
        (["Systematic Review"], "", K.SYSTEMATIC_REVIEW),
        (["Systematic Review (per PubMedRS-200 construction)"], "", K.SYSTEMATIC_REVIEW),
        (["Randomized Controlled Trial", "Multicenter Study"], "", K.RCT),
        (["Case Reports"], "", K.CASE_SERIES),
        (["Editorial"], "", K.OTHER),
        (["Review"], "We discuss current management of the condition.", K.NARRATIVE_REVIEW),
        (["Review"], "We systematically searched MEDLINE and Embase for randomised trials.", K.SYSTEMATIC_REVIEW),
        (["Clinical Trial, Phase III"], "Patients were randomly assigned to drug or placebo.", K.RCT),
        # a single-arm trial is a case series; a non-randomised comparison, a cohort
        (["Clinical Trial, Phase III"], "All patients received the drug and were followed up for 2 years.",
         K.CASE_SERIES),
        (["Clinical Trial"], "Drug A was compared with drug B, chosen by the physician; mortality was followed up.",
         K.COHORT),
        (["Observational Study"], "This case-control study compared 80 cases with 160 controls.", K.CASE_CONTROL),
        (["Observational Study"], "A cross-sectional survey of 500 nurses.", K.CROSS_SECTIONAL),
        (["Observational Study"], "We describe outcomes at our centre.", K.COHORT),
        (["Journal Article"], "A double-blind, placebo-controlled trial; 200 adults were randomized.", K.RCT),
    ],
)
def test_publication_types_come_first(types, text, kind):
    assert evidence_kind(made_up(("METHODS", text), types=tuple(types))) is kind


# --------------------------------------------------------------------------- design cues in the text


@pytest.mark.parametrize(
    ("sections", "kind"),
    [
        ([("METHODS", "In this double-blind placebo-controlled trial, 120 adults were randomly assigned to two arms.")],
         K.RCT),
        # a cohort that mentions randomised trials in its background and conclusions
        (
            [
                ("BACKGROUND", "Previous randomized trials showed a benefit of statins."),
                ("METHODS", "This retrospective cohort study followed 2,000 patients for 5 years."),
                ("CONCLUSIONS", "Randomized controlled trials are needed."),
            ],
            K.COHORT,
        ),
        ([("METHODS", "We performed a pooled analysis of 12 trials identified by searching MEDLINE.")],
         K.SYSTEMATIC_REVIEW),
        # readers assigned at random do not make a diagnostic study a trial
        ([("METHODS", "Scans of 79 kidneys were randomly assigned to two blinded readers; sensitivity was computed.")],
         K.CROSS_SECTIONAL),
        ([("METHODS", "Cases were compared with age- and sex-matched controls.")], K.CASE_CONTROL),
        ([("METHODS", "A questionnaire survey of general practitioners was conducted in 2019.")], K.CROSS_SECTIONAL),
        ([("ABSTRACT", "We report a case of a 45-year-old woman with an unusual rash.")], K.CASE_SERIES),
        ([("METHODS", "Male Wistar rats were divided into four groups.")], K.OTHER),
        ([("METHODS", "We developed a Markov decision model of screening costs.")], K.OTHER),
    ],
)
def test_design_cues(sections, kind):
    assert evidence_kind(made_up(*sections)) is kind


# Each phrasing a design cue's regex accepts in a METHODS section (weight 1.5): alone, the cue's weight x 1.5.
@pytest.mark.parametrize(
    ("group", "score", "text"),
    [
        ("blind", 3.0, "Neither participants nor staff knew the allocation in this double-blind design."),
        ("blind", 3.0, "Outcomes were assessed in a double masked fashion."),
        ("posthoc", 6.0, "This post hoc study used registry data."),
        ("posthoc", 6.0, "This post-hoc study used registry data."),
        ("posthoc", 6.0, "We report a secondary analysis of registry data."),
        ("posthoc", 6.0, "This ancillary study used registry data."),
        ("posthoc", 6.0, "This ancillary analysis used registry data."),
        ("nonrandom", 6.0, "Outcomes were measured before and after the change."),
        ("nonrandom", 6.0, "We used a before-and-after design."),
        ("sr", 6.0, "We performed a systematic review of the literature."),
        ("sr", 6.0, "We systematically searched the literature."),
        ("sr", 6.0, "A systematic literature search was done."),
        ("sr", 6.0, "Meta-analyses were carried out."),
        ("sr", 6.0, "We followed the preferred reporting items for reviews."),
        ("sr", 6.0, "Forty papers were eligible for this review."),
        ("sr", 6.0, "Forty papers were included in the review."),
        ("cc", 7.5, "A case-control design was used."),
        ("cc", 7.5, "A case control design was used."),
        ("cs", 7.5, "A cross sectional design was used."),
        ("cs", 7.5, "A cross-sectional design was used."),
        ("onetime", 2.25, "We estimated the negative predictive value of the score."),
        ("onetime", 2.25, "We estimated the diagnostic accuracy of the score."),
        ("onetime", 2.25, "We estimated the diagnostic performance of the score."),
        ("describe", 3.0, "We describe this series of operations."),
        ("describe", 3.0, "We describe our series of operations."),
        ("describe", 3.0, "We describe a series of operations."),
        ("describe", 3.0, "We describe our experience with the operation."),
        ("describe", 3.0, "We describe our initial experience with the operation."),
        ("describe", 3.0, "We describe our early experience with the operation."),
        ("describe", 3.0, "We ran a single-arm study."),
        ("describe", 3.0, "We ran a single arm study."),
        ("describe", 3.0, "We did a retrospective review of charts."),
        ("describe", 3.0, "Charts were retrospectively reviewed."),
        ("describe", 3.0, "We did a retrospective chart analysis."),
        ("describe", 3.0, "We did a retrospective evaluation of charts."),
        ("describe", 3.0, "We reviewed the charts."),
        ("describe", 3.0, "The operation was safe and effective."),
        ("describe", 3.0, "The operation was safe and feasible."),
        ("describe", 3.0, "We report the experience of one clinic."),
        ("compare", 2.25, "We looked for risk factors of infection."),
        ("compare", 2.25, "We looked for a risk factor of infection."),
        ("compare", 2.25, "Outcomes of those with infection were poor."),
        ("compare", 2.25, "Outcomes of those without infection were good."),
        ("compare", 2.25, "Outcomes of those who had infection were poor."),
        ("compare", 2.25, "We fitted a logistic regression."),
        ("compare", 2.25, "The relative risk of infection was high."),
        ("compare", 2.25, "Smoking was associated with infection."),
        ("temporal", 2.25, "We report long-term outcomes."),
        ("temporal", 2.25, "We report outcomes after surgery."),
        ("temporal", 2.25, "We report outcomes after treatment."),
        ("temporal", 2.25, "We report outcomes after the procedure."),
        ("temporal", 2.25, "We report outcomes after the operation."),
        ("temporal", 2.25, "We report outcomes after discharge."),
        ("nonhuman", 6.0, "We used an animal model of sepsis."),
        ("nonhuman", 6.0, "We used animal models of sepsis."),
        ("nonhuman", 3.0, "We ran the assay in vitro."),
        ("nonhuman", 3.0, "We used a cell line from sepsis."),
        ("nonhuman", 3.0, "We used cell lines from sepsis."),
        ("model", 6.0, "We did a decision analysis."),
        ("model", 6.0, "We did a decision-analytic study."),
        ("model", 6.0, "We built a decision model."),
        ("model", 6.0, "We built a decision tree."),
        ("model", 6.0, "We estimated the cost-effectiveness of screening."),
        ("model", 6.0, "We estimated the cost-utility of screening."),
        ("model", 6.0, "We built a simulation model."),
        ("ecological", 3.0, "We compared country-level rates."),
        # cues that start with a group of words ("this", "the present", "our" …), alone or with others
        ("rct", 6.0, "This was a large, pragmatic randomised effort across sites."),
        ("rct", 6.0, "Our pragmatic randomized effort spanned sites."),
        ("rct", 6.0, "The present multicentre randomised effort spanned sites."),
        ("sr", 12.0, "This systematic review summarises the evidence."),
        ("sr", 12.0, "Our meta-analysis summarises the evidence."),
        ("cohort", 16.5, "This prospective cohort study followed workers."),
        ("cohort", 16.5, "Our national cohort analysis followed workers."),
        ("cs", 13.5, "The present cross-sectional study surveyed workers."),
        ("cc", 13.5, "This nested case-control study sampled workers."),
        ("sr", 4.5, "Medline and Embase were searched to 2020."),
        ("sr", 4.5, "PubMed, Scopus and CINAHL databases were searched."),
        ("sr", 4.5, "The Cochrane library was searched."),
        ("sr", 4.5, "Web of Science was searched."),
        ("sr", 4.5, "We searched MEDLINE for trials."),
        ("sr", 4.5, "A search of Embase found trials."),
        ("sr", 4.5, "Searches of Embase found trials."),
        ("sr", 4.5, "The search was run in Embase."),
        ("sr", 4.5, "We report pooled estimates."),
        ("sr", 4.5, "We report summary estimates."),
        ("sr", 4.5, "We used the DerSimonian and Laird method."),
        ("cohort", 10.5, "A prospective cohort of workers was followed."),
        ("cohort", 10.5, "A retrospective, cohort of workers was followed."),
        ("cohort", 10.5, "A population-based cohort of workers was followed."),
        ("cohort", 10.5, "A birth cohort of workers was followed."),
        ("cohort", 10.5, "A historical cohort of workers was followed."),
        ("cohort", 10.5, "An observational cohort of workers was followed."),
        ("cohort", 10.5, "A longitudinal cohort of workers was followed."),
        ("cohort", 10.5, "We ran a cohort study of workers."),
        ("cohort", 10.5, "We used a cohort design for workers."),
        ("cohort", 10.5, "We used longitudinal data on workers."),
        ("cohort", 7.5, "We used a natural experiment in workers."),
        ("cohort", 7.5, "We used propensity scores in workers."),
    ],
)
def test_every_phrasing_of_a_design_cue_counts(group, score, text):
    """A cue's regex runs only on a section holding a phrase its matches start with: none is lost."""
    assert design_cues(made_up(("METHODS", text)))[group] == score


def test_a_cue_regex_matches_only_where_its_phrases_start():
    """Over every bundled abstract, each match of a cue's regex starts with a phrase it is looked for at."""
    texts = [p.text.lower() for name in (PUBMEDQA, PUBMEDRS) for doc in bundled(name).values() for p in doc.passages]
    for cue in _CUES:
        if cue.phrases:
            matches = [(text, m.start()) for text in texts for m in cue.pattern.finditer(text)]
            assert all(any(text.startswith(p, start) for p in cue.phrases) for text, start in matches)


def test_a_stated_kind_and_size_are_never_overridden():
    user = Document(
        id="user:1", source="user", title="Our registry", kind=K.COHORT, sample_size=50,
        passages=[Passage(label="Text", text="We report a case of a 45-year-old man; we studied 181 patients.")],
    )
    result = classify(user)
    assert (result.kind, result.sample_size) == (K.COHORT, 50)


def test_classify_returns_a_copy():
    doc = made_up(("METHODS", "Patients were randomly assigned to two groups."))
    result = classify(doc)
    assert result is not doc and doc.kind is K.OTHER and result.kind is K.RCT


# --------------------------------------------------------------------------- sample size


@pytest.mark.parametrize(
    ("kind", "text", "size"),
    [
        (K.COHORT, "We studied 181 patients with heart failure.", 181),
        (K.RCT, "A total of 3849 patients underwent randomization.", 3849),
        (K.RCT, "Adults with asthma (n = 120) received either inhaler.", 120),
        (K.CROSS_SECTIONAL, "Participants: n = 120 adults attending clinics.", 120),
        (K.COHORT, "The cohort comprised 1,234 women who were followed for a decade.", 1234),
        (K.RCT, "A crossover trial involving 52 adults.", 52),
        (K.CASE_CONTROL, "We enrolled 40 patients and 40 healthy controls.", 80),
        (K.SYSTEMATIC_REVIEW, "We included 23 trials with 4,512 participants.", 4512),
        (K.SYSTEMATIC_REVIEW, "We included 23 trials.", None),
        # text that is not all ASCII, and digits of another script, are read as plain ASCII is
        (K.COHORT, "We studied 181 patients (mean age 54 ± 7 years).", 181),
        (K.COHORT, "We studied ١٨١ patients with heart failure.", 181),
        # a number in words opening a sentence, after any stop
        (K.COHORT, "Screening was offered. Twelve patients were enrolled.", 12),
        (K.COHORT, "Was screening worthwhile? Forty patients were enrolled.", 40),
        (K.COHORT, "Screening was offered; twelve patients were enrolled.", 12),
        (K.COHORT, "The number of patients was 120.", 120),
    ],
)
def test_sample_size_from_people_counts(kind, text, size):
    assert sample_size(made_up(("METHODS", text)), kind) == size


@pytest.mark.parametrize(
    "text",
    [
        "Children 12 years of age and older received 400 mg twice daily for 52 weeks.",
        "The hazard ratio was 0.8 (95% CI 0.6-1.1); smokers had 30 pack-years of exposure.",
        "A 52-week course was given; 75% of the cohort responded.",
        "Between 2005 and 2008 two patients were lost to follow-up.",
        "In 2005 patients were first offered screening.",
        "We measured 120 eyes of volunteers.",
    ],
)
def test_numbers_that_are_not_people_are_ignored(text):
    assert sample_size(made_up(("METHODS", text)), K.COHORT) is None


@pytest.mark.parametrize(
    "text",
    [
        "Of these, 81 (7%) patients developed an infection.",
        "Infection occurred in 27 of 138 patients.",
        "Patients in the control group (n = 21 in either group) did well.",
    ],
)
def test_subgroup_counts_in_results_are_not_the_sample(text):
    assert sample_size(made_up(("RESULTS", text)), K.COHORT) is None


def test_only_study_designs_get_a_sample_size():
    text = (("METHODS", "We studied 181 patients."),)
    assert sample_size(made_up(*text), K.NARRATIVE_REVIEW) is None
    assert sample_size(made_up(*text), K.OTHER) is None


# --------------------------------------------------------------------------- retraction


@pytest.mark.parametrize(
    ("title", "types", "retracted"),
    [
        ("A trial of X", ["Journal Article", "Retracted Publication"], True),
        ("Retraction notice to: A trial of X", ["Retraction of Publication"], True),
        ("RETRACTED: A trial of X", [], True),
        ("Retraction: A trial of X", [], True),
        ("[Retracted] A trial of X", [], True),
        ("Retraction of the upper eyelid after surgery", [], False),
        ("A trial of X", ["Journal Article"], False),
    ],
)
def test_retraction(title, types, retracted):
    doc = made_up(("METHODS", "Patients were randomized."), title=title, types=tuple(types))
    assert classify(doc).retracted is retracted


def test_a_retraction_notice_is_not_evidence_and_retraction_sticks():
    notice = classify(made_up(("Text", "This article has been retracted."), types=("Retraction of Publication",)))
    assert notice.kind is K.OTHER and notice.retracted
    assert classify(made_up(("METHODS", "Patients were randomized."), retracted=True)).retracted
