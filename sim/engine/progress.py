"""Progress bars (tqdm): on stderr, only for a terminal, never in CI, only after a second."""

from __future__ import annotations

import os
import sys

SHOWN: bool | None = None  # set by the CLI for one command: False for --quiet/--json, True for --verbose


class Progress:
    """Counts work units (replicate-months, points, samples) on a tqdm bar; ``advance`` is cheap
    enough to call every month, and nothing is drawn when output is not a terminal."""

    def __init__(self, total: int, label: str = "running", delay: float = 1.0, unit: str = "it",
                 show: bool | None = None):
        import threading

        from tqdm.auto import tqdm

        self.total = max(total, 1)
        self.done = 0
        self.lock, self.closed = threading.Lock(), False
        if show is None:
            show = SHOWN if SHOWN is not None else sys.stderr.isatty() and not os.environ.get("CI")
        self.enabled = show
        self.bar = tqdm(total=self.total, desc=label, delay=delay, unit=unit, unit_scale=True, leave=False,
                        file=sys.stderr, disable=not self.enabled, dynamic_ncols=True)

    def advance(self, units: int = 1) -> None:
        """Thread-safe: pools report finished chunks from their own threads."""
        with self.lock:
            if self.closed:
                return
            self.done += units
            self.bar.update(units)

    def close(self) -> None:
        with self.lock:
            self.closed = True
            self.bar.close()
