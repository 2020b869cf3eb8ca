"""A cycle's answers as one table, for a spreadsheet: one row per submission, one column
per field, with exactly the reading rules of the pages (:mod:`engine.visibility`).

- The viewer (``--as`` on the CLI, the signed-in person on the web) gets only the
  instances they may open and the submissions they may read there: HR everything, a
  manager their own people's reviews.
- Answers of an ``anonymous`` task line never carry their author or time. HR gets one
  row per answer, in an order taken from their content (so row order names nobody), once
  the line has as many answers as the workflow's anonymity threshold; a question answered
  by fewer people than the threshold is blank in every row. Everyone else gets what the
  pages show them: one row per anonymous form with the averages and the sorted answers
  (:func:`engine.visibility.visible_submissions`' aggregates).
- ``private`` fields reach HR only; every HR export that includes one leaves an
  ``exported`` event in the history of each instance concerned (who, which fields).

Nested answers are flattened into columns: an object's fields as ``form.field.sub``; a
list of objects (rows of a repeating section) as ``form.rows[1].field``, numbered from 1;
a list of plain values as one cell, its items joined by ``"; "``. A workflow with
``scores`` adds one ``scores`` row per instance (``scores.final``, ``scores.final.parts[1]``)
for a viewer who may read them. CSV is UTF-8 with a
byte-order mark (Excel then reads æøå); a text cell that a spreadsheet would take for a
formula (starting with ``=``, ``+``, ``-`` or ``@``) gets a leading ``'`` there, and is
stored as text in XLSX.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime

from engine import directory, queries, scores, visibility
from engine.clock import utc
from engine.errors import NotFound, ReviewflowError
from engine.store import Cycle, EventKind, Instance, db
from engine.store import Event as EventRow

#: The columns every row has before the answers, in order.
FIXED_COLUMNS = ("instance", "workflow", "cycle", "subject_email", "subject_name",
                 "department", "manager_email", "state", "status", "started_at",
                 "finished_at", "form", "task", "author_email", "author_name",
                 "submitted_at")
ANONYMOUS_AUTHOR = "anonymous"
FORMATS = ("csv", "xlsx")
#: Text a spreadsheet would read as a formula; CSV cells starting so get a leading "'".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExportRefused(ReviewflowError):
    """The export cannot be made as asked (unknown format, nothing the viewer may read)."""


@dataclass
class Export:
    """The table: column names and rows (dicts keyed by column)."""

    cycle: str
    viewer: str
    columns: list[str] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    private_fields: dict[int, set[str]] = field(default_factory=dict)  # instance -> fields


def flatten(value, prefix: str, out: dict) -> None:
    """Put ``value`` into ``out`` under ``prefix`` as plain cells (see the module doc)."""
    if isinstance(value, dict):
        for key, item in value.items():
            flatten(item, f"{prefix}.{key}", out)
    elif isinstance(value, list):
        if all(not isinstance(v, dict | list) for v in value):
            out[prefix] = "; ".join(_text(v) for v in value)
        else:
            for i, item in enumerate(value, 1):
                flatten(item, f"{prefix}[{i}]", out)
    else:
        out[prefix] = value


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def cycle_export(cycle_name: str, viewer: str, now: datetime | None = None) -> Export:
    """The table of ``cycle_name`` as ``viewer`` may read it; raise ``NotFound``."""
    cycle = Cycle.get_or_none(Cycle.name == cycle_name)
    if cycle is None:
        raise NotFound(f"no cycle {cycle_name!r}")
    me = directory.person(viewer)
    out = Export(cycle.name, me.email)
    ids = [i.id for i in Instance.select(Instance.id).where(Instance.cycle == cycle.id)
           .order_by(Instance.id)]
    columns: dict[str, None] = dict.fromkeys(FIXED_COLUMNS)
    for instance_id in ids:
        detail = queries.instance_detail(instance_id, now=utc(now))
        if not visibility.can_view_instance(me.email, detail):
            continue
        for row in _rows(me.email, detail, out):
            columns.update(dict.fromkeys(row))
            out.rows.append(row)
    out.columns = list(columns)
    return out


def _base(detail) -> dict:
    subject = detail.subject
    return {"instance": detail.id, "workflow": detail.workflow_id, "cycle": detail.cycle,
            "subject_email": subject["email"], "subject_name": subject["name"],
            "department": subject["department"], "manager_email": subject["manager_email"],
            "state": detail.state, "status": detail.status, "started_at": detail.started_at,
            "finished_at": detail.finished_at}


def _task_titles(detail) -> dict[tuple, str]:
    return {(name, line.key): line.title or line.form
            for name, state in detail.spec.states.items() for line in state.tasks}


def _rows(viewer: str, detail, out: Export) -> list[dict]:
    """The rows of one instance: the viewer's readable submissions, then the anonymous
    lines' answers that reach the threshold."""
    base, titles = _base(detail), _task_titles(detail)
    rows = []
    by_id = {s.id: s for s in detail.submissions}
    views, _aggregates = visibility.visible_submissions(viewer, detail)
    for view in views:
        sub = by_id[view.id]
        line = visibility.line_for(detail.spec, sub.state, sub.task_key)
        row = dict(base, form=sub.form_id, task=titles.get((sub.state, sub.task_key), ""),
                   author_email=sub.author_email, author_name=sub.author_name,
                   submitted_at=sub.submitted_at)
        flatten(view.data, sub.form_id, row)
        rows.append(row)
        shown_private = [f for f in (line.private if line else ()) if f in view.data]
        if shown_private and viewer != sub.author_email:
            out.private_fields.setdefault(detail.id, set()).update(shown_private)
    if visibility.is_hr(viewer, detail):
        rows += _anonymous_rows(viewer, detail, base, titles)
    else:  # as on the pages: only the aggregate, once it reaches the threshold
        rows += [_aggregate_row(a, base, titles, detail) for a in _aggregates]
    rows += _score_rows(viewer, detail, base)
    return rows


