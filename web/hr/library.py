"""HR console: the definition library (validation status, diagrams) and form previews.

A form preview posts to itself and shows the errors and the parsed data; nothing is
stored anywhere. A workflow's page counts its running processes per version; the migrate
page moves them to the library's version (:mod:`engine.commands.migrate`), after a dry run.
"""

from __future__ import annotations

import json

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.datastructures import CombinedMultiDict

from engine import commands
from engine.definitions.library import check_library, discover
from engine.diagram import due_text
from engine.errors import NotAllowed, NotFound
from web import diagrams, forms, library
from web.auth import hr_required
from web.forms.builder import root_node
from web.forms.defaults import initial_data

bp = Blueprint("hr_library", __name__, url_prefix="/hr/library")


def _files_with_problems(state) -> list[dict]:
    """Every definition file with its problems (an empty list when it is fine)."""
    from pathlib import Path

    workflows, form_files, _ = discover([Path(p) for p in state.paths])
    by_file: dict[str, list] = {}
    for problem in state.problems:
        by_file.setdefault(problem.file, []).append(problem)
    rows = []
    for kind, files in (("workflow", workflows), ("form", form_files)):
        for path in files:
            found = [p for name, ps in by_file.items() for p in ps
                     if name == str(path) or str(path).endswith(name) or name.endswith(path.name)]
            rows.append({"kind": kind, "name": path.name, "problems": found})
    return rows


@bp.route("/")
@hr_required
def index():
    """The library: workflows, forms and whether they are valid."""
    state = library.state()
    return render_template("admin/library.html", state=state, lib=state.library,
                           files=_files_with_problems(state))


@bp.route("/reload", methods=["POST"])
@hr_required
def reload():
    """Read the definition files again (after HR edited them)."""
    state = library.reload()
    if state.problems:
        flash(ngettext("The library has %(num)d problem; launching is disabled until it is "
                       "fixed.", "The library has %(num)d problems; launching is disabled "
                       "until they are fixed.", len(state.problems)), "error")
    else:
        flash(_("The library was reloaded and is valid."), "success")
    return redirect(url_for("hr_library.index"), code=303)


@bp.route("/check", methods=["POST"])
@hr_required
def check():
    """Check the files without replacing the library in use."""
    _checked, problems = check_library(library.state().paths)
    flash(_("All definitions are valid.") if not problems
          else ngettext("%(num)d problem found.", "%(num)d problems found.", len(problems)),
          "success" if not problems else "error")
    return redirect(url_for("hr_library.index"), code=303)


@bp.route("/workflows/<workflow_id>")
@hr_required
def workflow(workflow_id: str):
    """One workflow: its diagram, states, tasks, transitions and forms."""
    lib = library.current()
    spec = lib.workflows.get(workflow_id)
    if spec is None:
        abort(404)
    words = diagrams.words()
    return render_template("admin/workflow.html", spec=spec,
                           due_text=lambda task: due_text(spec, task, words),
                           diagram=diagrams.instance_diagram(spec, None, plain=False),
                           running=commands.running_versions(workflow_id))


def _mapping() -> dict[str, str]:
    """``map-OLD=NEW`` fields of the migrate form (an empty choice maps nothing)."""
    return {key[4:]: value for key, value in request.values.items()
            if key.startswith("map-") and value}


@bp.route("/workflows/<workflow_id>/migrate", methods=["GET", "POST"])
@hr_required
def migrate(workflow_id: str):
    """Move running processes to the library's version: a dry run first (GET, nothing
    changes), then the move itself (POST, one transaction per process)."""
    lib = library.current()
    spec = lib.workflows.get(workflow_id)
    if spec is None:
        abort(404)
    mapping = _mapping()
    if request.method == "POST":
        return _migrate(lib, spec, mapping)
    report, problem = None, None
    try:
        report = commands.migrate(workflow_id, spec.version, current_user.email,
                                  mapping=mapping, dry_run=True, library=lib)
    except (NotFound, NotAllowed) as error:
        problem = str(error)
    unmapped = sorted({p.from_state for p in report.plans if p.from_state not in spec.states}
                      | set(mapping)) if report else sorted(mapping)
    targets = [name for name, st in spec.states.items() if not st.final]
    return render_template("admin/migrate.html", spec=spec, report=report, problem=problem,
                           mapping=mapping, unmapped=unmapped, targets=targets)


def _migrate(lib, spec, mapping: dict[str, str]):
    back = url_for("hr_library.migrate", workflow_id=spec.id,
                   **{f"map-{k}": v for k, v in mapping.items()})
    try:
        report = commands.migrate(spec.id, spec.version, current_user.email, mapping=mapping,
                                  library=lib)
    except (NotFound, NotAllowed) as error:
        flash(_("Nothing was moved: %(reason)s", reason=error), "error")
        return redirect(back, code=303)
    flash(ngettext("%(num)d process moved to version %(version)d.",
                   "%(num)d processes moved to version %(version)d.", len(report.moved),
                   version=spec.version), "success")
    if report.refused:
        flash(ngettext("%(num)d process could not move; the list below says why.",
                       "%(num)d processes could not move; the list below says why.",
                       len(report.refused)), "warning")
    return redirect(back, code=303)


@bp.route("/forms/<form_id>", methods=["GET", "POST"])
@hr_required
def form_preview(form_id: str):
    """Try a form: post it and see the errors and the data it would store (nothing is)."""
    lib = library.current()
    form = lib.forms.get(form_id)
    if form is None:
        abort(404)
    data, errors, parsed_json = None, None, None
    if request.method == "POST":
        parsed = forms.parse_form(form, CombinedMultiDict([request.form, request.files]),
                                  previous=initial_data(root_node(form)))
        data = parsed.data
        if parsed.action is None:
            errors = parsed.errors
            parsed_json = json.dumps(parsed.data, indent=2, ensure_ascii=False, default=str)
    used_by = [w for w in lib.workflows.values() if form_id in w.forms_used()]
    return render_template("admin/form_preview.html", form=form,
                           fields=forms.render_form(form, data, errors), errors=errors,
                           parsed_json=parsed_json, used_by=used_by,
                           source=json.dumps({"schema": form.schema, "uiSchema": form.ui_schema},
                                             indent=2, ensure_ascii=False))
