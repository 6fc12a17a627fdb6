"""Documentation that is generated from the code must be current."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_answer_schema_doc_is_current():
    spec = importlib.util.spec_from_file_location("write_answer_schema", ROOT / "scripts" / "write_answer_schema.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (ROOT / "docs" / "answer-schema.md").read_text() == module.render(), (
        "run .venv/bin/python scripts/write_answer_schema.py"
    )


def test_every_cli_command_is_in_the_readme():
    from evidex.cli import app

    readme = (ROOT / "README.md").read_text()
    names = [c.name or c.callback.__name__ for c in app.registered_commands]
    assert names and all(f"evidex {name}" in readme for name in names), names
