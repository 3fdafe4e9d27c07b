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
* The monthly SMIC is the hourly SMIC x the hours paid, unrounded (CSS D241-7):
  151.67 h for a full-time employee, the contract's monthly hours for a part-time
  one (``Employee.hours``); the general reduction and the reduced rates' thresholds
  are computed on it.

Known simplifications (docs/payroll-oracle.md): no overtime, the ceiling (PMSS) is
not prorated for a part-time employee (CSS R242-7: it matters only above the
prorated ceiling, about 26 EUR an hour), no Alsace-Moselle regime, no benefits in
kind; the whole general reduction is imputed on URSSAF contributions.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import NamedTuple

from caekit.rules import RuleViolation

RATES_DIR = Path(__file__).parent / "rates"
_CENT = Decimal(1)
_FOUR = Decimal("0.0001")


def round_cents(exact: Decimal) -> int:
    """Exact cents -> whole cents, half-up (ties away from zero)."""
    return int(exact.quantize(_CENT, rounding=ROUND_HALF_UP))


class NoRates(RuleViolation):
    """No rate table is in force on the requested month (a 422 ``rates.none`` over HTTP)."""

    def __init__(self, message: str) -> None:
        super().__init__("rates.none", message)


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
    hours: Decimal | None = None  # the contract's monthly hours (None: full time, 151.67 h)


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
    g = gross_cents
    pmss, (allowance_n, allowance_d, allowance_2d), steps, reduction_label = _plan(
        table, employee.cadre, employee.staff, employee.at_rate, employee.hours)
    # The month's bases, computed once, indexed by _GROSS, _T1, ...: "up to 4 PMSS" is
    # its first slice (tranche 1) here, its second slice (PMSS to 4 PMSS) is `second`.
    if g > pmss:
        t1, t2, second, cet = pmss, min(g - pmss, 7 * pmss), min(g - pmss, 3 * pmss), min(g, 8 * pmss)
    else:
        t1, t2, second, cet = g, 0, 0, 0
    csg = g - (min(g, 4 * pmss) * allowance_n + allowance_d) // allowance_2d  # + the prévoyance
    bases = [g, t1, t2, t1, cet, csg, 0]
    lines: list[PayLine] = []
    append, new_line = lines.append, tuple.__new__
    prevoyance = employee_total = employer_total = urssaf = non_deductible = 0
    # Hot loop, integers only: a step is a plain tuple laid out as _Step, and
    # cents x rate rounded half-up is (cents x 2n + d) // 2d (see _rate).
    for (code, label, base, ee_n, ee_d, ee_2d, employee_rate, er_n, er_d, er_2d, employer_rate,
         reduced, body, urssaf_line, role) in steps:
        first = bases[base]
        if reduced is not None and g < reduced[0]:
            er_n, er_d, er_2d, employer_rate = reduced[1]
        employee_cents = (first * ee_n + ee_d) // ee_2d if ee_n else 0
        employer_cents = (first * er_n + er_d) // er_2d if er_n else 0
        if base == _UP_TO_4 and second:  # the second slice, rounded on its own
            if ee_n:
                employee_cents += (second * ee_n + ee_d) // ee_2d
            if er_n:
                employer_cents += (second * er_n + er_d) // er_2d
            first += second
        if role:
            if role == _NON_DEDUCTIBLE:
                non_deductible += employee_cents
            else:  # _EMPLOYER_PREVOYANCE: the forfait social's base, and in the CSG base
                prevoyance = bases[_PREVOYANCE] = employer_cents
                bases[_CSG] = csg + prevoyance
        employee_total += employee_cents
        employer_total += employer_cents
        if urssaf_line:
            urssaf += employee_cents + employer_cents
        append(new_line(PayLine, (code, label, first, employee_rate, employee_cents,
                                  employer_rate, employer_cents, body)))
    coefficient, reduction, after = _reduction(table, employee, ytd, g)
    append(new_line(PayLine, ("reduction_generale", reduction_label, g, None, 0,
                              coefficient, -reduction, "urssaf")))
    employer_total -= reduction
    urssaf -= reduction
    net_before_tax = g - employee_total
    net_taxable = net_before_tax + non_deductible
    withholding_rate = employee.withholding_rate
    tax = _times_rate(net_taxable, withholding_rate) if withholding_rate else 0
    return _frozen(Payslip, {
        "month": month if month.day == 1 else month.replace(day=1), "gross_cents": g,
        "lines": tuple(lines), "reduction_coefficient": coefficient,
        "employee_contributions_cents": employee_total,
        "employer_contributions_cents": employer_total, "net_taxable_cents": net_taxable,
        "net_before_tax_cents": net_before_tax, "net_social_cents": net_before_tax + prevoyance,
        "withholding_tax_cents": tax, "net_paid_cents": net_before_tax - tax,
        "employer_cost_cents": g + employer_total, "urssaf_cents": urssaf,
        "other_bodies_cents": employee_total + employer_total - urssaf, "year_to_date": after})


