"""The Python API: a :class:`Corpus` of evidence that the CLI and server wrap."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cached_property
from pathlib import Path

from evidex.answer.appraise import SentenceSplitter
from evidex.answer.llm import ChatClient
from evidex.answer.pipeline import Engine
from evidex.answer.plain import PlainLanguage
from evidex.answer.types import Answer
from evidex.answer.understand import Audience, QuestionError
from evidex.evidence.builtin import ShippedVectors, builtin_files, builtin_version
from evidex.evidence.documents import Document
from evidex.evidence.ingest import (
    IngestReport,
    ProgressCallback,
    ingest_file,
    ingest_files,
)
from evidex.evidence.store import CorpusStats, SearchFilters, SQLiteStore
from evidex.search.embed import E5Embedder, Embedder, load_embedder
from evidex.search.retrieve import Searcher, SearchResult, embed_missing_passages
from evidex.search.vocab import Vocabulary
from evidex.settings import Settings

BUILTIN_KEY = "builtin_version"
# Control characters (tab and line breaks aside), lone surrogates and bidirectional overrides:
# invisible, they change how stored text displays (a NUL byte written into a page) and carry no meaning.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def control_character(text: str) -> str | None:
    """The first control character in ``text`` as "U+0000", or None when there is none."""
    found = _CONTROL.search(text or "")
    return f"U+{ord(found.group()):04X}" if found else None


def without_control_characters(text: str) -> str:
    """``text`` with its control characters removed, for echoing input back safely."""
    return _CONTROL.sub("", text or "")


def check_text(text: str, what: str = "the question") -> str:
    """``text`` unchanged, or :class:`QuestionError` naming the control character it holds."""
    code = control_character(text)
    if code:
        raise QuestionError(f"{what} contains an invisible control character ({code}); remove it and try again")
    return text


class DocumentNotFound(KeyError):
    """No document has the requested id; ``args[1]`` holds ids that this corpus does have."""

    def __str__(self) -> str:
        examples = self.args[1] if len(self.args) > 1 else []
        like = f"; ids in this corpus look like {', '.join(examples)}" if examples else ""
        return f"no document with id {self.args[0]!r}{like}"


class Corpus:
    """Evidence documents in a store, with ingestion and lookup.

    >>> corpus = Corpus.open(Settings(data_dir="/tmp/evidex-doc"))  # doctest: +SKIP
    >>> corpus.prepare()                                            # doctest: +SKIP
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
        self,
        paths: Iterable[Path | str],
        format: str | None = None,
        progress: ProgressCallback | None = None,
        embed: bool = True,
    ) -> IngestReport:
        """Ingest files (PubMed XML, bundled JSONL formats or generic JSONL).

        With ``embed=False`` new passages are searchable by words at once and by
        meaning after :meth:`embed_passages` (useful for large bulk loads).
        """
        report = ingest_files(self.store, [Path(p) for p in paths], format, self.settings.ingest.batch_size, progress)
        if embed:
            self.embed_passages()
        return report

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
            ingest_file(self.store, path, fmt, report, self.settings.ingest.batch_size, progress)
        self.embed_passages(progress, shipped_only=True)
        with self.store.transaction():
            self.store.set_meta(BUILTIN_KEY, builtin_version())
        return report

    def prepare(self, progress: ProgressCallback | None = None) -> IngestReport | None:
        """Make the corpus ready to search: built-in corpus ingested, every passage embedded."""
        report = self.ensure_builtin(progress)
        self.embed_passages(progress)
        return report

    def embed_passages(self, progress: ProgressCallback | None = None, shipped_only: bool = False) -> int:
        """Embed passages that have no vector yet, so new documents are found by meaning too.

        Built-in passages take the vectors shipped with the package; with
        ``shipped_only`` nothing else is computed.
        """
        shipped = ShippedVectors.load(self.embedder.name) if self.settings.builtin_corpus else None
        return embed_missing_passages(
            self.store, self.embedder, progress, known_vectors=shipped.lookup if shipped else None,
            compute=not shipped_only,
        )

    # -- search and answers ---------------------------------------------------------------

    @cached_property
    def vocabulary(self) -> Vocabulary:
        return Vocabulary.load()

    @cached_property
    def embedder(self) -> Embedder | E5Embedder:
        """The model that embeds passages and searches."""
        return load_embedder(self.settings.search.embedding_model, self.settings.search.query_cache)

    @cached_property
    def question_embedder(self) -> Embedder:
        """The model that compares questions with questions (related articles)."""
        return Embedder.load()

    @cached_property
    def searcher(self) -> Searcher:
        return Searcher(self.store, self.vocabulary, self.embedder, self.settings.search)

    @cached_property
    def engine(self) -> Engine:
        llm = ChatClient(self.settings.llm) if self.settings.llm.enabled else None
        return Engine(self.store, self.searcher, PlainLanguage(self.vocabulary), self.settings, SentenceSplitter(), llm)

    def search(self, query: str, filters: SearchFilters | None = None, top_k: int | None = None) -> SearchResult:
        """Hybrid search over passages; see :mod:`evidex.search.retrieve`."""
        return self.searcher.search(check_text(query, "the query"), filters, top_k)

    def ask(
        self,
        question: str,
        audience: Audience = "clinician",
        filters: SearchFilters | None = None,
        earlier: Sequence[str] = (),
    ) -> Answer:
        """A structured, cited, verified answer; see :mod:`evidex.answer.pipeline`.

        ``earlier`` are the previous questions of a conversation, oldest first:
        a follow-up inherits their condition and patient details.
        """
        for text in (question, *earlier):
            check_text(text)
        return self.engine.ask(question, audience, filters, earlier)

    # -- lookup -------------------------------------------------------------------------

    def get(self, doc_id: str) -> Document:
        document = self.store.get(doc_id.strip())
        if document is None:
            raise DocumentNotFound(doc_id, self.store.example_ids())
        return document

    def stats(self) -> CorpusStats:
        return self.store.stats(self.settings.search.embedding_model)
