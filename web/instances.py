"""The instance page: where the process is (diagram), its tasks, what the viewer may read,
its history, and the buttons for the manual triggers the viewer may fire; and its review
packet (a printable page and a PDF of what the viewer may read, for a personnel file)."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from engine import commands, queries, scores, visibility
from engine.errors import Conflict, NotAllowed, NotFound, SubmissionInvalid
from web import access, answers, diagrams, forms, history, i18n, library
from web.forms.builder import root_node
from web.forms.defaults import initial_data
from web.helpers import humanize, refusal_messages
from web.tasks import form_of, posted, trigger_prefix

bp = Blueprint("instances", __name__, url_prefix="/instances")
PACKET_CSS = Path(__file__).resolve().parent / "static" / "packet.css"


def _state_title(detail, state: str) -> str:
    spec_state = detail.spec.states.get(state)
    return spec_state.title if spec_state and spec_state.title else humanize(state)


NOT_NEEDED = "not needed"


@bp.app_template_global("task_outcome")
def task_outcome(detail, task) -> str:
    """The task's status as people read it: ``open``, ``submitted``, ``cancelled``, or
    ``not needed`` for a task of a pool (a line with a ``quorum``: one HR partner of the
    group, three of five peers) that others' answers had already completed.

    The engine cancels every open task when a state is left, whatever the reason; the line
    being done by the other tasks of the same visit is what tells the two apart, so a
    task withdrawn because the process was cancelled or moved on early stays "cancelled".
    """
    if task.status != "cancelled":
        return task.status
    line = visibility.line_for(detail.spec, task.state, task.task_key)
    if line is None or not line.quorum:
        return task.status  # every task of the line was needed
    same_line = [t for t in detail.tasks if t.entry == task.entry and t.state == task.state
                 and t.task_key == task.task_key]
    submitted = sum(1 for t in same_line if t.status == "submitted")
    return NOT_NEEDED if submitted and submitted >= min(line.quorum, len(same_line)) else (
        task.status)


def _task_rows(user, detail) -> list[dict]:
    """Tasks of the instance, newest visit first. The tasks of an anonymous line that are
    not the viewer's make one row of counts ("1 of 3 answered"): a row per rater, with its
    status, would tell who answered."""
    rows, counted = [], {}
    for task in sorted(detail.tasks, key=lambda t: (-t.entry, t.id)):
        shown = access.sees_names(user, detail, task)
        if not shown:
            key = (task.entry, task.state, task.task_key)
            line = [t for t in detail.tasks if (t.entry, t.state, t.task_key) == key]
            if key not in counted:
                counted[key] = True
                answered = sum(1 for t in line if t.status == "submitted")
                rows.append({"task": task, "who": _("Anonymous reviewers"), "named": False,
                             "current": task.entry == detail.entry
                             and task.state == detail.state,
                             "outcome": _("%(answered)d of %(total)d answered",
                                          answered=answered, total=len(line)),
                             "state_title": _state_title(detail, task.state), "mine": False,
                             "counts": True})
            continue
        who = task.assignee_name or "Nobody (HR to reassign)"
        if task.submitted_by and task.submitted_by != task.assignee_email:
            who = _("%(author)s for %(assignee)s", author=_name_of(detail, task.submitted_by),
                    assignee=task.assignee_name or "")
        rows.append({"task": task, "who": who if shown else access.ANONYMOUS_LABEL,
                     "named": shown,
                     "current": task.entry == detail.entry and task.state == detail.state,
                     "outcome": task_outcome(detail, task),
                     "state_title": _state_title(detail, task.state),
                     "mine": user.email in (task.assignee_email, task.escalated_to)})
    return rows


def _name_of(detail, email: str) -> str:
    """The name of the person who wrote something in the instance (else their email)."""
    return next((s.author_name for s in detail.submissions if s.author_email == email), email)


def _submissions(user, detail) -> list[dict]:
    """Readable submissions (individual), then anonymous aggregates."""
    names = {s.author_email: s.author_name for s in detail.submissions}
    names.update({t.assignee_email: t.assignee_name for t in detail.tasks if t.assignee_email})
    stored = {s.id: s for s in detail.submissions}
    out = []
    for view in access.visible_views(user, detail):
        form = form_of(detail, view.form_id)
        author = names.get(view.author_email, view.author_email)
        written_for = stored[view.id].written_for
        if written_for:  # escalation: written by its target for the assignee
            author = _("%(author)s for %(assignee)s", author=author,
                       assignee=names.get(written_for, written_for))
        out.append({"title": form.title or form.schema.get("title") or humanize(form.id),
                    "author": author,
                    "at": view.submitted_at, "state_title": _state_title(detail, view.state),
                    "html": answers.show(user, detail, form, stored[view.id], view.data),
                    "calibrated": stored[view.id].revision_of is not None})
    if visibility.is_hr(user.email, detail):  # answers as written, before calibration
        for old in detail.replaced:
            form = form_of(detail, old.form_id)
            out.append({"title": form.title or form.schema.get("title") or humanize(form.id),
                        "author": names.get(old.author_email, old.author_email),
                        "at": old.submitted_at, "state_title": _state_title(detail, old.state),
                        "html": answers.show(user, detail, form, old), "original": True})
    for form_id, groups in sorted(access.anonymous_answers(user, detail).items()):
        form = form_of(detail, form_id)
        title = form.title or form.schema.get("title") or humanize(form.id)
        for group in groups:
            out.append({"title": answers.group_title(title, group), "author": None,
                        "anonymous": True, "count": len(group.datas),
                        "threshold": group.threshold,
                        "html": forms.render_aggregate(
                            form, forms.aggregate_anonymous(
                                form, group.datas, group.threshold,
                                hide_fields=answers.private_of_form(detail, form_id)))})
    return out


def _trigger_panels(user, detail, data=None, errors=None) -> list[dict]:
    panels = []
    for trig in access.triggers_for(user, detail):
        html = None
        if trig.form:
            tform = form_of(detail, trig.form)
            typed = (data or {}).get(trig.trigger)
            html = forms.render_form(
                tform, typed if typed is not None else access.amendable(user, detail, trig.form),
                (errors or {}).get(trig.trigger), prefix=trigger_prefix(trig.trigger))
        panels.append({"trigger": trig, "form_html": html,
                       "dest_title": _state_title(detail, trig.dest)})
    return panels


def decision_task(user, detail):
    """The viewer's open task in the current step, if any: their decision is made there
    (submitting its form and firing the trigger together), never around it."""
    for task in detail.tasks:
        if (task.status == "open" and task.state == detail.state and task.entry == detail.entry
                and user.email in (task.assignee_email, task.escalated_to)):
            return task
    return None


def _page(detail, data=None, errors=None, status=200):
    user = current_user
    state = detail.spec.states.get(detail.state)
    on_task = decision_task(user, detail) if access.triggers_for(user, detail) else None
    return render_template(
        "instances/show.html", detail=detail, state=state,
        state_title=_state_title(detail, detail.state),
        diagram=diagrams.instance_diagram(detail.spec, detail.state),
        current_node=diagrams.node_id(detail.spec, detail.state),
        tasks=_task_rows(user, detail), submissions=_submissions(user, detail),
        timeline=history.timeline(user, detail), decision_task=on_task,
        panels=[] if on_task else _trigger_panels(user, detail, data, errors),
        hr=visibility.is_hr(user.email, detail), console=user.may_use_console,
        may_reveal=visibility.is_hr(user.email, detail) and bool(access.anonymous_task_ids(
            detail)) and not access.sees_raters(user, detail),
        scores=_scores(user, detail), changes=_changes(user, detail),
    ), status


def _changes(user, detail) -> list[dict]:
    """The changes the viewer may propose to this running instance (``parent:`` workflows
    started from it: "Propose a change to these goals"), with their labels."""
    offered = queries.changes_offered(library.current().workflows.values(), detail, user.email)
    out = []
    for spec in offered:
        shown = i18n.localized(spec)
        label = (shown.parent.button if shown.parent else None) or shown.title or spec.id
        out.append({"workflow": spec.id, "label": label, "description": shown.description})
    return out


def _scores(user, detail) -> list:
    """The workflow's scores across forms that ``user`` may read (HR, and each score's
    ``readers``), with the titles in the page's language."""
    if not detail.spec.scores:
        return []
    plays = visibility.roles_played(user.email, detail)
    hr = visibility.is_hr(user.email, detail)
    readable = [name for name, spec in detail.spec.scores.items()
                if scores.may_read(spec, plays, detail.states_entered, hr)]
    if not readable:
        return []
    results = scores.of_instance(detail.id)
    out = []
    for name in readable:
        spec, result = detail.spec.scores[name], results[name]
        parts = [replace(p, title=part.title or p.title)
                 for p, part in zip(result.parts, spec.parts, strict=True)]
        out.append(replace(result, title=spec.title or humanize(name), parts=tuple(parts)))
    return out


