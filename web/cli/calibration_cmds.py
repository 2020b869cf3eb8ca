"""``reviewflow calibration``: the calibration sessions of :mod:`engine.commands.calibration`
from the command line, as the ``--as`` person (the same rules as the pages: HR opens,
decides and closes; calibrators propose for their scope; refusals are recorded).
"""

from __future__ import annotations

import click

from engine import queries
from engine.commands import calibration as commands
from web.cli.runtime_cmds import emit, json_option, runtime

AS = click.option("--as", "actor", required=True, metavar="EMAIL", help="Who acts.")


@click.group("calibration")
def calibration_group() -> None:
    """Calibration sessions: open, show, propose, decide, close."""


@calibration_group.command("open")
@click.option("--cycle", "cycle", required=True, help="The cycle's name.")
@click.option("--name", "name", required=True, help="The session's name.")
@click.option("--field", "fields", multiple=True, required=True, metavar="FORM.FIELD",
              help="The rating to calibrate; once more for a second field (the 9-box).")
@click.option("--calibrator", "calibrators", multiple=True, metavar="EMAIL",
              help="A calibrator (repeat for each).")
@click.option("--department", default="", help="Only this department of the cycle.")
@AS
@json_option
@runtime
def open_cmd(obj, cycle, name, fields, calibrators, department, actor, as_json) -> None:
    """Open a session over a cycle (HR)."""
    row = queries.cycle_named(cycle)
    if row is None:
        raise click.ClickException(f"no cycle {cycle!r}")
    session = commands.open_session(row.id, actor, name, fields, calibrators, department)
    emit({"session": session}, as_json, f"opened calibration session {session}")


@calibration_group.command("show")
@click.argument("session", type=int)
@AS
@json_option
@runtime
def show_cmd(obj, session: int, actor: str, as_json: bool) -> None:
    """A session as ACTOR may see it: people, values, proposals, distribution."""
    view = queries.calibration.session_view(session, actor)
    refs = [f.ref for f in view.fields]
    data = {"session": view.session, "calibrators": [e for e, _ in view.calibrators],
            "people": [{"instance": r.instance_id, "email": r.email, "state": r.state,
                        "waiting": r.waiting, "values": r.values, "calibrated": r.calibrated,
                        "proposals": [p.__dict__ for p in r.proposals]} for r in view.rows],
            "distribution": [{"value": b.value, "count": b.count, "percent": b.percent,
                              "target": b.target, "deviation": b.deviation}
                             for b in view.distribution]}
    lines = [f"{view.session.name} ({view.session.status}), fields: {', '.join(refs)}"]
    for r in view.rows:
        values = ", ".join(f"{ref}={r.values.get(ref)}"
                           + (f"->{r.calibrated.get(ref)}" if r.changed(ref) else "")
                           for ref in refs)
        lines.append(f"  #{r.instance_id} {r.email} [{r.state}] {values}")
        for p in r.proposals:
            lines.append(f"    proposal {p.id} {p.status}: {p.field} {p.old_value}->"
                         f"{p.new_value} by {p.proposed_by}: {p.reason}")
    lines += [f"  {b.label}: {b.count} ({b.percent}%"
              + (f", target {b.target}%, {b.deviation:+}" if b.target is not None else "")
              + ")" for b in view.distribution]
    emit(data, as_json, "\n".join(lines))


@calibration_group.command("propose")
@click.argument("session", type=int)
@click.option("--instance", "instance", required=True, type=int, help="The process.")
@click.option("--field", "field", required=True, metavar="FORM.FIELD")
@click.option("--value", "value", required=True)
@click.option("--reason", "reason", required=True)
@AS
@json_option
@runtime
def propose_cmd(obj, session, instance, field, value, reason, actor, as_json) -> None:
    """Propose a new value for one process of ACTOR's scope."""
    proposal = commands.propose(session, actor, instance, field, value, reason)
    emit({"proposal": proposal}, as_json, f"proposal {proposal} waits for HR")


@calibration_group.command("decide")
@click.argument("proposal", type=int)
@click.option("--accept/--reject", "accept", required=True)
@click.option("--note", default="")
@AS
@json_option
@runtime
def decide_cmd(obj, proposal: int, accept: bool, note: str, actor: str, as_json) -> None:
    """Accept or reject a proposal (HR)."""
    commands.decide(proposal, actor, accept, note)
    emit({"proposal": proposal, "accepted": accept}, as_json,
         f"proposal {proposal} {'accepted' if accept else 'rejected'}")


@calibration_group.command("close")
@click.argument("session", type=int)
@AS
@json_option
@runtime
def close_cmd(obj, session: int, actor: str, as_json: bool) -> None:
    """Close a session: accepted changes written back, waiting reviews moved on (HR)."""
    counts = commands.close(session, actor)
    emit(counts, as_json, f"closed: {counts['revised']} answer(s) calibrated, "
                          f"{counts['moved']} process(es) moved on")


def register(main: click.Group) -> None:
    """Add this module's commands to the ``reviewflow`` group."""
    main.add_command(calibration_group)
