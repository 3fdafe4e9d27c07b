"""The chart, the posting rules, the schedules recorded and the statements (pure domain)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cae_ledger.domain import entries as domain
from cae_ledger.domain.contribution import Schedule
from cae_ledger.domain.entries import (
    ACTIVITY_AUXILIARY_ACCOUNTS,
    CHART_OF_ACCOUNTS,
    auxiliary_account,
)
from cae_ledger.domain.schedules import (
    DEFAULT_SCHEDULE,
    build_schedule,
    public_bands,
    schedule_in_force,
)
from cae_ledger.domain.statements import (
    in_group,
    income_statement,
    treasury_groups,
    trial_balance,
)
from caekit.period import Period
from caekit.rules import RuleViolation


def test_the_chart_holds_the_pcg_accounts_the_platform_uses():
    # domain.md, "Money": the Plan Comptable Général accounts in use
    assert {"401", "411", "421", "425", "431", "437", "44566", "44571", "512", "641", "645",
            "706", "707"} <= set(CHART_OF_ACCOUNTS)
    # and the contribution pair, income tax withheld (PAS) and the usual class-6 expenses
    assert {"658", "758", "4421", "606", "625"} <= set(CHART_OF_ACCOUNTS)
    assert all(CHART_OF_ACCOUNTS[n][1] == "expense" for n in CHART_OF_ACCOUNTS if n.startswith("6"))
    assert CHART_OF_ACCOUNTS["411"][1] == "asset" and CHART_OF_ACCOUNTS["706"][1] == "revenue"
    assert auxiliary_account("411", "BOULANGE") == "411-BOULANGE"
    assert ACTIVITY_AUXILIARY_ACCOUNTS == ("401", "411", "421", "425")


def test_an_activity_opens_its_four_auxiliary_accounts():
    assert domain.activity_accounts("LEA") == (
        ("401-LEA", "Fournisseurs - LEA", "liability", "401"),
        ("411-LEA", "Clients - LEA", "asset", "411"),
        ("421-LEA", "Personnel - rémunérations dues - LEA", "liability", "421"),
        ("425-LEA", "Personnel - notes de frais - LEA", "liability", "425"))


def refused(call) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        call()
    return caught.value


def test_an_entry_in_a_closed_period_is_refused():
    draft = domain.payment("LEA", date(2026, 3, 31), "P1", "Encaissement", 1_200, 200)
    assert domain.check_entry(draft, {202602}) == 1_200
    refusal = refused(lambda: domain.check_entry(draft, {202603}))
    assert refusal.rule == "period.closed"
    assert refusal.message == "the period 2026-03 is closed: no entry can be dated 2026-03-31"


def test_the_reversal_rules():
    payment = domain.payment("LEA", date(2026, 3, 2), "P1", "Encaissement", 1_200, 200)
    on = date(2026, 3, 10)
    domain.check_reversal(payment, "e1", on, derived_from=None, already_reversed=False)
    reversal = domain.reversal_of(payment, "e1", on)
    assert reversal.reverses == "e1" and reversal.revenue_cents == -1_000
    assert [line.signed_cents for line in reversal.lines] == [-1_200, 1_200]
    cases = [
        (reversal, {}, "entry.is_a_reversal"),
        (payment, {"derived_from": "e0"}, "entry.derived"),
        (payment, {"already_reversed": True}, "entry.already_reversed"),
        (payment, {"on": date(2026, 3, 1)}, "entry.reversal_date"),
    ]
    for draft, change, rule in cases:
        facts = {"on": on, "derived_from": None, "already_reversed": False, **change}
        assert refused(lambda d=draft, f=facts: domain.check_reversal(d, "e1", **f)).rule == rule


def test_a_month_closes_once_over_and_its_minimum_is_topped_up():
    march = Period(202603)
    assert refused(lambda: domain.check_closable(march, date(2026, 3, 31), set())).rule == \
        "period.not_over"
    assert refused(lambda: domain.check_closable(march, date(2026, 4, 1), {202603})).message == \
        "2026-03 is already closed"
    domain.check_closable(march, date(2026, 4, 1), {202602})
    minimum = Schedule.flat(date(2026, 1, 1), Decimal("0.10"), monthly_minimum_cents=15_000)
    top_up = domain.minimum_contribution("LEA", march, minimum, 5_000)
    assert (top_up.entry_date, top_up.piece_ref, top_up.label, top_up.lines[0].debit_cents) == (
        date(2026, 3, 31), "MIN-202603", "Contribution minimale du mois 2026-03", 10_000)
    assert domain.minimum_contribution("LEA", march, minimum, 15_000) is None


def test_schedules_from_their_public_form_and_the_one_in_force():
    tiered = build_schedule(date(2026, 1, 1), [{"from_cents": 0, "rate": "0.10"},
                                               {"from_cents": 3_500_000, "rate": Decimal("0.08")}], 0)
    assert public_bands(tiered) == [{"from_cents": 0, "rate": Decimal("0.10")},
                                    {"from_cents": 3_500_000, "rate": Decimal("0.08")}]
    for bands in ([], [{"from_cents": 5, "rate": "0.1"}], [{"from_cents": 0, "rate": "x"}],
                  [{"from_cents": 0, "rate": "2"}]):
        refusal = refused(lambda b=bands: build_schedule(date(2026, 1, 1), b, 0))
        assert refusal.rule == "schedule.invalid" and refusal.message.startswith("invalid schedule: ")
    override = Schedule.flat(date(2026, 7, 1), Decimal("0.05"))
    versions = [("", tiered), ("BETA", override)]
    assert schedule_in_force([], "LEA", date(2026, 5, 1)) == DEFAULT_SCHEDULE
    assert schedule_in_force(versions, "LEA", date(2025, 5, 1)) == DEFAULT_SCHEDULE  # none yet
    assert schedule_in_force(versions, "BETA", date(2026, 6, 30)) == tiered
    assert schedule_in_force(versions, "BETA", date(2026, 7, 1)) == override
    assert schedule_in_force(versions, "LEA", date(2026, 7, 1)) == tiered


def test_statements_from_account_totals():
    totals = [("401-LEA", 0, 14_500), ("411-LEA", 120_000, 60_000), ("421-LEA", 0, 500),
              ("44571", 0, 20_000), ("512", 60_000, 0), ("606", 10_000, 0), ("658", 5_000, 0),
              ("706", 0, 100_000)]
    labels = {"706": "Prestations de services"}
    trial = trial_balance(Period(202601), Period(202612), totals, labels)
    assert trial.debit_cents == trial.credit_cents == 195_000
    assert (trial.items[-1].label, trial.items[-1].balance_cents) == ("Prestations de services",
                                                                      -100_000)
    assert trial.items[0].label == "401-LEA"  # no label: its number
    statement = income_statement("LEA", 2026, totals, labels)
    assert [row.account for row in statement.revenue] == ["706"]
    assert [row.account for row in statement.charges] == ["606", "658"]
    assert (statement.revenue_cents, statement.charges_cents, statement.result_cents) == (
        100_000, 15_000, 85_000)
    assert in_group("44571", "42,-421,-425,43,44") and not in_group("421-LEA", "42,-421,-425,43,44")
    groups = {group.name: group.balance_cents for group in treasury_groups(totals)}
    assert groups == {"cash": 60_000, "taxes_and_contributions": -20_000, "suppliers": -14_500,
                      "salaries_to_pay": -500, "customers": 60_000, "expense_reports": 0}


# -- issue "bounds everywhere" and payroll run cancellation --------------------------------------

def test_amounts_and_dates_outside_the_platform_ranges_are_refused_naming_the_field():
    big = 10**12
    assert domain.payment("LEA", date(2026, 3, 2), "P1", "x", big, 0).lines[0].debit_cents == big
    for call, rule, field in (
            (lambda: domain.payment("LEA", date(2026, 3, 2), "P1", "x", big + 1, 0),
             "amount.out_of_range", "amount_cents"),
            (lambda: domain.payment("LEA", date(2026, 3, 2), "P1", "x", 10**30, 0),
             "amount.out_of_range", "amount_cents"),
            (lambda: domain.invoice("LEA", date(2026, 3, 2), "F1", "x", big, 1),
             "amount.out_of_range", "vat_cents"),
            (lambda: domain.expense("LEA", date(2026, 3, 2), "A1", "x", "606", 1, big),
             "amount.out_of_range", "net_cents"),
            (lambda: domain.supplier_payment("LEA", date(2026, 3, 2), "R1", "x", 2**63 - 1),
             "amount.out_of_range", "amount_cents"),
            (lambda: domain.salary("LEA", date(2026, 3, 31), "PAIE", "x", domain.Payslip(
                big + 1, 0, 0, big + 1, 0, 0, 0)), "amount.out_of_range", "gross_cents"),
            (lambda: domain.check_entry(domain.payment("LEA", date(1, 1, 1), "P1", "x", 100, 0)),
             "date.out_of_range", "date"),
            (lambda: domain.check_entry(domain.payment("LEA", date(9999, 12, 31), "P1", "x", 100,
                                                       0)), "date.out_of_range", "date"),
            (lambda: domain.check_entry(domain.EntryDraft("OD", date(2026, 3, 2), "OD", "x", (
                domain.Line("512", big + 1, 0), domain.Line("706", 0, big + 1)))),
             "amount.out_of_range", "lines.0.debit_cents"),
            (lambda: build_schedule(date(1899, 12, 31), [{"from_cents": 0, "rate": "0.1"}], 0),
             "date.out_of_range", "effective_on"),
            (lambda: build_schedule(date(2026, 1, 1), [{"from_cents": 0, "rate": "0.1"}], big + 1),
             "amount.out_of_range", "monthly_minimum_cents"),
            (lambda: build_schedule(date(2026, 1, 1), [{"from_cents": 0, "rate": "0.1"},
                                                       {"from_cents": 10**30, "rate": "0.1"}], 0),
             "amount.out_of_range", "bands"),
            (lambda: build_schedule(date(2026, 1, 1), [{"from_cents": 0, "rate": "0.00001"}], 0),
             "schedule.invalid", "bands"),
            (lambda: domain.cancellation_day(date(1, 1, 1), date(2026, 1, 31), set()),
             "date.out_of_range", "cancelled_on")):
        refusal = refused(call)
        assert (refusal.rule, field in refusal.fields) == (rule, True), (refusal.rule, refusal.fields)


def test_the_books_are_closed_up_to_the_latest_closed_month():
    closed = {202601, 202602}
    for day in (date(2026, 2, 28), date(2026, 1, 5), date(2025, 6, 1)):
        refusal = refused(lambda d=day: domain.check_open(d, closed))
        assert refusal.rule == "period.closed" and "date" in refusal.fields
    assert refused(lambda: domain.check_open(date(2025, 6, 1), closed)).message == (
        "the books are closed up to 2026-02: no entry can be dated 2025-06-01")
    domain.check_open(date(2026, 3, 1), closed)
    assert domain.first_open_day(date(2026, 2, 10), closed) == date(2026, 3, 1)
    assert domain.first_open_day(date(2025, 2, 10), closed) == date(2026, 3, 1)
    assert domain.first_open_day(date(2026, 3, 10), closed) == date(2026, 3, 10)
    assert domain.first_open_day(date(2026, 2, 10), set()) == date(2026, 2, 10)


def test_months_are_closed_in_order_once_over():
    today = date(2026, 6, 15)
    rule = lambda period, closed, first=None: refused(  # noqa: E731
        lambda: domain.check_closable(Period(period), today, closed, first)).rule
    # over from the first day of the next month
    assert rule(202606, set()) == "period.not_over"
    assert refused(lambda: domain.check_closable(Period(202606), today, set())).message == (
        "2026-06 is not over yet: it can be closed from 2026-07-01")
    domain.check_closable(Period(202605), today, set())
    # nothing closed yet: from the first month with entries (or any earlier month)
    assert rule(202603, set(), 202601) == "period.earlier_open"
    assert "2026-01" in refused(lambda: domain.check_closable(
        Period(202603), today, set(), 202601)).message
    domain.check_closable(Period(202601), today, set(), 202601)
    domain.check_closable(Period(202512), today, set(), 202601)
    # then one month after the other, an empty month included (its minimums are charged)
    assert rule(202603, {202601}, 202601) == "period.earlier_open"
    domain.check_closable(Period(202602), today, {202601}, 202601)
    # closed, or before the latest closed month: already closed
    assert rule(202601, {202601, 202602}) == "period.already_closed"
    assert rule(202512, {202601, 202602}) == "period.already_closed"
    assert refused(lambda: domain.check_closable(Period(202512), today, {202601})).message == (
        "2025-12 is closed: the books are closed up to 2026-01")


def test_the_reversal_of_a_cancelled_runs_salary_is_dated_on_an_open_day():
    paid = date(2026, 1, 31)
    # the day the run was cancelled
    assert domain.cancellation_day(date(2026, 2, 10), paid, set()) == date(2026, 2, 10)
    # never before the salary itself
    assert domain.cancellation_day(date(2026, 1, 20), paid, set()) == paid
    # the books closed on that day: the first day after the latest closed month
    assert domain.cancellation_day(date(2026, 2, 10), paid, {202601, 202602}) == date(2026, 3, 1)
    assert domain.cancellation_day(date(2026, 1, 20), paid, {202601}) == date(2026, 2, 1)
    assert domain.cancellation_day(date(2026, 4, 2), paid, {202601, 202602}) == date(2026, 4, 2)
