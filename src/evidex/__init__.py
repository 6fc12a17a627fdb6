"""evidex: evidence-based clinical question answering with verified citations."""

from evidex.models import Deletion, Document, EvidenceKind, Passage, RecordError
from evidex.settings import Settings

__all__ = ["Deletion", "Document", "EvidenceKind", "Passage", "RecordError", "Settings"]
