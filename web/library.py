"""The definition library the app runs from, loaded once at start and on HR's reload.

A library with errors is never used half-loaded: pages that launch or show definitions
say what is wrong (file:line:col) instead.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from flask import Flask, abort, current_app

from engine.errors import DefinitionError

_KEY = "reviewflow.library"


@dataclass
class LibraryState:
    """The loaded library, or the problems that kept it from loading."""

    paths: list[str]
    library: object | None = None
    problems: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def load(self) -> None:
        """(Re)load the library from ``paths``; keep the problems if it has any, and
        then the library loaded before (None when none ever loaded)."""
        from engine.definitions.library import load_library

        with self.lock:
            try:
                self.library = load_library(self.paths)
                self.problems = []
            except DefinitionError as error:
                # a typo in one file must not take the pages down: the last library that
                # loaded keeps serving (HR sees the problems in the console)
                self.problems = list(error.problems)


def init_app(app: Flask) -> None:
    """Load the library named by ``LIBRARY_PATHS``."""
    state = LibraryState([str(p) for p in app.config["LIBRARY_PATHS"]])
    state.load()
    app.extensions[_KEY] = state


def state() -> LibraryState:
    """The current app's library state."""
    return current_app.extensions[_KEY]


def current():
    """The loaded library; a 503 page names the problem when it did not load."""
    loaded = state().library
    if loaded is None:
        abort(503, description="The process library has errors; HR can see them in the console.")
    return loaded
