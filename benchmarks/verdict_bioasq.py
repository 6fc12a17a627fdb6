"""The yes/no verdict on BioASQ's yes/no questions, a check apart from PubMedQA.

    .venv/bin/python benchmarks/verdict_bioasq.py [--bioasq ../shared/data/eval/bioasq/bioasq_taskb_7b-10b.jsonl] [--limit N]

Method: for each of BioASQ Task B's yes/no questions (7b–10b), the experts'
snippets of each gold PMID become one source whose conclusion is those
snippets (title: the title snippet, if any), in the order BioASQ lists them,
and :func:`evidex.answer.verdict.decide` answers the question from them, as it
would from retrieved findings.  This checks how the verdict reads sentences
and turns them to the question, not retrieval.  The snippets were chosen by
experts as evidence, so they are not always their authors' conclusions: a
harder setting than PubMedQA's.

Reported per half (md5 of the question id, first byte even: "design"): the
verdict's cue patterns were corrected after reading the design half's
wrong verdicts; the held-out half's were never read.  A shown yes or no that
contradicts the expert answer counts against the shown yes/no verdicts.
Reads BioASQ from ``../shared`` (evaluation only).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections import Counter
from pathlib import Path

from bioasq import DEFAULT_BIOASQ, pmid
from measure import evaluation_set

from evidex.answer.appraise import Finding, SentenceSplitter
from evidex.answer.verdict import decide
from evidex.evidence.documents import Document, EvidenceKind, Passage


def design_half(question_id: str) -> bool:
    """The half whose wrong verdicts were read while correcting the cue patterns."""
    return hashlib.md5(question_id.encode()).digest()[0] % 2 == 0


def findings(question: dict) -> list[Finding]:
    """One source per gold PMID with snippets: its abstract snippets as the conclusion."""
    sources: dict[str, dict] = {}
    for snippet in question["snippets"]:
        source = sources.setdefault(pmid(snippet.get("pmid") or snippet["document"]), {"title": "", "text": []})
        if snippet.get("section") == "title":
            source["title"] = snippet["text"]
        elif snippet["text"] not in source["text"]:
            source["text"].append(snippet["text"])
    out = []
    for number, source in sources.items():
        if not source["text"]:
            continue
        text = " ".join(source["text"])
        document = Document(id=f"pmid:{number}", source="bioasq", title=source["title"] or text[:150], licence="BioASQ",
                            kind=EvidenceKind.OTHER, passages=[Passage(label="CONCLUSIONS", text=text)])
        out.append(Finding(text=text, start=0, end=len(text), passage_id=document.passage_id(0),
                           passage=document.passages[0], document=document, score=1.0, topical=1.0, hit_score=1.0))
    return out


def summary(rows: list[tuple[str, str | None]]) -> str:
    shown = [(gold, got) for gold, got in rows if got in ("yes", "no")]
    wrong = sum(gold != got for gold, got in shown)
    return (f"{len(rows)} questions ({sum(g == 'yes' for g, _ in rows) / max(1, len(rows)):.0%} 'yes'); yes/no shown "
            f"{len(shown)} ({len(shown) / max(1, len(rows)):.0%}), {len(shown) - wrong} right, {wrong} contradict the "
            f"expert answer ({wrong / max(1, len(shown)):.1%} of shown yes/no); uncertain shown "
            f"{sum(got == 'uncertain' for _, got in rows)}; no verdict {sum(got is None for _, got in rows)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bioasq", type=Path, help=f"BioASQ Task B questions, JSONL (default: {DEFAULT_BIOASQ})")
    parser.add_argument("--limit", type=int, help="at most N yes/no questions (a quick check)")
    args = parser.parse_args()
    path = evaluation_set(args.bioasq, DEFAULT_BIOASQ, "--bioasq")
    if path is None:
        return
    with path.open(encoding="utf-8") as lines:
        questions = [q for q in (json.loads(line) for line in lines if line.strip()) if q["type"] == "yesno"][: args.limit]
    splitter = SentenceSplitter()
    halves: dict[bool, list[tuple[str, str | None]]] = {True: [], False: []}
    for question in questions:
        gold = question["exact_answer"] if isinstance(question["exact_answer"], str) else question["exact_answer"][0]
        found = decide(question["body"], True, findings(question), splitter)
        halves[design_half(question["id"])].append((gold.strip().lower(), found[0] if found else None))
    print("BioASQ yes/no questions, experts' snippets as the deciding source:")
    print(f"  all: {summary(halves[True] + halves[False])}")
    print(f"  design half: {summary(halves[True])}")
    print(f"  held-out half: {summary(halves[False])}")
    print(f"  verdicts (gold, evidex): {dict(Counter(halves[True] + halves[False]))}")


if __name__ == "__main__":
    main()
