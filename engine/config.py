"""Where reviewflow finds its database and its library when nobody says otherwise."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: Where an installed reviewflow keeps the shipped library (pyproject.toml maps the
#: top-level workflows/ and forms/ there when building the wheel).
INSTALLED_LIBRARY = Path(__file__).resolve().parent / "library"
DEFAULT_DATABASE_URL = "sqlite:///reviewflow.sqlite3"


def database_url(explicit: str | None = None) -> str:
    """``--db`` wins, then ``REVIEWFLOW_DATABASE_URL``, then a SQLite file in the cwd."""
    return explicit or os.environ.get("REVIEWFLOW_DATABASE_URL") or DEFAULT_DATABASE_URL


def library_paths(explicit: list[str] | None = None) -> list[Path]:
    """The folders holding ``workflows/`` and ``forms/``.

    ``--library`` wins, then ``REVIEWFLOW_LIBRARY`` (``os.pathsep``-separated), then the
    current directory if it has a ``workflows/`` folder, then the library shipped with
    reviewflow.
    """
    if explicit:
        return [Path(p) for p in explicit]
    env = os.environ.get("REVIEWFLOW_LIBRARY")
    if env:
        return [Path(p) for p in env.split(os.pathsep) if p]
    cwd = Path.cwd()
    if (cwd / "workflows").is_dir():
        return [cwd / "workflows", cwd / "forms"]
    return shipped_library()


def shipped_library() -> list[Path]:
    """The library that comes with reviewflow: the source tree's, else the installed one."""
    root = PROJECT_ROOT if (PROJECT_ROOT / "workflows").is_dir() else INSTALLED_LIBRARY
    return [root / "workflows", root / "forms"]
