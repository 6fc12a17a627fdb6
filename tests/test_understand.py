"""Taking clinical questions apart."""

from __future__ import annotations

import pytest

from evidex.answer.understand import MODIFIERS, QuestionError, understand
from evidex.answer.words import concept_words
from evidex.search.vocab import Vocabulary

SEED = (
    "What are the most evidence-backed exercises for a herniated disc with sciatica, "
    "in a patient with recent spinal surgery or neurological deficits?"
)


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary.load()


def test_seed_question(vocabulary):
    q = understand(SEED, vocabulary)
    assert q.question_type == "treatment" and not q.yes_no
    conditions = {c.name for c in q.conditions}
    assert {"Intervertebral Disc Displacement", "Sciatica"} <= conditions
    assert "Exercise" in {c.name for c in q.interventions}
    assert {p.key for p, _ in q.modifiers} >= {"post_operative", "neurological_deficit"}
    assert not q.red_flags


def test_red_flags_are_found(vocabulary):
    q = understand("Low back pain with saddle anaesthesia and new urinary retention: which exercises?", vocabulary)
    assert {m.key for m in q.red_flags} == {"saddle_anaesthesia", "bladder_bowel"}


def test_yes_no_and_question_types(vocabulary):
    assert understand("Does exercise reduce low back pain?", vocabulary).yes_no
    assert understand("What dose of ibuprofen for back pain?", vocabulary).question_type == "dose"
    assert understand("Should adults be screened for lung cancer?", vocabulary).question_type == "diagnosis"


@pytest.mark.parametrize("bad", ["", "   ", "x" * 2001])
def test_unusable_questions_are_refused(vocabulary, bad):
    with pytest.raises(QuestionError):
        understand(bad, vocabulary)


def test_unknown_audience_is_refused(vocabulary):
    with pytest.raises(QuestionError, match="audience"):
        understand("Does exercise help?", vocabulary, audience="robot")


def test_follow_up_inherits_the_condition_and_patient_details(vocabulary):
    first = understand("Exercises for a herniated disc with sciatica in pregnancy?", vocabulary)
    follow = understand("What about after surgery?", vocabulary, earlier=first)
    assert {c.name for c in follow.conditions} == {c.name for c in first.conditions}
    assert "Exercise" in {c.name for c in follow.interventions}
    assert {p.key for p, _ in follow.modifiers} == {"post_operative", "pregnancy"}
    assert "sciatica" in follow.search_text.lower()
    assert any("Sciatica" in line and "Exercises for a herniated disc" in line for line in follow.inherited)


def test_follow_up_that_names_its_own_condition_keeps_it(vocabulary):
    first = understand("Exercises for sciatica?", vocabulary)
    follow = understand("And for gout?", vocabulary, earlier=first)
    assert {c.name for c in follow.conditions} == {"Gout"}
    assert not follow.inherited


def test_a_modifier_that_is_the_question_topic_is_not_a_patient_detail(vocabulary):
    question = understand("Is metformin first-line for type 2 diabetes?", vocabulary)
    assert [c.name for c in question.conditions] == ["Diabetes Mellitus, Type 2"]
    assert question.modifiers == []
    # beside another condition it still describes the patient
    question = understand("Is ibuprofen safe in heart failure with diabetes?", vocabulary)
    assert [p.label for p, _ in question.modifiers] == ["Diabetes"]


def test_treatment_names_include_narrower_ones(vocabulary):
    question = understand("Does talk therapy help with depression?", vocabulary)
    assert {"Psychotherapy", "talk therapy", "Cognitive Behavioral Therapy"} <= set(question.treatment_names)


@pytest.mark.parametrize(
    ("question", "modifiers"),
    [
        ("Is ibuprofen safe for heart disease in a patient with kidney disease?", ["Kidney disease"]),
        ("Is exercise safe after heart failure surgery?", ["Recent surgery / post-operative"]),
        ("Should I take blood thinners for atrial fibrillation?", []),  # the treatment asked about
        ("Is ibuprofen safe for patients on warfarin?", ["Anticoagulation"]),
    ],
)
def test_a_modifier_is_dropped_only_when_it_names_the_topic(vocabulary, question, modifiers):
    assert [p.label for p, _ in understand(question, vocabulary).modifiers] == modifiers


def test_a_question_in_capitals_is_read_as_a_sentence_with_its_abbreviations(vocabulary):
    shouted = understand("DOES PT HELP SCIATICA?", vocabulary)
    typed = understand("Does PT help sciatica?", vocabulary)
    assert shouted.text == "Does pt help sciatica?"
    assert [c.name for c in shouted.interventions] == [c.name for c in typed.interventions] == ["Physical Therapy Modalities"]
    seed = "What are the most evidence-backed exercises for a herniated disc with sciatica?"
    assert understand(seed.upper(), vocabulary).search_text == understand(seed, vocabulary).search_text == seed


