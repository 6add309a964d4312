"""``python -m sim.cli``: the same as the ``sim`` command."""

from sim.cli import entry

entry()
