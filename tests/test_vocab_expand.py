"""Vocabulary lookups and query expansion, checked against the real bundled vocabularies."""

from __future__ import annotations

import csv
import io
import runpy
import sqlite3
from importlib import resources
from pathlib import Path

import pytest

from evidex.corpus import Corpus
from evidex.evidence.builtin import data_path
from evidex.search import vocab as vocab_module
from evidex.search.expand import ExpandedQuery, expand_query
from evidex.search.vocab import INDEX_FILE, Vocabulary, encode_index, normalise
from evidex.settings import Settings

HERNIATED_DISC_QUESTION = (
    "What are the most evidence-backed exercises for a herniated disc with sciatica, "
    "after recent spinal surgery or with neurological deficits?"
)
DISC_DISPLACEMENT = "D007405"
SCIATICA = "D012585"
NSAIDS = "D000894"
PHYSICAL_THERAPY = "D026741"


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return Vocabulary.load()


def concepts_by_ui(expanded: ExpandedQuery) -> dict[str | None, str]:
    return {c.ui: c.name for c in expanded.concepts}


# -- Vocabulary ---------------------------------------------------------------


def test_missing_index_is_rebuilt_identically_to_the_committed_one(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    committed = resources.files("evidex").joinpath("data", "vocab", INDEX_FILE).read_bytes()
    real = vocab_module._source_bytes

    def without_index(name: str) -> bytes:
        if name == INDEX_FILE:
            raise FileNotFoundError(name)
        return real(name)

    monkeypatch.setattr(vocab_module, "_source_bytes", without_index)
    rebuilt = vocab_module._load_index()
    assert "missing or stale" in caplog.text
    assert encode_index(rebuilt) == committed, "the committed index is stale: run scripts/build_vocab_index.py"


def test_term_maps_to_mesh_descriptor(vocab: Vocabulary) -> None:
    descriptor = vocab.lookup("slipped disc")
    assert descriptor is not None
    assert (descriptor.ui, descriptor.name) == (DISC_DISPLACEMENT, "Intervertebral Disc Displacement")
    assert "C05.116.900.307" in descriptor.tree_numbers
    assert "Herniated Disc" in descriptor.entry_terms
    assert vocab.lookup("Herniated Discs") == descriptor
    assert vocab.lookup("Anti-Inflammatory Agents, Non-Steroidal").ui == NSAIDS
    assert vocab.lookup("non-steroidal anti-inflammatory agents").ui == NSAIDS
    assert vocab.lookup("no such thing at all") is None


def test_lay_synonyms_come_from_medquad(vocab: Vocabulary) -> None:
    lay = {s for topic in vocab.lay_topics(DISC_DISPLACEMENT) for s in topic.synonyms}
    assert {"Ruptured disk", "Bulging disk"} <= lay


def test_abbreviations_are_case_sensitive(vocab: Vocabulary) -> None:
    assert "physical therapy" in vocab.abbreviation_meanings("PT")
    assert vocab.abbreviation_meanings("Pt") == ["patient"]
    assert vocab.abbreviation_meanings("XYZZY") == []


def test_plain_language_and_lay_definitions(vocab: Vocabulary) -> None:
    assert "high blood pressure" in vocab.plain_terms("Hypertension")
    assert "belly" in vocab.plain_terms("abdomen")
    definition = vocab.definition("chemotherapy")
    assert definition and "drugs" in definition.lower()


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Herniated Discs", "herniated disc"),
        ("Sjögren's syndrome", "sjogren syndrome"),
        ("Non-Steroidal Anti-Inflammatory", "non steroidal anti inflammatory"),
        ("therapies", "therapy"),
        ("tumours, oedema", "tumor edema"),
        ("neurological", "neurologic"),
    ],
)
def test_normalisation_folds_case_accents_punctuation_plurals(text: str, key: str) -> None:
    assert normalise(text) == key


def test_synonyms_are_few_short_and_not_inverted(vocab: Vocabulary) -> None:
    synonyms = vocab.synonyms(DISC_DISPLACEMENT)
    assert 1 <= len(synonyms) <= 6
    assert all("," not in s and len(s.split()) <= 4 for s in synonyms)
    assert any("herniated" in s.lower() for s in synonyms)


# -- expand_query: concepts ---------------------------------------------------


