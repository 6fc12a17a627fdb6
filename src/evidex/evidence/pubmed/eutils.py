"""Live PubMed for one question: build an E-utilities search from the question's
concepts, ``esearch`` for the best records, ``efetch`` the ones not stored yet as
PubMed XML and ingest them like any file, so the corpus grows with use.

The search asks for the strongest evidence first: guidelines, meta-analyses,
systematic reviews and trials on the question's focus within the date window,
then, when those are fewer than wanted, any record on the focus.  Each focus
concept is searched by its MeSH heading (exploded, as PubMed does) and by its
names as title/abstract words, so records not yet indexed with MeSH are found
too.  A search asked again within ``query_cache_days`` is answered from what it
fetched then, without the network.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

from evidex.evidence.ingest import IngestReport, ingest_file
from evidex.evidence.pubmed.client import NcbiClient, PubMedUnavailable
from evidex.evidence.store import Changes, Store
from evidex.settings import PubMedSettings

EVIDENCE_TYPES = (
    "Practice Guideline",
    "Guideline",
    "Meta-Analysis",
    "Systematic Review",
    "Randomized Controlled Trial",
    "Clinical Trial",
)
NAMES_PER_CONCEPT = 4  # text words searched for a concept: its name, the words of the question, a few synonyms
MAX_WORDS = 6  # content words searched when the question names no known concept
QUERY_CACHE_PREFIX = "pubmed:query:"
_UNSAFE = re.compile(r'["\[\]()]')  # what would end a quoted phrase or open PubMed syntax


class NamedConcept(Protocol):
    """What the query builder reads from a concept of the question (see ``evidex.search.expand.Concept``)."""

    name: str
    ui: str | None
    matched_text: str
    synonyms: list[str]


@dataclass(frozen=True)
class PubMedQuery:
    """An E-utilities search: the question's focus and a publication-date window."""

    focus: str
    mindate: str | None = None
    maxdate: str | None = None

    @property
    def strongest(self) -> str:
        """The focus, limited to guidelines, meta-analyses, systematic reviews and trials."""
        types = " OR ".join(f'"{t}"[Publication Type]' for t in EVIDENCE_TYPES)
        return f"{self.focus} AND ({types})"

    @property
    def key(self) -> str:
        """What identifies the search in the query cache."""
        text = json.dumps([self.focus, self.mindate, self.maxdate])
        return QUERY_CACHE_PREFIX + hashlib.sha256(text.encode()).hexdigest()[:20]


def build_query(
    conditions: Sequence[NamedConcept],
    interventions: Sequence[NamedConcept],
    words: Sequence[str],
    settings: PubMedSettings,
    today: date | None = None,
) -> PubMedQuery | None:
    """The search for a question's conditions and interventions (each concept must
    match), or for its content words when it names none; ``None`` for nothing to search."""
    clauses = [clause for concept in [*conditions, *interventions] if (clause := _concept_clause(concept))]
    if not clauses:
        phrases = [_phrase(word) for word in words]
        clauses = [f'"{p}"[Title/Abstract]' for p in dict.fromkeys(p for p in phrases if len(p) > 2)][:MAX_WORDS]
    if not clauses:
        return None
    focus = " AND ".join(dict.fromkeys(clauses))
    if settings.years:
        year = (today or date.today()).year
        return PubMedQuery(focus, mindate=str(year - settings.years), maxdate="3000")
    return PubMedQuery(focus)


def _concept_clause(concept: NamedConcept) -> str:
    names = [concept.name, concept.matched_text, *concept.synonyms]
    # A short abbreviation ("PT") is too ambiguous as a text word; its full name stands for it.
    phrases = [p for p in dict.fromkeys(_phrase(n).lower() for n in names) if len(p) > 3][:NAMES_PER_CONCEPT]
    parts = [f'"{_phrase(concept.name)}"[MeSH Terms]'] if concept.ui else []
    parts += [f'"{p}"[Title/Abstract]' for p in phrases]
    return "(" + " OR ".join(parts) + ")" if parts else ""


def _phrase(text: str) -> str:
    return " ".join(_UNSAFE.sub(" ", text).split())


@dataclass
class LiveFetch:
    """What a live PubMed search did for one question."""

    query: str
    found: int = 0  # records PubMed has for the focus (within the date window)
    pmids: list[str] = field(default_factory=list)  # the records chosen, best first
    fetched: int = 0  # of which were fetched now (the rest were stored already)
    stored: int = 0  # new or changed documents written
    problems: int = 0  # fetched records that could not be read
    cached_at: str | None = None  # the search was answered from the query cache of this date
    error: str | None = None  # PubMed could not be asked: the answer comes from the local corpus
    seconds: float = 0.0


