"""The Python API: a :class:`Corpus` of evidence that the CLI and server wrap."""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cached_property
from importlib.metadata import version
from pathlib import Path

from evidex.answer.appraise import SentenceSplitter, splitter_stamp
from evidex.answer.llm import ChatClient
from evidex.answer.pipeline import Engine
from evidex.answer.plain import PlainLanguage
from evidex.answer.types import Answer, LiveSearch
from evidex.answer.understand import (
    MAX_QUESTION_CHARS,
    Audience,
    ClinicalQuestion,
    QuestionError,
    understand,
)
from evidex.evidence.builtin import ShippedSentences, ShippedVectors, builtin_files, builtin_version
from evidex.evidence.documents import Document
from evidex.evidence.ingest import (
    IngestReport,
    ProgressCallback,
    ingest_file,
    ingest_files,
)
from evidex.evidence.pubmed.client import NcbiClient
from evidex.evidence.pubmed.eutils import (
    EutilsClient,
    LiveFetch,
    build_query,
    fetch_for_question,
)
from evidex.evidence.pubmed.sync import Sync, SyncReport
from evidex.evidence.store import CorpusStats, SearchFilters, Store, open_store
from evidex.search.embed import E5Embedder, Embedder, load_embedder
from evidex.search.distributed import EmbeddingRun
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


BACKGROUND_POLL_SECONDS = 5.0  # how often a server looks for passages to embed when it has none

log = logging.getLogger(__name__)


