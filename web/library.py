"""The definition library the app runs from, loaded once at start and on HR's reload.

A library with errors is never used half-loaded: pages that launch or show definitions
say what is wrong (file:line:col) instead. A Reload stores a new *generation* in the
database (``Setting`` ``library.generation``); every process compares it with the one it
loaded on each request and reads the library again when it changed, so a Reload reaches
every gunicorn worker, not just the one that served it.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field

from flask import Flask, abort, current_app, g
from flask_login import current_user

from engine import commands, queries
from engine.errors import DefinitionError
from web import database

_KEY = "reviewflow.library"


@dataclass
class LibraryState:
    """The loaded library, or the problems that kept it from loading."""

    paths: list[str]
    library: object | None = None
    problems: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    generation: str | None = None  # the stored generation this process loaded
    partial: bool = False  # serving only the sound part of a library with problems

    def load(self) -> None:
        """(Re)load the library from ``paths``; keep the problems if it has any, and
        then the library loaded before, or, when none ever loaded, its sound part."""
        from engine.definitions.library import load_library, sound_part

        with self.lock:
            try:
                self.library = load_library(self.paths)
                self.problems = []
            except DefinitionError as error:
                # a typo in one file must not take the pages down: the last library that
                # loaded keeps serving (HR sees the problems in the console); at start,
                # every file that is sound on its own serves
                self.problems = list(error.problems)
                if self.library is None or self.partial:
                    self.library = sound_part(self.paths)[0]
                    self.partial = True
                return
            self.partial = False


GENERATION = "library.generation"


def init_app(app: Flask) -> None:
    """Load the library named by ``LIBRARY_PATHS``, and follow Reloads made elsewhere."""
    state = LibraryState([str(p) for p in app.config["LIBRARY_PATHS"]])
    with app.app_context():
        database.open_connection()
        try:
            state.generation = queries.setting(GENERATION)  # before reading the files
        finally:
            database.close_connection(None)
    state.load()
    app.extensions[_KEY] = state
    app.before_request(follow_reloads)


def follow_reloads() -> None:
    """Before a request: read the library again if a Reload happened in another process
    (not for a static file, which shows nothing of it)."""
    if database.serves_static_file():
        return
    found = state()
    stored = stored_generation()
    if stored != found.generation:
        found.load()
        found.generation = stored


def known_generation(generation: str | None) -> None:
    """The stored generation as this request's reader statement read it (the signed-in
    person's, :func:`web.accounts.signed_in`), so that it is not asked for again."""
    g.library_generation = generation


def stored_generation() -> str | None:
    """The library generation stored now: read with the signed-in reader when there is one
    (every signed-in page reads them, one round trip for both), else on its own."""
    if current_user.is_authenticated and "library_generation" in g:
        return g.library_generation
    return queries.setting(GENERATION)


def reload() -> LibraryState:
    """Read the definition files again here, and tell every other process to."""
    found = state()
    found.load()
    found.generation = uuid.uuid4().hex
    commands.put_setting(GENERATION, found.generation)
    return found


def state() -> LibraryState:
    """The current app's library state."""
    return current_app.extensions[_KEY]


def current():
    """The loaded library; a 503 page names the problem when it did not load."""
    loaded = state().library
    if loaded is None:
        abort(503, description="The process library has errors; HR can see them in the console.")
    return loaded
