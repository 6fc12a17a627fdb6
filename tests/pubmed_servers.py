"""Real HTTP servers on 127.0.0.1 that speak NCBI's protocols, for the PubMed tests.

* :class:`EutilsServer`: ``esearch.fcgi`` (JSON and XML) and ``efetch.fcgi``
  (PubMed XML) over a set of records, checking the API key, answering 429 past
  its rate limit (as NCBI does), and slow when told to be.
* :class:`FileServer`: a folder in the layout of NLM's ``baseline/`` and
  ``updatefiles/`` (``.xml.gz`` with ``.md5`` companions, HTML listings), as
  Python's own file server serves it, optionally throttled.

Records are copies of the real record in ``tests/data/pubmed-29768149.xml``
with new PMIDs, titles and publication types (:func:`record`).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from functools import partial
from http.server import (
    BaseHTTPRequestHandler,
    SimpleHTTPRequestHandler,
    ThreadingHTTPServer,
)
from pathlib import Path
from urllib.parse import parse_qs, urlparse
from xml.sax.saxutils import escape

DATA = Path(__file__).parent / "data"
FIXTURE = (DATA / "pubmed-29768149.xml").read_text(encoding="utf-8")
FIXTURE_PMID = "29768149"
FIXTURE_TITLE = "Inhaled Combined Budesonide-Formoterol as Needed in Mild Asthma."
PROLOG = FIXTURE[: FIXTURE.index("<PubmedArticleSet>")]
_ARTICLE = FIXTURE[FIXTURE.index("<PubmedArticle>") : FIXTURE.index("</PubmedArticle>") + len("</PubmedArticle>")]


def record(
    pmid: int | str,
    title: str | None = None,
    publication_types: list[str] | None = None,
    retracts: list[int] | None = None,
    abstract: bool = True,
) -> str:
    """The fixture's ``<PubmedArticle>`` as another record: its PMID, title and
    publication types replaced; ``retracts`` makes it a retraction notice of those PMIDs."""
    text = _ARTICLE.replace(f">{FIXTURE_PMID}<", f">{pmid}<")
    text = text.replace(FIXTURE_TITLE, escape(title or f"{FIXTURE_TITLE[:-1]} (record {pmid})."))
    if publication_types is not None:
        types = "".join(f'<PublicationType UI="D0">{escape(t)}</PublicationType>' for t in publication_types)
        text = re.sub(r"<PublicationTypeList>.*?</PublicationTypeList>", f"<PublicationTypeList>{types}</PublicationTypeList>", text, flags=re.S)
    if retracts:
        refs = "".join(
            f'<CommentsCorrections RefType="RetractionOf"><RefSource>N Engl J Med</RefSource>'
            f'<PMID Version="1">{p}</PMID></CommentsCorrections>'
            for p in retracts
        )
        text = re.sub(r"<CommentsCorrectionsList>.*?</CommentsCorrectionsList>", f"<CommentsCorrectionsList>{refs}</CommentsCorrectionsList>", text, flags=re.S)
    if not abstract:
        text = re.sub(r"<Abstract>.*?</Abstract>", "", text, flags=re.S)
    return text


def article_set(records: list[str], deletions: list[int] = ()) -> str:
    """A PubMed XML file: the records, then a ``DeleteCitation`` block as update files end."""
    deleted = ""
    if deletions:
        deleted = "<DeleteCitation>" + "".join(f'<PMID Version="1">{p}</PMID>' for p in deletions) + "</DeleteCitation>"
    return PROLOG + "<PubmedArticleSet>\n" + "\n".join(records) + deleted + "\n</PubmedArticleSet>\n"


# --------------------------------------------------------------------------- E-utilities


@dataclass
class EutilsBehaviour:
    """What the server does; tests change it while it runs."""

    api_key: str = "good-key"
    per_second_without_key: int = 3
    per_second_with_key: int = 10
    delay_seconds: float = 0.0  # before every answer
    fail_with: int | None = None  # answer every request with this status
    requests: list[dict] = field(default_factory=list)  # every request's path and parameters


class _EutilsHandler(BaseHTTPRequestHandler):
    server: "EutilsServer"

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        url = urlparse(self.path)
        self._answer(url.path, {k: v[-1] for k, v in parse_qs(url.query).items()})

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        self._answer(urlparse(self.path).path, {k: v[-1] for k, v in parse_qs(body).items()})

    def _answer(self, path: str, params: dict[str, str]) -> None:
        server = self.server
        behaviour = server.behaviour
        behaviour.requests.append({"path": path, **params})
        if behaviour.delay_seconds:
            time.sleep(behaviour.delay_seconds)
        if behaviour.fail_with:
            return self._send(behaviour.fail_with, "application/json", json.dumps({"error": "server trouble"}))
        key = params.get("api_key")
        if key is not None and key != behaviour.api_key:
            return self._send(400, "application/json", json.dumps({"error": "API key invalid", "api-key": key}))
        limit = behaviour.per_second_with_key if key else behaviour.per_second_without_key
        if not server.admit(key or self.client_address[0], limit):
            return self._send(429, "application/json", json.dumps({"error": "API rate limit exceeded", "limit": str(limit)}))
        name = path.rsplit("/", 1)[-1]
        if name == "esearch.fcgi":
            return self._esearch(params)
        if name == "efetch.fcgi":
            pmids = [p for p in params.get("id", "").split(",") if p in server.records]
            return self._send(200, "text/xml", article_set([server.records[p] for p in pmids]))
        self._send(404, "text/plain", "unknown E-utility")

    def _esearch(self, params: dict[str, str]) -> None:
        matches = [p for p, text in self.server.records.items() if _matches(params.get("term", ""), text)]
        ids = matches[: int(params.get("retmax", "20"))]
        if params.get("retmode") == "json":
            body = json.dumps({"header": {"type": "esearch"}, "esearchresult": {"count": str(len(matches)), "retmax": str(len(ids)), "idlist": ids}})
            return self._send(200, "application/json", body)
        id_list = "".join(f"<Id>{p}</Id>" for p in ids)
        self._send(200, "text/xml", f"<eSearchResult><Count>{len(matches)}</Count><IdList>{id_list}</IdList></eSearchResult>")

    def _send(self, status: int, kind: str, body: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


_GROUP_TERM = re.compile(r'"([^"]+)"\[([^\]]+)\]')


def _matches(term: str, record_xml: str) -> bool:
    """PubMed's search as far as evidex uses it: AND of parenthesised OR-groups of
    quoted phrases with a field (MeSH Terms, Title/Abstract, Publication Type)."""
    title = re.search(r"<ArticleTitle>(.*?)</ArticleTitle>", record_xml, re.S).group(1)
    abstract = " ".join(re.findall(r"<AbstractText[^>]*>(.*?)</AbstractText>", record_xml, re.S))
    words = f"{title} {abstract}".lower()
    mesh = {m.lower() for m in re.findall(r"<DescriptorName[^>]*>(.*?)</DescriptorName>", record_xml)}
    types = {t.lower() for t in re.findall(r"<PublicationType[^>]*>(.*?)</PublicationType>", record_xml)}
    for group in _top_level_and(term):
        found = False
        for phrase, where in _GROUP_TERM.findall(group):
            phrase = phrase.lower()
            if where == "MeSH Terms":
                found |= phrase in mesh
            elif where == "Publication Type":
                found |= phrase in types
            else:
                found |= phrase in words
        if not found:
            return False
    return True


def _top_level_and(term: str) -> list[str]:
    groups, depth, start = [], 0, 0
    for i, char in enumerate(term):
        depth += char == "("
        depth -= char == ")"
        if depth == 0 and term.startswith(" AND ", i):
            groups.append(term[start:i])
            start = i + 5
    groups.append(term[start:])
    return [g for g in groups if g.strip()]


class EutilsServer(ThreadingHTTPServer):
    """The E-utilities on 127.0.0.1, in a thread of the test process."""

    daemon_threads = True

    def __init__(self, records: dict[str, str], behaviour: EutilsBehaviour | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _EutilsHandler)
        self.records = records
        self.behaviour = behaviour or EutilsBehaviour()
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    def handle_error(self, request, client_address) -> None:
        pass  # a client that gave up on a slow answer is what the slow tests want

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/entrez/eutils/"

    def admit(self, client: str, per_second: int) -> bool:
        """NCBI's rule: at most ``per_second`` requests in any second."""
        with self._lock:
            now = time.monotonic()
            times = self._seen.setdefault(client, deque())
            while times and now - times[0] >= 1.0:
                times.popleft()
            if len(times) >= per_second:
                return False
            times.append(now)
            return True

    def __enter__(self) -> "EutilsServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()


# --------------------------------------------------------------------------- NLM's files


def write_nlm_file(root: Path, folder: str, name: str, xml: str) -> Path:
    """A gzipped PubMed XML file with its ``.md5`` as NLM writes it."""
    path = root / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(xml.encode(), mtime=0))
    (path.parent / f"{name}.md5").write_text(f"MD5({name})= {hashlib.md5(path.read_bytes()).hexdigest()}\n")
    return path


class _SlowFileHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def copyfile(self, source, outputfile) -> None:
        delay = self.server.seconds_per_64k  # type: ignore[attr-defined]
        while chunk := source.read(65536):
            outputfile.write(chunk)
            if delay:
                time.sleep(delay)


class FileServer(ThreadingHTTPServer):
    """A folder over HTTP on 127.0.0.1, as NLM's file server lists and serves it."""

    daemon_threads = True

    def __init__(self, root: Path, seconds_per_64k: float = 0.0) -> None:
        super().__init__(("127.0.0.1", 0), partial(_SlowFileHandler, directory=str(root)))
        self.seconds_per_64k = seconds_per_64k
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    def handle_error(self, request, client_address) -> None:
        pass  # a sync killed mid-download drops its connection

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/pubmed/"

    def __enter__(self) -> "FileServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()
