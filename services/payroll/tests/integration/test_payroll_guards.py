"""The payroll's write guards: a year to date is never computed from a stale row nor
overwritten, and a work item pays only its own cooperative.

The first tests call ``payslips.issue_payslip`` on sessions of a fresh payroll
database, each ``with`` block a transaction, to interleave two of them exactly; the
last runs a real payroll service on RabbitMQ. Runs and their members are written
directly (``seed``), without the work items ``start_run`` would publish.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import select, text

from cae_contracts import build_event
from cae_contracts.ids import new_id
from cae_payroll.adapters.store import Employee, Payslip, Run, RunMember, SalaryChoice, YearToDate
from cae_payroll.domain import engine
from cae_payroll.entrypoints.service import PayrollService
from cae_payroll.usecases import employees, payslips
from cae_payroll.usecases.runs import cancel_run, start_network_runs, start_run
from caekit import dlq, topology
from caekit.db import acting_session, make_engine, make_session_factory
from caekit.rules import RuleViolation
from caekit.testing import backend, count_rows, eventually, message_count, publish_raw

JAN, FEB, MAR = 202601, 202602, 202603
SALARY = {JAN: 200_000, MAR: 250_000}  # gross chosen from January, changed in March
WORK_ITEM = "cae.payroll.payslip_requested.v1"

try:  # on PostgreSQL, insert_rows COPYs through psycopg itself: its errors are psycopg's
    from psycopg import IntegrityError as _PgIntegrityError
    UNIQUE_VIOLATION = (sa_exc.IntegrityError, _PgIntegrityError)
except ImportError:  # pragma: no cover
    UNIQUE_VIOLATION = (sa_exc.IntegrityError,)


def seed(sessions, coop: str, members: list[str], periods) -> dict[int, str]:
    """``members`` of ``coop`` under CESA with a salary, and a running run of each of
    ``periods`` that pays them all: period -> run id."""
    with acting_session(sessions, coop, "staff") as session:
        for member in members:
            session.add(Employee(cooperative_id=coop, member_id=member, activity_code="ANA",
                                 cesa_from=date(2025, 6, 1), cadre=False, withholding_rate="0"))
            session.add_all(SalaryChoice(
                cooperative_id=coop, member_id=member, period=period, gross_cents=gross,
                employer_cost_cents=0, available_cents=0, chosen_by="staff",
                chosen_at=datetime.now(UTC)) for period, gross in SALARY.items())
        runs = {period: new_id() for period in periods}
        for period, run in runs.items():
            session.add(Run(id=run, cooperative_id=coop, period=period, status="running",
                            expected=len(members), issued=0, started_at=datetime.now(UTC),
                            started_by="staff"))
            # with the terms start_run fixes: the salary in force that month
            gross = SALARY[max(month for month in SALARY if month <= period)]
            session.add_all(RunMember(cooperative_id=coop, run_id=run, member_id=member,
                                      activity_code="ANA", cadre=False, withholding_rate="0",
                                      gross_cents=gross) for member in members)
        session.commit()
    return runs


def issue(sessions, coop: str, runs: dict, member: str, period: int) -> None:
    """``member``'s payslip of ``period``, issued and committed in a transaction of its own."""
    with acting_session(sessions, coop, "worker") as session:
        assert payslips.issue_payslip(session, coop, runs[period], member, period) is not None
        session.commit()


def state(sessions, coop: str, member: str):
    """(the periods of ``member``'s payslips, their 2026 year to date's (last period, gross))."""
    with acting_session(sessions, coop, "reader") as session:
        periods = session.scalars(select(Payslip.period).where(Payslip.member_id == member)
                                  .order_by(Payslip.period)).all()
        ytd = session.get(YearToDate, (coop, member, 2026))
        return periods, ytd and (ytd.last_period, ytd.gross_cents)


@pytest.fixture
def sessions(database_url):
    engine = make_engine(database_url("payroll"))
    yield make_session_factory(engine)
    engine.dispose()


