"""The HR console's pages, for members of the HR groups only (``hr_required``).

:mod:`.cycles` (cycles, their dashboards, launching, nudging and reassigning, at ``/hr``),
:mod:`.launching` (what the launch form means, and its preview), :mod:`.calibration`
(calibration sessions, for HR and the calibrators HR names), :mod:`.library` (the
definition library), :mod:`.people` (the directory and its import) and :mod:`.pips` (the
PIP tracker). URLs and blueprint names are those of the flat modules they came from.
"""
