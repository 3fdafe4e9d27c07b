"""The payroll's domain rules, and the use cases that apply them to a session (in-memory
SQLite: no service, no broker)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from cae_payroll.adapters.store import Base, Employee
from cae_payroll.domain import engine
from cae_payroll.domain.employees import (
    activity_paid_from,
    cesa_in_force,
    parse_rate,
    refuse_unpaid,
    staff_with_bracket,
)
from cae_payroll.domain.runs import (
    engine_terms,
    fixed_terms,
    out_of_sequence,
    refuse_foreign_item,
    work_items,
    year_to_date,
)
from cae_payroll.domain.salaries import accepted_shortfall, refuse_closed_month
from cae_payroll.usecases import employees
from caekit.period import Period
from caekit.rules import RuleViolation, UnknownRecord

MAR = Period(202603)


def refused(call, *args) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        call(*args)
    return caught.value


# -- the activity a salary is paid from ----------------------------------------------------------

def test_a_member_s_salary_is_paid_from_the_first_activity_opened_for_them():
    assert activity_paid_from(None, "ANA") == "ANA"
    assert activity_paid_from("", "ANA") == "ANA"
    assert activity_paid_from("ANA", "BEN") == "ANA"  # a later activity does not move it


@pytest.fixture
def session():
    store = create_engine("sqlite://")
    Base.metadata.create_all(store)
    with Session(store) as session:
        yield session
    store.dispose()


def test_activities_opened_for_a_member_leave_them_paid_from_the_first(session):
    coop, lea, ben = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    employees.open_activity(session, coop, "ANA", [lea])
    employees.open_activity(session, coop, "DUO", [lea, ben])  # shared, opened later
    session.commit()
    assert session.get(Employee, (coop, lea)).activity_code == "ANA"
    assert session.get(Employee, (coop, ben)).activity_code == "DUO"  # ben's first


def test_a_cesa_pays_from_its_signature_to_its_end_and_another_contract_pays_nothing(session):
    coop, member = str(uuid.uuid4()), str(uuid.uuid4())
    employees.sign_contract(session, coop, member, "CAPE", str(uuid.uuid4()), date(2025, 1, 1))
    assert session.get(Employee, (coop, member)) is None  # not an employee of the payroll
    employees.sign_contract(session, coop, member, "CESA", str(uuid.uuid4()), date(2025, 6, 1))
    employees.end_contract(session, coop, member, "CESA", date(2026, 2, 28))
    row = session.get(Employee, (coop, member))
    assert (row.cesa_from, row.cesa_until) == (date(2025, 6, 1), date(2026, 2, 28))
    assert refused(employees.payable_employee, session, coop, member, MAR).rule == "employee.no_cesa"
    unknown = refused(employees.payable_employee, session, coop, str(uuid.uuid4()), MAR)
    assert isinstance(unknown, UnknownRecord) and unknown.rule == "employee.unknown"
    assert unknown.message.startswith("no entrepreneur ")


def test_a_cooperative_counts_at_least_its_bracket_s_staff(session):
    assert staff_with_bracket(1, "11_to_49") == 11
    assert staff_with_bracket(30, "11_to_49") == 30  # set higher by staff: stands
    assert staff_with_bracket(3, None) == 3
    coop = str(uuid.uuid4())
    employees.register_cooperative(session, coop, "Coop", "123456789", "50_and_more")
    terms = employees.settings(session, coop)
    assert (terms.name, terms.siren, terms.staff, terms.at_rate) == ("Coop", "123456789", 50,
                                                                      "0.007")


# -- employees -----------------------------------------------------------------------------------

def _employee(cesa_from, cesa_until=None, activity="ANA"):
    return SimpleNamespace(member_id="m1", activity_code=activity, cesa_from=cesa_from,
                           cesa_until=cesa_until)


def test_a_cesa_is_in_force_in_a_month_it_covers_a_day_of():
    assert cesa_in_force(_employee(date(2026, 3, 31)), MAR)
    assert not cesa_in_force(_employee(date(2026, 4, 1)), MAR)
    assert cesa_in_force(_employee(date(2025, 1, 1), date(2026, 3, 1)), MAR)
    assert not cesa_in_force(_employee(date(2025, 1, 1), date(2026, 2, 28)), MAR)
    assert not cesa_in_force(_employee(None), MAR)
    no_cesa = refused(refuse_unpaid, _employee(None), MAR)
    assert (no_cesa.rule, no_cesa.message) == ("employee.no_cesa",
                                                "m1 has no CESA in force in 2026-03")
    no_activity = refused(refuse_unpaid, _employee(date(2025, 1, 1), activity=None), MAR)
    assert (no_activity.rule, no_activity.message) == ("employee.no_activity",
                                                        "m1 has no activity to pay from")


def test_a_rate_is_a_decimal_from_0_to_1():
    assert parse_rate("0.075", "withholding_rate") == "0.075"
    for bad, says in (("x", "withholding_rate is a decimal rate, e.g. 0.075"),
                      ("1", "withholding_rate must be between 0 and 1"),
                      ("-0.1", "withholding_rate must be between 0 and 1"),
                      ("NaN", "withholding_rate must be between 0 and 1")):
        violation = refused(parse_rate, bad, "withholding_rate")
        assert (violation.rule, violation.message) == ("rate.invalid", says)


# -- salaries ------------------------------------------------------------------------------------

def test_a_month_whose_run_started_is_closed_to_salary_choices():
    refuse_closed_month(None)
    closed = refused(refuse_closed_month, 202612)
    assert closed.rule == "salary.month_closed"
    assert closed.message == ("the 2026-12 payroll run has started and pays the salaries in "
                              "force then: choose this salary from 2027-01")


def test_a_salary_above_the_budget_needs_staff_and_a_reason():
    assert accepted_shortfall(100_000, 100_000, 80_000, None, False) == 0
    over = refused(accepted_shortfall, 100_001, 100_000, 80_000, None, True)
    assert over.rule == "budget.exceeded"
    assert over.message == ("this salary costs 1000.01 EUR and the activity's available budget "
                            "is 1000.00 EUR: 0.01 EUR short; the budget pays at most 800.00 EUR "
                            "gross")
    by_self = refused(accepted_shortfall, 100_001, 100_000, 80_000, "I insist", False)
    assert by_self.rule == "budget.override_by_staff"
    assert accepted_shortfall(100_001, 100_000, 80_000, "advance agreed", True) == 1


# -- runs ----------------------------------------------------------------------------------------

def test_a_cooperative_s_months_are_paid_in_order_one_run_at_a_time():
    blocked = out_of_sequence(MAR, [("a", 202601, "running"), ("b", 202602, "running"),
                                    ("b", 202604, "running"), ("c", 202602, "completed")])
    assert {c: (why.rule, why.message) for c, why in blocked.items()} == {
        "a": ("run.previous_running", "the 2026-01 run is still running: start 2026-03 once "
              "it completes (resume it if it is stuck)"),
        "b": ("run.out_of_order", "the 2026-04 run exists: 2026-03 comes too late")}


def test_a_run_pays_the_terms_it_fixed_or_the_defaults():
    assert fixed_terms(None, None) == (1, "0.007")
    assert fixed_terms(20, "0.0125") == (20, "0.0125")
    terms = engine_terms(SimpleNamespace(staff=20, at_rate="0.0125"),
                         SimpleNamespace(cadre=True, withholding_rate="0.05"))
    assert terms == engine.Employee(cadre=True, staff=20, at_rate=Decimal("0.0125"),
                                    withholding_rate=Decimal("0.05"))


def test_work_items_hold_50_members_and_name_their_own_cooperative():
    members = [str(n) for n in range(120)]
    assert [len(item) for item in work_items(members)] == [50, 50, 20]
    assert [m for item in work_items(members) for m in item] == members
    refuse_foreign_item("c1", "c1")
    foreign = refused(refuse_foreign_item, "c2", "c1")
    assert (foreign.rule, foreign.message) == ("event.tenant",
                                               "a work item names another cooperative")


def test_a_payslip_continues_the_year_to_date_of_the_month_before():
    assert year_to_date(None, 202603) == engine.YearToDate()
    row = SimpleNamespace(last_period=202602, gross_cents=400_000, smic="3646.14",
                          reduction_cents=12_345)
    assert year_to_date(row, 202603) == engine.YearToDate(400_000, Decimal("3646.14"), 12_345)
    late = refused(year_to_date, row, 202601)
    assert (late.rule, late.message) == ("payslip.out_of_order", "2026-02 is already paid: "
                                         "2026-01 comes too late in the year")


def test_a_month_without_rate_tables_is_refused_with_its_rule():
    none = refused(engine.table_for, date(2024, 12, 1))
    assert (none.rule, none.message) == ("rates.none", "no payroll rates in force in 2024-12")
