"""The Flask front end of reviewflow: ``create_app`` builds it (flaskr style)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.routing import IntegerConverter

from engine import config as engine_config
from web import i18n

csrf = CSRFProtect()


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _secret_key(instance_path: str) -> str:
    """``REVIEWFLOW_SECRET_KEY``, else a random key kept in the instance folder (mode 0600).

    Never a key in the repository: each installation makes its own on first start. The key
    is written to a file of its own and linked into place, so processes starting together
    (gunicorn workers) all end up with the one key, and none reads a half-written file.
    """
    from_env = os.environ.get("REVIEWFLOW_SECRET_KEY")
    if from_env:
        return from_env
    path = Path(instance_path) / "secret_key"
    key = path.read_text().strip() if path.exists() else ""
    if key:
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    mine = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(mine, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(32))
    try:
        os.link(mine, path)  # atomic, and refuses when another process was first
    except FileExistsError:
        if not path.read_text().strip():  # an empty key left by an older reviewflow
            os.replace(mine, path)
    finally:
        mine.unlink(missing_ok=True)
    return path.read_text().strip()


def default_config() -> dict:
    """Settings before the caller's overrides; environment variables fill them in."""
    return {
        "DATABASE_URL": engine_config.database_url(),
        "LIBRARY_PATHS": [str(p) for p in engine_config.library_paths()],
        "TRUSTED_HEADER": os.environ.get("REVIEWFLOW_TRUSTED_HEADER") or None,
        # groups that may open the HR console besides HR itself (engine.roles.is_hr)
        "CONSOLE_GROUPS": ("admin",),
        "WTF_CSRF_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _env_flag("REVIEWFLOW_SECURE_COOKIES", False),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "BASE_URL": os.environ.get("REVIEWFLOW_BASE_URL"),  # for invite links outside a request
        "AUTO_CREATE_TABLES": True,
        **i18n.settings_from_env(),  # LANGUAGE and TIMEZONE
    }


class RowId(IntegerConverter):
    """``<int:...>`` in every route: a row id, 1..2**63-1. A larger number matches no
    route (404) rather than overflowing the database's integer (500)."""

    def __init__(self, url_map, fixed_digits=0, min=1, max=2**63 - 1, signed=False):  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def create_app(config: dict | None = None) -> Flask:
    """Build the app: settings, database hooks, sign-in, CSRF, security headers, pages."""
    instance_path = (config or {}).get("INSTANCE_PATH")
    app = Flask(__name__, instance_relative_config=True,
                instance_path=str(instance_path) if instance_path else None)
    app.config.update(default_config())
    if config:
        app.config.update(config)
        if "HR_GROUPS" in config and "CONSOLE_GROUPS" not in config:  # the older name
            app.config["CONSOLE_GROUPS"] = tuple(config["HR_GROUPS"])
    app.config["SESSION_COOKIE_REMEMBER_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app.instance_path)

    from web import auth, database, errors, helpers, library, security

    app.url_map.converters["int"] = RowId  # before any route: /tasks/10**23 is a 404
    database.init_app(app)
    i18n.init_app(app)
    csrf.init_app(app)
    auth.init_app(app)  # a sign-in by header, before the library check reads its reader
    library.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    helpers.init_app(app)
    _register_blueprints(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from web import inbox, instances, settings, tasks, team
    from web.hr import calibration, cycles, library, outbox, people, pips, reports

    for module in (inbox, tasks, instances, team, cycles, library, people, pips, reports, outbox,
                   settings, calibration):
        app.register_blueprint(module.bp)
    from web import starting  # self-service starts (feedback requests, 1:1s)

    app.register_blueprint(starting.bp)
    from web import picker  # the people picker's search as someone types
    app.register_blueprint(picker.bp)
    from web import external  # raters outside the directory, through a signed link

    app.register_blueprint(external.bp)
