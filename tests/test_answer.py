"""Answers end to end on the built-in corpus: structure, citations, safety behaviour."""

from __future__ import annotations

import json
import re

import pytest

from evidex.answer.types import Answer
from evidex.corpus import Corpus
from evidex.evidence.documents import Document, EvidenceKind, Passage
from evidex.settings import Settings
from tests.conftest import run_cli

SEED = (
    "What are the most evidence-backed exercises for a herniated disc with sciatica, "
    "in a patient with recent spinal surgery or neurological deficits?"
)


@pytest.fixture(scope="module")
def corpus(builtin_data_dir) -> Corpus:
    corpus = Corpus.open(Settings(data_dir=builtin_data_dir))
    yield corpus
    corpus.close()


def assert_citations_sound(answer: Answer, corpus: Corpus) -> None:
    """Every citation resolves, every reference is cited, every quote is in its source."""
    numbers = {r.number for r in answer.references}
    cited = {n for claim in answer.claims() for n in claim.citations}
    if answer.verdict:
        cited |= set(answer.verdict.citations)
    assert cited == numbers, "dangling citation or uncited reference"
    assert sorted(numbers) == list(range(1, len(numbers) + 1))
    refs = {r.number: r for r in answer.references}
    for claim in answer.claims():
        assert claim.verified
        doc = corpus.get(claim.quote.passage_id.rsplit("#", 1)[0])
        assert not doc.retracted
        assert all(refs[n].doc_id == doc.id for n in claim.citations)
        passage = doc.passages[int(claim.quote.passage_id.rsplit("#", 1)[1])]
        assert passage.text[claim.quote.start : claim.quote.end] == claim.quote.text


def test_seed_question_gets_a_structured_cited_answer(corpus):
    answer = corpus.ask(SEED)
    assert not answer.abstained
    # The corpus has nothing on exercise for disc herniation itself: the bottom line says so
    # instead of stating something about another treatment, and what sources on the
    # condition say about exercise elsewhere is shown apart.
    bottom = answer.section("bottom_line")
    assert bottom and not bottom.claims
    assert "The sources retrieved for this question do not directly address exercises for herniated disc" in bottom.notes[0].text
    related = answer.section("related")
    assert related and related.claims
    assert all("exercis" in claim.text.lower() for claim in related.claims)
    assert not any("neck" in claim.text.lower() for claim in related.claims)  # the question is about the back
    assert len(answer.claims()) >= 4
    assert_citations_sound(answer, corpus)
    assert any("disc" in c.text.lower() or "sciatica" in c.text.lower() for c in answer.claims())
    # Each patient modifier is either addressed by evidence or explicitly noted as a gap.
    specific = answer.section("patient_specific")
    assert specific is not None
    # what one case report's patient had is not evidence about this patient
    references = {r.number: r for r in answer.references}
    assert not any(
        references[n].kind == "case_series" and "the patient" in claim.text.lower()
        for claim in answer.claims()
        for n in claim.citations
    )
    assert set(answer.modifiers) == {"Recent surgery / post-operative", "Neurological deficit"}


def test_a_treatment_with_direct_evidence_gets_a_bottom_line_about_it(corpus):
    answer = corpus.ask("Does exercise help chronic low back pain?")
    bottom = answer.section("bottom_line")
    assert bottom.claims and "exercise" in bottom.claims[0].text.lower()
    assert not bottom.notes and answer.section("related") is None


def test_red_flags_put_urgent_care_first(corpus):
    answer = corpus.ask("Low back pain with saddle anaesthesia and new urinary retention: which exercises help?")
    assert answer.sections[0].key == "urgent"
    assert "saddle anaesthesia" in answer.sections[0].notes[0].text
    assert_citations_sound(answer, corpus)


@pytest.mark.parametrize("audience", ["clinician", "patient"])
def test_red_flags_in_everyday_words_put_urgent_care_first(corpus, audience):
    question = "My back hurts and I have numbness in my groin and new trouble controlling my bladder. What exercises can I do?"
    answer = corpus.ask(question, audience=audience)
    assert answer.sections[0].key == "urgent"
    notice = answer.sections[0].notes[0].text
    assert "numbness in my groin" in notice and ("emergency" in notice or "999" in notice)
    help_ = answer.section("escalate")
    assert help_ and any("Source: NHS" in n.text for n in help_.notes)


def test_when_to_get_help_fits_the_question(corpus):
    tooth = corpus.ask("What helps with toothache at night?", audience="patient")
    notes = " ".join(n.text for n in tooth.section("escalate").notes)
    assert "bladder" not in notes


def test_unanswerable_question_abstains(corpus):
    answer = corpus.ask("What is the best dose of tirzepatide for alopecia areata?")
    assert answer.abstained and not answer.references and not answer.claims()
    assert "does not answer this question" in answer.abstain_reason
    assert "tirzepatide" in answer.abstain_reason


def test_guideline_references_show_body_date_and_age(corpus):
    answer = corpus.ask("Should adults be screened for lung cancer with low-dose CT?")
    guidelines = [r for r in answer.references if r.kind == "guideline"]
    assert guidelines
    answered_in = int(answer.provenance.generated_at[:4])
    for ref in guidelines:
        assert ref.source and ref.year
        assert ref.outdated == (answered_in - ref.year > 10)


def test_yes_no_question_gets_a_verdict(corpus):
    answer = corpus.ask("Does as-needed budesonide-formoterol control mild asthma?")
    if not answer.abstained:
        assert answer.verdict is None or answer.verdict.value in {"yes", "no", "uncertain"}
        assert_citations_sound(answer, corpus)


def test_retracted_documents_are_never_cited(builtin_copy):
    with Corpus.open(Settings(data_dir=builtin_copy)) as corpus:
        text = "Colchicine 0.5 mg twice daily cured acute gout flares in every patient within one hour."
        retracted = Document(
            id="user:retracted-gout", source="user", title="Colchicine for acute gout flare",
            passages=[Passage(label="CONCLUSIONS", text=text)], kind=EvidenceKind.RCT, retracted=True, year=2024,
        )
        corpus.store.upsert([retracted])
        corpus.embed_passages()
        answer = corpus.ask("What dose of colchicine for an acute gout flare?")
        assert "user:retracted-gout" not in {r.doc_id for r in answer.references}
        assert text not in {c.text for c in answer.claims()}
        assert_citations_sound(answer, corpus)


def test_patient_language(corpus):
    clinician = corpus.ask("Does exercise help chronic low back pain?")
    patient = corpus.ask("Does exercise help chronic low back pain?", audience="patient")
    assert patient.audience == "patient"
    assert_citations_sound(patient, corpus)
    assert patient.claims() and clinician.claims()
    help_ = patient.section("escalate")
    assert help_ and all("(Source: " in n.text for n in help_.notes), "patients are always told when to seek care"
    assert patient.reading_grade is not None and clinician.reading_grade is not None


def test_patient_rewrite_uses_plain_words_and_still_verifies(corpus):
    from evidex.answer.verify import check_claim

    plain = corpus.engine.plain
    source = "Nonsteroidal anti-inflammatory drugs are recommended for acute low back pain."
    rewritten = plain.rewrite(source)
    assert rewritten != source
    assert check_claim(rewritten, source)[0]


def test_cli_ask_json_follows_the_schema(builtin_copy):
    result = run_cli("ask", SEED, "--json", data_dir=builtin_copy)
    assert result.returncode == 0, result.stderr
    answer = Answer.model_validate(json.loads(result.stdout))
    assert answer.references and answer.claims()


def test_cli_ask_markdown_and_abstain_exit_code(builtin_copy):
    result = run_cli("ask", SEED, "--format", "markdown", data_dir=builtin_copy)
    assert result.returncode == 0, result.stderr
    assert "## Bottom line" in result.stdout and "## References" in result.stdout and "[1]" in result.stdout
    abstain = run_cli("ask", "What is the best dose of tirzepatide for alopecia areata?", data_dir=builtin_copy)
    assert abstain.returncode == 3
    assert "Insufficient evidence" in abstain.stdout


def test_cli_ask_rejects_bad_input(builtin_copy):
    assert run_cli("ask", "   ", data_dir=builtin_copy).returncode == 1  # 1: the input cannot be used
    long = run_cli("ask", "why " * 30_000, data_dir=builtin_copy)
    assert long.returncode == 1 and "limit" in long.stderr


