"""Money as the portal shows and reads it: integer cents, written the French way.

``format_cents(123456)`` is ``"1 234,56 €"`` with no-break spaces (U+00A0) between the
thousands and before the sign, so that an amount never breaks across lines. Amounts typed
in a form (``"1 234,56"``, ``"1234.5"``, ``"2000"``) are read back to cents exactly, never
through a float.
"""

from __future__ import annotations

import re

from caekit.rules import RuleViolation

NBSP = "\N{NO-BREAK SPACE}"
_TYPED = re.compile(r"(?P<sign>-?)(?P<units>\d+)(?:[.,](?P<decimals>\d{1,2}))?")
MAX_TYPED_CENTS = 100_000_000_00  # a hundred million euros: beyond, a typing slip


def group_thousands(units: int) -> str:
    digits = str(units)
    groups = []
    while digits:
        groups.append(digits[-3:])
        digits = digits[:-3]
    return NBSP.join(reversed(groups))


def format_cents(cents: int, *, sign: str = "€") -> str:
    """``-123456`` -> ``"-1 234,56 €"`` (no-break spaces)."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise TypeError(f"amounts are integer cents, not {type(cents).__name__}")
    negative = cents < 0
    units, rest = divmod(abs(cents), 100)
    text = f"{'-' if negative else ''}{group_thousands(units)},{rest:02d}"
    return f"{text}{NBSP}{sign}" if sign else text


def parse_euros(text: str, field: str = "amount") -> int:
    """What a person typed, in euros, as cents: spaces (any kind) between thousands, a comma
    or a point before at most two decimals. Refused (``amount.invalid``) otherwise."""
    cleaned = re.sub(r"[\s\u00a0\u202f]", "", text or "").removesuffix("€")
    match = _TYPED.fullmatch(cleaned)
    if not match:
        raise RuleViolation("amount.invalid", f"{field}: an amount in euros, like 2 150,50")
    decimals = (match["decimals"] or "").ljust(2, "0")
    cents = int(match["units"]) * 100 + int(decimals)
    if cents > MAX_TYPED_CENTS:
        raise RuleViolation("amount.too_large", f"{field}: at most {MAX_TYPED_CENTS // 100} euros")
    return -cents if match["sign"] else cents


def shortfall_cents(cost_cents: int, available_cents: int) -> int:
    """What the budget lacks to pay ``cost_cents`` (0 when it pays it)."""
    return max(0, cost_cents - available_cents)