@bp.route("/<int:instance_id>")
@login_required
def show(instance_id: int):
    """Where a process stands."""
    return _page(access.load_instance_for(current_user, instance_id))


@bp.route("/<int:instance_id>/fire/<trigger>", methods=["POST"])
@login_required
def fire(instance_id: int, trigger: str):
    """Press a manual trigger's button (with its transition form when it has one)."""
    detail = access.load_instance_for(current_user, instance_id)
    chosen = next((t for t in detail.triggers if t.trigger == trigger), None)
    if chosen is None:
        if any(t.trigger == trigger for t in detail.spec.transitions):
            raise Conflict(f"This process is no longer at a step where "
                           f"“{humanize(trigger)}” applies.")
        abort(404)
    if not access.may_fire(current_user, detail, chosen):
        abort(403)
    task = decision_task(current_user, detail)
    if task is not None:  # decide on the task, with its form, not around it
        flash(_("Make this decision on your task, together with its form."), "info")
        return redirect(url_for("tasks.show", task_id=task.id), code=303)
    data = None
    if chosen.form:
        tform = form_of(detail, chosen.form)
        parsed = forms.parse_form(tform, posted(), prefix=trigger_prefix(trigger),
                                  previous=initial_data(root_node(tform)))
        if parsed.action is not None or parsed.errors:
            return _page(detail, {trigger: parsed.data},
                         {trigger: parsed.errors} if parsed.action is None else None,
                         200 if parsed.action is not None else 422)
        data = parsed.data
    try:
        result = commands.fire(detail.id, trigger, current_user.email, data=data)
    except SubmissionInvalid as invalid:
        if not chosen.form:  # a revise: the change does not fit the form it changes
            flash(_("That was refused: the change does not fit the answer it changes: "
                    "%(problems)s Nothing was changed.",
                    problems=_problems(invalid.errors)), "error")
            return redirect(url_for("instances.show", instance_id=detail.id), code=303)
        return _page(detail, {trigger: data}, {trigger: invalid.errors}, 422)
    except Conflict as conflict:
        if not chosen.revise:
            raise
        flash(_("That was refused: %(reason)s", reason=i18n.translate(conflict.args[0])),
              "error")
        return redirect(url_for("instances.show", instance_id=detail.id), code=303)
    except NotAllowed as refused:
        told = refusal_messages(detail.spec, refused)
        if told:  # the definition's own words, not its expressions
            flash(_("That was refused: %(reason)s", reason=" ".join(told)), "error")
        else:
            flash(_("That was refused: %(reason)s", reason=refused.reason), "error")
        return redirect(url_for("instances.show", instance_id=detail.id), code=303)
    title = chosen.title or humanize(trigger)
    flash(_("“%(decision)s” done. The process is now at: %(state)s.", decision=title,
            state=_state_title(detail, result.state)), "success")
    return redirect(url_for("instances.show", instance_id=detail.id), code=303)


