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
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

RATES_DIR = Path(__file__).parent / "rates"
_CENT = Decimal(1)
_FOUR = Decimal("0.0001")


def round_cents(exact: Decimal) -> int:
    """Exact cents -> whole cents, half-up (ties away from zero)."""
    return int(exact.quantize(_CENT, rounding=ROUND_HALF_UP))


class NoRates(LookupError):
    """No rate table is in force on the requested month."""


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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class PayLine:
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
    g = Decimal(gross_cents)
    pmss = table.pmss * 100
    lines: list[PayLine] = []
    prevoyance = 0
    for line in table.lines:
        if not line.applies(employee.cadre, employee.staff):
            continue
        if line.base == "csg":
            allowance = round_cents(table.csg_allowance * min(g, 4 * pmss))
            slices = [g - allowance + prevoyance]
        elif line.base == "prevoyance":
            slices = [Decimal(prevoyance)]
        else:
            slices = _slices(line.base, g, pmss)
        employer_rate = employee.at_rate if line.employer == "at_rate" else line.employer
        if employer_rate is not None and line.reduced and _below(line.reduced, g):
            employer_rate = Decimal(line.reduced["rate"])
        employee_cents = sum(round_cents(s * line.employee) for s in slices) if line.employee else 0
        employer_cents = sum(round_cents(s * employer_rate) for s in slices) if employer_rate else 0
        if line.code == "prevoyance_cadre":
            prevoyance = employer_cents
        lines.append(PayLine(line.code, line.label, round_cents(sum(slices, Decimal(0))),
                             line.employee, employee_cents, employer_rate, employer_cents, line.body))
    coefficient, reduction, after = _reduction(table, employee, ytd, gross_cents)
    lines.append(PayLine("reduction_generale", _REDUCTION_LABEL[table.reduction["kind"]], gross_cents,
                         None, 0, coefficient, -reduction, "urssaf"))
    employee_total = sum(x.employee_cents for x in lines)
    employer_total = sum(x.employer_cents for x in lines)
    non_deductible = sum(x.employee_cents for x in lines if x.code in ("csg_non_deductible", "crds"))
    net_before_tax = gross_cents - employee_total
    net_taxable = net_before_tax + non_deductible
    tax = round_cents(Decimal(net_taxable) * employee.withholding_rate)
    urssaf = sum(x.employee_cents + x.employer_cents for x in lines if x.body == "urssaf")
    return Payslip(
        month=month.replace(day=1), gross_cents=gross_cents, lines=tuple(lines),
        reduction_coefficient=coefficient, employee_contributions_cents=employee_total,
        employer_contributions_cents=employer_total, net_taxable_cents=net_taxable,
        net_before_tax_cents=net_before_tax, net_social_cents=net_before_tax + prevoyance,
        withholding_tax_cents=tax, net_paid_cents=net_before_tax - tax,
        employer_cost_cents=gross_cents + employer_total, urssaf_cents=urssaf,
        other_bodies_cents=employee_total + employer_total - urssaf, year_to_date=after)


_REDUCTION_LABEL = {
    "rgdu": "Réduction générale dégressive unique (RGDU)",
    "fillon": "Réduction générale des cotisations patronales",
}


def _slices(base: str, g: Decimal, pmss: Decimal) -> list[Decimal]:
    if base == "gross":
        return [g]
    if base == "T1":
        return [min(g, pmss)]
    if base == "T2":
        return [min(max(g - pmss, Decimal(0)), 7 * pmss)]
    if base == "up_to_4_pmss":
        return [min(g, pmss), min(max(g - pmss, Decimal(0)), 3 * pmss)]
    if base == "cet":
        return [min(g, 8 * pmss)] if g > pmss else [Decimal(0)]
    raise ValueError(f"unknown base {base!r}")


def _below(reduced: dict, g: Decimal) -> bool:
    limit = Decimal(reduced["up_to_smic"]) * Decimal(reduced["smic_hourly"]) * Decimal("151.67") * 100
    return g <= limit if reduced["inclusive"] else g < limit


def reduction_coefficient(table: RateTable, staff: int, gross: Decimal, smic: Decimal) -> Decimal:
    """The general reduction's coefficient for ``gross`` against ``smic`` (same period, euros)."""
    params = table.reduction
    if gross <= 0:
        return Decimal(0)
    ratio = smic / gross
    if params["kind"] == "rgdu":
        if gross >= Decimal(params["smic_ceiling"]) * smic:
            return Decimal(0)
        t_min = Decimal(params["t_min"])
        t_delta = Decimal(params["t_delta_under_50" if staff < 50 else "t_delta_50_and_more"])
        x = max(Decimal("0.5") * (Decimal(params["smic_ceiling"]) * ratio - 1), Decimal(0))
        variable = (t_delta * x ** Decimal(params["power"])).quantize(_FOUR, rounding=ROUND_HALF_UP)
        return min(t_min + variable, t_min + t_delta)
    t = Decimal(params["t_under_50" if staff < 50 else "t_50_and_more"])
    ceiling = Decimal(params["smic_ceiling"])
    share = min(Decimal(1), max(ceiling * ratio - 1, Decimal(0)) / (ceiling - 1))
    return (t * share).quantize(_FOUR, rounding=ROUND_HALF_UP)


def _reduction(table: RateTable, employee: Employee, ytd: YearToDate,
               gross_cents: int) -> tuple[Decimal, int, YearToDate]:
    smic_hourly = Decimal(table.reduction["smic_hourly"]["value"])
    smic = ytd.smic + smic_hourly * table.monthly_hours
    gross = ytd.gross_cents + gross_cents
    coefficient = reduction_coefficient(table, employee.staff, Decimal(gross) / 100, smic)
    due = round_cents(coefficient * gross)
    month = due - ytd.reduction_cents
    return coefficient, month, YearToDate(gross, smic, due)