_new_object = object.__new__


def _frozen(cls: type, fields: dict):
    """``cls(**fields)`` for a frozen dataclass, ``fields`` being all its fields in order:
    skips the object.__setattr__ per field of its __init__ (for speed, payslip's hot path)."""
    instance = _new_object(cls)
    instance.__dict__.update(fields)
    return instance


_EXACT_CENTS = 10 ** 14


@lru_cache(maxsize=4096)
def _exact_ratio(rate: Decimal) -> tuple[int, int] | None:
    """``rate`` as an integer ratio n / d if it has at most 14 digits and is under 10
    (then, for |cents| < 10^14, cents x rate is exact in Decimal's 28 digits and its
    rounding to the cent fits them too), else None."""
    if not rate.is_finite() or len(rate.as_tuple().digits) > 14 or rate.adjusted() > 0:
        return None
    return rate.as_integer_ratio()


def _times_rate(cents: int, rate: Decimal) -> int:
    """``round_cents(Decimal(cents) * rate)``, in integers when that product is exact."""
    ratio = _exact_ratio(rate)
    if ratio is None or not -_EXACT_CENTS < cents < _EXACT_CENTS:
        return round_cents(Decimal(cents) * rate)
    n, d = ratio
    twice = 2 * cents * n  # half-up, ties away from zero, on either side of zero
    return (twice + d) // (2 * d) if twice >= 0 else -((d - twice) // (2 * d))


_NO_RATE = (0, 1, 2, None)  # a missing or zero rate: no cents (the loop tests the 0)


def _rate(value: Decimal | None) -> tuple[int, int, int, Decimal | None]:
    """A rate as (2 x numerator, denominator, 2 x denominator, the Decimal): the hot loop
    computes cents x rate rounded half-up as (cents x 2n + d) // 2d, in integers (cents >= 0)."""
    if value is None or value == 0:
        return _NO_RATE
    numerator, denominator = value.as_integer_ratio()
    return 2 * numerator, denominator, 2 * denominator, value


_GROSS, _T1, _T2, _UP_TO_4, _CET, _CSG, _PREVOYANCE = range(7)
_BASES = {"gross": _GROSS, "T1": _T1, "T2": _T2, "up_to_4_pmss": _UP_TO_4, "cet": _CET,
          "csg": _CSG, "prevoyance": _PREVOYANCE}
_NON_DEDUCTIBLE, _EMPLOYER_PREVOYANCE = 1, 2  # a step's role (0: none)


class _Step(NamedTuple):
    """A plan step's layout; plans hold them as plain tuples, unpacked faster."""

    code: str
    label: str
    base: int
    employee_n: int  # the employee rate as _rate's (2n, d, 2d)
    employee_d: int
    employee_2d: int
    employee_rate: Decimal | None  # as on the payslip (the table's, even 0)
    employer_n: int
    employer_d: int
    employer_2d: int
    employer_rate: Decimal | None  # None when zero
    reduced: tuple | None  # (gross bound: reduced if gross < bound, _rate(reduced rate))
    body: str
    urssaf: bool
    role: int  # _NON_DEDUCTIBLE (its employee cents are taxable), _EMPLOYER_PREVOYANCE