@pytest.mark.parametrize(
    "question, qtype",
    [
        ("How is gout treated?", "treatment"),
        ("What actually is a stent?", "definition"),
        ("Which kind of illness is lupus?", "definition"),
        ("What can I do to relieve heartburn at night?", "treatment"),
        ("What is the usual dose of amoxicillin for an ear infection?", "dose"),
        ("How many mg of melatonin should I take?", "dose"),
        ("What are the side effects of metformin?", "side_effects"),
        ("I had a reaction to penicillin, what should I do?", "side_effects"),
        ("Is it normal for a bug bite reaction to become red after a week?", "general"),  # an infinitive, not what it reacts to
        ("How long for a reaction to start after amoxicillin?", "side_effects"),  # a drug is named
        ("Can lisinopril cause a cough?", "side_effects"),
        ("Can I take ibuprofen and paracetamol together?", "interactions"),
        ("Does warfarin interact with vitamin K?", "interactions"),
        ("Is ibuprofen safe in pregnancy?", "contraindications"),
        ("What is gabapentin used for?", "usage"),
        ("How do I come off sertraline safely?", "stopping"),
        ("How does aspirin work?", "mechanism"),
        ("What causes kidney stones?", "cause"),
        ("What are the symptoms of appendicitis?", "symptoms"),
        ("How is celiac disease diagnosed?", "diagnosis"),
        ("What is the life expectancy with COPD?", "prognosis"),
        ("How can I prevent migraines?", "prevention"),
        ("Who is at risk of osteoporosis?", "risk"),
        ("Is cystic fibrosis inherited?", "inheritance"),
        ("What are the complications of diabetes?", "complications"),
        ("How common is psoriasis?", "frequency"),
        ("What is fibromyalgia?", "definition"),
        ("what's gout?", "definition"),
        ("What is the impact of a fast-track pathway on length of stay after hip fracture?", "general"),
        ("Which is better for back pain, ibuprofen or naproxen?", "comparison"),
        ("Could I have caught shingles from my grandson?", "cause"),
        ("I thought Zyrtec was for allergies?", "usage"),
        ("Surgery vs. physiotherapy for sciatica: are they still comparable?", "comparison"),
        ("Can my baby get the flu from me?", "cause"),
        ("Can I get pain relief from a cold pack?", "treatment"),
    ],
)
def test_question_types(vocabulary, question, qtype):
    assert understand(question, vocabulary).question_type == qtype


def test_background_is_patient_context_not_the_topic(vocabulary):
    question = understand("Should I take a statin with a history of heavy drinking?", vocabulary)
    assert [c.name for c in question.focus] == ["Hydroxymethylglutaryl-CoA Reductase Inhibitors"]
    assert question.context.conditions and "statin" not in " ".join(question.context.phrases)


def test_a_drug_the_patient_takes_joins_the_focus_of_an_interaction_question(vocabulary):
    question = understand("I take zyrtec for my allergies will hydroxyzine be ok to take with it?", vocabulary)
    assert question.question_type == "interactions"
    assert {c.name for c in question.focus} == {"Hydroxyzine", "Cetirizine"}
    assert len(question.must_mention.anchors) == 2  # a sentence must name both drugs



@pytest.mark.parametrize("question, focus, allergy", [
    ("Can I take doxycycline if I am allergic to penicillin?", ["Doxycycline"], "allergic to penicillin"),
    # the allergy is also in the focus: a sentence must speak of it
    ("Is it safe to take amoxicillin with a penicillin allergy?", ["Amoxicillin", "Hypersensitivity"], "a penicillin allergy"),
    ("I'm allergic to aspirin. Can I take ibuprofen?", ["Ibuprofen"], "allergic to aspirin"),
    ("Can I take penicillin V if I'm allergic to penicillin?", ["Penicillin V"], "allergic to penicillin"),  # in either order
    ("My son is allergic to penicillin. Can he take cephalexin?", ["Cephalexin"], "allergic to penicillin"),
    ("My wife is allergic to penicillin, can I give her amoxicillin?", ["Amoxicillin"], "allergic to penicillin"),  # for her
    ("My husband says I'm allergic to penicillin, can I take cephalexin?", ["Cephalexin"], "allergic to penicillin"),
    ("I didn't realise I’m allergic to penicillin, can I take cephalexin?", ["Cephalexin"], "allergic to penicillin"),
    ("I have a sulfa allergy, can I take Bactrim?", ["Trimethoprim, Sulfamethoxazole Drug Combination"], "a sulfa allergy"),
    ("I have an allergy to penicillin. Can I take cephalexin?", ["Cephalexin"], "allergy to penicillin"),
    ("I never had an allergy to penicillin until last year. Can I take cephalexin?", ["Cephalexin"],
     "allergy to penicillin until last year"),  # no denial: it is the patient's now
])
def test_a_drug_the_patient_is_allergic_to_describes_the_patient(vocabulary, question, focus, allergy):
    understood = understand(question, vocabulary, "patient")
    assert understood.question_type == "contraindications"  # is the drug asked about safe for this patient
    assert [c.name for c in understood.focus] == focus
    lines = understood.context.describe()
    assert any(line.startswith("allergic to: ") for line in lines)
    assert not any(line.startswith("taking: ") for line in lines)  # allergic to it, not taking it
    assert [(p.key, m) for p, m in understood.modifiers if p.key == "drug_allergy"] == [("drug_allergy", allergy)]


@pytest.mark.parametrize("question", [
    "What are the symptoms of a penicillin allergy?",  # asks about the allergy
    "Is Zyrtec only for allergies?",
    "I'm not allergic to penicillin, can I take amoxicillin?",  # says the patient is not
    "I am no longer allergic to penicillin. Can I take amoxicillin?",
    "Can I take Benadryl Allergy with ibuprofen?",  # a product's name
    "Do Zyrtec allergy tablets interact with ibuprofen?",
    "Allergic to grass so Zyrtec or Claritin?",  # the allergy's clause ends before the drugs
    "I don't think I'm allergic to penicillin, but can I take amoxicillin?",
    "My husband is allergic to penicillin. Can I take amoxicillin?",  # his allergy, asked for me
])
def test_no_drug_allergy_where_the_question_gives_the_patient_none(vocabulary, question):
    understood = understand(question, vocabulary, "patient")
    assert not understood.context.allergies


@pytest.mark.parametrize("question", [
    "I'm not allergic to penicillin. What antibiotic is best for strep throat?",
    "My husband is allergic to penicillin. Can I take amoxicillin?",
    "No known allergies to sulfa. Is Bactrim ok?",
    "I don't have a penicillin allergy, can I take amoxicillin?",
    "I've never had an allergy to penicillin. Can I take amoxicillin?",
])
def test_a_drug_named_only_in_an_allergy_denied_or_another_persons_is_not_one_the_patient_takes(vocabulary, question):
    understood = understand(question, vocabulary, "patient")
    assert not understood.context.medications and not understood.context.allergies
    assert not understood.context.conditions  # nor is the allergy denied a history of Hypersensitivity


