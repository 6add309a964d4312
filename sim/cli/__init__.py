"""The sim command: parse and dispatch (dispatch.py), one module per command with the work behind it
(commands/). The top of the layers."""

from sim.cli.dispatch import entry, main

__all__ = ["entry", "main"]