def _problems(errors: dict) -> str:
    """Per-field messages as one sentence: ``objectives[0].objective: Must be ...``."""
    return " ".join(f"{field}: {' '.join(messages)}" if field else " ".join(messages)
                    for field, messages in sorted(errors.items()))


@bp.route("/<int:instance_id>/tasks/<int:task_id>/reassign", methods=["POST"])
@login_required
def reassign(instance_id: int, task_id: int):
    """HR gives an open task to someone else (or its holder delegates a delegable one)."""
    acc = access.load_task_for(current_user, task_id)
    if acc.detail.id != instance_id:
        abort(404)
    delegating = acc.holder and acc.line is not None and acc.line.delegable
    if not (visibility.is_hr(current_user.email, acc.detail) or delegating or acc.escalated):
        abort(403)
    to = request.form.get("to", "").strip()
    if not to:
        flash(_("Give the email of the person who should take the task."), "error")
        return redirect(url_for("tasks.show", task_id=task_id), code=303)
    try:
        commands.reassign(task_id, to, current_user.email,
                          reason=request.form.get("reason", "").strip() or None)
    except NotFound:
        flash(_("Nobody active with the email %(email)s is in the directory.", email=to),
              "error")
        return redirect(url_for("tasks.show", task_id=task_id), code=303)
    flash(_("The task now belongs to %(email)s.", email=to), "success")
    return redirect(url_for("instances.show", instance_id=instance_id), code=303)