def test_herniated_disc_question(vocab: Vocabulary) -> None:
    expanded = expand_query(HERNIATED_DISC_QUESTION, vocab)
    found = concepts_by_ui(expanded)
    assert found[DISC_DISPLACEMENT] == "Intervertebral Disc Displacement"
    assert found[SCIATICA] == "Sciatica"
    assert {"exercises", "herniated", "disc", "sciatica", "spinal", "neurological", "deficits"} <= set(expanded.terms)
    assert not {"what", "most", "evidence", "backed", "for", "with"} & set(expanded.terms)
    disc = next(c for c in expanded.concepts if c.ui == DISC_DISPLACEMENT)
    assert disc.matched_text == "herniated disc"
    assert disc.tree_numbers and 1 <= len(disc.synonyms) <= 6


@pytest.mark.parametrize(
    ("question", "ui", "matched"),
    [
        ("exercises for a slipped disc", DISC_DISPLACEMENT, "slipped disc"),
        ("sciatica after discectomy", SCIATICA, "sciatica"),
        ("Are NSAIDs safe after surgery?", NSAIDS, "NSAIDs"),
        ("Is PT or NSAIDs better for a herniated disc?", PHYSICAL_THERAPY, "PT"),
        ("physiotherapy for back pain", PHYSICAL_THERAPY, "physiotherapy"),
        # everyday treatment names mapped by hand (data/vocab/lay_terms.tsv)
        ("Does talk therapy help with depression?", "D011613", "talk therapy"),
        ("Are water pills safe for my heart?", "D004232", "water pills"),
        ("Does acupuncture help back pain?", "D015670", "acupuncture"),
        ("Can I take painkillers with blood thinners?", "D000925", "blood thinners"),
    ],
)
def test_clinical_words_map_to_mesh(vocab: Vocabulary, question: str, ui: str, matched: str) -> None:
    concept = next((c for c in expand_query(question, vocab).concepts if c.ui == ui), None)
    assert concept is not None, f"{ui} not found in {question!r}"
    assert concept.matched_text == matched


def test_sciatica_synonyms_include_sciatic_neuralgia(vocab: Vocabulary) -> None:
    concept = expand_query("sciatica", vocab).concepts[0]
    assert "Sciatic Neuralgia" in concept.synonyms


def test_slipped_disc_expands_to_herniated_disc(vocab: Vocabulary) -> None:
    expanded = expand_query("slipped disc", vocab)
    texts = [t.text.lower() for t in expanded.expansion_terms]
    assert "intervertebral disc displacement" in texts
    assert any("herniated" in t for t in texts)


def test_stop_phrases_are_removed(vocab: Vocabulary) -> None:
    expanded = expand_query("Is there evidence that CBT helps in a patient with chronic low back pain?", vocab)
    assert "evidence" not in expanded.terms and "patient" not in expanded.terms
    assert {"cbt", "chronic", "low", "back", "pain"} <= set(expanded.terms)
    assert "Low Back Pain" in concepts_by_ui(expanded).values()


def test_stopwords_in_capitals_are_not_abbreviations(vocab: Vocabulary) -> None:
    expanded = expand_query("WHAT EXERCISE IS AS GOOD AS WALKING IN OLD AGE OR AFTER A STROKE", vocab)
    names = {c.name.lower() for c in expanded.concepts}
    assert not {"arsenic", "indium", "active surveillance", "ankylosing spondylitis", "intranasal"} & names
    assert {"exercise", "walking", "stroke"} <= names


def test_everyday_words_keep_their_everyday_meaning(vocab: Vocabulary) -> None:
    expanded = expand_query("need to speed up recovery from a cold", vocab)
    names = {c.name for c in expanded.concepts}
    assert not {"Methamphetamine", "Health Services Needs and Demand", "Cold Temperature"} & names
    # "affects" is a verb here, not Affect (the emotion), which would become the question's topic
    assert "Affect" not in {c.name for c in expand_query("which heart defects affect newborns", vocab).concepts}


def test_lowercase_acronym_is_recognised_but_english_word_is_not(vocab: Vocabulary) -> None:
    assert "Pulmonary Disease, Chronic Obstructive" in concepts_by_ui(expand_query("copd inhalers", vocab)).values()
    assert "Acquired Immunodeficiency Syndrome" not in concepts_by_ui(expand_query("which aids help", vocab)).values()
    assert "Acquired Immunodeficiency Syndrome" in concepts_by_ui(expand_query("AIDS treatment", vocab)).values()


