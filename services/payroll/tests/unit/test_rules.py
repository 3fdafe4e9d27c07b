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
from caekit.rules import ConflictingState, RuleViolation, UnknownRecord

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
                         SimpleNamespace(cadre=True, withholding_rate="0.05",
                                         monthly_hours_x100=None))
    assert terms == engine.Employee(cadre=True, staff=20, at_rate=Decimal("0.0125"),
                                    withholding_rate=Decimal("0.05"))
    part_time = engine_terms(SimpleNamespace(staff=20, at_rate="0.0125"),
                             SimpleNamespace(cadre=False, withholding_rate="0",
                                             monthly_hours_x100=10_400))
    assert part_time.hours == Decimal("104")


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


# -- bounds: the months a run and a salary may be for ----------------------------------------------

def test_a_run_is_for_a_month_at_most_next_month():
    from cae_payroll.domain.runs import refuse_too_far_ahead

    today = date(2026, 12, 7)
    refuse_too_far_ahead(Period(202612), today)
    refuse_too_far_ahead(Period(202701), today)  # prepared before the month ends
    refuse_too_far_ahead(Period(190001), today)  # the past: the rate tables decide
    for far in (202702, 220012):
        ahead = refused(refuse_too_far_ahead, Period(far), today)
        assert (ahead.rule, ahead.fields) == ("run.too_far_ahead", {"period": ahead.message})
        assert ahead.message.startswith("a payroll run is for a month up to 2027-01")


def test_a_salary_is_chosen_at_most_twelve_months_ahead_and_at_least_at_the_smic():
    from cae_payroll.domain.salaries import refuse_below_smic, refuse_too_far_ahead

    today = date(2026, 12, 7)
    refuse_too_far_ahead(Period(202712), today)
    ahead = refused(refuse_too_far_ahead, Period(202801), today)
    assert (ahead.rule, list(ahead.fields)) == ("salary.too_far_ahead", ["period"])
    refuse_below_smic(0, 182_307, "151.67")  # no salary
    refuse_below_smic(182_307, 182_307, "151.67")
    low = refused(refuse_below_smic, 182_306, 182_307, "151.67")
    assert (low.rule, list(low.fields)) == ("salary.below_smic", ["gross_cents"])
    assert low.message.startswith("1823.06 EUR is below the SMIC for 151.67 h a month "
                                  "(1823.07 EUR)")


def test_the_smic_for_the_hours_paid_is_the_least_gross():
    assert engine.minimum_gross_cents(date(2026, 1, 1)) == 182_307  # 12.02 x 151.67 = 1,823.0734
    assert engine.minimum_gross_cents(date(2026, 6, 1)) == 186_706  # 12.31 x 151.67 = 1,867.0577
    assert engine.minimum_gross_cents(date(2026, 1, 1), Decimal("104")) == 125_008  # 1,250.08
    assert engine.minimum_gross_cents(date(2026, 1, 1), Decimal("75.83")) == 91_148  # 911.4766


def test_a_part_time_month_s_reduction_is_computed_on_the_smic_for_its_hours():
    """CSS D241-7: the SMIC of the reduction's formula is the SMIC for the hours paid. A
    part-time employee paid twice the hourly SMIC gets the full-time coefficient of twice
    the SMIC, not the maximum (what a full-time SMIC against a part-time pay would give)."""
    month, half = date(2026, 3, 1), Decimal("75.835")
    full = engine.payslip(month, 364_614, engine.Employee())  # 2 x 1,823.07
    part = engine.payslip(month, 182_307, engine.Employee(hours=half))
    assert part.reduction_coefficient == full.reduction_coefficient > 0
    assert part.reduction_coefficient < engine.payslip(month, 182_307, engine.Employee())\
        .reduction_coefficient
    assert part.year_to_date.smic == Decimal("12.02") * half
    assert engine.reduction_smic(month, half) == Decimal("12.02") * half
    assert engine.reduction_smic(month) == Decimal("12.02") * Decimal("151.67")


def test_contract_hours_are_from_1_to_full_time_in_hundredths():
    from cae_payroll.domain.employees import hours_text, parse_hours

    assert parse_hours(None) is None
    assert parse_hours("151.67") is None  # full time
    assert parse_hours("104") == 10_400 and hours_text(10_400) == "104.00"
    assert parse_hours("75.83") == 7_583 and hours_text(None) == "151.67"
    for bad in ("0.5", "151.68", "200", "12.345", "x", "NaN"):
        assert refused(parse_hours, bad).rule == "hours.invalid", bad


# -- the establishment ---------------------------------------------------------------------------

