"""The platform's ranges for amounts, dates and pages, one definition for every service.

Standard library only, so every domain may use it. Each range is a plausibility
limit, not a business rule: a value outside it is a typing mistake (or an
attack) that would otherwise overflow a 64-bit column, a JSON number or date
arithmetic.

* amounts: integer cents from ``-MAX_CENTS`` to ``MAX_CENTS`` (10**12 cents,
  ten billion euros) per amount or line; a sum of a million such lines still
  fits a signed 64-bit integer (9.2 * 10**18) a thousand times over;
* dates: from ``FIRST_DAY`` (1900-01-01) to ``LAST_DAY`` (2200-12-31), the same
  years as :mod:`caekit.period`;
* pages: a ``limit`` from 1 to ``MAX_LIMIT`` (1,000) rows.
"""

from __future__ import annotations

from datetime import date

from caekit.period import FIRST_YEAR, LAST_YEAR
from caekit.rules import RuleViolation

MAX_CENTS = 10**12
FIRST_DAY = date(FIRST_YEAR, 1, 1)
LAST_DAY = date(LAST_YEAR, 12, 31)
DATE_RANGE_TEXT = f"a date between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}"
MAX_LIMIT = 1000


def check_day(day: date, field: str = "date") -> date:
    """``day`` itself when within the platform's range, otherwise ``date.out_of_range``."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise RuleViolation("date.out_of_range", f"{DATE_RANGE_TEXT}, not {day.isoformat()}",
                            (field,))
    return day


def check_cents(cents: int, field: str = "amount_cents", *, minimum: int = -MAX_CENTS) -> int:
    """``cents`` itself when an integer within ``minimum..MAX_CENTS``, otherwise
    ``amount.out_of_range``."""
    if isinstance(cents, bool) or not isinstance(cents, int) or not minimum <= cents <= MAX_CENTS:
        raise RuleViolation("amount.out_of_range",
                            f"an integer number of cents from {minimum} to {MAX_CENTS}, "
                            f"not {cents!r}", (field,))
    return cents
