"""Modules talk through public names: no ``_private`` name is imported across modules."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: ``Model._meta`` is peewee's documented way to read a model's fields, not ours.
FOREIGN = {"_meta"}


def _private_uses(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    where = path.relative_to(ROOT)
    found, modules = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{where}:{node.lineno}: from {node.module} import {alias.name}")
                modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            modules.update(a.asname or a.name.split(".")[0] for a in node.names)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                and not node.attr.startswith("__") and node.attr not in FOREIGN
                and isinstance(node.value, ast.Name) and node.value.id in modules):
            found.append(f"{where}:{node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_no_private_name_is_imported_across_modules():
    files = sorted(p for top in ("engine", "web", "bench") for p in (ROOT / top).rglob("*.py"))
    assert [hit for p in files for hit in _private_uses(p)] == []
