"""The task page: the form, what its definition ``show``s, save draft, submit, decide.

A decision (the holder may fire manual triggers from the task's state) replaces the bare
Submit with one button per trigger; pressing one submits the form and fires the trigger
in one command. A trigger whose transition has a ``form`` shows that form too, filled in
before pressing its button.
"""

from __future__ import annotations

import json

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.datastructures import CombinedMultiDict

from engine import commands, computed, queries, versions, visibility
from engine.commands import pickers
from engine.errors import Conflict, NotAllowed, ReviewflowError, SubmissionInvalid
from web import access, answers, forms, i18n
from web.errors import MESSAGES
from web.forms.builder import root_node
from web.forms.defaults import initial_data
from web.helpers import humanize, refusal_messages

bp = Blueprint("tasks", __name__, url_prefix="/tasks")


def form_of(run, form_id: str):
    """The form as the definition version of ``run`` (an instance, or one of its tasks)
    has it."""
    return i18n.localized(versions.version_for(run.definition_id).form(form_id))


def trigger_prefix(trigger: str) -> str:
    """Input-name prefix of a trigger's own form, so it never mixes with the task's."""
    return f"t-{trigger}-"


def _latest_per_form(items, entry_of):
    """Keep, per form, only the items of its latest visit (a state sent back and redone)."""
    latest: dict[str, int] = {}
    for item in items:
        latest[item.form_id] = max(latest.get(item.form_id, 0), entry_of(item))
    return [i for i in items if entry_of(i) == latest[i.form_id]]


def shown_submissions(user, acc: access.TaskAccess) -> list[dict]:
    """What the task's line ``show``s, as the viewer may see it (anonymous: aggregated)."""
    if acc.line is None or not acc.line.show:
        return []
    detail = acc.detail
    stored = {s.id: s for s in detail.submissions}
    entries = {s.id: s.entry for s in detail.submissions}
    names = {s.author_email: s.author_name for s in detail.submissions}
    views = [v for v in access.visible_views(user, detail) if v.form_id in acc.line.show]
    views = _latest_per_form(views, lambda v: entries.get(v.id, 0))
    anonymous = access.anonymous_answers(user, detail)
    out = []
    for form_id in acc.line.show:
        form = form_of(detail, form_id)
        for view in [v for v in views if v.form_id == form_id]:
            out.append({"title": _title(form), "author": names.get(view.author_email, ""),
                        "at": view.submitted_at,
                        "html": answers.show(
                            user, detail, form, stored[view.id], view.data,
                            with_names=acc.can_act  # who decides on a nomination
                            and bool(pickers.people_fields(detail.spec, form_id)))})
        for group in anonymous.get(form_id, ()):
            aggregate = forms.aggregate_anonymous(
                form, group.datas, group.threshold,
                hide_fields=answers.private_of_form(detail, form_id))
            out.append({"title": answers.group_title(_title(form), group), "author": None,
                        "at": None, "anonymous": True, "count": len(group.datas),
                        "threshold": group.threshold,
                        "html": forms.render_aggregate(form, aggregate)})
    return out


def arrival(user, acc: access.TaskAccess) -> list[dict]:
    """The decision that brought the process back to this task's step, if any ("Send
    back" and its reason), as far as the viewer may read it: one card per decision, its
    own form (the reason) first, then the answers given with it that say anything."""
    detail = acc.detail
    readable = {v.id: v for v in access.visible_views(user, detail)}
    cards: dict[tuple, dict] = {}
    for sub in detail.submissions:
        if sub.trigger and sub.entry == acc.task.entry - 1 and sub.id in readable:
            trig = next((t for t in detail.spec.transitions if t.trigger == sub.trigger), None)
            if trig is None or trig.dest != acc.task.state:
                continue
            data = readable[sub.id].data
            card = cards.setdefault((sub.trigger, sub.author_name), {
                "title": trig.title or humanize(trig.trigger), "author": sub.author_name,
                "at": sub.submitted_at, "parts": []})
            if not data:
                continue  # nothing typed: no empty box
            form = form_of(detail, sub.form_id)
            card["parts"].append((sub.form_id != trig.form, _title(form),
                                  answers.show(user, detail, form, sub, data)))
    out = []
    for card in cards.values():
        parts = sorted(card.pop("parts"), key=lambda p: p[0])  # the decision's form first
        card["form_title"] = " · ".join(title for _, title, _ in parts)
        card["html"] = Markup("\n").join(html for _, _, html in parts)
        out.append(card)
    return out


