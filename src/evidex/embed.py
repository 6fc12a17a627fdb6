"""Sentence embeddings for dense retrieval, from a model shipped inside evidex.

evidex must answer offline on a laptop CPU, so the model lives in the package
(``evidex/data/models/<name>/``, see its README) and runs without torch or a
model hub.  The default, ``minilm-l6-onnx-int8``, is all-MiniLM-L6-v2 exported
to ONNX and quantised to int8 by ``scripts/export_embedding_model.py``, run by
onnxruntime: ~150 passages/s on 2 cores, ~3 ms a query, and the original
model's ranking quality (``benchmarks/dense_models.py``).

Texts are tokenized with ``tokenizers``; vectors are float32, L2-normalised
rows.  Loading takes ~0.3 s; cache the :class:`Embedder` you load.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from importlib.resources.abc import Traversable

import numpy as np
from tokenizers import Encoding, Tokenizer

DEFAULT_MODEL = "minilm-l6-onnx-int8"


def _models_folder() -> Traversable:
    return resources.files("evidex") / "data" / "models"


def available_models() -> list[str]:
    """Names that :meth:`Embedder.load` accepts (besides ``"default"``)."""
    return sorted(p.name for p in _models_folder().iterdir() if (p / "config.json").is_file())


class Embedder:
    """Turns texts into unit vectors; cosine similarity is their dot product.

    Runs an int8 ONNX transformer whose graph ends in mean pooling over real
    tokens.  ``name`` identifies the exact model: the store keys saved vectors
    by it, so vectors from different models are never mixed.

    onnxruntime quantises activations per batch, so a text's vector moves
    slightly (cosine > 0.98) with the texts batched beside it; ranking quality
    is unaffected (BioASQ nDCG@10 matches the torch model).
    """

    batch_size: int = 32

    def __init__(self, name: str, dim: int, tokenizer: Tokenizer, model: bytes) -> None:
        import onnxruntime

        self.name = name
        self.dim = dim
        self.tokenizer = tokenizer
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])

    @classmethod
    def load(cls, name: str = "default") -> Embedder:
        """Load a model shipped in ``evidex/data/models/``; no network, no torch."""
        name = DEFAULT_MODEL if name == "default" else name
        folder = _models_folder() / name
        if not (folder / "config.json").is_file():
            raise ValueError(f"unknown embedding model {name!r}; choose one of {available_models()}")
        config = json.loads((folder / "config.json").read_text())
        if config["format"] != "onnx":
            raise ValueError(f"embedding model {name!r} has unsupported format {config['format']!r}")
        tokenizer = Tokenizer.from_str((folder / "tokenizer.json").read_text())
        # The shipped tokenizer file pads to a fixed length; batches pad themselves.
        tokenizer.no_padding()
        tokenizer.enable_truncation(config["max_tokens"])
        return cls(name, config["dim"], tokenizer, (folder / "model.onnx").read_bytes())

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` as float32 rows of shape (len(texts), dim), each of unit length."""
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return vectors
        encodings = self.tokenizer.encode_batch_fast(list(texts))
        # Texts of similar length share a batch, so little compute goes on padding.
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            vectors[rows] = self._embed_batch([encodings[i] for i in rows])
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)

    def _embed_batch(self, encodings: list[Encoding]) -> np.ndarray:
        """Mean-pooled, unnormalised vectors for one batch of tokenized texts."""
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        return self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
