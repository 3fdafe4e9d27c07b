"""An entrepreneur as the payroll knows them, and their cooperative's terms.

The cooperative's headcount (it decides some rates) and accident rate, and the
establishment a payslip names (SIRET, APE code, URSSAF number, address, convention
collective, payment day); the entrepreneur's CESA, the activity their salary is
paid from, cadre or not, the withholding rate the tax office notified, and what
their payslip says of them (job, classification, address, monthly hours).
Standard library only.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Protocol

from caekit.bounds import check_day
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


def check_contract_day(day: date, field: str) -> date:
    """A contract's date, as members announce it, within the platform's dates."""
    return check_day(day, field)


# -- the establishment a payslip names (Code du travail R3243-1 1° to 3°) -----------------------

LA_POSTE_SIREN = "356000000"  # its establishments' SIRETs follow a rule of their own


def check_siret(siret: str | None, siren: str | None) -> str | None:
    """A SIRET: 14 digits whose Luhn sum is a multiple of 10 (La Poste's: whose digit sum
    is a multiple of 5, INSEE), and whose first nine are the cooperative's SIREN when
    payroll knows it (``siret.invalid``, ``siret.other_company``)."""
    if siret is None:
        return None
    if len(siret) != 14 or not siret.isascii() or not siret.isdigit():
        raise RuleViolation("siret.invalid", "a SIRET is 14 digits", ("siret",))
    valid = luhn_valid(siret) or (siret.startswith(LA_POSTE_SIREN)
                                  and sum(map(int, siret)) % 5 == 0)
    if not valid:
        raise RuleViolation("siret.invalid", f"{siret} is not a SIRET: its check digit (Luhn) "
                            "is wrong", ("siret",))
    if siren is not None and not siret.startswith(siren):
        raise RuleViolation("siret.other_company", f"the SIRET {siret} is not an establishment "
                            f"of the cooperative's SIREN {siren}", ("siret",))
    return siret


def luhn_valid(digits: str) -> bool:
    """The Luhn check (ISO/IEC 7812-1): every second digit from the right doubled."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def check_convention(idcc: str | None, title: str | None) -> tuple[str | None, str | None]:
    """A convention collective is its IDCC and its title, both or neither (none: the
    payslip says that none applies)."""
    if (idcc is None) != (title is None):
        missing = "convention_title" if title is None else "convention_idcc"
        raise RuleViolation("convention.incomplete", "a convention collective is its IDCC and "
                            "its title: give both, or neither when none applies", (missing,))
    return idcc, title


def payment_date(period: Period, payment_day: int | None) -> date:
    """When a month's salaries are paid: its payment day (the last day of a shorter month),
    by default its last day."""
    last = monthrange(period.year, period.month)[1]
    return date(period.year, period.month, last if payment_day is None
                else min(payment_day, last))


# -- the hours a salary pays --------------------------------------------------------------------

FULL_TIME_X100 = 15167  # 151.67 h a month (C. trav. L3121-27), in hundredths of an hour


def parse_hours(text: str | None) -> int | None:
    """The contract's monthly hours ("104", "75.83") in hundredths of an hour, from 1 h to
    full time (151.67 h: overtime is not computed); None: full time."""
    if text is None:
        return None
    try:
        value = Decimal(text)
    except (InvalidOperation, TypeError):
        raise RuleViolation("hours.invalid", "monthly_hours is a number of hours such as 104 "
                            "or 75.83", ("monthly_hours",)) from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise RuleViolation("hours.invalid", "monthly_hours has at most two decimals",
                            ("monthly_hours",))
    if not 1 <= value <= Decimal(FULL_TIME_X100) / 100:
        raise RuleViolation("hours.invalid", "monthly_hours is from 1 to 151.67 (full time; "
                            "overtime is not computed)", ("monthly_hours",))
    hundredths = int(value * 100)
    return None if hundredths == FULL_TIME_X100 else hundredths


def hours_text(hundredths: int | None) -> str:
    """Hundredths of an hour as the API writes them: 15167 -> "151.67" (None: full time)."""
    value = FULL_TIME_X100 if hundredths is None else hundredths
    return f"{value // 100}.{value % 100:02d}"


def hours_of(hundredths: int | None) -> Decimal | None:
    """The engine's hours (None: full time)."""
    return None if hundredths is None else Decimal(hundredths) / 100