def test_an_allergy_to_something_other_than_a_drug_stays_in_the_patients_history(vocabulary):
    understood = understand("I have an egg allergy, can I get the flu shot?", vocabulary, "patient")
    assert "Egg Hypersensitivity" in understood.context.conditions
    assert not any(p.key == "drug_allergy" for p, _ in understood.modifiers)


@pytest.mark.parametrize("question, allergies", [
    ("I'm allergic to penicillin and cephalosporins, can I take azithromycin?", ("Penicillins", "Cephalosporins")),
    ("I am allergic to aspirin or ibuprofen. Can I take acetaminophen?", ("Aspirin", "Ibuprofen")),
    ("I'm allergic to penicillin, amoxicillin and cephalexin, can I take azithromycin?", ("Penicillins", "Amoxicillin", "Cephalexin")),
])
def test_every_drug_of_a_list_the_patient_is_allergic_to_is_an_allergy(vocabulary, question, allergies):
    understood = understand(question, vocabulary, "patient")
    assert understood.question_type == "contraindications"
    assert understood.context.allergies == allergies and not understood.context.medications


def test_a_product_named_for_allergies_is_still_a_drug_taken_with_another(vocabulary):
    understood = understand("Can I take Benadryl Allergy with ibuprofen?", vocabulary, "patient")
    assert understood.question_type == "interactions"
    assert {"Diphenhydramine", "Ibuprofen"} <= {c.name for c in understood.focus}


@pytest.mark.parametrize("question, qtype", [
    ("Lithium and ibuprofen?", "interactions"),
    ("Warfarin + vitamin K?", "interactions"),
    ("Aspirin or ibuprofen?", "general"),  # which of two, not both together
    ("So sertraline and citalopram are for the same things?", "general"),  # whether they are alike
    ("Ibuprofen and acetaminophen, which is stronger?", "general"),  # a choice between them
    ("Statins and diabetes risk?", "general"),  # a drug and a condition
])
def test_two_drugs_named_together_ask_about_their_interaction(vocabulary, question, qtype):
    assert understand(question, vocabulary, "clinician").question_type == qtype

@pytest.mark.parametrize(
    "question, focus",
    [("How is chlamdia treated?", "Chlamydia Infections"), ("Can low testerone cause fatigue?", "Testosterone"),
     ("What does colestrol medicine do?", "Cholesterol"),
     ("Is bipolar passed on to children?", "Bipolar Disorder"), ("Can herpes make it hurt to pee?", "Herpes Simplex"),
     ("Which inhaler suits an asthmatic child?", "Asthma"),
     # a possessive written without its apostrophe, and misspelt
     ("What is sjorens syndrome?", "Sjogren's Syndrome"),
     # sinus symptoms, which have no descriptor of their own, are those of sinusitis
     ("Anything for the sinus pain?", "Sinusitis"), ("What helps sinus pressure?", "Sinusitis")],
)
def test_misspelt_and_organism_names_find_their_concept(vocabulary, question, focus):
    assert focus in {c.name for c in understand(question, vocabulary).focus}


def test_age_and_children_are_patient_details(vocabulary):
    question = understand("My daughter is 6 and has a fever, how much tylenol can I give her?", vocabulary)
    assert question.question_type == "dose" and question.focus[0].name == "Acetaminophen"
    assert question.context.age == 6 and "child" in {p.key for p, _ in question.modifiers}
    older = understand("What is the dose of metformin for a 70 year old with kidney disease?", vocabulary)
    assert older.context.age == 70
    assert {"older_adult", "kidney_disease"} <= {p.key for p, _ in older.modifiers}


def test_having_children_is_fertility_not_a_child(vocabulary):
    from evidex.answer.compose import modifier_matches

    assert "child" not in {p.key for p, _ in understand("Can I still have children after chemotherapy?", vocabulary).modifiers}
    assert "child" not in {p.key for p, _ in understand("I am trying to have a baby, is ibuprofen ok?", vocabulary).modifiers}
    # a parent's child is a child
    assert "child" in {p.key for p, _ in understand("I have a child with a fever, how much ibuprofen?", vocabulary).modifiers}
    child = next(p for p in MODIFIERS if p.key == "child")
    assert modifier_matches(child, "Ibuprofen is safe for children over 6 months.")
    assert not modifier_matches(child, "Affected individuals may be unable to have children (infertility).")


@pytest.mark.parametrize(
    ("question", "purpose"),
    [("What does sertraline treat?", True), ("What conditions is gabapentin used for?", True), ("what is the zoloft for", True),
     ("Should I take antibiotics?", False), ("When should I take the Prozac?", False), ("What is the criteria for antibiotics?", False)],
)
def test_asking_what_a_drug_is_for_is_told_from_asking_whether_to_take_it(vocabulary, question, purpose):
    understood = understand(question, vocabulary)
    assert understood.question_type == "usage" and understood.asks_purpose is purpose


@pytest.mark.parametrize(
    ("question", "member", "kind"),
    [("Is lexapro an snri?", "Escitalopram", "snri"), ("Is Cepahlexin a steroid?", "Cephalexin", "steroid"),
     ("Is augmentin the same as amoxicillin?", "Amoxicillin-Potassium Clavulanate Combination", "amoxicillin"),
     ("Is tylenol a blood thinner?", "Acetaminophen", "blood thinner"),
     ("Is Advil the same as ibuprofen?", "Ibuprofen", "ibuprofen"),  # the same drug under two names
     ("Is hypertension the same as high blood pressure?", "Hypertension", "high blood pressure")],
)
def test_asking_what_kind_of_thing_a_drug_is_asks_what_it_is(vocabulary, question, member, kind):
    understood = understand(question, vocabulary)
    assert understood.question_type == "definition" and [c.name for c in understood.focus] == [member]
    assert understood.kind_asked == kind
    assert not understood.modifiers  # "blood thinner" names the kind, not a patient on anticoagulants


