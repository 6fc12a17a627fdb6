"""The shipped embedding models load offline and rank medical text by meaning."""

from __future__ import annotations

import numpy as np
import pytest

from evidex.search.embed import (
    DEFAULT_MODEL,
    QUESTION_MODEL,
    available_models,
    load_embedder,
)

SENTENCES = [
    "herniated disc with sciatica",
    "lumbar disc herniation causing radicular leg pain",
    "inhaled budesonide for asthma",
]


@pytest.fixture(scope="module", params=[DEFAULT_MODEL, QUESTION_MODEL])
def embedder(request):
    return load_embedder(request.param)


def test_models_are_shipped_under_their_stored_names() -> None:
    # Saved passage vectors are keyed by these names: renaming one orphans them.
    assert available_models() == ["e5-small-q4", "minilm-l6-onnx-int8"]
    assert load_embedder().name == DEFAULT_MODEL == "e5-small-q4"
    assert QUESTION_MODEL == "minilm-l6-onnx-int8"


def test_unknown_model_names_the_choices() -> None:
    with pytest.raises(ValueError, match="e5-small-q4.*minilm-l6-onnx-int8"):
        load_embedder("no-such-model")


def test_rows_are_float32_unit_vectors(embedder) -> None:
    vectors = embedder.embed(SENTENCES)
    assert vectors.shape == (3, embedder.dim)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    query = embedder.embed_query(SENTENCES[0])
    assert query.shape == (embedder.dim,) and abs(float(np.linalg.norm(query)) - 1.0) < 1e-5


def test_paraphrase_is_closer_than_unrelated_topic(embedder) -> None:
    sciatica, herniation, asthma = embedder.embed(SENTENCES)
    assert sciatica @ herniation > sciatica @ asthma + 0.05


def test_a_question_finds_the_passage_that_answers_it(embedder) -> None:
    passages = embedder.embed(SENTENCES)
    question = embedder.embed_query("Which inhaler controls asthma?")
    assert int(np.argmax(passages @ question)) == 2


def test_batching_barely_changes_vectors(embedder) -> None:
    # int8 ONNX quantises activations per batch, so a text's vector shifts a
    # little with its batch-mates.
    texts = [f"{s} (case {i})" + " with follow-up" * (i % 7) for i, s in enumerate(SENTENCES * 30)]
    together = embedder.embed(texts)[:5]
    alone = np.stack([embedder.embed([t])[0] for t in texts[:5]])
    assert (together * alone).sum(axis=1).min() > 0.98


def test_empty_input_gives_empty_matrix(embedder) -> None:
    assert embedder.embed([]).shape == (0, embedder.dim)


def test_long_text_is_embedded_not_rejected(embedder) -> None:
    vector = embedder.embed(["lumbar disc herniation " * 300])
    assert np.isfinite(vector).all() and vector.shape == (1, embedder.dim)
