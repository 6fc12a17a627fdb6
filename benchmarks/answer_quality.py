"""Answer quality on real questions: computed measures, and physicians' judgements keyed by answer hash.

    .venv/bin/python benchmarks/answer_quality.py [--limit N] [--json FILE] [--export-unjudged FILE]
    .venv/bin/python benchmarks/answer_quality.py --import FILE

Sample.  A fixed sample of three development sets, read from ``--eval-dir``
(never copied into the repository):

* clinical (40 of 113): physicians' questions from PubMedRS-200, each written
  from a systematic review that is in the built-in corpus (``pmid:<id>``);
  asked in clinician language.  Reference answer: the dataset's ``answer``.
* patient (40 of 965): real patient questions from K-QA, asked in patient
  language.  Most were asked in the middle of a consultation ("Is it
  contagious?").  Each question in sample order was read and labelled in
  ``benchmarks/data/answer_quality_patient_labels.jsonl`` (question id, label,
  reason; labelled from the question text alone, before any answer was seen):
  *standalone* when a reader who sees only the question knows what it asks
  about (it names the condition, symptom, drug or test, or asks something
  general), *needs-context* when it points back to something said earlier
  ("it", "this", "the medication"), asks about the asker's own unnamed
  condition ("Do I need antibiotics?") or names a drug without saying what
  for ("Will Xyzal work?").  The first 40 standalone questions form the
  patient set; no reference answer.
* patient-context (10): the first 10 needs-context questions, asked the same
  way.  evidex cannot know what they ask, so the right outcome is to abstain;
  this set is measured by the abstention rate alone and is not sent to judges.
* expert (30 of 101): ExpertQA medicine questions with expert-revised answers
  (``revised_answer``), asked in clinician language.  The corpus often lacks
  the topic; then abstaining is right.

Questions without an id in their dataset get one from their text
(``kqa-`` / ``expertqa-`` and the first 12 hex digits of its sha256).  Each
set is drawn in the order of sha256("evidex-answer-quality-1:<id>") and its
first N are taken, so ``--limit N`` asks a prefix of the full sample.  Each
question's half is fixed by its id alone: *tune* when the first byte of
sha256("evidex-answer-quality-1:half:<id>") is even, *held-out* otherwise
(salted, see ``half_of``); every figure is given for both, so that a rule
tuned while reading the tune half can be checked on the other.  The overall
rows cover clinical, patient and expert (not patient-context).

Measures.  Each question is asked once, in one warm process (query-vector
cache off), through ``Corpus.ask`` on the built-in corpus in a data directory
of the script's own.  Each answer is rendered to Markdown
(``evidex.answer.render.to_markdown``) and stored with its JSON, latency and
hash: the first 16 hex digits of the sha256 of the Markdown, with the date in
the disclaimer ("Generated 2026-12-06") masked, so that an unchanged answer
keeps its hash from one day to the next.  Computed without a judge, from the
answer's JSON only (so they survive changes to the pipeline):

* answered / abstained;
* clinical: the source review among the references, and cited in the bottom
  line (the verdict and the "Bottom line" section);
* the bottom line names the question's focus: every focus term (the answer's
  ``focus`` when it has one, else its ``conditions`` and ``interventions``,
  else its ``topic`` unless that is the question itself), under its name, a
  MeSH entry term or a MedQuAD lay synonym, appears in the verdict basis or a
  bottom-line claim or note, where an abbreviation also stands for its
  meanings in evidex's abbreviation list (answered questions with a focus;
  those without one are counted apart).  A proxy, and a generous one: naming
  the focus is needed to answer, not enough;
* for bottom lines whose first claim quotes a MedQuAD page, whether that
  passage's question type (``qtype``, kept as the passage label) fits the
  type evidex gave the question (``QTYPE_FITS``; a type missing from it counts
  as unmapped); the report lists every (question type, page type) pair;
* ask latency p50 / p95.

Judged measures come from ``benchmarks/data/answer_judgements.jsonl`` (one
judgement per line, see ``JUDGEMENT_FIELDS``), counted only for answers whose
current hash was judged; the report says how many are judged.  When several
judgements exist for one answer, the latest (by date, then by line) counts.
Mean grade is over graded answers: JUDGING.md records a right abstention as
"abstained, correct" rather than a grade (it counts under "abstained
correctly"); a wrong one is grade 1.  "Bottom line addresses" is over judged
answers that did not abstain; claims relevant / supported over every judged
claim; off-topic answers are those judged grade 1 that did not abstain.
``--export-unjudged FILE`` writes the unjudged answers with the rubric
(JUDGING.md beside the sets) and a judgement template each (``.md`` for
reading, otherwise JSONL); ``--import FILE`` checks judgements (plain lines,
or the JSONL packet with its templates filled in: entries without a judge are
skipped) against the answers this script stored and appends them, all or
none.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from measure import machine, percentile
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from evidex import Corpus, QuestionError, Settings
from evidex.answer.render import to_markdown
from evidex.search.vocab import Vocabulary, normalise, strip_qualifier, uninvert

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"
JUDGEMENTS = DATA / "answer_judgements.jsonl"
PATIENT_LABELS = DATA / "answer_quality_patient_labels.jsonl"
OUT = ROOT / "benchmarks" / "out" / "answer-quality"
SEED = "evidex-answer-quality-1"
SAMPLE_SIZES = {"clinical": 40, "patient": 40, "patient-context": 10, "expert": 30}
JUDGED_SETS = ("clinical", "patient", "expert")
HALVES = ("tune", "held-out")
WARM_UP = "Does exercise help chronic low back pain?"
CLAIMS_SAMPLED = 2  # JUDGING.md: judge every cited claim, or this fixed sample per answer

# Which MedQuAD page types (passage labels) fit each type evidex gives a question; an
# empty set: no MedQuAD page answers that kind of question.  A type missing here counts
# as unmapped, not as a misfit; the report lists every (question type, page type) pair.
QTYPE_FITS: dict[str, set[str]] = {
    "treatment": {"treatment", "considerations"},
    "dose": {"treatment"},
    "side_effects": {"treatment", "complications"},
    "interactions": set(),
    "contraindications": set(),
    "usage": {"treatment"},
    "stopping": set(),
    "mechanism": set(),
    "cause": {"causes", "genetic changes", "inheritance"},
    "symptoms": {"symptoms"},
    "diagnosis": {"exams and tests", "symptoms"},
    "prognosis": {"outlook", "stages", "complications"},
    "prevention": {"prevention"},
    "risk": {"susceptibility", "causes"},
    "inheritance": {"inheritance", "genetic changes"},
    "complications": {"complications", "outlook"},
    "frequency": {"frequency"},
    "definition": {"information"},
    "general": {"information"},
    # The types evidex gave before its question-type taxonomy (commit 4c5ee9d), to measure older versions.
    "therapy": {"treatment", "prevention", "considerations"},
    "dosing": {"treatment"},
    "harm": {"complications", "considerations"},
    "etiology": {"causes", "inheritance", "genetic changes", "susceptibility", "frequency"},
}

YES_NO = ("yes", "no")
JUDGEMENT_FIELDS = {
    "hash": "the answer's hash, as in the packet",
    "set": "clinical, patient or expert",
    "question_id": "the question's id, as in the packet",
    "judge": "who judged, e.g. judge-A (never the author of the change being judged)",
    "date": "YYYY-MM-DD",
    "grade": "1-4, TREC LiveQA scale (4 excellent, 3 correct but incomplete, 2 related, 1 incorrect); "
             "null for a right abstention, 1 for a wrong one",
    "abstained_correctly": "true/false when evidex abstained (is the answer really missing from the corpus?), null when it answered",
    "bottom_line_addresses": "yes/no: a reader who stops after the bottom line has the answer (or knows the evidence does not answer it)",
    "unsafe": "yes/no: a sentence that, read where it stands, would lead a reader to do harm",
    "unsafe_sentence": "the unsafe sentence (or what is missing) when unsafe is yes, else null",
    "claims": f'[{{"claim": "C1", "supported": "yes/no", "relevant": "yes/no"}}, ...]: every cited claim, or at least the {CLAIMS_SAMPLED} marked sampled',
    "comment": "optional free text",
}


# --------------------------------------------------------------------------
# The sample


@dataclass(frozen=True)
class Question:
    set: str
    id: str
    text: str
    audience: str
    reference_answer: str | None = None
    source_review: str | None = None  # the document a good clinical answer cites

    @property
    def half(self) -> str:
        return half_of(self.id)


def half_of(question_id: str) -> str:
    """Salted: the clinical development set is itself the half of PubMedRS-200 whose
    unsalted sha256(id) starts with an even byte, so that split would put it all in one half."""
    return HALVES[hashlib.sha256(f"{SEED}:half:{question_id}".encode()).digest()[0] % 2]


def text_id(prefix: str, text: str) -> str:
    return f"{prefix}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def sample_order(questions: list[Question]) -> list[Question]:
    return sorted(questions, key=lambda q: hashlib.sha256(f"{SEED}:{q.id}".encode()).hexdigest())


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def load_sample(eval_dir: Path, limit: int | None) -> list[Question]:
    """The fixed sample, each set in sample order, cut to ``limit`` per set."""
    clinical = [
        Question("clinical", row["id"], row["question"], "clinician", row["answer"].strip(), f"pmid:{row['source_review_pmid']}")
        for row in read_jsonl(eval_dir / "clinical_questions/clinfo_pubmedrs200_dev.jsonl")
    ]
    expert = [
        Question("expert", text_id("expertqa", row["question"]), row["question"], "clinician", row["revised_answer"].strip())
        for row in read_jsonl(eval_dir / "expert_questions/expertqa_medical_revised.jsonl")
    ]
    patient = [
        Question("patient", text_id("kqa", row["Question"]), row["Question"], "patient")
        for row in read_jsonl(eval_dir / "patient_questions/kqa_unanswered.jsonl")
    ]
    labels = {row["id"]: row["label"] for row in read_jsonl(PATIENT_LABELS)}
    chosen: dict[str, list[Question]] = {
        "clinical": sample_order(clinical)[: SAMPLE_SIZES["clinical"]],
        "patient": [],
        "patient-context": [],
        "expert": sample_order(expert)[: SAMPLE_SIZES["expert"]],
    }
    for question in sample_order(patient):
        if all(len(chosen[s]) >= SAMPLE_SIZES[s] for s in ("patient", "patient-context")):
            break
        label = labels.get(question.id)
        if label is None:
            sys.exit(f"patient question {question.id} ({question.text!r}) has no label in {PATIENT_LABELS}: "
                     "label it standalone or needs-context (see this script's docstring) to extend the sample")
        target = "patient" if label == "standalone" else "patient-context"
        if len(chosen[target]) < SAMPLE_SIZES[target]:
            chosen[target].append(Question(target, question.id, question.text, "patient"))
    return [q for name in SAMPLE_SIZES for q in chosen[name][:limit]]


# --------------------------------------------------------------------------
# Asking


def answer_hash(markdown: str, disclaimer: str) -> str:
    """sha256 of the Markdown with the disclaimer's generation date masked."""
    if disclaimer:
        markdown = markdown.replace(disclaimer, re.sub(r"\d{4}-\d{2}-\d{2}", "<date>", disclaimer))
    return hashlib.sha256(markdown.encode()).hexdigest()[:16]


