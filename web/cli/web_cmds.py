"""``reviewflow serve`` and ``reviewflow users``: the web app and its sign-in accounts."""

from __future__ import annotations

import click


def _app(ctx_obj, **extra):
    from web import create_app

    return create_app({"DATABASE_URL": ctx_obj.db_url,
                       "LIBRARY_PATHS": [str(p) for p in ctx_obj.library_paths], **extra})


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--debug", is_flag=True, help="Reload on code changes and show the debugger "
              "(never on a shared network).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="More than 1: run gunicorn with that many worker processes "
                   "(what production uses; see docs/web.md).")
@click.pass_obj
def serve(obj, host: str, port: int, debug: bool, workers: int) -> None:
    """Serve the web front end: Werkzeug's threaded server, or with --workers N gunicorn
    ('web:create_app()') with N processes."""
    if workers > 1:
        _gunicorn(obj, host, port, workers)
    app = _app(obj)
    problems = app.extensions["reviewflow.library"].problems
    if problems:
        click.echo(f"warning: the library has {len(problems)} problem(s); "
                   "launching is disabled until they are fixed:", err=True)
        for problem in problems[:10]:
            click.echo(f"  {problem}", err=True)
    click.echo(f"reviewflow on http://{host}:{port}/  (database {obj.db_url})")
    app.run(host=host, port=port, debug=debug, threaded=True, use_reloader=debug)


def _gunicorn(obj, host: str, port: int, workers: int) -> None:
    """Replace this process by gunicorn serving ``web:create_app()`` (settings passed on
    in the environment, which ``create_app`` reads)."""
    import os
    import shutil
    import sys

    exe = shutil.which("gunicorn") or os.path.join(os.path.dirname(sys.executable), "gunicorn")
    os.environ["REVIEWFLOW_DATABASE_URL"] = obj.db_url
    os.environ["REVIEWFLOW_LIBRARY"] = os.pathsep.join(str(p) for p in obj.library_paths)
    click.echo(f"reviewflow on http://{host}:{port}/ with gunicorn, {workers} workers "
               f"(database {obj.db_url})")
    sys.stdout.flush()
    os.execv(exe, [exe, "--workers", str(workers), "--bind", f"{host}:{port}",
                   "--access-logfile", "-", "web:create_app()"])


@click.group("users")
def users() -> None:
    """Sign-in accounts of people in the directory."""


def _person_or_fail(email: str):
    from web import people

    person = people.person_by_email(email)
    if person is None:
        raise click.ClickException(
            f"no person {email!r} in the directory (import people first: reviewflow people import)")
    return person


@users.command("set-password")
@click.argument("email")
@click.option("--password", help="The new password (prompted for when left out; "
              "avoid this option outside tests: it lands in shell history).")
@click.pass_obj
def set_password(obj, email: str, password: str | None) -> None:
    """Set the password EMAIL signs in with."""
    from web import accounts

    app = _app(obj)
    with app.app_context():
        _person_or_fail(email)
        if password is None:
            password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
        try:
            accounts.set_password(email, password)
        except ValueError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"password set for {email.strip().lower()}")


@users.command("invite")
@click.argument("email")
@click.option("--base-url", default=None, metavar="URL",
              help="Where people reach reviewflow (default: $REVIEWFLOW_BASE_URL or "
                   "http://127.0.0.1:5000).")
@click.pass_obj
def invite(obj, email: str, base_url: str | None) -> None:
    """Print an invite link for EMAIL (valid 7 days; a new one replaces the old)."""
    from web import accounts

    app = _app(obj)
    with app.app_context():
        person = _person_or_fail(email)
        try:  # an invite never replaces a password (use set-password, or a reset by mail)
            token = accounts.create_invite(person.email)
        except accounts.AccountHasPassword as refused:
            raise click.ClickException(str(refused)) from None
        link = accounts.invite_link(token, base_url or app.config.get("BASE_URL") or "http://127.0.0.1:5000")
    click.echo(link)


def register(main: click.Group) -> None:
    """Add this module's commands to the ``reviewflow`` group."""
    main.add_command(serve)
    main.add_command(users)