@pytest.mark.parametrize(
    "question",
    ["Is ibuprofen a good idea?", "Is an antiviral an option?", "Is chest pain an emergency?", "Is it an abscess?",
     "Is ibuprofen a good idea for a sprain?", "Is ibuprofen a good choice for gout?"],  # the condition is not the kind
)
def test_a_judgement_or_a_worry_is_not_a_question_of_kind(vocabulary, question):
    assert understand(question, vocabulary).kind_asked is None


def test_the_narrower_kinds_of_a_condition_not_asked_about_are_known(vocabulary):
    kinds = understand("What causes high blood pressure?", vocabulary).longer_names_not_asked
    assert "white coat hypertension" in kinds and "pulmonary hypertension" in kinds
    assert "chronic hypertension" not in kinds  # how it runs is not another kind
    # a kind the question names is what it asks about
    assert "pulmonary hypertension" not in understand("What causes pulmonary hypertension?", vocabulary).longer_names_not_asked
    # other things named so are not the fever asked about either
    fever = understand("Do antibiotics help with a fever?", vocabulary).longer_names_not_asked
    assert {"q fever", "scarlet fever", "rocky mountain spotted fever"} <= set(fever)
    assert "hay fever" not in understand("How do I treat hay fever?", vocabulary).longer_names_not_asked


@pytest.mark.parametrize(
    ("question", "caused"),
    [("What causes gout?", ["Gout"]), ("Can pink eye cause swelling?", ["Swelling"]),
     ("Do cavities have a genetic cause?", ["Tooth Decay"]),
     ("Can gonorrhea cause problems with the kidneys?", [])],  # what gonorrhea causes, not what causes it
)
def test_a_question_on_causes_knows_what_is_caused(vocabulary, question, caused):
    understood = understand(question, vocabulary)
    assert understood.question_type == "cause" and [c.name for c in understood.caused] == caused


def test_an_article_is_never_joined_to_its_noun(vocabulary):
    # "a steroid" is not "asteroid" (while "heart burn" is heartburn)
    assert "Steroids" in {c.name for c in understand("Is prednisone a steroid?", vocabulary).expanded.concepts}
    assert "Heartburn" in {c.name for c in understand("What helps heart burn?", vocabulary).expanded.concepts}


def test_a_question_that_names_nothing_is_not_understood(vocabulary):
    assert not understand("Is it contagious?", vocabulary).understood


def test_relatives_say_who_not_what(vocabulary):
    question = understand("Can I catch a throat infection from my husband?", vocabulary)
    assert question.question_type == "cause"
    assert "Spouses" not in {c.name for c in question.focus}


def test_a_measure_of_how_often_is_not_what_a_question_is_about(vocabulary):
    # "the incidence" asks how often; with the condition unknown, there is nothing to look up
    question = understand("What can be done to reduce the incidence?", vocabulary)
    assert "Incidence" not in {c.name for c in question.focus}


def test_a_brand_name_that_reads_as_an_everyday_word_is_not_a_name_of_the_drug(vocabulary):
    # one of cetirizine's brands is "Reactine": a sentence about an allergic reaction does not name cetirizine
    question = understand("I thought Zyrtec was for allergies?", vocabulary)
    cetirizine = next(c for c in question.focus if c.name == "Cetirizine")
    assert "Reactine" not in cetirizine.synonyms and "Zyrtec" == cetirizine.matched_text
    assert not question.must_mention.covers_anchors(concept_words("There are medicines to treat a reaction."))
    assert question.must_mention.covers_anchors(concept_words("Zyrtec (cetirizine) relieves sneezing."))


def test_a_definition_question_of_any_length_is_read_at_once(vocabulary):
    # a word-splitting pattern once took seconds on one long made-up word
    import time

    started = time.process_time()
    understand("What is " + "x" * 1500 + ", doctor", vocabulary)
    assert time.process_time() - started < 2


def test_an_abbreviation_ending_a_sentence_still_ends_it(vocabulary):
    # "MS." is multiple sclerosis, the wife's: the question is about ibuprofen for back pain
    question = understand("My wife has MS. Can I take ibuprofen for my back pain?", vocabulary)
    assert "Multiple Sclerosis" not in {c.name for c in question.focus}


@pytest.mark.parametrize("question, qtype", [
    ("How can I tell whether I have polymyalgia rheumatica?", "symptoms"),  # how to recognise it: its signs
    ("How would someone know they have shingles?", "symptoms"),
    ("How do doctors tell whether it is gout?", "diagnosis"),  # the tests doctors run
    ("How can I find out if I have HIV?", "diagnosis"),
    ("Which tests show whether I have diabetes?", "diagnosis"),
    ("Can I take paracetamol when I am pregnant?", "contraindications"),  # whether it is safe then
    ("Could she keep taking sertraline while breastfeeding?", "contraindications"),
    ("Do you think this could be appendicitis?", "symptoms"),  # whether it is: its signs
    ("Is it likely that this is measles?", "symptoms"),
    ("Is impetigo infectious to other children?", "cause"),  # how it spreads
    ("Is my tiredness because of the iron deficiency?", "cause"),
    ("How is infectious mononucleosis treated?", "treatment"),  # "infectious" in a name asks nothing
    ("Should I titrate off my sertraline?", "stopping"),
    ("What would indicate a kidney stone?", "symptoms"),
    ("I think it is a cold, what can I take to feel better?", "treatment"),
    ("Can a bladder infection turn into a kidney infection?", "complications"),
    ("Does prediabetes always progress to diabetes?", "complications"),
    ("Can strep spread to my family?", "cause"),  # contagion, not a complication
    ("Okay do you think it's a cold?", "symptoms"),
    ("Will the antibiotics affect my birth control?", "interactions"),
    ("Does amoxicillin make my birth control less effective?", "interactions"),
    ("How does diabetes affect my eyes?", "general"),  # a disease acting on an organ: no second treatment
    ("How does exercise affect blood sugar?", "treatment"),  # a measure is no second treatment
    ("Does ibuprofen affect blood pressure?", "general"),
    ("I take metformin, do you think it's working?", "general"),  # not the signs of "working"
    ("Do you think it's safe to take ibuprofen?", "side_effects"),
    ("I take 4 tablets of methotrexate weekly, is it safe in pregnancy?", "contraindications"),  # their regimen, not a dose question
    ("What should I do if my cold turns into a sinus infection?", "treatment"),
    ("Who should I turn to for help with depression?", "treatment"),
    ("Is there anything I could take for the tiredness?", "treatment"),  # what to take, however far apart
    ("What can I have for the itching?", "treatment"),
    ("What would you recommend for a sore throat?", "treatment"),
    ("Can you recommend something over the counter for heartburn?", "treatment"),
    ("Is there a good nasal spray brand for hay fever?", "treatment"),
    ("Is there anything wrong with taking ibuprofen for a long time?", "general"),  # not what to take
    ("Is there something I should watch for after a concussion?", "general"),
    ("What do studies suggest about coffee and heart disease?", "general"),  # the studies suggest
    ("Do the guidelines recommend statins for adults over 75?", "general"),  # not a comparison
    ("Will losing weight make any difference to my knee pain?", "treatment"),
    ("Claritin and Zyrtec, are they the same?", "comparison"),
    ("What does metformin do?", "usage"),  # what it is for
    ("What does gabapentin do to the body?", "mechanism"),
])
def test_question_types_from_everyday_phrasings(vocabulary, question, qtype):
    assert understand(question, vocabulary, "patient").question_type == qtype