def test_a_what_is_question_is_answered_by_what_that_thing_is(corpus):
    disc = corpus.ask("What is a herniated disc?", audience="patient")
    assert disc.section("bottom_line").claims[0].text.startswith("A herniated disk is")
    # a list of symptoms that includes drooling does not say what drooling is
    drooling = corpus.ask("What is drooling?", audience="patient")
    assert drooling.abstained and "what Sialorrhea is" in drooling.abstain_reason


def test_the_nci_dictionary_says_what_a_drug_is_and_what_it_is_for(corpus):
    naproxen = corpus.ask("What is naproxen?", audience="patient")
    bottom = naproxen.section("bottom_line").claims[0]
    assert bottom.text.startswith("Naproxen: A drug used to treat mild pain")
    reference = naproxen.references[bottom.citations[0] - 1]
    assert reference.url == "https://www.cancer.gov/publications/dictionaries/cancer-terms/def/naproxen"
    # a brand name asked about by what it is for: Diflucan is fluconazole
    diflucan = corpus.ask("What is the diflucan for?", audience="patient")
    assert diflucan.section("bottom_line").claims[0].text == "Fluconazole: A drug that treats infections caused by fungi."
    assert_citations_sound(diflucan, corpus)
    # the dictionary names a drug by its salt; what it is for comes before what a guideline warns of it
    tamoxifen = corpus.ask("What does tamoxifen do?", audience="patient")
    assert tamoxifen.section("bottom_line").claims[0].text.startswith("Tamoxifen citrate: A drug used to treat certain types of breast cancer")
    # an entry is looked up by its term, and a brand by its drug's name: "cancer" among thousands of cancers
    assert corpus.ask("What is cancer?", audience="patient").section("bottom_line").claims[0].text.startswith("Cancer: A term for diseases")
    assert corpus.ask("What is Tylenol?", audience="patient").section("bottom_line").claims[0].text.startswith("Acetaminophen: A drug that")
    # an entry is whole however short
    assert corpus.ask("What is arthralgia?", audience="patient").section("bottom_line").claims[0].text == "Arthralgia: Joint pain."


def test_a_page_on_another_condition_that_names_it_by_its_initials_does_not_answer(corpus):
    # "All children and adults who have SCD and a fever … treated with antibiotics" is about sickle cell disease
    answer = corpus.ask("Do antibiotics help with fever?", audience="patient")
    bottom = answer.section("bottom_line")
    assert bottom is None or not any("SCD" in claim.text for claim in bottom.claims)


def test_a_sentence_that_states_the_cause_answers_what_causes_it(corpus):
    # the answer-type model reads "The cause of X is …, a sticky substance …" as a definition
    cavities = corpus.ask("What causes cavities?", audience="patient")
    assert cavities.section("bottom_line").claims[0].text.startswith("The cause of tooth decay is plaque")
    # "can X cause Y?" asks what causes Y: "It can cause swelling, …" of pink eye answers it
    swelling = corpus.ask("Can pink eye cause swelling?", audience="patient")
    assert "can cause swelling" in swelling.section("bottom_line").claims[0].text
    assert_citations_sound(swelling, corpus)


def test_a_sentence_on_a_narrower_kind_or_a_heading_does_not_answer(corpus):
    # "stress … causes white coat hypertension" does not say what causes high blood pressure
    most = corpus.ask("What is the cause of hypertension in most people?", audience="patient")
    assert not any("white coat" in claim.text.lower() for claim in most.section("bottom_line").claims)
    # a page's heading ("Genetic Causes of High Blood Pressure") states nothing, alone or run into a sentence
    causes = corpus.ask("What causes high blood pressure?", audience="patient")
    texts = [claim.text for claim in causes.claims()]
    assert texts and "Genetic Causes of High Blood Pressure" not in texts
    assert not any(text.startswith("Other Causes Other") for text in texts)


def test_a_condition_named_only_among_examples_of_something_else_does_not_answer(corpus):
    from evidex.answer.compose import _conditions_only_as_examples
    from evidex.answer.understand import understand

    infection = understand("When should I be checked for an infection?", corpus.vocabulary, "patient")
    # the sentence is about heart surgery after a stroke; the infection is one example of an urgent reason
    assert _conditions_only_as_examples(
        infection, "It is reasonable to delay cardiac surgery unless urgent indications exist (e.g., heart failure, uncontrolled infection).")
    assert _conditions_only_as_examples(infection, "Findings such as infection, phlegmon, or recurrence are not contraindications to resection.")
    # named outside the list, it is what the sentence speaks of
    assert not _conditions_only_as_examples(infection, "An infection, such as strep throat, is checked with a swab.")
    swelling = understand("Does ibuprofen help with swelling?", corpus.vocabulary, "patient")
    assert not _conditions_only_as_examples(
        swelling, "Anti-inflammatory medications, such as aspirin or ibuprofen, can help to relieve pain and reduce swelling.")
    # the list ends at a comma outside brackets, and "including" lists parts, not examples
    pressure = understand("How is high blood pressure treated?", corpus.vocabulary, "clinician")
    assert not _conditions_only_as_examples(
        pressure, "In patients with comorbidities such as diabetes, hypertension should be treated with an ACE inhibitor.")
    diabetes = understand("Which insulin regimen for inpatients with type 2 diabetes?", corpus.vocabulary, "clinician")
    assert not _conditions_only_as_examples(
        diabetes, "The Work Group suggests a regimen including basal insulin for patients with type 2 diabetes.")


def test_a_bottom_line_does_not_narrow_the_condition_to_a_course_the_question_does_not_name(corpus):
    # "The signs and symptoms of chronic bronchitis …" answer for some of those who ask about bronchitis
    signs = corpus.ask("What are the signs of bronchitis?", audience="patient")
    assert "chronic" not in signs.section("bottom_line").claims[0].text.lower()
    # a sentence on all its courses still answers: "… can also cause acute and chronic sinusitis"
    causes = corpus.ask("What causes sinusitis?", audience="patient")
    assert "acute" in causes.section("bottom_line").claims[0].text
    # asked about, the course is what the question is about
    from evidex.answer.compose import _narrows_the_course
    from evidex.answer.understand import understand

    sentence = "The signs and symptoms of chronic bronchitis include coughing, wheezing, and chest discomfort."
    assert _narrows_the_course(understand("What are the signs of bronchitis?", corpus.vocabulary, "patient"), sentence)
    assert not _narrows_the_course(understand("What are the signs of chronic bronchitis?", corpus.vocabulary, "patient"), sentence)


def test_a_patient_asking_about_a_condition_gets_the_health_page_on_it_before_a_guideline_on_another(corpus):
    # not "Psychosocial treatment … of a patient with chronic pain", from a guideline on neck injuries
    aches = corpus.ask("Is there anything for body aches?", audience="patient")
    first = aches.section("bottom_line").claims[0]
    assert "pain relievers" in first.text.lower()
    assert aches.references[first.citations[0] - 1].kind == "consumer"
    assert_citations_sound(aches, corpus)


def test_a_drug_named_only_as_what_another_is_compared_with_does_not_answer_for_it(corpus):
    from evidex.answer.compose import _treatment_only_compared_with
    from evidex.answer.understand import understand

    naproxen = understand("What are the side effects of naproxen?", corpus.vocabulary, "patient")
    assert _treatment_only_compared_with(
        naproxen, "Celecoxib 200 mg per day does not have a worse cardiovascular risk profile than naproxen at up to 1000 mg per day.")
    assert not _treatment_only_compared_with(naproxen, "Naproxen caused more stomach upset than placebo, and ulcers were rare.")
    # a limit, an age or an exception is not a comparison: these are about naproxen itself
    dose = understand("What is the maximum dose of naproxen?", corpus.vocabulary, "patient")
    assert not _treatment_only_compared_with(dose, "Do not take more than 660 mg of naproxen in 24 hours.")
    assert not _treatment_only_compared_with(dose, "Children younger than 12 should not take naproxen.")


def test_a_sentence_that_leaves_out_what_was_asked_about_does_not_answer_for_it(corpus):
    from evidex.answer.compose import _focus_only_excluded
    from evidex.answer.understand import understand

    breastfeeding = understand("How can I help a mother who is tired from breast feeding?", corpus.vocabulary, "patient")
    assert _focus_only_excluded(
        breastfeeding, "For patients with mild MDD who are not pregnant or breastfeeding, the Work Group suggests St. John's wort.")
    assert not _focus_only_excluded(
        breastfeeding, "For pregnant or breastfeeding women with mild MDD, the Work Group recommends psychotherapy.")
    # a recommendation against is still about what it names
    colds = understand("Do antibiotics help a cold?", corpus.vocabulary, "patient")
    assert not _focus_only_excluded(colds, "Antibiotics should not be used for colds.")


