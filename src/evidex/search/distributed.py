"""Embedding on a Ray cluster (``pip install 'evidex[scale]'``): passages embedded in batches by
actors, each holding one copy of the model and writing its vectors to the store itself.

This process pages through the passages without vectors, applies the vectors shipped with the
package (the built-in corpus), and hands the rest to the actors, a few batches each ahead, so
that none waits.  An actor embeds one batch, saves its vectors in one transaction (a passage
deleted meanwhile is skipped; a vector saved twice is replaced, not duplicated) and says how
long the batch took: the figures behind the cost estimate in ``benchmarks/scale.py``.

An actor takes :data:`THREADS_PER_ACTOR` cores (the embedding engines run one thread per core),
so a cluster of N cores runs N / 4 of them; on a node with a GPU, an ONNX model (MiniLM) runs
on it when onnxruntime's CUDA provider is installed there (``onnxruntime-gpu``); e5, whose
engine is CPU-only, always runs on cores.  The actors reach the store through ``database_url``:
PostgreSQL on a cluster; a SQLite file only works when every actor runs on this machine.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from evidex.evidence.store import Store
from evidex.search.retrieve import passage_text_for_embedding

BATCH = 64  # passages an actor embeds and commits at once
THREADS_PER_ACTOR = 4
_BATCHES_AHEAD = 2  # batches queued on each actor beyond the one it is embedding
_PAGE = 2048  # passages read from the store at a time


@dataclass
class EmbeddingRun:
    """What a distributed embedding run did, batch by batch."""

    actors: int = 0
    threads_per_actor: int = 0
    gpus_per_actor: float = 0.0
    passages: int = 0
    shipped: int = 0  # of which took a vector shipped with the package
    seconds: float = 0.0
    batch_seconds: list[float] = field(default_factory=list)  # each computed batch, inside its actor
    batch_sizes: list[int] = field(default_factory=list)

    @property
    def passages_per_actor_second(self) -> float:
        """Throughput of one actor while it embeds (saving included)."""
        busy = sum(self.batch_seconds)
        return sum(self.batch_sizes) / busy if busy else 0.0


class EmbeddingActor:
    """One copy of the embedding model on a Ray worker, writing to the store."""

    def __init__(self, database_url: str | None, sqlite_path: str, model: str, threads: int) -> None:
        os.environ["OMP_NUM_THREADS"] = str(threads)  # before the engine starts its thread team
        from pathlib import Path

        from evidex.evidence.store import open_store
        from evidex.search.embed import Embedder, load_embedder

        self.store = open_store(database_url, Path(sqlite_path))
        gpu = self._ray_gpus() and _cuda_available()
        if gpu:
            self.encoder = Embedder.load(model, providers=["CUDAExecutionProvider", "CPUExecutionProvider"])
        else:
            self.encoder = load_embedder(model)
        self.device = "gpu" if gpu else f"{threads} cores"

    @staticmethod
    def _ray_gpus() -> bool:
        import ray

        return bool(ray.get_gpu_ids())

    def embed(self, rows: list[tuple[int, str, str, str]]) -> tuple[int, float]:
        """Embed and save one batch of (rowid, passage id, title, text); returns (passages, seconds)."""
        started = time.perf_counter()
        vectors = self.encoder.embed([passage_text_for_embedding(title, text) for _, _, title, text in rows])
        self.store.save_vectors(self.encoder.name, zip((r[0] for r in rows), vectors))
        return len(rows), time.perf_counter() - started

    def describe(self) -> str:
        return self.device


def _cuda_available() -> bool:
    try:
        import onnxruntime
    except ImportError:
        return False
    return "CUDAExecutionProvider" in onnxruntime.get_available_providers()


def embed_on_ray(
    store: Store,
    database_url: str | None,
    sqlite_path: str,
    model: str,
    known_vectors: Callable[[list], dict[int, np.ndarray]] | None = None,
    progress: Callable[[int], None] | None = None,
    *,
    onnx_model: bool = False,
    batch: int = BATCH,
) -> EmbeddingRun:
    """Embed every passage of ``store`` that has no ``model`` vector, with actors on the Ray
    cluster this process is connected to (:func:`evidex.evidence.distributed.connect`)."""
    import ray

    resources = ray.cluster_resources()
    cpus = max(1, int(resources.get("CPU", 1)))
    gpus = int(resources.get("GPU", 0))
    threads = min(THREADS_PER_ACTOR, cpus)
    run = EmbeddingRun(threads_per_actor=threads)
    if gpus and onnx_model:
        run.actors, run.gpus_per_actor = gpus, 1.0
        options = {"num_cpus": 1, "num_gpus": 1}
    else:
        run.actors = max(1, cpus // threads)
        options = {"num_cpus": threads}
    actor_class = ray.remote(max_restarts=2, max_task_retries=2)(EmbeddingActor)
    actors = [actor_class.options(**options).remote(database_url, sqlite_path, model, threads) for _ in range(run.actors)]
    started = time.perf_counter()
    in_flight: deque = deque()
    turn = 0

    def collect(wait_for_one: bool) -> None:
        while in_flight and (wait_for_one or len(in_flight) >= run.actors * (1 + _BATCHES_AHEAD)):
            size, seconds = ray.get(in_flight.popleft())
            run.batch_sizes.append(size)
            run.batch_seconds.append(seconds)
            run.passages += size
            if progress:
                progress(size)
            wait_for_one = False

    after = 0
    try:
        while rows := store.passages_without_vectors(model, _PAGE, after):
            after = rows[-1][0]
            known = known_vectors(rows) if known_vectors else {}
            if known:
                store.save_vectors(model, ((r[0], known[r[0]]) for r in rows if r[0] in known))
                rows = [r for r in rows if r[0] not in known]
                run.shipped += len(known)
                run.passages += len(known)
                if progress:
                    progress(len(known))
            for start in range(0, len(rows), batch):
                collect(wait_for_one=False)
                in_flight.append(actors[turn % len(actors)].embed.remote(rows[start : start + batch]))
                turn += 1
        while in_flight:
            collect(wait_for_one=True)
    finally:
        for actor in actors:
            ray.kill(actor)
    run.seconds = time.perf_counter() - started
    return run
