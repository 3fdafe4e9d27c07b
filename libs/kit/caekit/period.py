"""A month of accounts or payroll: one type for every service (standard library only).

A ``Period`` is an ``int`` ``YYYYMM`` (202603), so stores keep it as an integer
column and periods compare and sort as numbers; it is written ``YYYY-MM``
(``"2026-03"``) everywhere people or events read it. Its range is the
platform's: years 1900 to 2200.
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date

from caekit.rules import RuleViolation

FIRST_YEAR, LAST_YEAR = 1900, 2200
_TEXT = re.compile(r"([0-9]{4})-([0-9]{2})")


class Period(int):
    """A month, ``YYYYMM``; ``Period(202603)``, ``Period.parse("2026-03")``, ``Period.of(day)``."""

    __slots__ = ()

    def __new__(cls, value: int) -> Period:
        value = int(value)
        year, month = divmod(value, 100)
        if not (1 <= month <= 12 and FIRST_YEAR <= year <= LAST_YEAR):
            raise RuleViolation("period.invalid", f"{value} is not a month YYYYMM of years "
                                f"{FIRST_YEAR}-{LAST_YEAR}", ("period",))
        return super().__new__(cls, value)

    @classmethod
    def parse(cls, text: str) -> Period:
        """``"2026-03"`` -> 202603; anything else is refused (``period.invalid``)."""
        found = _TEXT.fullmatch(text) if isinstance(text, str) else None
        if found is None or not 1 <= int(found[2]) <= 12:
            raise RuleViolation("period.invalid", f"a period is a month written YYYY-MM, "
                                f"not {text!r}", ("period",))
        return cls(int(found[1]) * 100 + int(found[2]))

    @classmethod
    def of(cls, day: date) -> Period:
        """The month of ``day``."""
        return cls(day.year * 100 + day.month)

    @property
    def year(self) -> int:
        return self // 100

    @property
    def month(self) -> int:
        return self % 100

    @property
    def text(self) -> str:
        """``"2026-03"``."""
        return f"{self // 100:04d}-{self % 100:02d}"

    @property
    def first_day(self) -> date:
        return date(self // 100, self % 100, 1)

    @property
    def last_day(self) -> date:
        year, month = divmod(int(self), 100)
        return date(year, month, monthrange(year, month)[1])

    def next(self) -> Period:
        """The month after (202612 -> 202701)."""
        return Period(self + 1 if self % 100 < 12 else self + 89)

    def previous(self) -> Period:
        """The month before (202701 -> 202612)."""
        return Period(self - 1 if self % 100 > 1 else self - 89)
