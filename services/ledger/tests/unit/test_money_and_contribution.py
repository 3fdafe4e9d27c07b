"""Money in cents and the contribution schedule (domain.md, "Money (ledger service)")."""

from __future__ import annotations

import ast
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from cae_ledger.domain.contribution import (
    Band,
    NoScheduleInForce,
    Schedule,
    ScheduleHistory,
    contribution_for,
    effective_schedule,
    monthly_top_up,
)
from cae_ledger.domain.money import (
    UnbalancedEntry,
    allocate,
    apply_rate,
    cents_to_str,
    check_balanced,
    to_cents,
)

D = Decimal
EUR = 100  # cents per euro
JAN_1 = date(2026, 1, 1)


def tiered(effective_on: date = JAN_1) -> Schedule:
    # domain.md: 10 %, 8 % above 35 k EUR and 6 % above 45 k EUR of yearly revenue
    return Schedule(effective_on, (Band(0, D("0.10")), Band(35_000 * EUR, D("0.08")),
                                   Band(45_000 * EUR, D("0.06"))))


# --- money ---------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "cents"), [
    ("12.345", 1235), ("12.344", 1234), ("-0.005", -1), ("0.005", 1), ("-12.345", -1235),
    ("0.004", 0), ("-0.004", 0), ("12", 1200), (" 7.1 ", 710), ("1e2", 10000),
])
def test_to_cents_rounds_half_up_away_from_zero(text, cents):
    assert to_cents(text) == cents


def test_to_cents_takes_decimals_and_whole_euros_and_refuses_floats():
    assert to_cents(D("0.125")) == 13
    assert to_cents(12) == 1200
    for bad in (12.34, 0.1, True):
        with pytest.raises(TypeError):
            to_cents(bad)
    for bad in ("12,34", "abc", "", "NaN", "Infinity"):
        with pytest.raises(ValueError):
            to_cents(bad)


def test_cents_to_str():
    assert cents_to_str(1235) == "12.35"
    assert cents_to_str(5) == "0.05"
    assert cents_to_str(-5) == "-0.05"
    assert cents_to_str(0) == "0.00"
    assert cents_to_str(-123456) == "-1234.56"
    assert cents_to_str(to_cents("987654.3")) == "987654.30"
    with pytest.raises(TypeError):
        cents_to_str(1.5)


def test_apply_rate_rounds_once_half_up():
    assert apply_rate(10_000, D("0.10")) == 1_000
    assert apply_rate(5, D("0.10")) == 1        # 0.5 cent -> 1
    assert apply_rate(4, D("0.10")) == 0        # 0.4 cent -> 0
    assert apply_rate(-5, D("0.10")) == -1      # -0.5 cent -> -1 (away from zero)
    assert apply_rate(1_235, D("0.055")) == 68  # 67.925 -> 68
    assert apply_rate(1_001, D("0.15")) == 150  # 150.15 -> 150
    with pytest.raises(TypeError):
        apply_rate(100, 0.1)
    with pytest.raises(TypeError):
        apply_rate(1.0, D("0.1"))


@pytest.mark.parametrize(("total", "weights", "parts"), [
    (100, [1, 1, 1], [34, 33, 33]),
    (100, [1, 1, 1, 1, 1, 1], [17, 17, 17, 17, 16, 16]),
    (-100, [1, 1, 1], [-34, -33, -33]),
    (1_000, [D("0.5"), D("0.3"), D("0.2")], [500, 300, 200]),
    (1, [1, 3], [0, 1]),
    (10, [0, 1, 0], [0, 10, 0]),
    (0, [2, 5], [0, 0]),
    (101, [1, 1], [51, 50]),
])
def test_allocate_splits_in_proportion_and_sums_exactly(total, weights, parts):
    assert allocate(total, weights) == parts
    assert sum(parts) == total


def test_allocate_always_sums_exactly():
    for total in (1, 7, 99, 1_000_003, -12_345):
        for weights in ([1, 2, 3], [7, 7, 7, 7, 7, 7, 7], [D("0.333"), D("0.667")], [3, 0, 5]):
            parts = allocate(total, weights)
            assert sum(parts) == total
            assert len(parts) == len(weights)


def test_allocate_refuses_bad_weights():
    for weights, error in (([], ValueError), ([0, 0], ValueError), ([1, -1, 2], ValueError),
                           ([0.5, 0.5], TypeError)):
        with pytest.raises(error):
            allocate(100, weights)


def test_check_balanced_accepts_a_balanced_entry():
    # an invoice: 411 debit 1200.00 = 706 credit 1000.00 + 44571 credit 200.00
    assert check_balanced([(120_000, 0), (0, 100_000), (0, 20_000)]) == 120_000