def _title(form) -> str:
    return form.title or form.schema.get("title") or humanize(form.id)


def _own_submission(acc: access.TaskAccess):
    return next((s for s in acc.detail.submissions if s.task_id == acc.task.id), None)


def _page(acc, data=None, errors=None, trigger_data=None, trigger_errors=None, status=200,
          refusal: str | None = None, told=()):
    """Render the task page (again, after a failed submit, with everything typed kept)."""
    user = current_user
    detail, task = acc.detail, acc.task
    form = form_of(detail, task.form_id)
    decisions = access.task_decisions(acc, user)
    trigger_forms = []
    for trig in decisions:
        if trig.form:
            tform = form_of(detail, trig.form)
            prefix = trigger_prefix(trig.trigger)
            typed = (trigger_data or {}).get(trig.trigger)
            if typed is None:  # a nomination the decision may amend starts from the list
                typed = access.amendable(user, detail, trig.form)
            trigger_forms.append({
                "trigger": trig, "title": _title(tform),
                "html": forms.render_form(tform, typed,
                                          (trigger_errors or {}).get(trig.trigger),
                                          prefix=prefix)})
    people_picker = None
    if acc.can_act:
        shown_data = data if data is not None else task_draft(acc)
        if pickers.people_fields(detail.spec, form.id):
            people_picker = queries.people.picker_near(user.email)
        fields = forms.render_form(form, shown_data, errors,
                                   people_list="rf-people" if people_picker is not None else None)
    else:
        fields = None
    own = _own_submission(acc)
    readable = {v.id: v for v in access.visible_views(user, detail)} if own else {}
    own_html = None
    if own is not None and own.id in readable:  # its author, HR, its readers
        own_html = answers.show(user, detail, form, own, readable[own.id].data)
    error_count = sum(len(v) for v in (errors or {}).values()) + sum(
        len(m) for errs in (trigger_errors or {}).values() for m in errs.values())
    return render_template(
        "tasks/show.html", acc=acc, task=task, detail=detail, form=form,
        form_title=_title(form), fields=fields, decisions=decisions,
        trigger_forms=trigger_forms, shown=shown_submissions(user, acc), own_html=own_html,
        own=own,
        arrival=arrival(user, acc) if acc.task.status == "open" else [],
        error_count=error_count, sees_name=access.sees_names(user, detail, task),
        may_open_instance=access.may_view_instance(user, detail),
        hr=visibility.is_hr(user.email, detail),
        state_title=_state_title(detail.spec, task.state), refusal=refusal,
        refusal_messages=told,
        people_picker=people_picker, unsaved=data is not None,
    ), status


def _state_title(spec, state: str) -> str:
    spec_state = spec.states.get(state)
    return spec_state.title if spec_state and spec_state.title else humanize(state)


def task_draft(acc: access.TaskAccess):
    """The viewer's saved draft: only the assignee has one (an escalation target starts
    from an empty form)."""
    return queries.task_draft(acc.task.id, current_user.email)


@bp.route("/<int:task_id>")
@login_required
def show(task_id: int):
    """Open a task."""
    acc = access.load_task_for(current_user, task_id)
    return _page(acc)


