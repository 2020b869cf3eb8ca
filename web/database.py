"""The engine's database, opened and closed around each request (as peewee's FlaskDB does).

The engine owns one ``DatabaseProxy``; the app keeps the database object it was built for
and points the proxy back at it on each request, so several apps in one process (tests)
never read each other's data.
"""

from __future__ import annotations

from flask import Flask, current_app

from engine import store
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


def create_tables() -> None:
    """The engine's tables and the web's own (sign-in accounts, personal settings)."""
    store.create_tables()
    store.add_missing_columns(WEB_MODELS)
    store.db.create_tables(WEB_MODELS, safe=True)
    _add_missing_columns(WEB_MODELS)


def _add_missing_columns(models) -> None:
    """Columns added to the web's tables since a database was made (``session_version``)."""
    from playhouse.migrate import SchemaMigrator, migrate

    for model in models:
        have = {c.name for c in store.db.get_columns(model._meta.table_name)}
        missing = [f for f in model._meta.sorted_fields if f.column_name not in have]
        if missing:
            migrator = SchemaMigrator.from_database(store.db.obj)
            migrate(*[migrator.add_column(model._meta.table_name, f.column_name, f)
                      for f in missing])


def bind(app: Flask) -> None:
    """Point the engine's proxy at this app's database."""
    database = app.extensions[_KEY]
    if store.db.obj is not database:
        store.db.initialize(database)
        store.run_reset_hooks()  # caches keyed by row ids belong to the other database


def open_connection() -> None:
    """Before a request: this thread's connection to the app's database."""
    bind(current_app)
    store.db.connect(reuse_if_open=True)


def close_connection(exc) -> None:
    """After a request (or app context): give the connection back."""
    database = current_app.extensions.get(_KEY)
    if database is not None and not database.is_closed():
        database.close()
