"""The answer pipeline: understand → retrieve (via :mod:`evidex.search`) →
appraise → compose → verify → render, run by :mod:`evidex.answer.pipeline`.

The answer's data types live in :mod:`evidex.answer.types`; ``evidex.answer.Answer``
is kept as the documented name of the answer schema.
"""

from evidex.answer.types import Answer

__all__ = ["Answer"]
