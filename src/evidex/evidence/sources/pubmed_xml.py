"""Read PubMed/MEDLINE XML: efetch output and the annual baseline/update files.

The byte stream is cut into records at their tags (``<PubmedArticle>`` …
``</PubmedArticle>``) and each record is parsed on its own, so a damaged
record (a mismatched tag, bytes that are not UTF-8, a missing end tag) costs
that record alone: every well-formed record before and after it is read,
whatever the XML parser buffers.  Memory stays flat: the stream is read in
1 MiB chunks and only the record being cut is held.  A file that stops being
readable (truncated gzip, truncated XML) ends with one :class:`RecordError`
after the records before it.
"""

from __future__ import annotations

import errno
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from evidex.evidence.documents import (
    Deletion,
    Document,
    RecordError,
    Retraction,
    SourceRecord,
)
from evidex.evidence.sources.jsonl import open_binary
from evidex.evidence.sources.pubmed_jsonl import PUBMED_LICENCE, pubmed_url

_RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle", "DeleteCitation")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")

# Input comes from the network and bulk downloads: never expand entities, load
# the DTD the DOCTYPE points at, or lift libxml2's size limits.
_SAFE_PARSER = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
}


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where each field sits relative to the record element: journal articles
    and NCBI Bookshelf documents carry the same facts at different paths.
    Compiled XPath, because it runs in C and is ~3x faster than ``find``."""

    pmid: etree.XPath
    titles: tuple[etree.XPath, ...]
    journal: etree.XPath
    dates: tuple[etree.XPath, ...]
    authors: etree.XPath
    abstract: etree.XPath
    publication_types: etree.XPath
    mesh: etree.XPath
    keywords: etree.XPath
    dois: tuple[etree.XPath, ...]
    retraction_in: etree.XPath
    retraction_of: etree.XPath  # in a retraction notice: the PMIDs of the records it retracts


def _X(path: str) -> etree.XPath:
    """``path`` compiled without lxml's EXSLT regular-expression functions, which no path uses and
    which every evaluation registered anew (~5 of the ~23 µs the paths took in a 3.8 kB PubMed
    record), and without "smart" strings, which no path returns."""
    return etree.XPath(path, regexp=False, smart_strings=False)


_ARTICLE = _Layout(
    pmid=_X("MedlineCitation/PMID"),
    titles=(_X("MedlineCitation/Article/ArticleTitle"), _X("MedlineCitation/Article/VernacularTitle")),
    journal=_X("MedlineCitation/Article/Journal/Title"),
    dates=(_X("MedlineCitation/Article/Journal/JournalIssue/PubDate"), _X("MedlineCitation/Article/ArticleDate")),
    authors=_X("MedlineCitation/Article/AuthorList/Author[not(@ValidYN='N')]"),
    abstract=_X("MedlineCitation/Article/Abstract/AbstractText"),
    publication_types=_X("MedlineCitation/Article/PublicationTypeList/PublicationType"),
    mesh=_X("MedlineCitation/MeshHeadingList/MeshHeading/DescriptorName"),
    keywords=_X("MedlineCitation/KeywordList/Keyword"),
    dois=(
        _X("MedlineCitation/Article/ELocationID[@EIdType='doi']"),
        _X("PubmedData/ArticleIdList/ArticleId[@IdType='doi']"),
    ),
    retraction_in=_X(
        "boolean(MedlineCitation/CommentsCorrectionsList/CommentsCorrections[@RefType='RetractionIn'])"
    ),
    retraction_of=_X("MedlineCitation/CommentsCorrectionsList/CommentsCorrections[@RefType='RetractionOf']/PMID"),
)

_BOOK = _Layout(
    pmid=_X("BookDocument/PMID"),
    titles=(_X("BookDocument/ArticleTitle"), _X("BookDocument/Book/BookTitle")),
    journal=_X("BookDocument/Book/BookTitle"),
    dates=(_X("BookDocument/Book/PubDate"),),
    authors=_X("BookDocument/AuthorList/Author[not(@ValidYN='N')]"),
    abstract=_X("BookDocument/Abstract/AbstractText"),
    publication_types=_X("BookDocument/PublicationType"),
    mesh=_X("BookDocument/MeshHeadingList/MeshHeading/DescriptorName"),
    keywords=_X("BookDocument/KeywordList/Keyword"),
    dois=(
        _X("BookDocument/ELocationID[@EIdType='doi']"),
        _X("BookDocument/ArticleIdList/ArticleId[@IdType='doi']"),
    ),
    retraction_in=_X(
        "boolean(BookDocument/CommentsCorrectionsList/CommentsCorrections[@RefType='RetractionIn'])"
    ),
    retraction_of=_X("BookDocument/CommentsCorrectionsList/CommentsCorrections[@RefType='RetractionOf']/PMID"),
)

_LAYOUTS = {"PubmedArticle": _ARTICLE, "PubmedBookArticle": _BOOK}


class _BadRecord(ValueError):
    """A record that parsed as XML but lacks what a citation needs."""


def read_pubmed_xml(path: Path) -> Iterator[SourceRecord]:
    """Stream the records of one PubMed XML file (``.xml`` or gzipped).

    Not a generator itself so that a missing file fails at the call, before a
    batch job has started, rather than at the first ``next()``.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(errno.ENOENT, "PubMed XML file not found", str(path))
    return _read(path)


