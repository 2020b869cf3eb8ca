"""``reviewflow migrate``: move a workflow's running instances to another version.

The checks and the moves are :mod:`engine.commands.migrate`'s; this prints the report,
one line per instance, and exits 1 when any instance was refused.
"""

from __future__ import annotations

import sys

import click

from engine import commands
from engine.definitions.library import load_library
from web.cli.runtime_cmds import emit, json_option, runtime


def plan_line(plan: commands.InstancePlan, dry_run: bool) -> str:
    """One instance of the report: what moves (or would), or exactly why it cannot."""
    head = f"instance {plan.instance_id} ({plan.subject}): "
    if not plan.ok:
        return head + "refused: " + "; ".join(plan.refused)
    verb = "would move" if dry_run else "moved"
    state = (f"state {plan.from_state}" if plan.from_state == plan.to_state
             else f"state {plan.from_state} -> {plan.to_state}")
    extra = f", {plan.open_tasks} open task(s) kept"
    if plan.new_lines:
        extra += f", new task line(s): {', '.join(plan.new_lines)}"
    return f"{head}{verb} from version {plan.from_version} to {plan.to_version}, {state}{extra}"


def summary(report: commands.MigrationReport) -> str:
    """The last line: how many moved (or would), were refused, were there already."""
    verb = "would move" if report.dry_run else "moved"
    text = (f"{report.workflow_id} -> version {report.to_version}: {len(report.moved)} "
            f"{verb}, {len(report.refused)} refused")
    if report.already:
        text += f", {report.already} already on version {report.to_version}"
    return text + (" (dry run: nothing changed)" if report.dry_run else "")


@click.command("migrate")
@click.argument("workflow")
@click.option("--to", "to_version", type=int, required=True, metavar="VERSION",
              help="The version to move to (stored, or the library's present version).")
@click.option("--map", "mapping", multiple=True, metavar="OLD=NEW",
              help="Move instances in state OLD to state NEW of the new version (repeatable).")
@click.option("--dry-run", is_flag=True, help="Check every instance and say what would "
              "happen; change nothing.")
@click.option("--as", "actor", required=True, metavar="EMAIL", help="Who does it (HR).")
@json_option
@runtime
def migrate_cmd(obj, workflow: str, to_version: int, mapping, dry_run: bool, actor: str,
                as_json: bool) -> None:
    """Move WORKFLOW's running instances to version VERSION, each one checked first.

    An instance moves only if its state exists in the new version (or --map names one)
    and its open tasks' drafts still fit their forms; each moves in its own transaction
    with a `migrated` event naming both versions. Refused instances stay as they were,
    and the report says why; the exit status is then 1.
    """
    report = commands.migrate(workflow, to_version, actor,
                              mapping=commands.parse_mapping(mapping), dry_run=dry_run,
                              library=load_library(obj.library_paths))
    lines = [plan_line(p, report.dry_run) for p in report.plans]
    emit({"workflow": report.workflow_id, "to_version": report.to_version,
          "dry_run": report.dry_run, "already": report.already,
          "instances": [{**p.__dict__, "ok": p.ok} for p in report.plans]},
         as_json, "\n".join([*lines, summary(report)]))
    if report.refused:
        sys.exit(1)


def register(main: click.Group) -> None:
    """Add this module's commands to the ``reviewflow`` group."""
    main.add_command(migrate_cmd)
