"""Stream records from source files into a store, in committed batches.

Records are classified (evidence kind, sample size, retraction) on the way
in.  Each batch is one transaction, so stopping at any point leaves every
earlier batch stored; running the same ingest again finishes the job and
counts the already-stored records as unchanged.

A large file is read by a reader process: a child Python process parses its
records while this process stores them, so the work runs on two cores.  The
child sends records in order, in chunks, through a pipe and may run at most
about one batch ahead, so memory stays flat; it exits by itself when this
process goes away (even on ``kill -9``), because its next write to the pipe
fails.  Classification goes to whichever side has time: the child classifies
a chunk itself when this process is behind (its chunks are piling up), else
sends it as read and this process classifies it.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from evidex.evidence.classify import classify
from evidex.evidence.documents import (
    Deletion,
    Document,
    RecordError,
    Retraction,
    SourceRecord,
)
from evidex.evidence.sources import read_source
from evidex.evidence.sources.jsonl import GZIP_MAGIC

if TYPE_CHECKING:
    # The reader process imports this module and never stores: the store's numpy
    # would cost it ~0.2 s of CPU per file.  _store_records imports what it runs.
    from evidex.evidence.store import Store, WriteCounts

MAX_REPORTED_PROBLEMS = 200

# Files with at least this much to read get a reader process (a gzipped file
# counts as five times its size); below it, starting one (~0.4 s of imports)
# costs about what it saves.
READER_PROCESS_MIN_BYTES = 8 << 20
_GZIP_RATIO = 5
_CHUNK = 250  # records per message from the reader process

ProgressCallback = Callable[[int], None]


class ParallelReaders(Protocol):
    """Reads files elsewhere (Ray tasks): :class:`evidex.evidence.distributed.RayFiles`."""

    ahead: int  # files it reads at once

    def submit(self, paths: Sequence[Path]) -> None: ...
    def records(self, path: Path) -> Iterable[SourceRecord]: ...


# Which documents to keep (a subset filter); one left out is removed if an earlier version is stored.
KeepFilter = Callable[[Document], bool]
# Meta entries to commit with each batch, given the records of the file consumed so far and the
# report's counts including that batch: how a resumable job remembers where it is.
IngestCheckpoint = Callable[[int, dict[str, int]], dict[str, str]]

log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    """What an ingest did, file by file problems included."""

    files: list[str] = field(default_factory=list)
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    deleted: int = 0
    not_found: int = 0  # deletions of documents that were not stored
    filtered: int = 0  # records a subset filter left out
    retracted: int = 0  # stored documents a retraction notice marked retracted
    problems: list[RecordError] = field(default_factory=list)

    COUNTS = ("inserted", "updated", "unchanged", "skipped", "deleted", "not_found", "filtered", "retracted")

    @property
    def stored(self) -> int:
        return self.inserted + self.updated + self.unchanged

    @property
    def records(self) -> int:
        """Records read: each document and each deletion once, whatever became of it."""
        return self.stored + self.skipped + self.deleted + self.not_found + self.filtered

    def add_problem(self, problem: RecordError) -> None:
        self.skipped += 1
        if len(self.problems) < MAX_REPORTED_PROBLEMS:
            self.problems.append(problem)

    def add_counts(self, counts: WriteCounts | dict[str, int]) -> None:
        """Add what a write did (or counts saved by an earlier, interrupted run)."""
        values = counts if isinstance(counts, dict) else counts.__dict__
        for name in self.COUNTS:
            setattr(self, name, getattr(self, name) + values.get(name, 0))

    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.COUNTS}

    def summary(self) -> str:
        text = (
            f"{self.inserted} ingested, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.skipped} skipped, {self.deleted} deleted"
        )
        extras = (
            (self.not_found, "deletions of records not stored"),
            (self.filtered, "left out by the subset filter"),
            (self.retracted, "marked retracted by a notice"),
        )
        return text + "".join(f", {count} {what}" for count, what in extras if count)


class ReaderProcessError(RuntimeError):
    """The reader process failed in a way that is not a problem with the file."""


def ingest_files(
    store: Store,
    paths: Iterable[Path],
    format: str | None = None,
    batch_size: int = 2000,
    progress: ProgressCallback | None = None,
    *,
    reader_process: bool | None = None,
    readers: ParallelReaders | None = None,
) -> IngestReport:
    """Ingest every file in ``paths``; a missing or unreadable file is a problem, not a crash.

    ``reader_process``: read each file in a child process (``True``), never
    (``False``), or when the file is big enough and there are two cores (``None``).
    ``readers`` (:class:`evidex.evidence.distributed.RayFiles`) read and classify the files
    in parallel instead, ahead of the one being stored.
    """
    report = IngestReport()
    paths = [Path(p) for p in paths]
    if readers is not None:
        readers.submit(paths)
    for path in paths:
        report.files.append(str(path))
        try:
            records = readers.records(path) if readers is not None else None
            ingest_file(store, path, format, report, batch_size, progress, reader_process=reader_process, records=records)
        except (FileNotFoundError, IsADirectoryError, PermissionError, ValueError) as exc:
            report.add_problem(RecordError(file=str(path), location="file", message=str(exc)))
    return report


def ingest_file(
    store: Store,
    path: Path,
    format: str | None,
    report: IngestReport,
    batch_size: int = 2000,
    progress: ProgressCallback | None = None,
    *,
    reader_process: bool | None = None,
    keep: KeepFilter | None = None,
    skip: int = 0,
    checkpoint: IngestCheckpoint | None = None,
    records: Iterable[SourceRecord] | None = None,
) -> IngestReport:
    """Ingest one file into ``report``.

    ``keep`` leaves out documents (a subset filter); ``skip`` passes over the
    file's first records (applied by an earlier, interrupted run) and
    ``checkpoint`` is committed with every batch (see :data:`IngestCheckpoint`).
    ``records``: the file's records, already read and classified elsewhere (by Ray tasks).
    Raises ``FileNotFoundError``/``ValueError`` & co. for a file that cannot be
    opened or recognised, as :func:`read_source` does.
    """
    if records is not None:
        return _store_records(store, records, report, batch_size, progress, keep, skip, checkpoint)
    records = read_source(path, format)  # a missing or unrecognisable file fails here, in this process
    if reader_process is None:
        reader_process = _reader_process_pays(path)
    if reader_process:
        reader = _ReaderProcess.start(path, format, ahead=batch_size)
        if reader is not None:
            _close(records)
            with reader:
                return _store_records(store, reader, report, batch_size, progress, keep, skip, checkpoint)
    return _store_records(store, map(_classified, records), report, batch_size, progress, keep, skip, checkpoint)


def ingest_records(
    store: Store,
    records: Iterable[SourceRecord],
    report: IngestReport,
    batch_size: int = 2000,
    progress: ProgressCallback | None = None,
    keep: KeepFilter | None = None,
) -> IngestReport:
    """Classify and store ``records`` in batches of ``batch_size``, updating ``report``."""
    return _store_records(store, map(_classified, records), report, batch_size, progress, keep)


def _classified(record: SourceRecord) -> SourceRecord:
    return classify(record) if isinstance(record, Document) else record


def _store_records(
    store: Store,
    records: Iterable[SourceRecord],
    report: IngestReport,
    batch_size: int,
    progress: ProgressCallback | None,
    keep: KeepFilter | None = None,
    skip: int = 0,
    checkpoint: IngestCheckpoint | None = None,
) -> IngestReport:
    """Store already classified ``records`` in batches of ``batch_size`` writes, one
    transaction each.  A record whose id the open batch already holds commits that
    batch first, so records apply in file order (a deletion after its document,
    a later copy after an earlier one)."""
    with _collected_between_batches() as collect:
        return _store_batches(store, records, report, batch_size, progress, keep, skip, checkpoint, collect)


@contextlib.contextmanager
def _collected_between_batches() -> Iterator[Callable[[], object]]:
    """Collect garbage once after each committed batch instead of whenever objects pile up,
    and give the process its settings back afterwards; yields what collects.

    Each batch keeps thousands of records alive until it is written, so Python's automatic
    collections, every 700 new objects, walked the batch over and over and found nothing
    (the records hold no reference cycles): 8 µs of a 3.8 kB PubMed record's CPU in this
    process with the objects that exist before the ingest (modules, caches, a server's
    state) left out (frozen), 27 µs before that.  Right after a batch is written almost
    nothing is alive but those frozen objects, so collecting then costs ~0.2 µs a record
    and still frees, batch by batch, any cycles this process's other threads leave
    behind.  A caller that had turned automatic collection off gets no collections."""
    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield gc.collect if enabled else (lambda: None)
    finally:
        if enabled:
            gc.enable()
        gc.unfreeze()


def _store_batches(
    store: Store,
    records: Iterable[SourceRecord],
    report: IngestReport,
    batch_size: int,
    progress: ProgressCallback | None,
    keep: KeepFilter | None,
    skip: int,
    checkpoint: IngestCheckpoint | None,
    collect: Callable[[], object],
) -> IngestReport:
    from evidex.evidence.store import Changes  # not at the top: see the TYPE_CHECKING imports

    changes = Changes()
    consumed = 0  # records of the file dealt with, the skipped first ones included
    reported = 0  # of which progress has been told

    def flush() -> None:
        nonlocal changes, reported
        if not len(changes) and checkpoint is None:
            return
        save = None
        if checkpoint is not None:
            done = consumed

            def save(counts: WriteCounts) -> dict[str, str]:
                totals = report.counts()
                for name, value in counts.__dict__.items():
                    totals[name] = totals.get(name, 0) + value
                return checkpoint(done, totals)

        report.add_counts(store.apply(changes, save))
        changes = Changes()
        collect()  # the batch just written is gone: little is left to walk
        if progress and consumed > reported:
            progress(consumed - reported)
            reported = consumed

    for record in records:
        if consumed < skip:
            consumed += 1
            reported = consumed
            continue
        if isinstance(record, RecordError):
            report.add_problem(record)
        elif isinstance(record, Retraction):
            changes.retractions.append(record)
        else:
            if changes.holds(record.id):
                flush()
            if isinstance(record, Deletion):
                changes.deletions.add(record.id)
            elif keep is not None and not keep(record):
                changes.dropped.add(record.id)
                report.filtered += 1
            else:
                changes.documents[record.id] = record
        consumed += 1
        if len(changes) >= batch_size:
            flush()
    flush()
    return report


def _close(records: Iterable[SourceRecord]) -> None:
    close = getattr(records, "close", None)
    if close is not None:
        close()


def _reader_process_pays(path: Path) -> bool:
    """A reader process helps when there is a second core and enough to read."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            if handle.read(2) == GZIP_MAGIC:
                size *= _GZIP_RATIO
    except OSError:
        return False
    return cores > 1 and size >= READER_PROCESS_MIN_BYTES


