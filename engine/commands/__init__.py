"""Commands that change instances: each one transaction that locks the instance row.

launch, start, save_draft, submit (optionally firing a decision), fire, reassign,
delegate, cancel, reveal_anonymous, nudge, queue_mail. Every command writes its history
event in the same transaction. A refused attempt (:class:`NotAllowed`) rolls everything
back, then records the refusal with its reason in a transaction of its own, so the
refusal persists and nothing else changes. The modules: :mod:`.base` (what they share),
:mod:`.launch` (creating instances), :mod:`.tasks` (answers and buttons), :mod:`.admin`
(hand-overs and HR acts), :mod:`.nudge` (HR's reminder about one task), :mod:`.mail`
(mail about no instance: invites), :mod:`.migrate` (running instances moved to another
version), :mod:`.calibration` (calibration sessions).
"""

from engine.commands import calibration
from engine.commands.admin import cancel, delegate, reassign, reveal_anonymous
from engine.commands.base import (
    LAUNCH_BATCH,
    STANDARD_FILTERS,
    SYSTEM,
    CommandResult,
    LaunchResult,
    locked_run,
    record_refusal,
    run_for,
    utc,
)
from engine.commands.decline import decline
from engine.commands.launch import check_filters, launch, may_start, population, start
from engine.commands.mail import (
    queue_account_mail,
    queue_mail,
    record_directory_event,
    send_again,
)
from engine.commands.migrate import (
    InstancePlan,
    MigrationReport,
    migrate,
    parse_mapping,
    running_versions,
)
from engine.commands.nudge import NudgeResult, nudge
from engine.commands.people import save_person
from engine.commands.settings import put_setting
from engine.commands.tasks import choose_manual, fire, may_fire, save_draft, submit

__all__ = [
    "LAUNCH_BATCH", "STANDARD_FILTERS", "SYSTEM", "CommandResult", "InstancePlan", "LaunchResult",
    "MigrationReport", "NudgeResult", "calibration", "migrate", "parse_mapping", "running_versions",
    "cancel", "check_filters", "choose_manual", "decline", "delegate", "fire", "launch",
    "locked_run",
    "may_fire", "may_start", "nudge", "population", "put_setting", "queue_account_mail",
    "queue_mail", "reassign", "record_directory_event", "record_refusal", "reveal_anonymous",
    "run_for", "save_draft",
    "save_person", "send_again", "start", "submit", "utc",
]
