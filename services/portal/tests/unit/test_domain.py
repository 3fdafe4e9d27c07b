"""The portal's pure rules: money in French, the months of a chart, the shortfall."""

from __future__ import annotations

import pytest

from cae_portal.domain.money import format_cents, parse_euros, shortfall_cents
from cae_portal.domain.months import bar_chart, months_of_year, nice_ceiling, totals
from caekit.rules import RuleViolation

NB = "\u00a0"


@pytest.mark.parametrize(("cents", "text"), [
    (0, f"0,00{NB}€"), (5, f"0,05{NB}€"), (123456, f"1{NB}234,56{NB}€"),
    (-123456, f"-1{NB}234,56{NB}€"), (100000000, f"1{NB}000{NB}000,00{NB}€"),
    (99, f"0,99{NB}€"), (100, f"1,00{NB}€")])
def test_amounts_are_written_the_french_way_with_no_break_spaces(cents, text):
    assert format_cents(cents) == text


def test_a_float_is_never_an_amount():
    with pytest.raises(TypeError):
        format_cents(12.5)
    with pytest.raises(TypeError):
        format_cents(True)


@pytest.mark.parametrize(("typed", "cents"), [
    ("2000", 200000), ("2 000,00", 200000), (f"2{NB}150,5", 215050), ("2150.55", 215055),
    ("0", 0), (" 1\u202f234,56 € ", 123456), ("-3,1", -310)])
def test_typed_euros_are_read_back_to_exact_cents(typed, cents):
    assert parse_euros(typed) == cents


@pytest.mark.parametrize("typed", ["", "deux mille", "2,345", "1.000,00", "12e3", "--1"])
def test_what_is_not_an_amount_is_refused(typed):
    with pytest.raises(RuleViolation) as refused:
        parse_euros(typed)
    assert refused.value.rule == "amount.invalid"


def test_an_absurd_amount_is_refused():
    with pytest.raises(RuleViolation):
        parse_euros("1000000000")


def test_the_shortfall_is_what_the_budget_lacks():
    assert shortfall_cents(749035, 605004) == 144031
    assert shortfall_cents(100, 200) == 0


def _entry(day, kind, lines, revenue=0, activity="ACT"):
    return {"date": day, "kind": kind, "revenue_cents": revenue, "activity_code": activity,
            "lines": [{"account": a, "activity_code": act, "debit_cents": d, "credit_cents": c}
                      for a, act, d, c in lines]}


ENTRIES = [
    _entry("2026-01-05", "invoice", [("411-ACT", "ACT", 120000, 0), ("706", "ACT", 0, 100000),
                                     ("44571", "ACT", 0, 20000)], revenue=100000),
    _entry("2026-01-25", "payment", [("512", "ACT", 120000, 0), ("411-ACT", "ACT", 0, 120000)],
           revenue=100000),
    _entry("2026-01-25", "contribution", [("658", "ACT", 10000, 0), ("791", None, 0, 10000)]),
    _entry("2026-02-10", "expense", [("606", "ACT", 12000, 0), ("44566", "ACT", 2400, 0),
                                     ("401-ACT", "ACT", 0, 14400)]),
    _entry("2026-03-31", "salary", [("641", "ACT", 200000, 0), ("645", "ACT", 80000, 0),
                                    ("421-ACT", "ACT", 0, 150000), ("431", "ACT", 0, 130000)]),
    # a reversal of February's expense in March: the lines swapped, negative in March
    _entry("2026-03-02", "expense", [("606", "ACT", 0, 12000), ("44566", "ACT", 0, 2400),
                                     ("401-ACT", "ACT", 14400, 0)]),
    _entry("2026-02-25", "payment", [("512", "OTHER", 60000, 0)], revenue=50000,
           activity="OTHER"),  # another activity's
    _entry("2025-12-25", "payment", [("512", "ACT", 60000, 0)], revenue=50000),  # last year
]


def test_the_months_of_a_year_follow_the_ledgers_budget_rule():
    months = months_of_year(ENTRIES, "ACT", 2026, up_to_month=4)
    assert [m.month for m in months] == [1, 2, 3, 4]
    jan, feb, mar, apr = months
    assert (jan.revenue_cents, jan.contribution_cents, jan.expenses_cents) == (100000, 10000, 0)
    assert feb.expenses_cents == 12000 and feb.revenue_cents == 0
    assert (mar.expenses_cents, mar.salaries_cents) == (-12000, 280000)
    assert apr == type(apr)(4)
    total = totals(months)
    assert (total.revenue_cents, total.contribution_cents, total.expenses_cents,
            total.salaries_cents) == (100000, 10000, 0, 280000)


def test_the_chart_scales_every_bar_to_a_round_ceiling():
    assert [nice_ceiling(c) for c in (1, 100, 101, 250, 999, 100001)] == [
        100, 100, 200, 500, 1000, 200000]
    months = months_of_year(ENTRIES, "ACT", 2026, up_to_month=3)
    chart = bar_chart(months)
    assert len(chart.bars) == 3 * 4
    tallest = max(chart.bars, key=lambda b: b.cents)
    assert tallest.series == "salaries" and tallest.y >= 12  # within the plot
    assert all(b.height >= 0 and b.y + b.height == chart.baseline for b in chart.bars)
    negative = next(b for b in chart.bars if b.cents < 0)
    assert negative.height == 0  # the table gives the figure
    assert chart.ticks[0] == (chart.baseline, 0) and chart.ticks[-1][1] == 500000


def test_an_empty_year_draws_no_bar_and_no_division_by_zero():
    chart = bar_chart(months_of_year([], "ACT", 2026, 12))
    assert all(b.height == 0 for b in chart.bars)
