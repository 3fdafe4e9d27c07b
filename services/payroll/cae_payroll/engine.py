"""The French payslip engine: pure Python, standard library only.

Rate tables are data files (``rates/<effective date>.toml``), one per date on
which a rate changed, each rate with its source. :func:`payslip` turns a month's
gross salary into every payslip line, employee and employer side.

Rounding, written down once:

* Amounts are ``int`` cents. Every computation is exact (``Decimal``) until a
  line's amount, which is rounded **half-up to the cent** (ties away from zero).
* A line on several slices of the salary (tranche 1 up to the PMSS, tranche 2 from
  the PMSS to 8 PMSS, the two slices of "up to 4 PMSS") is rounded **per slice**,
  then summed, as payroll software and openfisca-france do.
* The CSG/CRDS base is the gross less the 1.75 % allowance on up to 4 PMSS, the
  allowance rounded to the cent, plus the employer's prévoyance (CSS L136-1-1).
* The general reduction's coefficient is rounded to 4 decimals (CSS D241-7); the
  reduction is computed **year to date** and regularised each month: the
  reduction due on the year's pay so far, rounded to the cent, less what earlier
  months already took (which can make a month's reduction negative).
* Totals are sums of rounded lines: net = gross - the employee lines exactly.
* The monthly SMIC is the hourly SMIC x 151.67 h, unrounded (CSS D241-7).

Known simplifications (docs/payroll-oracle.md): full-time employees only (no
proration of the ceiling or the SMIC), no Alsace-Moselle regime, no benefits in
kind; the whole general reduction is imputed on URSSAF contributions.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import NamedTuple

RATES_DIR = Path(__file__).parent / "rates"
_CENT = Decimal(1)
_FOUR = Decimal("0.0001")


def round_cents(exact: Decimal) -> int:
    """Exact cents -> whole cents, half-up (ties away from zero)."""
    return int(exact.quantize(_CENT, rounding=ROUND_HALF_UP))


class NoRates(LookupError):
    """No rate table is in force on the requested month (a 422 ``rates.none`` over HTTP)."""

    rule = "rates.none"

    @property
    def message(self) -> str:
        return str(self)


@dataclass(frozen=True)
class Line:
    """A line of a rate table."""

    code: str
    label: str
    base: str
    employee: Decimal | None
    employer: Decimal | str | None  # "at_rate": the cooperative's accident rate
    body: str
    source: str
    cadre: bool | None = None
    staff_min: int = 0
    staff_max: int | None = None
    reduced: dict | None = None

    def applies(self, cadre: bool, staff: int) -> bool:
        if self.cadre is not None and self.cadre != cadre:
            return False
        return staff >= self.staff_min and (self.staff_max is None or staff <= self.staff_max)


@dataclass(frozen=True, eq=False)  # one instance per file (rate_tables is cached)
class RateTable:
    effective_on: date
    pmss: Decimal
    smic_hourly: Decimal
    monthly_hours: Decimal
    csg_allowance: Decimal
    reduction: dict
    lines: tuple[Line, ...]
    sources: dict

    @property
    def smic_monthly(self) -> Decimal:
        return self.smic_hourly * self.monthly_hours

    @classmethod
    def load(cls, path: Path) -> RateTable:
        data = tomllib.loads(path.read_text("utf-8"))
        constants = {k: Decimal(v["value"]) for k, v in data["constants"].items()}
        sources = {k: v["source"] for k, v in data["constants"].items()}
        lines = []
        for raw in data["lines"]:
            employer = raw.get("employer")
            lines.append(Line(
                code=raw["code"], label=raw["label"], base=raw["base"], body=raw["body"],
                source=raw["source"], cadre=raw.get("cadre"),
                employee=Decimal(raw["employee"]) if "employee" in raw else None,
                employer=employer if employer in (None, "at_rate") else Decimal(employer),
                staff_min=raw.get("staff_min", 0), staff_max=raw.get("staff_max"),
                reduced=raw.get("reduced")))
        return cls(data["effective_on"], constants["pmss"], constants["smic_hourly"],
                   constants["monthly_hours"], constants["csg_allowance"], data["reduction"],
                   tuple(lines), sources)


@cache
def rate_tables() -> tuple[RateTable, ...]:
    return tuple(sorted((RateTable.load(p) for p in RATES_DIR.glob("*.toml")),
                        key=lambda t: t.effective_on))


def table_for(month: date) -> RateTable:
    """The rate table in force on the first day of ``month``."""
    return _table_for(month.year, month.month)


@cache
def _table_for(year: int, month_number: int) -> RateTable:
    month = date(year, month_number, 1)
    found = None
    for table in rate_tables():
        if table.effective_on <= month.replace(day=1):
            found = table
    if found is None:
        raise NoRates(f"no payroll rates in force in {month:%Y-%m}")
    return found


@dataclass(frozen=True)
class Employee:
    cadre: bool = False
    staff: int = 1  # the cooperative's headcount (effectif)
    at_rate: Decimal = Decimal("0.007")  # the cooperative's accident rate
    withholding_rate: Decimal = Decimal(0)  # prélèvement à la source, from the tax office


@dataclass(frozen=True)
class YearToDate:
    """The year's pay so far, before this month (for the general reduction)."""

    gross_cents: int = 0
    smic: Decimal = Decimal(0)  # the year's SMIC so far, in euros, unrounded
    reduction_cents: int = 0