@pytest.mark.parametrize(("lines", "difference"), [
    ([(120_000, 0), (0, 100_000)], 20_000),        # debits exceed credits
    ([(100, 0), (0, 101)], -1),                    # credits exceed debits by a cent
    ([], 0),                                       # nothing moves
    ([(0, 0)], 0),                                 # an empty line
    ([(100, 100), (0, 0)], 0),                     # debit and credit on one line
    ([(-100, 0), (0, -100)], 0),                   # negative amounts, even if "balanced"
    ([(100, 0), (0, 100), (0, 0)], 0),             # one empty line among good ones
])
def test_check_balanced_refusals(lines, difference):
    with pytest.raises(UnbalancedEntry) as refused:
        check_balanced(lines)
    assert refused.value.difference == difference
    assert isinstance(refused.value, ValueError)


def test_check_balanced_refuses_non_int_amounts():
    with pytest.raises(TypeError):
        check_balanced([(1.0, 0), (0, 1)])


# --- contribution -------------------------------------------------------------------

def test_coopaname_flat_ten_percent():
    coopaname = Schedule.flat(JAN_1, D("0.10"))
    assert contribution_for(coopaname, 0, 1_000 * EUR) == 100 * EUR
    assert contribution_for(coopaname, 80_000 * EUR, 1_000 * EUR) == 100 * EUR
    assert contribution_for(coopaname, 0, to_cents("123.45")) == 1235  # 12.345 -> 12.35


def test_tiered_within_one_band():
    assert contribution_for(tiered(), 0, 10_000 * EUR) == 1_000 * EUR
    assert contribution_for(tiered(), 36_000 * EUR, 1_000 * EUR) == 80 * EUR
    assert contribution_for(tiered(), 50_000 * EUR, 1_000 * EUR) == 60 * EUR


def test_tiered_payment_crossing_one_boundary():
    # 1,000.00 at 10 % + 1,000.00 at 8 % = 180.00
    assert contribution_for(tiered(), 34_000 * EUR, 2_000 * EUR) == 180 * EUR


def test_tiered_payment_crossing_two_boundaries():
    # 5,000 * 10 % + 10,000 * 8 % + 5,000 * 6 % = 1,600.00
    assert contribution_for(tiered(), 30_000 * EUR, 20_000 * EUR) == 1_600 * EUR


def test_tiered_payments_add_up_to_the_yearly_contribution():
    schedule = tiered()
    payments = [12_000 * EUR, 23_000 * EUR, 5_000 * EUR, 10_000 * EUR]
    before, total = 0, 0
    for amount in payments:
        total += contribution_for(schedule, before, amount)
        before += amount
    # 35,000 * 10 % + 10,000 * 8 % + 5,000 * 6 % = 3,500 + 800 + 300
    assert total == contribution_for(schedule, 0, 50_000 * EUR) == 4_600 * EUR


def test_contribution_rounds_once_half_up_on_the_total():
    # 0.05 cent at 10 % and 0.05 cent at 8 % are never rounded separately:
    # before 34,999.99, amount 0.02 -> 1 cent * 10 % + 1 cent * 8 % = 0.18 cent -> 0
    assert contribution_for(tiered(), 3_499_999, 2) == 0
    # 5 cents * 10 % = 0.5 cent -> 1 cent (half-up)
    assert contribution_for(tiered(), 0, 5) == 1
    # 3 cents at 10 % + 3 cents at 8 % = 0.54 cent -> 1; rounding per band would give 0
    assert contribution_for(tiered(), 3_499_997, 6) == 1
    # a credit note of 5 cents gives back -0.5 cent -> -1 (away from zero)
    assert contribution_for(tiered(), 100, -5) == -1


def test_a_credit_note_gives_back_at_the_marginal_rates():
    # removing 2,000 from 36,000 undoes 1,000 at 8 % and 1,000 at 10 %
    assert contribution_for(tiered(), 36_000 * EUR, -2_000 * EUR) == -180 * EUR
    with pytest.raises(ValueError):
        contribution_for(tiered(), 100, -101)


def test_a_schedule_change_mid_year_applies_from_its_effective_date():
    history = ScheduleHistory([Schedule.flat(JAN_1, D("0.10")),
                               Schedule.flat(date(2026, 7, 1), D("0.12"))])
    june_30 = history.in_force(date(2026, 6, 30))
    july_1 = history.in_force(date(2026, 7, 1))
    assert contribution_for(june_30, 20_000 * EUR, 1_000 * EUR) == 100 * EUR
    assert contribution_for(july_1, 21_000 * EUR, 1_000 * EUR) == 120 * EUR
    with pytest.raises(NoScheduleInForce):
        history.in_force(date(2025, 12, 31))


