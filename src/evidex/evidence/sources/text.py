"""Small text helpers shared by the source readers."""

from __future__ import annotations

import re

_SPACE = re.compile(r"[ \t\r\f\v]+")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_TAG = re.compile(r"</?(?:sup|sub|i|b|em|strong)>", re.IGNORECASE)


def clean(text: str) -> str:
    """Collapse runs of spaces and drop inline HTML tags some sources carry (``I<sup>2</sup>``)."""
    text = _TAG.sub("", text.replace("\xa0", " "))
    lines = [_SPACE.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(lines).strip()


def latest_year(text: str | None) -> int | None:
    """The latest four-digit year in a free-text date ("2006 Feb (revised 2013 Sep 3)" -> 2013)."""
    if not text:
        return None
    years = [int(y) for y in _YEAR.findall(str(text))]
    return max(years) if years else None


def chunk_paragraphs(text: str, max_chars: int = 1200) -> list[str]:
    """Split long text into paragraph-aligned chunks of at most about ``max_chars``."""
    paragraphs = [
        piece
        for p in re.split(r"\n\s*\n", text)
        for piece in _split_long(p.strip(), max_chars)
        if piece
    ]
    chunks: list[str] = []
    current = ""
    for paragraph in paragraphs:
        if current and len(current) + len(paragraph) + 2 > max_chars:
            chunks.append(current)
            current = paragraph
        else:
            current = f"{current}\n\n{paragraph}" if current else paragraph
    if current:
        chunks.append(current)
    return chunks


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(])")


def _split_long(paragraph: str, max_chars: int) -> list[str]:
    """Break a paragraph longer than ``max_chars`` at sentence ends."""
    if len(paragraph) <= max_chars:
        return [paragraph]
    pieces: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(paragraph):
        if current and len(current) + len(sentence) + 1 > max_chars:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}" if current else sentence
    if current:
        pieces.append(current)
    return pieces
