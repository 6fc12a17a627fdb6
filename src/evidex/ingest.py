"""Stream records from source files into a store, in committed batches.

Records are classified (evidence kind, sample size, retraction) on the way
in.  Each batch is one transaction, so stopping at any point leaves every
earlier batch stored; running the same ingest again finishes the job and
counts the already-stored records as unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from evidex.classify import classify
from evidex.models import Deletion, Document, RecordError, SourceRecord
from evidex.sources import read_source
from evidex.store import SQLiteStore

MAX_REPORTED_PROBLEMS = 200

ProgressCallback = Callable[[int], None]


@dataclass
class IngestReport:
    """What an ingest did, file by file problems included."""

    files: list[str] = field(default_factory=list)
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    deleted: int = 0
    problems: list[RecordError] = field(default_factory=list)

    @property
    def stored(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def add_problem(self, problem: RecordError) -> None:
        self.skipped += 1
        if len(self.problems) < MAX_REPORTED_PROBLEMS:
            self.problems.append(problem)

    def summary(self) -> str:
        return (
            f"{self.inserted} ingested, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.skipped} skipped, {self.deleted} deleted"
        )


def ingest_files(
    store: SQLiteStore,
    paths: Iterable[Path],
    format: str | None = None,
    batch_size: int = 2000,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Ingest every file in ``paths``; a missing or unreadable file is a problem, not a crash."""
    report = IngestReport()
    for path in paths:
        report.files.append(str(path))
        try:
            records = read_source(Path(path), format)
            ingest_records(store, records, report, batch_size, progress)
        except (FileNotFoundError, IsADirectoryError, PermissionError, ValueError) as exc:
            report.add_problem(RecordError(file=str(path), location="file", message=str(exc)))
    return report


def ingest_records(
    store: SQLiteStore,
    records: Iterable[SourceRecord],
    report: IngestReport,
    batch_size: int = 2000,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Store ``records`` in batches of ``batch_size``, updating ``report``."""
    batch: dict[str, Document] = {}

    def flush() -> None:
        if not batch:
            return
        counts = store.upsert(list(batch.values()))
        report.inserted += counts.inserted
        report.updated += counts.updated
        report.unchanged += counts.unchanged
        if progress:
            progress(len(batch))
        batch.clear()

    for record in records:
        if isinstance(record, RecordError):
            report.add_problem(record)
        elif isinstance(record, Deletion):
            flush()
            report.deleted += store.delete([record.id])
        else:
            batch[record.id] = classify(record)  # a later copy in the same batch wins
            if len(batch) >= batch_size:
                flush()
    flush()
    return report
