"""Commands of this family are added by register()."""

import click


def register(main: click.Group) -> None:
    """Add this module's commands to the ``reviewflow`` group."""
