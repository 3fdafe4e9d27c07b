"""Starting, listing, resuming, completing and cancelling a cooperative's payroll run
for a month.

A run fixes who it pays when it starts (``run_members``, with those it leaves out and
why) and asks for their payslips with ``cae.payroll.payslip_requested.v1`` work items
of ``WORK_ITEM`` members: payroll workers (any number of ``cae run payroll``
processes) compete for them on one queue and issue them (``usecases.payslips``). The
transaction that issues the run's last expected payslip completes it. A run cancelled
before its payment date is kept, its payslips too, marked cancelled; their year to
date is given back, and the month can be run again.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import and_, case, func, insert, literal, or_, select, tuple_, update
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
    YearToDate,
)
from cae_payroll.domain import engine
from cae_payroll.domain.employees import DEFAULT_TERMS, FULL_TIME_X100, hours_of, payment_date
from cae_payroll.domain.runs import (
    out_of_sequence,
    refuse_cancel,
    refuse_cancelled,
    refuse_existing,
    refuse_too_far_ahead,
    work_items,
)
from cae_payroll.usecases import clock
from caekit import context, outbox
from caekit.period import Period
from caekit.rules import ConflictingState, RuleViolation, UnknownRecord

NETWORK_STEP = 50  # cooperatives a network start commits at once (~5,000 payslips asked for)


def get_run(session: Session, run_id: str) -> Run:
    """The cooperative's run ``run_id``."""
    found = session.scalar(select(Run).where(Run.id == str(run_id)))
    if found is None:
        raise UnknownRecord("run.unknown", f"no payroll run {run_id} in this cooperative")
    return found


def list_runs(session: Session, period: int | None = None, status: str | None = None,
              limit: int = 100) -> list[Run]:
    """The cooperative's runs, newest month first (and, in a month, the latest started
    first), of ``period`` and ``status`` if given."""
    query = select(Run).order_by(Run.period.desc(), Run.started_at.desc(), Run.id).limit(limit)
    if period is not None:
        query = query.where(Run.period == int(period))
    if status is not None:
        query = query.where(Run.status == status)
    return list(session.scalars(query))


def network_runs(session: Session, period: int, limit: int = 100,
                 after: tuple[str, str] | None = None) -> tuple[list[Run], tuple | None]:
    """The runs of ``period`` of every cooperative of the network (the network operator's
    reading: across cooperatives, said so with ``all_tenants``), by cooperative then run
    id (a month cancelled and run again has its cancelled runs too): ``limit`` of them
    after position ``after`` (cooperative, run id), and the position of the last one
    when more follow (None: the last page)."""
    query = (select(Run).where(Run.period == int(period))
             .order_by(Run.cooperative_id, Run.id).limit(limit + 1)
             .execution_options(all_tenants=True))
    if after is not None:
        query = query.where(tuple_(Run.cooperative_id, Run.id) > tuple_(*after))
    found = list(session.scalars(query))
    page = found[:limit]
    return page, ((page[-1].cooperative_id, page[-1].id) if len(found) > limit else None)


def left_out(session: Session, run_ids: list[str],
             all_tenants: bool = False) -> dict[str, list[tuple[str, str]]]:
    """run id -> the CESA holders it leaves out and the rule that does, by member id
    (``all_tenants``: runs of any cooperative, for the network operator's reading)."""
    found: dict[str, list[tuple[str, str]]] = {run_id: [] for run_id in run_ids}
    if run_ids:
        for run_id, member, rule in session.execute(
                select(RunMember.run_id, RunMember.member_id, RunMember.left_out)
                .where(RunMember.run_id.in_(run_ids), RunMember.left_out.is_not(None))
                .order_by(RunMember.run_id, RunMember.member_id)
                .execution_options(all_tenants=all_tenants)):
            found[run_id].append((member, rule))
    return found


def _refuse_unstartable(period: Period) -> None:
    """A run is for a month at most next month, that has rates."""
    refuse_too_far_ahead(period, clock.today())
    engine.table_for(period.first_day)  # rates.none


