"""Money as integer cents (pure domain code: standard library only).

Every amount the ledger handles is an ``int`` number of euro cents. Floats are
refused everywhere: they cannot represent most decimal amounts exactly.

Rounding rule (domain.md, "Money"): **one rounding per computed amount, half-up
to the cent**. "Half-up" is ``decimal.ROUND_HALF_UP``, which rounds a tie *away
from zero* on the absolute value: 0.005 -> 0.01 and -0.005 -> -0.01. Intermediate
results stay exact ``Decimal`` values; only the final amount is rounded.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

__all__ = [
    "UnbalancedEntry",
    "allocate",
    "apply_rate",
    "cents_to_str",
    "check_balanced",
    "exact_cents",
    "round_half_up",
    "to_cents",
]

_CENT = Decimal("0.01")
_UNIT = Decimal(1)


def _require_int(value: object, name: str) -> int:
    # bool is a subclass of int; True is not an amount.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int number of cents, not {type(value).__name__}")
    return value


def round_half_up(value: Decimal) -> int:
    """Round an exact Decimal number of cents to a whole cent, ties away from zero."""
    if not isinstance(value, Decimal):
        raise TypeError(f"expected a Decimal, not {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {value}")
    return int(value.quantize(_UNIT, rounding=ROUND_HALF_UP))


def to_cents(value: str | Decimal | int) -> int:
    """Parse an amount in euros into integer cents, rounding half-up once.

    ``"12.345"`` -> 1235, ``"-0.005"`` -> -1 (ties are rounded away from zero:
    ROUND_HALF_UP applied to the absolute value), ``Decimal("3")`` -> 300 and the
    int ``12`` (whole euros) -> 1200. Floats (and bools) raise ``TypeError``; a
    string that is not a finite decimal number raises ``ValueError``.
    """
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"refusing {type(value).__name__} {value!r}: pass a str or a Decimal")
    if isinstance(value, int):
        return value * 100
    if isinstance(value, str):
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a decimal amount: {value!r}") from None
    elif isinstance(value, Decimal):
        amount = value
    else:
        raise TypeError(f"cannot read an amount from {type(value).__name__}")
    if not amount.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    return round_half_up(amount * 100)


def cents_to_str(cents: int) -> str:
    """Format cents as euros with two decimals and a point: 1235 -> "12.35", -5 -> "-0.05"."""
    cents = _require_int(cents, "cents")
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    return f"{sign}{euros}.{rest:02d}"


def exact_cents(value: object) -> int:
    """An amount read back from a store as ``int`` cents: an ``int``, or an integral
    ``Decimal`` (PostgreSQL's SUM of a bigint is a numeric). A float (what SQLite makes of
    an integer overflow) has lost cents: refused (``ValueError``), never rounded."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError(f"an amount read back is not an exact integer: {value!r}")
    if isinstance(value, Decimal) and (not value.is_finite() or value != value.to_integral_value()):
        raise ValueError(f"an amount read back is not an exact integer: {value!r}")
    return int(value)


def apply_rate(cents: int, rate: Decimal) -> int:
    """``rate * cents`` rounded half-up (ties away from zero) to the cent.

    The product is exact (Decimal); this is the one rounding of the computed amount.
    ``rate`` is a fraction (``Decimal("0.10")`` for 10 %); floats raise ``TypeError``.
    """
    cents = _require_int(cents, "cents")
    if not isinstance(rate, Decimal):
        raise TypeError(f"rate must be a Decimal, not {type(rate).__name__}")
    if not rate.is_finite():
        raise ValueError(f"not a finite rate: {rate}")
    return round_half_up(Decimal(cents) * rate)


def allocate(cents: int, weights: Sequence[int | Decimal]) -> list[int]:
    """Split ``cents`` in proportion to ``weights``; the parts sum exactly to ``cents``.

    Largest-remainder method: each part first gets the floor of its exact share
    (computed on the absolute amount), then the cents left over go one each to
    the parts with the largest remainders, the earlier part first on a tie. A
    negative amount is split like its absolute value and every part negated.
    Weights are non-negative ints or Decimals, at least one positive; a zero
    weight gets 0.
    """
    cents = _require_int(cents, "cents")
    if not weights:
        raise ValueError("allocate needs at least one weight")
    exact: list[Fraction] = []
    for w in weights:
        if isinstance(w, bool) or not isinstance(w, (int, Decimal)):
            raise TypeError(f"weights must be ints or Decimals, not {type(w).__name__}")
        if isinstance(w, Decimal) and not w.is_finite():
            raise ValueError(f"not a finite weight: {w}")
        if w < 0:
            raise ValueError(f"negative weight: {w}")
        exact.append(Fraction(w))
    total_weight = sum(exact, Fraction(0))
    if total_weight == 0:
        raise ValueError("weights sum to zero")
    magnitude = abs(cents)
    shares = [magnitude * w / total_weight for w in exact]
    parts = [int(s) for s in shares]  # floor: shares are non-negative
    left = magnitude - sum(parts)
    by_remainder = sorted(range(len(shares)), key=lambda i: (-(shares[i] - parts[i]), i))
    for i in by_remainder[:left]:
        parts[i] += 1
    return [-p for p in parts] if cents < 0 else parts


class UnbalancedEntry(ValueError):
    """An entry refused by :func:`check_balanced`.

    ``difference`` is sum(debits) - sum(credits) in cents (0 when the totals agree
    but a line, or the entry as a whole, is malformed); ``reason`` says why.
    """

    def __init__(self, difference: int, reason: str) -> None:
        self.difference = difference
        self.reason = reason
        super().__init__(f"{reason} (debits - credits = {cents_to_str(difference)})")


def check_balanced(lines: Sequence[tuple[int, int]]) -> int:
    """Check an entry's ``(debit_cents, credit_cents)`` lines; return the entry's total.

    Accepted only if every line has exactly one of debit/credit positive and the
    other zero (none negative), and sum(debits) == sum(credits) > 0. Otherwise
    raises :class:`UnbalancedEntry`. Non-int amounts raise ``TypeError``.
    """
    debits = credits = 0
    problems: list[str] = []
    for n, line in enumerate(lines):
        debit, credit = line
        _require_int(debit, f"line {n} debit")
        _require_int(credit, f"line {n} credit")
        debits += debit
        credits += credit
        if debit < 0 or credit < 0:
            problems.append(f"line {n} has a negative amount")
        elif (debit > 0) == (credit > 0):
            problems.append(f"line {n} must have exactly one of debit or credit positive")
    difference = debits - credits
    if problems:
        raise UnbalancedEntry(difference, "; ".join(problems))
    if difference != 0:
        raise UnbalancedEntry(difference, "debits and credits differ")
    if debits == 0:
        raise UnbalancedEntry(0, "an entry must move a positive amount")
    return debits