def test_a_siret_is_14_digits_with_its_luhn_check_and_the_cooperative_s_siren():
    from cae_payroll.domain.employees import check_convention, check_siret, luhn_valid

    assert check_siret("73282932000017", "732829320") == "73282932000017"
    assert check_siret("73282932000017", None) == "73282932000017"  # SIREN not known yet
    assert check_siret(None, "732829320") is None
    assert luhn_valid("732829320") and not luhn_valid("73282932000018")
    assert check_siret("35600000000048", None)  # La Poste's head office: Luhn
    assert check_siret("35600000012346", None)  # La Poste's establishments: digit sum / 5
    for bad, rule in (("73282932000018", "siret.invalid"), ("7328293200001", "siret.invalid"),
                      ("7328293200001x", "siret.invalid"), ("７３２８２９３２００００１７", "siret.invalid"),
                      ("55210055400005", "siret.other_company")):
        violation = refused(check_siret, bad, "732829320")
        assert (violation.rule, list(violation.fields)) == (rule, ["siret"]), bad
    assert check_convention("1486", "Bureaux d'études techniques") == (
        "1486", "Bureaux d'études techniques")
    assert check_convention(None, None) == (None, None)
    assert refused(check_convention, "1486", None).fields == {
        "convention_title": refused(check_convention, "1486", None).message}
    assert list(refused(check_convention, None, "Syntec").fields) == ["convention_idcc"]


def test_salaries_are_paid_on_the_payment_day_or_the_month_s_last_day():
    from cae_payroll.domain.employees import payment_date

    assert payment_date(Period(202602), None) == date(2026, 2, 28)
    assert payment_date(Period(202602), 31) == date(2026, 2, 28)
    assert payment_date(Period(202603), 25) == date(2026, 3, 25)


def test_a_contract_s_dates_are_within_the_platform_s(session):
    coop, member = str(uuid.uuid4()), str(uuid.uuid4())
    far = refused(employees.sign_contract, session, coop, member, "CESA", str(uuid.uuid4()),
                  date(2300, 1, 1))
    assert (far.rule, list(far.fields)) == ("date.out_of_range", ["signed_on"])
    assert session.get(Employee, (coop, member)) is None


# -- cancelling a run ----------------------------------------------------------------------------

def test_a_run_is_cancelled_once_before_its_payment_date_and_only_the_latest():
    from cae_payroll.domain.runs import refuse_cancel, refuse_cancelled

    refuse_cancel("completed", MAR, date(2026, 3, 31), date(2026, 3, 30), None)
    refuse_cancel("running", MAR, date(2026, 3, 31), date(2026, 3, 1), None)
    paid = refused(refuse_cancel, "completed", MAR, date(2026, 3, 31), date(2026, 3, 31), None)
    assert (paid.rule, paid.message) == ("run.paid", "the 2026-03 salaries are paid on "
                                         "2026-03-31: a run can be cancelled only before")
    twice = refused(refuse_cancel, "cancelled", MAR, date(2026, 3, 31), date(2026, 3, 1), None)
    assert isinstance(twice, ConflictingState) and twice.rule == "run.cancelled"
    later = refused(refuse_cancel, "completed", MAR, date(2026, 3, 31), date(2026, 3, 1), 202604)
    assert (later.rule, later.message) == ("run.not_latest", "the 2026-04 run continues this "
                                           "one's year to date: cancel it first")
    assert refused(refuse_cancelled, "cancelled", MAR).rule == "run.cancelled"
    refuse_cancelled("running", MAR)


# -- signed links --------------------------------------------------------------------------------

def test_a_signed_link_opens_its_payslip_until_it_expires():
    from cae_payroll.domain.documents import LinkRefused, check_link, signature

    key, coop, slip = b"k" * 32, "c1", "p1"
    signed = signature(key, coop, slip, 1_000)
    assert len(signed) == 64
    check_link(key, coop, slip, 1_000, signed, now=1_000)
    check_link(key, coop, slip, 1_000, signed.upper(), now=999)
    for args, rule in (((key, coop, slip, 1_000, signed, 1_001), "link.expired"),
                       ((key, coop, "p2", 1_000, signed, 900), "link.invalid"),
                       ((key, "c2", slip, 1_000, signed, 900), "link.invalid"),
                       ((key, coop, slip, 1_300, signed, 900), "link.invalid"),
                       ((b"x" * 32, coop, slip, 1_000, signed, 900), "link.invalid")):
        with pytest.raises(LinkRefused) as caught:
            check_link(*args)
        assert caught.value.rule == rule
        assert "demandez-en un nouveau" in caught.value.message