def test_is_a_drug_of_a_kind_is_answered_by_what_the_drug_is(corpus):
    lexapro = corpus.ask("Is lexapro an snri?", audience="patient")
    bottom = lexapro.section("bottom_line").claims[0]
    # the entry's sentence that names its family, with the sentence naming the drug it refers to
    assert bottom.text.startswith("Lexapro: A drug used to treat depression")
    assert "selective serotonin reuptake inhibitors" in bottom.text
    assert lexapro.references[bottom.citations[0] - 1].url.endswith("/def/lexapro")
    assert lexapro.verdict is None  # the entry says what it is; evidex does not turn that into a yes or no
    assert_citations_sound(lexapro, corpus)
    cephalexin = corpus.ask("Is Cepahlexin a steroid?", audience="patient")
    assert cephalexin.section("bottom_line").claims[0].text.startswith("Cephalexin: An antibiotic drug")


@pytest.mark.parametrize(
    ("question", "never"),
    [("What is furosemide?", "Furosemide: Start"),  # a guideline's "Label: …" line is a dose, not a definition
     ("What is gabapentin?", "being studied"),  # a use under study is not what a drug is
     ("What is magnesium used for?", "Magnesium sulfate"),  # a salt of magnesium is not magnesium
     ("What is gabapentin?", "supported by fewer")],  # "X and Y are supported by …" names no class
)
def test_what_only_looks_like_a_definition_does_not_answer_what_is(corpus, question, never):
    answer = corpus.ask(question, audience="patient")
    assert not any(never in claim.text for claim in answer.claims())


def test_a_what_is_question_with_no_definition_is_answered_by_a_gloss_or_a_class(corpus):
    from evidex.answer.relevance import says_what_focus_is
    from evidex.answer.understand import understand

    dermatitis = understand("What is dermatitis?", corpus.vocabulary)
    assert says_what_focus_is(dermatitis, "Atopic dermatitis is a disorder characterized by inflammation of the skin (dermatitis).")
    assert not says_what_focus_is(dermatitis, "Symptoms include redness and itching (dermatitis).")  # a gloss, not in a definition
    naproxen = understand("What is naproxen?", corpus.vocabulary)
    assert says_what_focus_is(naproxen, "Ibuprofen and naproxen are NSAIDs, but they are sold under many names.")
    assert says_what_focus_is(naproxen, "NSAIDs are drugs (such as aspirin, ibuprofen, and naproxen) that reduce pain.")
    assert not says_what_focus_is(naproxen, "Aspirin and naproxen are not recommended in kidney disease.")
    # "uncontrolled" asthma is not glossed by a sentence on asthma
    assert not says_what_focus_is(understand("Can you define uncontrolled asthma?", corpus.vocabulary), "Wheezing (asthma) is …")


def test_bottom_line_is_a_finding_about_the_question(corpus):
    answer = corpus.ask("Does exercise help chronic low back pain?")
    bottom = answer.section("bottom_line").claims[0].text
    assert "chronic low back pain" in bottom and "exercise" in bottom.lower()
    assert answer.verdict is not None and answer.verdict.value == "yes"
    # Editorial notes of guideline summaries ("… are defined at the end of the field") are never claims.
    assert not any("defined at the end" in claim.text for claim in answer.claims())
    assert_citations_sound(answer, corpus)


def test_verdict_agrees_with_the_sentence_it_rests_on(corpus):
    from evidex.answer.verdict import sentence_cues, stance

    for question in ("Do epidural steroid injections help sciatica?", "Is spinal manipulation effective for acute low back pain?",
                     "Does exercise help chronic low back pain?", "Is colchicine effective for gout flares?"):
        answer = corpus.ask(question)
        if answer.verdict is None:
            continue
        denies = stance(sentence_cues(answer.verdict.basis, question), False)["denies"]
        assert not (answer.verdict.value == "yes" and denies), question


def test_list_fragments_are_not_claims_and_patients_get_no_grading_tags(corpus):
    import re

    for audience in ("clinician", "patient"):
        answer = corpus.ask("How can I stop gout attacks from coming back?", audience=audience)
        texts = [claim.text for claim in answer.claims()]
        assert texts and not any(re.match(r"\(?\d{1,2}[.)]\s", text) for text in texts)
        assert "1 or more subcutaneous tophi (Strong, High)." not in texts
        if audience == "patient":
            assert not any(re.search(r"\((?:Strong|Conditional)\b", text) for text in texts)
        assert_citations_sound(answer, corpus)


def test_badly_split_fragments_are_not_claims(corpus):
    answer = corpus.ask("Low back pain with saddle anaesthesia and urinary retention: what exercises should I do?", audience="patient")
    assert answer.section("urgent") is not None
    for claim in answer.claims():
        assert not claim.text.lstrip().startswith((",", ";", ")"))
        assert not claim.text.rstrip(" .:").endswith(("include", "following"))


def test_a_sentence_whose_subject_is_in_the_sentence_before_is_not_a_claim(corpus):
    # "Sometimes it is painful to pass": "it" is the stool, named in the sentence before
    answer = corpus.ask("Is there any medication for constipation?", audience="patient")
    assert not any(claim.text.startswith("Sometimes it") for claim in answer.claims())


def test_a_guidelines_section_need_not_open_with_the_answer(corpus):
    # the section's first sentence ("Evidence on the optimal rescreening interval … is limited") is not
    # the answer to which test to screen with because it comes first
    answer = corpus.ask("What is the best test to screen for type 2 diabetes?")
    assert "HbA1c" in answer.section("bottom_line").claims[0].text
    assert_citations_sound(answer, corpus)


def test_a_list_item_or_examples_cut_from_their_lead_in_are_not_claims():
    from evidex.answer.appraise import _FRAGMENT

    # "Your doctor may: - Recommend a chest x ray …"; "Examples include …" of what the sentence before names
    assert _FRAGMENT.search("Recommend a chest x ray, lung function tests, or blood tests.")
    assert _FRAGMENT.search("Examples include a major accident, war, assault, or a natural disaster.")
    assert not _FRAGMENT.search("Recommendations are graded by the strength of the evidence.")
    assert not _FRAGMENT.search("Examples of NSAIDs are ibuprofen and naproxen.")
    # a condition that only points back: "If you do, …" (have group B strep, said in the sentence before)
    assert _FRAGMENT.search("If you do, I.V. antibiotics during labor can save your baby's life.")
    assert _FRAGMENT.search("If not, the infection may spread to the blood.")
    assert not _FRAGMENT.search("If you have diabetes, check your feet every day.")


def test_these_medicines_of_the_sentence_before_are_out_of_context():
    from evidex.answer.appraise import _OUT_OF_CONTEXT

    # "Most people who take these medicines daily …": which medicines is in the sentence before
    assert _OUT_OF_CONTEXT.search("Most people who take these medicines daily find they reduce symptoms.")
    assert not _OUT_OF_CONTEXT.search("Long-term control medicines reduce airway inflammation.")
    # "This recommendation does not apply to …": which recommendation is in the sentence before
    assert _OUT_OF_CONTEXT.search("This recommendation does not apply to circumstances in which there are contraindications.")
    assert _OUT_OF_CONTEXT.search("Such regimens are preferred in older adults.")
    assert not _OUT_OF_CONTEXT.search("The panel's recommendations apply to adults with asthma.")


def test_cases_or_people_of_the_sentence_before_are_out_of_context(corpus):
    from evidex.answer.appraise import _CASES_BEFORE

    assert _CASES_BEFORE.search("In these cases, people have no signs or symptoms of a bacterial infection.")
    assert _CASES_BEFORE.search("For such patients, a lower dose is recommended.")
    assert not _CASES_BEFORE.search("In most cases, people with a cold get better in 7 to 10 days.")
    # which cases (S. maltophilia living on the body without causing infection) is said only in the sentence before
    answer = corpus.ask("If my symptoms persist more than a week should I take antibiotics?", audience="patient")
    assert not any(c.text.startswith("In these cases") for c in answer.claims())


