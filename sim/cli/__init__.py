"""The sim command: parse and dispatch (dispatch.py) and the jobs behind the commands. The top of the
layers."""

from sim.cli.dispatch import entry, main

__all__ = ["entry", "main"]
