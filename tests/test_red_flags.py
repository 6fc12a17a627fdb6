"""Red flags in everyday and clinical words, and the advice that goes with them.

The phrasings in tests/data/red_flags.jsonl were written from public red-flag lists (NHS "when
to get help" pages, NICE CKS, NIMH, CDC, AHA/ASA) before the matcher, each with the page it
comes from; the negatives are negations, finished history, the same words used for something
else, and ordinary questions.
"""

from __future__ import annotations

import json
import tomllib
from importlib.resources import files
from pathlib import Path

import pytest

from evidex.answer.red_flags import (
    RedFlags,
    find_red_flags,
    help_topics,
    red_flags,
    urgent_notice,
    when_to_get_help,
)

CASES = [json.loads(line) for line in (Path(__file__).parent / "data" / "red_flags.jsonl").read_text().splitlines()]
POSITIVES = [case for case in CASES if case["flags"]]
NEGATIVES = [case for case in CASES if not case["flags"]]
DATA_TEXT = (files("evidex") / "data" / "red_flags.toml").read_text()


def test_the_list_is_large_enough_and_says_where_each_phrasing_comes_from():
    assert len(POSITIVES) >= 100 and len(NEGATIVES) >= 60
    assert all(case["source"] for case in POSITIVES)
    assert all(case["kind"] for case in NEGATIVES)
    assert {key for case in POSITIVES for key in case["flags"]} <= {flag.key for flag in red_flags().flags}


def test_every_positive_phrasing_raises_its_flag():
    misses = []
    for case in POSITIVES:
        found = {match.key for match in find_red_flags(case["text"])}
        if not set(case["flags"]) <= found:
            misses.append(f"{case['text']!r}: expected {case['flags']}, found {sorted(found)} ({case['source']})")
    print(f"{len(POSITIVES) - len(misses)} of {len(POSITIVES)} positives raised their flag", *misses, sep="\n  ")
    assert not misses


def test_at_most_five_percent_of_negatives_raise_a_flag():
    raised = []
    for case in NEGATIVES:
        found = find_red_flags(case["text"])
        if found:
            raised.append(f"{case['text']!r} ({case['kind']}): " + ", ".join(f"{m.key} on “{m.text}”" for m in found))
    print(f"{len(raised)} of {len(NEGATIVES)} negatives raised a flag", *raised, sep="\n  ")
    assert len(raised) <= 0.05 * len(NEGATIVES)


def test_each_match_points_at_the_words_typed_and_says_why():
    question = "Numbness in my groin and new trouble controlling my bladder"
    matches = find_red_flags(question)
    assert [m.key for m in matches] == ["saddle_anaesthesia", "bladder_bowel"]
    saddle, bladder = matches
    assert [question[s:e] for s, e in saddle.spans] == ["Numbness in my groin"] == [saddle.text]
    assert bladder.text == "new trouble controlling my bladder"
    assert "cauda equina" in saddle.why and "NHS: Cauda equina syndrome" in saddle.why


def test_a_combined_sign_shows_each_part_and_a_corrected_spelling():
    (match,) = find_red_flags("temprature of 39 and severe back pain")
    assert match.key == "fever_back_pain" and match.text == "temprature of 39 … back pain"
    assert "read “temprature” as “temperature”" in match.why


def test_british_and_american_spellings_read_the_same():
    assert {m.key for m in find_red_flags("saddle anaesthesia")} == {m.key for m in find_red_flags("saddle anesthesia")}
    assert {m.key for m in find_red_flags("reduced foetal movements")} == {"pregnancy_warning"}


def test_a_negation_does_not_reach_past_and_but_covers_a_list():
    assert [m.key for m in find_red_flags("I have no fever and numbness in my groin")] == ["saddle_anaesthesia"]
    assert not find_red_flags("Denies chest pain or shortness of breath, fever, or weight loss")


