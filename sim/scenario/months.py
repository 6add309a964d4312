"""Calendar months as integers, so dates and model steps convert with plain arithmetic."""

from __future__ import annotations

import re

_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
LAST_MONTH = 9999 * 12 + 11  # 9999-12: the last month written YYYY-MM (10000-01 would not read back)


def parse_month(text: object) -> int | None:
    """``"2022-07"`` -> absolute month number (year * 12 + month - 1); None if malformed."""
    match = _YEAR_MONTH.match(str(text).strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        return None
    return year * 12 + month - 1


def format_month(absolute: int) -> str:
    """Absolute month number -> ``"YYYY-MM"``."""
    year, month0 = divmod(int(absolute), 12)
    return f"{year:04d}-{month0 + 1:02d}"


def run_end_problem(start: int, horizon: int) -> str | None:
    """Why a run from ``start`` for ``horizon`` months cannot be dated (it ends after 9999-12), or None."""
    if start + horizon <= LAST_MONTH:
        return None
    latest = format_month(max(LAST_MONTH - horizon, 0))
    return (f"start {format_month(start)} + horizon {horizon} months ends after {format_month(LAST_MONTH)}, the last "
            f"month a date can name (YYYY-MM); start by {latest} or shorten the horizon")