def test_damaged_source_sentences_are_not_claims(corpus):
    # The guideline summary lost "<110 mg/dL (" to markup stripping: quoted as it stands,
    # the sentence would tell patients the opposite of the recommendation.
    for audience in ("clinician", "patient"):
        answer = corpus.ask("How can I keep my blood sugar down with type 2 diabetes?", audience=audience)
        assert answer.claims()
        for claim in answer.claims():
            assert "blood glucose levels Strong against" not in claim.quote.text
            assert claim.text.count("(") == claim.text.count(")")


def test_methods_sentences_and_table_rows_without_the_topic_are_not_claims(corpus):
    answer = corpus.ask("Is metformin first-line for type 2 diabetes?")
    texts = [claim.text for claim in answer.claims()]
    assert texts
    assert not any("were randomly assigned" in t or "studies were selected" in t for t in texts)
    assert not any("|" in t and "diabet" not in t.lower() and "metformin" not in t.lower() for t in texts)
    assert not any(t.startswith("Recommended as part of") for t in texts)  # no subject: cut from a list
    assert answer.section("patient_specific") is None  # diabetes is the topic, not a patient detail


def test_a_condition_known_only_by_its_lay_name_still_bounds_the_findings(corpus):
    # "fractures" has no MeSH heading in the vocabulary, only a consumer-health topic;
    # a sentence recommending vitamin D for COVID-19 is not an answer about fractures.
    answer = corpus.ask("Does vitamin D prevent fractures?")
    references = {r.number: r for r in answer.references}
    assert answer.claims()
    for claim in answer.claims():
        assert "fractur" in f"{claim.text} {references[claim.citations[0]].title}".lower(), claim.text
    assert not any("covid" in r.title.lower() for r in answer.references)


def test_a_finding_stated_with_any_verb_can_be_the_bottom_line(corpus):
    # "… predict knee OA progression" is the review's conclusion, though "predict" is no auxiliary
    answer = corpus.ask("Which baseline factors predict progression of knee osteoarthritis on x-rays?")
    assert "predict knee OA progression" in answer.section("bottom_line").claims[0].text


def test_in_a_comparison_a_warning_after_no_difference_is_still_a_warning(corpus):
    from types import SimpleNamespace

    from evidex.answer.compose import section_for
    from evidex.answer.understand import understand

    question = understand("Is naproxen better than ibuprofen for back pain?", corpus.vocabulary)
    text = ("There was no significant difference in pain between naproxen and ibuprofen, and naproxen "
            "should not be used in patients with renal impairment.")
    assert section_for(SimpleNamespace(text=text, strength=None), question) == "avoid"
    assert section_for(SimpleNamespace(text=text.split(", and")[0] + ".", strength=None), question) != "avoid"


def test_a_comparison_is_answered_by_its_conclusion_and_no_difference_is_not_a_warning(corpus):
    answer = corpus.ask("Robotic vs. transanal total mesorectal excision for rectal cancer: are the outcomes similar?")
    assert answer.question_type == "comparison"
    assert "similar pathological and short-term outcomes" in answer.section("bottom_line").claims[0].text
    avoid = answer.section("avoid")
    assert avoid is None or not any("no difference" in c.text or "no significant difference" in c.text for c in avoid.claims)


@pytest.mark.parametrize("audience", ["clinician", "patient"])
def test_a_page_on_another_condition_is_not_about_the_focus_for_its_title_alone(corpus, audience):
    # "Q fever" and "Omsk hemorrhagic fever" pages name fever in their titles; their sentences on
    # doxycycline or ribavirin are not about what to do for a fever
    titles = [r.title for r in corpus.ask("What should I do about a fever?", audience=audience).references]
    assert titles and not any("Q Fever" in t or "Hemorrhagic Fever" in t for t in titles)


def test_no_verdict_rests_on_a_sentence_that_never_names_what_was_asked(corpus):
    # a guideline sentence suggesting SNRIs does not say whether escitalopram is one
    assert corpus.ask("Is escitalopram an SNRI?", audience="patient").verdict is None


@pytest.mark.parametrize("audience", ["clinician", "patient"])
def test_a_yes_no_question_on_two_things_is_not_answered_by_a_sentence_on_one(corpus, audience):
    # the only sentences on SNRIs (a guideline suggesting one for chronic multisymptom illness)
    # never name citalopram: they cannot say whether it is one; what citalopram is (an SSRI) does
    answer = corpus.ask("Is citalopram an SNRI?", audience=audience)
    assert answer.verdict is None
    assert "selective serotonin reuptake inhibitors" in answer.section("bottom_line").claims[0].text
    assert all("citalopram" in claim.text.lower() for claim in answer.claims())


@pytest.mark.parametrize("question", ["Do lysine supplements help?", "Is lysine useful for herpes?"])
def test_what_a_source_names_in_passing_does_not_answer_about_it(corpus, question):
    # a study of uraemic plasma measures "MDA-lysine"; a page on Kabuki syndrome names a
    # "lysine-specific demethylase" among its genetic changes: neither says what lysine pills do
    answer = corpus.ask(question, audience="patient")
    assert not any("lysine" in c.text.lower() for c in answer.claims())
    assert not answer.section("bottom_line") or not answer.section("bottom_line").claims
    if not answer.abstained:  # a treatment the sources never name for the condition: said so, with how they treat it
        assert "do not directly address lysine" in answer.section("bottom_line").notes[0].text


def test_a_study_that_asks_the_question_answers_it_alone(corpus):
    # pages on kidney disease that mention dialysis and protein do not add to the study that asked this
    question = "Does increasing blood pH stimulate protein synthesis in dialysis patients?"
    answer = corpus.ask(question)
    assert [r.title for r in answer.references] == [question]


@pytest.mark.parametrize("audience", ["clinician", "patient"])
def test_what_is_a_condition_is_answered_by_its_definition_even_beside_a_long_guideline(corpus, audience):
    # thirty passages of one gout guideline once filled every place, and the page that says what gout is was never read
    bottom = corpus.ask("What is gout?", audience=audience).section("bottom_line")
    assert bottom and bottom.claims[0].text.startswith("Gout is")


def test_a_definition_is_of_what_the_question_names_with_its_qualifier(corpus):
    bottom = corpus.ask("What is normal blood pressure?", audience="patient").section("bottom_line")
    assert bottom and bottom.claims[0].text.startswith("Normal blood pressure is")
    # "Asthma is a breathing disorder …" does not say what uncontrolled asthma is
    answer = corpus.ask("What is uncontrolled asthma?", audience="patient")
    assert not any(c.text.startswith("Asthma is") for c in answer.claims())


def test_a_page_on_another_condition_never_gives_the_bottom_line_about_it(corpus):
    # the only pages that mention gums and treatment are on mouth cancer ("If cancer is in the lower
    # gingiva (gums), treatment may include surgery"): that is not an answer for sore gums
    answer = corpus.ask("What mouthwash helps sore gums?", audience="patient")
    assert answer.abstained


@pytest.mark.parametrize(
    "question, topic", [("How is a runny nose treated?", "nose"), ("How do you treat a rash?", "rash"), ("How is itching treated?", "itch")]
)
def test_a_page_on_another_condition_never_answers_a_question_about_a_symptom(corpus, question, topic):
    # the treatments of sleep apnoea, scabies or Kyrle disease each include something for a stuffy
    # nose, a rash or itching; none of them says how that symptom is treated
    answer = corpus.ask(question, audience="patient")
    bottom = answer.section("bottom_line")
    cited = [answer.references[n - 1] for claim in (bottom.claims if bottom else []) for n in claim.citations]
    assert all(r.kind != "consumer" or topic in r.title.lower() for r in cited), [r.title for r in cited]


@pytest.mark.parametrize("audience", ["clinician", "patient"])
def test_a_list_cut_from_its_lead_in_is_not_a_claim(corpus, audience):
    # "chills and shaking night sweats … fever above 101 degrees" belongs to "If the UTI spreads to
    # the kidneys, symptoms may include": alone it reads as the symptoms of any urinary infection
    claims = corpus.ask("What are the symptoms of a urinary tract infection?", audience=audience).claims()
    assert claims and not any(re.match(r"[a-z]{3,}\b", claim.quote.text) for claim in claims)


def test_what_a_study_performed_is_not_a_finding(corpus):
    texts = [claim.text for claim in corpus.ask("Does physical therapy help a rotator cuff tear?").claims()]
    assert texts and not any("were performed in" in t for t in texts)