@bp.route("/<int:instance_id>/reveal", methods=["POST"])
@login_required
def reveal(instance_id: int):
    """HR reveals who wrote the anonymous answers: an explicit act with a reason, kept in
    the history (the engine refuses and records anyone else, the subject included)."""
    detail = access.load_instance_for(current_user, instance_id)
    if not visibility.is_hr(current_user.email, detail):
        abort(403)
    reason = request.form.get("reason", "").strip()[:300]
    if not reason:
        flash(_("Give a reason for revealing the reviewers; it is kept in the history."),
              "error")
        return redirect(url_for("instances.show", instance_id=instance_id), code=303)
    commands.reveal_anonymous(instance_id, current_user.email, reason)
    flash(_("The reviewers are shown to you on this process; the history keeps that you "
            "looked, and why."), "success")
    return redirect(url_for("instances.show", instance_id=instance_id), code=303)


@bp.route("/<int:instance_id>/cancel", methods=["POST"])
@login_required
def cancel(instance_id: int):
    """HR stops a process, with a reason kept in its history."""
    detail = access.load_instance_for(current_user, instance_id)
    if not visibility.is_hr(current_user.email, detail):
        abort(403)
    reason = request.form.get("reason", "").strip()
    if not reason:
        flash(_("Give a reason for cancelling; it is kept in the history."), "error")
        return redirect(url_for("instances.show", instance_id=instance_id), code=303)
    commands.cancel(instance_id, current_user.email, reason)
    flash(_("The process was cancelled. Its open tasks were withdrawn."), "success")
    return redirect(url_for("instances.show", instance_id=instance_id), code=303)


def _packet_html(detail, pdf: bool) -> str:
    """The review packet: the answers the viewer may read (anonymous ones combined), the
    history and the outcome, laid out for paper. A PDF gets its style sheet inlined
    (WeasyPrint fetches nothing); the page links it (the site allows no inline style)."""
    css = (PACKET_CSS.read_text(encoding="utf-8") if pdf else None)
    return render_template(
        "instances/packet.html", detail=detail, inline_css=css,
        state_title=_state_title(detail, detail.state),
        final=bool(detail.spec.states.get(detail.state)
                   and detail.spec.states[detail.state].final),
        submissions=_submissions(current_user, detail),
        timeline=history.timeline(current_user, detail))


@bp.route("/<int:instance_id>/packet")
@login_required
def packet(instance_id: int):
    """The review packet as a printable page (print CSS)."""
    return _packet_html(access.load_instance_for(current_user, instance_id), pdf=False)


@bp.route("/<int:instance_id>/packet.pdf")
@login_required
def packet_pdf(instance_id: int):
    """The review packet as a PDF (WeasyPrint), for a personnel file."""
    detail = access.load_instance_for(current_user, instance_id)
    try:
        from weasyprint import HTML
    except (ImportError, OSError):  # no WeasyPrint, or no Pango: `make setup` installs them
        abort(503, description=_("PDFs cannot be made here: WeasyPrint or Pango is missing."))
    pdf = HTML(string=_packet_html(detail, pdf=True), base_url=request.host_url).write_pdf()
    name = f"{detail.workflow_id}-{detail.id}.pdf"
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", download_name=name)
