"""The shipped embedding model loads offline and ranks medical text by meaning."""

from __future__ import annotations

import numpy as np
import pytest

from evidex.embed import DEFAULT_MODEL, Embedder, available_models

SENTENCES = [
    "herniated disc with sciatica",
    "lumbar disc herniation causing radicular leg pain",
    "inhaled budesonide for asthma",
]


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder.load()


def test_default_model_is_shipped_under_its_stored_name(embedder: Embedder) -> None:
    # Saved passage vectors are keyed by this name: renaming it orphans them.
    assert available_models() == ["minilm-l6-onnx-int8"]
    assert embedder.name == DEFAULT_MODEL == "minilm-l6-onnx-int8"


def test_unknown_model_names_the_choices() -> None:
    with pytest.raises(ValueError, match="minilm-l6-onnx-int8"):
        Embedder.load("no-such-model")


def test_rows_are_float32_unit_vectors(embedder: Embedder) -> None:
    vectors = embedder.embed(SENTENCES)
    assert vectors.shape == (3, embedder.dim)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_paraphrase_is_closer_than_unrelated_topic(embedder: Embedder) -> None:
    sciatica, herniation, asthma = embedder.embed(SENTENCES)
    assert sciatica @ herniation > sciatica @ asthma + 0.2


def test_batching_barely_changes_vectors(embedder: Embedder) -> None:
    # int8 ONNX quantises activations per batch, so a text's vector shifts a
    # little with its batch-mates.
    texts = [f"{s} (case {i})" + " with follow-up" * (i % 7) for i, s in enumerate(SENTENCES * 30)]
    together = embedder.embed(texts)[:5]
    alone = np.stack([embedder.embed([t])[0] for t in texts[:5]])
    assert (together * alone).sum(axis=1).min() > 0.98


def test_empty_input_gives_empty_matrix(embedder: Embedder) -> None:
    assert embedder.embed([]).shape == (0, embedder.dim)


def test_long_text_is_truncated_not_rejected(embedder: Embedder) -> None:
    vector = embedder.embed(["lumbar disc herniation " * 2000])
    assert np.isfinite(vector).all() and vector.shape == (1, embedder.dim)
