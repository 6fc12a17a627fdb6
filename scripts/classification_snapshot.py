"""Record what the readers and the classifier make of every bundled document, to
prove a speed-up changed nothing.

Run:  .venv/bin/python scripts/classification_snapshot.py --write before.jsonl   (on the old code)
      .venv/bin/python scripts/classification_snapshot.py --against before.jsonl (on the new code)

Inputs: the built-in corpus, the test corpus (tests/data/corpus_mini), the
PubMed XML fixture, and the built-in PubMed abstracts written out as PubMed
XML (so the XML reader meets a thousand varied records).  For every record, one JSON line holds the record as read
(every field of the Document) and what :func:`classify` decides (kind, level,
sample size, retraction).  Because ``classify`` keeps a kind the source set
and stops at the first section that states a sample, most of the classifier
would go unexercised, so each document is also probed: its kind and design-cue
scores from the text alone, its sample size read as each kind that has one,
every passage's sample size on its own (labelled as given, as METHODS and as
RESULTS) and, for a PubMed record, its kind under each of a set of
publication types.  ``--against`` compares field by field and exits 1 on any
difference.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from lxml import etree

from evidex.evidence.builtin import builtin_files
from evidex.evidence.classify import classify, design_cues, evidence_kind, sample_size
from evidex.evidence.documents import Document, EvidenceKind
from evidex.evidence.sources import read_source

ROOT = Path(__file__).resolve().parents[1]
TEST_DATA = ROOT / "tests" / "data"
TEST_FILES = [TEST_DATA / "pubmed-29768149.xml", *sorted((TEST_DATA / "corpus_mini").glob("*.jsonl"))]
K = EvidenceKind
SIZED_KINDS = [K.RCT, K.COHORT, K.CASE_CONTROL, K.CROSS_SECTIONAL, K.CASE_SERIES, K.SYSTEMATIC_REVIEW]
PROBE_LABELS = ("METHODS", "RESULTS")
# Publication types as PubMed writes them: every decisive one, the near misses, and pairs whose order matters.
PROBE_TYPES = [
    ["Retraction of Publication"], ["Retracted Publication"], ["Practice Guideline"], ["Guideline"],
    ["Consensus Development Conference, NIH"], ["Systematic Review"], ["Meta-Analysis"], ["Network Meta-Analysis"],
    ["Randomized Controlled Trial, Veterinary"], ["Clinical Trial, Veterinary"], ["Randomized Controlled Trial"],
    ["Equivalence Trial"], ["Case Reports"], ["Editorial"], ["Comment"], ["News"], ["Biography"],
    ["Historical Article"], ["Clinical Trial"], ["Clinical Trial, Phase III"], ["Controlled Clinical Trial"],
    ["Pragmatic Clinical Trial"], ["Observational Study"], ["Review"], ["Journal Article"], ["Letter"],
    ["Journal Article", "Review", "Meta-Analysis"], ["Comment", "Randomized Controlled Trial"],
    ["Case Reports", "Review"], ["Clinical Trial", "Observational Study"], ["Review", "Observational Study"],
]


def inputs(work_dir: Path) -> list[tuple[Path, str | None]]:
    files = builtin_files() + [(path, None) for path in TEST_FILES]
    pubmed = [record for path, fmt in files if fmt == "pubmed-jsonl" for record in read_source(path, fmt)]
    return files + [(as_pubmed_xml(pubmed, work_dir / "bundled-pubmed.xml"), None)]


def as_pubmed_xml(documents: list[Document], path: Path) -> Path:
    """Write ``documents`` as a PubMed XML file, in the layout efetch returns."""
    root = etree.Element("PubmedArticleSet")
    for document in documents:
        citation = etree.SubElement(etree.SubElement(root, "PubmedArticle"), "MedlineCitation")
        etree.SubElement(citation, "PMID").text = document.id.removeprefix("pmid:")
        article = etree.SubElement(citation, "Article")
        journal = etree.SubElement(article, "Journal")
        date = etree.SubElement(etree.SubElement(journal, "JournalIssue"), "PubDate")
        etree.SubElement(date, "Year").text = str(document.year) if document.year else None
        etree.SubElement(journal, "Title").text = document.journal
        etree.SubElement(article, "ArticleTitle").text = document.title
        abstract = etree.SubElement(article, "Abstract")
        for passage in document.passages:
            etree.SubElement(abstract, "AbstractText", Label=passage.label).text = passage.text
        authors = etree.SubElement(article, "AuthorList")
        for name in document.authors:
            last, _, initials = name.rpartition(" ")
            author = etree.SubElement(authors, "Author")
            etree.SubElement(author, "LastName").text = last
            etree.SubElement(author, "Initials").text = initials
        types = etree.SubElement(article, "PublicationTypeList")
        for publication_type in document.publication_types:
            etree.SubElement(types, "PublicationType").text = publication_type
        headings = etree.SubElement(citation, "MeshHeadingList")
        for heading in document.mesh:
            etree.SubElement(etree.SubElement(headings, "MeshHeading"), "DescriptorName").text = heading
    etree.ElementTree(root).write(str(path), encoding="UTF-8", xml_declaration=True, pretty_print=True)
    return path


def snapshot(document: Document) -> dict:
    """Everything the reader and the classifier decided about one document."""
    classified = classify(document)
    passage_sizes = []
    for passage in document.passages:
        for label in dict.fromkeys((passage.label, *PROBE_LABELS)):
            alone = document.model_copy(update={"passages": [passage.model_copy(update={"label": label})]})
            passage_sizes.append([sample_size(alone, kind) for kind in (K.RCT, K.SYSTEMATIC_REVIEW)])
    return {
        "read": document.model_dump(mode="json"),
        "kind": classified.kind.value,
        "level": classified.kind.level,
        "sample_size": classified.sample_size,
        "retracted": classified.retracted,
        "text_kind": evidence_kind(document).value,
        "design_cues": design_cues(document),
        "sizes_by_kind": {kind.value: sample_size(document, kind) for kind in SIZED_KINDS},
        "passage_sizes": passage_sizes,
        "kinds_by_type": [
            evidence_kind(document.model_copy(update={"publication_types": types})).value for types in PROBE_TYPES
        ]
        if document.source == "pubmed"
        else [],
    }


def lines(work_dir: Path) -> list[str]:
    out = []
    for path, fmt in inputs(work_dir):
        for number, record in enumerate(read_source(path, fmt)):
            entry = {"file": path.name, "record": number, "type": type(record).__name__}
            if isinstance(record, Document):
                entry |= snapshot(record)
            else:
                entry["read"] = record.model_dump(mode="json")
            out.append(json.dumps(entry, sort_keys=True))
    return out


def differences(before: dict, after: dict, prefix: str = "") -> list[str]:
    """Field paths whose values differ."""
    if isinstance(before, dict) and isinstance(after, dict):
        found = []
        for key in sorted(before.keys() | after.keys()):
            found += differences(before.get(key), after.get(key), f"{prefix}.{key}" if prefix else key)
        return found
    return [] if before == after else [f"{prefix}: {before!r} -> {after!r}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", type=Path, help="write the snapshot here")
    group.add_argument("--against", type=Path, help="compare with a snapshot written earlier")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as work_dir:
        current = lines(Path(work_dir))
    print(f"{len(current):,} records snapshot in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if args.write:
        args.write.write_text("\n".join(current) + "\n", encoding="utf-8")
        return
    earlier = args.against.read_text(encoding="utf-8").splitlines()
    problems = [] if len(earlier) == len(current) else [f"{len(earlier)} records before, {len(current)} now"]
    for old, new in zip(earlier, current):
        if old != new:
            old_entry, new_entry = json.loads(old), json.loads(new)
            where = f"{new_entry['file']} record {new_entry['record']}"
            problems += [f"{where}: {difference}" for difference in differences(old_entry, new_entry)]
    for problem in problems[:50]:
        print(problem)
    print(f"{len(problems)} differences in {len(current):,} records")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