# --------------------------------------------------------------------------- reader process
#
# Protocol, child to parent, over the child's stdout: frames of an 8-byte
# little-endian length and a pickle of ("ready",) once, then ("records",
# [record, ...], classified) any number of times, then ("done",) or ("error",
# kind, message, traceback).  Records are Documents, Deletions and
# RecordErrors in file order, each Document as the dict of its fields
# (pickling the model itself cost ~25 µs a record here and ~18 to load there;
# the dict ~8 in all and ~8 to validate); ``classified`` says whether the
# child has already classified the Documents.

# The child is started with ``-c`` rather than multiprocessing so that the
# parent's ``__main__`` is never re-imported (scripts without a main guard,
# notebooks and servers work unchanged); it gets the parent's sys.path.  It
# enters the evidex package without running its ``__init__``, which imports
# the whole answering pipeline: that took ~0.5 s of CPU per file read, and
# the child needs only evidex.evidence.
_BOOT = (
    "import importlib.util, json, sys; args = json.loads(sys.argv[1]); sys.path[:] = args['sys_path']; "
    "sys.modules['evidex'] = importlib.util.module_from_spec(importlib.util.find_spec('evidex')); "
    "from evidex.evidence.ingest import _reader_main; _reader_main(args)"
)
_HEADER = 8
# glibc keeps 7 freed blocks of each small size for quick reuse.  Each parsed
# record's tree frees hundreds of same-sized nodes that the next record's tree
# asks for again, and beyond the seventh they went through malloc's slower bins
# and consolidation: ~25 of the reader's ~370 µs per 21 kB record.  1000 covers
# such a record with memory flat (65535 let it grow over a long file); other C
# libraries ignore the variable.
_MALLOC_TUNABLE = "glibc.malloc.tcache_count=1000"
# Exceptions that mean "this file cannot be read", re-raised in the parent as
# they would be raised by an in-process reader (most specific first).
_FILE_ERRORS: dict[str, type[Exception]] = {
    "FileNotFoundError": FileNotFoundError,
    "IsADirectoryError": IsADirectoryError,
    "PermissionError": PermissionError,
    "ValueError": ValueError,
}