@pytest.mark.parametrize("question, condition", [
    ("How is cancer treated?", "Neoplasms"),
    ("What causes a tumor?", "Neoplasms"),
    ("Can an infection come back after antibiotics?", "Infections"),
    ("Is exercise good for mental illness?", "Mental Disorders"),
])
def test_a_whole_disease_category_is_a_condition(vocabulary, question, condition):
    # the heads of MeSH's disease categories carry no tree number of their own in the descriptor file
    q = understand(question, vocabulary)
    assert condition in {c.name for c in q.conditions}
    if condition == "Neoplasms":
        # "mass" is an everyday word, not a name of cancer ("body mass index")
        assert not any(p == frozenset({"mass"}) for alternatives in q.focus_phrases for p in alternatives)


@pytest.mark.parametrize("question, focus", [
    ("How is a gum infection treated?", "Gingiva"),  # the organ narrows the category
    ("How is a kidney infection treated?", "Pyelonephritis"),  # an everyday name of one
    ("How is a yeast infection treated?", "Yeast Infections"),  # so does a longer name
])
def test_a_disease_category_narrowed_by_an_organ_or_a_longer_name_is_not_the_focus(vocabulary, question, focus):
    names = {c.name for c in understand(question, vocabulary).focus}
    assert focus in names and "Infections" not in names


def test_a_long_chemical_name_is_not_mentioned_by_another_that_starts_alike(vocabulary):
    # metformin's chemical name "dimethylbiguanidine" starts like "dimethylsulfoxide" of a topical NSAID
    question = understand("What are the side effects of metformin?", vocabulary)
    assert not question.must_mention.names_a_concept(concept_words("the dimethylsulfoxide in diclofenac solution"))
    assert question.must_mention.names_a_concept(concept_words("Metformin may cause diarrhoea."))
    therapy = understand("Does psychotherapeutic support help depression?", vocabulary)
    assert therapy.must_mention.names_a_concept(concept_words("Psychotherapy helps depression."))


@pytest.mark.parametrize("question, focus", [
    ("I have sickle cell, is it safe to fly?", "Anemia, Sickle Cell"),
    ("Does restless legs run in families?", "Restless Legs Syndrome"),
    ("What causes carpal tunnel?", "Carpal Tunnel Syndrome"),
])
def test_a_disease_is_found_by_its_name_without_disease_or_syndrome(vocabulary, question, focus):
    assert focus in {c.name for c in understand(question, vocabulary).focus}


def test_the_infection_of_a_follow_up_is_one_named_earlier(vocabulary):
    # "the infection" is the one the asker named before: infections at large would be answered
    # with whatever infection the corpus says most about
    assert not understand("What would clear up the infection?", vocabulary).understood
    assert not understand("Can I take something for the pain tonight?", vocabulary).understood
    assert "Cough" in {c.name for c in understand("What can I take for the cough?", vocabulary).focus}  # a question of its own
    shingles = understand("How long does shingles last?", vocabulary)
    assert "Herpes Zoster" in {c.name for c in understand("Anything for the pain?", vocabulary, earlier=shingles).focus}
    assert "Infections" in {c.name for c in understand("What lowers the infection rate after hip surgery?", vocabulary).focus}
    assert "Infections" in {c.name for c in understand("Is the infection on my heel serious?", vocabulary).focus}  # it says where
    follow_up = understand("What would clear up the infection?", vocabulary, earlier=understand("Is strep throat serious?", vocabulary))
    assert follow_up.understood


def test_coming_back_is_not_the_back(vocabulary):
    assert "Back" not in {c.name for c in understand("Will the pain in my knee come back?", vocabulary).focus}


@pytest.mark.parametrize("question", [
    "How many MG of naproxen should I take?",
    "Is 400 mg of ibuprofen too much?",
    "Can I take 500mg of amoxicillin twice a day?",
])
def test_a_unit_of_measure_is_an_amount_not_an_abbreviation(vocabulary, question):
    understood = understand(question, vocabulary)
    assert understood.interventions  # the drug is still what it asks about
    assert "Myasthenia Gravis" not in {c.name for c in understood.focus}


@pytest.mark.parametrize("question", [
    "Is MG an autoimmune disease?",
    "How many MG patients have a thymoma?",  # what is counted follows
    "What are the types of MG of the eye?",
])
def test_an_abbreviation_that_is_also_a_unit_still_names_its_disease(vocabulary, question):
    assert "Myasthenia Gravis" in {c.name for c in understand(question, vocabulary).focus}


