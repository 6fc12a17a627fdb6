"""evidex: evidence-based clinical question answering with verified citations.

>>> import evidex
>>> with evidex.Corpus.open() as corpus:          # doctest: +SKIP
...     corpus.prepare()
...     answer = corpus.ask("Does exercise help chronic low back pain?")
"""

from evidex.answer.types import Answer
from evidex.answer.understand import Audience, QuestionError
from evidex.corpus import Corpus, DocumentNotFound
from evidex.evidence.documents import (
    Deletion,
    Document,
    EvidenceKind,
    Passage,
    RecordError,
)
from evidex.evidence.store import SearchFilters
from evidex.settings import Settings


def ask(
    question: str,
    audience: Audience = "clinician",
    filters: SearchFilters | None = None,
    settings: Settings | None = None,
) -> Answer:
    """Answer one question from the default corpus.

    Opens the corpus (building the built-in corpus on first use) and loads
    the models for this one call; to ask many questions, keep a
    :class:`Corpus` open and call :meth:`Corpus.ask`.
    """
    with Corpus.open(settings) as corpus:
        corpus.prepare()
        return corpus.ask(question, audience, filters)


__all__ = [
    "Answer", "Audience", "Corpus", "Deletion", "Document", "DocumentNotFound", "EvidenceKind",
    "Passage", "QuestionError", "RecordError", "SearchFilters", "Settings", "ask",
]
