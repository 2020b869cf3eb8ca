"""Sign-in and sign-out, invite links, and the optional trusted-header sign-in.

Who someone *is* comes from the engine's directory (a person, their groups); how they prove
it is a web account (``web.accounts``) or, behind a company SSO proxy, a trusted header.
"""

from __future__ import annotations

from datetime import timedelta
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
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from engine import roles, statements
from engine.clock import utcnow
from web import accounts, database, library, preferences
from web import people as directory

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.login_message_category = "info"


class User(UserMixin):
    """The signed-in person, with the directory groups that give HR or admin rights."""

    def __init__(self, person, groups, menu):
        self.person = person
        self.person_id = person.id
        self.email = person.email
        self.name = person.name
        self.groups = frozenset(groups)
        self.menu = menu  # engine.queries.menu.MenuRoles: 'My team', 'Calibration'

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


#: The session key holding the account's session version at sign-in.
SESSION_VERSION = "sv"


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    try:
        found = accounts.signed_in(statements.row_id(user_id))
    except (TypeError, ValueError):  # not an id (a forged or an old session)
        return None
    if found is None or not directory.is_active(found.person):
        return None
    if session.get(SESSION_VERSION, 0) != found.session_version:
        return None  # signed out, or the password changed, since this session began
    preferences.known_language(found.person.email, found.language)
    library.known_generation(found.library_generation)
    return User(found.person, found.groups, found.menu)


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
    # the person again with their groups, session version, language and menu roles in one
    # statement, as every later request of the session reads them (behind a trusted
    # header, every client's first request signs in)
    found = accounts.signed_in(person.id)
    if found is None:  # removed from the directory a moment ago
        abort(403)
    login_user(User(found.person, found.groups, found.menu))
    session[SESSION_VERSION] = found.session_version
    preferences.known_language(found.person.email, found.language)
    library.known_generation(found.library_generation)


#: A sign-in form field longer than this is refused outright (an email is at most 320).
MAX_EMAIL_LENGTH = 320
MAX_PASSWORD_LENGTH = 1024


class Throttle:
    """Failed sign-ins counted in the database (every server process shares them): at most
    ``per_account`` per email and ``per_address`` per client address in ``window``."""

    def __init__(self, per_account: int = 10, per_address: int = 20, window: float = 900.0):
        self.per_account, self.per_address = per_account, per_address
        self.window = timedelta(seconds=window)

    @staticmethod
    def keys(email: str, address: str | None) -> tuple[str, str]:
        return (accounts.failure_key("email", email.lower()),
                accounts.failure_key("address", address or "?"))

    def blocked(self, email: str, address: str | None) -> bool:
        since = utcnow() - self.window
        by_email, by_address = self.keys(email, address)
        return (accounts.recent_failures(by_email, since) >= self.per_account
                or accounts.recent_failures(by_address, since) >= self.per_address)

    def failed(self, email: str, address: str | None) -> None:
        now = utcnow()
        accounts.record_failure(list(self.keys(email, address)), now, now - self.window)

    def clear(self, email: str) -> None:
        accounts.clear_failures(self.keys(email, None)[0])


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
        if len(email) > MAX_EMAIL_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
            abort(400)
        address = request.remote_addr
        if _throttle().blocked(email, address):
            flash(_("Too many failed attempts to sign in. Wait 15 minutes, or ask HR to send "
                    "you a password reset."), "error")
            return render_template("auth/login.html", email=email), 429
        person = directory.person_by_email(email) if email else None
        account = accounts.check_password(email, password) if email and password else None
        if person is not None and account is not None and directory.is_active(person):
            _throttle().clear(email)
            _sign_in(person)
            return redirect(_safe_next(request.args.get("next")))
        _throttle().failed(email, address)
        flash(_("That email and password do not match an account."), "error")
        return render_template("auth/login.html", email=email), 401
    return render_template("auth/login.html", email=email)


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out (POST only, with a CSRF token, so a link cannot sign someone out). Every
    session of the person ends, so a copy of the cookie stops working too."""
    if current_user.is_authenticated:
        accounts.end_sessions(current_user.email)
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
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
            error = _("The two passwords are not the same.")
        else:
            error = accounts.password_problem(password)
        if error is None:
            accounts.set_password(account.email, password)
            _sign_in(person)
            flash(_("Your password is set. Welcome to reviewflow."), "success")
            return redirect(url_for("inbox.index"))
    return render_template("auth/invite.html", person=person, error=error), (422 if error else 200)


def _trusted_header_sign_in() -> None:
    """Behind an SSO proxy that sets ``TRUSTED_HEADER`` to the person's email, trust it.

    Only turn this on when the proxy strips the header from what clients send.
    """
    header = current_app.config.get("TRUSTED_HEADER")
    if not header or database.serves_static_file():
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
    app.extensions["reviewflow.throttle"] = Throttle(
        app.config.get("LOGIN_ATTEMPTS", 10), app.config.get("LOGIN_ATTEMPTS_PER_ADDRESS", 20))
    app.before_request(_trusted_header_sign_in)
    app.register_blueprint(bp)
