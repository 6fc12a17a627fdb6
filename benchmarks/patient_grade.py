"""Reading grade of patient-mode answers, with clinician mode for comparison.

    .venv/bin/python benchmarks/patient_grade.py [--show]

Method: one warm process over the built-in corpus (temporary data
directory).  Each of the fixed patient questions below, written in everyday
words about topics the built-in corpus covers, is asked twice: with
``audience="patient"`` and with the default clinician audience.  The grade is
``Answer.reading_grade``: the Flesch–Kincaid grade (textstat 0.7.3) of the
answer's claim sentences, as the answer reports it.  "clinician/sent." is
the clinician answer's grade with each claim counted as its own sentence
(``Answer.reading_grade`` joins the claims with spaces, so claims without a
full stop, such as guideline table rows, run into one long sentence; patient
mode ends each claim with a full stop, so there the two measures agree).  Verification is checked
on every answer (claims refused by verification, claims left).  The target
for patient mode is grade 8 or lower.  ``--show`` prints each patient answer's
claims.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from evidex.answer.plain import reading_grade
from evidex.corpus import Corpus
from evidex.settings import Settings

QUESTIONS = [
    "Does exercise help my lower back pain?",
    "What can I do about sciatica pain that goes down my leg?",
    "Will physical therapy help a herniated disc in my back?",
    "How can I stop gout attacks from coming back?",
    "What medicine helps a gout flare?",
    "What can I do to keep my asthma under control?",
    "How often should I use my asthma inhaler?",
    "How can I lower my blood pressure without pills?",
    "Is eating less salt good for high blood pressure?",
    "How can I keep my blood sugar down with type 2 diabetes?",
    "Does losing weight help type 2 diabetes?",
    "Does talk therapy help with depression?",
    "Are antidepressants safe to take for depression?",
    "Should I get screened for colon cancer?",
    "When should I get a mammogram to check for breast cancer?",
]
TARGET = 8.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="print each patient answer's claims")
    parser.add_argument("--limit", type=int, help="only the first N questions (a quick check)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp, Corpus.open(Settings(data_dir=Path(tmp))) as corpus:
        started = time.perf_counter()
        corpus.prepare()
        print(f"corpus prepared in {time.perf_counter() - started:.1f} s")
        for question in QUESTIONS[: args.limit]:
            patient = corpus.ask(question, audience="patient")
            clinician = corpus.ask(question)
            rows.append((question, patient, clinician))
            if args.show:
                print(f"\n{question}  [patient grade {patient.reading_grade}]")
                for claim in patient.claims():
                    print(f"  - {claim.text} [{', '.join(map(str, claim.citations))}]")

    def fmt(grade: float | None) -> str:
        return "-" if grade is None else f"{grade:.1f}"

    def per_sentence(answer) -> float | None:
        return reading_grade([c.text for c in answer.claims()])

    print(f"\n{'patient':>7} {'clinician':>9} {'clinician/sent.':>15} {'claims':>6} {'refused':>7}  question")
    for question, patient, clinician in rows:
        print(f"{fmt(patient.reading_grade):>7} {fmt(clinician.reading_grade):>9} {fmt(per_sentence(clinician)):>15} "
              f"{len(patient.claims()):>6} {len(patient.provenance.claims_removed):>7}  {question}")
    patient_grades = [p.reading_grade for _, p, _ in rows if p.reading_grade is not None]
    clinician_grades = [c.reading_grade for _, _, c in rows if c.reading_grade is not None]
    print(f"\npatient mode:   median grade {statistics.median(patient_grades):.1f}, mean {statistics.mean(patient_grades):.1f}, "
          f"{sum(g <= TARGET for g in patient_grades)}/{len(patient_grades)} answers at grade ≤ {TARGET:g} "
          f"({len(rows) - len(patient_grades)} abstained)")
    print(f"clinician mode: median grade {statistics.median(clinician_grades):.1f}, mean {statistics.mean(clinician_grades):.1f}")
    sentences = [g for g in (per_sentence(c) for _, _, c in rows) if g is not None]
    print(f"clinician mode, claims as sentences: median grade {statistics.median(sentences):.1f}, "
          f"mean {statistics.mean(sentences):.1f}")
    unverified = sum(1 for _, p, _ in rows for claim in p.claims() if not claim.verified)
    refused = sum(len(p.provenance.claims_removed) for _, p, _ in rows)
    print(f"patient claims shown: {sum(len(p.claims()) for _, p, _ in rows)}, all verified: {unverified == 0}; "
          f"refused by verification: {refused}")


if __name__ == "__main__":
    main()
