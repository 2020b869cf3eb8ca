"""The ``reviewflow`` command.

It lives in ``web`` because some commands (``form render``, ``serve``) need the very
renderer and app the pages use; the engine itself never imports from here. Each module
below adds one family of commands to :data:`main`.
"""

from __future__ import annotations

import click

from engine import config


class Context:
    """What every command needs: where the database and the library are."""

    def __init__(self, db_url: str | None, library: tuple[str, ...]):
        self.db_url = config.database_url(db_url)
        self.library_paths = config.library_paths(list(library) or None)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="Database URL (default: $REVIEWFLOW_DATABASE_URL or sqlite:///reviewflow.sqlite3).",
)
@click.option(
    "--library",
    multiple=True,
    metavar="PATH",
    help="Folder of workflows/forms (repeatable; default: ./workflows + ./forms, "
    "else the shipped library).",
)
@click.pass_context
def main(ctx: click.Context, db_url: str | None, library: tuple[str, ...]) -> None:
    """reviewflow: performance-management processes run from definitions."""
    ctx.obj = Context(db_url, library)


def _register() -> None:
    from web.cli import (
        calibration_cmds,
        definitions_cmds,
        form_cmds,
        report_cmds,
        runtime_cmds,
        version_cmds,
        web_cmds,
        worker_cmds,
    )

    for module in (definitions_cmds, runtime_cmds, report_cmds, calibration_cmds, form_cmds,
                   version_cmds, web_cmds, worker_cmds):
        module.register(main)


_register()