@pytest.mark.parametrize("audience", ["clinician", "patient"])
def test_a_recommendation_against_is_never_listed_as_an_option(corpus, audience):
    # "Pegloticase is strongly recommended against for …" belongs under what to avoid
    answer = corpus.ask("What medicine helps a gout flare?", audience=audience)
    options = [c.text for key in ("bottom_line", "first_line", "second_line") if (s := answer.section(key)) for c in s.claims]
    assert options and not any(re.search(r"recommend(?:s|ed)? against", t, re.IGNORECASE) for t in options)
    avoid = answer.section("avoid")
    assert avoid and any("recommended against" in c.text for c in avoid.claims)


def test_headings_are_not_claims_and_first_line_statements_lead(corpus):
    answer = corpus.ask("What is the first-line treatment for mild persistent asthma?")
    assert not any(claim.text.startswith("When to ") for claim in answer.claims())
    bottom = corpus.ask("Does talk therapy help with depression?").section("bottom_line").claims[0].text
    assert "psychotherapy" in bottom.lower() and "recommend" in bottom.lower()


def test_patient_mode_sees_the_same_evidence_on_the_treatment_as_clinicians(corpus):
    # Patient mode sets hard-to-read findings aside; that must not turn into "no passage mentions massage".
    for audience in ("clinician", "patient"):
        answer = corpus.ask("Does massage help low back pain?", audience=audience)
        bottom = answer.section("bottom_line")
        assert not any("do not directly address" in note.text for note in bottom.notes), audience


def test_repeated_paragraphs_show_once_but_different_numbers_do_not_count_as_repeats():
    from evidex.answer.compose import _repeats

    assert _repeats("Stability exercises over 4 to 10 visits post-procedure.", ["Stability exercises over four to ten visits post-procedure."])
    assert not _repeats("Reduce to 15 mg once daily if CrCl is 50 or less.", ["Reduce to 30 mg once daily if CrCl is 50 or less."])
    assert not _repeats("Surgery is not recommended for small hernias.", ["Surgery is recommended for small hernias."])


def test_the_bottom_line_is_about_the_treatment_asked_about_when_any_finding_names_it(corpus):
    for audience in ("clinician", "patient"):
        answer = corpus.ask("Will physical therapy help a herniated disc in my back?", audience=audience)
        assert "physical therapy" in answer.section("bottom_line").claims[0].text.lower(), audience


@pytest.mark.parametrize(
    "question",
    [
        SEED,
        "what exercises are best for a slipped disc with sciatica after back surgery or with numbness in my leg",
        "herniated disc sciatica exercises post-op neuro deficits evidence",
    ],
)
def test_the_seed_question_however_typed_says_what_the_corpus_lacks(corpus, question):
    """The nearest population's evidence, labelled as such, and a note for each group the corpus
    does not cover; no sentence about another treatment (epidural injections) as an answer."""
    answer = corpus.ask(question)
    assert not answer.abstained
    bottom = answer.section("bottom_line")
    assert bottom.notes and "The sources retrieved for this question do not directly address exercise" in bottom.notes[0].text
    related = answer.section("related")
    assert related and related.claims and all("exercis" in c.text.lower() for c in related.claims)
    notes = " ".join(n.text for n in answer.section("patient_specific").notes)
    assert "Recent surgery / post-operative" in notes
    assert all("exercis" in c.text.lower() or c in related.claims for c in answer.claims() if "injection" in c.text.lower())
    assert "evidence" not in answer.focus[0].lower()


def test_a_review_that_asks_the_question_answers_it_with_its_conclusion(empty_corpus, tmp_path):
    # a sensitivity analysis or a call for more trials may share more words with the question;
    # the authors' answer to their own question is the first finding of their conclusions
    review = {
        "id": "test:yoga-ms-review", "kind": "systematic_review", "year": 2022,
        "title": "Does yoga reduce fatigue in adults with multiple sclerosis? A systematic review and meta-analysis",
        "passages": [
            {"label": "RESULTS", "text": (
                "Twelve trials of yoga for fatigue in multiple sclerosis were included. "
                "In a sensitivity analysis without two trials at high risk of bias, yoga reduced fatigue in adults with "
                "multiple sclerosis by a smaller amount.")},
            {"label": "CONCLUSIONS", "text": (
                "Yoga may reduce fatigue in adults with multiple sclerosis, but the certainty of the evidence is low. "
                "Further high-quality trials of yoga for fatigue in multiple sclerosis are needed.")},
        ],
    }
    _ingest(empty_corpus, tmp_path, review)
    bottom = empty_corpus.ask("Does yoga reduce fatigue in adults with multiple sclerosis?").section("bottom_line")
    assert bottom.claims[0].text.startswith("Yoga may reduce fatigue in adults with multiple sclerosis")


def test_two_sentences_typeset_without_a_space_are_two_sentences():
    from evidex.answer.appraise import SentenceSplitter

    text = "Any alcohol may harm the liver.Study designs differed widely. See medlineplus.gov for more."
    assert [text[a:b] for a, b in SentenceSplitter().spans("x", text)] == [
        "Any alcohol may harm the liver.", "Study designs differed widely.", "See medlineplus.gov for more."
    ]
    # nor is an abbreviated genus the end of a sentence
    text = "Retention may be considered for non-S. aureus infections. It failed in 3 of 10."
    assert [text[a:b] for a, b in SentenceSplitter().spans("y", text)][0].endswith("aureus infections.")


def test_the_built_in_passages_come_split_as_the_splitter_splits_them(corpus):
    """A changed splitter or built-in corpus needs scripts/build_builtin_sentences.py run again."""
    from evidex.answer.appraise import SentenceSplitter, splitter_stamp
    from evidex.evidence.builtin import ShippedSentences

    shipped = ShippedSentences.load(splitter_stamp())
    assert shipped is not None, "the shipped sentences are stale: run scripts/build_builtin_sentences.py"
    texts = [p.text for i, doc in enumerate(corpus.store.iter_documents()) if i % 97 == 0 for p in doc.passages]
    assert len(texts) > 100
    splitter = SentenceSplitter()
    assert [shipped.get(text) for text in texts] == [splitter.split(text) for text in texts]
    # an edited passage is split afresh, never given another text's spans
    edited = texts[0] + " An added sentence."
    assert shipped.get(edited) is None
    assert SentenceSplitter(shipped=shipped).spans("edited", edited)[-1] == (len(texts[0]) + 1, len(edited))


@pytest.mark.parametrize("question", [
    "What is the outlook for a patient with HER2-negative ductal breast carcinoma?",
    "How is the prognosis of a case of lobular breast carcinoma?",
])
def test_a_question_on_the_outlook_gets_a_sentence_on_the_outlook(corpus, question):
    # not "The treatment of breast cancer depends partly on the stage", nor "Stage I is divided into stages IA and IB"
    bottom = corpus.ask(question).section("bottom_line")
    assert bottom.claims[0].text.startswith("The prognosis (chance of recovery) and treatment options depend on")


def test_a_sentence_that_goes_on_from_another_is_not_the_bottom_line(corpus):
    # "Other symptoms include …" presupposes the main one, which is said first
    bottom = corpus.ask("How can I tell whether I have polymyalgia rheumatica?", audience="patient").section("bottom_line")
    assert not bottom.claims[0].text.startswith("Other")
    assert "stiffness" in bottom.claims[0].text


def test_a_page_on_another_condition_adds_nothing_to_a_question_about_a_condition(corpus):
    # the symptoms of appendix cancer are not signs of appendicitis, however alike the names
    # (the familial Mediterranean fever page names fever; it is not a page on what causes a fever)
    for question, other in (("What causes a fever?", "mediterranean"),):
        answer = corpus.ask(question, audience="patient")
        assert answer.claims()
        assert not any(other in r.title.lower() for r in answer.references), [r.title for r in answer.references]


@pytest.mark.parametrize("audience", ["clinician", "patient"])
def test_a_quoted_sources_call_for_urgent_care_is_shown(corpus, audience):
    # the heartburn page that says over-the-counter medicines may help also says that crushing chest
    # pain could be a heart attack: that goes under when to get help, quoted with its condition
    answer = corpus.ask("Which medicines ease heartburn?", audience=audience)
    escalate = answer.section("escalate")
    assert escalate and any("heart attack" in c.text and "chest pain" in c.text for c in escalate.claims)
    assert_citations_sound(answer, corpus)


