"""What a mail says: every outbox row due for one person, put together into one letter.

Rows only name things (a task, an instance, a kind, a few facts such as a send-back
reason); the words are written here, at delivery, as :class:`engine.messages.Message`
objects, so a front end can write them in the recipient's language (a :class:`Voice`).
A letter names tasks, the people they are about and dates; never an answer, never a
private field, and never who holds an anonymous task.
"""

from __future__ import annotations

import binascii
import functools
import html
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import Header
from email.utils import format_datetime, formataddr
from zoneinfo import ZoneInfo

from engine import links, versions
from engine.clock import local_text
from engine.messages import N_, Nn_
from engine.store import Instance, Person, Task

#: Kinds the composer writes itself; any other row (an invite, "unassigned") is sent with
#: the subject and body it was queued with.
COMPOSED = ("assigned", "sent-back", "reminder", "escalation", "decision", "decision-reminder",
            "readable", "nudge", "unassigned", "role-problems", "declined")
#: Kinds that never wait for a daily summary.
URGENT = ("reminder", "escalation", "decision-reminder")
#: Sign-in mails: their link is made as the mail goes (see :class:`Composer`), so no row
#: ever holds a way into someone's account.
SIGN_IN = ("invite", "password-reset")

_SUBJECTS = {
    "assigned": N_("New task: %(task)s about %(name)s"),
    "sent-back": N_("Sent back: %(task)s about %(name)s"),
    "reminder": N_("Reminder: %(task)s about %(name)s"),
    "escalation": N_("Overdue: %(task)s about %(name)s"),
    "decision": N_("Your decision: %(task)s about %(name)s"),
    "decision-reminder": N_("Reminder, your decision: %(task)s about %(name)s"),
    "unassigned": N_("Nobody holds: %(task)s about %(name)s"),
    "role-problems": N_("Not everyone could be asked: %(task)s about %(name)s"),
    "declined": N_("Declined: %(task)s about %(name)s"),
    "readable": N_("Ready to read: %(task)s about %(name)s"),
    "nudge": N_("Reminder from HR: %(task)s about %(name)s"),
    "calibrator": N_("You calibrate: %(session)s"),
    "invite": N_("Your reviewflow sign-in"),
    "password-reset": N_("Reset your reviewflow password"),
}
_SIGN_IN_TEXTS = {
    "invite": N_("%(by)s invited you to reviewflow. Choose your password with this link; "
                 "it works once, for 7 days."),
    "password-reset": N_("%(by)s (HR) sent you a link to choose a new reviewflow password. "
                         "It works once, for 7 days; until you use it your password stays "
                         "as it is. If you did not ask for it, ignore this mail."),
}
#: Why a sign-in row was not sent, when no link could be made for it.
NO_SIGN_IN_LINK = {
    "invite": "the person already has a password (an invite never replaces one; send a "
              "password reset)",
    "password-reset": "no sign-in link could be made for this person",
}


class Voice:
    """How a letter is worded for one recipient: English by default. A front end passes
    its own (``say`` looks a Message up in the recipient's catalogue)."""

    language = "en"

    def say(self, message) -> str:
        """``message`` in this voice's language."""
        return str(message)


ENGLISH = Voice()


