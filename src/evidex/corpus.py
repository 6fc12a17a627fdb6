"""The Python API: a :class:`Corpus` of evidence that the CLI and server wrap."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from evidex.builtin import builtin_files, builtin_version
from evidex.ingest import IngestReport, ProgressCallback, ingest_files, ingest_records
from evidex.models import Document
from evidex.settings import Settings
from evidex.sources import read_source
from evidex.store import CorpusStats, SQLiteStore

BUILTIN_KEY = "builtin_version"


class DocumentNotFound(KeyError):
    """No document has the requested id."""

    def __str__(self) -> str:
        return f"no document with id {self.args[0]!r} (ids look like pmid:29768149, ngc:11288, om:…, medquad:…)"


class Corpus:
    """Evidence documents in a store, with ingestion and lookup.

    >>> corpus = Corpus.open(Settings(data_dir="/tmp/evidex-doc"))  # doctest: +SKIP
    >>> corpus.ensure_builtin()                                     # doctest: +SKIP
    """

    def __init__(self, store: SQLiteStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    @classmethod
    def open(cls, settings: Settings | None = None) -> "Corpus":
        settings = settings or Settings()
        return cls(SQLiteStore(settings.database_path), settings)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "Corpus":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- ingestion ----------------------------------------------------------------------

    def ingest(
        self, paths: Iterable[Path | str], format: str | None = None, progress: ProgressCallback | None = None
    ) -> IngestReport:
        """Ingest files (PubMed XML, bundled JSONL formats or generic JSONL)."""
        return ingest_files(
            self.store, [Path(p) for p in paths], format, self.settings.ingest.batch_size, progress
        )

    def needs_builtin(self) -> bool:
        """True when the built-in corpus is wanted and this version is not stored yet."""
        return self.settings.builtin_corpus and self.store.get_meta(BUILTIN_KEY) != builtin_version()

    def ensure_builtin(self, progress: ProgressCallback | None = None) -> IngestReport | None:
        """Ingest the built-in corpus unless this version is already stored."""
        if not self.needs_builtin():
            return None
        report = IngestReport()
        for path, fmt in builtin_files():
            report.files.append(str(path))
            ingest_records(self.store, read_source(path, fmt), report, self.settings.ingest.batch_size, progress)
        with self.store.transaction():
            self.store.set_meta(BUILTIN_KEY, builtin_version())
        return report

    # -- lookup -------------------------------------------------------------------------

    def get(self, doc_id: str) -> Document:
        document = self.store.get(doc_id.strip())
        if document is None:
            raise DocumentNotFound(doc_id)
        return document

    def stats(self) -> CorpusStats:
        return self.store.stats()
