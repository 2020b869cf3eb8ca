"""The failures a user of reviewflow can meet, as data.

Each class carries the HTTP status and CLI exit code it maps to, so the web and CLI
layers translate the *type* of a failure, never its text.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class ReviewflowError(Exception):
    """Base of every error the engine raises on purpose."""

    http_status = 400
    exit_code = 1


def format_path(path: tuple) -> str:
    """Show a document path the way users write it: ``states.collect.tasks[0].assignee``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


@dataclass(frozen=True)
class Problem:
    """One problem in a definition file, located by file, line, column and document path."""

    file: str
    line: int
    col: int
    path: tuple = ()
    message: str = ""
    hint: str | None = None
    severity: str = "error"  # or "warning": reported, but the library still loads

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}"
        if self.severity != "error":
            where += f": {self.severity}"
        shown = format_path(self.path)
        text = f"{where}: {shown}: {self.message}" if shown else f"{where}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def as_dict(self) -> dict:
        """The problem as JSON data (``severity`` only on warnings: errors look as before)."""
        out = {
            "file": self.file,
            "line": self.line,
            "column": self.col,
            "path": format_path(self.path),
            "message": self.message,
            "hint": self.hint,
        }
        if self.severity != "error":
            out["severity"] = self.severity
        return out


class DefinitionError(ReviewflowError):
    """A library of definitions has problems; it is never used half-loaded."""

    http_status = 422

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class SubmissionInvalid(ReviewflowError):
    """A submission failed its form's schema: field path -> plain-word messages."""

    errors: dict[str, list[str]] = field(default_factory=dict)
    http_status = 422

    def __str__(self) -> str:
        lines = [f"{name or '(form)'}: {'; '.join(msgs)}" for name, msgs in self.errors.items()]
        return "submission is invalid:\n  " + "\n  ".join(lines)


class NotFound(ReviewflowError):
    """An id that names nothing (task, instance, person, workflow)."""

    http_status = 404


class NotAllowed(ReviewflowError):
    """An actor tried something the definition does not allow; the attempt is recorded.

    ``messages`` are the definition's own words for a refusal by ``conditions`` or
    ``unless`` (``{when: ..., message: ...}``), as :class:`Refusal` texts: a front end shows
    them, in the reader's language, instead of the expressions in ``reason``.
    """

    http_status = 403

    def __init__(self, reason: str, messages: tuple = ()):
        self.reason = reason
        self.messages = tuple(messages)
        super().__init__(reason)


class Refusal(str):
    """Why a transition does not apply (``condition 'x' does not hold``), remembering the
    definition's message for it and where that message is written: ``ref`` is
    ``(transition index, "conditions" or "unless", expression index)``, so a front end
    can read the message in another language from the localized spec."""

    message: str | None
    ref: tuple | None

    def __new__(cls, text: str, message: str | None = None, ref: tuple | None = None):
        self = super().__new__(cls, text)
        self.message, self.ref = message, ref
        return self

    def __reduce__(self):
        return (Refusal, (str(self), self.message, self.ref))


class Conflict(ReviewflowError):
    """Someone else moved the process on first (or the target is no longer in that state)."""

    http_status = 409


class ImportRejected(ReviewflowError):
    """A directory import had bad rows; nothing of it was applied."""

    http_status = 422

    def __init__(self, row_errors: list[tuple[int, str]]):
        self.row_errors = row_errors
        super().__init__("\n".join(f"line {line}: {msg}" for line, msg in row_errors))


class ImportRefused(ReviewflowError):
    """A directory import whose rows are fine but whose effect is not allowed (a sync that
    would leave no active HR member or mark the importing person as left); nothing of it
    was applied, and the refusal is recorded in the directory's history."""

    http_status = 409

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)