def _read(path: Path) -> Iterator[SourceRecord]:
    """Yield every record of the file, then one error if the file ends badly."""
    file = str(path)
    count = 0  # articles met so far (deletions are not counted), for locations
    parser = etree.XMLParser(**_SAFE_PARSER)
    try:
        with open_binary(path) as stream:  # gzip is sniffed by magic bytes
            cutter = _RecordCutter(stream)
            for piece in cutter:
                if isinstance(piece, RecordError):
                    yield piece.model_copy(update={"file": file})
                    continue
                element = _parse(piece, cutter.prolog, parser)
                if piece.tag == "DeleteCitation":
                    if isinstance(element, str):
                        yield RecordError(file=file, location=f"line {piece.line}", message=element)
                    else:
                        yield from _deletions(element)
                    continue
                count += 1
                if isinstance(element, str):
                    where = f"record {count} (line {piece.line})"
                    yield RecordError(file=file, location=where, message=element)
                else:
                    record = _record(element, file, count, piece.line - cutter.prolog_lines - 1)
                    yield record
                    if isinstance(record, Document) and (retracts := _retracted_by(element)):
                        yield Retraction(notice=record.id, retracted=retracts)
    except _FileError as exc:
        yield RecordError(file=file, location=exc.location, message=str(exc))
    except (EOFError, OSError, zlib.error) as exc:
        message = f"unreadable (truncated or corrupt gzip?): {type(exc).__name__}: {exc}"
        yield RecordError(file=file, location=f"after record {count}", message=message)


_CHUNK = 1 << 20
# Far above any real record (the largest PubMed records are a few MB).
_MAX_RECORD = 64 << 20
# The XML declaration and DOCTYPE before <PubmedArticleSet>: a few hundred bytes in
# NLM's files, re-read with every record so that each parses as the file would.
_MAX_PROLOG = 64 << 10
# A record's start or end tag; <PubmedArticleSet> (the file's root) is not one.
_TAG = re.compile(
    rb"<(?:(PubmedArticle|PubmedBookArticle|DeleteCitation)(?=[\s/>])"
    rb"|/(PubmedArticle|PubmedBookArticle|DeleteCitation)\s*>)"
)
_ROOT = re.compile(rb"<PubmedArticleSet(?=[\s/>])")
_ROOT_END = re.compile(rb"</PubmedArticleSet\s*>\s*\Z")
# What the cutter keeps of the bytes between records: enough to hold a partial
# tag at a chunk's end and the root's end tag with trailing whitespace.
_GAP_TAIL = 256
_POSITION = re.compile(r",? line \d+, column \d+$")


class _FileError(ValueError):
    """The file as a whole cannot be read as PubMed XML."""

    def __init__(self, message: str, location: str) -> None:
        super().__init__(message)
        self.location = location


