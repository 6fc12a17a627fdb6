"""PubMed XML reader: the real NEJM record, update-file deletions, and every
kind of bad input a bulk download can hand us."""

from __future__ import annotations

import gzip
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidex.evidence.documents import Deletion, Document, RecordError
from evidex.evidence.sources.pubmed_xml import read_pubmed_xml

DATA = Path(__file__).parent / "data"
REAL = DATA / "pubmed-29768149.xml"


def article(pmid: str | None = "1", title: str = "A title.", body: str = "") -> str:
    """A minimal PubmedArticle; ``body`` goes inside Article after the title."""
    pmid_xml = f"<PMID Version='1'>{pmid}</PMID>" if pmid is not None else ""
    return (
        f"<PubmedArticle><MedlineCitation>{pmid_xml}<Article>"
        f"<Journal><Title>J Test</Title><JournalIssue><PubDate><Year>2020</Year></PubDate></JournalIssue></Journal>"
        f"<ArticleTitle>{title}</ArticleTitle>{body}</Article></MedlineCitation></PubmedArticle>"
    )


def write(path: Path, *records: str, tail: str = "</PubmedArticleSet>\n") -> Path:
    path.write_text('<?xml version="1.0"?>\n<PubmedArticleSet>\n' + "\n".join(records) + "\n" + tail)
    return path


def test_real_record_fields() -> None:
    [doc] = read_pubmed_xml(REAL)
    assert isinstance(doc, Document)
    assert doc.id == "pmid:29768149"
    assert doc.source == "pubmed"
    assert doc.title == "Inhaled Combined Budesonide-Formoterol as Needed in Mild Asthma."
    assert doc.journal == "The New England journal of medicine"
    assert (doc.year, doc.published) == (2018, "2018 May 17")
    assert doc.doi == "10.1056/NEJMoa1715274"
    assert doc.url == "https://pubmed.ncbi.nlm.nih.gov/29768149/"
    assert doc.authors[:2] == ["O'Byrne PM", "FitzGerald JM"] and len(doc.authors) == 10
    assert len(doc.publication_types) == 6 and "Randomized Controlled Trial" in doc.publication_types
    assert [p.label for p in doc.passages] == ["BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS"]
    assert "fast-acting β" in doc.passages[0].text and "200 μg of budesonide" in doc.passages[1].text
    assert all("\n" not in p.text and "  " not in p.text for p in doc.passages)
    assert "Asthma" in doc.mesh and "Budesonide" in doc.mesh
    assert doc.licence.startswith("Abstract text © the publisher")
    assert doc.audience == "professional" and not doc.retracted


def test_gzip_detected_by_magic_bytes_not_suffix(tmp_path: Path) -> None:
    gz = tmp_path / "batch.xml.gz"
    gz.write_bytes(gzip.compress(REAL.read_bytes()))
    renamed = tmp_path / "batch.xml"
    renamed.write_bytes(gz.read_bytes())
    for path in (gz, renamed):
        [doc] = read_pubmed_xml(path)
        assert isinstance(doc, Document) and doc.id == "pmid:29768149"


def test_article_set_with_deletions(tmp_path: Path) -> None:
    deletes = "<DeleteCitation><PMID Version='1'>111</PMID><PMID Version='1'>222</PMID></DeleteCitation>"
    path = write(tmp_path / "update.xml", article("1"), article("2", "Second."), deletes)
    records = list(read_pubmed_xml(path))
    assert [r.id for r in records] == ["pmid:1", "pmid:2", "pmid:111", "pmid:222"]
    assert [type(r) for r in records] == [Document, Document, Deletion, Deletion]


def test_title_markup_flattened_and_title_only_record_searchable(tmp_path: Path) -> None:
    title = "Effect of <i>Helicobacter\n   pylori</i> on CO<sub>2</sub>  levels."
    [doc] = read_pubmed_xml(write(tmp_path / "a.xml", article("5", title)))
    assert doc.title == "Effect of Helicobacter pylori on CO2 levels."
    assert [(p.label, p.text) for p in doc.passages] == [("TITLE", doc.title)]