@pytest.mark.parametrize("question, animal", [
    ("Can I give aspirin to my horse?", "horse"),
    ("My puppy ate grapes, is that dangerous?", "puppy"),
    ("Is cat scratch disease dangerous?", None),  # a person's disease
    ("What should I do after a dog bite?", None),
    ("My dog bit me, do I need a tetanus shot?", None),
    ("I was bitten by my neighbour's dog, is that dangerous?", None),
    ("Is toxoplasmosis from our cat a risk in pregnancy?", None),
    ("Which antihistamine works best if I am allergic to cats?", None),
])
def test_an_animal_as_the_patient_is_recognised(vocabulary, question, animal):
    assert understand(question, vocabulary).animal == animal


def test_a_part_of_the_body_before_a_sign_says_where_it_is(vocabulary):
    assert {"Tongue", "Swelling"} <= {c.name for c in understand("What brings down tongue swelling?", vocabulary).focus}
    # "knee pain" is a name of its own: the knee is not a second topic
    assert "Knee" not in {c.name for c in understand("What causes knee pain?", vocabulary).focus}


def test_what_would_indicate_a_treatment_or_titrating_down_are_not_signs_or_stopping(vocabulary):
    assert understand("What would indicate the need for dialysis?", vocabulary).question_type.value != "symptoms"
    assert understand("Should I titrate down my insulin at night?", vocabulary).question_type.value != "stopping"


@pytest.mark.parametrize(
    ("question", "continues"),
    [
        ("Okay and for pain and discomfort?", "Okay and"),
        ("And what about ibuprofen?", "And what about"),
        ("So both remedies are nasal sprays correct?", "both remedies"),
        ("Are these medications safe in pregnancy?", "these medications"),
        ("Does any of this change if I have salmonella?", "any of this"),
        ("Which of these is best for a cold?", "Which of these"),
        ("Can I have some antibiotics for it?", "for it"),
        ("I have gout, what can I take for it?", None),  # "it" is named
        ("I was diagnosed with gout. Can I take ibuprofen for it?", None),  # in the background
        ("What about the side effects of metformin?", None),  # a treatment and a question type of its own
        ("What about aspirin and warfarin together?", None),
        ("What about pain after surgery?", None),  # a patient detail
        ("Okay and what about the pain in the evening?", "Okay and what about"),  # "evening" is no verb
        ("Which of these are symptoms of diabetes: thirst, weight loss, tiredness?", None),  # the list follows
        ("None of that helps, what else can I do for my back pain?", None),  # asks its own question
        ("My son has tried every drug. None of them helped. What else can he try?", None),  # named before, in it
        ("Got it, what else could I use?", "what else"),  # else than what was said before
        ("Anything else that can be used instead?", "Anything else"),
        ("Got it, and what about the pain?", "Got it, and what about"),
        ("What else helps besides ibuprofen?", None),
        ("Is there anything else I can take if I already tried Zovirex?", None),  # else than that
        ("Something else that works like Ozempic?", None),  # a drug evidex does not know is still named
        # these stand alone
        ("What about for my eye redness from a blocked nose?", None),
        ("How about physical therapy for back pain?", None),
        ("And can I take ibuprofen for a headache?", None),
        ("Also, is gout hereditary?", None),
        ("Are both ibuprofen and naproxen safe?", None),
        ("So what is the treatment for gout?", None),
    ],
)
def test_a_follow_up_asked_alone_says_what_it_continues(vocabulary, question, continues):
    assert understand(question, vocabulary).continues == continues


def test_an_acknowledgement_names_nothing(vocabulary):
    question = understand("Sounds good, what can I take?", vocabulary, "patient")
    assert question.focus == []  # not "Sound"


def test_a_follow_up_asked_as_one_continues_nothing(vocabulary):
    earlier = understand("What helps strep throat?", vocabulary)
    assert understand("And what about ibuprofen?", vocabulary, earlier=earlier).continues is None


def test_a_dosage_form_beside_a_drug_is_the_drugs_form(vocabulary):
    q = understand("Could I take 2 tablets of fluconazole for a bad yeast infection?", vocabulary)
    assert {c.name for c in q.focus} == {"Fluconazole", "Yeast Infections"}  # not Tablets
    assert q.question_type.value == "dose"  # "take 2 tablets" asks how much
    assert {c.name for c in understand("Is fluticasone nasal spray safe in pregnancy?", vocabulary).focus} == {"Fluticasone"}
    assert "Nasal Sprays" in {c.name for c in understand("Are nasal sprays addictive?", vocabulary).focus}  # asked about alone
    # a form of its own, or one side of a comparison, stays
    both = understand("Should I use both saline nasal spray and Flonase in the same day?", vocabulary)
    assert "Nasal Sprays" in {c.name for c in both.focus}
    compared = understand("Are suppositories better than oral paracetamol for a child?", vocabulary)
    assert "Suppositories" in {c.name for c in compared.focus}