class _ReaderProcess:
    """The records of one file, read (and, when this process is behind, classified) by a child process."""

    def __init__(self, process: subprocess.Popen, pipe: IO[bytes], path: Path) -> None:
        self.process = process
        self.pipe = pipe
        self.path = path
        self.received = 0
        self.finished = False

    @classmethod
    def start(cls, path: Path, format: str | None, ahead: int) -> _ReaderProcess | None:
        """Start a reader for ``path``, or ``None`` when this Python cannot start one."""
        if not sys.executable or getattr(sys, "frozen", False):
            return None
        args = {
            "path": str(path),
            "format": format,
            "sys_path": [p for p in sys.path if isinstance(p, str)],
            "chunk": _CHUNK,
            "ahead_chunks": max(2, min(64, -(-ahead // _CHUNK) + 1)),
        }
        flags = getattr(subprocess, "_args_from_interpreter_flags", lambda: [])()
        try:
            process = subprocess.Popen(
                [sys.executable, *flags, "-c", _BOOT, json.dumps(args)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                env=_reader_environment(),
            )
        except OSError as exc:
            log.warning("cannot start a reader process (%s); reading %s in this process", exc, path)
            return None
        reader = cls(process, process.stdout, path)  # type: ignore[arg-type]
        if reader._receive() != ("ready",):
            reader.close()
            log.warning("the reader process did not start; reading %s in this process", path)
            return None
        return reader

    def __iter__(self) -> Iterator[SourceRecord]:
        while True:
            message = self._receive()
            if message is None:
                code = self.process.wait()
                raise ReaderProcessError(
                    f"{self.path}: the reader process ended unexpectedly (exit code {code})"
                    f" after {self.received} records"
                )
            if message[0] == "records":
                _, records, classified = message
                self.received += len(records)
                records = map(_received, records)
                yield from records if classified else map(_classified, records)
            elif message[0] == "done":
                self.finished = True
                return
            else:
                self.finished = True
                _, kind, text, trace = message
                if kind in _FILE_ERRORS:
                    raise _FILE_ERRORS[kind](text)
                raise ReaderProcessError(f"{self.path}: the reader process failed:\n{trace}")

    def _receive(self) -> tuple | None:
        """The next message, or ``None`` at the end of the pipe."""
        header = self.pipe.read(_HEADER)
        if len(header) < _HEADER:
            return None
        size = int.from_bytes(header, "little")
        body = self.pipe.read(size)
        if len(body) < size:
            return None
        return pickle.loads(body)

    def close(self) -> None:
        if self.finished:
            try:
                self.process.wait(timeout=10)  # it has sent everything and is exiting
            except subprocess.TimeoutExpired:
                pass
        if self.process.poll() is None:
            self.process.kill()  # stopped early (an exception here, an interrupt) or stuck
        self.process.wait()
        self.pipe.close()

    def __enter__(self) -> _ReaderProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _sent(record: SourceRecord) -> SourceRecord | dict:
    """A record as the reader process sends it: a Document as its fields, its passages as theirs.

    The same dict as ``model_dump()``, taken from the models' own field dicts without copying
    each value (~0.6 µs a 3.8 kB PubMed record instead of ~4.4)."""
    if isinstance(record, Document):
        return {**record.__dict__, "passages": [passage.__dict__ for passage in record.passages]}
    return record


def _received(record: SourceRecord | dict) -> SourceRecord:
    """A record as :func:`_sent` sent it.  A Document's fields come from a Document, so each value
    already has its field's type: strict validation checks that without trying conversions
    (~12 µs a 3.8 kB PubMed record instead of ~16)."""
    return Document.model_validate(record, strict=True) if isinstance(record, dict) else record


def _reader_environment() -> dict[str, str]:
    """This process's environment with :data:`_MALLOC_TUNABLE`, unless the user tuned that already."""
    tunables = [t for t in os.environ.get("GLIBC_TUNABLES", "").split(":") if t]
    if not any(t.startswith("glibc.malloc.tcache_count=") for t in tunables):
        tunables.append(_MALLOC_TUNABLE)
    return {**os.environ, "GLIBC_TUNABLES": ":".join(tunables)}


def _reader_main(args: dict) -> None:
    """Body of the reader process: read (and classify) and send ``args['path']``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # an interrupt is the parent's to handle; it kills us
    # The imported modules live as long as the process: frozen, they are left out of
    # the full garbage collections that every few chunks of records trigger.
    gc.freeze()
    # A chunk of records on its way is ~5,000 container objects with no reference cycles:
    # collecting every 700 new ones walked them over and over (~6 µs a 3.8 kB record) and
    # found nothing.  Garbage that does form cycles still brings a collection, later.
    gc.set_threshold(10_000)
    pipe = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print() must not corrupt the pipe
    sys.stdout = sys.stderr
    frames: queue.Queue[bytes | None] = queue.Queue(maxsize=args["ahead_chunks"])
    # Chunks waiting for the parent: this many means it is the slower side.
    parent_behind = max(1, args["ahead_chunks"] // 2)

    def write() -> None:
        # A thread, so parsing goes on while the parent is busy committing.
        try:
            while (frame := frames.get()) is not None:
                pipe.write(len(frame).to_bytes(_HEADER, "little"))
                pipe.write(frame)
                pipe.flush()
            pipe.close()
        except OSError:  # the parent is gone: nobody wants the rest
            os._exit(1)

    writer = threading.Thread(target=write, name="evidex-reader-pipe", daemon=True)
    writer.start()

    def send(message: tuple) -> None:
        frames.put(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    def send_records(chunk: list[SourceRecord]) -> None:
        if frames.qsize() >= parent_behind:
            send(("records", [_sent(_classified(record)) for record in chunk], True))
        else:
            send(("records", list(map(_sent, chunk)), False))

    send(("ready",))
    chunk: list[SourceRecord] = []
    try:
        for record in read_source(Path(args["path"]), args["format"]):
            chunk.append(record)
            if len(chunk) >= args["chunk"]:
                send_records(chunk)
                chunk = []
        if chunk:
            send_records(chunk)
        send(("done",))
    except Exception as exc:
        if chunk:
            send(("records", list(map(_sent, chunk)), False))
        kind = next((name for name, cls in _FILE_ERRORS.items() if isinstance(exc, cls)), type(exc).__name__)
        send(("error", kind, str(exc), traceback.format_exc()))
    frames.put(None)
    writer.join()
