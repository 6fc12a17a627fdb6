"""Line-by-line JSON reading shared by every JSONL source.

Each line is parsed on its own so one bad line (invalid JSON, bad bytes)
becomes a :class:`RecordError` naming the file and line, and the rest of the
file is still read.  ``.gz`` files are decompressed as a stream.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from evidex.evidence.documents import RecordError, SourceRecord

GZIP_MAGIC = b"\x1f\x8b"


def open_binary(path: Path):
    """Open ``path`` for reading bytes, decompressing gzip by its magic number."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    with path.open("rb") as probe:
        magic = probe.read(2)
    return gzip.open(path, "rb") if magic == GZIP_MAGIC else path.open("rb")


def iter_json_objects(path: Path) -> Iterator[tuple[int, dict[str, Any]] | RecordError]:
    """Yield ``(line_number, object)`` for each JSON object line of ``path``."""
    with open_binary(path) as handle:
        line_number = 0
        try:
            for line_number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                yield _parse_line(path, line_number, raw)
        except (EOFError, OSError, zlib.error) as exc:
            yield RecordError(
                file=str(path),
                location=f"after line {line_number}",
                message=f"file is truncated or corrupt ({exc}); stopped reading",
            )


def _parse_line(path: Path, line_number: int, raw: bytes) -> tuple[int, dict[str, Any]] | RecordError:
    try:
        obj = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return RecordError(file=str(path), location=f"line {line_number}", message=f"not UTF-8: {exc}")
    except json.JSONDecodeError as exc:
        return RecordError(file=str(path), location=f"line {line_number}", message=f"invalid JSON: {exc}")
    if not isinstance(obj, dict):
        return RecordError(file=str(path), location=f"line {line_number}", message="expected a JSON object")
    return line_number, obj


def read_jsonl(path: Path, convert: Callable[[dict[str, Any]], SourceRecord]) -> Iterator[SourceRecord]:
    """Read ``path`` and turn each object into a record with ``convert``.

    ``convert`` raises ``KeyError``/``ValueError``/``TypeError`` (or a pydantic
    ``ValidationError``) for a record it cannot use; that record is reported
    and skipped.
    """
    for item in iter_json_objects(path):
        if isinstance(item, RecordError):
            yield item
            continue
        line_number, obj = item
        try:
            yield convert(obj)
        except ValidationError as exc:
            yield RecordError(file=str(path), location=f"line {line_number}", message=_short(exc))
        except (KeyError, ValueError, TypeError) as exc:
            yield RecordError(
                file=str(path), location=f"line {line_number}", message=f"{type(exc).__name__}: {exc}"
            )


def _short(exc: ValidationError) -> str:
    parts = [f"{'.'.join(str(p) for p in e['loc']) or 'record'}: {e['msg']}" for e in exc.errors()[:5]]
    return "invalid record: " + "; ".join(parts)