@pytest.mark.parametrize(
    ("question", "aspect"),
    [
        ("Is the stomach flu contagious?", "contagion"),
        ("Can I catch shingles from my grandson?", "contagion"),
        ("Could I have gotten a throat infection from my partner?", "contagion"),
        ("How long does a cold usually last?", "duration"),
        ("When will the rash go away?", "duration"),
        ("How long should I take antibiotics?", None),  # how long to treat, not how long it lasts
        ("How long do I need to stay on warfarin?", None),
        ("What causes shingles?", None),
        ("Did I get my asthma from my dad?", None),  # inherited, not caught
        ("Can the cancer spread to my bones?", None),  # through the body
        ("My doctor prescribed amoxicillin for me, can I give it to my son?", None),  # a drug is not caught
        ("Is it still contagious after a day of antibiotics?", "contagion"),  # of a condition it does not name
        ("Is bronchitis infective to others?", "contagion"),
        ("Is tramadol addictive?", "dependence"),
        ("Are benzodiazepines habit-forming?", "dependence"),
        ("Can I get addicted to sleeping pills?", "dependence"),
        ("I'm addicted to alcohol, what can help?", None),  # a condition, not a drug's property
        ("How long until the amoxicillin starts to reduce the pain?", "timing"),
        ("How long does it usually take for prednisone to kick in?", "timing"),
        ("How soon can I expect relief from the swelling?", "timing"),
        ("How soon should I see a doctor for a cough?", None),  # when to get help, not when it works
        ("How long do you take antibiotics for pneumonia?", None),  # how long to treat
        ("How long will I have to take antibiotics to get rid of pneumonia?", None),
        ("How soon can I go back to work after a hernia operation?", None),
        ("When will the antibiotics start working?", "timing"),
        ("How many days until amoxicillin works?", "timing"),
        ("When does my shift start at work?", None),
        ("Should I take Lexapro in the morning or at night?", "schedule"),
        ("What time of day should I take my metformin?", "schedule"),
        ("Do I take ibuprofen with food?", "schedule"),
        ("Is it better to take amoxicillin before or after meals?", "schedule"),
        ("When should I take the Zoloft?", "schedule"),
        ("When should I take antibiotics for a cough?", None),  # in what case, not at what time
        ("When should I take the test?", None),  # a test, not a drug
        ("I took the ibuprofen with food and still felt sick, what now?", None),  # what happened, not when to take it
        ("I take metformin with food but still get diarrhea, what can I do?", None),  # what is done, not asked
        ("When is the best time to take vitamin D?", "schedule"),
        ("Should prednisone be taken in the morning?", "schedule"),
        ("Does amoxicillin need to be taken with food?", "schedule"),
        ("What time should I give my son his amoxicillin?", "schedule"),
        ("Should I give my child ibuprofen at night for a fever?", None),  # what helps the fever; the time is by the way
        ("My doctor said I need to take prednisone in the morning. Will it raise my blood sugar?", None),  # said, not asked
        ("The pharmacist said Lexapro can be taken at night, but does it cause weight gain?", None),  # a side effect
        ("Should I take sleeping pills every night?", None),  # how often, not at what time
        ("When should I take the morning after pill?", None),
        ("Should I take Lexapro in the morning or at night for depression?", "schedule"),  # two times set against each other
        ("Should I take melatonin at bedtime for insomnia or jet lag?", None),  # two conditions, one time
        ("Is it better to take Zoloft morning or night?", "schedule"),
    ],
)
def test_a_property_no_question_type_names_is_read_once(vocabulary, question, aspect):
    assert understand(question, vocabulary, "patient").aspect == aspect


@pytest.mark.parametrize(
    ("aspect", "sentence", "states"),
    [
        ("contagion", "Several viruses can cause viral gastroenteritis, which is highly contagious.", True),
        ("contagion", "NIH: National Institute of Allergy and Infectious Diseases", False),  # an agency's name
        ("dependence", "Benzodiazepines are not recommended due to their habit-forming potential.", True),
        ("dependence", "The most common adverse effects of tramadol are nausea and dizziness.", False),
        ("duration", "Symptoms usually begin 2 or 3 days after infection and last 2 to 14 days.", True),
        ("duration", "The sores are usually gone after another two weeks.", True),
        ("duration", "Men may benefit from a longer treatment duration (10-14 days).", False),  # how long to treat
        ("contagion", "The spread of cancer from one part of the body to another is called metastasis.", False),
        ("contagion", "From there, it can quickly spread to other organs, including your brain.", False),
        ("contagion", "In some cases, the patches spread.", False),
        ("contagion", "Mono spreads through saliva.", True),
        ("timing", "Most people feel better within 2 or 3 days of starting antibiotics.", True),
        ("timing", "Antidepressants may take 4 to 6 weeks to work.", True),
        ("timing", "Continue the antidepressant at the same dose for at least six months.", False),  # how long to treat
        ("timing", "Evaluate all sex partners from the preceding 60 days.", False),
        ("timing", "Duration: typically 5-7 days for prednisolone.", False),
        ("timing", "In most patients, the pain usually clears up in a few weeks or months.", False),  # untreated course
        ("timing", "With antibiotics, the rash usually goes away within 2 weeks.", True),
        ("timing", "Without treatment, symptoms improve within 2 weeks.", False),
        ("timing", "Call your health care provider if it happens several times in a week.", False),  # "health"
        ("schedule", "Take it once a day in the morning, with or without food.", True),
        ("schedule", "Iron is absorbed best on an empty stomach.", True),
        ("schedule", "Escitalopram is approved for adolescents aged 12 and older.", False),
        ("schedule", "Avoid large meals within 2 hours of bedtime.", False),  # a habit, not when to take a drug
        ("schedule", "Stiffness is usually worse in the morning.", False),  # a symptom's time, not a dose's
        ("schedule", "Symptoms of reflux often occur after meals.", False),
        ("schedule", "It is best taken at bedtime.", True),
        ("schedule", "Gabapentin is used to treat hot flashes and night sweats.", False),
        ("schedule", "Symptoms can vary with the time of day.", False),
    ],
)
def test_a_sentence_states_the_property_asked_for(aspect, sentence, states):
    from evidex.answer.asking import states_aspect

    assert states_aspect(aspect, sentence) is states


def test_pain_with_one_part_of_the_body_is_pain_there(vocabulary):
    # the vagina, not pain anywhere (which was answered with psychosocial care for chronic pain)
    q = understand("Is there another way I could clean my vagina that would soothe the pain?", vocabulary, "patient")
    assert {"Vagina", "Pain"} <= {c.name for c in q.focus}


def test_asking_for_suggestions_names_no_topic(vocabulary):
    # MeSH's "Suggestion" is hypnotic suggestion; in a question it only asks for advice
    q = understand("Do you have any suggestions for cleaning a scraped knee?", vocabulary, "patient")
    assert "Suggestion" not in {c.name for c in q.focus}