@pytest.mark.parametrize(
    ("question", "meant", "not_meant"),
    [
        # the list's first meanings were deep masseter, ancillary feature and physical examination
        ("What is the first-line treatment for DM?", "Diabetes Mellitus", "Dermatomyositis"),
        ("metformin DM", "Diabetes Mellitus", None),  # a drug's own name, not a product's
        ("Anticoagulation in AF", "Atrial Fibrillation", None),
        ("How is PE diagnosed?", "Pulmonary Embolism", "Physical Examination"),
        ("Infliximab CD fistulas", "Crohn Disease", None),
        # after a brand the vocabulary knows, a combination's letters are a condition
        ("Humira CD dosing", "Crohn Disease", None),
        ("Lovenox PE in pregnancy dose", "Pulmonary Embolism", None),
        ("Tamoxifen ER status", "Receptors, Estrogen", None),
        # a statistic of how studies report never leads, however often abstracts define it
        ("My son has a CI, can he swim?", "Cochlear Implants", "Confidence Intervals"),
        # a weaker lead of the corpus keeps the list's order: researchers' usage is not patients'
        ("My daughter has BPD, what therapy helps?", "Borderline Personality Disorder", "Bronchopulmonary Dysplasia"),
        ("Can I take CBD with sertraline?", "Cannabidiol", "Common Bile Duct"),
        # the question's own definition wins, wherever it stands
        ("Is computer-aided detection (CAD) as good as double reading?", None, "Coronary Artery Disease"),
        ("Does IVIG help dermatomyositis (DM)?", "Dermatomyositis", "Diabetes Mellitus"),
        ("I have BPD (bronchopulmonary dysplasia), what helps?", "Bronchopulmonary Dysplasia", "Borderline Personality Disorder"),
        # a place is the place, a tumour's marker the receptor
        ("Should I go back to the ER if the fever stays?", "Emergency Service, Hospital", "Receptors, Estrogen"),
        ("went to ER yesterday for chest pain, what now?", "Emergency Service, Hospital", "Receptors, Estrogen"),
        ("Does ER status change breast cancer treatment?", "Receptors, Estrogen", "Emergency Service, Hospital"),
    ],
)
def test_an_abbreviation_means_what_the_corpus_or_the_question_defines_it_as(
    vocab: Vocabulary, question: str, meant: str | None, not_meant: str | None
) -> None:
    names = set(concepts_by_ui(expand_query(question, vocab)).values())
    assert meant is None or meant in names
    assert not_meant not in names


@pytest.mark.parametrize(
    ("question", "drug", "not_meant"),
    [
        ("Is Tylenol PM safe to take every night?", "Acetaminophen", "Polymyositis"),
        ("Can I drink alcohol on Depakote ER?", "Valproic Acid", "Receptors, Estrogen"),
        ("Can I keep taking Mucinex DM with the antibiotics?", None, "Dermatomyositis"),
        ("Is Robitussin DM safe in pregnancy?", None, "Dermatomyositis"),
        ("Metformin ER or IR?", "Metformin", "Receptors, Estrogen"),  # a release form follows any drug's name
    ],
)
def test_the_letters_after_a_drugs_name_name_its_product(vocab: Vocabulary, question: str, drug: str | None, not_meant: str) -> None:
    names = set(concepts_by_ui(expand_query(question, vocab)).values())
    assert drug is None or drug in names
    assert not_meant not in names and "Diabetes Mellitus" not in names


def test_the_committed_abbreviation_definitions_are_those_of_the_built_in_corpus(builtin_data_dir) -> None:
    """scripts/count_abbreviation_definitions.py's output, checked against the corpus it counts."""
    script = runpy.run_path(str(Path(__file__).parents[1] / "scripts" / "count_abbreviation_definitions.py"))
    meanings = vocab_module.read_abbreviations(data_path("vocab/medical_abbreviations.csv").read_bytes())
    with Corpus.open(Settings(data_dir=builtin_data_dir)) as corpus:
        texts = (text for d in corpus.store.iter_documents() for text in (d.title, *(p.text for p in d.passages)))
        counted = script["count_definitions"](texts, meanings)
    committed = data_path(f"vocab/{vocab_module.DEFINITIONS_FILE}").read_text(encoding="utf-8")
    rows = {(r["abbreviation"], r["meaning"]): int(r["definitions"]) for r in csv.DictReader(io.StringIO(committed), delimiter="\t")}
    defined = {key: count for key, count in rows.items() if count}
    assert defined == dict(counted), "run scripts/count_abbreviation_definitions.py, then scripts/build_vocab_index.py"
    assert rows["DM", "diabetes mellitus"] > 5 * rows["DM", "dermatomyositis"]


# -- expand_query: spelling ---------------------------------------------------