class _Plan(NamedTuple):
    pmss_cents: int
    csg_allowance: tuple  # _rate's (2n, d, 2d)
    steps: tuple[tuple, ...]  # laid out as _Step
    reduction_label: str


@cache
def _plan(table: RateTable, cadre: bool, staff: int, at_rate: Decimal,
          hours: Decimal | None = None) -> _Plan:
    """The lines that apply to this kind of employee, with rates as exact fractions (a
    reduced rate's threshold, in SMIC, on the hours paid)."""
    steps = []
    monthly_hours = table.monthly_hours if hours is None else hours
    for line in table.lines:
        if not line.applies(cadre, staff):
            continue
        reduced = None
        if line.reduced:
            limit = (Decimal(line.reduced["up_to_smic"]) * Decimal(line.reduced["smic_hourly"])
                     * monthly_hours * 100)
            # gross (whole cents) <= limit  <=>  gross < floor(limit) + 1; < limit <=> < ceil(limit)
            bound = int(limit) + 1 if line.reduced["inclusive"] else int(
                limit.to_integral_value(rounding=ROUND_CEILING))
            reduced = (bound, _rate(Decimal(line.reduced["rate"])))
        employer = at_rate if line.employer == "at_rate" else line.employer
        role = (_NON_DEDUCTIBLE if line.code in ("csg_non_deductible", "crds")
                else _EMPLOYER_PREVOYANCE if line.code == "prevoyance_cadre" else 0)
        steps.append(tuple(_Step(line.code, line.label, _BASES[line.base],
                                 *_rate(line.employee)[:3], line.employee, *_rate(employer),
                                 reduced, line.body, line.body == "urssaf", role)))
    pmss = table.pmss * 100
    if pmss != int(pmss):
        raise ValueError("the PMSS must be whole cents")
    return _Plan(int(pmss), _rate(table.csg_allowance)[:3], tuple(steps),
                 REDUCTION_LABEL[table.reduction["kind"]])


REDUCTION_LABEL = {
    "rgdu": "Réduction générale dégressive unique (RGDU)",
    "fillon": "Réduction générale des cotisations patronales",
}


class _Reduction(NamedTuple):
    """A table's general reduction for a staff size, its parameters parsed once."""

    rgdu: bool
    smic_monthly: Decimal  # the reduction's hourly SMIC x the monthly hours, unrounded
    smic_hourly: Decimal  # the reduction's hourly SMIC (a part-time month: x its hours)
    ceiling: Decimal
    t: Decimal  # T delta (RGDU) or T (Fillon), for the staff size
    power: Decimal | None  # RGDU only, as t_min and t_max
    t_min: Decimal | None
    t_max: Decimal | None  # t_min + t_delta
    ceiling_float: float  # the same as floats, for the float computation
    t_float: float
    power_float: float | None
    coefficients: dict  # the float computation's coefficient x 10,000 -> the coefficient


@cache
def _reduction_params(table: RateTable, under_50: bool) -> _Reduction:
    params = table.reduction
    rgdu = params["kind"] == "rgdu"
    ceiling = _decimal(params["smic_ceiling"])
    smic_hourly = _decimal(params["smic_hourly"]["value"])
    smic_monthly = smic_hourly * table.monthly_hours
    if rgdu:
        t = _decimal(params["t_delta_under_50" if under_50 else "t_delta_50_and_more"])
        t_min = _decimal(params["t_min"])
        return _Reduction(True, smic_monthly, smic_hourly, ceiling, t, _decimal(params["power"]),
                          t_min, t_min + t, float(ceiling), float(t), float(params["power"]), {})
    t = _decimal(params["t_under_50" if under_50 else "t_50_and_more"])
    return _Reduction(False, smic_monthly, smic_hourly, ceiling, t, None, None, None,
                      float(ceiling), float(t), None, {})


