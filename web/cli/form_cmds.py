"""``reviewflow form render|parse|check``: see a form as raters will, without the app.

FORM is a form id of the configured library or a path to a form ``.json`` file. The
commands use the very renderer and parser the web pages use (:mod:`web.forms`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import parse_qsl

import click
from werkzeug.datastructures import MultiDict

from engine.definitions.library import load_library
from engine.definitions.specs import FormSpec
from engine.errors import DefinitionError
from engine.source import did_you_mean
from engine.submissions import strip_unknown, submission_errors


def register(main: click.Group) -> None:
    """Add the ``form`` group to the ``reviewflow`` command."""
    main.add_command(form)


@click.group()
def form() -> None:
    """Preview, parse and check forms (forms/*.json)."""


def load_form(obj, name: str) -> FormSpec:
    """The form ``name``: a path to a .json file, else an id of the configured library."""
    path = Path(name)
    try:
        if path.suffix == ".json" and path.is_file():
            library = load_library([path])
            return next(iter(library.forms.values()))
        library = load_library(obj.library_paths)
    except DefinitionError as exc:
        raise click.ClickException(f"the form cannot be loaded:\n{exc}") from exc
    if name not in library.forms:
        hint = did_you_mean(name, library.forms) or "`reviewflow validate` lists the library"
        raise click.ClickException(f"no form '{name}' in the library ({hint})")
    return library.forms[name]


def read_json_file(path: Path):
    """The JSON in ``path``, or a clear error naming the file and the place."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise click.ClickException(
            f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from exc


def _dump(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


@form.command("render")
@click.argument("name", metavar="FORM")
@click.option("--data", "data_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Fill the form with this JSON (a draft or submission); default: the "
                   "form's defaults.")
@click.option("--errors", "with_errors", is_flag=True,
              help="Also show the per-field errors of --data.")
@click.pass_obj
def render(obj, name: str, data_file: Path | None, with_errors: bool) -> None:
    """Print FORM as a complete HTML page, as raters will see it."""
    from web.forms import render_page

    spec = load_form(obj, name)
    data = read_json_file(data_file) if data_file else None
    errors = submission_errors(spec, data) if with_errors and data is not None else None
    click.echo(render_page(spec, data, errors))


@form.command("parse")
@click.argument("name", metavar="FORM")
@click.option("--body", "body_file", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A urlencoded request body, as a browser posts the form ('-' is not "
                   "accepted: give a file).")
@click.option("--draft", is_flag=True, help="Parse as a draft: type errors only.")
@click.pass_obj
def parse(obj, name: str, body_file: Path, draft: bool) -> None:
    """Parse a posted body of FORM and print {"data": ..., "errors": {...}}.

    Exits 1 when there are errors.
    """
    from web.forms import parse_form

    spec = load_form(obj, name)
    body = body_file.read_text(encoding="utf-8").strip()
    formdata = MultiDict(parse_qsl(body, keep_blank_values=True))
    result = parse_form(spec, formdata, validate=not draft)
    out = {"data": result.data, "errors": result.errors}
    if result.action:
        out["action"] = result.action
    click.echo(_dump(out))
    if result.errors:
        sys.exit(1)


@form.command("check")
@click.argument("name", metavar="FORM")
@click.option("--data", "data_file", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The submission to check, as JSON.")
@click.pass_obj
def check(obj, name: str, data_file: Path) -> None:
    """Check a submission against FORM: print each field's errors, exit 1 if any."""
    spec = load_form(obj, name)
    data = read_json_file(data_file)
    errors = submission_errors(spec, data)
    dropped = sorted(set(data) - set(strip_unknown(spec, data))) if isinstance(data, dict) else []
    for field in dropped:
        click.echo(f"{field}: not a field of this form (it would be dropped)", err=True)
    if not errors:
        click.echo(f"ok: the data is a valid submission of '{spec.id}'")
        return
    for field, messages in errors.items():
        for message in messages:
            click.echo(f"{field or '(form)'}: {message}")
    sys.exit(1)
