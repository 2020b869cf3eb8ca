"""Getting results out: ``reviewflow export`` (a cycle's answers as CSV or XLSX).

The export applies the pages' reading rules for the ``--as`` person (see
:mod:`engine.exports`); HR exports that include private fields are recorded in history.
"""

from __future__ import annotations

from pathlib import Path

import click

from engine import exports
from web.cli.runtime_cmds import emit, json_option, runtime


@click.command("export")
@click.option("--cycle", "cycle", required=True, help="The cycle's name.")
@click.option("--as", "viewer", required=True, metavar="EMAIL",
              help="Whose reading rules apply (HR sees every answer; a manager their people's).")
@click.option("-o", "--output", "output", required=True, metavar="FILE",
              help="Where to write: FILE.csv or FILE.xlsx (the name says the format).")
@json_option
@runtime
def export_cmd(obj, cycle: str, viewer: str, output: str, as_json: bool) -> None:
    """Export a cycle's answers: one row per submission, one column per field."""
    file_format = exports.format_of(output)
    table = exports.cycle_export(cycle, viewer)
    Path(output).write_bytes(exports.render(table, file_format))
    recorded = exports.record(table, file_format)
    emit({"file": output, "format": file_format, "rows": len(table.rows),
          "columns": len(table.columns), "private_recorded": recorded}, as_json,
         f"wrote {output}: {len(table.rows)} row(s), {len(table.columns)} column(s)"
         + (f"; private fields included, recorded on {recorded} process(es)" if recorded
            else ""))


def register(main: click.Group) -> None:
    """Add this module's commands to the ``reviewflow`` group."""
    main.add_command(export_cmd)
