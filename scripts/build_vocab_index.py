"""Rebuild src/evidex/data/vocab/vocab_index.json.gz from the bundled vocabularies.

Run after changing any file in src/evidex/data/vocab/; the output is
byte-for-byte reproducible, and tests check the committed file is current.

    .venv/bin/python scripts/build_vocab_index.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from evidex.search.vocab import INDEX_FILE, build_index, encode_index

OUTPUT = Path(__file__).resolve().parents[1] / "src" / "evidex" / "data" / "vocab" / INDEX_FILE


def main() -> int:
    started = time.perf_counter()
    data = encode_index(build_index())
    OUTPUT.write_bytes(data)
    print(f"wrote {OUTPUT} ({len(data) / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
