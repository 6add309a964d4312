"""A quiet progress bar: on stderr, only for a terminal, never in CI, only after a second."""

from __future__ import annotations

import os
import sys
import time


class Progress:
    """Counts work units; draws ``[#####     ] 52%`` once the run has taken over a second."""

    def __init__(self, total: int, label: str = "running", delay: float = 1.0):
        self.total = max(total, 1)
        self.done = 0
        self.label = label
        self.start = time.monotonic()
        self.delay = delay
        self.enabled = sys.stderr.isatty() and not os.environ.get("CI")
        self.drawn = False
        self.last = 0.0

    def advance(self, units: int = 1) -> None:
        self.done += units
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.start < self.delay or now - self.last < 0.1:
            return
        self.last = now
        fraction = min(self.done / self.total, 1.0)
        bar = "#" * int(30 * fraction)
        sys.stderr.write(f"\r{self.label} [{bar:<30}] {fraction:4.0%}")
        sys.stderr.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            sys.stderr.write("\r" + " " * 60 + "\r")
            sys.stderr.flush()
