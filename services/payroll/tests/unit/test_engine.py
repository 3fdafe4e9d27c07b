"""The payslip engine's rules, with the numbers of domain.md and stack.md."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import pytest

from cae_payroll.domain.engine import (
    Employee,
    NoRates,
    YearToDate,
    payslip,
    rate_tables,
    table_for,
)
from cae_payroll.domain.inversion import cost, gross_for_budget, gross_for_net, net

JAN_2026 = date(2026, 1, 1)
FIFTY = Employee(staff=50)


def test_the_rate_tables_have_a_source_for_every_rate():
    dates = [t.effective_on for t in rate_tables()]
    assert dates == [date(2025, 1, 1), date(2025, 5, 1), date(2026, 1, 1), date(2026, 6, 1)]
    for table in rate_tables():
        assert all(line.source for line in table.lines)
        assert set(table.sources) == {"pmss", "smic_hourly", "monthly_hours", "csg_allowance"}
        assert table.reduction["source"]
    # domain.md: SMIC 12.02 from 2026-01-01, 12.31 from 2026-06-01; PMSS 4,005 (2025: 3,925)
    assert table_for(date(2026, 5, 31)).smic_hourly == Decimal("12.02")
    assert table_for(date(2026, 6, 1)).smic_hourly == Decimal("12.31")
    assert round(table_for(date(2026, 6, 1)).smic_monthly, 2) == Decimal("1867.06")
    assert round(table_for(JAN_2026).smic_monthly, 2) == Decimal("1823.07")
    assert (table_for(JAN_2026).pmss, table_for(date(2025, 12, 1)).pmss) == (4005, 3925)
    with pytest.raises(NoRates):
        table_for(date(2024, 12, 1))


def test_the_reference_payslip_of_stack_md():
    # 2026-01, 50 staff, non-cadre, gross 2,500: net 1,978.99, employee contributions
    # 282.75 (CSG and CRDS apart), employer 1,069.15 before a reduction of 433.75, cost
    # 3,135.40 in OpenFisca, whose AGS is 0.20 %: ours is 0.25 % (+1.25 EUR).
    slip = payslip(JAN_2026, 250_000, FIFTY)
    csg = sum(slip.line(c).employee_cents for c in ("csg_deductible", "csg_non_deductible", "crds"))
    assert slip.net_before_tax_cents == 197_899
    assert slip.employee_contributions_cents - csg == 28_275
    assert slip.line("ags").employer_cents == 625
    assert slip.reduction_coefficient == Decimal("0.1735")
    assert slip.line("reduction_generale").employer_cents == -43_375
    assert slip.employer_contributions_cents + 43_375 == 106_915 + 125
    assert slip.employer_cost_cents == 313_540 + 125
    # the ledger's identities (cae.payroll.payslip_issued.v1)
    assert slip.urssaf_cents + slip.other_bodies_cents == (slip.employee_contributions_cents
                                                           + slip.employer_contributions_cents)
    assert slip.net_paid_cents == slip.gross_cents - slip.employee_contributions_cents


def test_tranches_ceilings_and_who_pays_what():
    # 6,000 EUR in 2026, cadre, 20 staff: tranche 2 above the PMSS (4,005), rounded per slice
    slip = payslip(JAN_2026, 600_000, Employee(cadre=True, staff=20))
    assert slip.line("agirc_arrco_t1").employee_cents == 12_616  # 4,005 x 3.15 % = 126.1575
    assert slip.line("agirc_arrco_t2").employee_cents == 17_237  # 1,995 x 8.64 % = 172.368
    assert slip.line("cet").base_cents == 600_000  # CET on the whole salary once above the PMSS
    assert slip.line("apec") and slip.line("prevoyance_cadre").employer_cents == 6_008  # 60.075
    assert slip.line("forfait_social").employer_cents == 481  # 8 % of 60.08 (11+ staff)
    assert slip.line("fnal").base_cents == 400_500  # under 50 staff: up to the ceiling
    assert slip.line("peec") is None  # from 50 staff
    assert slip.line("formation").employer_rate == Decimal("0.01")  # 11+ staff
    # CSG base: gross - 1.75 % + the employer's prévoyance (CSS L136-1-1)
    assert slip.line("csg_deductible").base_cents == 600_000 - 10_500 + 6_008
    assert payslip(JAN_2026, 600_000, Employee(staff=5)).line("formation").employer_rate == \
        Decimal("0.0055")
    # unemployment insurance and AGS stop at 4 PMSS
    high = payslip(JAN_2026, 2_000_000, FIFTY)
    assert high.line("chomage").base_cents == 4 * 400_500
    assert high.line("reduction_generale").employer_cents == 0
    # below the PMSS: no tranche 2, no CET; non-cadre: no APEC
    low = payslip(JAN_2026, 300_000, FIFTY)
    assert low.line("agirc_arrco_t2").employee_cents == 0 and low.line("cet").base_cents == 0
    assert low.line("apec") is None


def test_2025_reduced_rates_and_the_reduction_generale():
    # 2025: maladie 7 % up to 2.25 SMIC of 2025-01-01 (4,054.14), famille 3.45 % under 3.3 SMIC
    may = date(2025, 5, 1)
    low = payslip(may, 405_413, FIFTY)
    assert low.line("maladie").employer_rate == Decimal("0.07")
    assert payslip(may, 405_414, FIFTY).line("maladie").employer_rate == Decimal("0.13")
    assert low.line("famille").employer_rate == Decimal("0.0345")
    assert payslip(may, 594_608, FIFTY).line("famille").employer_rate == Decimal("0.0525")
    # chômage 4.05 % until 2025-04-30, 4.00 % from 2025-05-01
    assert payslip(date(2025, 4, 1), 250_000, FIFTY).line("chomage").employer_cents == 10_125
    assert payslip(may, 250_000, FIFTY).line("chomage").employer_cents == 10_000
    # réduction générale: C = round4(T x (1.6 SMIC / gross - 1) / 0.6), T = 0.3233 (50+)
    # at 2,500: 1.6 x 1,801.8396 / 2,500 = 1.15317..., (0.15317 / 0.6) x 0.3233 = 0.08254 -> 0.0825
    assert payslip(may, 250_000, FIFTY).reduction_coefficient == Decimal("0.0825")
    assert payslip(may, 290_000, FIFTY).reduction_coefficient == 0  # above 1.6 SMIC


def test_the_rgdu_is_computed_year_to_date_and_regularised_each_month():
    """SMIC, 5,000, SMIC in January-March 2026 (50 staff), by hand:

    monthly SMIC S = 12.02 x 151.67 = 1,823.0734 (CSS D241-7, unrounded)
    C = 0.02 + round4(0.3821 x (0.5 x (3 x S_ytd / G_ytd - 1)) ^ 1.75), capped at 0.4021,
    0 from 3 SMIC; reduction due = round(C x G_ytd); month = due - what earlier months took.

    January: G 1,823.07, 3S/G = 3.0000056 -> x = 1.0000028, x^1.75 = 1.0000049,
             0.3821 x = 0.38210 -> C = 0.4021 (the cap); due 0.4021 x 1,823.07 = 733.056
             -> 733.06; January takes 733.06.
    February: G 6,823.07, S 3,646.1468; 3S/G = 1.6031552 -> x = 0.3015776,
             x^1.75 = 0.1227294, x 0.3821 = 0.0468949 -> 0.0469; C = 0.0669;
             due 0.0669 x 6,823.07 = 456.463 -> 456.46; February: 456.46 - 733.06 = -276.60
             (the reduction taken in January is partly given back).
    March:   G 8,646.14, S 5,469.2202; 3S/G = 1.8976862 -> x = 0.4488431,
             x^1.75 = 0.2461305, x 0.3821 = 0.0940465 -> 0.0940; C = 0.1140;
             due 0.1140 x 8,646.14 = 985.660 -> 985.66; March: 985.66 - 456.46 = 529.20.
    Year to date 985.66, where month by month (733.06 + 109.00 + 733.06 = 1,575.12) would
    take 589.46 too much.
    """
    ytd = YearToDate()
    taken = []
    for month, gross in ((1, 182_307), (2, 500_000), (3, 182_307)):
        slip = payslip(date(2026, month, 1), gross, FIFTY, ytd)
        taken.append((slip.reduction_coefficient, -slip.line("reduction_generale").employer_cents))
        ytd = slip.year_to_date
    assert taken == [(Decimal("0.4021"), 73_306), (Decimal("0.0669"), -27_660),
                     (Decimal("0.1140"), 52_920)]
    assert ytd.reduction_cents == 98_566 and ytd.gross_cents == 864_614
    alone = [-payslip(date(2026, m, 1), g, FIFTY).line("reduction_generale").employer_cents
             for m, g in ((1, 182_307), (2, 500_000), (3, 182_307))]
    assert alone == [73_306, 10_900, 73_306] and sum(alone) - 98_566 == 58_946


def test_cost_jumps_at_the_pmss_and_at_3_smic_and_net_drops_at_the_pmss():
    pmss, three_smic = 400_500, 546_922  # 3 x 1,823.0734 = 5,469.22
    assert cost(JAN_2026, pmss + 1, FIFTY) - cost(JAN_2026, pmss, FIFTY) > 500  # CET on the whole
    assert net(JAN_2026, pmss + 1, FIFTY) < net(JAN_2026, pmss, FIFTY)
    below, above = (payslip(JAN_2026, g, FIFTY) for g in (three_smic, three_smic + 1))
    assert below.reduction_coefficient == Decimal("0.0200") and above.reduction_coefficient == 0
    assert above.employer_cost_cents - below.employer_cost_cents > 10_000  # 109.38 EUR


def _employees(rng):
    return Employee(cadre=rng.random() < 0.5, staff=rng.choice((5, 20, 50, 300)),
                    at_rate=Decimal(rng.choice(("0.007", "0.012", "0.031"))))


def test_a_budget_buys_the_largest_gross_that_fits_on_10000_random_budgets():
    rng = random.Random(2026)
    months = [date(2025, m, 1) for m in (1, 5, 11)] + [date(2026, m, 1) for m in (1, 3, 6, 12)]
    for _ in range(10_000):
        month, employee = rng.choice(months), _employees(rng)
        # around the jumps more often than elsewhere
        budget = rng.choice((rng.randint(0, 3_000_000), rng.randint(480_000, 560_000),
                             rng.randint(650_000, 760_000)))
        ytd = YearToDate() if rng.random() < 0.7 else payslip(
            month.replace(month=1) if month.month > 1 else month, rng.randint(180_000, 900_000),
            employee).year_to_date
        gross = gross_for_budget(month, budget, employee, ytd)
        assert cost(month, gross, employee, ytd) <= budget, (month, budget, employee)
        assert cost(month, gross + 1, employee, ytd) > budget, (month, budget, employee)


def test_a_net_is_paid_by_the_smallest_gross_that_pays_it():
    rng = random.Random(7)
    for _ in range(500):
        month, employee = date(2026, rng.randint(1, 12), 1), _employees(rng)
        target = rng.choice((rng.randint(100_000, 2_000_000), rng.randint(300_000, 330_000)))
        gross = gross_for_net(month, target, employee)
        assert net(month, gross, employee) >= target
        assert net(month, gross - 1, employee) < target


def test_amounts_are_int_cents():
    with pytest.raises(TypeError):
        payslip(JAN_2026, 2500.0, FIFTY)
    with pytest.raises(ValueError):
        payslip(JAN_2026, -1, FIFTY)