def test_two_months_of_a_year_in_one_transaction_are_refused_then_issued_one_at_a_time(sessions):
    coop, member = new_id(), new_id()
    runs = seed(sessions, coop, [member], (FEB, MAR))
    with acting_session(sessions, coop, "worker") as session:
        assert payslips.issue_payslip(session, coop, runs[FEB], member, FEB) is not None
        # March would be computed from the year to date before February
        with pytest.raises(RuleViolation) as refused:
            payslips.issue_payslip(session, coop, runs[MAR], member, MAR)
        assert refused.value.rule == "payslip.year_twice"
        session.rollback()  # what the worker does: each item is then replayed on its own
    assert state(sessions, coop, member) == ([], None)

    issue(sessions, coop, runs, member, FEB)  # inserts the year to date
    assert state(sessions, coop, member) == ([FEB], (FEB, SALARY[JAN]))
    issue(sessions, coop, runs, member, MAR)  # updates it
    assert state(sessions, coop, member) == ([FEB, MAR], (MAR, SALARY[JAN] + SALARY[MAR]))
    with acting_session(sessions, coop, "reader") as session:
        march = session.scalar(select(Payslip).where(Payslip.period == MAR))
    assert (march.gross_cents, march.year_gross_cents) == (SALARY[MAR], SALARY[JAN] + SALARY[MAR])


def test_a_run_pays_the_terms_fixed_when_it_started(sessions):
    """Whatever changes after the start (salary, status, withholding rate, the
    cooperative's headcount and accident rate), the run pays what it fixed."""
    coop, member = new_id(), new_id()
    seed(sessions, coop, [member], ())
    with acting_session(sessions, coop, "staff") as session:
        employees.settings(session, coop).staff, employees.settings(session, coop).at_rate = 20, "0.0125"
        run = start_run(session, coop, MAR)
        session.commit()
        run_id = run.id
    with acting_session(sessions, coop, "staff") as session:  # then everything changes
        employee = session.get(Employee, (coop, member))
        employee.cadre, employee.withholding_rate = True, "0.2"
        session.get(SalaryChoice, (coop, member, MAR)).gross_cents = 900_000
        terms = employees.settings(session, coop)
        terms.staff, terms.at_rate = 300, "0.05"
        session.commit()
    with acting_session(sessions, coop, "worker") as session:
        row = payslips.issue_payslip(session, coop, run_id, member, MAR)
        session.commit()
    fixed = engine.Employee(cadre=False, staff=20, at_rate=Decimal("0.0125"),
                            withholding_rate=Decimal("0"))
    expected = engine.payslip(date(2026, 3, 1), SALARY[MAR], fixed)
    assert (row["gross_cents"], row["cadre"], row["withholding_rate"]) == (SALARY[MAR], False, "0")
    assert (row["employer_cost_cents"], row["net_paid_cents"]) == (
        expected.employer_cost_cents, expected.net_paid_cents)


def test_a_cooperative_s_months_start_in_order_once_the_previous_one_completed(sessions):
    coop, late, member = new_id(), new_id(), new_id()
    seed(sessions, coop, [member], ())
    seed(sessions, late, [new_id()], ())
    with acting_session(sessions, coop, "staff") as session:
        employees.settings(session, coop)
        february = start_run(session, coop, FEB).id
        session.commit()
        with pytest.raises(RuleViolation) as refused:
            start_run(session, coop, MAR)
        assert refused.value.rule == "run.previous_running"
        assert refused.value.message.startswith("the 2026-02 run is still running: start 2026-03")
    with acting_session(sessions, late, "staff") as session:
        employees.settings(session, late)
        start_run(session, late, 202604)  # already in April
        session.commit()
    with acting_session(sessions, None, "ops", {"network_operator"}) as session:
        runs, skipped = start_network_runs(session, MAR)
        session.commit()
    assert runs == [] and {c: why.rule for c, why in skipped.items()} == {
        coop: "run.previous_running", late: "run.out_of_order"}
    issue(sessions, coop, {FEB: february}, member, FEB)  # February completes
    with acting_session(sessions, coop, "staff") as session:
        assert start_run(session, coop, MAR).expected == 1
        session.commit()
        with pytest.raises(RuleViolation) as refused:  # January after March
            start_run(session, coop, JAN)
        assert refused.value.rule == "run.out_of_order"