@bp.route("/<int:task_id>", methods=["POST"])
@login_required
def act(task_id: int):
    """Save a draft, submit, or submit with a decision."""
    acc = access.load_task_to_act(current_user, task_id)
    if acc.task.status != "open" or acc.task.instance_status != "running":
        return _moved_on(acc, _("This task is no longer open."))
    if not acc.can_act:  # its escalation target, where the definition lets them only remind
        abort(403)
    if "_draft" in request.form and not acc.assignee:  # a draft is the assignee's alone
        abort(403)
    form = form_of(acc.task, acc.task.form_id)
    if "_draft" in request.form:
        return _save_draft(acc, form)
    typed = _typed_decisions(acc)
    pressed = any(t.action is not None for t in typed.values())
    parsed = forms.parse_form(form, posted(), validate=not pressed, previous=_previous(acc, form))
    if parsed.action is not None or pressed:
        # A row button (of the task's form or of a decision's form) was pressed: show the
        # page again with the row added, removed or moved, everything typed kept, and
        # nothing stored.
        return _page(acc, parsed.data, {}, _kept(typed))
    trigger = request.form.get("_trigger") or None
    return _submit(acc, form, parsed, trigger, typed)


@bp.route("/<int:task_id>/computed", methods=["POST"])
@login_required
def computed_values(task_id: int):
    """The form's computed values for what is typed so far, as JSON ``{input name: text}``
    (the page's script shows them as the person types; nothing is stored, and the engine
    works them out again on submit)."""
    acc = access.load_task_to_act(current_user, task_id)
    if not acc.can_act:
        abort(403)
    form = form_of(acc.task, acc.task.form_id)
    if not form.computed:
        abort(404)
    parsed = forms.parse_form(form, posted(), validate=False, previous=_previous(acc, form))
    return jsonify(computed.shown(form, parsed.data))


@bp.route("/<int:task_id>/decline", methods=["POST"])
@login_required
def decline(task_id: int):
    """The holder declines a declinable request, with a reason (the engine checks it all)."""
    acc = access.load_task_to_act(current_user, task_id)
    if not acc.assignee:
        abort(403)
    try:
        commands.decline(task_id, current_user.email, request.form.get("reason", ""))
    except (Conflict, NotAllowed):
        raise
    except ReviewflowError:  # no reason, or one too long
        flash(_("Say why you decline: the reason is needed (at most 2000 characters)."),
              "error")
        return redirect(url_for("tasks.show", task_id=task_id), code=303)
    flash(_("You declined the request. Thank you for saying why."), "success")
    return redirect(url_for("inbox.index"), code=303)


@bp.route("/<int:task_id>/nudge", methods=["POST"])
@login_required
def nudge(task_id: int):
    """The escalation target of an overdue task reminds its assignee (the engine decides,
    and records a refusal)."""
    acc = access.load_task_to_act(current_user, task_id)
    if not acc.escalated:
        abort(403)
    try:
        result = commands.nudge(task_id, current_user.email, request.form.get("message"),
                                link=url_for("tasks.show", task_id=task_id, _external=True))
    except NotAllowed:
        raise
    except ReviewflowError as refused:  # no longer open, message too long
        flash(_("Nothing was sent: %(reason)s", reason=str(refused)), "error")
    else:
        flash(_("A reminder is on its way to %(name)s.", name=result.recipient_name), "success")
    return redirect(url_for("tasks.show", task_id=task_id), code=303)


def _typed_decisions(acc) -> dict:
    """Trigger -> what was typed into its decision form (unvalidated, row buttons read)."""
    out = {}
    for trig in access.task_decisions(acc, current_user):
        if trig.form:
            tform = form_of(acc.detail, trig.form)
            out[trig.trigger] = forms.parse_form(
                tform, posted(), validate=False, prefix=trigger_prefix(trig.trigger),
                previous=initial_data(root_node(tform)))
    return out


def _kept(typed: dict) -> dict:
    """Decision forms' typing to show again (untouched ones come back blank, with their
    defaults)."""
    return {trigger: result.data for trigger, result in typed.items() if result.data}


def posted():
    """What the browser sent: fields and uploaded files (file fields) together."""
    return CombinedMultiDict([request.form, request.files])


def _previous(acc, form):
    """Where read-only fields take their values from: the draft, else the form's defaults
    (so editing the HTML cannot change them); None for a form without any (what was
    posted is all the rater's, and the draft need not be read)."""
    if not root_node(form).any_read_only:
        return None
    draft = task_draft(acc)
    return draft if draft is not None else initial_data(root_node(form))