def reduction_coefficient(table: RateTable, staff: int, gross: Decimal, smic: Decimal) -> Decimal:
    """The general reduction's coefficient for ``gross`` against ``smic`` (same period, euros).

    Computed in floats, then again exactly in Decimal when the 4th decimal is within
    1e-6 of a rounding boundary, so that the result is the exact rule's.
    """
    return _coefficient(_reduction_params(table, staff < 50), gross, float(gross), smic)


def _coefficient(params: _Reduction, gross: Decimal, gross_float: float, smic: Decimal) -> Decimal:
    """reduction_coefficient, ``gross_float`` being ``float(gross)``."""
    (rgdu, _, _, ceiling, t, power, t_min, t_max, ceiling_float, t_float, power_float,
     coefficients) = params
    if gross <= 0:
        return Decimal(0)
    if rgdu and gross >= ceiling * smic:
        return Decimal(0)
    ratio = float(smic) / gross_float
    if rgdu:
        x = max(0.5 * (ceiling_float * ratio - 1), 0.0)
        scaled = t_float * x ** power_float * 10_000
    else:
        share = min(1.0, max(ceiling_float * ratio - 1, 0.0) / (ceiling_float - 1))
        scaled = t_float * share * 10_000
    if abs(scaled - int(scaled) - 0.5) > 1e-6:
        fourths = int(scaled + 0.5)
        coefficient = coefficients.get(fourths)
        if coefficient is None:
            variable = Decimal(fourths) / 10_000
            coefficient = min(t_min + variable, t_max) if rgdu else variable
            if fourths <= 10_000:  # memoised up to a variable of 1 (every real case)
                coefficients[fourths] = coefficient
        return coefficient
    # too close to call in floats
    exact_ratio = smic / gross
    if rgdu:
        x = max(Decimal("0.5") * (ceiling * exact_ratio - 1), Decimal(0))
        variable = t * x ** power
    else:
        variable = t * min(Decimal(1), max(ceiling * exact_ratio - 1, Decimal(0)) / (ceiling - 1))
    variable = variable.quantize(_FOUR, rounding=ROUND_HALF_UP)
    return min(t_min + variable, t_max) if rgdu else variable


@cache
def _decimal(text: str) -> Decimal:
    return Decimal(text)


def _reduction(table: RateTable, employee: Employee, ytd: YearToDate,
               gross_cents: int) -> tuple[Decimal, int, YearToDate]:
    params = _reduction_params(table, employee.staff < 50)
    smic = ytd.smic + (params.smic_monthly if employee.hours is None
                       else params.smic_hourly * employee.hours)
    gross = ytd.gross_cents + gross_cents
    # gross / 100 as a float is float(Decimal(gross) / 100): both round the same exact value
    coefficient = _coefficient(params, Decimal(gross) / 100, gross / 100, smic)
    due = _times_rate(gross, coefficient)
    return coefficient, due - ytd.reduction_cents, _frozen(
        YearToDate, {"gross_cents": gross, "smic": smic, "reduction_cents": due})


FULL_TIME_HOURS = Decimal("151.67")  # C. trav. L3121-27: 35 h a week, 151.67 h a month


def reduction_smic(month: date, hours: Decimal | None = None) -> Decimal:
    """The SMIC a month adds to the general reduction's year to date (euros, unrounded):
    the reduction's hourly SMIC x the hours paid (None: full time)."""
    table = table_for(month)
    params = _reduction_params(table, True)  # the SMIC is the same whatever the staff
    return params.smic_monthly if hours is None else params.smic_hourly * hours


def minimum_gross_cents(month: date, hours: Decimal | None = None) -> int:
    """The least gross a month's hours may pay: the hourly SMIC in force x the hours paid
    (None: full time, 151.67 h), rounded half-up to the cent (C. trav. L3231-2; 12.02 x
    151.67 = 1,823.0734 -> 1,823.07 EUR)."""
    table = table_for(month)
    return round_cents(table.smic_hourly * (table.monthly_hours if hours is None else hours)
                       * 100)