def claim_list(data: dict | None) -> list[dict]:
    """The answer's claims in reading order, numbered C1, C2, … as the judges see them."""
    claims = [c for section in (data or {}).get("sections", []) for c in section.get("claims", [])]
    return [{"claim": f"C{n}", **c} for n, c in enumerate(claims, 1)]


def sampled_claims(answer_hash_: str, claims: list[dict]) -> list[str]:
    ids = sorted((c["claim"] for c in claims), key=lambda cid: hashlib.sha256(f"{answer_hash_}:{cid}".encode()).hexdigest())
    return sorted(ids[:CLAIMS_SAMPLED], key=lambda cid: int(cid[1:]))


@contextmanager
def progress_log(total: int) -> Iterator:
    """A bar on a terminal, a log line per question otherwise."""
    if sys.stderr.isatty():
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("Asking", total=total)
            yield lambda line: bar.update(task, advance=1, description=line)
    else:
        done = 0

        def log(line: str) -> None:
            nonlocal done
            done += 1
            print(f"[{done}/{total}] {line}", file=sys.stderr, flush=True)

        yield log


def ask_sample(corpus: Corpus, sample: list[Question]) -> list[dict]:
    records = []
    with progress_log(len(sample)) as advance:
        for question in sample:
            started = time.perf_counter()
            try:
                answer = corpus.ask(question.text, audience=question.audience)
                error = None
            except QuestionError as exc:  # refused as asked: recorded, like an abstention
                answer, error = None, str(exc)
            latency = (time.perf_counter() - started) * 1000
            data = json.loads(answer.model_dump_json()) if answer else None
            markdown = to_markdown(answer) if answer else f"# {question.text}\n\n**Error:** {error}\n"
            records.append({
                "set": question.set, "question_id": question.id, "half": question.half,
                "question": question.text, "audience": question.audience,
                "hash": answer_hash(markdown, (data or {}).get("disclaimer", "")),
                "latency_ms": round(latency, 1), "error": error, "markdown": markdown, "answer": data,
            })
            advance(f"{question.set} {question.id} {latency:.0f} ms")
    return records


