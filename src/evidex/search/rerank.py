"""Rerank: a small learned model over why each fused candidate was found.

Fusion adds the retrievers' scores with fixed weights.  It cannot see that a
passage close in meaning lacks the question's rarest word, or that a passage
holding every word of the question ranks low only because its embedding
weighs other words more.  The idf-weighted share of the question's words a
passage contains says so, and a logistic regression over it and the
retrievers' own scores (:class:`evidex.search.retrieve.ScoreParts`) re-scores every
candidate.  Its weights hold for the embedding model they were trained with
(``embedding_model`` in the file), whose cosines they weigh.

The weights (``evidex/data/rerank_model.json``) come from
``scripts/train_reranker.py``, which trains only on the built-in corpus (its
questions and the documents they belong to, with the titles hidden); the
search settings' ``rerank`` says what it does on BioASQ.

Plain data in and out: words and frequencies, texts, rows of feature values.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evidex.search.vocab import normalise

MODEL_FILE = "rerank_model.json"
MIN_PREFIX_CHARS = 5  # a word key this long also matches longer words ("mutation" finds "mutational")
_COMBINING_MARKS = re.compile(r"[\u0300-\u036f]")


def fold_text(text: str) -> str:
    """:func:`evidex.search.vocab.fold` for long texts: the same lowercase, accent-free form, at C speed."""
    if text.isascii():
        return text.lower()
    return _COMBINING_MARKS.sub("", unicodedata.normalize("NFKD", text)).casefold()


@dataclass(frozen=True)
class QuestionWords:
    """The question's words as lookup keys with their idf weights, and a pattern that finds them in a text."""

    weights: dict[str, float]
    pattern: re.Pattern | None

    @classmethod
    def of(cls, words: Sequence[str], frequencies: Sequence[int], passages: int) -> QuestionWords:
        """``words``: the question's words; ``frequencies``: passages holding each; ``passages``: all passages."""
        weights: dict[str, float] = {}
        for word, frequency in zip(words, frequencies, strict=True):
            key = normalise(word)
            if key:
                weights.setdefault(key, max(math.log((passages + 1) / (frequency + 0.5)), 0.0))
        # One group that captures just the key: a long key also matches as the start of a longer
        # word, a short one only as a word (plural allowed).  Longest first, so "diabetic" is not
        # taken for "diabet" when both are asked.
        alternatives = [
            re.escape(k) + ("" if len(k) >= MIN_PREFIX_CHARS else r"(?=(?:e?s)?\b)")
            for k in sorted(weights, key=len, reverse=True)
        ]
        pattern = re.compile(r"\b(" + "|".join(alternatives) + ")") if weights else None
        return cls(weights, pattern)

    def coverage(self, text: str) -> tuple[float, float]:
        """(share of the question's words in ``text``, the same weighted by idf), each in [0, 1]."""
        if self.pattern is None:
            return 0.0, 0.0
        found = set(self.pattern.findall(fold_text(text)))
        total = sum(self.weights.values())
        weighted = sum(self.weights[k] for k in found) / total if total > 0 else 0.0
        return len(found) / len(self.weights), weighted


@dataclass(frozen=True)
class Reranker:
    """A logistic regression: log-odds that a candidate belongs to a document that answers the question."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    trained_on: str = ""
    embedding_model: str = ""  # the dense model whose cosines it was trained on: with another, its weights mean nothing

    def score(self, rows: np.ndarray) -> np.ndarray:
        """Log-odds of each row (one value per feature in ``features``).

        ``einsum``, not ``@``, for the reason :func:`evidex.search.retrieve.cosines` gives: no BLAS threads."""
        standardised = (np.asarray(rows, dtype=np.float64) - self.mean) / self.scale
        return np.einsum("ij,j->i", standardised, self.weights) + self.bias

    def to_json(self) -> dict:
        return {
            "features": list(self.features),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "weights": self.weights.tolist(),
            "bias": self.bias,
            "trained_on": self.trained_on,
            "embedding_model": self.embedding_model,
        }

    @classmethod
    def from_json(cls, data: dict) -> Reranker:
        return cls(
            tuple(data["features"]),
            np.asarray(data["mean"], dtype=np.float64),
            np.asarray(data["scale"], dtype=np.float64),
            np.asarray(data["weights"], dtype=np.float64),
            float(data["bias"]),
            data.get("trained_on", ""),
            data.get("embedding_model", ""),
        )

    @classmethod
    def load(cls, path: Path | None = None) -> Reranker:
        """The shipped model, or the one at ``path``."""
        if path is None:
            from evidex.evidence.builtin import data_path

            path = data_path(MODEL_FILE)
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))


def fit(
    rows: np.ndarray,
    labels: np.ndarray,
    features: Sequence[str],
    l2: float = 1.0,
    trained_on: str = "",
    embedding_model: str = "",
) -> Reranker:
    """Logistic regression by Newton's method on standardised features, L2-penalised (not the bias)."""
    rows = np.asarray(rows, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.float64)
    mean = rows.mean(axis=0)
    scale = rows.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = np.hstack([(rows - mean) / scale, np.ones((len(rows), 1))])
    penalty = np.eye(z.shape[1]) * l2 / len(rows)
    penalty[-1, -1] = 0.0  # the bias is not shrunk
    w = np.zeros(z.shape[1])
    for _ in range(100):
        p = 1 / (1 + np.exp(-z @ w))
        gradient = z.T @ (p - labels) / len(rows) + penalty @ w
        hessian = (z * (p * (1 - p))[:, None]).T @ z / len(rows) + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return Reranker(tuple(features), mean, scale, w[:-1], float(w[-1]), trained_on, embedding_model)
