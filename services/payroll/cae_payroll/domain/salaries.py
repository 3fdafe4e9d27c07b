"""Choosing a salary within the activity's budget. Standard library only.

An entrepreneur chooses the gross paid from a month on; what it costs the
employer is paid from their activity's available budget (as the ledger last
announced it). Above the budget the choice is refused, with the shortfall and the
largest gross the budget pays, unless staff override it with a reason. A month
whose run has started is closed: the run has fixed the salaries it pays. A gross
is at least the SMIC for the contract's hours (0: no salary), and a salary is
chosen at most ``SALARY_MONTHS_AHEAD`` months ahead.
"""

from __future__ import annotations

from datetime import date

from caekit.period import Period
from caekit.rules import RuleViolation

SALARY_MONTHS_AHEAD = 12  # a salary is planned up to a year ahead (and simulated as far)
MAX_GROSS_CENTS = 10**9  # 10 million euros a month: beyond, a typing mistake


def refuse_too_far_ahead(period: Period, today: date, field: str = "period") -> None:
    """A salary is chosen (or simulated) for a month at most ``SALARY_MONTHS_AHEAD``
    months after ``today``'s."""
    latest = Period.of(today)
    for _ in range(SALARY_MONTHS_AHEAD):
        latest = latest.next()
    if period > latest:
        raise RuleViolation("salary.too_far_ahead", f"a salary is chosen for a month up to "
                            f"{latest.text}, not {period.text}", (field,))


def refuse_below_smic(gross_cents: int, minimum_cents: int, hours: str) -> None:
    """A gross (other than 0, no salary) is at least the SMIC for the hours paid
    (``minimum_cents``, C. trav. L3231-2)."""
    if 0 < gross_cents < minimum_cents:
        raise RuleViolation("salary.below_smic", (
            f"{gross_cents / 100:.2f} EUR is below the SMIC for {hours} h a month "
            f"({minimum_cents / 100:.2f} EUR): choose more, or fewer hours in the "
            "payroll terms"), ("gross_cents",))


def refuse_closed_month(started: int | None) -> None:
    """``started``: the latest month from the chosen one on whose run has started (None:
    none has); its salaries are fixed, a choice is the month after's."""
    if started is not None:
        started = Period(started)
        raise RuleViolation("salary.month_closed", (
            f"the {started.text} payroll run has started and pays the salaries in "
            f"force then: choose this salary from {started.next().text}"))


def accepted_shortfall(cost_cents: int, budget_cents: int, best_gross_cents: int,
                       override_reason: str | None, by_staff: bool) -> int:
    """What a salary costing ``cost_cents`` is accepted short of the budget (0: it
    fits); refused above the budget (``best_gross_cents``: the largest gross it pays)
    unless staff override it with a reason."""
    shortfall = cost_cents - budget_cents
    if shortfall <= 0:
        return 0
    if override_reason is None:
        raise RuleViolation("budget.exceeded", (
            f"this salary costs {cost_cents / 100:.2f} EUR and the activity's "
            f"available budget is {budget_cents / 100:.2f} EUR: {shortfall / 100:.2f} EUR short; "
            f"the budget pays at most {best_gross_cents / 100:.2f} EUR gross"))
    if not by_staff:
        raise RuleViolation("budget.override_by_staff", "only staff can override the budget")
    return shortfall
