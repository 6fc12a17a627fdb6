"""Count how the built-in corpus defines each ambiguous abbreviation, for the vocabulary to
read it the way the evidence does.

The abbreviation list gives its meanings in no useful order: "DM" is first "deep masseter",
"AF" "ancillary feature", "PE" "physical examination".  The authors of the corpus's abstracts,
guidelines and health pages say what they mean where they first use one, "diabetes mellitus (DM)",
so counting those definitions ranks the meanings by use.  Writes
``src/evidex/data/vocab/abbreviation_definitions.tsv`` (abbreviation, meaning, definitions), which
``scripts/build_vocab_index.py`` then reads; rerun both after the built-in corpus changes.

    .venv/bin/python scripts/count_abbreviation_definitions.py
"""

from __future__ import annotations

import csv
import logging
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from evidex.corpus import Corpus
from evidex.evidence.builtin import data_path
from evidex.search.vocab import DEFINITIONS_FILE, read_abbreviations
from evidex.settings import Settings

OUTPUT = Path(__file__).resolve().parents[1] / "src" / "evidex" / "data" / "vocab" / DEFINITIONS_FILE
_IN_BRACKETS = re.compile(r"\(([A-Za-z][A-Za-z0-9-]{1,9}?)s?\)")  # "(DM)", "(MIs)"
_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    """Lower-case words with a plural -s dropped, so "embolisms" defines what "embolism" does."""
    return [w[:-1] if len(w) > 3 and w.endswith("s") else w for w in _WORD.findall(text.lower())]


def count_definitions(texts, meanings: dict[str, list[str]]) -> Counter[tuple[str, str]]:
    """(abbreviation, meaning) -> how often a text writes the meaning right before the abbreviation
    in brackets, for abbreviations of more than one meaning."""
    ambiguous = {abbreviation: [(m, _words(m)) for m in ms] for abbreviation, ms in meanings.items() if len(ms) > 1}
    counts: Counter[tuple[str, str]] = Counter()
    for text in texts:
        for found in _IN_BRACKETS.finditer(text):
            options = ambiguous.get(found.group(1))
            if not options:
                continue
            before = _words(text[max(0, found.start() - 120) : found.start()])
            for meaning, words in options:
                if words and before[-len(words) :] == words:
                    counts[found.group(1), meaning] += 1
    return counts


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, Corpus.open(Settings(data_dir=Path(tmp))) as corpus:
        corpus.ensure_builtin()
        texts = (text for document in corpus.store.iter_documents()
                 for text in (document.title, *(p.text for p in document.passages)))
        counts = count_definitions(texts, read_abbreviations(data_path("vocab/medical_abbreviations.csv").read_bytes()))
    with OUTPUT.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, delimiter="\t", lineterminator="\n")
        writer.writerow(["abbreviation", "meaning", "definitions"])
        for (abbreviation, meaning), count in sorted(counts.items()):
            writer.writerow([abbreviation, meaning, count])
    print(f"wrote {OUTPUT}: {len(counts)} meanings of {len({a for a, _ in counts})} abbreviations"
          f" in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