def test_dates_authors_keywords_and_doi_fallbacks(tmp_path: Path) -> None:
    record = (
        "<PubmedArticle><MedlineCitation><PMID>7</PMID><Article>"
        "<Journal><Title>J</Title><JournalIssue><PubDate><MedlineDate>1998 Dec-1999 Jan</MedlineDate>"
        "</PubDate></JournalIssue></Journal><ArticleTitle>T.</ArticleTitle>"
        "<Abstract><AbstractText NlmCategory='OBJECTIVE'>Goal.</AbstractText><AbstractText>Plain.</AbstractText>"
        "</Abstract><AuthorList><Author><LastName>Smith</LastName><Initials>J</Initials></Author>"
        "<Author ValidYN='N'><LastName>Smiht</LastName><Initials>J</Initials></Author>"
        "<Author><CollectiveName>SYGMA 1 Investigators</CollectiveName></Author></AuthorList>"
        "</Article><KeywordList><Keyword>asthma</Keyword><Keyword>asthma</Keyword><Keyword>ICS</Keyword>"
        "</KeywordList></MedlineCitation><PubmedData><ArticleIdList><ArticleId IdType='doi'>10.1/x</ArticleId>"
        "</ArticleIdList><ReferenceList><Reference><ArticleIdList><ArticleId IdType='doi'>10.9/ref</ArticleId>"
        "</ArticleIdList></Reference></ReferenceList></PubmedData></PubmedArticle>"
    )
    [doc] = read_pubmed_xml(write(tmp_path / "a.xml", record))
    assert (doc.year, doc.published) == (1998, "1998 Dec-1999 Jan")
    assert doc.authors == ["Smith J", "SYGMA 1 Investigators"]
    assert doc.keywords == ["asthma", "ICS"]
    assert doc.doi == "10.1/x"
    assert [p.label for p in doc.passages] == ["OBJECTIVE", "ABSTRACT"]


def test_article_date_when_issue_has_no_year(tmp_path: Path) -> None:
    body = "<ArticleDate DateType='Electronic'><Year>2021</Year><Month>03</Month><Day>05</Day></ArticleDate>"
    text = article("8", body=body).replace("<PubDate><Year>2020</Year></PubDate>", "<PubDate/>")
    [doc] = read_pubmed_xml(write(tmp_path / "a.xml", text))
    assert (doc.year, doc.published) == (2021, "2021 Mar 5")


@pytest.mark.parametrize(
    "body, extra",
    [
        ("<PublicationTypeList><PublicationType>Retracted Publication</PublicationType></PublicationTypeList>", ""),
        ("", "<CommentsCorrectionsList><CommentsCorrections RefType='RetractionIn'><PMID>9</PMID>"
             "</CommentsCorrections></CommentsCorrectionsList>"),
    ],
)
def test_retracted(tmp_path: Path, body: str, extra: str) -> None:
    record = article("3", body=body).replace("</Article>", "</Article>" + extra)
    [doc] = read_pubmed_xml(write(tmp_path / "r.xml", record))
    assert doc.retracted


def test_book_article(tmp_path: Path) -> None:
    book = (
        "<PubmedBookArticle><BookDocument><PMID>20301295</PMID><ArticleIdList>"
        "<ArticleId IdType='bookaccession'>NBK1116</ArticleId></ArticleIdList>"
        "<Book><Publisher><PublisherName>University of Washington</PublisherName></Publisher>"
        "<BookTitle>GeneReviews®</BookTitle><PubDate><Year>1993</Year></PubDate></Book>"
        "<ArticleTitle>Cystic Fibrosis</ArticleTitle><Abstract><AbstractText Label='CLINICAL CHARACTERISTICS'>"
        "CF affects the lungs.</AbstractText></Abstract></BookDocument></PubmedBookArticle>"
    )
    [doc] = read_pubmed_xml(write(tmp_path / "b.xml", book))
    assert (doc.id, doc.title, doc.journal, doc.year) == ("pmid:20301295", "Cystic Fibrosis", "GeneReviews®", 1993)
    assert doc.passages[0].label == "CLINICAL CHARACTERISTICS"


