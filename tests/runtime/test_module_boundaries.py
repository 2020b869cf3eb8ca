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


#: The web modules that may import ``engine.store``, and why. Every other page reads
#: through ``engine.queries`` and writes through ``engine.commands``.
STORE_IMPORTS_ALLOWED = {
    "web/database.py": "the app's database setup: opens the engine's database per request "
                       "and creates the tables",
    "web/accounts.py": "the web's own table (sign-in accounts) lives in the engine's database",
    "web/preferences.py": "the web's own table (personal settings) lives in the engine's "
                          "database",
    "web/cli/runtime_cmds.py": "`db init` creates (and with --fresh drops) the tables",
    "web/demo/__init__.py": "the demo builds a database from nothing for `make run`",
}


def _imports_store(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.module == "engine.store" or (
                    node.module == "engine" and any(a.name == "store" for a in node.names)):
                return True
        elif isinstance(node, ast.Import):
            if any(a.name == "engine.store" for a in node.names):
                return True
    return False


def test_web_modules_import_the_store_only_where_an_exception_says_why():
    found = {p.relative_to(ROOT).as_posix() for p in (ROOT / "web").rglob("*.py")
             if _imports_store(p)}
    assert found - set(STORE_IMPORTS_ALLOWED) == set()
    # an exception nobody needs any more is removed, so the list stays true
    assert set(STORE_IMPORTS_ALLOWED) - found == set()


def test_the_engine_does_not_import_flask_or_the_web():
    hits = []
    for path in (ROOT / "engine").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            hits += [f"{path.relative_to(ROOT)}: {n}" for n in names
                     if n.split(".")[0] in ("flask", "flask_login", "flask_babel", "web")]
    assert hits == []