def _save_draft(acc, form):
    parsed = forms.parse_form(form, posted(), validate=False, previous=_previous(acc, form))
    commands.save_draft(acc.task.id, current_user.email, parsed.data or {})
    flash(_("Draft saved. Only you can see it until you submit."), "success")
    return redirect(url_for("tasks.show", task_id=acc.task.id), code=303)


def _decision(acc, trigger: str | None):
    if trigger is None:
        return None
    for trig in access.task_decisions(acc, current_user):
        if trig.trigger == trigger:
            return trig
    abort(403)


def _submit(acc, form, parsed, trigger: str | None, typed: dict):
    decision = _decision(acc, trigger)
    if decision is None and access.task_decisions(acc, current_user):
        abort(400, description="Choose one of the decision buttons.")
    trigger_data, trigger_errors = _kept(typed), None
    if decision is not None and decision.form:
        tform = form_of(acc.detail, decision.form)
        tparsed = forms.parse_form(tform, posted(), prefix=trigger_prefix(trigger),
                                   previous=initial_data(root_node(tform)))
        trigger_data[trigger] = tparsed.data
        if tparsed.errors:
            trigger_errors = {trigger: tparsed.errors}
    if parsed.errors or trigger_errors:
        return _page(acc, parsed.data, parsed.errors, trigger_data, trigger_errors, 422)
    try:
        result = commands.submit(acc.task.id, current_user.email, parsed.data or {},
                                 trigger=trigger,
                                 trigger_data=(trigger_data or {}).get(trigger))
    except SubmissionInvalid as invalid:
        return _page(acc, parsed.data, invalid.errors, trigger_data, None, 422)
    except Conflict as moved:  # someone else moved the process on meanwhile
        return _moved_on(acc, str(moved), parsed.data)
    except NotAllowed as refused:  # e.g. a decision whose conditions do not hold yet
        return _page(acc, parsed.data, {}, trigger_data, None, 403, refusal=refused.reason,
                     told=refusal_messages(acc.detail.spec, refused))
    return _after(acc, result, decision)


def _moved_on(acc, reason: str, data=None):
    """The "someone else moved this process on" page, with what the person typed shown
    to copy (nothing of it was stored)."""
    form = form_of(acc.task, acc.task.form_id)
    if data is None:
        data = forms.parse_form(form, posted(), validate=False,
                                previous=initial_data(root_node(form))).data
    kept_html = forms.display_submission(form, data) if data else None
    kept_text = json.dumps(data, ensure_ascii=False, indent=2) if data else None
    title, text = MESSAGES[409]
    return render_template("errors/error.html", status=409, title=str(title), text=str(text),
                           detail=reason, kept_html=kept_html, kept_text=kept_text), 409


def _after(acc, result, decision):
    """Say where the process went, then go where the person can follow it."""
    spec = access.task_spec(acc.task)
    state = _state_title(spec, result.state)
    about = acc.task.subject_name
    done = (_("“%(decision)s” recorded", decision=decision.title or humanize(decision.trigger))
            if decision else _("Submitted"))
    names = {"done": done, "process": spec.title, "about": about, "state": state}
    if result.status == "finished":
        flash(_("%(done)s. The %(process)s for %(about)s is complete (%(state)s).", **names),
              "success")
    elif result.state != acc.task.instance_state:
        flash(_("%(done)s. The %(process)s for %(about)s moved on to: %(state)s.", **names),
              "success")
    else:
        flash(_("%(done)s. The %(process)s for %(about)s is still at: %(state)s; it moves on "
                "once the other tasks of this step are done.", **names), "success")
    if acc.line is not None and acc.line.anonymous:
        return redirect(url_for("inbox.index"), code=303)
    # the person is now an author of the instance, and its authors may open it
    # (access.may_view_instance)
    return redirect(url_for("instances.show", instance_id=acc.task.instance_id), code=303)