def test_a_month_paid_already_is_skipped_and_an_earlier_one_refused(sessions):
    coop, member = new_id(), new_id()
    runs = seed(sessions, coop, [member], (JAN, FEB))
    issue(sessions, coop, runs, member, FEB)
    with acting_session(sessions, coop, "worker") as session:  # asked again: nothing to do
        assert payslips.issue_payslip(session, coop, runs[FEB], member, FEB) is None
        with pytest.raises(RuleViolation) as refused:  # January after February
            payslips.issue_payslip(session, coop, runs[JAN], member, JAN)
        assert refused.value.rule == "payslip.out_of_order"
        session.commit()
    assert state(sessions, coop, member) == ([FEB], (FEB, SALARY[JAN]))


def test_a_payslip_refused_as_year_twice_is_not_written_by_a_later_commit(sessions):
    coop, member = new_id(), new_id()
    runs = seed(sessions, coop, [member], (FEB, MAR))
    with acting_session(sessions, coop, "worker") as session:
        payslips.issue_payslip(session, coop, runs[FEB], member, FEB)
        with pytest.raises(RuleViolation):
            payslips.issue_payslip(session, coop, runs[MAR], member, MAR)
        session.commit()  # February alone: the refused March payslip has no effect
    assert state(sessions, coop, member) == ([FEB], (FEB, SALARY[JAN]))


def test_a_payslip_computed_from_a_stale_year_to_date_is_not_committed(sessions):
    coop, member = new_id(), new_id()
    runs = seed(sessions, coop, [member], (JAN, FEB, MAR))
    issue(sessions, coop, runs, member, JAN)
    with acting_session(sessions, coop, "worker-b") as late:
        # B computes March from the year to date as of January...
        assert payslips.issue_payslip(late, coop, runs[MAR], member, MAR) is not None
        issue(sessions, coop, runs, member, FEB)  # ...then A pays February and commits first
        with pytest.raises(RuntimeError, match="1 year-to-date rows changed meanwhile"):
            late.commit()
        # what the failed commit had written so far must not be committed by another try
        with pytest.raises(RuntimeError, match="roll it back"):
            late.commit()
        late.rollback()
    # February's year to date stands; B wrote nothing (its item is retried from it)
    assert state(sessions, coop, member) == ([JAN, FEB], (FEB, 2 * SALARY[JAN]))
    with acting_session(sessions, coop, "reader") as session:
        assert session.get(Run, runs[MAR]).issued == 0
    issue(sessions, coop, runs, member, MAR)
    assert state(sessions, coop, member) == ([JAN, FEB, MAR], (MAR, 2 * SALARY[JAN] + SALARY[MAR]))


def test_two_first_payslips_of_a_year_racing_conflict_instead_of_overwriting(sessions):
    coop, member = new_id(), new_id()
    runs = seed(sessions, coop, [member], (JAN, FEB))
    with acting_session(sessions, coop, "worker-b") as late:
        # B computes February with no year to date, as if it were the year's first month...
        assert payslips.issue_payslip(late, coop, runs[FEB], member, FEB) is not None
        issue(sessions, coop, runs, member, JAN)  # ...then A inserts January's and commits
        with pytest.raises(UNIQUE_VIOLATION, match="year_to_date"):
            late.commit()
        late.rollback()
    assert state(sessions, coop, member) == ([JAN], (JAN, SALARY[JAN]))


def test_a_work_item_naming_another_cooperative_is_parked_and_pays_nobody(
        start_service, amqp_uri):
    service = start_service(PayrollService, retry_delays=(30,))  # a refusal skips them
    url = service.settings.database_url
    engine = make_engine(url)
    try:
        coop, other, members = new_id(), new_id(), [new_id(), new_id()]
        run = seed(make_session_factory(engine), coop, members, (MAR,))[MAR]
    finally:
        engine.dispose()
    item = {"run_id": run, "cooperative_id": coop, "member_ids": members, "period": "2026-03"}
    forged = build_event(WORK_ITEM, item, tenant_id=other)
    publish_raw(amqp_uri, forged)

    queue = topology.consumer_queue("payroll", WORK_ITEM)
    dead = topology.dead_letter_queue(queue)
    eventually(lambda: message_count(amqp_uri, dead) or count_rows(url, "payslips"), timeout=20)
    assert count_rows(url, "payslips") == 0
    [parked] = dlq.list_parked(amqp_uri, queue)
    assert (parked.event_id, parked.tenant_id) == (forged["id"], other)
    assert parked.error.startswith("[event.tenant] ")  # the rule, then the exception
    assert "RuleViolation: event.tenant: a work item names another cooperative" in parked.error
    assert parked.attempts == 1  # parked at once, not after the 30 s retry
    assert count_rows(url, "year_to_date") == 0
    assert count_rows(url, "inbox") == 0  # nor is the refused item recorded as handled
    assert count_rows(url, "runs", "WHERE issued = 0") == 1

    # the same work item under its own cooperative pays them: only the tenant was wrong
    publish_raw(amqp_uri, build_event(WORK_ITEM, item, tenant_id=coop))
    eventually(lambda: count_rows(url, "runs", "WHERE status = 'completed'") == 1, timeout=60)
    assert count_rows(url, "payslips", f"WHERE run_id = '{run}'") == 2
    assert message_count(amqp_uri, dead) == 1