class EutilsClient:
    """esearch and efetch of NCBI's E-utilities."""

    def __init__(self, client: NcbiClient) -> None:
        self.client = client
        self.base = client.settings.eutils_url.rstrip("/") + "/"

    def esearch(self, term: str, retmax: int, query: PubMedQuery) -> tuple[int, list[str]]:
        """(how many records match, the first ``retmax`` PMIDs by PubMed's relevance order)."""
        params = {"db": "pubmed", "term": term, "retmax": str(retmax), "retmode": "json", "sort": "relevance"}
        if query.mindate:
            params.update(datetype="pdat", mindate=query.mindate, maxdate=query.maxdate or "3000")
        response = self.client.request("GET", self.base + "esearch.fcgi", params={**self.client.eutils_params(), **params})
        try:
            result = response.json()["esearchresult"]
            if result.get("ERROR"):
                raise PubMedUnavailable(f"esearch: {result['ERROR']}")
            pmids = [str(p) for p in result.get("idlist", []) if str(p).isdigit()]
            return int(result.get("count", len(pmids))), pmids
        except (ValueError, KeyError, TypeError) as exc:
            raise PubMedUnavailable(f"esearch answered something that is not its JSON ({exc})") from None

    def efetch(self, pmids: Sequence[str]) -> bytes:
        """The records as PubMed XML (a ``PubmedArticleSet``)."""
        params = {**self.client.eutils_params(), "db": "pubmed", "id": ",".join(pmids), "retmode": "xml"}
        url = self.base + "efetch.fcgi"
        # NCBI asks for POST beyond about 200 ids: the URL would be too long.
        if len(pmids) > 200:
            return self.client.request("POST", url, data=params).content
        return self.client.request("GET", url, params=params).content


def fetch_for_question(
    store: Store,
    eutils: EutilsClient,
    query: PubMedQuery,
    settings: PubMedSettings,
    work_dir: Path,
    batch_size: int = 2000,
) -> LiveFetch:
    """Search PubMed, fetch the records not stored yet and ingest them; never raises for PubMed's faults.

    The records are committed together with the query-cache entry, so a search
    that was cached also has its records stored.
    """
    started = time.perf_counter()
    result = LiveFetch(query=query.strongest)
    cached = _cached(store, query, settings.query_cache_days)
    if cached is not None:
        result.found, result.pmids, result.cached_at = cached["found"], cached["pmids"], cached["at"]
        result.seconds = time.perf_counter() - started
        return result
    try:
        wanted = settings.max_records
        result.found, pmids = eutils.esearch(query.strongest, wanted, query)
        if len(pmids) < wanted:
            found, more = eutils.esearch(query.focus, wanted, query)
            result.found = max(result.found, found)
            pmids += [p for p in more if p not in pmids][: wanted - len(pmids)]
        result.pmids = pmids
        stored = store.contains([f"pmid:{p}" for p in pmids])
        new = [p for p in pmids if f"pmid:{p}" not in stored]
        entry = {query.key: json.dumps({"found": result.found, "pmids": pmids, "at": date.today().isoformat()})}
        if new:
            xml = eutils.efetch(new)
            result.fetched = len(new)
            report = _ingest_xml(store, xml, work_dir, batch_size, lambda consumed, totals: entry)
            result.stored, result.problems = report.inserted + report.updated, report.skipped
        else:
            store.apply(Changes(), lambda counts: entry)
    except PubMedUnavailable as exc:
        result.error = str(exc)
    result.seconds = time.perf_counter() - started
    return result


def _cached(store: Store, query: PubMedQuery, days: float) -> dict | None:
    if days <= 0 or (text := store.get_meta(query.key)) is None:
        return None
    try:
        entry = json.loads(text)
        age = (date.today() - date.fromisoformat(entry["at"])).days
    except (ValueError, KeyError, TypeError):
        return None
    return entry if age <= days else None


def _ingest_xml(store: Store, xml: bytes, work_dir: Path, batch_size: int, checkpoint) -> IngestReport:
    """Ingest efetch's XML through the PubMed XML reader, as ``evidex ingest`` would read a file."""
    work_dir.mkdir(parents=True, exist_ok=True)
    report = IngestReport()
    with tempfile.NamedTemporaryFile(dir=work_dir, prefix="efetch-", suffix=".xml") as handle:
        handle.write(xml)
        handle.flush()
        ingest_file(
            store, Path(handle.name), "pubmed-xml", report, batch_size, reader_process=False, checkpoint=checkpoint
        )
    return report