def start_run(session: Session, cooperative_id: str, period: int) -> Run:
    """Fix who the month pays and ask the workers for their payslips."""
    period = Period(period)
    _refuse_unstartable(period)
    if session.scalar(select(Run.id).where(Run.period == period, Run.status != "cancelled")):
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
    _refuse_unstartable(period)
    everyone = {"all_tenants": True}
    cooperatives = set(session.scalars(select(PayrollSettings.cooperative_id)
                                       .execution_options(**everyone)))
    started = set(session.scalars(select(Run.cooperative_id).where(
        Run.period == period, Run.status != "cancelled").execution_options(**everyone)))
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
    while the previous month's still runs: a later hour of the day starts it). A month
    whose run staff cancelled is theirs to start again: not restarted by itself."""
    period = Period.of(day)
    if session.scalar(select(Run.id).where(Run.period == period)) is not None:
        return None
    return start_run(session, cooperative_id, period)


def resume_run(session: Session, run: Run) -> int:
    """Ask again for the payslips a run has not issued yet (duplicates are harmless)."""
    refuse_cancelled(run.status, Period(run.period))
    issued = set(session.scalars(select(Payslip.member_id).where(Payslip.run_id == run.id)))
    missing = [m for m in session.scalars(select(RunMember.member_id).where(
        RunMember.run_id == run.id, RunMember.left_out.is_(None)).order_by(RunMember.member_id))
        if m not in issued]
    _request(session, run, missing)
    return len(missing)


def _out_of_sequence(session: Session, period: Period,
                     cooperatives: list[str] | None = None) -> dict:
    """cooperative -> why its ``period`` cannot start (``domain.runs.out_of_sequence``),
    of ``cooperatives``, or all."""
    query = select(Run.cooperative_id, Run.period, Run.status).where(
        Run.status != "cancelled",
        or_(Run.period > period, and_(Run.period < period, Run.status == "running")))
    if cooperatives is None:
        query = query.execution_options(all_tenants=True)
    else:
        query = query.where(Run.cooperative_id.in_(cooperatives))
    return out_of_sequence(period, session.execute(query.order_by(Run.period)))


def _start_runs(session: Session, cooperatives: list[str], period: Period) -> list[Run]:
    """The runs of ``cooperatives``: each fixes whom it pays and on what terms (the
    cooperative's, its payment date, and each member's activity, status, withholding
    rate, hours and salary in force), then asks for their payslips. A few statements
    whatever the number of cooperatives (each names them); the members go from the read
    models to ``run_members`` inside the database, their ids only come back."""
    terms = _cooperative_terms(session, cooperatives)
    who = context.caller.get().subject[:100]
    now = datetime.now(UTC)
    runs = []
    for cooperative in cooperatives:
        fixed = dict(terms.get(cooperative, DEFAULT_TERMS))
        payment_day = fixed.pop("payment_day", None)
        runs.append(Run(id=new_id(), cooperative_id=cooperative, period=int(period),
                        status="running", expected=0, issued=0, started_at=now,
                        started_by=who, paid_on=payment_date(period, payment_day), **fixed))
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
    """cooperative -> its staff, accident rate and payment day, of those that have set them."""
    query = (select(PayrollSettings.cooperative_id, PayrollSettings.staff, PayrollSettings.at_rate,
                    PayrollSettings.payment_day)
             .where(PayrollSettings.cooperative_id.in_(cooperatives))
             .execution_options(all_tenants=True))  # the cooperatives are named
    return {cooperative: {"staff": staff, "at_rate": at_rate, "payment_day": payment_day}
            for cooperative, staff, at_rate, payment_day in session.execute(query)}


_runs = Run.__table__


def _fix_members(session: Session, runs: list[Run], period: Period) -> dict:
    """Write ``runs``' members with their terms (those with a CESA in force in
    ``period``), and their count; run id -> its paid member ids, sorted. A member is
    paid with an activity, a salary in force above 0 and at least the SMIC for their
    hours (``engine.minimum_gross_cents``, in SQL); otherwise written with the rule that
    leaves them out (``domain.runs.LEFT_OUT``)."""
    session.flush()  # the runs, which the statements join
    ids = [each.id for each in runs]
    salary = _salary_in_force(Employee.cooperative_id, Employee.member_id, period)
    candidates = (
        select(Employee.cooperative_id, Run.id.label("run_id"), Employee.member_id,
               Employee.activity_code, Employee.cadre,
               func.coalesce(Employee.withholding_rate, "0").label("withholding_rate"),
               salary.label("gross_cents"), Employee.monthly_hours_x100)
        .join(Run, and_(Run.cooperative_id == Employee.cooperative_id, Run.id.in_(ids)))
        .where(Employee.cooperative_id.in_([each.cooperative_id for each in runs]),  # by index
               Employee.cesa_from <= period.last_day,
               or_(Employee.cesa_until.is_(None), Employee.cesa_until >= period.first_day))
        .offset(0)  # a fence: the salary's subquery is run once a member, not once more to filter
        .subquery())
    c = candidates.c
    # the SMIC for the hours, as engine.minimum_gross_cents rounds it: the hourly SMIC in
    # whole cents x hundredths of an hour, half-up to the cent, in integers
    smic_cents = int(engine.table_for(period.first_day).smic_hourly * 100)
    minimum = (literal(smic_cents) * func.coalesce(c.monthly_hours_x100, FULL_TIME_X100)
               + 50) // 100
    why = case((or_(c.activity_code.is_(None), c.activity_code == ""), "employee.no_activity"),
               (or_(c.gross_cents.is_(None), c.gross_cents <= 0), "salary.none"),
               (c.gross_cents < minimum, "salary.below_smic"), else_=None)
    fixed = session.connection().execute(  # Core: the runs are named, no tenant filter
        insert(RunMember.__table__).from_select(
            [*c.keys(), "left_out"], select(*c, why))
        .returning(RunMember.run_id, RunMember.member_id, RunMember.left_out))
    paid: dict[str, list] = {run_id: [] for run_id in ids}
    for run_id, member, rule in fixed:
        if rule is None:
            paid[run_id].append(member)
    for members in paid.values():  # here, not in SQL: a network's members overflow its sort memory
        members.sort()
    session.connection().execute(update(_runs).where(_runs.c.id.in_(ids)).values(
        expected=select(func.count()).where(RunMember.run_id == _runs.c.id,
                                            RunMember.left_out.is_(None)).scalar_subquery()))
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


# -- cancelling ---------------------------------------------------------------------------------

def cancel_run(session: Session, run: Run, reason: str) -> Run:
    """Cancel ``run`` before its payment date (``domain.runs.refuse_cancel``): the run and
    its payslips are marked cancelled and kept, each member's year to date is given back
    what the run's payslip added, the month can be run again, and
    ``cae.payroll.run_cancelled.v1`` tells the ledger to reverse the run's salaries.

    The run's row is locked first, as a worker issuing its payslips locks it first
    (``usecases.payslips``): a worker that committed before is cancelled with the
    others; one that commits after finds the run cancelled and issues nothing."""
    today = clock.today()
    period = Period(run.period)
    paid_on = run.paid_on or period.last_day
    refuse_cancel(run.status, period, paid_on, today, _later_run(session, period))
    who = context.caller.get().subject[:100]
    now = datetime.now(UTC)
    connection = session.connection()
    locked = connection.execute(update(_runs).where(
        _runs.c.id == run.id, _runs.c.status != "cancelled").values(
        status="cancelled", cancel_key=run.id, cancelled_at=now, cancelled_on=today,
        cancelled_by=who, cancel_reason=reason))
    if locked.rowcount != 1:
        raise ConflictingState("run.cancelled", f"the {period.text} run is already cancelled")
    if (later := _later_run(session, period)) is not None:  # started meanwhile
        refuse_cancel("running", period, paid_on, today, later)
    _give_back_year_to_date(session, run, period)
    connection.execute(update(Payslip.__table__).where(
        Payslip.__table__.c.run_id == run.id, Payslip.__table__.c.cancel_key == "").values(
        cancel_key=run.id, cancelled_at=now))
    session.expire(run)  # written in Core above
    outbox.publish(session, "cae.payroll.run_cancelled.v1", {
        "run_id": run.id, "cooperative_id": run.cooperative_id, "period": period.text,
        "cancelled_on": today.isoformat(), "reason": reason, "cancelled_by": who},
        tenant_id=run.cooperative_id)
    return run


def _later_run(session: Session, period: Period) -> int | None:
    """The first later month of the cooperative with a live run, if any."""
    return session.scalar(select(func.min(Run.period)).where(
        Run.period > int(period), Run.status != "cancelled"))


def _give_back_year_to_date(session: Session, run: Run, period: Period) -> None:
    """Each member's year to date as it was before ``run``'s payslip: its gross, its
    SMIC (for its hours) and its reduction taken off, its last month the member's
    previous live payslip of the year (none: the year to date is deleted)."""
    slips = session.execute(select(
        Payslip.member_id, Payslip.gross_cents, Payslip.lines, Payslip.monthly_hours_x100)
        .where(Payslip.run_id == run.id, Payslip.cancel_key == "")).all()
    if not slips:
        return
    year = period.year
    members = select(Payslip.member_id).where(Payslip.run_id == run.id)
    totals = {row.member_id: row for row in session.scalars(select(YearToDate).where(
        YearToDate.year == year, YearToDate.member_id.in_(members)))}
    previous = dict(session.execute(
        select(Payslip.member_id, func.max(Payslip.period))
        .where(Payslip.member_id.in_(members), Payslip.cancel_key == "",
               Payslip.period >= year * 100 + 1, Payslip.period < int(period))
        .group_by(Payslip.member_id)).all())
    month = period.first_day
    for member, gross, lines, hours in slips:
        total = totals.get(member)
        if total is None or total.last_period != int(period):  # a later month paid after it
            raise RuleViolation("run.not_latest", f"{member}'s year to date goes past "
                                f"{period.text}: cancel the later month first")
        if member not in previous:
            session.delete(total)
            continue
        reduction = next((-line[5] for line in json.loads(lines)
                          if line[0] == "reduction_generale"), 0)
        total.last_period = previous[member]
        total.gross_cents -= gross
        total.reduction_cents -= reduction
        total.smic = str(Decimal(total.smic) - engine.reduction_smic(month, hours_of(hours)))