def test_a_study_answers_only_the_question_its_title_asks(empty_corpus, tmp_path):
    # a trial of a gel for pain after tonsil surgery names tonsil surgery, and says nothing of
    # whether the surgery is needed
    trial = {
        "id": "test:gel-after-tonsil-surgery", "kind": "rct", "year": 2021,
        "title": "A honey gel for pain after tonsil surgery: a randomised trial",
        "passages": [{"label": "CONCLUSIONS", "text": (
            "The honey gel reduced pain after tonsil surgery compared with no gel.")}],
    }
    _ingest(empty_corpus, tmp_path, trial)
    assert empty_corpus.ask("Is tonsil surgery needed routinely?").abstained
    answer = empty_corpus.ask("Does a honey gel ease pain after tonsil surgery?")
    assert not answer.abstained and "honey gel" in answer.section("bottom_line").claims[0].text


def test_a_table_row_is_not_the_bottom_line_unless_it_holds_the_dose_asked_for(corpus):
    # "Persistent bacteremia (>72 hours despite effective therapy) | May indicate …" means what its
    # table's headings say; a row of a dose table still gives the doses
    # ("MRSA | Vancomycin (trough 15-20 mcg/mL) | Linezolid …" of a meningitis table holds no dose)
    bottom = corpus.ask("What dose of vancomycin is used for MRSA bacteremia?").section("bottom_line")
    assert not any(" | " in c.text for c in (bottom.claims if bottom else []))
    dose = corpus.ask("What dose of bupropion is used?").section("bottom_line")
    assert dose.claims and "mg" in dose.claims[0].text


def test_the_bottom_line_speaks_of_the_patients_group(corpus):
    # "while pregnant": aspirin in pregnancy, not a recommendation for adults aged 50 to 59
    bottom = corpus.ask("Can I take aspirin while pregnant?", audience="patient").section("bottom_line")
    assert bottom.claims and "pregnan" in bottom.claims[0].text.lower()
    # among near-equals, the one that speaks of children
    bottom = corpus.ask("How is asthma treated in children?").section("bottom_line")
    assert bottom.claims and re.search(r"child|adolescent|pediatric|paediatric", bottom.claims[0].text, re.IGNORECASE)


def test_a_dose_is_given_only_for_the_condition_and_the_patient_asked_about(corpus):
    # the corpus's amoxicillin doses are an adult's, for urinary infections: not a child's ear infection
    answer = corpus.ask("What is the dose of amoxicillin for an ear infection in a child?", audience="patient")
    bottom = answer.section("bottom_line")
    assert answer.abstained or all(re.search(r"\bear|otitis", c.text, re.IGNORECASE) for c in bottom.claims)
    dose = corpus.ask("What dose of colchicine is used for a gout flare?").section("bottom_line")
    assert dose.claims and "colchicine" in dose.claims[0].text.lower()


def test_a_sentence_on_part_of_the_question_is_not_its_answer(corpus):
    # an ultrasound's use for fatty liver ("limited sensitivity for mild steatosis") names the test,
    # not the gallbladder, and says nothing of when after a meal it is done
    answer = corpus.ask("How long after eating is an ultrasound of the gallbladder done?", audience="patient")
    assert answer.abstained and not answer.claims()


def test_a_pointer_to_the_full_guideline_is_not_a_claim(corpus):
    # "Potential adverse effects … are provided in Table D-1 in the original guideline document"
    # says where the answer is, not what it is
    for question in ("What are the side effects of statins?", "What are the side effects of anti-obesity drugs?"):
        assert not any("original guideline" in c.text for c in corpus.ask(question).claims())


def test_a_question_about_an_animal_is_not_answered_from_human_medicine(corpus):
    answer = corpus.ask("Is it safe to give ibuprofen to my dog?")
    assert answer.abstained and not answer.claims() and not answer.references
    assert "veterinarian" in answer.abstain_reason and "dog" in answer.abstain_reason


def test_a_treatment_the_sources_never_mention_gets_how_they_treat_the_condition(corpus):
    # nothing retrieved speaks of antibiotics for chickenpox: say so, and show how the sources treat it
    answer = corpus.ask("Are antibiotics given for chickenpox?", audience="patient")
    assert not answer.abstained
    assert "do not directly address antibiotics for chickenpox" in answer.section("bottom_line").notes[0].text
    usual = answer.section("usual_treatment")
    assert usual and usual.claims and "none of them is about antibiotics" in usual.notes[0].text
    assert not any("antibiotic" in c.text.lower() for c in usual.claims)
    assert_citations_sound(answer, corpus)


def test_a_recommendation_for_another_group_is_not_the_answer_for_the_group_asked_about(corpus):
    # lipid screening "in men aged 35 years or older and women aged 45 years or older" says nothing of newborns
    answer = corpus.ask("Which heart condition do newborns of mothers with diabetes get?")
    bottom = answer.section("bottom_line")
    assert answer.abstained or not re.search(r"\b(?:men|women|adults)\b", bottom.claims[0].text)


def test_a_guideline_on_the_condition_asked_about_answers_for_it(corpus):
    # the sentences of a pneumonia guideline need not repeat "pneumonia" to be about it; what a
    # guideline covers ("The 2019 … guideline provides specific recommendations on …") and a list
    # item cut from its heading ("May benefit from IV antibiotics initially") are not findings
    answer = corpus.ask("What is first-line treatment for community-acquired pneumonia in adults?")
    assert any("pneumonia" in r.title.lower() for r in answer.references)
    texts = [c.text for c in answer.claims()]
    assert len(texts) >= 3 and not any("guideline provides" in t or t.startswith("May ") for t in texts)


def test_a_guidelines_list_of_regimens_is_quoted_whole_under_its_heading(corpus):
    # "- Doxycycline 100 mg orally twice daily; OR" says nothing alone; the list with its "PLUS" and
    # its heading (which patients and settings it is for) is the recommendation
    answer = corpus.ask("What is first-line treatment for community-acquired pneumonia in adults?")
    lists = [c for c in answer.claims() if " - " in c.text and re.search(r"\d+(?:\.\d+)? ?(?:mg|g)\b", c.text)]
    assert lists and all(c.note and c.note.startswith("Under “") for c in lists)
    assert not any("MCP" in c.text for c in answer.claims())  # a note on a software tool is no part of it
    assert_citations_sound(answer, corpus)
    # a regimen list is a prescriber's: patients get no such list
    patient = corpus.ask("What is first-line treatment for community-acquired pneumonia in adults?", audience="patient")
    assert not any(" - " in c.text and " OR " in c.text for c in patient.claims())


def test_only_a_call_for_urgent_care_with_its_own_condition_is_shown(empty_corpus, tmp_path):
    # "do not need to go to the emergency room" is no call for urgent care, and "Call 911 if:" has
    # lost its list; "If you cannot breathe, call 911." says when by itself
    page = {
        "id": "test:common-cold-care", "kind": "consumer", "audience": "consumer", "title": "Treating a common cold",
        "keywords": ["Common Cold"],
        "passages": [{"label": "treatment", "text": (
            "Treatment of a common cold includes rest and fluids. Pain relievers can ease the aches of a common cold. "
            "Most people with a common cold do not need "
            "to go to the emergency room. If you cannot breathe, call 911.\nCall 911 for emergency care if:\n- you faint")}],
    }
    _ingest(empty_corpus, tmp_path, page)
    answer = empty_corpus.ask("How is a common cold treated?", audience="patient")
    urgent = [c.text for c in (answer.section("escalate").claims if answer.section("escalate") else [])]
    assert urgent == ["If you cannot breathe, call 911."]


def test_a_conclusion_about_a_subgroup_or_a_mechanism_does_not_replace_the_answer(empty_corpus, tmp_path):
    review = {
        "id": "test:pilates-ms-review", "kind": "systematic_review", "year": 2023,
        "title": "Does pilates reduce fatigue in adults with multiple sclerosis? A systematic review",
        "passages": [
            {"label": "RESULTS", "text": "Pilates reduced fatigue in adults with multiple sclerosis in nine of eleven trials."},
            {"label": "CONCLUSIONS", "text": (
                "In adults with progressive multiple sclerosis, pilates did not reduce fatigue. "
                "Pilates is thought to reduce fatigue in multiple sclerosis by improving sleep.")},
        ],
    }
    _ingest(empty_corpus, tmp_path, review)
    answer = empty_corpus.ask("Does pilates reduce fatigue in adults with multiple sclerosis?")
    assert answer.verdict is None or answer.verdict.value != "no"  # a subgroup's finding decides nothing
    bottom = answer.section("bottom_line")
    assert bottom.claims and not re.match(r"In adults with progressive|Pilates is thought", bottom.claims[0].text)


