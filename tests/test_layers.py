"""The package's folders are its layers: a module imports only from its own
layer and the layers below it, so that a reader can follow one question from
understand to render without jumping back up."""

from __future__ import annotations

import ast
from pathlib import Path

import evidex

PACKAGE = Path(evidex.__file__).parent
# Lowest first; a module may import from its own layer and any earlier one.
LAYERS = ["settings", "evidence", "search", "answer", "corpus", "service", "cli"]
PUBLIC = {"__init__", "__main__"}  # the package's face: it may re-export any layer


def layer_of(module: str) -> str | None:
    """``evidex.search.retrieve`` → ``search``; None for what no layer owns (data)."""
    parts = module.split(".")
    if parts[0] != "evidex" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in LAYERS else None


def imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return found


def test_every_module_imports_only_its_layer_and_those_below() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.stem in PUBLIC and len(relative.parts) == 1:
            continue
        own = relative.parts[0].removesuffix(".py")
        if own not in LAYERS:
            continue
        for module in imports(path):
            target = layer_of(module)
            if target is not None and LAYERS.index(target) > LAYERS.index(own):
                wrong.append(f"{relative} imports {module}")
    assert not wrong, "upward imports:\n" + "\n".join(wrong)


def test_every_module_belongs_to_a_layer() -> None:
    loose = [
        path.name for path in PACKAGE.glob("*.py")
        if path.stem not in PUBLIC and path.stem not in LAYERS
    ]
    assert not loose, f"modules outside the layers: {loose}"
