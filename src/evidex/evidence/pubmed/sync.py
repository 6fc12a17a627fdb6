"""Keep a local copy of PubMed current from NLM's files: the annual baseline,
then the daily update files, in order.

Each file is downloaded over HTTPS, checked against the MD5 NLM publishes next
to it (``name.xml.gz.md5``), and ingested in committed batches; each batch
commits with a checkpoint (the file, its MD5, how many of its records are
applied, the counts so far), so a run stopped anywhere (Ctrl+C, a crash,
``kill -9``) loses nothing it committed, and the next run skips the records
already applied and goes on from the next one: nothing is applied twice, and a
record changed by a later update file is never overwritten by an earlier one.
``DeleteCitation`` removes records; retraction notices mark the records they
name, whichever of the two arrives first.  A subset filter keeps only the
records a deployment wants (e.g. clinical studies); a record that stops
matching it is removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from evidex.evidence.documents import Document, SourceRecord
from evidex.evidence.ingest import IngestReport, ParallelReaders, ProgressCallback, ingest_file
from evidex.evidence.pubmed.client import NcbiClient, PubMedUnavailable
from evidex.evidence.store import Changes, Store
from evidex.settings import PubMedSettings, PubMedSubset

FOLDERS = ("baseline", "updatefiles")
STATE_PREFIX = "pubmed:file:"
_FILE_LINK = re.compile(r'href="(?:[^"]*/)?(pubmed(\d\d)n(\d{4})\.xml\.gz)"')
_MD5 = re.compile(r"\b([0-9a-fA-F]{32})\b")
_DOWNLOAD_CHUNK = 1 << 20


class SyncError(RuntimeError):
    """The sync cannot go on (a file's MD5 does not match, NLM cannot be reached); what is applied stays."""


@dataclass(frozen=True, order=True)
class RemoteFile:
    """One of NLM's files, ordered as they must be applied: by year, then number."""

    year: int
    number: int
    name: str
    folder: str

    def url(self, base: str) -> str:
        return f"{base.rstrip('/')}/{self.folder}/{self.name}"

    @property
    def state_key(self) -> str:
        return STATE_PREFIX + self.name


@dataclass
class FileResult:
    name: str
    report: IngestReport
    resumed_at: int  # records applied by an earlier run
    seconds: float


@dataclass
class SyncReport:
    """What one ``evidex pubmed sync`` did."""

    listed: int = 0  # files NLM offers
    already: int = 0  # of which were applied before this run
    applied: list[FileResult] = field(default_factory=list)
    left: int = 0  # files not applied in this run (``limit``)

    @property
    def total(self) -> IngestReport:
        total = IngestReport()
        for result in self.applied:
            total.add_counts(result.report.counts())
            total.problems += result.report.problems
        return total


def subset_filter(subset: PubMedSubset) -> Callable[[Document], bool] | None:
    """The test a record must pass to be kept, or ``None`` when the subset keeps everything."""
    if subset.keeps_everything:
        return None
    types = {t.lower() for t in subset.publication_types}
    mesh = {m.lower() for m in subset.mesh}
    kinds = {k.lower() for k in subset.kinds}

    def keep(document: Document) -> bool:
        if types and not types & {t.lower() for t in document.publication_types}:
            return False
        if mesh and not mesh & {m.lower() for m in document.mesh}:
            return False
        if kinds and document.kind.value not in kinds:
            return False
        if subset.require_abstract and all(p.label == "TITLE" for p in document.passages):
            return False
        return True

    return keep


def list_files(client: NcbiClient, base_url: str) -> list[RemoteFile]:
    """NLM's baseline and update files, in the order they apply (from the folders' HTML listings)."""
    files: dict[str, RemoteFile] = {}
    for folder in FOLDERS:
        url = f"{base_url.rstrip('/')}/{folder}/"
        listing = client.request("GET", url, paced=False).text
        for match in _FILE_LINK.finditer(listing):
            name, year, number = match.group(1), int(match.group(2)), int(match.group(3))
            files.setdefault(name, RemoteFile(year, number, name, folder))
    return sorted(files.values())


class Sync:
    """Apply NLM's files not yet applied, in order, into ``store``."""

    def __init__(
        self,
        store: Store,
        client: NcbiClient,
        settings: PubMedSettings,
        work_dir: Path,
        batch_size: int = 2000,
        log: Callable[[str], None] = lambda message: None,
        readers: ParallelReaders | None = None,
    ) -> None:
        """``readers`` (:class:`evidex.evidence.distributed.RayFiles`) read and classify files in
        parallel: files are then downloaded ahead of the one being applied, as many as it reads at once."""
        self.store = store
        self.readers = readers
        self.client = client
        self.settings = settings
        self.work_dir = work_dir
        self.batch_size = batch_size
        self.log = log
        self.keep = subset_filter(settings.subset)

    def pending(self) -> tuple[list[RemoteFile], int]:
        """(files still to apply, in order; how many NLM lists)."""
        files = list_files(self.client, self.settings.baseline_url)
        applied = self.store.meta_items(STATE_PREFIX)
        todo = [f for f in files if not json.loads(applied.get(f.state_key, "{}")).get("complete")]
        return todo, len(files)

    def run(self, limit: int | None = None, progress: ProgressCallback | None = None) -> SyncReport:
        """Apply up to ``limit`` pending files (all by default); raises :class:`SyncError` when it must stop."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        with self._exclusive():
            try:
                todo, listed = self.pending()
            except PubMedUnavailable as exc:
                raise SyncError(f"cannot list NLM's files: {exc}") from None
            report = SyncReport(listed=listed, already=listed - len(todo))
            chosen = todo if limit is None else todo[:limit]
            report.left = len(todo) - len(chosen)
            if self.readers is None:
                for remote in chosen:
                    report.applied.append(self._apply(remote, *self._fetch(remote), progress))
                return report
            fetched: deque[tuple[RemoteFile, str, Path]] = deque()
            waiting = deque(chosen)
            while waiting or fetched:
                while waiting and len(fetched) < self.readers.ahead:
                    remote = waiting.popleft()
                    fetched.append((remote, *self._fetch(remote)))
                    self.readers.submit([fetched[-1][2]])
                remote, md5, path = fetched.popleft()
                report.applied.append(self._apply(remote, md5, path, progress, self.readers.records(path)))
            return report

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One sync at a time on a corpus (from any machine, on PostgreSQL)."""
        try:
            with self.store.exclusive("pubmed-sync"):
                yield
        except BlockingIOError:
            raise SyncError("another `evidex pubmed sync` is running on this corpus") from None

    def _fetch(self, remote: RemoteFile) -> tuple[str, Path]:
        """(NLM's MD5 of the file, the file downloaded and checked against it)."""
        md5 = self._expected_md5(remote)
        return md5, self._download(remote, md5)

    def _apply(
        self, remote: RemoteFile, md5: str, path: Path, progress: ProgressCallback | None,
        records: Iterable[SourceRecord] | None = None,
    ) -> FileResult:
        started = time.perf_counter()
        state = json.loads(self.store.get_meta(remote.state_key) or "{}")
        resume = state.get("md5") == md5  # a file NLM replaced since is applied from its start
        skip = state.get("consumed", 0) if resume else 0
        report = IngestReport(files=[remote.name])
        if skip:
            report.add_counts(state.get("counts", {}))
            self.log(f"{remote.name}: resuming after record {skip:,}")

        def checkpoint(consumed: int, totals: dict[str, int], complete: bool = False) -> dict[str, str]:
            entry = {"md5": md5, "consumed": consumed, "counts": totals, "complete": complete}
            return {remote.state_key: json.dumps(entry)}

        ingest_file(
            self.store, path, "pubmed-xml", report, self.batch_size, progress,
            keep=self.keep, skip=skip, checkpoint=checkpoint, records=records,
        )
        saved = json.loads(self.store.get_meta(remote.state_key) or "{}")
        final = checkpoint(saved.get("consumed", skip), report.counts(), complete=True)
        self.store.apply(Changes(), lambda counts: final)
        if not self.settings.keep_files:
            path.unlink(missing_ok=True)
        seconds = time.perf_counter() - started
        self.log(f"{remote.name}: {report.summary()} ({seconds:.1f} s)")
        return FileResult(remote.name, report, skip, seconds)

    def _expected_md5(self, remote: RemoteFile) -> str:
        url = remote.url(self.settings.baseline_url) + ".md5"
        try:
            text = self.client.request("GET", url, paced=False).text
        except PubMedUnavailable as exc:
            raise SyncError(f"{remote.name}: cannot get its MD5 ({exc})") from None
        match = _MD5.search(text.split("=")[-1])
        if match is None:
            raise SyncError(f"{remote.name}.md5 holds no MD5: {text[:100]!r}")
        return match.group(1).lower()

    def _download(self, remote: RemoteFile, md5: str) -> Path:
        """The file, downloaded (or kept from an interrupted run) and matching ``md5``."""
        path = self.work_dir / remote.name
        if path.exists() and _md5_of(path) == md5:
            return path
        partial = path.with_name(path.name + ".part")
        for attempt in (1, 2):
            digest = hashlib.md5()
            try:
                with partial.open("wb") as out:
                    response = self.client.request("GET", remote.url(self.settings.baseline_url), paced=False, stream=True)
                    try:
                        for chunk in response.iter_bytes(_DOWNLOAD_CHUNK):
                            out.write(chunk)
                            digest.update(chunk)
                    finally:
                        response.close()
            except PubMedUnavailable as exc:
                raise SyncError(f"{remote.name}: download failed ({exc})") from None
            except OSError as exc:  # a broken connection mid-body, a full disk
                raise SyncError(f"{remote.name}: download failed ({type(exc).__name__}: {exc})") from None
            if digest.hexdigest() == md5:
                partial.replace(path)
                return path
            self.log(f"{remote.name}: MD5 {digest.hexdigest()} does not match NLM's {md5}" + ("; downloading again" if attempt == 1 else ""))
        partial.unlink(missing_ok=True)
        raise SyncError(f"{remote.name}: the download does not match its MD5 twice; nothing of it was applied")


def _md5_of(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as handle:
        while chunk := handle.read(_DOWNLOAD_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