def test_a_run_started_before_runs_fixed_their_terms_is_paid_after_the_migration(database_url):
    """Migration 0004 fills the terms of the runs started before it from those in force."""
    from alembic import command

    from caekit.migrations import alembic_config, upgrade

    url = database_url("payroll")
    command.downgrade(alembic_config("payroll", url), "0003")
    coop, member, run = new_id(), new_id(), new_id()
    engine = make_engine(url)
    with engine.begin() as conn:  # the 0003 schema: run_members without terms
        conn.execute(text("INSERT INTO payroll_settings (cooperative_id, staff, at_rate) "
                          "VALUES (:c, 20, '0.0125')"), {"c": coop})
        conn.execute(text("INSERT INTO employees (cooperative_id, member_id, activity_code, "
                          "cesa_from, cadre, withholding_rate) VALUES (:c, :m, 'ANA', "
                          "'2025-06-01', :cadre, '0.05')"), {"c": coop, "m": member, "cadre": True})
        for period, gross in SALARY.items():
            conn.execute(text("INSERT INTO salary_choices VALUES (:c, :m, :p, :g, 0, 0, NULL, "
                              "'staff', :at)"), {"c": coop, "m": member, "p": period, "g": gross,
                                                 "at": datetime.now(UTC)})
        conn.execute(text("INSERT INTO runs (id, cooperative_id, period, status, expected, issued, "
                          "started_at, started_by) VALUES (:r, :c, :p, 'running', 1, 0, :at, "
                          "'staff')"), {"r": run, "c": coop, "p": FEB, "at": datetime.now(UTC)})
        conn.execute(text("INSERT INTO run_members VALUES (:c, :r, :m)"),
                     {"c": coop, "r": run, "m": member})
    upgrade("payroll", url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT staff, at_rate FROM runs")).one() == (20, "0.0125")
        assert tuple(conn.execute(text(
            "SELECT activity_code, cadre, withholding_rate, gross_cents FROM run_members")).one()) \
            == ("ANA", True, "0.05", SALARY[JAN])  # February: January's salary is in force
    with acting_session(make_session_factory(engine), coop, "worker") as session:
        row = payslips.issue_payslip(session, coop, run, member, FEB)
        session.commit()
    engine.dispose()
    assert (row["gross_cents"], row["cadre"], row["withholding_rate"]) == (SALARY[JAN], True, "0.05")


def _runs_paid_later(sessions, coop: str, members: dict[str, int | None], periods) -> dict:
    """``members`` (id -> monthly hours x 100, None: full time) paid by runs of ``periods``
    whose payment date is still to come (a month ahead): cancellable."""
    runs = seed(sessions, coop, list(members), periods)
    with acting_session(sessions, coop, "staff") as session:
        for run in runs.values():
            session.get(Run, run).paid_on = date.today() + timedelta(days=30)
        for member, hours in members.items():
            session.get(Employee, (coop, member)).monthly_hours_x100 = hours
            for row in session.scalars(select(RunMember).where(RunMember.member_id == member)):
                row.monthly_hours_x100 = hours
        session.commit()
    return runs


def _year_to_date(sessions, coop: str, member: str):
    with acting_session(sessions, coop, "reader") as session:
        row = session.get(YearToDate, (coop, member, 2026))
        return row and (row.last_period, row.gross_cents, Decimal(row.smic), row.reduction_cents)


def test_a_cancelled_run_gives_back_each_member_s_year_to_date_exactly(sessions):
    coop, full, part = new_id(), new_id(), new_id()
    runs = _runs_paid_later(sessions, coop, {full: None, part: 10_400}, (FEB, MAR))
    for member in (full, part):
        issue(sessions, coop, runs, member, FEB)
    after_february = {m: _year_to_date(sessions, coop, m) for m in (full, part)}
    for member in (full, part):
        issue(sessions, coop, runs, member, MAR)
    assert _year_to_date(sessions, coop, part)[2] == 2 * Decimal("12.02") * 104
    with acting_session(sessions, coop, "staff") as session:
        with pytest.raises(RuleViolation) as refused:  # March continues February's year
            cancel_run(session, session.get(Run, runs[FEB]), "erreur")
        assert refused.value.rule == "run.not_latest"
        session.rollback()
        cancel_run(session, session.get(Run, runs[MAR]), "erreur de salaire")
        session.commit()
    # each year to date is February's again, to the cent and the SMIC's last decimal
    assert {m: _year_to_date(sessions, coop, m) for m in (full, part)} == after_february
    with acting_session(sessions, coop, "reader") as session:
        march = session.scalars(select(Payslip).where(Payslip.period == MAR)).all()
        assert [(p.cancel_key, p.cancelled_at is not None) for p in march] == [(runs[MAR], True)] * 2
        assert session.get(Run, runs[MAR]).status == "cancelled"
        amounts = {p.member_id: (p.gross_cents, p.employer_cost_cents) for p in march}
    # March run again: the same payslips as before, computed from February's year to date
    with acting_session(sessions, coop, "staff") as session:
        again = start_run(session, coop, MAR)
        session.commit()
        again_id = again.id
    for member in (full, part):
        issue(sessions, coop, {MAR: again_id}, member, MAR)
    with acting_session(sessions, coop, "reader") as session:
        redone = session.scalars(select(Payslip).where(Payslip.run_id == again_id)).all()
        assert {p.member_id: (p.gross_cents, p.employer_cost_cents) for p in redone} == amounts
    # February alone cancelled: the year's first month, nothing left before it
    with acting_session(sessions, coop, "staff") as session:
        redone_run = session.get(Run, again_id)
        assert redone_run.paid_on == date(2026, 3, 31)  # the month's last day: paid already
        redone_run.paid_on = date.today() + timedelta(days=30)  # as if paid later
        session.flush()
        cancel_run(session, redone_run, "encore")
        cancel_run(session, session.get(Run, runs[FEB]), "tout reprendre")
        session.commit()
    assert [_year_to_date(sessions, coop, m) for m in (full, part)] == [None, None]


def test_a_worker_that_loaded_a_run_before_its_cancellation_issues_nothing(sessions):
    """The cancellation commits between a worker's load and its commit: the worker's
    commit, which locks the run's row first, finds it cancelled and rolls back; asked
    again, the work item issues nothing."""
    coop, member = new_id(), new_id()
    runs = _runs_paid_later(sessions, coop, {member: None}, (MAR,))
    with acting_session(sessions, coop, "worker") as worker:
        assert payslips.issue_payslip(worker, coop, runs[MAR], member, MAR) is not None
        with acting_session(sessions, coop, "staff") as staff:
            cancel_run(staff, staff.get(Run, runs[MAR]), "erreur")
            staff.commit()
        # PostgreSQL: the run's row, locked first, is found cancelled; SQLite may refuse the
        # stale writer before (database is locked): either way, nothing is written
        with pytest.raises((payslips.RunCancelledMeanwhile, sa_exc.OperationalError)) as failed:
            worker.commit()
        if backend() == "postgresql":
            assert isinstance(failed.value, payslips.RunCancelledMeanwhile)
        worker.rollback()
    with acting_session(sessions, coop, "worker") as worker:  # the item retried
        assert payslips.issue_payslip(worker, coop, runs[MAR], member, MAR) is None
        payslips.issue_payslips(worker, coop, runs[MAR], [member], MAR)
        worker.commit()
    assert state(sessions, coop, member) == ([], None)
    with acting_session(sessions, coop, "reader") as session:
        assert session.get(Run, runs[MAR]).issued == 0
