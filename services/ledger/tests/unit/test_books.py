"""The ledger's use cases on an in-memory SQLite session (no broker, no service): opening an
activity once, the refusals of unknown records, and a month of postings read back."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.pool import StaticPool

from cae_ledger.adapters.store import (
    Activity,
    Base,
    ClosedPeriod,
    Entry,
    LedgerAccount,
    PayrollRun,
)
from cae_ledger.domain import entries as domain
from cae_ledger.domain.money import exact_cents
from cae_ledger.usecases import reading
from cae_ledger.usecases.books import Books
from caekit.db import acting_session, make_session_factory
from caekit.period import Period
from caekit.rules import ConflictingState, UnknownRecord
from caekit.tables import kit_metadata, outbox_table


@pytest.fixture
def books():
    engine = create_engine("sqlite://", poolclass=StaticPool)
    Base.metadata.create_all(engine)
    kit_metadata.create_all(engine)
    coop = str(uuid.uuid4())
    try:
        with acting_session(make_session_factory(engine), coop, "alice") as session:
            yield Books(session, coop)
    finally:
        engine.dispose()


def count(session, what) -> int:
    return session.scalar(select(func.count()).select_from(what))


def test_an_activity_code_opens_once(books):
    first = str(uuid.uuid4())
    books.open_activity("LEA", "Boulangerie Léa", str(uuid.uuid4()), first, date(2026, 1, 5))
    books.db.commit()
    with pytest.raises(ConflictingState) as refused:
        books.open_activity("LEA", "Autre", str(uuid.uuid4()), str(uuid.uuid4()), date(2026, 2, 1))
    assert refused.value.rule == "activity.exists"
    assert refused.value.message == (f"activity LEA is already open in this cooperative "
                                     f"(opened by event {first})")
    assert refused.value.fields == {"code": refused.value.message}
    books.db.rollback()
    assert count(books.db, Activity) == 1
    assert count(books.db, LedgerAccount) == len(domain.CHART_OF_ACCOUNTS) + 4
    assert count(books.db, outbox_table) == 1  # one activity_accounts_opened
    assert reading.activity(books.db, "LEA").name == "Boulangerie Léa"


def test_unknown_records_are_refused_as_unknown(books):
    for entry_id, message in (("not-a-uuid", "no entry not-a-uuid"),
                              (str(uuid.UUID(int=1)), f"no entry {uuid.UUID(int=1)} in this cooperative")):
        with pytest.raises(UnknownRecord) as refused:
            books.entry(entry_id)
        assert (refused.value.rule, refused.value.message) == ("entry.unknown", message)
    with pytest.raises(UnknownRecord) as refused:
        reading.activity(books.db, "NOPE")
    assert (refused.value.rule, refused.value.message) == (
        "activity.unknown", "no activity NOPE in this cooperative")


def test_a_month_posted_closed_and_read_back(books):
    books.open_activity("LEA", "Léa", str(uuid.uuid4()), str(uuid.uuid4()), date(2025, 12, 1))
    payment, contribution = books.receive_payment("LEA", date(2026, 3, 2), "VIR-1", None, 12_000,
                                                  2_000, None)
    assert payment.label == "Encaissement VIR-1" and payment.period == 202603
    assert contribution.total_cents == 1_000  # 10 % by default
    books.post_salary("LEA", date(2026, 3, 31), "2026-03", domain.Payslip(
        5_000, 1_000, 1_000, 3_900, 100, 1_500, 500))
    books.db.commit()
    closed, top_ups = books.close_period(Period(202603), date(2026, 4, 1))
    books.db.commit()
    assert (closed.period, top_ups) == (202603, [])
    assert books.db.scalar(select(Entry.piece_ref).where(Entry.kind == "salary")) == "PAIE-2026-03-LEA"
    trial = reading.account_balances(books.db, Period(202601), Period(202612))
    assert trial.debit_cents == trial.credit_cents == 12_000 + 1_000 + 6_000
    budget, groups = reading.treasury_statement(books.db, books.cooperative_id, "LEA", Period(202603))
    assert budget.available_cents == 10_000 - 1_000 - 6_000
    assert {g.name: g.balance_cents for g in groups}["salaries_to_pay"] == -3_900
    assert [row.period for row in reading.closed_periods(books.db)] == [202603]
    assert count(books.db, ClosedPeriod) == 1


def salaries_of(books, **where) -> list[Entry]:
    return books.db.scalars(select(Entry).filter_by(kind="salary", **where).order_by(Entry.seq)).all()


def test_a_cancelled_run_is_reversed_once_and_its_late_payslips_post_nothing(books):
    books.open_activity("LEA", "Léa", str(uuid.uuid4()), str(uuid.uuid4()), date(2025, 12, 1))
    slip = domain.Payslip(5_000, 1_000, 1_000, 3_900, 100, 1_500, 500)
    run, other = str(uuid.uuid4()), str(uuid.uuid4())
    posted = books.post_salary("LEA", date(2026, 1, 31), "2026-01", slip, run)
    assert posted.payroll_run_id == run
    books.post_salary("LEA", date(2026, 1, 31), "2026-01", slip, other)
    books.db.commit()
    books.close_period(Period(202601), date(2026, 3, 1))
    books.db.commit()
    reversals = books.cancel_payroll_run(run, "2026-01", date(2026, 1, 25), "erreur", "paie")
    books.db.commit()
    # dated the later of the cancellation and the salary; January closed: 1 February
    assert [(r.reverses, r.entry_date, r.payroll_run_id) for r in reversals] == [
        (posted.id, date(2026, 2, 1), run)]
    # cancelled again (another event): the first cancellation is kept, nothing more reversed
    assert books.cancel_payroll_run(run, "2026-01", date(2026, 2, 20), "encore", "x") == []
    # a payslip of the run arriving late posts nothing; another run's is posted
    assert books.post_salary("LEA", date(2026, 1, 31), "2026-01", slip, run) is None
    assert books.post_salary("LEA", date(2026, 2, 28), "2026-02", slip, other) is not None
    books.db.commit()
    assert len(salaries_of(books, payroll_run_id=run)) == 2  # the salary and its reversal
    assert books.budget("LEA").salary_costs_cents == 2 * 6_000
    run_row = books.db.get(PayrollRun, (books.cooperative_id, run))
    assert (run_row.cancelled_on, run_row.cancel_reason, run_row.period) == (
        date(2026, 1, 25), "erreur", 202601)


def test_a_run_cancelled_first_posts_nothing_and_a_salary_reversed_by_hand_is_left(books):
    books.open_activity("LEA", "Léa", str(uuid.uuid4()), str(uuid.uuid4()), date(2025, 12, 1))
    slip = domain.Payslip(5_000, 1_000, 1_000, 3_900, 100, 1_500, 500)
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    assert books.cancel_payroll_run(first, "2026-01", date(2026, 2, 2), "doublon", "paie") == []
    assert books.post_salary("LEA", date(2026, 1, 31), "2026-01", slip, first) is None
    posted = books.post_salary("LEA", date(2026, 1, 31), "2026-01", slip, second)
    books.reverse(posted.id, date(2026, 2, 1))  # by hand, before the cancellation
    books.db.commit()
    assert books.cancel_payroll_run(second, "2026-01", date(2026, 2, 2), "x", "paie") == []
    books.db.commit()
    assert books.budget("LEA").salary_costs_cents == 0
    assert len(salaries_of(books)) == 2


def test_balances_read_back_are_exact_integers():
    assert exact_cents(10**12) == 10**12
    assert exact_cents(Decimal("9223372036854775808")) == 2**63
    for wrong in (9.223372036854776e18, 1.5, Decimal("1.5"), Decimal("NaN"), None, True):
        with pytest.raises(ValueError):
            exact_cents(wrong)
