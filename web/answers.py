"""Submissions shown as read-only answers, with the task line's ``private`` fields kept
from everyone but the author and HR.

:mod:`engine.visibility` already removes private fields from what a viewer may read; every
page still passes them to :func:`web.forms.display_submission`, so that a private field is
never rendered even from data that did not go through that filter (the author's own
submission, a send-back reason, a nested private field).
"""

from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup

from engine import queries, visibility
from engine.anonymity import OTHERS
from web import forms
from web.forms.display import emails_in


def private_fields(detail, submission) -> tuple[str, ...]:
    """The ``private`` fields of the task line ``submission`` came from (none for a
    transition's form)."""
    line = visibility.line_for(detail.spec, submission.state, submission.task_key)
    return tuple(line.private) if line is not None else ()


def sees_private(user, detail, author_email: str | None) -> bool:
    """Only the author and HR (directory group ``hr``) ever read private fields."""
    return author_email is not None and (user.email == author_email
                                         or visibility.is_hr(user.email, detail))


def show(user, detail, form, submission, data=None, *, with_names: bool = False) -> Markup:
    """``submission`` (a stored one of ``detail``) as ``user`` may read it; ``data`` is what
    the visibility rules left of it (its own data when not given). ``with_names``: the
    people it names by email are shown by name, title and department (for whoever
    decides on it, e.g. the manager approving nominations)."""
    shown = submission.data if data is None else data
    return forms.display_submission(
        form, shown, private_fields=private_fields(detail, submission),
        viewer_may_see_private=sees_private(user, detail, submission.author_email),
        people=queries.people.labels(emails_in(shown)) if with_names else None)


def private_of_form(detail, form_id: str) -> tuple[str, ...]:
    """Private fields of every line that answered ``form_id`` (hidden from aggregates)."""
    return tuple(sorted({f for s in detail.submissions if s.form_id == form_id
                         for f in private_fields(detail, s)}))


def group_title(form_title: str, group) -> str:
    """The heading of one group of anonymous answers: the form's title, with the raters'
    relationship when the definition groups them ("Feedback: Peers", "Feedback: Others")."""
    if group.label is None:
        return form_title
    label = _("Others") if group.label == OTHERS else group.label
    return _("%(form)s: %(group)s", form=form_title, group=label)