@dataclass(frozen=True, slots=True)
class _Piece:
    """The bytes of one record as cut from the stream."""

    tag: str
    data: bytes
    line: int  # the file's line on which the record starts


class _RecordCutter:
    """Cut a PubMed XML byte stream into records at their start and end tags.

    A record cut short (by the next record's start tag, an end tag of another
    kind, or the end of the file) is still handed over, so that the XML parser
    says what is wrong with it; an end tag with no start is reported here.
    """

    def __init__(self, stream) -> None:
        self._stream = stream
        self.prolog = b""
        self.prolog_lines = 0
        self._root = False  # <PubmedArticleSet> was found
        self._buffer = b""
        self._line = 1  # line number of self._buffer[self._counted]
        self._counted = 0
        self._records = 0
        self._failure: BaseException | None = None  # a read error held back until its chunk is cut

    def _read_chunk(self) -> bytes:
        """About ``_CHUNK`` bytes, or fewer at the end of the file.  A gzip
        stream cut short raises only after the bytes before the cut are
        returned, so the records they hold are still read."""
        if self._failure is not None:
            raise self._failure
        parts: list[bytes] = []
        size = 0
        read = getattr(self._stream, "read1", self._stream.read)
        try:
            while size < _CHUNK:
                part = read(_CHUNK - size)
                if not part:
                    break
                parts.append(part)
                size += len(part)
        except (EOFError, OSError, zlib.error) as exc:
            if not parts:
                raise
            self._failure = exc
        return b"".join(parts)

    def _line_at(self, offset: int) -> int:
        """The file's line number at buffer ``offset`` (offsets only move forward)."""
        self._line += self._buffer.count(b"\n", self._counted, offset)
        self._counted = offset
        return self._line

    def _drop(self, upto: int) -> None:
        """Forget the buffer before ``upto``, keeping line numbers right."""
        self._line_at(upto)
        self._buffer = self._buffer[upto:]
        self._counted = 0

    def _read_prolog(self, first_tag: int | None) -> int:
        """Find <PubmedArticleSet> before the first record; return where to scan from."""
        limit = len(self._buffer) if first_tag is None else first_tag
        root = _ROOT.search(self._buffer, 0, limit)
        if root is None:
            return 0
        if root.start() > _MAX_PROLOG:
            raise _FileError(f"over {_MAX_PROLOG >> 10} kB before <PubmedArticleSet>", "line 1")
        self._root = True
        self.prolog = self._buffer[: root.start()]
        self.prolog_lines = self.prolog.count(b"\n")
        try:
            etree.fromstring(self.prolog + b"<PubmedArticleSet/>", etree.XMLParser(**_SAFE_PARSER))
        except (etree.LxmlError, LookupError, ValueError) as exc:
            raise _FileError(f"XML error before the first record: {_message(exc)}", "line 1") from exc
        return root.end()

    def __iter__(self) -> Iterator[_Piece | RecordError]:
        start: int | None = None  # buffer offset of the open record's start tag
        tag = ""
        oversized = False  # the open record passed _MAX_RECORD and is being skipped
        root_seen = False
        pos = 0
        eof = False
        while True:
            if not eof:
                chunk = self._read_chunk()
                eof = not chunk
                self._buffer += chunk
            if not root_seen:
                first = _TAG.search(self._buffer, pos)
                pos = max(pos, self._read_prolog(first.start() if first else None))
                root_seen = pos > 0 or first is not None
                if not root_seen and len(self._buffer) > _MAX_PROLOG:
                    raise _FileError("not PubMed XML: no <PubmedArticleSet> in its first 64 kB", "line 1")
            for match in _TAG.finditer(self._buffer, pos):
                closing = match.group(2) is not None
                name = (match.group(2) or match.group(1)).decode()
                if start is not None or oversized:
                    if closing and name == tag:
                        if not oversized:
                            yield self._piece(tag, start, match.end())
                        start, oversized = None, False
                        pos = match.end()
                        continue
                    if not oversized:  # cut short by another record's tag
                        yield self._piece(tag, start, match.start())
                    start, oversized = None, False
                if closing:
                    line = self._line_at(match.start())
                    yield RecordError(
                        file="", location=f"line {line}", message=f"</{name}> without its start tag (damaged record?)"
                    )
                else:
                    start, tag = match.start(), name
                pos = match.end()
            if eof:
                break
            if start is not None and len(self._buffer) - start > _MAX_RECORD:
                line = self._line_at(start)
                yield RecordError(
                    file="", location=f"line {line}", message=f"<{tag}> record over {_MAX_RECORD >> 20} MB; skipped"
                )
                start, oversized = None, True
            keep = start if start is not None else max(pos, len(self._buffer) - _GAP_TAIL)
            if root_seen:
                self._drop(keep)
                pos -= keep
                if start is not None:
                    start = 0
        if start is not None:
            yield self._piece(tag, start, len(self._buffer))
        elif not root_seen and not self._records:
            problem = "the file is empty" if not self._buffer.strip() else "not PubMed XML: no <PubmedArticleSet>"
            raise _FileError(problem, "line 1")
        elif self._root and not _ROOT_END.search(self._buffer[-_GAP_TAIL:]):
            raise _FileError("the file ends before </PubmedArticleSet> (truncated?)", "end of file")

    def _piece(self, tag: str, start: int, end: int) -> _Piece:
        self._records += 1
        return _Piece(tag=tag, data=self._buffer[start:end], line=self._line_at(start))


