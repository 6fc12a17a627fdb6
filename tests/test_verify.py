"""Claim verification: what passes and what is refused."""

from __future__ import annotations

from evidex.answer.verify import check_claim

SOURCE = (
    "Exacerbation rates with the two budesonide-containing regimens were similar and were lower "
    "than the rate with terbutaline (rate ratio 0.36; 95% CI, 0.27 to 0.49)."
)


def test_verbatim_extract_passes():
    ok, how = check_claim(SOURCE, SOURCE)
    assert ok and "verbatim" in how


def test_changed_number_is_refused():
    ok, how = check_claim(SOURCE.replace("0.36", "0.63"), SOURCE)
    assert not ok and "0.63" in how


def test_added_negation_is_refused():
    claim = "Exacerbation rates with the two budesonide-containing regimens were not lower than with terbutaline."
    ok, how = check_claim(claim, SOURCE)
    assert not ok and "negation" in how


def test_reversed_direction_is_refused():
    claim = "Exacerbation rates with the two budesonide-containing regimens were higher than the rate with terbutaline."
    ok, how = check_claim(claim, SOURCE)
    assert not ok and "direction" in how


def test_unrelated_sentence_is_refused():
    ok, how = check_claim("Surgery is the best treatment for sciatica.", SOURCE)
    assert not ok


def test_plain_word_substitution_passes():
    source = "Nonsteroidal anti-inflammatory drugs reduce pain in acute low back pain."
    claim = "Nonsteroidal anti-inflammatory drugs reduce pain in sudden low back pain."
    ok, how = check_claim(claim, source)
    assert ok and "constrained rewrite" in how