def test_a_stroke_sign_that_went_away_still_counts_but_one_from_years_ago_does_not():
    assert "stroke_signs" in {m.key for m in find_red_flags("His face drooped for ten minutes, then went back to normal")}
    assert not find_red_flags("His face drooped years ago after a stroke; can he take aspirin?")


def test_emergencies_come_first_and_set_the_notice():
    matches = find_red_flags("Back pain with a high temperature, and now I can't control my bladder")
    assert [m.flag.level for m in matches] == ["emergency", "same_day"]
    notice = urgent_notice(matches)
    assert "“Back pain … can't control my bladder” (new bladder or bowel dysfunction" in notice
    assert "immediate assessment" in notice


def test_a_same_day_flag_asks_for_a_clinician_today_in_the_readers_words():
    matches = find_red_flags("back pain and I've lost weight without trying")
    assert [m.flag.level for m in matches] == ["same_day"]
    assert "same day" in urgent_notice(matches, "clinician")
    patient = urgent_notice(matches, "patient")
    assert "back pain after cancer, or with weight loss you cannot explain" in patient and "today" in patient
    assert urgent_notice([]) is None


def test_bladder_and_bowel_advice_belongs_to_back_pain_not_to_toothache():
    back = " ".join(a.text for a in when_to_get_help(topics=help_topics("What is the best exercise for back pain?")))
    tooth = " ".join(a.text for a in when_to_get_help(topics=help_topics("What helps with toothache at night?")))
    assert "bladder or bowel" in back and "toothache" not in back
    assert "your eye or your neck is swollen" in tooth and "bladder" not in tooth


def test_condition_names_from_understand_choose_the_advice():
    advice = when_to_get_help(topics=help_topics("Which exercises help?", ["Low Back Pain"]))
    assert any("genitals or buttocks" in a.text for a in advice)


def test_a_question_with_no_fitting_entry_gets_the_generic_line():
    advice = when_to_get_help(topics=help_topics("Is ibuprofen safe with high blood pressure?"))
    assert advice[0].text.startswith("If your symptoms are severe, come on suddenly or keep getting worse")
    assert all(a.level for a in advice)


def test_a_flag_brings_its_action_first_and_its_topic_advice():
    question = "I have toothache and I feel suicidal"
    advice = when_to_get_help(find_red_flags(question), help_topics(question))
    assert advice[0].sources[0].name == "NHS: Help for suicidal thoughts"
    texts = " ".join(a.text for a in advice)
    assert "988" in texts and "Samaritans" in texts and "your eye or your neck is swollen" in texts


def test_every_advice_sentence_is_in_the_data_file_and_names_a_public_page():
    data = red_flags()
    everything = [f.action for f in data.flags] + [a for _, advice in data.topics.values() for a in advice] + list(data.generic)
    for advice in everything:
        assert advice.text in DATA_TEXT
        assert advice.sources and all(s.url.startswith("https://") for s in advice.sources)
        assert advice.level in ("emergency", "same_day")
        assert str(advice).endswith(")") and "Source: " in str(advice)


def test_every_flag_has_a_label_plain_words_signs_and_sources():
    for flag in red_flags().flags:
        assert flag.label and flag.plain and flag.signs and flag.sources and flag.level in ("emergency", "same_day")


@pytest.mark.parametrize("text", ["", "   ", "?!.,", "x" * 20000, "numb " * 3000, "no " * 3000 + "chest pain"])
def test_empty_huge_and_odd_text_is_handled(text):
    assert isinstance(find_red_flags(text), list)
    assert when_to_get_help(find_red_flags(text), help_topics(text))


def test_a_mistake_in_the_data_file_is_reported_with_what_is_wrong():
    data = tomllib.loads(DATA_TEXT)
    data["flag"][0]["sources"] = ["no_such_page"]
    with pytest.raises(ValueError, match="unknown source 'no_such_page'"):
        RedFlags(data)
    data = tomllib.loads(DATA_TEXT)
    data["flag"][0]["sign"][0]["all"] = ["<no_such_term>"]
    with pytest.raises(ValueError, match="unknown term <no_such_term>"):
        RedFlags(data)