def test_a_new_tiered_schedule_counts_the_whole_year_revenue_before():
    # from 2026-07-01 the tiers apply; 40,000 already received in the first half-year
    history = ScheduleHistory([tiered(date(2026, 7, 1)), Schedule.flat(JAN_1, D("0.10"))])
    assert history.versions[0].effective_on == JAN_1  # versions are kept in date order
    in_july = history.in_force(date(2026, 7, 15))
    assert contribution_for(in_july, 40_000 * EUR, 1_000 * EUR) == 80 * EUR


def test_an_activity_override():
    cooperative = ScheduleHistory([Schedule.flat(JAN_1, D("0.10"))])
    # one activity negotiated 8 % from 2026-03-01
    override = ScheduleHistory([Schedule.flat(date(2026, 3, 1), D("0.08"))])
    before = effective_schedule(cooperative, override, date(2026, 2, 28))
    after = effective_schedule(cooperative, override, date(2026, 3, 1))
    other_activity = effective_schedule(cooperative, None, date(2026, 3, 1))
    assert contribution_for(before, 0, 1_000 * EUR) == 100 * EUR
    assert contribution_for(after, 0, 1_000 * EUR) == 80 * EUR
    assert contribution_for(other_activity, 0, 1_000 * EUR) == 100 * EUR


def test_monthly_minimum():
    schedule = Schedule.flat(JAN_1, D("0.10"), monthly_minimum_cents=150 * EUR)
    assert monthly_top_up(schedule, 120 * EUR) == 30 * EUR
    assert monthly_top_up(schedule, 200 * EUR) == 0
    assert monthly_top_up(schedule, 150 * EUR) == 0
    assert monthly_top_up(schedule, 0) == 150 * EUR
    assert monthly_top_up(Schedule.flat(JAN_1, D("0.10")), 0) == 0


def test_invalid_schedules_are_refused():
    with pytest.raises(ValueError):
        Schedule(JAN_1, ())
    with pytest.raises(ValueError):
        Schedule(JAN_1, (Band(100, D("0.1")),))  # first band not at 0
    with pytest.raises(ValueError):
        Schedule(JAN_1, (Band(0, D("0.1")), Band(500, D("0.08")), Band(500, D("0.06"))))
    with pytest.raises(TypeError):
        Band(0, 0.1)
    with pytest.raises(ValueError):
        Band(0, D("1.5"))
    with pytest.raises(ValueError):
        Schedule.flat(JAN_1, D("0.1"), monthly_minimum_cents=-1)
    with pytest.raises(ValueError):
        ScheduleHistory([Schedule.flat(JAN_1, D("0.1")), Schedule.flat(JAN_1, D("0.12"))])
    with pytest.raises(ValueError):
        ScheduleHistory([])


# --- purity -------------------------------------------------------------------------

MODULES = Path(__file__).resolve().parents[2] / "cae_ledger" / "domain"


@pytest.mark.parametrize("name", ["money.py", "contribution.py"])
def test_the_modules_import_only_the_standard_library(name):
    tree = ast.parse((MODULES / name).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports"
            imported.add(node.module or "")
    allowed_first_party = {"cae_ledger.domain.money"}
    for module in imported - allowed_first_party:
        top = module.split(".")[0]
        assert top == "__future__" or top in sys.stdlib_module_names, module


def test_importing_the_modules_loads_no_framework():
    code = ("import sys, cae_ledger.domain.money, cae_ledger.domain.contribution\n"
            "bad = [m for m in ('sqlalchemy', 'nameko', 'marshmallow', 'eventlet') "
            "if m in sys.modules]\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


DOMAIN_MODULES = sorted(path.name for path in MODULES.glob("*.py") if path.name != "__init__.py")
KIT_RULES = ("caekit.rules", "caekit.period", "caekit.bounds")


@pytest.mark.parametrize("name", DOMAIN_MODULES)
def test_every_domain_module_imports_only_the_standard_library_and_the_kit_rules(name):
    tree = ast.parse((MODULES / name).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports"
            modules = [node.module or ""]
        else:
            continue
        for module in modules:
            top = module.split(".")[0]
            assert (top == "__future__" or top in sys.stdlib_module_names or module in KIT_RULES
                    or module.startswith("cae_ledger.domain.")), f"{name} imports {module}"


def test_importing_the_whole_domain_loads_no_framework():
    code = ("import sys\n"
            + "".join(f"import cae_ledger.domain.{name[:-3]}\n" for name in DOMAIN_MODULES)
            + "bad = [m for m in ('sqlalchemy', 'nameko', 'marshmallow', 'eventlet', 'werkzeug', "
            "'kombu') if m in sys.modules]\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