@pytest.mark.parametrize("question, for_nothing", [
    ("Would antibiotics help?", True),  # for what?
    ("Is an antiviral an option?", True),
    ("Would antibiotics help my sinus infection?", False),
    ("I have gout, would ibuprofen help?", False),  # named in the background
    ("Does ibuprofen help knee pain?", False),
    ("Do statins help older adults?", False),  # a group, whose usual reason the sources discuss
    ("What is metformin used for?", False),  # asks what it treats
    ("How can I lower my cholesterol?", False),  # names what to change
    ("Is colonoscopy recommended at 45?", False),  # a test
])
def test_a_treatment_asked_about_for_no_condition_is_read_so(vocabulary, question, for_nothing):
    assert understand(question, vocabulary, "patient").treatment_for_nothing_named is for_nothing


def test_a_non_drug_is_not_the_drug(vocabulary):
    # "oral non-steroidal anti-inflammatory drugs" do not mention the steroids a question asks about
    steroids = understand("Are oral steroids safe while breastfeeding?", vocabulary)
    assert not steroids.must_mention.names_a_concept(concept_words("Long-term use of oral non-steroidal anti-inflammatory drugs is limited."))
    assert steroids.must_mention.names_a_concept(concept_words("Oral steroids reduce swelling."))
    # before a name, not an adjective, the prefix does not make another thing: "non-HDL cholesterol" names HDL
    assert {"hdl"} <= concept_words("non-HDL cholesterol")


def test_a_word_inside_a_narrower_concepts_name_is_not_a_second_focus(vocabulary):
    # "ear pain" is Earache, under Pain in MeSH: "pain" inside it asks nothing more
    assert [c.name for c in understand("What helps ear pain?", vocabulary).focus] == ["Earache"]
    # without a place in MeSH to say so, the word is kept ("COPD" inside the lay "COPD exacerbation")
    assert "Pulmonary Disease, Chronic Obstructive" in {c.name for c in understand("How is a COPD exacerbation treated?", vocabulary).focus}


def test_an_agencys_name_does_not_mention_what_it_names(vocabulary):
    # the National Institute of Neurological Disorders and Stroke researching headaches says nothing of strokes
    stroke = understand("Does a stroke cause headaches?", vocabulary)
    words = concept_words("The National Institute of Neurological Disorders and Stroke (NINDS) conducts research relating to headaches.")
    assert not any(phrase <= words for phrase in stroke.focus_phrases[0])
    assert {"cancer", "breast"} <= concept_words("The National Cancer Institute recommends screening for breast cancer.")


def test_a_supplement_one_takes_is_what_is_asked_about(vocabulary):
    # MeSH files probiotics under food, not drugs; taken as pills, they are what the question is about
    q = understand("Can I take probiotics while breastfeeding?", vocabulary, "patient")
    assert "Probiotics" in {c.name for c in q.focus}
    q = understand("Do fish oil supplements help dry eyes?", vocabulary, "patient")
    assert {"Dietary Supplements", "Fish Oils"} & {c.name for c in q.focus}


def test_anxiety_and_grief_are_what_one_seeks_help_for(vocabulary):
    # MeSH files anxiety among emotions, not disorders; "does exercise help anxiety?" asks about both
    q = understand("Does exercise help anxiety?", vocabulary, "patient")
    assert {"Exercise", "Anxiety"} <= {c.name for c in q.focus}


@pytest.mark.parametrize(
    ("question", "only_a_part"),
    [
        ("Do I need to put drops in both eyes or just the one that is bothering me?", True),
        ("Is there an inhaler you can recommend?", True),
        ("What is the GI tract?", False),  # a definition is still answered by what it is
        ("What are the symptoms of menopause?", False),  # a stage of life is asked about, not a part
        ("Do eye drops help pink eye?", False),
    ],
)
def test_a_question_that_names_only_a_part_of_the_body_needs_its_own_study(vocabulary, question, only_a_part):
    q = understand(question, vocabulary, "patient")
    assert q.names_only_a_part is only_a_part
    assert not only_a_part or q.answered_only_by_its_study


@pytest.mark.parametrize(
    ("question", "qtype"),
    [
        # another drug taken "when taking" the first is an interaction, as "while taking" is
        ("When taking the antibiotics can I still take Advil for the headache?", "interactions"),
        ("Can I take ibuprofen while taking amoxicillin?", "interactions"),
    ],
)
def test_another_drug_taken_when_taking_one_is_an_interaction(vocabulary, question, qtype):
    assert understand(question, vocabulary, "patient").question_type == qtype


@pytest.mark.parametrize("question, meant, not_meant", [
    ("My son has PID, what are the treatments?", None, "Pelvic Inflammatory Disease"),  # a boy's PID is another
    ("What is the treatment for PID in women?", "Pelvic Inflammatory Disease", None),
    ("Is CMV dangerous in pregnancy?", "Cytomegalovirus Infections", None),  # the infection, not the virus
])
def test_an_abbreviation_is_read_as_fits_the_person_and_the_infection(vocabulary, question, meant, not_meant):
    names = {c.name for c in understand(question, vocabulary, "patient").focus}
    assert meant is None or meant in names
    assert not_meant not in names


@pytest.mark.parametrize(
    ("question", "pregnant"),
    [
        ("I am pregnant, what helps my back pain?", True),
        ("My baby is 2 months old and I am breastfeeding. What helps my headache?", True),
        ("I am not pregnant. What is the best treatment for a UTI?", False),
        ("First-line treatment of hypertension in non-pregnant adults?", False),
        ("I'm no longer breastfeeding. How do I treat my acne?", False),
        ("I had a negative pregnancy test. What helps period cramps?", False),
        ("My pregnancy test was positive. What can I take for high blood pressure?", True),
        ("I'm not currently pregnant, best treatment for high blood pressure?", False),
        ("I stopped breastfeeding last month. What helps my acne?", False),
    ],
)
def test_a_pregnancy_denied_or_tested_for_is_no_pregnancy(vocabulary, question, pregnant):
    modifiers = {p.key for p, _ in understand(question, vocabulary, "patient").modifiers}
    assert ("pregnancy" in modifiers) is pregnant