class PayLine(NamedTuple):
    code: str
    label: str
    base_cents: int
    employee_rate: Decimal | None
    employee_cents: int
    employer_rate: Decimal | None
    employer_cents: int  # negative for a reduction
    body: str


@dataclass(frozen=True)
class Payslip:
    month: date
    gross_cents: int
    lines: tuple[PayLine, ...]
    reduction_coefficient: Decimal
    employee_contributions_cents: int  # every employee line, CSG and CRDS included
    employer_contributions_cents: int  # after the general reduction
    net_taxable_cents: int
    net_before_tax_cents: int
    net_social_cents: int
    withholding_tax_cents: int
    net_paid_cents: int
    employer_cost_cents: int
    urssaf_cents: int
    other_bodies_cents: int
    year_to_date: YearToDate = field(repr=False)

    def line(self, code: str) -> PayLine | None:
        return next((x for x in self.lines if x.code == code), None)


def payslip(month: date, gross_cents: int, employee: Employee,
            ytd: YearToDate = YearToDate()) -> Payslip:
    """The month's payslip for a full-time employee paid ``gross_cents``."""
    if isinstance(gross_cents, bool) or not isinstance(gross_cents, int):
        raise TypeError("gross_cents must be int cents")
    if gross_cents < 0:
        raise ValueError("a gross salary is not negative")
    table = table_for(month)
    plan = _plan(table, employee.cadre, employee.staff, employee.at_rate)
    g, pmss = gross_cents, plan.pmss_cents
    lines: list[PayLine] = []
    prevoyance = employee_total = employer_total = urssaf = non_deductible = 0
    new_line = tuple.__new__
    for step in plan.steps:  # hot loop: integers only (see _rate for the rounding)
        base = step.base
        second = 0
        if base == _GROSS:
            first = g
        elif base == _T1:
            first = g if g < pmss else pmss
        elif base == _UP_TO_4:
            first = g if g < pmss else pmss
            second = min(g - pmss, 3 * pmss) if g > pmss else 0
        elif base == _T2:
            first = min(g - pmss, 7 * pmss) if g > pmss else 0
        elif base == _CET:
            first = min(g, 8 * pmss) if g > pmss else 0
        elif base == _CSG:
            n, d = plan.csg_allowance
            first = g - ((min(g, 4 * pmss) * n + d) // (2 * d)) + prevoyance
        else:  # _PREVOYANCE
            first = prevoyance
        employer = step.employer
        if step.reduced is not None and (g <= step.reduced[0] if step.reduced[1] else g < step.reduced[0]):
            employer = step.reduced[2]
        employee_cents = employer_cents = 0
        if step.employee is not None:
            n, d = step.employee[0], step.employee[1]
            employee_cents = (first * n + d) // (2 * d)
            if second:
                employee_cents += (second * n + d) // (2 * d)
        if employer is not None:
            n, d = employer[0], employer[1]
            employer_cents = (first * n + d) // (2 * d)
            if second:
                employer_cents += (second * n + d) // (2 * d)
        if step.prevoyance:
            prevoyance = employer_cents
        if step.non_deductible:
            non_deductible += employee_cents
        employee_total += employee_cents
        employer_total += employer_cents
        if step.urssaf:
            urssaf += employee_cents + employer_cents
        lines.append(new_line(PayLine, (step.code, step.label, first + second, step.employee_rate,
                                        employee_cents, employer[2] if employer else None,
                                        employer_cents, step.body)))
    coefficient, reduction, after = _reduction(table, employee, ytd, gross_cents)
    lines.append(PayLine("reduction_generale", plan.reduction_label, gross_cents, None, 0,
                         coefficient, -reduction, "urssaf"))
    employer_total -= reduction
    urssaf -= reduction
    net_before_tax = g - employee_total
    net_taxable = net_before_tax + non_deductible
    tax = round_cents(Decimal(net_taxable) * employee.withholding_rate) \
        if employee.withholding_rate else 0
    return Payslip(
        month=month.replace(day=1), gross_cents=g, lines=tuple(lines),
        reduction_coefficient=coefficient, employee_contributions_cents=employee_total,
        employer_contributions_cents=employer_total, net_taxable_cents=net_taxable,
        net_before_tax_cents=net_before_tax, net_social_cents=net_before_tax + prevoyance,
        withholding_tax_cents=tax, net_paid_cents=net_before_tax - tax,
        employer_cost_cents=g + employer_total, urssaf_cents=urssaf,
        other_bodies_cents=employee_total + employer_total - urssaf, year_to_date=after)


def _rate(value: Decimal | None) -> tuple[int, int, Decimal] | None:
    """A rate as (2 x numerator, denominator, the Decimal): the hot loop computes
    cents x rate rounded half-up as (cents x 2n + d) // 2d, in integers (cents >= 0)."""
    if value is None or value == 0:
        return None
    numerator, denominator = value.as_integer_ratio()
    return 2 * numerator, denominator, value


_GROSS, _T1, _T2, _UP_TO_4, _CET, _CSG, _PREVOYANCE = range(7)
_BASES = {"gross": _GROSS, "T1": _T1, "T2": _T2, "up_to_4_pmss": _UP_TO_4, "cet": _CET,
          "csg": _CSG, "prevoyance": _PREVOYANCE}


class _Step(NamedTuple):
    code: str
    label: str
    base: int
    employee: tuple | None
    employee_rate: Decimal | None
    employer: tuple | None
    reduced: tuple | None  # (limit in cents as a Fraction-comparable int, inclusive, rate)
    body: str
    urssaf: bool
    non_deductible: bool
    prevoyance: bool


class _Plan(NamedTuple):
    pmss_cents: int
    csg_allowance: tuple
    steps: tuple[_Step, ...]
    reduction_label: str


@cache
def _plan(table: RateTable, cadre: bool, staff: int, at_rate: Decimal) -> _Plan:
    """The lines that apply to this kind of employee, with rates as exact fractions."""
    steps = []
    for line in table.lines:
        if not line.applies(cadre, staff):
            continue
        reduced = None
        if line.reduced:
            limit = (Decimal(line.reduced["up_to_smic"]) * Decimal(line.reduced["smic_hourly"])
                     * table.monthly_hours * 100)
            # gross (whole cents) <= limit  <=>  gross <= floor(limit); < limit <=> < ceil(limit)
            bound = int(limit) if line.reduced["inclusive"] else int(
                limit.to_integral_value(rounding=ROUND_CEILING))
            reduced = (bound, line.reduced["inclusive"], _rate(Decimal(line.reduced["rate"])))
        employer = at_rate if line.employer == "at_rate" else line.employer
        steps.append(_Step(line.code, line.label, _BASES[line.base], _rate(line.employee),
                           line.employee, _rate(employer), reduced, line.body, line.body == "urssaf",
                           line.code in ("csg_non_deductible", "crds"),
                           line.code == "prevoyance_cadre"))
    pmss = table.pmss * 100
    if pmss != int(pmss):
        raise ValueError("the PMSS must be whole cents")
    return _Plan(int(pmss), _rate(table.csg_allowance)[:2], tuple(steps),
                 REDUCTION_LABEL[table.reduction["kind"]])


REDUCTION_LABEL = {
    "rgdu": "Réduction générale dégressive unique (RGDU)",
    "fillon": "Réduction générale des cotisations patronales",
}


def reduction_coefficient(table: RateTable, staff: int, gross: Decimal, smic: Decimal) -> Decimal:
    """The general reduction's coefficient for ``gross`` against ``smic`` (same period, euros).

    Computed in floats, then again exactly in Decimal when the 4th decimal is within
    1e-6 of a rounding boundary, so that the result is the exact rule's.
    """
    params = table.reduction
    if gross <= 0:
        return Decimal(0)
    rgdu = params["kind"] == "rgdu"
    ceiling = _decimal(params["smic_ceiling"])
    if rgdu and gross >= ceiling * smic:
        return Decimal(0)
    ratio = float(smic) / float(gross)
    if rgdu:
        t_delta = _decimal(params["t_delta_under_50" if staff < 50 else "t_delta_50_and_more"])
        x = max(0.5 * (float(ceiling) * ratio - 1), 0.0)
        scaled = float(t_delta) * x ** float(params["power"]) * 10_000
    else:
        t = _decimal(params["t_under_50" if staff < 50 else "t_50_and_more"])
        share = min(1.0, max(float(ceiling) * ratio - 1, 0.0) / (float(ceiling) - 1))
        scaled = float(t) * share * 10_000
    if abs(scaled - int(scaled) - 0.5) > 1e-6:
        variable = Decimal(int(scaled + 0.5)) / 10_000
    else:  # too close to call in floats
        exact_ratio = smic / gross
        if rgdu:
            x = max(Decimal("0.5") * (ceiling * exact_ratio - 1), Decimal(0))
            variable = t_delta * x ** _decimal(params["power"])
        else:
            variable = t * min(Decimal(1), max(ceiling * exact_ratio - 1, Decimal(0)) / (ceiling - 1))
        variable = variable.quantize(_FOUR, rounding=ROUND_HALF_UP)
    if not rgdu:
        return variable
    t_min = _decimal(params["t_min"])
    return min(t_min + variable, t_min + t_delta)


@cache
def _decimal(text: str) -> Decimal:
    return Decimal(text)


def _reduction(table: RateTable, employee: Employee, ytd: YearToDate,
               gross_cents: int) -> tuple[Decimal, int, YearToDate]:
    smic_hourly = _decimal(table.reduction["smic_hourly"]["value"])
    smic = ytd.smic + smic_hourly * table.monthly_hours
    gross = ytd.gross_cents + gross_cents
    coefficient = reduction_coefficient(table, employee.staff, Decimal(gross) / 100, smic)
    due = round_cents(coefficient * gross)
    month = due - ytd.reduction_cents
    return coefficient, month, YearToDate(gross, smic, due)

