"""Ingestion on a Ray cluster (``pip install 'evidex[scale]'``): files read and classified in
parallel Ray tasks, their records written by this process, in file order, in committed batches.

Reading and classifying a PubMed record (lxml, pydantic, the classifier) is most of an ingest's
CPU time, and files are independent, so each file is one task, several files ahead of the one
being written.  Writing stays in order, in one process: a later update file must overwrite an
earlier one, a deletion must follow its record, and a retraction notice must meet its record
whichever comes first; the store serialises writers anyway.  A task sends its records in chunks
as it reads them (a Ray streaming generator, at most :data:`CHUNKS_AHEAD` chunks ahead), so memory
stays flat.  A file is sent to its task through Ray's object store, so a cluster's nodes need no
shared disk.

Each batch is one transaction (with the job's checkpoint, for ``evidex pubmed sync``), so a run
stopped anywhere, ``kill -9`` included, keeps every committed batch and the next run goes on: a
record stored before is counted unchanged, never stored twice.
"""

from __future__ import annotations

import tempfile
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path

from evidex.evidence.classify import classify
from evidex.evidence.documents import Document, SourceRecord

CHUNK = 250  # records per message from a task
CHUNKS_AHEAD = 8  # chunks a task may read ahead of the writer
# Where a local Ray instance keeps objects; the default (30 % of memory) is far more than files need.
LOCAL_OBJECT_STORE_BYTES = 512 << 20


class FileError(Exception):
    """A task could not read a file at all; ``args``: the exception's type name and message."""


def connect(address: str) -> None:
    """Join the Ray cluster at ``address`` ("auto": the one this machine belongs to, "ray://host:10001":
    a remote one), or start Ray on this machine's cores ("local").  Idempotent."""
    try:
        import ray
    except ImportError:
        raise ValueError("--ray needs the scale extra: pip install 'evidex[scale]'") from None
    if ray.is_initialized():
        return
    if address == "local":
        ray.init(include_dashboard=False, object_store_memory=LOCAL_OBJECT_STORE_BYTES, log_to_driver=False)
    else:
        ray.init(address=address, log_to_driver=False)


def cluster_cpus() -> int:
    import ray

    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def _read_file(name: str, data: bytes, format: str | None) -> Iterator[list[SourceRecord] | FileError]:
    """Body of a Ray task: the records of one file, classified, in chunks."""
    from evidex.evidence.sources import read_source

    with tempfile.TemporaryDirectory(prefix="evidex-ray-") as folder:
        path = Path(folder) / name  # the file's own name: its suffix tells the format
        path.write_bytes(data)
        del data
        chunk: list[SourceRecord] = []
        try:
            for record in read_source(path, format):
                chunk.append(classify(record) if isinstance(record, Document) else record)
                if len(chunk) >= CHUNK:
                    yield chunk
                    chunk = []
        except (FileNotFoundError, IsADirectoryError, PermissionError, ValueError) as exc:
            if chunk:
                yield chunk
            yield FileError(type(exc).__name__, str(exc).replace(str(path), name))
            return
        if chunk:
            yield chunk


_ERRORS = {"FileNotFoundError": FileNotFoundError, "IsADirectoryError": IsADirectoryError,
           "PermissionError": PermissionError, "ValueError": ValueError}


class RayFiles:
    """The classified records of files, read by Ray tasks up to ``ahead`` files before the one asked for.

    Ask for the files in the order given (:meth:`submit` adds more); each file's records come in
    file order.
    """

    def __init__(self, format: str | None = None, ahead: int | None = None) -> None:
        import ray

        self._ray = ray
        self.format = format
        self.ahead = ahead or cluster_cpus()
        self._task = ray.remote(num_cpus=1, max_retries=2)(_read_file).options(
            _generator_backpressure_num_objects=CHUNKS_AHEAD
        )
        self._waiting: deque[Path] = deque()
        self._started: dict[Path, object] = {}

    def submit(self, paths: Sequence[Path]) -> None:
        """Files to read, in the order they will be asked for."""
        self._waiting.extend(Path(p) for p in paths)
        self._start()

    def _start(self) -> None:
        while self._waiting and len(self._started) < self.ahead:
            path = self._waiting.popleft()
            try:
                data = path.read_bytes()
            except OSError as exc:
                self._started[path] = exc
                continue
            self._started[path] = self._task.remote(path.name, self._ray.put(data), self.format)

    def records(self, path: Path) -> Iterator[SourceRecord]:
        """The records of ``path`` (submitted earlier); raises what reading it in this process would."""
        path = Path(path)
        if path not in self._started:  # asked before its turn: read it now
            if path in self._waiting:
                self._waiting.remove(path)
            self._started[path] = self._task.remote(path.name, self._ray.put(path.read_bytes()), self.format)
        generator = self._started[path]
        try:
            if isinstance(generator, OSError):
                raise generator
            for reference in generator:
                chunk = self._ray.get(reference)
                if isinstance(chunk, FileError):
                    kind, message = chunk.args
                    raise _ERRORS[kind](message)
                yield from chunk
        finally:
            del self._started[path]
            self._start()

