"""The inbox: my open tasks, decisions waiting on me, drafts, and what I did recently."""

from __future__ import annotations

from flask import Blueprint, g, render_template
from flask_login import current_user, login_required

from engine import queries, versions
from web import i18n
from web.helpers import humanize, utcnow

bp = Blueprint("inbox", __name__)


def my_inbox(user) -> queries.Inbox:
    """The signed-in person's inbox, computed once per request (the header badge uses it)."""
    if "inbox" not in g:
        g.inbox = queries.inbox(user.email, now=utcnow(), person=user.person,
                                groups=user.groups)
    return g.inbox


def decisions_without_task(inbox: queries.Inbox) -> list:
    """Decisions that are not already shown as a task (their buttons are on the task)."""
    return [d for d in inbox.decisions if d.task_id is None]


def badge_count(user) -> int:
    """How many things wait on ``user``: open tasks, decisions, unassigned tasks (HR)."""
    inbox = my_inbox(user)
    return len(inbox.tasks) + len(decisions_without_task(inbox)) + len(inbox.unassigned)


def about_me(user) -> list[dict]:
    """Running processes whose subject is ``user``: where each stands."""
    out = []
    for item in queries.about(user.email, now=utcnow()):
        spec = i18n.localized(versions.version_for(item.definition_id).spec)
        state = spec.states.get(item.state)
        out.append({"id": item.id, "title": spec.title, "since": item.entered_at,
                    "state_title": state.title if state and state.title
                    else humanize(item.state)})
    return out


@bp.route("/")
@login_required
def index():
    """My inbox."""
    inbox = my_inbox(current_user)
    now = utcnow()
    return render_template(
        "inbox/index.html",
        tasks=inbox.tasks,
        overdue=sum(1 for t in inbox.tasks if t.overdue),
        decisions=decisions_without_task(inbox),
        unassigned=inbox.unassigned,
        drafts=inbox.drafts,
        done=queries.recently_done(current_user.email, limit=10, now=now),
        mine=about_me(current_user),
    )
