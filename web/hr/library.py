"""HR console: the definition library (validation status, diagrams) and form previews.

A form preview posts to itself and shows the errors and the parsed data; nothing is
stored anywhere.
"""

from __future__ import annotations

import json

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.datastructures import CombinedMultiDict

from engine.definitions.library import check_library, discover
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
    return render_template("admin/workflow.html", spec=spec,
                           diagram=diagrams.instance_diagram(spec, None, plain=False))


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
