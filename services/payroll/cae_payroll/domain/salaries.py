"""Choosing a salary within the activity's budget. Standard library only.

An entrepreneur chooses the gross paid from a month on; what it costs the
employer is paid from their activity's available budget (as the ledger last
announced it). Above the budget the choice is refused, with the shortfall and the
largest gross the budget pays, unless staff override it with a reason. A month
whose run has started is closed: the run has fixed the salaries it pays.
"""

from __future__ import annotations

from caekit.period import Period
from caekit.rules import RuleViolation


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