@pytest.mark.parametrize(
    ("question", "typo", "fixed", "ui"),
    [
        ("sciatca after discectomy", "sciatca", "sciatica", SCIATICA),
        ("hernaited disc exercises", "hernaited", "herniated", DISC_DISPLACEMENT),
    ],
)
def test_misspelt_medical_words_are_corrected(vocab: Vocabulary, question: str, typo: str, fixed: str, ui: str) -> None:
    expanded = expand_query(question, vocab)
    assert expanded.corrections == {typo: fixed}
    assert fixed in expanded.terms and typo not in expanded.terms
    assert ui in concepts_by_ui(expanded)


ORDINARY_WORDS = (
    "recently yesterday familiar immediately interested discovered simply faulty wearing swimming "
    "stretches worsening walking because although tomorrow breakfast grandmother neighbour weekend "
    "stairs gardening lifting sitting bending sneezing"
).split()


def test_ordinary_words_are_not_corrected(vocab: Vocabulary) -> None:
    assert {w: vocab.correct_spelling(w) for w in ORDINARY_WORDS} == dict.fromkeys(ORDINARY_WORDS)
    assert expand_query(" ".join(ORDINARY_WORDS), vocab).corrections == {}


def test_an_unknown_drug_is_not_corrected_into_another_two_letters_away(vocab: Vocabulary) -> None:
    # Tessalon (benzonatate) is not Tensilon (edrophonium); one slip still is ("hydroxozine")
    assert vocab.correct_spelling("tessalon") is None
    assert vocab.correct_spelling("hydroxozine") == "hydroxyzine"


def test_a_patients_word_for_medicine_is_not_an_acronym(vocab: Vocabulary) -> None:
    # "can I take a med for pain?": not MED, multiple epiphyseal dysplasia
    assert [c.name for c in expand_query("Can I take med for pain?", vocab).concepts] == ["Pain"]
    assert "Osteochondrodysplasias" not in {c.name for c in expand_query("any meds for covid?", vocab).concepts}


def test_short_words_are_not_corrected(vocab: Vocabulary) -> None:
    assert vocab.correct_spelling("cugh") is None


# -- expand_query: weights and FTS5 --------------------------------------------


def test_user_words_outweigh_expansions(vocab: Vocabulary) -> None:
    expanded = expand_query("PT for a slipped disc", vocab)
    assert expanded.expansion_terms
    assert all(0 < t.weight < 1 for t in expanded.expansion_terms)
    keys = {normalise(t) for t in expanded.terms}
    assert not keys & {normalise(t.text) for t in expanded.expansion_terms}
    assert expanded.fts_query(include_expansions=False) == '"pt" OR "slipped" OR "disc"'
    assert '"physical therapy"' in expanded.fts_query()


@pytest.fixture()
def fts() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE passages USING fts5(text, tokenize='porter unicode61')")
    db.executemany(
        "INSERT INTO passages(text) VALUES (?)",
        [("Sciatic neuralgia improved with physiotherapy.",), ("Aspirin and stroke prevention.",)],
    )
    return db


HOSTILE = [
    "",
    " ",
    '"',
    '"NEAR(',
    'disc" OR "x',
    "NEAR(sciatica disc, 2)",
    "sciatica*",
    "-sciatica",
    "- * ^ + : ( ) { } [ ]",
    "text: sciatica",
    "AND OR NOT",
    "sciatica AND OR NOT NEAR",
    "'; DROP TABLE passages; --",
    "\x00\u200b\ufeff",
    "ab" * 5000,
    "sciatica " * 1200,
    " ".join(f'"w{i}" NEAR( x* -y :z' for i in range(400)),
]


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t[:20]))
def test_fts_query_is_always_valid(vocab: Vocabulary, fts: sqlite3.Connection, text: str) -> None:
    expanded = expand_query(text, vocab)
    for include in (False, True):
        query = expanded.fts_query(include_expansions=include)
        fts.execute("SELECT rowid FROM passages WHERE passages MATCH ?", (query,)).fetchall()


def test_expansions_find_evidence_in_other_words(vocab: Vocabulary, fts: sqlite3.Connection) -> None:
    expanded = expand_query("sciatica", vocab)
    search = "SELECT text FROM passages WHERE passages MATCH ?"
    assert fts.execute(search, (expanded.fts_query(include_expansions=False),)).fetchall() == []
    assert fts.execute(search, (expanded.fts_query(),)).fetchall() == [
        ("Sciatic neuralgia improved with physiotherapy.",)
    ]


def test_narrower_descriptors_are_found_nearest_first(vocab: Vocabulary) -> None:
    names = vocab.narrower("D011613")  # Psychotherapy
    assert "Cognitive Behavioral Therapy" in names and "Psychotherapy" not in names
    assert vocab.narrower("D000000-unknown") == []