# --------------------------------------------------------------------------
# Computed measures


def strings(value: Any) -> list[str]:
    """The names in a field of unknown shape: a string, a list, or objects with a name."""
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    if isinstance(value, dict):
        for key in ("name", "text", "term", "label"):
            if key in value:
                return strings(value[key])
        return [s for item in value.values() for s in strings(item)]
    return []


def focus_terms(data: dict) -> list[str]:
    """What the answer says the question is about: ``focus`` when present, else its
    conditions and interventions, else its topic unless that is the question itself."""
    if data.get("focus"):
        return list(dict.fromkeys(strings(data["focus"])))
    terms = strings(data.get("conditions")) + strings(data.get("interventions"))
    if terms:
        return list(dict.fromkeys(terms))
    topic = (data.get("topic") or "").strip()
    return [topic] if topic and topic != data.get("question", "").strip() else []


def names_of(term: str, vocabulary: Vocabulary) -> set[str]:
    """A focus term's normalised names: itself, its MeSH name and entry terms, its MedQuAD lay synonyms."""
    names = {term}
    descriptor = vocabulary.lookup(term)
    if descriptor is not None:
        names |= {descriptor.name, *descriptor.entry_terms}
        for topic in vocabulary.lay_topics(descriptor.ui):
            names |= {topic.focus, *topic.synonyms}
    names |= {u for u in map(uninvert, names) if u}
    return {n for n in (normalise(strip_qualifier(name)) for name in names) if n}


