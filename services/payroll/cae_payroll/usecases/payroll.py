"""The payroll's application layer: salary choices, runs and payslips, on a session.

A run fixes who it pays when it starts (``run_members``) and asks for their payslips
with ``cae.payroll.payslip_requested.v1`` work items of 50 members: payroll workers
(any number of ``cae run payroll`` processes) compete for them on one queue. A
payslip is unique per member and month, and the kit's inbox records each work
item with its payslip, so a killed worker's items, redelivered to another, are
issued once. A run's issued count is added once per transaction, at commit; the
transaction that reaches the expected count completes the run.
"""

from __future__ import annotations

import functools
import json
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

import orjson
from sqlalchemy import (
    String,
    and_,
    any_,
    bindparam,
    func,
    insert,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from cae_contracts.ids import new_id
from cae_payroll.adapters.store import (
    Budget,
    Employee,
    PayrollSettings,
    Payslip,
    Run,
    RunMember,
    SalaryChoice,
    YearToDate,
)
from cae_payroll.domain import engine
from cae_payroll.domain.inversion import gross_for_budget
from caekit import context, outbox
from caekit.db import get_or_insert, insert_rows
from caekit.problems import NotFound

STAFF_OF_BRACKET = {"under_11": 1, "11_to_49": 11, "50_and_more": 50}
WORK_ITEM = 50  # members per work item
NETWORK_STEP = 50  # cooperatives a network start commits at once (~5,000 payslips asked for)
_ISSUED = "payroll_issued"
_WORK = "payroll_run_work"


class RuleViolation(ValueError):
    """A payroll rule refused the operation; ``rule`` is a short stable code."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


def parse_period(text: str) -> int:
    try:
        day = date.fromisoformat(f"{text}-01")
    except (TypeError, ValueError):
        raise RuleViolation("period.invalid", f"a period is a month YYYY-MM, not {text!r}") from None
    return day.year * 100 + day.month


def format_period(period: int) -> str:
    return f"{period // 100:04d}-{period % 100:02d}"


def next_period(period: int) -> int:
    """The month after ``period`` (202612 -> 202701)."""
    return period + 1 if period % 100 < 12 else period + 89


@functools.lru_cache(maxsize=64)
def _month_texts(period: int) -> tuple[str, str]:
    """A period as an event carries it, and its last day (when its salary is paid)."""
    return format_period(period), last_day(period).isoformat()


def first_day(period: int) -> date:
    return date(period // 100, period % 100, 1)


def last_day(period: int) -> date:
    start = first_day(period)
    return start.replace(day=monthrange(start.year, start.month)[1])


# -- read models --------------------------------------------------------------------------------

DEFAULT_TERMS = {"staff": 1, "at_rate": "0.007"}  # of a cooperative that has set none


def settings(session: Session, cooperative_id: str) -> PayrollSettings:
    return get_or_insert(session, PayrollSettings, cooperative_id,
                         cooperative_id=cooperative_id, **DEFAULT_TERMS)


def employee_row(session: Session, cooperative_id: str, member_id: str) -> Employee:
    found = session.get(Employee, (cooperative_id, str(member_id)))
    if found is None:
        found = Employee(cooperative_id=cooperative_id, member_id=str(member_id), cadre=False,
                         withholding_rate="0")
        session.add(found)
    return found


def record_budget(session: Session, cooperative_id: str, activity: str, available: int,
                  as_of: datetime) -> None:
    """The ledger's latest word on an activity's budget (an older event changes nothing)."""
    row = session.get(Budget, (cooperative_id, activity))
    if row is None:
        session.add(Budget(cooperative_id=cooperative_id, activity_code=activity,
                           available_cents=available, as_of=as_of))
    elif _aware(row.as_of) < as_of:
        row.available_cents, row.as_of = available, as_of


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def available(session: Session, cooperative_id: str, activity: str | None) -> int:
    row = session.get(Budget, (cooperative_id, activity)) if activity else None
    return row.available_cents if row is not None else 0


# -- the engine's inputs ------------------------------------------------------------------------

def engine_employee(terms, employee) -> engine.Employee:
    """The engine's terms of ``employee`` (cadre, withholding rate) under its cooperative's
    ``terms`` (staff, accident rate): ORM rows, or a run's cached rows."""
    return engine.Employee(cadre=employee.cadre, staff=terms.staff, at_rate=Decimal(terms.at_rate),
                           withholding_rate=Decimal(employee.withholding_rate))


def year_to_date(session: Session, cooperative_id: str, member_id: str,
                 period: int) -> engine.YearToDate:
    """The member's pay in the months of the year before ``period``."""
    return _engine_ytd(session.get(YearToDate, (cooperative_id, member_id, period // 100)), period)


def _engine_ytd(row: YearToDate | None, period: int) -> engine.YearToDate:
    if row is None:
        return engine.YearToDate()
    if row.last_period >= period:
        raise RuleViolation("payslip.out_of_order", f"{format_period(row.last_period)} is already "
                            f"paid: {format_period(period)} comes too late in the year")
    return engine.YearToDate(row.gross_cents, Decimal(row.smic), row.reduction_cents)


def cesa_employee(session: Session, cooperative_id: str, member_id: str, period: int) -> Employee:
    employee = session.get(Employee, (cooperative_id, str(member_id)))
    if employee is None:
        raise NotFound(f"no entrepreneur {member_id} in this cooperative's payroll")
    if not _employed(employee, period):
        raise RuleViolation("employee.no_cesa", f"{member_id} has no CESA in force in "
                            f"{format_period(period)}")
    if not employee.activity_code:
        raise RuleViolation("employee.no_activity", f"{member_id} has no activity to pay from")
    return employee


def _employed(employee: Employee, period: int) -> bool:
    return (employee.cesa_from is not None and employee.cesa_from <= last_day(period)
            and (employee.cesa_until is None or employee.cesa_until >= first_day(period)))


# -- salary choice and simulation ---------------------------------------------------------------

def simulate(session: Session, cooperative_id: str, member_id: str, period: int,
             gross_cents: int | None = None) -> tuple[engine.Payslip, int, int]:
    """(the payslip of ``gross_cents`` - by default the largest the budget pays -, the
    available budget, the largest gross it pays)."""
    employee = cesa_employee(session, cooperative_id, member_id, period)
    terms = engine_employee(settings(session, cooperative_id), employee)
    ytd = year_to_date(session, cooperative_id, employee.member_id, period)
    budget = available(session, cooperative_id, employee.activity_code)
    best = gross_for_budget(first_day(period), budget, terms, ytd)
    slip = engine.payslip(first_day(period), best if gross_cents is None else gross_cents, terms, ytd)
    return slip, budget, best


def choose_salary(session: Session, cooperative_id: str, member_id: str, period: int,
                  gross_cents: int, override_reason: str | None) -> SalaryChoice:
    """Next months' gross; refused above the budget (with the shortfall) unless staff
    override it with a reason, and for a month whose run has started (it has fixed the
    salaries it pays)."""
    who = context.caller.get()
    started = session.scalar(select(func.max(Run.period)).where(Run.period >= period))
    if started is not None:
        raise RuleViolation("salary.month_closed", (
            f"the {format_period(started)} payroll run has started and pays the salaries in "
            f"force then: choose this salary from {format_period(next_period(started))}"))
    slip, budget, best = simulate(session, cooperative_id, member_id, period, gross_cents)
    shortfall = slip.employer_cost_cents - budget
    employee = session.get(Employee, (cooperative_id, str(member_id)))
    if shortfall > 0:
        if override_reason is None:
            raise RuleViolation("budget.exceeded", (
                f"this salary costs {slip.employer_cost_cents / 100:.2f} EUR and the activity's "
                f"available budget is {budget / 100:.2f} EUR: {shortfall / 100:.2f} EUR short; "
                f"the budget pays at most {best / 100:.2f} EUR gross"))
        if not who.has_any({"staff", "admin"}):
            raise RuleViolation("budget.override_by_staff", "only staff can override the budget")
        outbox.publish(session, "cae.payroll.budget_exceeded.v1", {
            "cooperative_id": cooperative_id, "member_id": str(member_id),
            "activity_code": employee.activity_code, "period": format_period(period),
            "gross_cents": gross_cents, "employer_cost_cents": slip.employer_cost_cents,
            "available_cents": budget, "shortfall_cents": shortfall, "reason": override_reason,
        }, tenant_id=cooperative_id)
    values = {"gross_cents": gross_cents, "employer_cost_cents": slip.employer_cost_cents,
              "available_cents": budget, "override_reason": override_reason if shortfall > 0 else None,
              "chosen_by": who.subject[:100], "chosen_at": datetime.now(UTC)}
    choice = session.get(SalaryChoice, (cooperative_id, str(member_id), period))
    if choice is None:
        choice = SalaryChoice(cooperative_id=cooperative_id, member_id=str(member_id), period=period,
                              **values)
        session.add(choice)
    else:
        for name, value in values.items():
            setattr(choice, name, value)
    return choice


# -- runs ---------------------------------------------------------------------------------------

def start_run(session: Session, cooperative_id: str, period: int) -> Run:
    """Fix who the month pays and ask the workers for their payslips."""
    if session.scalar(select(Run.id).where(Run.period == period)):
        raise RuleViolation("run.exists", f"the {format_period(period)} run exists: resume it")
    blocked = _out_of_sequence(session, period, [cooperative_id])
    if cooperative_id in blocked:
        raise blocked[cooperative_id]
    return _start_runs(session, [cooperative_id], period)[0]


def start_network_runs(session: Session, period: int, commit=None) -> tuple[list[Run], dict]:
    """The month's run of every cooperative payroll knows and that has none yet (a network
    operator's monthly start): (the runs started, cooperative -> why its month cannot
    start yet). With ``commit``, called every ``NETWORK_STEP`` cooperatives (the last step
    is the caller's to commit), the workers begin on the first runs while the others
    start; a start interrupted part-way is finished by starting the month again, which
    skips the cooperatives started already."""
    everyone = {"all_tenants": True}
    cooperatives = set(session.scalars(select(PayrollSettings.cooperative_id)
                                       .execution_options(**everyone)))
    started = set(session.scalars(select(Run.cooperative_id).where(Run.period == period)
                                  .execution_options(**everyone)))
    blocked = _out_of_sequence(session, period)
    remaining = sorted(cooperatives - started - set(blocked))
    step = NETWORK_STEP if commit else max(len(remaining), 1)
    runs: list[Run] = []
    for first in range(0, len(remaining), step):
        if runs:
            commit()
        runs += _start_runs(session, remaining[first:first + step], period)
    return runs, blocked


def _out_of_sequence(session: Session, period: int, cooperatives: list[str] | None = None) -> dict:
    """cooperative -> why its ``period`` cannot start: a later month has a run (a year's
    months are paid in order), or an earlier month's run is still running (its payslips
    make the year to date this month's are computed from). Of ``cooperatives``, or all."""
    query = select(Run.cooperative_id, Run.period).where(
        or_(Run.period > period, and_(Run.period < period, Run.status == "running")))
    if cooperatives is None:
        query = query.execution_options(all_tenants=True)
    else:
        query = query.where(Run.cooperative_id.in_(cooperatives))
    blocked: dict[str, RuleViolation] = {}
    for cooperative, other in session.execute(query.order_by(Run.period)):
        if other > period:
            blocked[cooperative] = RuleViolation("run.out_of_order", (
                f"the {format_period(other)} run exists: {format_period(period)} comes too late"))
        else:
            blocked.setdefault(cooperative, RuleViolation("run.previous_running", (
                f"the {format_period(other)} run is still running: start "
                f"{format_period(period)} once it completes (resume it if it is stuck)")))
    return blocked


def _start_runs(session: Session, cooperatives: list[str], period: int) -> list[Run]:
    """The runs of ``cooperatives``: each fixes whom it pays and on what terms (the
    cooperative's, and each member's activity, status, withholding rate and salary in
    force), then asks for their payslips. A few statements whatever the number of
    cooperatives (each names them); the members go from the read models to
    ``run_members`` inside the database, their ids only come back."""
    terms = _cooperative_terms(session, cooperatives)
    who = context.caller.get().subject[:100]
    now = datetime.now(UTC)
    runs = [Run(id=new_id(), cooperative_id=cooperative, period=period,
                status="running", expected=0, issued=0, started_at=now,
                started_by=who, **terms.get(cooperative, DEFAULT_TERMS))
            for cooperative in cooperatives]
    session.add_all(runs)
    paid = _fix_members(session, runs, period)
    for run in runs:
        members = paid[run.id]
        set_committed_value(run, "expected", len(members))  # written by _fix_members
        outbox.publish(session, "cae.payroll.run_started.v1", {
            "run_id": run.id, "cooperative_id": run.cooperative_id,
            "period": format_period(period), "payslips_expected": run.expected,
            "started_by": who}, tenant_id=run.cooperative_id)
        _request(session, run, members)
        if not run.expected:
            _complete(session, run)
    return runs


def _cooperative_terms(session: Session, cooperatives: list[str]) -> dict:
    """cooperative -> its staff and accident rate, of those that have set them."""
    query = (select(PayrollSettings.cooperative_id, PayrollSettings.staff, PayrollSettings.at_rate)
             .where(PayrollSettings.cooperative_id.in_(cooperatives))
             .execution_options(all_tenants=True))  # the cooperatives are named
    return {cooperative: {"staff": staff, "at_rate": at_rate}
            for cooperative, staff, at_rate in session.execute(query)}


def _fix_members(session: Session, runs: list[Run], period: int) -> dict:
    """Write ``runs``' members with their terms (those with a CESA in force, an activity
    and a salary in ``period``: the rule of ``_employed`` and ``cesa_employee``, in SQL)
    and their count; run id -> its member ids, sorted."""
    session.flush()  # the runs, which the statements join
    ids = [run.id for run in runs]
    salary = _salary_in_force(Employee.cooperative_id, Employee.member_id, period)
    candidates = (
        select(Employee.cooperative_id, Run.id.label("run_id"), Employee.member_id,
               Employee.activity_code, Employee.cadre,
               func.coalesce(Employee.withholding_rate, "0").label("withholding_rate"),
               salary.label("gross_cents"))
        .join(Run, and_(Run.cooperative_id == Employee.cooperative_id, Run.id.in_(ids)))
        .where(Employee.cooperative_id.in_([run.cooperative_id for run in runs]),  # by index
               Employee.cesa_from <= last_day(period),
               or_(Employee.cesa_until.is_(None), Employee.cesa_until >= first_day(period)),
               Employee.activity_code.is_not(None), Employee.activity_code != "")
        .offset(0)  # a fence: the salary's subquery is run once a member, not once more to filter
        .subquery())
    fixed = session.connection().execute(  # Core: the runs are named, no tenant filter
        insert(RunMember.__table__).from_select(list(candidates.c), select(candidates).where(
            candidates.c.gross_cents > 0)).returning(RunMember.run_id, RunMember.member_id))
    paid: dict[str, list] = {run_id: [] for run_id in ids}
    for run_id, member in fixed:
        paid[run_id].append(member)
    for members in paid.values():  # here, not in SQL: a network's members overflow its sort memory
        members.sort()
    session.connection().execute(update(_runs).where(_runs.c.id.in_(ids)).values(
        expected=select(func.count()).where(RunMember.run_id == _runs.c.id).scalar_subquery()))
    return paid


def _salary_in_force(cooperative, member, period: int):
    """The gross of ``member``'s latest salary choice from a month <= ``period`` (a
    correlated subquery on the columns given)."""
    return (select(SalaryChoice.gross_cents)
            .where(SalaryChoice.cooperative_id == cooperative, SalaryChoice.member_id == member,
                   SalaryChoice.period <= period)
            .order_by(SalaryChoice.period.desc()).limit(1).scalar_subquery())


def resume_run(session: Session, run: Run) -> int:
    """Ask again for the payslips a run has not issued yet (duplicates are harmless)."""
    issued = set(session.scalars(select(Payslip.member_id).where(Payslip.run_id == run.id)))
    missing = [m for m in session.scalars(select(RunMember.member_id).where(
        RunMember.run_id == run.id).order_by(RunMember.member_id)) if m not in issued]
    _request(session, run, missing)
    return len(missing)


def _request(session: Session, run: Run, members: list[str]) -> None:
    """One work item per WORK_ITEM members: a worker's unit, redelivered whole if it dies."""
    for start in range(0, len(members), WORK_ITEM):
        outbox.publish(session, "cae.payroll.payslip_requested.v1", {
            "run_id": run.id, "cooperative_id": run.cooperative_id,
            "member_ids": members[start:start + WORK_ITEM], "period": format_period(run.period)},
            tenant_id=run.cooperative_id)


def issue_payslips(session: Session, cooperative_id: str, run_id: str, member_ids: list[str],
                   period: int) -> None:
    """A work item: its members' payslips (what they need loaded in one query)."""
    work = _run_work(session, cooperative_id, run_id, period, member_ids)
    for member_id in member_ids:
        _issue(session, work, cooperative_id, run_id, member_id, period)


def issue_payslip(session: Session, cooperative_id: str, run_id: str, member_id: str,
                  period: int) -> dict | None:
    """A worker's share of a run: one payslip, its year to date, its event.

    What a transaction issues is written at commit, a statement per table for all its
    payslips, without the ORM's unit of work (``_write_issued``)."""
    return _issue(session, _run_work(session, cooperative_id, run_id, period, [member_id]),
                  cooperative_id, run_id, member_id, period)


def _issue(session: Session, work: _RunWork, cooperative_id: str, run_id: str, member_id: str,
           period: int) -> dict | None:
    member = work.members.get(member_id)
    if member is None or member.activity_code is None or member.gross_cents is None:
        raise RuleViolation("run.member_unknown", f"{member_id} is not paid by run {run_id}")
    pending = outbox.transaction_work(session, _ISSUED, _Issued, _write_issued)
    paid_in = pending.periods.get((member_id, period // 100))  # by this transaction
    if member.issued or paid_in == period:
        return None  # issued already (by this run, redelivered, or an earlier run of the month)
    if paid_in is not None:  # two months of a year: one at a time
        raise RuleViolation("payslip.year_twice", f"{member_id} is paid twice for "
                            f"{period // 100} in one transaction")
    terms = work.terms.get((member.cadre, member.withholding_rate))
    if terms is None:
        terms = work.terms[member.cadre, member.withholding_rate] = engine_employee(work, member)
    slip = engine.payslip(first_day(period), member.gross_cents, terms,
                          _engine_ytd(member.year_to_date, period))
    row = dict(
        id=new_id(), cooperative_id=cooperative_id, run_id=run_id, member_id=member_id,
        activity_code=member.activity_code, period=period, cadre=member.cadre,
        gross_cents=slip.gross_cents, employee_contributions_cents=slip.employee_contributions_cents,
        employer_contributions_cents=slip.employer_contributions_cents,
        net_social_cents=slip.net_social_cents, net_taxable_cents=slip.net_taxable_cents,
        net_before_tax_cents=slip.net_before_tax_cents, withholding_rate=member.withholding_rate,
        withholding_tax_cents=slip.withholding_tax_cents, net_paid_cents=slip.net_paid_cents,
        employer_cost_cents=slip.employer_cost_cents, urssaf_cents=slip.urssaf_cents,
        other_bodies_cents=slip.other_bodies_cents,
        reduction_coefficient=str(slip.reduction_coefficient), lines=lines_json(slip),
        year_gross_cents=slip.year_to_date.gross_cents, issued_at=datetime.now(UTC))
    after = slip.year_to_date  # the year to date after this month
    pending.periods[member_id, period // 100] = period
    pending.payslips.append(row)
    # the year's first payslip inserts the member's year to date (COPY: a row another
    # transaction inserted meanwhile is a conflict that rolls back and retries, not an
    # overwrite), a later one updates it
    ytd = {"cooperative_id": cooperative_id, "member_id": member_id, "year": period // 100,
        "last_period": period, "gross_cents": after.gross_cents, "smic": str(after.smic),
        "reduction_cents": after.reduction_cents}
    if member.year_to_date:  # updated only if still what this payslip was computed from
        pending.year_to_date.append({**ytd, "previous_period": member.year_to_date.last_period})
    else:
        pending.new_year_to_date.append(ytd)
    pending.runs[run_id] = pending.runs.get(run_id, 0) + 1
    outbox.publish(session, "cae.payroll.payslip_issued.v1", payslip_issued(row),
                   tenant_id=cooperative_id)
    return row


@dataclass
class _Issued:
    """What a transaction issued, written at commit."""

    payslips: list = field(default_factory=list)
    new_year_to_date: list = field(default_factory=list)  # rows to insert
    year_to_date: list = field(default_factory=list)  # rows to update
    runs: dict = field(default_factory=dict)  # run id -> payslips issued
    periods: dict = field(default_factory=dict)  # (member id, year) -> the month paid


@dataclass
class _RunWork:
    """What a transaction needs to issue a run's payslips, loaded in one query."""

    staff: int  # the cooperative's terms
    at_rate: str
    members: dict  # member id -> _Member, of those asked for that the run pays
    asked: set = field(default_factory=set)  # member ids loaded (or known not to be paid)
    terms: dict = field(default_factory=dict)  # (cadre, withholding rate) -> engine.Employee


class _YearToDateRow(NamedTuple):
    last_period: int
    gross_cents: int
    smic: str
    reduction_cents: int


class _Member(NamedTuple):
    activity_code: str | None
    cadre: bool
    withholding_rate: str
    gross_cents: int | None  # the salary in force
    year_to_date: _YearToDateRow | None
    issued: bool  # a payslip of the month exists (the year to date's last month is it)


def _run_work(session: Session, cooperative_id: str, run_id: str, period: int,
              member_ids: list[str]) -> _RunWork:
    """The run's work for ``member_ids``, loaded once a transaction (a work item's members
    in one query: a cooperative of 2,000 would cost each item its whole run)."""
    runs = outbox.transaction_work(session, _WORK, dict)
    work = runs.get(run_id)
    missing = member_ids if work is None else [m for m in member_ids if m not in work.asked]
    if not missing:
        return work
    query = _RUN_WORK[session.get_bind().dialect.name == "postgresql"]
    rows = session.connection().execute(query, {  # Core, as in _write_issued
        "cooperative_id": cooperative_id, "run_id": run_id, "period": period,
        "year": period // 100, "members": missing}).all()
    if not rows:
        raise RuleViolation("run.unknown", f"no run {run_id} for {format_period(period)}")
    if work is None:
        staff, at_rate = rows[0][:2]
        work = runs[run_id] = _RunWork(
            DEFAULT_TERMS["staff"] if staff is None else staff,
            DEFAULT_TERMS["at_rate"] if at_rate is None else at_rate, {})
    work.asked.update(missing)
    for (_staff, _at_rate, member_id, activity, cadre, withholding, gross, last_period, year_gross,
         smic, reduction) in rows:  # unpacked: a Row's attributes cost ~1 us each
        if member_id is not None:
            work.members[member_id] = _Member(
                activity, bool(cadre), withholding or "0", gross,
                None if last_period is None else _YearToDateRow(
                    last_period, year_gross, smic, reduction),
                # the year to date is written with each payslip, in its transaction
                last_period == period)
    return work


def _run_work_query(postgresql: bool):
    """A run with the terms it fixed and, a row each, the members asked for with theirs
    and their year to date (whose last month tells whether this one is paid already):
    one round trip for a work item. Built once (building it costs more than running
    it); every table is filtered by the run's cooperative, so the tenant filter's
    criteria would only cost."""
    cooperative = bindparam("cooperative_id")
    member = RunMember.member_id
    ytd = YearToDate.__table__
    of_member = and_(ytd.c.cooperative_id == cooperative, ytd.c.member_id == member,
                     ytd.c.year == bindparam("year"))
    if postgresql:  # looked up member by member: a lateral subquery behind a fence (OFFSET),
        # or the planner, misled by a new table's statistics, scans all the cooperative's
        # rows for each member (quadratic in its size; 40% of the query at 100 members)
        ytd = select(ytd).where(of_member).offset(0).lateral()
        of_member = true()
    return (
        select(Run.staff, Run.at_rate, member, RunMember.activity_code, RunMember.cadre,
               RunMember.withholding_rate, RunMember.gross_cents,
               ytd.c.last_period, ytd.c.gross_cents.label("year_gross_cents"),
               ytd.c.smic, ytd.c.reduction_cents)
        .select_from(Run)
        .outerjoin(RunMember, and_(RunMember.cooperative_id == cooperative,
                                   RunMember.run_id == Run.id,
                                   # on PostgreSQL one array parameter, not one a member
                                   member == any_(bindparam("members", type_=ARRAY(String)))
                                   if postgresql else
                                   member.in_(bindparam("members", expanding=True))))
        .outerjoin(ytd, of_member)
        .where(Run.cooperative_id == cooperative, Run.id == bindparam("run_id"),
               Run.period == bindparam("period"))
        .execution_options(all_tenants=True))


_RUN_WORK = {True: _run_work_query(True), False: _run_work_query(False)}

def lines_json(slip: engine.Payslip) -> str:
    """The lines as compact JSON: [code, base, employee rate, employee, employer rate,
    employer] (labels and collecting bodies come back from the period's rate table)."""
    return orjson.dumps([
        (x.code, x.base_cents, None if x.employee_rate is None else str(x.employee_rate),
         x.employee_cents, None if x.employer_rate is None else str(x.employer_rate),
         x.employer_cents) for x in slip.lines]).decode()


def lines_of(row: Payslip) -> list[dict]:
    table = engine.table_for(first_day(row.period))
    labels = {line.code: (line.label, line.body) for line in table.lines}
    labels["reduction_generale"] = (engine.REDUCTION_LABEL[table.reduction["kind"]], "urssaf")
    lines = []
    for code, base, employee_rate, employee, employer_rate, employer in json.loads(row.lines):
        label, body = labels.get(code, (code, "urssaf"))
        lines.append({"code": code, "label": label, "base_cents": base,
                      "employee_rate": employee_rate, "employee_cents": employee,
                      "employer_rate": employer_rate, "employer_cents": employer, "body": body})
    return lines


def payslip_issued(row: dict) -> dict:
    period, paid_on = _month_texts(row["period"])
    return {
        "payslip_id": row["id"], "run_id": row["run_id"], "cooperative_id": row["cooperative_id"],
        "member_id": row["member_id"], "activity_code": row["activity_code"],
        "period": period, "paid_on": paid_on,
        **{name: row[name] for name in (
            "gross_cents", "employee_contributions_cents", "employer_contributions_cents",
            "withholding_tax_cents", "net_paid_cents", "urssaf_cents", "other_bodies_cents")},
    }


def _write_issued(session: Session, issued: _Issued) -> None:
    """The transaction's payslips, year to date and run counters, written at commit."""
    insert_rows(session, Payslip, issued.payslips)  # COPY on PostgreSQL
    insert_rows(session, YearToDate, issued.new_year_to_date)
    _update_year_to_date(session, issued.year_to_date)
    connection = session.connection()  # Core: the ORM's execution path only costs
    for run_id, n in sorted(issued.runs.items()):
        done, expected, cooperative, period = connection.execute(
            _ADD_ISSUED, {"run": run_id, "n": n}).one()
        if done >= expected:
            completed = connection.execute(_COMPLETE, {"run": run_id, "at": datetime.now(UTC)})
            if completed.first() is not None:  # not completed by an earlier transaction
                _run_completed(session, run_id, cooperative, period, done)


# Core statements, built once: the ORM's bulk update path costs ~0.5 ms a statement
_runs = Run.__table__
_ADD_ISSUED = (update(_runs).where(_runs.c.id == bindparam("run"))
               .values(issued=_runs.c.issued + bindparam("n"))
               .returning(_runs.c.issued, _runs.c.expected, _runs.c.cooperative_id, _runs.c.period))
_COMPLETE = (update(_runs).where(_runs.c.id == bindparam("run"), _runs.c.status != "completed")
             .values(status="completed", completed_at=bindparam("at")).returning(_runs.c.id))

# the rows as one JSON parameter: dumped far faster than 7 arrays by psycopg, and an
# UPDATE costs PostgreSQL less than INSERT ... ON CONFLICT DO UPDATE (~17 us a row)
_UPDATE_YTD_POSTGRESQL = text(
    "UPDATE year_to_date AS y SET last_period = r.last_period, gross_cents = r.gross_cents, "
    "smic = r.smic, reduction_cents = r.reduction_cents "
    "FROM json_to_recordset(CAST(:rows AS json)) AS r(cooperative_id varchar, "
    "member_id varchar, year integer, last_period integer, gross_cents bigint, smic varchar, "
    "reduction_cents bigint, previous_period integer) "
    "WHERE y.cooperative_id = r.cooperative_id AND y.member_id = r.member_id "
    "AND y.year = r.year AND y.last_period = r.previous_period")


def _update_year_to_date(session: Session, rows: list[dict]) -> None:
    """The members' year to date replaced (in one statement on PostgreSQL), each only if
    it is still the one its payslip was computed from."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        updated = connection.execute(_UPDATE_YTD_POSTGRESQL,
                                     {"rows": orjson.dumps(rows).decode()}).rowcount
    else:  # row by row, with the same guard (SQLite: tests and the demo)
        updated = connection.execute(_UPDATE_YTD, [{f"new_{k}": v for k, v in row.items()}
                                                   for row in rows]).rowcount
    if updated != len(rows):  # another transaction paid a month meanwhile: retried
        raise RuntimeError(f"{len(rows) - updated} year-to-date rows changed meanwhile")


_ytd = YearToDate.__table__
_UPDATE_YTD = (update(_ytd).where(  # bound as new_<key> of the rows: a column's own name is taken
    _ytd.c.cooperative_id == bindparam("new_cooperative_id"),
    _ytd.c.member_id == bindparam("new_member_id"), _ytd.c.year == bindparam("new_year"),
    _ytd.c.last_period == bindparam("new_previous_period"))
    .values(**{name: bindparam(f"new_{name}")
               for name in ("last_period", "gross_cents", "smic", "reduction_cents")}))


def _complete(session: Session, run: Run) -> None:
    if run.status == "completed":
        return
    run.status, run.completed_at = "completed", datetime.now(UTC)
    _run_completed(session, run.id, run.cooperative_id, run.period, run.issued)


def _run_completed(session: Session, run_id: str, cooperative: str, period: int,
                   payslips: int) -> None:
    outbox.publish(session, "cae.payroll.run_completed.v1", {
        "run_id": run_id, "cooperative_id": cooperative, "period": format_period(period),
        "payslips": payslips}, tenant_id=cooperative)


def parse_rate(text: str, name: str) -> str:
    try:
        value = Decimal(text)
    except (InvalidOperation, TypeError):
        raise RuleViolation("rate.invalid", f"{name} is a decimal rate, e.g. 0.075") from None
    if not value.is_finite() or not 0 <= value < 1:
        raise RuleViolation("rate.invalid", f"{name} must be between 0 and 1")
    return str(value)