def _parse(piece: _Piece, prolog: bytes, parser: etree.XMLParser) -> etree._Element | str:
    """The record's element, or what is wrong with it (its line made the file's)."""
    try:
        element = etree.fromstring(prolog + piece.data, parser)
    except (etree.LxmlError, LookupError, ValueError) as exc:
        line = getattr(exc, "lineno", None) or 0
        shift = prolog.count(b"\n")
        where = f" (line {piece.line + line - shift - 1})" if line > shift else ""
        return f"XML error{where}: {_message(exc)}"
    if element.tag != piece.tag:
        return f"expected <{piece.tag}>, found <{element.tag}>"
    return element


def _message(exc: Exception) -> str:
    """lxml's message without its position, which counts from the record, not the file."""
    return _POSITION.sub("", str(exc))


def _deletions(element: etree._Element) -> Iterator[Deletion]:
    """One deletion per PMID in a ``DeleteCitation`` block of an update file."""
    for pmid in element.iterchildren("PMID"):
        if value := _text(pmid):
            yield Deletion(id=f"pmid:{value}")


def _record(element: etree._Element, file: str, number: int, line_shift: int) -> Document | RecordError:
    """The record as a Document, or a RecordError saying which record failed
    (``line_shift`` turns the element's line into the file's)."""
    layout = _LAYOUTS[element.tag]
    try:
        return _document(element, layout)
    except ValueError as exc:  # _BadRecord, or pydantic's ValidationError
        pmid = _first_text(element, (layout.pmid,))
        where = f"PMID {pmid}" if pmid else f"line {element.sourceline + line_shift}"
        return RecordError(file=file, location=f"record {number} ({where})", message=str(exc))


def _retracted_by(element: etree._Element) -> list[str]:
    """Ids of the records a retraction notice retracts (none for other records)."""
    pmids = (_text(pmid) for pmid in _LAYOUTS[element.tag].retraction_of(element))
    return [f"pmid:{pmid}" for pmid in dict.fromkeys(pmids) if pmid.isascii() and pmid.isdigit()]


