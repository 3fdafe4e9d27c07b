"""A cooperative's payroll run for a month, and the payslips it issues. Standard library only.

A run fixes, when it starts, whom it pays and on what terms: the cooperative's
headcount, accident rate and payment date, each member's activity, status,
withholding rate, hours and salary in force; a change made later is next month's.
Who it leaves out (a CESA holder with no activity, no salary, or a salary below the
SMIC for their hours) it says, and why. A cooperative's months are paid in order,
one run at a time: each month's payslips continue the year to date of the month
before.

A run is started for a month at most one month ahead (``RUN_MONTHS_AHEAD``): its
payslips are the month's salaries, paid on its payment date. It can be cancelled
until that date (the payment day the cooperative set, by default the month's last
day), while its salaries are not paid; from that day on they are (``run.paid``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from typing import Protocol

from cae_payroll.domain import engine
from cae_payroll.domain.employees import DEFAULT_TERMS, hours_of
from caekit.period import Period
from caekit.rules import ConflictingState, RuleViolation

WORK_ITEM = 50  # members per work item: a worker's unit, redelivered whole if it dies
RUN_MONTHS_AHEAD = 1  # a run pays at most next month (prepared before the month ends)

# why a run leaves a CESA holder out: the rule codes a run reports in ``left_out``, each
# with what staff read (in French, as the portal shows it)
LEFT_OUT = {
    "employee.no_activity": "aucune activité sur laquelle payer le salaire",
    "salary.none": "aucun salaire choisi pour le mois (ou un salaire de 0)",
    "salary.below_smic": "le salaire en vigueur est inférieur au SMIC pour les heures du "
                         "contrat : choisissez-en un autre, ou changez les heures",
}


class Terms(Protocol):
    staff: int
    at_rate: str


class Employed(Protocol):
    cadre: bool
    withholding_rate: str
    monthly_hours_x100: int | None


class YearSoFar(Protocol):
    last_period: int
    gross_cents: int
    smic: str
    reduction_cents: int


def fixed_terms(staff: int | None, at_rate: str | None) -> tuple[int, str]:
    """The cooperative's terms a run pays (a run started before runs fixed theirs, for
    a cooperative that had set none, pays the defaults)."""
    return (DEFAULT_TERMS["staff"] if staff is None else staff,
            DEFAULT_TERMS["at_rate"] if at_rate is None else at_rate)


def engine_terms(terms: Terms, employee: Employed) -> engine.Employee:
    """The engine's terms of ``employee`` (cadre, withholding rate) under its cooperative's
    ``terms`` (staff, accident rate)."""
    return engine.Employee(cadre=employee.cadre, staff=terms.staff, at_rate=Decimal(terms.at_rate),
                           withholding_rate=Decimal(employee.withholding_rate),
                           hours=hours_of(employee.monthly_hours_x100))


def refuse_too_far_ahead(period: Period, today: date) -> None:
    """A run is for a month at most ``RUN_MONTHS_AHEAD`` after ``today``'s (a month far
    ahead would be paid, posted and would close every month before it)."""
    latest = Period.of(today)
    for _ in range(RUN_MONTHS_AHEAD):
        latest = latest.next()
    if period > latest:
        raise RuleViolation("run.too_far_ahead", f"a payroll run is for a month up to "
                            f"{latest.text}, not {period.text}", ("period",))


def refuse_cancel(status: str, period: Period, paid_on: date, today: date,
                  later: int | None) -> None:
    """A run is cancelled before its payment date (``paid_on``: from that day its
    salaries are paid), once, and only the cooperative's latest month (``later``: a
    later month's run, whose payslips continue this one's year to date)."""
    if status == "cancelled":
        raise ConflictingState("run.cancelled", f"the {period.text} run is already cancelled")
    if today >= paid_on:
        raise RuleViolation("run.paid", f"the {period.text} salaries are paid on "
                            f"{paid_on.isoformat()}: a run can be cancelled only before")
    if later is not None:
        raise RuleViolation("run.not_latest", f"the {Period(later).text} run continues this "
                            f"one's year to date: cancel it first")


def refuse_cancelled(status: str, period: Period) -> None:
    """A cancelled run asks for nothing more."""
    if status == "cancelled":
        raise ConflictingState("run.cancelled", f"the {period.text} run is cancelled: start "
                               "the month again instead")


def refuse_existing(period: Period) -> RuleViolation:
    """A month has one run: one that stopped short is resumed, not started again."""
    return RuleViolation("run.exists", f"the {period.text} run exists: resume it")


def out_of_sequence(period: Period, others: Iterable[tuple[str, int, str]]) -> dict:
    """cooperative -> why its ``period`` cannot start, from its other runs ``others``
    (cooperative, period, status), in order of period: a later month has a run (a
    year's months are paid in order), or an earlier month's run is still running (its
    payslips make the year to date this month's are computed from)."""
    blocked: dict[str, RuleViolation] = {}
    for cooperative, other, status in others:
        other = Period(other)
        if other > period:
            blocked[cooperative] = RuleViolation("run.out_of_order", (
                f"the {other.text} run exists: {period.text} comes too late"))
        elif other < period and status == "running":
            blocked.setdefault(cooperative, RuleViolation("run.previous_running", (
                f"the {other.text} run is still running: start "
                f"{period.text} once it completes (resume it if it is stuck)")))
    return blocked


def work_items(members: list[str]) -> Iterator[list[str]]:
    """A run's members asked for in work items of ``WORK_ITEM``."""
    for start in range(0, len(members), WORK_ITEM):
        yield members[start:start + WORK_ITEM]


def refuse_foreign_item(tenant_id: str | None, cooperative_id: str) -> None:
    """A work item is its run's cooperative's (what it writes is not tenant-filtered)."""
    if cooperative_id != tenant_id:
        raise RuleViolation("event.tenant", "a work item names another cooperative")


def year_to_date(row: YearSoFar | None, period: int) -> engine.YearToDate:
    """The engine's year to date for ``period`` from the member's pay in the months
    before (None: the year's first payslip); a month after one paid comes too late."""
    if row is None:
        return engine.YearToDate()
    if row.last_period >= period:
        raise RuleViolation("payslip.out_of_order", f"{Period(row.last_period).text} is "
                            f"already paid: {Period(period).text} comes too late in the year")
    return engine.YearToDate(row.gross_cents, Decimal(row.smic), row.reduction_cents)


def not_paid_by(member_id: str, run_id: str) -> RuleViolation:
    return RuleViolation("run.member_unknown", f"{member_id} is not paid by run {run_id}")


def year_twice(member_id: str, year: int) -> RuleViolation:
    """A transaction pays a member one month of a year: the next is computed from its
    year to date, once committed."""
    return RuleViolation("payslip.year_twice", f"{member_id} is paid twice for "
                         f"{year} in one transaction")


def unknown_run(run_id: str, period: int) -> RuleViolation:
    return RuleViolation("run.unknown", f"no run {run_id} for {Period(period).text}")
