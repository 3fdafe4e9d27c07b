"""Simulating a salary and choosing one within the activity's budget."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cae_payroll.adapters.store import Run, SalaryChoice
from cae_payroll.domain import engine
from cae_payroll.domain.employees import hours_of, hours_text
from cae_payroll.domain.inversion import gross_for_budget
from cae_payroll.domain.runs import engine_terms
from cae_payroll.domain.salaries import (
    accepted_shortfall,
    refuse_below_smic,
    refuse_closed_month,
    refuse_too_far_ahead,
)
from cae_payroll.usecases.clock import today
from cae_payroll.usecases.employees import available, payable_employee, settings, year_to_date
from caekit import context, outbox
from caekit.period import Period

OVERRIDERS = {"staff", "admin"}  # who may choose a salary above the budget, with a reason


class Simulation(NamedTuple):
    period: Period
    slip: engine.Payslip  # of the gross asked for, by default the largest the budget pays
    available_cents: int
    budget_pays_gross_cents: int  # the largest gross the budget pays
    activity_code: str  # the activity whose budget pays it
    minimum_gross_cents: int  # the SMIC for the contract's hours
    monthly_hours: str  # the contract's hours, "151.67" full time

    @property
    def fits(self) -> bool:
        return self.slip.employer_cost_cents <= self.available_cents


def next_month() -> Period:
    """The month a simulation is of unless told."""
    return Period.of(today()).next()


def simulate(session: Session, cooperative_id: str, member_id: str, period: Period | None = None,
             gross_cents: int | None = None) -> Simulation:
    """What ``gross_cents`` (by default the largest gross the budget pays) costs and pays
    in ``period`` (by default next month, at most ``SALARY_MONTHS_AHEAD`` ahead)."""
    period = next_month() if period is None else Period(period)
    refuse_too_far_ahead(period, today())
    employee = payable_employee(session, cooperative_id, member_id, period)
    terms = engine_terms(settings(session, cooperative_id), employee)
    ytd = year_to_date(session, cooperative_id, employee.member_id, period)
    budget = available(session, cooperative_id, employee.activity_code)
    month = period.first_day
    best = gross_for_budget(month, budget, terms, ytd)
    slip = engine.payslip(month, best if gross_cents is None else gross_cents, terms, ytd)
    return Simulation(period, slip, budget, best, employee.activity_code,
                      engine.minimum_gross_cents(month, hours_of(employee.monthly_hours_x100)),
                      hours_text(employee.monthly_hours_x100))


def choose_salary(session: Session, cooperative_id: str, member_id: str, period: Period,
                  gross_cents: int, override_reason: str | None) -> SalaryChoice:
    """Next months' gross; refused below the SMIC for the contract's hours (0: no
    salary), above the budget (with the shortfall) unless staff override it with a
    reason, for a month whose run has started (it has fixed the salaries it pays; a
    cancelled run does not count) and more than ``SALARY_MONTHS_AHEAD`` months ahead."""
    who = context.caller.get()
    period = Period(period)
    refuse_too_far_ahead(period, today())
    refuse_closed_month(session.scalar(select(func.max(Run.period)).where(
        Run.period >= period, Run.status != "cancelled")))
    simulated = simulate(session, cooperative_id, member_id, period, gross_cents)
    refuse_below_smic(gross_cents, simulated.minimum_gross_cents, simulated.monthly_hours)
    cost, budget = simulated.slip.employer_cost_cents, simulated.available_cents
    shortfall = accepted_shortfall(cost, budget, simulated.budget_pays_gross_cents,
                                   override_reason, who.has_any(OVERRIDERS))
    if shortfall:
        outbox.publish(session, "cae.payroll.budget_exceeded.v1", {
            "cooperative_id": cooperative_id, "member_id": str(member_id),
            "activity_code": simulated.activity_code, "period": period.text,
            "gross_cents": gross_cents, "employer_cost_cents": cost,
            "available_cents": budget, "shortfall_cents": shortfall, "reason": override_reason,
        }, tenant_id=cooperative_id)
    values = {"gross_cents": gross_cents, "employer_cost_cents": cost,
              "available_cents": budget, "override_reason": override_reason if shortfall else None,
              "chosen_by": who.subject[:100], "chosen_at": datetime.now(UTC)}
    choice = session.get(SalaryChoice, (cooperative_id, str(member_id), period))
    if choice is None:
        choice = SalaryChoice(cooperative_id=cooperative_id, member_id=str(member_id),
                              period=int(period), **values)
        session.add(choice)
    else:
        for name, value in values.items():
            setattr(choice, name, value)
    return choice