def _ingest(corpus: Corpus, folder, document: dict) -> None:
    """Add one document, written in the generic JSONL format, as a user would."""
    source = folder / "document.jsonl"
    source.write_text(json.dumps(document) + "\n")
    corpus.ingest([source])


def test_a_pages_section_on_the_kind_of_question_asked_or_its_overview_comes_before_another_section(corpus):
    # the signs of food poisoning: "Common symptoms … include vomiting, diarrhea" of the overview, not
    # the kidney complication that may follow an E. coli infection
    bottom = corpus.ask("How can I tell whether I have food poisoning?", audience="patient").section("bottom_line")
    assert bottom.claims and re.search(r"vomiting|diarrh", bottom.claims[0].text)


def test_an_answer_with_nothing_to_quote_still_gives_its_topics_emergencies(corpus):
    # a question on what to do, for clinicians too: when to call for help with a seizure, from the
    # advice evidex ships
    answer = corpus.ask("What is the first response to a convulsion on an aeroplane?")
    notes = " ".join(n.text for s in answer.sections for n in s.notes)
    assert answer.abstained and "more than 5 minutes" in notes


def test_a_clinicians_treatment_question_about_children_gets_no_parents_advice(corpus):
    # "if a child has a rash that does not fade" is written for parents, not for a clinician's question
    answer = corpus.ask("What is the treatment for head lice in children?")
    assert not any("if a child has a rash" in n.text for s in answer.sections for n in s.notes)


def test_a_follow_up_asked_alone_asks_for_what_it_continues(corpus):
    # "okay and for the pain?" continues a conversation evidex was not given: which pain?
    answer = corpus.ask("Okay and for the pain and discomfort?", audience="patient")
    assert answer.abstained and not answer.claims() and not answer.references
    assert "continue an earlier one (“Okay and”)" in answer.abstain_reason
    assert corpus.ask("So both remedies are nasal sprays, correct?").abstained
    # asked as the follow-up it is, it is answered about the earlier question's condition
    followed = corpus.ask("And what about ibuprofen?", earlier=["How is gout treated?"])
    assert not followed.abstained and "Gout" in followed.topic


def test_a_question_evidex_cannot_read_is_not_answered_with_a_sentence_that_names_its_topic(corpus):
    # buying antibiotics online or keeping insulin in a car is no kind of question evidex reads:
    # "Antibiotics do not fight infections caused by viruses" names antibiotics and answers something else
    for question in ("Can I buy antibiotics online?", "Can I keep my insulin in the car?"):
        answer = corpus.ask(question, audience="patient")
        assert answer.abstained and not answer.claims() and not answer.references
        assert answer.abstain_reason.startswith("evidex did not recognise what this question asks about")
    # a study whose title asks the question answers it all the same
    answer = corpus.ask("Does laxity of the uninjured knee influence how well ACL reconstruction turns out?")
    assert answer.question_type == "general" and not answer.abstained
    first = answer.section("bottom_line").claims[0].citations[0]
    assert {r.number: r.doc_id for r in answer.references}[first] == "pmid:24695920"
    assert_citations_sound(answer, corpus)


def test_whether_a_treatment_helps_for_no_condition_named_asks_for_it(corpus):
    # "Using antibiotics when you don't need them … can add to antibiotic resistance" is true, and
    # answers nothing about whether they would help the asker
    answer = corpus.ask("Would antibiotics help?", audience="patient")
    assert answer.abstained and not answer.claims()
    assert answer.abstain_reason.startswith("This question asks whether antibiotics would help, but evidex recognised no condition")
    named = corpus.ask("Would antibiotics help a sinus infection?", audience="patient")
    assert "recognised no condition" not in (named.abstain_reason or "")
    # two drugs for nothing named: not what they do for nerve pain, nor "evidence from related groups"
    both = corpus.ask("Will Tylenol or Advil help?", audience="patient")
    assert both.abstained and "recognised no condition" in both.abstain_reason
    # whether to take one: a study of antibiotics after tonsillectomy asks about tonsillectomy
    whether = corpus.ask("Should I get antibiotics?", audience="patient")
    assert whether.abstained and "recognised no condition" in whether.abstain_reason
    # when to take a drug does not ask what it would be for
    assert "recognised no condition" not in (corpus.ask("When should I take the Prozac?", audience="patient").abstain_reason or "")
    # what to change, a test, or a drug's property are not treatments asked about for nothing
    assert not corpus.ask("How can I lower my cholesterol?", audience="patient").abstained
    dependence = corpus.ask("Are benzodiazepines habit-forming?")
    assert "habit-forming" in dependence.section("bottom_line").claims[0].text
    assert_citations_sound(dependence, corpus)
    # a property asked about alone is answered only by a sentence that states it
    sertraline = corpus.ask("Is sertraline addictive?", audience="patient")
    assert sertraline.abstained and "(whether Sertraline is addictive)" in sertraline.abstain_reason


def test_what_to_take_in_pregnancy_is_answered_only_by_what_speaks_of_pregnancy(corpus):
    # the VA/DoD "thiazide-type diuretics … as first-line therapy" is for adults at large, not in pregnancy
    answer = corpus.ask("What is the first-line treatment of hypertension in pregnancy?")
    bottom = answer.section("bottom_line")
    assert not (bottom and any("thiazide" in claim.text.lower() for claim in bottom.claims))
    assert answer.abstained or "pregnan" in bottom.claims[0].text.lower()
    if answer.abstained:
        assert "(the treatment of Hypertension in pregnancy or breastfeeding)" in answer.abstain_reason
    # a source's own word for it counts: ACOG on perinatal depression
    perinatal = corpus.ask("Treatment of depression during pregnancy?")
    assert "perinatal depression" in perinatal.section("bottom_line").claims[0].text
    # every section, not only the bottom line: no GLP-1 drug "preferred to insulin" for diabetes in pregnancy
    diabetes = corpus.ask("What is the treatment for diabetes in pregnancy?")
    assert not any("GLP-1" in claim.text for claim in diabetes.claims())
    # a pregnancy denied is none: the first-line treatment for adults at large answers
    adults = corpus.ask("What is the first-line treatment of hypertension in non-pregnant adults?")
    assert "thiazide" in adults.section("bottom_line").claims[0].text


def test_when_in_the_day_to_take_a_drug_is_answered_only_by_a_sentence_that_says_when(corpus):
    # "Escitalopram is FDA-approved for adolescent MDD" does not say whether to take it at night
    answer = corpus.ask("Should I take Lexapro in the morning or at night?", audience="patient")
    assert answer.abstained
    assert "(when in the day, or whether with food, to take Lexapro)" in answer.abstain_reason
    # naming what it is taken for changes nothing: no sentence says when, which is no gap in the evidence on the drug
    treated = corpus.ask("Should I take fluoxetine in the morning or at night for depression?")
    assert treated.abstained and "(when in the day, or whether with food, to take fluoxetine)" in treated.abstain_reason
    allergy = corpus.ask("Should I take Zyrtec in the morning or at night for allergies?", audience="patient")
    assert allergy.abstained and "(when in the day, or whether with food, to take Zyrtec)" in allergy.abstain_reason


def test_an_abstention_lists_the_nearest_sources_on_what_was_asked(corpus):
    from evidex.answer.render import to_html, to_markdown

    answer = corpus.ask("What is the best dose of tirzepatide for alopecia areata?")
    assert answer.abstained and not answer.claims() and answer.references == []
    assert answer.closest and all("alopecia" in ref.title.lower() for ref in answer.closest)
    assert len({ref.url for ref in answer.closest}) == len(answer.closest)  # one entry per page
    for ref in answer.closest:
        assert corpus.get(ref.doc_id).title == ref.title
    assert "## Nearest sources in the index (evidex found no sentence in them that answers this question)" in to_markdown(answer)
    assert '<section class="closest">' in to_html(answer)
    # none is listed where evidex cannot tell what is asked of the topic, nor for an animal
    assert corpus.ask("Would antibiotics help?", audience="patient").closest == []
    assert corpus.ask("Can I give my cat ibuprofen?", audience="patient").closest == []
    # an urgent notice comes first: the nearest sources are where to read further, not what to do
    urgent = corpus.ask("I have the worst headache of my life. What is the best dose of tirzepatide for alopecia areata?")
    markdown, html = to_markdown(urgent), to_html(urgent)
    assert urgent.closest and markdown.index("## Seek urgent care") < markdown.index("## Nearest sources")
    assert html.index('class="urgent"') < html.index('class="closest"')


