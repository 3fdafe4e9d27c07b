"""What an entrepreneur reads of their contract and associate deadline (pure)."""

from __future__ import annotations

from datetime import date


def days_until(deadline: date, today: date) -> int:
    """Days from ``today`` to ``deadline`` (negative once it has passed)."""
    return (deadline - today).days


def next_month(today: date) -> tuple[int, int]:
    """(year, month) of the month after ``today``'s: the first a salary chosen now pays."""
    return (today.year + today.month // 12, today.month % 12 + 1)