def _score_rows(viewer: str, detail, base: dict) -> list[dict]:
    """One ``scores`` row per instance with the workflow's scores across forms that the
    viewer may read (HR, and each score's ``readers``): ``scores.final`` and its parts."""
    if not detail.spec.scores:
        return []
    plays = visibility.roles_played(viewer, detail)
    hr = visibility.is_hr(viewer, detail)
    readable = [n for n, s in detail.spec.scores.items()
                if scores.may_read(s, plays, detail.states_entered, hr)]
    if not readable:
        return []
    results = scores.of_instance(detail.id)
    row = dict(base, form="scores", task="", author_email="", author_name="",
               submitted_at=None)
    for name in readable:
        row[f"scores.{name}"] = results[name].value
        for i, part in enumerate(results[name].parts, 1):
            row[f"scores.{name}.parts[{i}]"] = part.value
    return [row]


def _anonymous_rows(viewer: str, detail, base: dict, titles: dict) -> list[dict]:
    """HR's rows of anonymous lines: no author, task or time, ordered by content, only
    for lines that reach the threshold; questions below it are blank."""
    grouped: dict[tuple, list[dict]] = {}
    for sub in detail.submissions:
        line = visibility.line_for(detail.spec, sub.state, sub.task_key)
        if line is not None and line.anonymous and sub.author_email != viewer:
            flat: dict = {}
            flatten({k: v for k, v in sub.data.items() if k not in line.private},
                    sub.form_id, flat)
            grouped.setdefault((sub.form_id, sub.state, line.key), []).append(flat)
    limit, rows = visibility.threshold(detail.spec), []
    for (form_id, state, key), cells in sorted(grouped.items()):
        if len(cells) < limit:
            continue
        answered: dict[str, int] = {}
        for flat in cells:
            for column, value in flat.items():
                answered[column] = answered.get(column, 0) + (value not in (None, ""))
        for flat in sorted(cells, key=lambda f: json.dumps(f, sort_keys=True, default=str)):
            row = dict(base, form=form_id, task=titles.get((state, key), ""),
                       author_email="", author_name=ANONYMOUS_AUTHOR, submitted_at=None)
            row.update({c: (v if answered[c] >= limit else None) for c, v in flat.items()})
            rows.append(row)
    return rows


def _aggregate_row(aggregate, base: dict, titles: dict, detail) -> dict:
    """One row for an anonymous form as others see it: averages and sorted answers."""
    task = next((t for (state, _key), t in titles.items()
                 if any(line.form == aggregate.form_id and line.anonymous
                        for line in detail.spec.states[state].tasks)), "")
    group = f", {aggregate.group}" if aggregate.group else ""  # peers, clients, others
    row = dict(base, form=aggregate.form_id, task=task, author_email="",
               author_name=f"{ANONYMOUS_AUTHOR} ({aggregate.count} answers{group})",
               submitted_at=None)
    for key, stats in aggregate.numbers.items():
        row[f"{aggregate.form_id}.{key}"] = round(stats["avg"], 2)
    for key, texts in aggregate.texts.items():
        row[f"{aggregate.form_id}.{key}"] = " | ".join(texts)
    return row


def record(export: Export, file_format: str, now: datetime | None = None) -> int:
    """Leave an ``exported`` event on each instance whose private fields the export holds;
    return how many were recorded."""
    at = utc(now)
    with db.atomic():
        for instance_id, fields in sorted(export.private_fields.items()):
            EventRow.create(instance=instance_id, at=at, actor=export.viewer,
                            kind=EventKind.EXPORTED,
                            detail={"cycle": export.cycle, "format": file_format,
                                    "private_fields": sorted(fields)})
    return len(export.private_fields)


def format_of(path: str) -> str:
    """``csv`` or ``xlsx`` from a file name; raise :class:`ExportRefused` otherwise."""
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if suffix not in FORMATS:
        raise ExportRefused(f"cannot tell the format of {path!r}: name the file .csv or .xlsx")
    return suffix


def _cell(value):
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def to_csv(export: Export) -> bytes:
    """The table as CSV (UTF-8 with a BOM, so Excel reads æøå; comma-separated)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(export.columns)
    for row in export.rows:
        writer.writerow([_csv_text(_cell(row.get(c))) for c in export.columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_text(value) -> str:
    text = _text(value)
    if isinstance(value, str) and text[:1] in FORMULA_STARTS:
        return "'" + text  # a spreadsheet would run it as a formula (CSV injection)
    return text


def to_xlsx(export: Export) -> bytes:
    """The table as an Excel workbook: one sheet, a bold frozen header row."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Answers"
    sheet.append(export.columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for row in export.rows:
        sheet.append([_xlsx_cell(row.get(c)) for c in export.columns])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # an answer is text, never a formula
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(value):
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def render(export: Export, file_format: str) -> bytes:
    """The export's bytes in ``file_format`` (``csv`` or ``xlsx``)."""
    if file_format not in FORMATS:
        raise ExportRefused(f"unknown export format {file_format!r} (csv or xlsx)")
    return to_csv(export) if file_format == "csv" else to_xlsx(export)