def test_a_symptom_named_as_a_drugs_adverse_effect_does_not_say_what_helps_it(corpus):
    # "Opioids produce … adverse effects … such as constipation, drowsiness, dizziness, nausea" was
    # the bottom line for what helps nausea
    answer = corpus.ask("Anything for the nausea?", audience="patient")
    assert not any("adverse" in c.text.lower() for c in answer.claims())
    assert "anti-emetics" in answer.section("bottom_line").claims[0].text
    assert_citations_sound(answer, corpus)
    from evidex.answer.compose import _as_an_effect
    from evidex.answer.understand import understand

    nausea = understand("What helps nausea?", corpus.vocabulary, "patient")
    assert not _as_an_effect(nausea, "Nausea can occur in early pregnancy; ginger and small frequent meals can help.")
    # "… dry mouth and vocal hoarseness may also occur" (of an allergy shot) says what to expect, not what helps
    hoarse = corpus.ask("What helps a hoarse voice?", audience="patient")
    bottom = hoarse.section("bottom_line")
    assert bottom is None or not any("may also occur" in c.text for c in bottom.claims)


def test_a_cold_is_the_common_cold_not_the_temperature(corpus):
    answer = corpus.ask("What helps a cold?", audience="patient")
    assert answer.topic == "Common Cold"
    assert "relief" in answer.section("bottom_line").claims[0].text  # "For relief, try - Getting plenty of rest …"
    assert not any("heat and cold therapy" in c.text.lower() for c in answer.claims())
    assert_citations_sound(answer, corpus)


def test_a_summarys_headings_and_list_items_are_not_the_prognosis(corpus):
    # "Certain factors affect prognosis …" names no factor, and "Whether the cancer has recurred
    # (come back)." is an item of the list that does: the list, with its lead-in, answers
    answer = corpus.ask("What is the prognosis of breast cancer?", audience="patient")
    texts = [claim.text for claim in answer.claims()]
    assert texts and not any(t.startswith(("Certain factors", "Whether")) for t in texts)
    assert "depend on the following" in answer.section("bottom_line").claims[0].text
    assert_citations_sound(answer, corpus)


def test_a_sentence_whose_verb_is_everyday_can_answer(corpus):
    # "everyone knows the symptoms of the common cold" is a sentence, and it answers "is it a cold?"
    answer = corpus.ask("Do you think it's a cold?", audience="patient")
    assert "symptoms of the common cold" in answer.section("bottom_line").claims[0].text
    assert_citations_sound(answer, corpus)


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("Is pinkeye contagious?", "spread from one person to another"),
        ("How long does a cold last?", "last 2 to 14 days"),
        ("Can I catch shingles from my grandson?", "can be spread from a person with active shingles"),
        ("Is hepatitis B contagious?", "spreads by contact with an infected person's blood"),
    ],
)
def test_contagion_and_duration_are_answered_by_a_sentence_that_states_them(corpus, question, said):
    answer = corpus.ask(question, audience="patient")
    assert said in answer.section("bottom_line").claims[0].text
    assert_citations_sound(answer, corpus)


def test_how_soon_a_treatment_works_is_answered_by_when_it_takes_effect(corpus):
    answer = corpus.ask("How soon does treatment for Kawasaki disease work?", audience="patient")
    assert "improve within 24 hours of treatment" in answer.section("bottom_line").claims[0].text
    assert_citations_sound(answer, corpus)
    # a time of something else is no answer: "patients not making expected progress within 6 to 12 weeks
    # following injury" should have a psychosocial evaluation
    answer = corpus.ask("How soon can I expect to see relief in swelling?", audience="patient")
    assert answer.abstained and "how soon or how long" in answer.abstain_reason
    # nor is the time of one condition's treatment ("treated for bacterial meningitis … relief within
    # 48-72 hours") how soon antibiotics work for anything else
    answer = corpus.ask("How long do antibiotics take to work?", audience="patient")
    assert answer.abstained and "how soon or how long" in answer.abstain_reason
    # how long to take a drug is not how soon it works: "Most people begin to improve after 1 to 3 days of
    # antibiotic treatment" must not read as the length of a course
    answer = corpus.ask("How long do you take antibiotics for pneumonia?", audience="patient")
    assert answer.abstained or not any("after 1 to 3 days" in c.text for c in answer.section("bottom_line").claims)


@pytest.mark.parametrize("question", ["Is cancer contagious?", "Is vitiligo contagious?", "Is the flu contagious?"])
def test_spreading_through_the_body_is_not_catching(corpus, question):
    # "the spread of cancer … is called metastasis", "the patches spread", "bird flu has spread to
    # birds" say nothing of catching it from someone
    answer = corpus.ask(question, audience="patient")
    assert not any(w in c.text.lower() for c in answer.claims() for w in ("metastasis", "patches spread", "spread to birds"))


def test_contagion_of_a_condition_the_question_does_not_name_is_not_a_drugs_causes(corpus):
    # "Common causes: prior antibiotic exposure, fastidious organisms" had answered it
    answer = corpus.ask("Am I still contagious after two days on antibiotics?", audience="patient")
    assert answer.abstained and "whether the condition (or Anti-Bacterial Agents) is contagious" in answer.abstain_reason


def test_a_property_asked_about_is_answered_only_by_a_sentence_that_states_it(corpus):
    # the sources on sore throats say what causes them, never whether one catches them from a spouse
    answer = corpus.ask("Could I have caught my sore throat from my husband?", audience="patient")
    assert answer.question_type == "cause"
    assert answer.abstained and "whether" in answer.abstain_reason and "is contagious" in answer.abstain_reason


def test_a_question_that_names_only_the_eye_is_not_answered_with_a_retinal_examination(corpus):
    # what to do with drops in the eyes depends on a condition the question does not say
    answer = corpus.ask("Should I use the same dropper for both eyes?", audience="patient")
    assert answer.abstained and not answer.claims()


def test_a_question_of_no_known_kind_is_answered_only_by_a_sentence_on_all_it_names(corpus):
    # what keeps asthma from starting says nothing of ibuprofen for someone with asthma; with no kind
    # of question to weigh it by, a sentence on one of the two things asked is not an answer
    answer = corpus.ask("What about ibuprofen and my asthma?", audience="patient")
    assert answer.question_type == "general"
    assert answer.abstained


def test_a_patient_allergic_to_a_drug_gets_only_sentences_that_speak_of_the_allergy(corpus):
    # sentences on painkillers for other people (chronic pain, nursing homes) do not say what one
    # allergic to codeine can take
    answer = corpus.ask("I'm allergic to codeine, what painkiller can I take after surgery?", audience="patient")
    assert answer.abstained
    # a guideline's regimen that names the alternative for a penicillin allergy does
    treated = corpus.ask("What is the treatment of community acquired pneumonia in a patient with penicillin allergy?")
    assert not treated.abstained
    assert "allerg" in treated.section("bottom_line").claims[0].text.lower()
    assert "allergic to: Penicillins" in treated.patient_context
    # an allergy to another drug does not keep the treatment of a condition from being answered
    incidental = corpus.ask("I'm allergic to penicillin. What is the first line treatment for high blood pressure?")
    assert not incidental.abstained



def test_a_treatment_for_another_condition_of_the_group_asked_about_does_not_answer(corpus):
    # what helps a breastfeeding mother's fatigue is not the psychotherapy of her depression
    answer = corpus.ask("What treatment helps breast feeding fatigue?")
    bottom = answer.section("bottom_line")
    assert answer.abstained or all(re.search(r"fatigue|tired", c.text, re.IGNORECASE) for c in bottom.claims)


def test_an_abbreviation_whose_meaning_has_no_mesh_heading_is_still_defined(corpus):
    # "GI" is "gastrointestinal", an adjective in no MeSH tree; the dictionary defines it
    bottom = corpus.ask("What is GI?", audience="patient").section("bottom_line")
    assert bottom and "gastrointestinal" in bottom.claims[0].text.lower()