def test_an_everyday_word_after_a_pronoun_and_a_modal_is_a_verb(vocab: Vocabulary) -> None:
    assert "Sound" not in {c.name for c in expand_query("this may sound odd but is a cold contagious", vocab).concepts}
    assert "Stress" in {c.name for c in expand_query("can stress cause hair loss", vocab).concepts}
    assert "Cough" in {c.name for c in expand_query("will it cough up blood", vocab).concepts}  # a symptom stays
    assert "Lead" not in {c.name for c in expand_query("would this lead to a kidney stone", vocab).concepts}
    assert "Exercise" in {c.name for c in expand_query("should I exercise with a cold", vocab).concepts}
    assert "Smoke" in {c.name for c in expand_query("can I smoke after a filling", vocab).concepts}  # "I" asks about smoking


def test_an_organs_problems_are_its_diseases(vocab: Vocabulary) -> None:
    assert "Heart Diseases" in {c.name for c in expand_query("a cardiac condition since birth", vocab).concepts}
    assert "Kidney Diseases" in {c.name for c in expand_query("can kidney problems cause itching", vocab).concepts}


def test_a_phrase_is_not_read_as_a_disease_it_only_starts_like(vocab: Vocabulary) -> None:
    assert {c.name for c in expand_query("acute chest pain at rest", vocab).concepts} == {"Chest Pain"}
    assert "Sepsis" not in {c.name for c in expand_query("water from a septic tank", vocab).concepts}


def test_a_stuffy_nose_is_nasal_congestion_but_congestion_alone_is_not(vocab: Vocabulary) -> None:
    assert "Nasal Obstruction" in {c.name for c in expand_query("does a stuffy nose mean a cold", vocab).concepts}
    assert "Nasal Obstruction" not in {c.name for c in expand_query("chest congestion with a cough", vocab).concepts}
    assert "Nasal Lavage" in {c.name for c in expand_query("how often can I use a sinus rinse", vocab).concepts}


def test_a_heart_or_wound_sinus_is_not_the_nose(vocab: Vocabulary) -> None:
    assert "Paranasal Sinuses" not in {c.name for c in expand_query("is sinus bradycardia dangerous in athletes", vocab).concepts}
    assert "Nasal Lavage" not in {c.name for c in expand_query("a saline rinse after a tooth extraction", vocab).concepts}


@pytest.mark.parametrize(
    "question",
    ["what helps a cold", "I have had a cold for a week", "how long do colds last", "is my cold contagious?",
     "does my cold need antibiotics?"],
)
def test_an_everyday_word_counted_like_an_illness_names_it(vocab: Vocabulary, question: str) -> None:
    (concept,) = [c for c in expand_query(question, vocab).concepts if c.name == "Common Cold"]
    # "cold" alone is a temperature: a sentence must say "common cold" ("heat and cold therapy" is not about it)
    assert concept.ambiguous and "Cold" not in concept.synonyms


@pytest.mark.parametrize(
    "question",
    ["should I use a cold compress", "my cold hands and feet", "cold weather and asthma", "a cold shower",
     "my fingers go white on a cold day", "a cold cloth on the forehead", "I feel cold"],
)
def test_an_everyday_word_describing_a_thing_is_not_an_illness(vocab: Vocabulary, question: str) -> None:
    assert "Common Cold" not in {c.name for c in expand_query(question, vocab).concepts}


@pytest.mark.parametrize(
    ("phrase", "name"),
    [
        ("could I catch a throat infection from my partner", "Pharyngitis"),
        ("what helps poison ivy", "Dermatitis, Toxicodendron"),
        ("I have a stomach bug", "Gastroenteritis"),
        ("antibiotics for a chest infection", "Respiratory Tract Infections"),  # not mediastinitis
        ("is a head cold contagious", "Common Cold"),
        ("can a UTI turn into a kidney infection", "Pyelonephritis"),  # not the kidney and infections at large
        ("I keep getting bladder infections", "Cystitis"),
        ("what lowers high cholesterol", "Hypercholesterolemia"),  # not the molecule
        ("ringing in my ears at night", "Tinnitus"),
        ("my voice is hoarse", "Hoarseness"),
        ("are there stronger allergy medications", "Anti-Allergic Agents"),  # not Hypersensitivity alone
    ],
)
def test_everyday_names_of_common_illnesses(vocab: Vocabulary, phrase: str, name: str) -> None:
    assert name in {c.name for c in expand_query(phrase, vocab).concepts}