def _document(record: etree._Element, layout: _Layout) -> Document:
    """Map one record's fields onto a Document."""
    pmid = _first_text(record, (layout.pmid,))
    if not pmid:
        raise _BadRecord("record has no PMID")
    if not pmid.isascii() or not pmid.isdigit():
        raise _BadRecord(f"bad field PMID: {pmid[:40]!r} is not a number")
    title = _first_text(record, layout.titles)
    if not title:
        raise _BadRecord("record has no title")
    year, published = _date(record, layout.dates)
    publication_types = _texts(record, layout.publication_types)
    journal = _first_text(record, (layout.journal,))
    # Every value already has its field's type: strict validation checks that without trying
    # conversions, and the passages as plain dicts are validated with the rest (~2 µs less a record).
    return Document.model_validate(
        {
            "id": f"pmid:{pmid}",
            "source": "pubmed",
            "title": title,
            "journal": journal if journal != title else None,
            "year": year,
            "published": published,
            "authors": [name for author in layout.authors(record) if (name := _author(author))],
            "doi": _first_text(record, layout.dois),
            "url": pubmed_url(pmid),
            "mesh": _texts(record, layout.mesh),
            "keywords": list(dict.fromkeys(_texts(record, layout.keywords))),
            "publication_types": publication_types,
            "passages": _passages(record, layout.abstract) or [{"label": "TITLE", "text": title}],
            "licence": PUBMED_LICENCE,
            "audience": "professional",
            "retracted": "Retracted Publication" in publication_types or layout.retraction_in(record),
        },
        strict=True,
    )


def _text(element: etree._Element) -> str:
    """Element text with inline markup (<i>, <sub>, ...) flattened and
    whitespace collapsed.  Entity references stay unexpanded (we parse with
    ``resolve_entities=False``), so no entity can pull in outside content."""
    raw = (element.text or "") if len(element) == 0 else "".join(element.itertext())
    # Most texts need no collapsing: a printable text holds no whitespace but the plain space (tabs,
    # line breaks and the other Unicode spaces are not printable), so checking it for a doubled,
    # leading or trailing space says whether it does; cheaper than splitting and joining every text.
    if raw.isprintable() and "  " not in raw and raw[:1] != " " and raw[-1:] != " ":
        return raw
    return " ".join(raw.split())


def _texts(record: etree._Element, path: etree.XPath) -> list[str]:
    """The non-empty texts of every element ``path`` selects."""
    return [text for element in path(record) if (text := _text(element))]


def _first_text(record: etree._Element, paths: tuple[etree.XPath, ...]) -> str | None:
    """The first non-empty text among ``paths``, in order of preference."""
    for path in paths:
        for element in path(record):
            if text := _text(element):
                return text
    return None


def _author(author: etree._Element) -> str:
    """An author as "LastName Initials", or a group by its CollectiveName."""
    last = initials = ""
    for child in author:  # one pass over the few children: lxml's find() costs more per call
        tag = child.tag
        if tag == "CollectiveName":
            return _text(child)
        if tag == "LastName":
            last = child.text or ""
        elif tag == "Initials":
            initials = child.text or ""
    return " ".join(f"{last} {initials}".split())


def _date(record: etree._Element, paths: tuple[etree.XPath, ...]) -> tuple[int | None, str | None]:
    """Year and display date ("2018 May 17") from the first date that has a
    year: the issue's PubDate, else the electronic ArticleDate."""
    fallback: str | None = None
    for path in paths:
        for element in path(record):
            fields = {child.tag: _text(child) for child in element}
            if (year := fields.get("Year")) and not _YEAR.fullmatch(year):
                raise _BadRecord(f"bad field Year: {year[:40]!r} is not a year")
            published = fields.get("MedlineDate") or " ".join(
                part
                for part in (
                    fields.get("Year", ""),
                    _month(fields.get("Month", "")),
                    fields.get("Season", ""),
                    fields.get("Day", "").lstrip("0"),
                )
                if part
            )
            if match := _YEAR.search(published):
                return int(match.group()), published
            fallback = fallback or published or None
    return None, fallback


def _month(month: str) -> str:
    """PubDate months come as "May" or "05"; ArticleDate months always numeric."""
    if month.isdigit() and 1 <= int(month) <= 12:
        return _MONTHS[int(month) - 1]
    return month


def _passages(record: etree._Element, path: etree.XPath) -> list[dict[str, str]]:
    """The fields of one passage per AbstractText, labelled as the publisher structured it."""
    passages = []
    for section in path(record):
        if text := _text(section):
            label = " ".join((section.get("Label") or section.get("NlmCategory") or "").split())
            passages.append({"label": label or "ABSTRACT", "text": text})
    return passages