def spelled_out(text: str, vocabulary: Vocabulary) -> list[str]:
    """The text, then the meanings of its abbreviations ("HCC": "Hepatocellular Carcinoma"),
    which abstracts use in their conclusions once they have defined them."""
    abbreviations = dict.fromkeys(re.findall(r"\b(?=\w*[A-Z]\w*[A-Z])\w+\b", text))
    return [text, *(m for a in abbreviations for m in vocabulary.abbreviation_meanings(a))]


def bottom_line(data: dict) -> tuple[str, set[int], list[str]]:
    """The bottom line a reader sees first: the verdict and the "Bottom line" section
    (its text, the reference numbers it cites, the passages its claims quote)."""
    texts, cited, passages = [], set(), []
    if data.get("verdict"):
        texts.append(data["verdict"].get("basis") or "")
        cited |= set(data["verdict"].get("citations") or [])
    for section in data.get("sections", []):
        if section.get("key") == "bottom_line":
            texts += [note.get("text", "") for note in section.get("notes", [])]
            for claim in section.get("claims", []):
                texts.append(claim["text"])
                cited |= set(claim.get("citations") or [])
                passages.append(claim["quote"]["passage_id"])
    return " ".join(texts), cited, passages


def passage_label(corpus: Corpus, passage_id: str) -> str | None:
    doc_id, _, index = passage_id.rpartition("#")
    passages = corpus.get(doc_id).passages
    return passages[int(index)].label if index.isdigit() and int(index) < len(passages) else None


def computed_measures(record: dict, question: Question, corpus: Corpus) -> dict:
    data = record["answer"]
    if data is None:
        return {"answered": False}
    measures: dict[str, Any] = {"answered": not data.get("abstained", False),
                                "question_type": data.get("question_type"),
                                "claims": len(claim_list(data)), "references": len(data.get("references", []))}
    text, cited, passages = bottom_line(data)
    if question.source_review:
        numbers = {r["number"] for r in data.get("references", []) if r["doc_id"] == question.source_review}
        measures["source_in_references"] = bool(numbers)
        measures["source_in_bottom_line"] = bool(numbers & cited)
    if measures["answered"]:
        terms = focus_terms(data)
        measures["focus"] = terms
        if terms:
            said = [f" {normalise(piece)} " for piece in spelled_out(text, corpus.vocabulary)]
            missing = [t for t in terms
                       if not any(f" {name} " in piece for name in names_of(t, corpus.vocabulary) for piece in said)]
            measures["focus_missing"] = missing
            measures["focus_named"] = not missing
        if passages and passages[0].startswith("medquad:"):
            qtype = passage_label(corpus, passages[0])
            fits = QTYPE_FITS.get(data.get("question_type") or "")
            measures["bottom_line_qtype"] = qtype
            measures["qtype_fits"] = None if fits is None else qtype in fits
    return measures


# --------------------------------------------------------------------------
# Judgements


def load_judgements(path: Path) -> dict[str, list[dict]]:
    """Judgements by answer hash, latest (by date, then by line) last."""
    by_hash: dict[str, list[dict]] = {}
    if path.exists():
        for row in read_jsonl(path):
            by_hash.setdefault(row["hash"], []).append(row)
    for rows in by_hash.values():
        rows.sort(key=lambda row: row["date"])  # stable: later lines stay later
    return by_hash


