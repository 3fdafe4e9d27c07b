"""Starting, resuming and completing a cooperative's payroll run for a month.

A run fixes who it pays when it starts (``run_members``) and asks for their payslips
with ``cae.payroll.payslip_requested.v1`` work items of ``WORK_ITEM`` members: payroll
workers (any number of ``cae run payroll`` processes) compete for them on one queue
and issue them (``usecases.payslips``). The transaction that issues the run's last
expected payslip completes it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from cae_contracts.ids import new_id
from cae_payroll.adapters.store import (
    Employee,
    PayrollSettings,
    Payslip,
    Run,
    RunMember,
    SalaryChoice,
)
from cae_payroll.domain.employees import DEFAULT_TERMS
from cae_payroll.domain.runs import out_of_sequence, refuse_existing, work_items
from caekit import context, outbox
from caekit.period import Period
from caekit.rules import UnknownRecord

NETWORK_STEP = 50  # cooperatives a network start commits at once (~5,000 payslips asked for)


def get_run(session: Session, run_id: str) -> Run:
    """The cooperative's run ``run_id``."""
    found = session.scalar(select(Run).where(Run.id == str(run_id)))
    if found is None:
        raise UnknownRecord("run.unknown", f"no payroll run {run_id} in this cooperative")
    return found


def start_run(session: Session, cooperative_id: str, period: int) -> Run:
    """Fix who the month pays and ask the workers for their payslips."""
    period = Period(period)
    if session.scalar(select(Run.id).where(Run.period == period)):
        raise refuse_existing(period)
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
    period = Period(period)
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


def due_cooperatives(session: Session, day: date) -> list[str]:
    """The cooperatives whose run day is ``day``'s."""
    return list(session.scalars(select(PayrollSettings.cooperative_id).where(
        PayrollSettings.run_day == day.day)))


def start_scheduled_run(session: Session, cooperative_id: str, day: date) -> Run | None:
    """On the cooperative's run day, its month's run if nobody has started it (refused
    while the previous month's still runs: a later hour of the day starts it)."""
    period = Period.of(day)
    if session.scalar(select(Run.id).where(Run.period == period)) is not None:
        return None
    return start_run(session, cooperative_id, period)


def resume_run(session: Session, run: Run) -> int:
    """Ask again for the payslips a run has not issued yet (duplicates are harmless)."""
    issued = set(session.scalars(select(Payslip.member_id).where(Payslip.run_id == run.id)))
    missing = [m for m in session.scalars(select(RunMember.member_id).where(
        RunMember.run_id == run.id).order_by(RunMember.member_id)) if m not in issued]
    _request(session, run, missing)
    return len(missing)


def _out_of_sequence(session: Session, period: Period,
                     cooperatives: list[str] | None = None) -> dict:
    """cooperative -> why its ``period`` cannot start (``domain.runs.out_of_sequence``),
    of ``cooperatives``, or all."""
    query = select(Run.cooperative_id, Run.period, Run.status).where(
        or_(Run.period > period, and_(Run.period < period, Run.status == "running")))
    if cooperatives is None:
        query = query.execution_options(all_tenants=True)
    else:
        query = query.where(Run.cooperative_id.in_(cooperatives))
    return out_of_sequence(period, session.execute(query.order_by(Run.period)))


def _start_runs(session: Session, cooperatives: list[str], period: Period) -> list[Run]:
    """The runs of ``cooperatives``: each fixes whom it pays and on what terms (the
    cooperative's, and each member's activity, status, withholding rate and salary in
    force), then asks for their payslips. A few statements whatever the number of
    cooperatives (each names them); the members go from the read models to
    ``run_members`` inside the database, their ids only come back."""
    terms = _cooperative_terms(session, cooperatives)
    who = context.caller.get().subject[:100]
    now = datetime.now(UTC)
    runs = [Run(id=new_id(), cooperative_id=cooperative, period=int(period),
                status="running", expected=0, issued=0, started_at=now,
                started_by=who, **terms.get(cooperative, DEFAULT_TERMS))
            for cooperative in cooperatives]
    session.add_all(runs)
    paid = _fix_members(session, runs, period)
    for started in runs:
        members = paid[started.id]
        set_committed_value(started, "expected", len(members))  # written by _fix_members
        outbox.publish(session, "cae.payroll.run_started.v1", {
            "run_id": started.id, "cooperative_id": started.cooperative_id,
            "period": period.text, "payslips_expected": started.expected,
            "started_by": who}, tenant_id=started.cooperative_id)
        _request(session, started, members)
        if not started.expected:
            complete(session, started)
    return runs


def _cooperative_terms(session: Session, cooperatives: list[str]) -> dict:
    """cooperative -> its staff and accident rate, of those that have set them."""
    query = (select(PayrollSettings.cooperative_id, PayrollSettings.staff, PayrollSettings.at_rate)
             .where(PayrollSettings.cooperative_id.in_(cooperatives))
             .execution_options(all_tenants=True))  # the cooperatives are named
    return {cooperative: {"staff": staff, "at_rate": at_rate}
            for cooperative, staff, at_rate in session.execute(query)}


_runs = Run.__table__


def _fix_members(session: Session, runs: list[Run], period: Period) -> dict:
    """Write ``runs``' members with their terms (those with a CESA in force, an activity
    and a salary in ``period``: the rules of ``domain.employees.refuse_unpaid``, in SQL)
    and their count; run id -> its member ids, sorted."""
    session.flush()  # the runs, which the statements join
    ids = [each.id for each in runs]
    salary = _salary_in_force(Employee.cooperative_id, Employee.member_id, period)
    candidates = (
        select(Employee.cooperative_id, Run.id.label("run_id"), Employee.member_id,
               Employee.activity_code, Employee.cadre,
               func.coalesce(Employee.withholding_rate, "0").label("withholding_rate"),
               salary.label("gross_cents"))
        .join(Run, and_(Run.cooperative_id == Employee.cooperative_id, Run.id.in_(ids)))
        .where(Employee.cooperative_id.in_([each.cooperative_id for each in runs]),  # by index
               Employee.cesa_from <= period.last_day,
               or_(Employee.cesa_until.is_(None), Employee.cesa_until >= period.first_day),
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
                   SalaryChoice.period <= int(period))
            .order_by(SalaryChoice.period.desc()).limit(1).scalar_subquery())


def _request(session: Session, run: Run, members: list[str]) -> None:
    """The work items asking for ``members``' payslips (``domain.runs.work_items``)."""
    period = Period(run.period).text
    for item in work_items(members):
        outbox.publish(session, "cae.payroll.payslip_requested.v1", {
            "run_id": run.id, "cooperative_id": run.cooperative_id,
            "member_ids": item, "period": period}, tenant_id=run.cooperative_id)


def complete(session: Session, run: Run) -> None:
    if run.status == "completed":
        return
    run.status, run.completed_at = "completed", datetime.now(UTC)
    run_completed(session, run.id, run.cooperative_id, run.period, run.issued)


def run_completed(session: Session, run_id: str, cooperative: str, period: int,
                  payslips: int) -> None:
    """The run's last payslip is issued: announced."""
    outbox.publish(session, "cae.payroll.run_completed.v1", {
        "run_id": run_id, "cooperative_id": cooperative, "period": Period(period).text,
        "payslips": payslips}, tenant_id=cooperative)
