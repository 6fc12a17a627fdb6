"""Each bundled format read from real records (tests/data/corpus_mini)."""

from __future__ import annotations

import gzip
import json

import pytest

from evidex.evidence.documents import Document, EvidenceKind, RecordError
from evidex.evidence.sources import UnknownFormatError, read_source
from tests.conftest import MINI


def documents(path, fmt=None) -> list[Document]:
    records = list(read_source(path, fmt))
    assert not [r for r in records if isinstance(r, RecordError)]
    return records


def test_formats_are_recognised_record_by_record():
    sources = {d.source for d in documents(MINI / "guidelines.jsonl")}
    assert sources == {"ngc", "open_medicine"}
    assert {d.source for d in documents(MINI / "medquad_qa.jsonl")} == {"medquad"}


def test_pubmedqa_abstract_keeps_labelled_sections():
    docs = documents(MINI / "pubmed_abstracts.jsonl")
    assert len(docs) == 20
    doc = docs[0]
    assert doc.id.startswith("pmid:") and doc.id[5:].isdigit()
    assert doc.url == f"https://pubmed.ncbi.nlm.nih.gov/{doc.id[5:]}/"
    assert "CONCLUSIONS" in [p.label for p in doc.passages]
    assert doc.year and 1950 < doc.year < 2030


def test_review_abstract_is_split_back_into_sections():
    doc = documents(MINI / "review_abstracts.jsonl")[0]
    labels = [p.label for p in doc.passages]
    assert {"METHODS", "RESULTS"} <= set(labels), labels
    assert all("<sup>" not in p.text for p in doc.passages)


def test_guideline_recommendations_become_passages_with_strength():
    lines = [json.loads(line) for line in (MINI / "guidelines.jsonl").read_text().splitlines()]
    from evidex.evidence.sources.ngc import ngc_document
    from evidex.evidence.sources.open_medicine import open_medicine_document

    ngc = [ngc_document(r) for r in lines if "ngc_id" in r]
    om = [open_medicine_document(r) for r in lines if "guideline_id" in r]
    assert ngc and om
    assert all(d.kind is EvidenceKind.GUIDELINE and d.organisation and d.year for d in ngc + om)
    assert ngc[0].id == "ngc:" + lines[0]["ngc_id"].removeprefix("ngc-")
    graded = [p for d in ngc for p in d.passages if p.strength]
    assert graded, "USPSTF/VA recommendations carry their grade"
    assert all(p.text.strip() for d in ngc + om for p in d.passages)
    assert all(d.id.startswith("om:") and d.doi and d.url.startswith("https://doi.org/") for d in om)


def test_medquad_ids_include_the_sub_source():
    docs = documents(MINI / "medquad_qa.jsonl")
    assert all(d.id.startswith("medquad:") and "/" in d.id for d in docs)
    assert all(d.audience == "consumer" and d.kind is EvidenceKind.CONSUMER for d in docs)


def test_generic_jsonl_format(tmp_path):
    path = tmp_path / "mine.jsonl"
    path.write_text(
        json.dumps(
            {
                "id": "acme:lbp/1",
                "title": "ACME low back pain guideline",
                "kind": "guideline",
                "organisation": "ACME Spine Society",
                "year": 2024,
                "passages": [{"label": "Recommendation", "text": "Stay active.", "strength": "Strong"}],
            }
        )
        + "\n"
        + json.dumps({"id": "note-1", "title": "A note", "text": "Plain text."})
        + "\n"
        + json.dumps({"id": "x", "title": "Typo", "text": "t", "yaer": 2020})
        + "\n"
    )
    records = list(read_source(path))
    first, second, bad = records
    assert first.id == "acme:lbp/1" and first.kind is EvidenceKind.GUIDELINE
    assert first.passages[0].strength == "Strong"
    assert second.id == "user:note-1" and second.passages[0].text == "Plain text."
    assert isinstance(bad, RecordError) and bad.location == "line 3" and "yaer" in bad.message


def test_bad_lines_are_reported_and_skipped(tmp_path):
    good = (MINI / "medquad_qa.jsonl").read_bytes().splitlines()
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(good[0] + b"\n{not json\n" + b'{"id": "\xff\xfe"}\n' + good[1] + b"\n")
    records = list(read_source(path, "medquad"))
    assert [type(r).__name__ for r in records] == ["Document", "RecordError", "RecordError", "Document"]
    assert records[1].location == "line 2" and "invalid JSON" in records[1].message
    assert records[2].location == "line 3" and "UTF-8" in records[2].message


def test_truncated_gzip_keeps_what_was_read(tmp_path):
    payload = (MINI / "pubmed_abstracts.jsonl").read_bytes()
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(gzip.compress(payload)[: len(gzip.compress(payload)) // 2])
    records = list(read_source(path, "pubmed-jsonl"))
    assert isinstance(records[-1], RecordError) and "truncated" in records[-1].message
    assert 0 < sum(isinstance(r, Document) for r in records) < 20


def test_missing_and_empty_files_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.jsonl"):
        read_source(tmp_path / "nope.jsonl")
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(UnknownFormatError, match="empty"):
        read_source(tmp_path / "empty.jsonl")


def test_nci_dictionary_terms_become_definitions_that_keep_their_subject(tmp_path):
    from evidex.evidence.builtin import data_path

    docs = documents(data_path("vocab/nci_dictionary_of_cancer_terms.json"), "nci-dictionary")
    naproxen = next(d for d in docs if d.title == "naproxen")
    assert naproxen.id == "nci-dictionary:naproxen" and naproxen.kind is EvidenceKind.CONSUMER
    assert naproxen.url == "https://www.cancer.gov/publications/dictionaries/cancer-terms/def/naproxen"
    assert naproxen.passages[0].text.startswith("Naproxen: A drug used to treat mild pain")
    assert next(d for d in docs if d.title == "pH").passages[0].text.startswith("pH: ")
    assert len({d.id for d in docs}) == len(docs)  # "BCR::ABL1" and "BCR-ABL1" are one entry
    # a malformed entry is reported and the others kept; a file that is not an array is a clear error
    path = tmp_path / "terms.json"
    path.write_text(json.dumps([{"term": "gout", "plain_alternative": "A condition marked by …"}, {"term": "x"}, "junk"]))
    records = list(read_source(path, "nci-dictionary"))
    assert [type(r).__name__ for r in records] == ["Document", "RecordError", "RecordError"]
    assert records[1].location == "entry 2"
    path.write_text('{"term": "gout"}')
    assert "not a JSON array" in next(iter(read_source(path, "nci-dictionary"))).message