class EmbeddingBusy(RuntimeError):
    """Another process (a server's background embedding, another ``evidex embed``) is embedding this corpus."""


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

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    @classmethod
    def open(cls, settings: Settings | None = None) -> "Corpus":
        settings = settings or Settings()
        return cls(open_store(settings.database_url, settings.database_path), settings)

    def close(self) -> None:
        if "ncbi" in self.__dict__:
            self.ncbi.close()
        if "searcher" in self.__dict__:
            self.searcher.close()
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
        ray: str | None = None,
    ) -> IngestReport:
        """Ingest files (PubMed XML, bundled JSONL formats or generic JSONL).

        With ``embed=False`` new passages are searchable by words at once and by
        meaning after :meth:`embed_passages` (useful for large bulk loads); so too
        when another process (a server) is embedding this corpus, which takes them.
        ``ray``: read and classify the files in parallel on the Ray cluster at this
        address ("local": this machine's cores), and embed there too
        (:mod:`evidex.evidence.distributed`, :mod:`evidex.search.distributed`).
        """
        readers = None
        if ray:
            from evidex.evidence.distributed import RayFiles, connect

            connect(ray)
            readers = RayFiles(format)
        report = ingest_files(
            self.store, [Path(p) for p in paths], format, self.settings.ingest.batch_size, progress, readers=readers
        )
        if embed and ray:
            with contextlib.suppress(EmbeddingBusy):
                self.embed_on_ray(ray)
        elif embed:
            try:
                self.embed_passages()
            except EmbeddingBusy:  # the process embedding now (a server) takes the new passages too
                log.info("another process is embedding this corpus; it embeds the new passages")
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
        with contextlib.suppress(EmbeddingBusy):  # the process embedding now applies the shipped vectors too
            self.embed_passages(progress, shipped_only=True)
        with self.store.transaction():
            self.store.set_meta(BUILTIN_KEY, builtin_version())
        return report

    def prepare(self, progress: ProgressCallback | None = None) -> IngestReport | None:
        """Make the corpus ready to search: built-in corpus ingested, every passage embedded."""
        report = self.ensure_builtin(progress)
        self.embed_passages(progress)
        return report

    def embed_passages(
        self,
        progress: ProgressCallback | None = None,
        shipped_only: bool = False,
        *,
        newest_first: bool = False,
        should_stop: Callable[[], bool] | None = None,
        embedder: Embedder | E5Embedder | None = None,
    ) -> int:
        """Embed passages that have no vector yet, so new documents are found by meaning too.

        Built-in passages take the vectors shipped with the package; with
        ``shipped_only`` nothing else is computed.  Vectors are committed every
        few passages: an interrupted run keeps them and the next one goes on.
        Raises :class:`EmbeddingBusy` when another process is embedding this corpus.
        """
        shipped = ShippedVectors.load(self.embedder.name) if self.settings.builtin_corpus else None
        with self.embedding_lock():
            embedded = embed_missing_passages(
                self.store, embedder or self.embedder, progress, known_vectors=shipped.lookup if shipped else None,
                compute=not shipped_only, newest_first=newest_first, should_stop=should_stop,
            )
        self._index_vectors(embedder or self.embedder)
        return embedded

    def embed_on_ray(self, address: str, progress: ProgressCallback | None = None) -> EmbeddingRun:
        """Embed passages that have no vector yet with actors on the Ray cluster at ``address``
        ("local": this machine's cores), each writing its batches to the store; see
        :mod:`evidex.search.distributed`.  Raises :class:`EmbeddingBusy` like :meth:`embed_passages`."""
        from evidex.evidence.distributed import connect
        from evidex.search.distributed import embed_on_ray

        connect(address)
        model = self.settings.search.embedding_model
        shipped = ShippedVectors.load(model) if self.settings.builtin_corpus else None
        with self.embedding_lock():
            run = embed_on_ray(
                self.store, self.settings.database_url, str(self.settings.database_path), model,
                shipped.lookup if shipped else None, progress, onnx_model=isinstance(self.embedder, Embedder),
            )
        self._index_vectors(self.embedder)
        return run

    def _index_vectors(self, embedder: Embedder | E5Embedder) -> None:
        """Build the database's vector index (PostgreSQL's HNSW) of ``embedder``'s vectors after the
        run that made them: on the built-in corpus it takes about 20 s, which the first question would
        otherwise wait."""
        if self.store.searches_vectors:
            self.store.build_vector_index(embedder.name, embedder.dim)

    def passages_to_embed(self) -> int:
        """Passages without a vector of the search model: what :meth:`embed_passages` has to do."""
        return self.store.count_passages_without_vectors(self.settings.search.embedding_model)

    @contextlib.contextmanager
    def embedding_lock(self) -> Iterator[None]:
        """Held while this process embeds the corpus, so that two processes never embed the same passages."""
        try:
            with self.store.exclusive("embedding"):
                yield
        except BlockingIOError:
            raise EmbeddingBusy("another evidex process is embedding this corpus") from None

    def embed_in_background(self) -> BackgroundEmbedding:
        """Start embedding passages without vectors in a thread of this process (what a server does)."""
        return BackgroundEmbedding(self.settings)

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
        shipped = ShippedSentences.load(splitter_stamp()) if self.settings.builtin_corpus else None
        return Engine(self.store, self.searcher, PlainLanguage(self.vocabulary), self.settings,
                      SentenceSplitter(shipped=shipped), llm)

    def search(self, query: str, filters: SearchFilters | None = None, top_k: int | None = None) -> SearchResult:
        """Hybrid search over passages; see :mod:`evidex.search.retrieve`."""
        if not query.strip():
            raise QuestionError("the query is empty")
        if len(query) > MAX_QUESTION_CHARS:  # as long as a question may be: the work grows with the text
            raise QuestionError(f"the query is {len(query):,} characters long; the limit is {MAX_QUESTION_CHARS:,}")
        return self.searcher.search(check_text(query, "the query"), filters, top_k)

    def ask(
        self,
        question: str,
        audience: Audience = "clinician",
        filters: SearchFilters | None = None,
        earlier: Sequence[str] = (),
        pubmed: bool | None = None,
    ) -> Answer:
        """A structured, cited, verified answer; see :mod:`evidex.answer.pipeline`.

        ``earlier`` are the previous questions of a conversation, oldest first:
        a follow-up inherits their condition and patient details.  ``pubmed``
        (default: the ``pubmed.enabled`` setting) searches PubMed live first and
        stores what it finds; if PubMed cannot be reached the answer says so in
        its provenance and comes from the local corpus.
        """
        for text in (question, *earlier):
            check_text(text)
        live = self.settings.pubmed.enabled if pubmed is None else pubmed
        return self.engine.ask(question, audience, filters, earlier, fetch=self.fetch_from_pubmed if live else None)

    # -- PubMed ---------------------------------------------------------------------------

    @cached_property
    def ncbi(self) -> NcbiClient:
        """HTTP to NCBI, paced with every other evidex process on this data directory."""
        pace = self.settings.data_dir / "pubmed" / "eutils.pace"
        return NcbiClient(self.settings.pubmed, pace, user_agent=f"evidex/{version('evidex')}")

    def fetch_from_pubmed(self, question: ClinicalQuestion) -> LiveSearch:
        """Search PubMed for an understood question and store the records it finds (see
        :mod:`evidex.evidence.pubmed.eutils`); new passages are found by words at once and by
        meaning once embedded (by a server in the background, or ``evidex embed``)."""
        fetched = self._fetch(question)
        return LiveSearch(
            query=fetched.query, found=fetched.found, pmids=[f"pmid:{p}" for p in fetched.pmids],
            fetched=fetched.fetched, cached_at=fetched.cached_at, error=fetched.error,
        )

    def search_pubmed(self, text: str) -> LiveFetch:
        """Fetch and store what PubMed has for ``text`` (a question or a topic), without answering."""
        return self._fetch(understand(text, self.vocabulary))

    def _fetch(self, question: ClinicalQuestion) -> LiveFetch:
        settings = self.settings.pubmed
        terms = question.expanded.terms if question.expanded else question.text.split()
        query = build_query(question.main_conditions, question.interventions, terms, settings)
        if query is None:
            return LiveFetch(query="", error="the question names nothing to search PubMed for")
        eutils = EutilsClient(self.ncbi)
        work_dir = self.settings.data_dir / "pubmed"
        return fetch_for_question(self.store, eutils, query, settings, work_dir, self.settings.ingest.batch_size)

    def sync_pubmed(
        self, limit: int | None = None, progress: ProgressCallback | None = None, log: Callable[[str], None] = print,
        ray: str | None = None,
    ) -> SyncReport:
        """Apply NLM's baseline and update files not applied yet (see :mod:`evidex.evidence.pubmed.sync`);
        ``ray``: read and classify them in parallel on the Ray cluster at this address ("local": this machine)."""
        readers = None
        if ray:
            from evidex.evidence.distributed import RayFiles, connect

            connect(ray)
            readers = RayFiles("pubmed-xml")
        sync = Sync(self.store, self.ncbi, self.settings.pubmed, self.settings.data_dir / "pubmed" / "files",
                    self.settings.ingest.batch_size, log, readers)
        return sync.run(limit, progress)

    # -- lookup -------------------------------------------------------------------------

    def get(self, doc_id: str) -> Document:
        document = self.store.get(doc_id.strip())
        if document is None:
            raise DocumentNotFound(doc_id, self.store.example_ids())
        return document

    def stats(self) -> CorpusStats:
        return self.store.stats(self.settings.search.embedding_model)


