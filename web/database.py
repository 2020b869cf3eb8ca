"""The engine's database, opened and closed around each request (as peewee's FlaskDB does).

The engine owns one ``DatabaseProxy``; the app keeps the database object it was built for
and points the proxy back at it on each request, so several apps in one process (tests)
never read each other's data.
"""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request

from engine import schema, store
from web import accounts, preferences

_KEY = "reviewflow.database"


def init_app(app: Flask) -> None:
    """Open the database once (creating missing tables), then per request."""
    database = store.init(app.config["DATABASE_URL"])
    database.connect()
    try:
        if app.config.get("AUTO_CREATE_TABLES", True):
            create_tables()
    finally:
        store.close()
    app.extensions[_KEY] = database
    app.before_request(open_connection)
    app.teardown_appcontext(close_connection)


#: The web's own tables (sign-in accounts, personal settings).
WEB_MODELS = [*accounts.MODELS, *preferences.MODELS]

#: The web's tables upgrade on their own count (``schema_version`` rows of part "web"),
#: so a step here never renumbers the engine's. Add a step at the end when a table
#: changes (see docs/runtime.md, "Upgrading the database").
WEB = schema.Part("web", WEB_MODELS, (
    schema.Step(1, "catch up with the tables of releases before schema versions",
                schema.catch_up(WEB_MODELS)),
))


def create_tables() -> list[schema.Upgrade]:
    """The engine's tables and the web's own, created or upgraded (idempotent)."""
    return upgrade()


def upgrade() -> list[schema.Upgrade]:
    """Upgrade the engine's tables, then the web's; what each part went through."""
    return [schema.upgrade(store.ENGINE), schema.upgrade(WEB)]


def bind(app: Flask) -> None:
    """Point the engine's proxy at this app's database."""
    database = app.extensions[_KEY]
    if store.db.obj is not database:
        store.db.initialize(database)
        store.run_reset_hooks()  # caches keyed by row ids belong to the other database


def serves_static_file() -> bool:
    """Is this request for a file of ``/static/``? Those need no database, no sign-in and no
    library: the request hooks that open them return at once (a page loads several)."""
    return has_request_context() and request.endpoint == "static"


def open_connection() -> None:
    """Before a request: this thread's connection to the app's database (none for a
    static file)."""
    if serves_static_file():
        return
    bind(current_app)
    store.db.connect(reuse_if_open=True)


def close_connection(exc) -> None:
    """After a request (or app context): give the connection back."""
    database = current_app.extensions.get(_KEY)
    if database is not None and not database.is_closed():
        database.close()
