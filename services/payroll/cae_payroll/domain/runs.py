"""A cooperative's payroll run for a month, and the payslips it issues. Standard library only.

A run fixes, when it starts, whom it pays and on what terms: the cooperative's
headcount and accident rate, each member's activity, status, withholding rate and
salary in force; a change made later is next month's. A cooperative's months are
paid in order, one run at a time: each month's payslips continue the year to date
of the month before.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Protocol

from cae_payroll.domain import engine
from cae_payroll.domain.employees import DEFAULT_TERMS
from caekit.period import Period
from caekit.rules import RuleViolation

WORK_ITEM = 50  # members per work item: a worker's unit, redelivered whole if it dies


class Terms(Protocol):
    staff: int
    at_rate: str


class Employed(Protocol):
    cadre: bool
    withholding_rate: str


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
                           withholding_rate=Decimal(employee.withholding_rate))


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
