"""``reviewflow validate`` and ``reviewflow diagram``: the definition commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from engine.definitions.library import check_library
from engine.diagram import FORMATS, diagram_source, render_diagram
from engine.source import did_you_mean


def register(main: click.Group) -> None:
    """Add this module's commands to the ``reviewflow`` group."""
    main.add_command(validate)
    main.add_command(diagram)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the problems as a JSON list.")
@click.option("--strict", is_flag=True,
              help="Treat warnings (a missing translation) as problems: exit 1 on any.")
@click.pass_obj
def validate(obj, paths: tuple[Path, ...], as_json: bool, strict: bool) -> None:
    """Check workflows and forms: PATHs are files or folders (default: the library).

    A workflow file inside a library's workflows/ folder is checked with that library's
    forms. Prints every problem as FILE:LINE:COL: PATH: MESSAGE (HINT) and exits 1, or
    prints the warnings (FILE:LINE:COL: warning: ...) and a one-line summary and exits 0.
    """
    paths, others = _with_neighbours(list(paths)) if paths else (obj.library_paths, set())
    library, problems = check_library(paths, other_workflows=others, strict=strict)
    shown = problems or list(library.warnings)
    if as_json:
        click.echo(json.dumps([p.as_dict() for p in shown], indent=2, ensure_ascii=False))
    else:
        for problem in shown:
            click.echo(str(problem))
    if problems:
        files = len({p.file for p in problems})
        if not as_json:
            click.echo(f"{_plural(len(problems), 'problem')} in {_plural(files, 'file')}",
                       err=True)
        sys.exit(1)
    if not as_json:
        warned = f", {_plural(len(shown), 'warning')}" if shown else ""
        click.echo(f"ok: {_plural(len(library.workflows), 'workflow')}, "
                   f"{_plural(len(library.forms), 'form')}{warned}")


def _with_neighbours(paths: list[Path]) -> tuple[list[Path], set[str]]:
    """A workflow file inside a library is checked against that library's forms (added)
    and may ``start:`` its neighbour workflows (known by name, not checked)."""
    out, others = list(paths), set()
    for path in paths:
        if path.is_file() and path.parent.name == "workflows":
            forms = path.parent.parent / "forms"
            if forms.is_dir() and forms not in out:
                out.append(forms)
            others |= {f.stem for f in path.parent.iterdir()
                       if f.suffix in (".yaml", ".yml") and f.name != path.name}
    return out, others


@click.command()
@click.argument("workflow")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Write to FILE; .svg, .png, .dot or .mmd picks the format "
                   "(default: Mermaid text on standard output).")
@click.option("--state", "highlight", default=None, metavar="STATE",
              help="Draw STATE highlighted (as the instance page does).")
@click.pass_obj
def diagram(obj, workflow: str, output: Path | None, highlight: str | None) -> None:
    """Draw WORKFLOW (an id of the library, or a workflow file) as a state diagram."""
    spec = _load_workflow(obj, workflow)
    if highlight and highlight not in spec.states:
        hint = did_you_mean(highlight, spec.states)
        raise click.BadParameter(f"unknown state '{highlight}'" + (f" ({hint})" if hint else ""),
                                 param_hint="--state")
    if output is None:
        click.echo(diagram_source(spec, "mmd", highlight), nl=False)
        return
    fmt = output.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise click.BadParameter(f"cannot draw to '{output.name}'; use a .svg, .png, .dot "
                                 "or .mmd file", param_hint="-o")
    try:
        if not highlight:
            render_diagram(spec, output)
        elif fmt == "png":
            output.write_bytes(diagram_source(spec, fmt, highlight))
        else:
            output.write_text(diagram_source(spec, fmt, highlight), encoding="utf-8")
    except OSError as exc:  # a missing folder, no permission: say so, no traceback
        raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from exc
    click.echo(f"wrote {output}")


def _load_workflow(obj, workflow: str):
    path = Path(workflow)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        root = path.parent.parent if path.parent.name == "workflows" else None
        paths = [root] if root else [path, *obj.library_paths]
        wanted = path.stem
    else:
        paths, wanted = list(obj.library_paths), workflow
    library, problems = check_library(paths)
    if problems:
        for problem in problems:
            click.echo(str(problem), err=True)
        raise click.ClickException("the library has problems; fix them first")
    if wanted not in library.workflows:
        hint = did_you_mean(wanted, library.workflows)
        known = ", ".join(sorted(library.workflows))
        raise click.ClickException(f"unknown workflow '{wanted}' ({hint or 'known: ' + known})")
    return library.workflows[wanted]
