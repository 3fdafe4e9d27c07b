"""Rules of activities (enseignes): pure, the standard library and ``caekit.rules`` only."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from caekit.rules import RuleViolation

#: An activity's analytic code: 1 to 20 of A-Z, 0-9, ``_`` and ``-``, starting alphanumeric
#: (the ledger names the activity's accounts after it). Matched whole: ``fullmatch``.
CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,19}")
CODE_TEXT = "an activity code is 1-20 of A-Z, 0-9, _ and -, starting alphanumeric"


def is_code(value: object) -> bool:
    """Whether ``value`` is written as an activity code (ASCII, no line break after it)."""
    return isinstance(value, str) and CODE.fullmatch(value) is not None


def check_opening(opened_on: date, left_on: Mapping[str, date | None]) -> None:
    """An activity opens for people still in the cooperative that day (``stage.after_exit``);
    ``left_on`` is each entrepreneur's exit date (None while they stay)."""
    for member_id, left in left_on.items():
        if left is not None and left <= opened_on:
            raise RuleViolation("stage.after_exit", f"{member_id} left on {left}")


def check_closing(code: str, opened_on: date, closed_on: date | None, on: date) -> None:
    """An activity closes once (``activity.closed``), not before it opened
    (``dates.out_of_order``)."""
    if closed_on is not None:
        raise RuleViolation("activity.closed", f"activity {code} closed on {closed_on}")
    if on < opened_on:
        raise RuleViolation("dates.out_of_order", f"{on} is before the opening ({opened_on})")