@dataclass
class Letter:
    """One mail to one person: subject, plain text and HTML."""

    recipient: str
    name: str
    subject: str
    text: str
    html: str
    row_ids: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)  # row id -> why it says nothing

    def message(self, sender: str, message_id: str, now: datetime) -> bytes:
        """The MIME message (text and HTML alternatives, quoted-printable, CRLF line ends)
        as bytes for SMTP. Written directly rather than through ``email.message``, whose
        header objects cost more than sending the mail does (see bench/mail.py)."""
        boundary = f"=_reviewflow_{secrets.token_hex(12)}"
        to = _address(self.name, self.recipient)
        date = _date(now)
        head = (f"From: {_header(sender)}\r\nTo: {_header(to)}\r\n"
                f"Subject: {_header(self.subject)}\r\nDate: {date}\r\n"
                f"Message-ID: {message_id}\r\nAuto-Submitted: auto-generated\r\n"
                "MIME-Version: 1.0\r\n"
                f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n')
        parts = [head.encode("ascii")]
        for subtype, body in (("plain", self.text), ("html", self.html)):
            parts.append(f"--{boundary}\r\nContent-Type: text/{subtype}; charset=utf-8\r\n"
                         "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
                         .encode("ascii"))
            parts.append(_quoted_printable(body))
            parts.append(b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode("ascii"))
        return b"".join(parts)


_PLAIN_NAME = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .'-")


def _address(name: str, email: str) -> str:
    """``Name <email>`` (quoted or encoded by the standard library when it must be)."""
    if not name:
        return email
    if name.isascii() and set(name) <= _PLAIN_NAME:
        return f"{name} <{email}>"
    return formataddr((name, email))


@functools.lru_cache(maxsize=8)
def _date(now: datetime) -> str:
    return format_datetime(now.replace(tzinfo=UTC) if now.tzinfo is None else now)


def _header(value: str) -> str:
    """A header value: as is when plain ASCII, else RFC 2047 encoded words."""
    if value.isascii() and "\n" not in value and "\r" not in value:
        return value
    return Header(value.replace("\r", " ").replace("\n", " "), "utf-8").encode()


def _quoted_printable(text: str) -> bytes:
    """``text`` as quoted-printable lines ending in CRLF."""
    lines = text.replace("\r\n", "\n").split("\n")
    # b2a_qp breaks long lines with "=\n": SMTP wants CRLF there too
    return b"\r\n".join(binascii.b2a_qp(line.encode("utf-8")).replace(b"\n", b"\r\n")
                        for line in lines)


class Context:
    """The tasks, instances and people a page of outbox rows names, read in bulk (as
    plain named tuples: building model objects cost more than the reads, bench/mail.py)."""

    def __init__(self, rows, base_url: str, zone: ZoneInfo | None = None):
        self.base_url = base_url.rstrip("/")
        self.zone = zone or ZoneInfo("UTC")
        task_ids = {r.task_id for r in rows if r.task_id}
        self.tasks = {t.id: t for t in _chunks(Task, task_ids, (
            Task.id, Task.instance.alias("instance_id"), Task.state, Task.task_key,
            Task.form_id, Task.due_at, Task.assignee.alias("assignee_id"), Task.entry,
            Task.status, Task.link_nonce))}
        instance_ids = {r.instance_id for r in rows if r.instance_id}
        instance_ids |= {t.instance_id for t in self.tasks.values()}
        self.instances = {i.id: i for i in _chunks(Instance, instance_ids, (
            Instance.id, Instance.subject.alias("subject_id"),
            Instance.definition.alias("definition_id")))}
        person_ids = {i.subject_id for i in self.instances.values()}
        person_ids |= {t.assignee_id for t in self.tasks.values() if t.assignee_id}
        self.people = {p.id: p for p in _chunks(Person, person_ids, (
            Person.id, Person.email, Person.name, Person.language, Person.external))}
        emails = sorted({r.recipient for r in rows})
        self.recipients = {}
        for start in range(0, len(emails), 500):
            for p in Person.select(Person.id, Person.email, Person.name, Person.language,
                                   Person.external) \
                    .where(Person.email.in_(emails[start:start + 500])).namedtuples():
                self.recipients[p.email] = p

    def link(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def task_link(self, task) -> str:
        """Where the task's holder opens it: the task page, or for a rater outside the
        directory their signed link (they have no account)."""
        holder = self.people.get(task.assignee_id) if task.assignee_id else None
        if holder is not None and holder.external and task.link_nonce:
            return self.link(links.path_for(task.id, task.link_nonce))
        return self.link(f"/tasks/{task.id}")

    def when(self, moment: datetime | None) -> str:
        """A stored (naive UTC) time in the organisation's zone, language-neutral."""
        return "" if moment is None else local_text(moment, self.zone)


def _chunks(model, ids, columns) -> list:
    ids = sorted(ids)
    out = []
    for start in range(0, len(ids), 500):
        out.extend(model.select(*columns).where(model.id.in_(ids[start:start + 500]))
                   .namedtuples())
    return out


@dataclass
class _Item:
    subject: object
    text: object
    extra: str | None
    link: str | None


class Composer:
    """Turns one person's rows into a :class:`Letter` in that person's voice.

    ``sign_in_token(email, kind)`` makes the token of an invite or a password reset as its
    mail is written (the front end keeps only a hash); None when it makes no token (the
    person has a password now), and then the row is skipped, with why."""

    def __init__(self, ctx: Context, sign_in_token: Callable[[str, str], str | None] | None
                 = None):
        self.ctx = ctx
        self.sign_in_token = sign_in_token or (lambda email, kind: None)

    def letter(self, recipient: str, rows, voice: Voice = ENGLISH) -> Letter | None:
        """Everything in ``rows`` (all for ``recipient``) as one letter; rows whose task
        was done or given away meanwhile are left out (``skipped``). None when nothing is
        left to say."""
        person = self.ctx.recipients.get(recipient)
        skipped = {r.id: why for r in rows if (why := self._stale(r, person)) is not None}
        tokens = {}
        for row in rows:
            if row.kind in SIGN_IN and row.id not in skipped:
                token = self.sign_in_token(recipient, row.kind)
                if token is None:
                    skipped[row.id] = NO_SIGN_IN_LINK[row.kind]
                else:
                    tokens[row.id] = token
        items = [self._sign_in_item(row, tokens[row.id]) if row.kind in SIGN_IN
                 else self._item(row, voice) for row in rows if row.id not in skipped]
        if not items:
            return Letter(recipient, "", "", "", "", [], skipped)
        say = voice.say
        subject = say(items[0].subject)
        if len(items) > 1:
            subject = say(Nn_("%(first)s (and %(num)d more)", "%(first)s (and %(num)d more)",
                              len(items) - 1, first=subject))
        external = person is not None and person.external
        name = person.name if person and not external else ""
        return Letter(recipient, name, subject[:300],
                      *self._bodies(name, items, voice, external),
                      row_ids=[r.id for r in rows if r.id not in skipped], skipped=skipped)

    def _stale(self, row, person) -> str | None:
        """Why a row about a task has nothing to say any more (or None)."""
        if row.kind not in ("assigned", "sent-back", "reminder", "nudge", "escalation"):
            return None
        task = self.ctx.tasks.get(row.task_id) if row.task_id else None
        if task is None:
            return None
        if task.status != "open":
            return f"the task was {task.status} before the mail went"
        if row.kind != "escalation" and (person is None or task.assignee_id != person.id):
            return "the task was given to someone else before the mail went"
        return None

    def _bodies(self, name: str, items: list[_Item], voice: Voice,
                external: bool = False) -> tuple[str, str]:
        say = voice.say
        greeting = say(N_("Hello %(name)s,", name=name)) if name else say(N_("Hello,"))
        intro = say(N_("Here is what is new for you in reviewflow."))
        open_it = say(N_("Open it"))
        footer = say(N_("You get this mail because reviewflow has something for you to do "
                        "or to know. You can choose a daily summary instead on your "
                        "settings page: %(link)s", link=self.ctx.link("/settings")))
        if external:  # a client or partner: no account, no settings page, one link each
            intro = say(N_("You were asked for your feedback. The link below is yours "
                           "alone: it needs no account, and you can answer once."))
            footer = say(N_("You get this mail because someone named you as a reviewer "
                            "in reviewflow. Please do not forward it."))
        text = [greeting, "", intro, ""]
        parts = []
        for item in items:
            line = say(item.text)
            text.append(f"- {line}")
            block = html.escape(line)
            if item.extra:
                text.extend(f"  {x}" for x in item.extra.splitlines())
                block += ('<br><span style="display:block;margin:6px 0 0;padding:6px 10px;'
                          'border-left:3px solid #d0d7de;color:#374151">'
                          + html.escape(item.extra).replace("\n", "<br>") + "</span>")
            if item.link:
                text.append(f"  {open_it}: {item.link}")
                block += (f'<br><a href="{html.escape(item.link)}" style="display:inline-block;'
                          'margin-top:6px;padding:6px 12px;background:#1a56db;color:#ffffff;'
                          f'text-decoration:none;border-radius:4px">{html.escape(open_it)}</a>')
            text.append("")
            parts.append(f'<li style="margin:0 0 16px">{block}</li>')
        text.append(footer)
        body = ('<!DOCTYPE html><html><body style="margin:0;padding:16px;background:#ffffff">'
                '<div style="font-family:Arial,Helvetica,sans-serif;font-size:15px;'
                'line-height:1.45;color:#1f2933;max-width:600px">'
                f'<p style="margin:0 0 12px">{html.escape(greeting)}</p>'
                f'<p style="margin:0 0 12px">{html.escape(intro)}</p>'
                f'<ul style="margin:0 0 16px;padding-left:20px">{"".join(parts)}</ul>'
                f'<p style="margin:0;color:#6b7280;font-size:13px">{html.escape(footer)}</p>'
                '</div></body></html>')
        return "\n".join(text) + "\n", body

    # ------------------------------------------------------------------ one row

    def _sign_in_item(self, row, token: str) -> _Item:
        by = (row.params or {}).get("by") or "HR"
        return _Item(_SUBJECTS[row.kind], N_(_SIGN_IN_TEXTS[row.kind].msgid, by=by), None,
                     self.ctx.link(f"/invite/{token}"))

    def _calibrator_item(self, row) -> _Item:
        """HR named the recipient a calibrator: the session's page is the link."""
        params = row.params or {}
        names = {"session": params.get("session") or "?", "by": params.get("by") or "HR"}
        return _Item(N_(_SUBJECTS["calibrator"].msgid, **names),
                     N_("%(by)s named you a calibrator of %(session)s. There you see the "
                        "ratings of your scope and may propose changes, each with a reason; "
                        "HR decides on them.", **names), None,
                     self.ctx.link(f"/calibration/{params.get('session_id')}"))

    def _item(self, row, voice: Voice) -> _Item:
        if row.kind == "calibrator":
            return self._calibrator_item(row)
        if row.kind not in COMPOSED:
            link = self.ctx.link(f"/instances/{row.instance_id}") if row.instance_id \
                and row.kind == "unassigned" else None
            return _Item(row.subject, row.body.strip(), None, link)
        task = self.ctx.tasks.get(row.task_id) if row.task_id else None
        instance = self.ctx.instances.get(row.instance_id or (task and task.instance_id))
        if instance is None:  # the instance is gone: what was queued is all there is
            return _Item(row.subject, row.body.strip(), None, None)
        version = versions.version_for(instance.definition_id)
        spec = version.spec.localized(voice.language)
        subject = self.ctx.people.get(instance.subject_id)
        names = {"name": subject.name if subject else "?"}
        params = row.params or {}
        if task is None:  # an instance-level fact: a decision, something to read
            names["task"] = spec.title
            if row.kind in ("readable", "unassigned", "role-problems", "declined"):
                names["task"] = (_line_title(spec, params.get("state"), params.get("key"))
                                 or _form_title(spec, version, params.get("form"), voice)
                                 or spec.title)
            return self._instance_item(row, names, params, spec, instance)
        names["task"] = _task_title(spec, version, task, voice)
        due = self.ctx.when(task.due_at)
        # the escalation goes to someone else than the holder: the task page, not the link
        link = (self.ctx.link(f"/tasks/{task.id}") if row.kind == "escalation"
                else self.ctx.task_link(task))
        subject_line = N_(_SUBJECTS[row.kind].msgid, **names)
        kind = row.kind
        if kind == "assigned":
            text = (N_("%(task)s about %(name)s is yours to do, due %(due)s.", due=due, **names)
                    if due else N_("%(task)s about %(name)s is yours to do.", **names))
            return _Item(subject_line, text, None, link)
        if kind == "sent-back":
            text = N_("%(by)s sent %(task)s about %(name)s back to you. What needs to change:",
                      by=params.get("by", "?"), **names)
            return _Item(subject_line, text, params.get("reason") or None, link)
        if kind == "reminder":
            text = (N_("%(task)s about %(name)s is due %(due)s.", due=due, **names) if due
                    else N_("%(task)s about %(name)s is waiting for you.", **names))
            return _Item(subject_line, text, None, link)
        if kind == "escalation":
            text = N_("%(task)s about %(name)s, assigned to %(who)s, has been overdue since "
                      "%(due)s. You may act on it.", who=self._holder(task, version), due=due,
                      **names)
            return _Item(subject_line, text, None, link)
        # a nudge: HR's own words come along as they wrote them
        text = N_("HR reminds you of %(task)s about %(name)s.", **names)
        return _Item(subject_line, text, params.get("message") or None, link)

    def _instance_item(self, row, names, params, spec, instance) -> _Item:
        link = self.ctx.link(f"/instances/{instance.id}")
        subject_line = N_(_SUBJECTS.get(row.kind, _SUBJECTS["decision"]).msgid, **names)
        if row.kind == "readable":
            return _Item(subject_line, N_("You may now read %(task)s about %(name)s.", **names),
                         None, link)
        # HR's notices: who could not be given a task (the reasons as the directory says
        # them, below the sentence)
        problems = "\n".join(str(p) for p in params.get("problems") or ()) or None
        if row.kind == "declined":  # an anonymous line's rater is never named
            if params.get("who"):
                return _Item(subject_line, N_("%(who)s declined %(task)s about %(name)s. "
                                              "Their reason:", who=params["who"], **names),
                             params.get("reason") or None, link)
            return _Item(subject_line, N_("A reviewer declined %(task)s about %(name)s (the "
                                          "reason is kept for HR).", **names), None, link)
        if row.kind == "unassigned":
            return _Item(subject_line, N_(
                "Nobody could be given %(task)s about %(name)s, so it waits unassigned: "
                "give it to someone from the process page.", **names), problems, link)
        if row.kind == "role-problems":
            return _Item(subject_line, Nn_(
                "%(num)d task of %(task)s about %(name)s was created, but some people could "
                "not be given one. HR can give a task to someone else from the process page.",
                "%(num)d tasks of %(task)s about %(name)s were created, but some people could "
                "not be given one. HR can give a task to someone else from the process page.",
                int(params.get("created") or 0), **names), problems, link)
        titles = []
        for trigger in params.get("triggers", ()):
            found = next((t for t in spec.transitions if t.trigger == trigger), None)
            titles.append(found.title if found and found.title else trigger)
        if row.kind == "decision-reminder":
            return _Item(subject_line, N_("%(task)s about %(name)s still waits for your "
                                          "decision: %(choices)s.", choices=", ".join(titles),
                                          **names), None, link)
        return _Item(subject_line, N_("%(task)s about %(name)s waits for your decision: "
                                      "%(choices)s.", choices=", ".join(titles), **names),
                     None, link)

    def _holder(self, task, version):
        """Who holds an overdue task, as the escalation may say it (never an anonymous one)."""
        line = _line(version.spec, task)
        if line is not None and line.anonymous:
            return N_("an anonymous reviewer")
        person = self.ctx.people.get(task.assignee_id) if task.assignee_id else None
        return person.name if person else N_("nobody (unassigned)")


def _line_title(spec, state: str | None, key: str | None) -> str | None:
    """The title of the task line ``key`` of ``state`` (in the spec's language), if any."""
    found = spec.states.get(state) if state else None
    for line in found.tasks if found else ():
        if line.key == key:
            return line.title
    return None


def _line(spec, task):
    state = spec.states.get(task.state)
    for line in state.tasks if state else ():
        if line.key == task.task_key:
            return line
    return None


def _task_title(spec, version, task, voice: Voice) -> str:
    line = _line(spec, task)
    if line is not None and line.title:
        return line.title
    return _form_title(spec, version, task.form_id, voice) or task.form_id


def _form_title(spec, version, form_id, voice: Voice) -> str | None:
    form = version.forms.get(form_id) if form_id else None
    if form is None:
        return None
    form = form.localized(voice.language)
    return form.title or form.schema.get("title") or form_id