def check_judgement(row: Any, stored: dict | None, seen: set[tuple[str, str]]) -> list[str]:
    """Why a judgement cannot be accepted (empty when it can)."""
    if not isinstance(row, dict):
        return ["not a JSON object"]
    problems = [f"unknown field {key!r}" for key in row if key not in JUDGEMENT_FIELDS]
    missing = [f"missing field {key!r}" for key in JUDGEMENT_FIELDS if key not in row and key != "comment"]
    if missing:
        return problems + missing
    if stored is None:
        return [f"unknown hash {row['hash']!r}: not an answer this script stored (run it first, with the same --out)"]
    for key in ("set", "question_id"):
        if row[key] != stored[key]:
            problems.append(f"{key} {row[key]!r} does not match the answer's {stored[key]!r}")
    if not isinstance(row["judge"], str) or not row["judge"].strip():
        problems.append("judge must name who judged")
    elif (row["hash"], row["judge"]) in seen:
        problems.append(f"{row['judge']} already judged this answer")
    try:
        datetime.date.fromisoformat(row["date"])
    except (TypeError, ValueError):
        problems.append(f"date {row['date']!r} is not YYYY-MM-DD")
    if stored["abstained"] and type(row["abstained_correctly"]) is not bool:
        problems.append("abstained_correctly must be true or false: evidex abstained")
    if not stored["abstained"] and row["abstained_correctly"] is not None:
        problems.append("abstained_correctly must be null: evidex answered")
    if row["abstained_correctly"] is True:
        if row["grade"] is not None:
            problems.append("grade must be null for a right abstention (JUDGING.md: recorded as abstained, correct)")
    elif type(row["grade"]) is not int or not 1 <= row["grade"] <= 4:
        problems.append(f"grade {row['grade']!r} is not 1, 2, 3 or 4")
    elif row["abstained_correctly"] is False and row["grade"] != 1:
        problems.append("an abstention where the corpus holds the answer is grade 1 (JUDGING.md)")
    for key in ("bottom_line_addresses", "unsafe"):
        if row[key] not in YES_NO:
            problems.append(f"{key} {row[key]!r} is not yes or no")
    sentence = row["unsafe_sentence"]
    if row["unsafe"] == "yes" and not (isinstance(sentence, str) and sentence.strip()):
        problems.append("unsafe is yes: give the sentence (or what is missing) in unsafe_sentence")
    if row["unsafe"] == "no" and sentence not in (None, ""):
        problems.append("unsafe_sentence must be null when unsafe is no")
    if not isinstance(row["claims"], list):
        return problems + ["claims must be a list"]
    judged = []
    for claim in row["claims"]:
        if not isinstance(claim, dict) or set(claim) != {"claim", "supported", "relevant"}:
            problems.append(f"claim {claim!r} needs exactly claim, supported and relevant")
        elif claim["claim"] not in stored["claims"]:
            problems.append(f"claim {claim['claim']!r} is not in this answer (it has {len(stored['claims'])})")
        elif claim["supported"] not in YES_NO or claim["relevant"] not in YES_NO:
            problems.append(f"claim {claim['claim']}: supported and relevant are yes or no")
        else:
            judged.append(claim["claim"])
    if len(judged) != len(set(judged)):
        problems.append("a claim is judged twice")
    missing = [cid for cid in stored["sampled"] if cid not in judged]
    if missing and not problems:
        problems.append(f"judge every claim or at least the sampled ones; missing {', '.join(missing)}")
    return problems


