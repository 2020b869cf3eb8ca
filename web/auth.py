"""Sign-in and sign-out, invite links, and the optional trusted-header sign-in.

Who someone *is* comes from the engine's directory (a person, their groups); how they prove
it is a web account (``web.accounts``) or, behind a company SSO proxy, a trusted header.
"""

from __future__ import annotations

import threading
import time
from functools import wraps
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from engine import roles
from web import accounts
from web import people as directory

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.login_message_category = "info"


class User(UserMixin):
    """The signed-in person, with the directory groups that give HR or admin rights."""

    def __init__(self, person, groups):
        self.person = person
        self.person_id = person.id
        self.email = person.email
        self.name = person.name
        self.groups = frozenset(groups)

    def get_id(self) -> str:
        return str(self.person_id)

    @property
    def is_active(self) -> bool:
        return directory.is_active(self.person)

    @property
    def is_hr(self) -> bool:
        """HR, as the engine means it (:func:`engine.roles.hr_in`: group ``hr``)."""
        return roles.hr_in(self.groups)

    @property
    def may_use_console(self) -> bool:
        """May open the HR console: HR, or a member of ``CONSOLE_GROUPS`` (``admin``)."""
        return self.is_hr or bool(self.groups & set(current_app.config["CONSOLE_GROUPS"]))


def user_for_person(person) -> User:
    """Wrap a directory person for Flask-Login."""
    return User(person, directory.groups_of(person))


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    person = directory.person_by_id(user_id)
    if person is None or not directory.is_active(person):
        return None
    return user_for_person(person)


def hr_required(view):
    """Only people who may use the HR console may open this view (403 otherwise)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.may_use_console:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def safe_path(target: str | None, default: str) -> str:
    """``target`` if it is a path on this site, else ``default`` (no open redirects)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") \
                and not target.startswith("//") and "\\" not in target:
            return target
    return default


def _safe_next(target: str | None) -> str:
    return safe_path(target, url_for("inbox.index"))


def _sign_in(person) -> None:
    session.clear()  # a fresh session for the new identity (no fixation)
    login_user(user_for_person(person))


class Throttle:
    """At most ``limit`` failed sign-ins per email in ``window`` seconds (per process)."""

    def __init__(self, limit: int = 10, window: float = 900.0):
        self.limit, self.window = limit, window
        self.failures: dict[str, list[float]] = {}
        self.lock = threading.Lock()

    def _recent(self, key: str, now: float) -> list[float]:
        return [t for t in self.failures.get(key, []) if now - t < self.window]

    def blocked(self, key: str) -> bool:
        with self.lock:
            return len(self._recent(key, time.monotonic())) >= self.limit

    def failed(self, key: str) -> None:
        with self.lock:
            now = time.monotonic()
            self.failures[key] = [*self._recent(key, now), now]

    def clear(self, key: str) -> None:
        with self.lock:
            self.failures.pop(key, None)


def _throttle() -> Throttle:
    return current_app.extensions["reviewflow.throttle"]


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Email and password form."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    email = ""
    if request.method == "POST":
        email = request.form.get("email", "").strip()
        password = request.form.get("password", "")
        key = email.lower()
        if _throttle().blocked(key):
            flash("Too many failed attempts for this email. Wait 15 minutes, or ask HR for "
                  "an invite link to set a new password.", "error")
            return render_template("auth/login.html", email=email), 429
        person = directory.person_by_email(email) if email else None
        account = accounts.check_password(email, password) if email and password else None
        if person is not None and account is not None and directory.is_active(person):
            _throttle().clear(key)
            _sign_in(person)
            return redirect(_safe_next(request.args.get("next")))
        _throttle().failed(key)
        flash("That email and password do not match an account.", "error")
        return render_template("auth/login.html", email=email), 401
    return render_template("auth/login.html", email=email)


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out (POST only, with a CSRF token, so a link cannot sign someone out)."""
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str):
    """An invited person chooses a password and is signed in."""
    account = accounts.account_for_invite(token)
    person = directory.person_by_email(account.email) if account else None
    if account is None or person is None:
        return render_template("auth/invite_invalid.html"), 404
    error = None
    if request.method == "POST":
        password = request.form.get("password", "")
        if password != request.form.get("confirm", ""):
            error = "The two passwords are not the same."
        else:
            error = accounts.password_problem(password)
        if error is None:
            accounts.set_password(account.email, password)
            _sign_in(person)
            flash("Your password is set. Welcome to reviewflow.", "success")
            return redirect(url_for("inbox.index"))
    return render_template("auth/invite.html", person=person, error=error), (422 if error else 200)


def _trusted_header_sign_in() -> None:
    """Behind an SSO proxy that sets ``TRUSTED_HEADER`` to the person's email, trust it.

    Only turn this on when the proxy strips the header from what clients send.
    """
    header = current_app.config.get("TRUSTED_HEADER")
    if not header:
        return
    email = request.headers.get(header, "").strip()
    if not email:
        return
    if current_user.is_authenticated and current_user.email.lower() == email.lower():
        return
    person = directory.person_by_email(email)
    if person is None or not directory.is_active(person):
        abort(403)
    _sign_in(person)


def init_app(app) -> None:
    """Attach Flask-Login and the trusted-header hook."""
    login_manager.init_app(app)
    app.extensions["reviewflow.throttle"] = Throttle(app.config.get("LOGIN_ATTEMPTS", 10))
    app.before_request(_trusted_header_sign_in)
    app.register_blueprint(bp)