class BackgroundEmbedding:
    """Embeds passages without vectors in a thread, newest first, so that a server answers
    at once and documents it just stored (a live PubMed search, an ingest by another process)
    become findable by meaning a few seconds at a time.

    It works on its own connection and its own copy of the model, on one core, so a
    question neither waits for it nor loses the other core; of several server processes
    only one embeds at a time (:meth:`Corpus.embedding_lock`).
    """

    def __init__(self, settings: Settings, poll_seconds: float = BACKGROUND_POLL_SECONDS) -> None:
        self.settings = settings
        self.poll_seconds = poll_seconds
        self.embedded = 0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="evidex-embedding", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look for new passages now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        corpus = Corpus.open(self.settings)
        embedder = None
        try:
            while not self._stop.is_set():
                model = self.settings.search.embedding_model
                if corpus.store.passages_without_vectors(model, 1):
                    if embedder is None:
                        embedder = load_embedder(model)
                        if isinstance(embedder, E5Embedder):
                            embedder.passage_threads = 1
                    self._embed(corpus, embedder)
                self._wake.wait(self.poll_seconds)
                self._wake.clear()
        except Exception:  # a background thread must say why it stopped; the server goes on by words
            log.exception("background embedding stopped")
        finally:
            corpus.close()

    def _embed(self, corpus: Corpus, embedder) -> None:
        left = corpus.passages_to_embed()
        log.info("embedding %s passages in the background", f"{left:,}")
        reporter = ProgressLog("embedded", left, "passages", log.info)
        try:
            done = corpus.embed_passages(reporter, newest_first=True, should_stop=self._stop.is_set, embedder=embedder)
        except EmbeddingBusy:
            return
        self.embedded += done
        if done:
            log.info("embedded %s passages in the background", f"{done:,}")


class ProgressLog:
    """Progress of long work as a log line every ``every_seconds`` (for when no terminal shows a bar):
    "embedded 320 of 10,000 passages (8.1/s, about 20 min left)"."""

    def __init__(
        self, verb: str, total: int | None, unit: str, write: Callable[[str], None], every_seconds: float = 30.0
    ) -> None:
        import time

        self._clock = time.monotonic
        self.verb, self.total, self.unit, self.write, self.every = verb, total, unit, write, every_seconds
        self.done = 0
        self.started = self._last = self._clock()

    def __call__(self, advance: int) -> None:
        self.done += advance
        now = self._clock()
        if now - self._last >= self.every or (self.total is not None and self.done >= self.total):
            self._last = now
            self.write(self.line())

    def line(self) -> str:
        elapsed = max(self._clock() - self.started, 1e-9)
        rate = self.done / elapsed
        text = f"{self.verb} {self.done:,}" + (f" of {self.total:,}" if self.total is not None else "") + f" {self.unit}"
        text += f" ({rate:,.1f}/s"
        if self.total is not None and rate > 0 and self.done < self.total:
            text += f", about {_duration((self.total - self.done) / rate)} left"
        return text + ")"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