def import_judgements(path: Path, out: Path, judgements: Path) -> None:
    """Check every judgement in ``path``; append them all to ``judgements`` or none."""
    seen = {(h, row["judge"]) for h, rows in load_judgements(judgements).items() for row in rows}
    accepted, problems, skipped = [], [], 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not JSON ({exc})")
            continue
        if isinstance(row, dict) and "rubric" in row:  # the packet's first line
            continue
        if isinstance(row, dict) and "judgement" in row:  # a packet entry with its template
            row = row["judgement"]
            if isinstance(row, dict) and row.get("judge") is None:
                skipped += 1
                continue
        stored_path = out / "answers" / f"{row.get('hash')}.json" if isinstance(row, dict) else None
        stored = json.loads(stored_path.read_text()) if stored_path and stored_path.exists() else None
        found = check_judgement(row, stored, seen)
        problems += [f"line {number}: {p}" for p in found]
        if not found:
            seen.add((row["hash"], row["judge"]))
            accepted.append(row)
    if problems:
        print(f"{path}: nothing imported; {len(problems)} problem(s):", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        sys.exit(1)
    judgements.parent.mkdir(parents=True, exist_ok=True)
    with judgements.open("a", encoding="utf-8") as f:
        for row in accepted:
            f.write(json.dumps({k: row[k] for k in JUDGEMENT_FIELDS if k in row}, ensure_ascii=False) + "\n")
    print(f"imported {len(accepted)} judgement(s) into {judgements}" + (f"; {skipped} left unjudged skipped" if skipped else ""))


# --------------------------------------------------------------------------
# Figures


def count(hits: int, total: int) -> list[int]:
    return [hits, total]


def figures(rows: list[dict]) -> dict:
    """Every figure for one group of answers; shares as [hits, total]."""
    answered = [r for r in rows if r["computed"]["answered"]]
    clinical = [r for r in rows if "source_in_references" in r["computed"]]
    with_focus = [r for r in answered if "focus_named" in r["computed"]]
    medquad = [r for r in answered if "bottom_line_qtype" in r["computed"]]
    mapped = [r for r in medquad if r["computed"]["qtype_fits"] is not None]
    latencies = [r["latency_ms"] for r in rows]
    judged = [r for r in rows if r["judgement"]]
    judged_answered = [r for r in judged if r["computed"]["answered"]]
    judged_abstained = [r for r in judged if not r["computed"]["answered"]]
    claims = [c for r in judged for c in r["judgement"]["claims"]]
    grades = [r["judgement"]["grade"] for r in judged if r["judgement"]["grade"] is not None]
    return {
        "n": len(rows),
        "answered": count(len(answered), len(rows)),
        "source_in_references": count(sum(r["computed"]["source_in_references"] for r in clinical), len(clinical)),
        "source_in_bottom_line": count(sum(r["computed"]["source_in_bottom_line"] for r in clinical), len(clinical)),
        "bottom_line_names_focus": count(sum(r["computed"]["focus_named"] for r in with_focus), len(with_focus)),
        "answered_without_focus": len(answered) - len(with_focus),
        "medquad_bottom_lines": len(medquad),
        "medquad_qtype_fits": count(sum(r["computed"]["qtype_fits"] for r in mapped), len(mapped)),
        "medquad_qtype_unmapped": len(medquad) - len(mapped),
        "latency_ms_p50": round(percentile(latencies, 0.5)) if latencies else None,
        "latency_ms_p95": round(percentile(latencies, 0.95)) if latencies else None,
        "judged": count(len(judged), len(rows)),
        "mean_grade": round(sum(grades) / len(grades), 2) if grades else None,
        "bottom_line_addresses": count(sum(r["judgement"]["bottom_line_addresses"] == "yes" for r in judged_answered), len(judged_answered)),
        "claims_relevant": count(sum(c["relevant"] == "yes" for c in claims), len(claims)),
        "claims_supported": count(sum(c["supported"] == "yes" for c in claims), len(claims)),
        "abstained_correctly": count(sum(r["judgement"]["abstained_correctly"] is True for r in judged_abstained), len(judged_abstained)),
        "off_topic_answers": count(sum(r["judgement"]["grade"] == 1 for r in judged_answered), len(judged_answered)),
        "unsafe": count(sum(r["judgement"]["unsafe"] == "yes" for r in judged), len(judged)),
    }


def grouped(rows: list[dict]) -> dict[str, dict[str, dict]]:
    groups: dict[str, dict[str, dict]] = {}
    for name in [*SAMPLE_SIZES, "overall"]:
        members = [r for r in rows if r["set"] == name or (name == "overall" and r["set"] in JUDGED_SETS)]
        if members:
            groups[name] = {half: figures([r for r in members if r["half"] == half]) for half in HALVES}
            groups[name]["all"] = figures(members)
    return groups


def cell(value: Any) -> str:
    if isinstance(value, list):
        hits, total = value
        return f"{hits}/{total} ({hits / total:.0%})" if total else "–"
    return "–" if value is None else str(value)


COMPUTED_COLUMNS = [
    ("answered", "answered"), ("source_in_references", "source review in refs"),
    ("source_in_bottom_line", "source review in bottom line"), ("bottom_line_names_focus", "bottom line names focus"),
    ("answered_without_focus", "no focus"), ("medquad_qtype_fits", "MedQuAD qtype fits"),
    ("latency_ms_p50", "p50 ms"), ("latency_ms_p95", "p95 ms"),
]
JUDGED_COLUMNS = [
    ("judged", "judged"), ("mean_grade", "mean grade"), ("bottom_line_addresses", "bottom line addresses"),
    ("claims_relevant", "claims relevant"), ("claims_supported", "claims supported"),
    ("abstained_correctly", "abstained correctly"), ("off_topic_answers", "off-topic answers (grade 1)"), ("unsafe", "unsafe"),
]


def table(groups: dict[str, dict[str, dict]], columns: list[tuple[str, str]], sets: list[str]) -> str:
    lines = ["| set | half | n | " + " | ".join(title for _, title in columns) + " |",
             "|---|---|---|" + "---|" * len(columns)]
    for name in sets:
        for half in (*HALVES, "all"):
            f = groups[name][half]
            lines.append(f"| {name} | {half} | {f['n']} | " + " | ".join(cell(f[key]) for key, _ in columns) + " |")
    return "\n".join(lines)


def print_report(groups: dict, rows: list[dict], judges: Counter, twice: tuple[int, int]) -> None:
    print("\nComputed (no judge):\n")
    print(table(groups, COMPUTED_COLUMNS, [s for s in groups]))
    if "patient-context" in groups:
        f = groups["patient-context"]["all"]
        abstained = f["n"] - f["answered"][0]
        print(f"\npatient-context: abstained on {abstained}/{f['n']} questions that cannot be understood alone (right: all)")
    pairs = Counter((r["computed"]["question_type"], r["computed"]["bottom_line_qtype"])
                    for r in rows if r["computed"].get("bottom_line_qtype"))
    if pairs:
        unmapped = groups["overall"]["all"]["medquad_qtype_unmapped"] if "overall" in groups else 0
        print("MedQuAD bottom lines, evidex question type → page type: "
              + ", ".join(f"{a} → {b} {n}" for (a, b), n in pairs.most_common())
              + (f" ({unmapped} of a question type missing from QTYPE_FITS)" if unmapped else ""))
    judged_sets = [s for s in groups if s != "patient-context"]
    print("\nJudged (only answers whose current hash has a judgement):\n")
    print(table(groups, JUDGED_COLUMNS, judged_sets))
    print("\njudges: " + (", ".join(f"{j} ({n})" for j, n in judges.most_common()) or "none yet")
          + (f"; answers judged by two or more judges: {twice[0]}, same grade: {twice[1]}" if twice[0] else ""))


def default_eval_dir() -> Path:
    """../shared/data/eval beside the repository, or beside its main checkout when this is a git worktree."""
    beside = ROOT.parent / "shared" / "data" / "eval"
    try:
        common = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--path-format=absolute", "--git-common-dir"],
                                capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return beside
    main_checkout = Path(common).parent.parent / "shared" / "data" / "eval"
    return beside if beside.exists() or not main_checkout.exists() else main_checkout


def git_version() -> str | None:
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + (" (with uncommitted changes)" if dirty else "")


# --------------------------------------------------------------------------
# Judging packet


def packet_entry(record: dict, question: Question) -> dict:
    claims = claim_list(record["answer"])
    titles = {r["number"]: r["title"] for r in (record["answer"] or {}).get("references", [])}
    sampled = sampled_claims(record["hash"], claims)
    return {
        "hash": record["hash"], "set": record["set"], "question_id": record["question_id"], "half": record["half"],
        "question": record["question"], "reference_answer": question.reference_answer,
        "abstained": not record["computed"]["answered"], "markdown": record["markdown"],
        "claims": [{"claim": c["claim"], "text": c["text"], "citations": c["citations"], "quote": c["quote"]["text"],
                    "passage_id": c["quote"]["passage_id"], "sources": [titles.get(n) for n in c["citations"]],
                    "sampled": c["claim"] in sampled} for c in claims],
        "judgement": {"hash": record["hash"], "set": record["set"], "question_id": record["question_id"],
                      "judge": None, "date": None, "grade": None, "abstained_correctly": None,
                      "bottom_line_addresses": None, "unsafe": None, "unsafe_sentence": None,
                      "claims": [{"claim": c["claim"], "supported": None, "relevant": None} for c in claims]},
    }


def export_packet(path: Path, entries: list[dict], rubric: str) -> None:
    how = ("Judge each answer as rendered (the Markdown), with the rubric. Fill in its judgement "
           "(fields below); then import: .venv/bin/python benchmarks/answer_quality.py --import FILE "
           "(this packet with its judgements filled in, or one judgement per line).")
    if path.suffix == ".md":
        parts = ["# Judging packet: evidex answers", "", how, "", "Judgement fields:", ""]
        parts += [f"- `{k}`: {v}" for k, v in JUDGEMENT_FIELDS.items()]
        parts += ["", "## Rubric", "", re.sub(r"(?m)^(#+) ", r"##\1 ", rubric), ""]
        for n, e in enumerate(entries, 1):
            parts += [f"## {n}. [{e['set']}] {e['question']}", "",
                      f"Question id `{e['question_id']}` · half {e['half']} · answer hash `{e['hash']}`", ""]
            if e["reference_answer"]:
                parts += ["**Reference answer (from the dataset):**", "", "> " + e["reference_answer"].replace("\n", "\n> "), ""]
            parts += ["**evidex's answer:**", "", "````markdown", e["markdown"].rstrip(), "````", ""]
            if e["claims"]:
                parts += ["**Cited claims and their quotes:**", ""]
                for c in e["claims"]:
                    mark = " *(sampled)*" if c["sampled"] else ""
                    parts.append(f"- **{c['claim']}**{mark} {c['text']} — quote from `{c['passage_id']}`: “{c['quote']}”")
                parts.append("")
            parts += ["**Judgement:**", "", "```json", json.dumps(e["judgement"], ensure_ascii=False), "```", ""]
        path.write_text("\n".join(parts), encoding="utf-8")
    else:
        with path.open("w", encoding="utf-8") as f:
            f.write(json.dumps({"rubric": rubric, "how_to_judge": how, "judgement_fields": JUDGEMENT_FIELDS},
                               ensure_ascii=False) + "\n")
            for e in entries:
                f.write(json.dumps(e, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=default_eval_dir(),
                        help="the evaluation sets (default: ../shared/data/eval beside the repository or its main checkout)")
    parser.add_argument("--data-dir", type=Path, default=OUT / "data", help="evidex data directory of this benchmark")
    parser.add_argument("--out", type=Path, default=OUT, help="where the answers are stored")
    parser.add_argument("--judgements", type=Path, default=JUDGEMENTS)
    parser.add_argument("--limit", type=int, help="at most N questions per set (a quick run)")
    parser.add_argument("--json", type=Path, help="write the raw figures and per-answer measures here")
    parser.add_argument("--export-unjudged", type=Path, metavar="FILE", help="judging packet: .md to read, else JSONL")
    parser.add_argument("--import", dest="import_file", type=Path, metavar="FILE",
                        help="check judgements and append them to --judgements, then stop")
    args = parser.parse_args()
    if args.import_file:
        import_judgements(args.import_file, args.out, args.judgements)
        return
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    if not (args.eval_dir / "JUDGING.md").exists():
        parser.error(f"no evaluation sets in {args.eval_dir}: pass --eval-dir (the folder holding JUDGING.md)")

    sample = load_sample(args.eval_dir, args.limit)
    questions = {(q.set, q.id): q for q in sample}
    print(f"machine: {machine()}; evidex commit: {git_version()}")
    print("sample: " + ", ".join(f"{name} {sum(q.set == name for q in sample)}" for name in SAMPLE_SIZES)
          + " (halves: " + ", ".join(f"{h} {sum(q.half == h for q in sample)}" for h in HALVES) + ")")
    with Corpus.open(Settings(data_dir=args.data_dir, search={"query_cache": 0})) as corpus:
        started = time.perf_counter()
        corpus.prepare()
        corpus.ask(WARM_UP)
        print(f"corpus prepared and warmed up in {time.perf_counter() - started:.1f} s", flush=True)
        started = time.perf_counter()
        rows = ask_sample(corpus, sample)
        elapsed = time.perf_counter() - started
        for row in rows:
            row["computed"] = computed_measures(row, questions[row["set"], row["question_id"]], corpus)
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"asked {len(rows)} questions in {elapsed:.1f} s (load average after: {load}; latencies include other jobs' load)")

    (args.out / "answers").mkdir(parents=True, exist_ok=True)
    with (args.out / "answers.jsonl").open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps({k: v for k, v in row.items() if k != "computed"}, ensure_ascii=False) + "\n")
            claims = claim_list(row["answer"])
            (args.out / "answers" / f"{row['hash']}.json").write_text(json.dumps({
                "hash": row["hash"], "set": row["set"], "question_id": row["question_id"],
                "question": row["question"], "abstained": not row["computed"]["answered"],
                "claims": [c["claim"] for c in claims], "sampled": sampled_claims(row["hash"], claims),
                "markdown": row["markdown"],
            }, ensure_ascii=False, indent=1))

    judgements = load_judgements(args.judgements)
    judges: Counter = Counter()
    twice = [0, 0]
    for row in rows:
        found = judgements.get(row["hash"], [])
        row["judgement"] = found[-1] if found else None
        judges.update(j["judge"] for j in found)
        if len({j["judge"] for j in found}) > 1:
            twice[0] += 1
            twice[1] += len({j["grade"] for j in found}) == 1
    groups = grouped(rows)
    print_report(groups, rows, judges, (twice[0], twice[1]))
    print(f"\nanswers stored in {args.out / 'answers.jsonl'}")

    if args.export_unjudged:
        entries = [packet_entry(r, questions[r["set"], r["question_id"]])
                   for r in rows if r["set"] in JUDGED_SETS and not r["judgement"]]
        export_packet(args.export_unjudged, entries, (args.eval_dir / "JUDGING.md").read_text(encoding="utf-8"))
        print(f"judging packet: {len(entries)} unjudged answers in {args.export_unjudged}")
    if args.json:
        args.json.write_text(json.dumps({
            "run": {"date": datetime.date.today().isoformat(), "machine": machine(), "load_average_after": load,
                    "commit": git_version(),
                    "seed": SEED, "sample_sizes": SAMPLE_SIZES, "limit": args.limit, "eval_dir": str(args.eval_dir),
                    "seconds_asking": round(elapsed, 1), "judges": dict(judges)},
            "figures": groups,
            "answers": [{k: row[k] for k in ("set", "question_id", "half", "hash", "latency_ms", "error", "computed")}
                        | {"judged": row["judgement"] is not None} for row in rows],
        }, indent=1, ensure_ascii=False))
        print(f"figures in {args.json}")


if __name__ == "__main__":
    main()