def test_malformed_xml_after_good_record(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.xml", article("1"), "<PubmedArticle><MedlineCitation></Oops>")
    good, error = read_pubmed_xml(path)
    assert isinstance(good, Document) and good.id == "pmid:1"
    assert isinstance(error, RecordError)
    assert error.file == str(path) and error.location == "record 2 (line 4)"
    assert "mismatch" in error.message


def test_truncated_gzip(tmp_path: Path) -> None:
    xml = write(tmp_path / "full.xml", *(article(str(i)) for i in range(1, 2001))).read_bytes()
    packed = gzip.compress(xml)
    path = tmp_path / "cut.xml.gz"
    path.write_bytes(packed[: len(packed) // 2])
    records = list(read_pubmed_xml(path))
    *docs, error = records
    assert docs and all(isinstance(d, Document) for d in docs)
    assert isinstance(error, RecordError) and error.file == str(path)
    assert error.location == f"after record {len(docs)}" and "EOFError" in error.message


def test_record_without_pmid_or_title_is_skipped(tmp_path: Path) -> None:
    path = write(tmp_path / "a.xml", article(None), article("2", title="  "), article("3"))
    no_pmid, no_title, good = read_pubmed_xml(path)
    assert isinstance(no_pmid, RecordError) and no_pmid.location == "record 1 (line 3)"
    assert "no PMID" in no_pmid.message
    assert isinstance(no_title, RecordError) and no_title.location == "record 2 (PMID 2)"
    assert "no title" in no_title.message
    assert isinstance(good, Document) and good.id == "pmid:3"


def test_missing_file_raises_at_call(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="PubMed XML file not found"):
        read_pubmed_xml(tmp_path / "nope.xml")


@pytest.mark.parametrize(
    "raw",
    [
        b'<?xml version="1.0"?><PubmedArticleSet>' + article("1", "Caf\xe9").encode("latin-1") + b"</PubmedArticleSet>",
        b'<?xml version="1.0" encoding="no-such-encoding"?><PubmedArticleSet></PubmedArticleSet>',
        b"",
        b"not xml at all",
    ],
    ids=["latin1-bytes", "unknown-encoding", "empty", "not-xml"],
)
def test_undecodable_input_is_a_record_error(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "enc.xml"
    path.write_bytes(raw)
    [error] = read_pubmed_xml(path)
    assert isinstance(error, RecordError) and error.file == str(path)


def test_external_entities_are_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    doctype = (
        "<!DOCTYPE PubmedArticleSet ["
        f'<!ENTITY secret SYSTEM "{secret.as_uri()}">'
        '<!ENTITY passwd SYSTEM "file:///etc/passwd">'
        f'<!ENTITY % dtd SYSTEM "{secret.as_uri()}"> %dtd;]>'
    )
    body = "<Abstract><AbstractText>Leak: &secret; &passwd;</AbstractText></Abstract>"
    path = tmp_path / "xxe.xml"
    path.write_text(f"{doctype}<PubmedArticleSet>{article('1', 'Title &secret;', body)}</PubmedArticleSet>")
    [doc] = read_pubmed_xml(path)
    assert isinstance(doc, Document)
    dumped = doc.model_dump_json()
    assert "TOP-SECRET" not in dumped and "root:" not in dumped


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    lol = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    )
    path = tmp_path / "lol.xml"
    path.write_text(f"<!DOCTYPE PubmedArticleSet [{lol}]><PubmedArticleSet>{article('1', '&lol9;')}</PubmedArticleSet>")
    records = list(read_pubmed_xml(path))
    assert len(records) == 1 and len(records[0].model_dump_json()) < 10_000


# Characters XML 1.0 allows in a document.
_XML_CHARS = st.characters(exclude_categories=("Cs",), exclude_characters="\ufffe\uffff").filter(
    lambda c: c in "\t\n\r" or c >= " "
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(_XML_CHARS, max_size=200))
def test_abstract_text_round_trips(tmp_path: Path, text: str) -> None:
    body = f"<Abstract><AbstractText Label='X'>{escape(text)}</AbstractText></Abstract>"
    [doc] = read_pubmed_xml(write(tmp_path / "prop.xml", article("1", body=body)))
    expected = " ".join(text.split())
    assert isinstance(doc, Document)
    assert doc.passages[0].text == (expected or doc.title)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "junk.xml"
    path.write_bytes(b"<PubmedArticleSet>" + raw)
    assert all(isinstance(r, (Document, Deletion, RecordError)) for r in read_pubmed_xml(path))


def _ids(records) -> list[str]:
    return [r.id for r in records if isinstance(r, Document)]


DAMAGE = {
    "mismatched-tag": "<PubmedArticle><MedlineCitation><PMID>999</PMID></Oops></MedlineCitation></PubmedArticle>",
    "not-utf8": article("999", "Caf\udce9 au lait."),
    "no-end-tag": "<PubmedArticle><MedlineCitation><PMID>999</PMID>",
    "no-start-tag": "<PubmedArticl><MedlineCitation><PMID>999</PMID></MedlineCitation></PubmedArticle>",
}


@pytest.mark.parametrize("damage", DAMAGE)
@pytest.mark.parametrize("where", [0, 100, 499])
def test_a_bad_record_costs_that_record_alone(tmp_path: Path, damage: str, where: int) -> None:
    """500 records with one damaged at the start, in the middle or at the end:
    the 499 others are read, and the counts add up to the records in the file."""
    records = [article(str(i + 1), f"Title {i + 1}.") for i in range(500)]
    records[where] = DAMAGE[damage]
    path = tmp_path / "batch.xml"
    text = '<?xml version="1.0"?>\n<PubmedArticleSet>\n' + "\n".join(records) + "\n</PubmedArticleSet>\n"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    read = list(read_pubmed_xml(path))
    assert _ids(read) == [f"pmid:{i + 1}" for i in range(500) if i != where]
    [error] = [r for r in read if isinstance(r, RecordError)]
    assert error.file == str(path) and f"line {where + 3}" in error.location
    assert len(read) == 500


def test_records_across_chunk_boundaries(tmp_path: Path) -> None:
    """A file of several MB (the reader cuts 1 MiB at a time), gzipped, with
    damaged records scattered through it: every good record is read once."""
    bad = {7, 2000, 4321, 6999}
    records = [
        DAMAGE["mismatched-tag"] if i in bad else article(str(i), f"Title {i} " + "x" * (i % 400))
        for i in range(7000)
    ]
    path = tmp_path / "big.xml.gz"
    path.write_bytes(gzip.compress(("<PubmedArticleSet>\n" + "\n".join(records) + "</PubmedArticleSet>").encode()))
    read = list(read_pubmed_xml(path))
    assert _ids(read) == [f"pmid:{i}" for i in range(7000) if i not in bad]
    assert sum(isinstance(r, RecordError) for r in read) == len(bad)


def test_truncated_plain_xml_is_reported(tmp_path: Path) -> None:
    full = write(tmp_path / "full.xml", *(article(str(i), f"T {i}.") for i in range(1, 101))).read_bytes()
    cut = tmp_path / "cut.xml"
    cut.write_bytes(full[: full.index(b"<PubmedArticle>", len(full) // 2)])
    read = list(read_pubmed_xml(cut))
    assert len(_ids(read)) == 50
    assert isinstance(read[-1], RecordError) and "truncated" in read[-1].message


@pytest.mark.parametrize(
    "pmid, year, message",
    [("12a4", "2020", "bad field PMID"), ("１２", "2020", "bad field PMID"), ("12", "20x0", "bad field Year"),
     ("12", "3020", "bad field Year")],
)
def test_a_bad_field_is_reported_not_stored(tmp_path: Path, pmid: str, year: str, message: str) -> None:
    record = article(pmid).replace("<Year>2020</Year>", f"<Year>{year}</Year>")
    [error] = read_pubmed_xml(write(tmp_path / "f.xml", record))
    assert isinstance(error, RecordError) and message in error.message
