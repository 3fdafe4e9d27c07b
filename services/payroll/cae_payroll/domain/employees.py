"""An entrepreneur as the payroll knows them, and their cooperative's terms.

The cooperative's headcount (it decides some rates) and accident rate; the
entrepreneur's CESA, the activity their salary is paid from, cadre or not and
the withholding rate the tax office notified. Standard library only.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Protocol

from caekit.period import Period
from caekit.rules import RuleViolation

# the lowest headcount of each bracket members announce with a cooperative
STAFF_OF_BRACKET = {"under_11": 1, "11_to_49": 11, "50_and_more": 50}
DEFAULT_TERMS = {"staff": 1, "at_rate": "0.007"}  # of a cooperative that has set none


class Contracted(Protocol):
    member_id: str
    activity_code: str | None
    cesa_from: date | None
    cesa_until: date | None


def staff_with_bracket(staff: int, bracket: str | None) -> int:
    """The headcount once members announce the cooperative's bracket: at least the
    bracket's lowest (a higher headcount staff have set stands)."""
    return max(staff, STAFF_OF_BRACKET[bracket]) if bracket else staff


def activity_paid_from(current: str | None, opened: str) -> str:
    """A member's salary is paid from the first activity opened for them.

    An activity opened for them later (a second activity, one shared with others)
    does not move their salary: the budget it is paid from stays the first
    activity's. ``current`` is the activity they are paid from so far (None or
    empty: none yet), ``opened`` the code of an activity just opened for them."""
    return current or opened


def cesa_in_force(employee: Contracted, period: Period) -> bool:
    """A CESA covers some day of ``period`` (signed by its last day, not ended before
    its first)."""
    return (employee.cesa_from is not None and employee.cesa_from <= period.last_day
            and (employee.cesa_until is None or employee.cesa_until >= period.first_day))


def refuse_unpaid(employee: Contracted, period: Period) -> None:
    """A salary is paid in ``period`` under a CESA in force, from an activity."""
    if not cesa_in_force(employee, period):
        raise RuleViolation("employee.no_cesa", f"{employee.member_id} has no CESA in force in "
                            f"{period.text}")
    if not employee.activity_code:
        raise RuleViolation("employee.no_activity",
                            f"{employee.member_id} has no activity to pay from")


def parse_rate(text: str, name: str) -> str:
    """A rate (accident, withholding) as stored: a decimal in [0, 1)."""
    try:
        value = Decimal(text)
    except (InvalidOperation, TypeError):
        raise RuleViolation("rate.invalid", f"{name} is a decimal rate, e.g. 0.075") from None
    if not value.is_finite() or not 0 <= value < 1:
        raise RuleViolation("rate.invalid", f"{name} must be between 0 and 1")
    return str(value)
