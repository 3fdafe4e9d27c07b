"""The payroll engine against openfisca-france 176.1.8, line by line.

A grid of payslips (seeded random gross from 1,500 EUR to 10 PMSS, with cents, plus
every boundary point: the PMSS, 3 SMIC 2026, 1.6 / 2.25 / 3.3 SMIC 2025, 4 and
8 PMSS, each +- 0.01), cadre and non-cadre, staff 5 / 20 / 50 / 250 (and the
thresholds 10, 11, 49, 249, 2,000 in the random part), months of 2025 and 2026,
explicit accident rates. One module-scoped fixture computes every OpenFisca value
in one vectorised simulation per month (tests/unit/oracle.py); each case's payslip is
computed by the engine with an empty ``YearToDate`` (the first month of pay: the
year-to-date reduction is then the month's own, as in OpenFisca).

Rules (docs/payroll-oracle.md):

* Every line OpenFisca also computes is compared, in whole cents:
  ``|ours - OF| <= 1 cent``, OF read half-up through float32's shortest repr
  (``oracle.cents``). Ours is rounded half-up per slice; OpenFisca stores float32,
  rounds its scale-based lines per slice with ``numpy.round`` (ties go either way,
  by float noise) and leaves others unrounded (CSG, CRDS, AT, formation, the
  reductions). Exact half-cent ties therefore differ by a cent, nothing else may.
  Lines we split in two (T1 / T2) are summed to OpenFisca's single variable.
* OpenFisca signs contributions negative and reductions positive; ours are positive
  contributions and a negative ``reduction_generale`` employer amount.
* Lines OpenFisca computes and we have not (Alsace-Moselle, versement mobilité,
  CDD, taxe sur les salaires, mutuelle...) must be 0 for these inputs.
* The documented differences are applied explicitly, not by loosening tolerances:
  (a) AGS: 0.25 % (AGS board, 2025-2026) vs OpenFisca's stale 0.20 %: ours must be
      OF x 0.25 / 0.20 to the cent; (b) a cadre's CSG/CRDS base includes the
      employer's prévoyance (CSS L136-1-1), OpenFisca's does not: ours is compared to
      OF + rate x our prévoyance, and the net to OF's net less their sum; (c) the
      general reduction: the 4-decimal coefficient must equal OpenFisca's, except
      (+-1e-4, the amount following) where the exact coefficient is within 1e-6 of a
      rounding boundary (OpenFisca computes it in float32); (d) February: the oracle
      forces the legal full-month ceiling (OpenFisca prorates it by calendar days).

Any other difference fails, listing the case, the line, ours and OpenFisca's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal

import pytest

from cae_payroll.domain.engine import Employee, Payslip, YearToDate, payslip, table_for
from services.payroll.tests.unit.oracle import (
    CSG_LINES,
    EMPLOYEE_LINES,
    EMPLOYER_LINES,
    cents,
    compute,
)

MONTHS = ("2025-01", "2025-05", "2025-09", "2026-01", "2026-02", "2026-06", "2026-11")
STAFF = (5, 20, 50, 250)
STAFF_THRESHOLDS = (10, 11, 49, 249, 2000)
AT_RATES = ("0.007", "0.0123", "0.0311")
PMSS = {2025: Decimal(3925), 2026: Decimal(4005)}
SMIC_2025 = Decimal("11.88") * Decimal("151.67")  # 1,801.8396
SMIC_2026 = Decimal("12.02") * Decimal("151.67")  # 1,823.0734 (the RGDU's, all 2026)
RANDOM_CASES = 900
SEED = 20260101


def _around(x: Decimal) -> list[Decimal]:
    """The cent values around ``x``: x itself if it is whole cents, else the two
    cents it lies between; plus one cent either side."""
    low = x.quantize(Decimal("0.01"), rounding=ROUND_FLOOR)
    points = {low - Decimal("0.01"), low, low + Decimal("0.01")}
    if low != x:
        points.add(low + Decimal("0.02"))
    return sorted(points)


BOUNDARIES = sorted({
    Decimal(1500),
    SMIC_2025.quantize(Decimal("0.01")),
    SMIC_2026.quantize(Decimal("0.01")),
    (Decimal("12.31") * Decimal("151.67")).quantize(Decimal("0.01")),  # SMIC of 2026-06
    Decimal(2500),  # stack.md's reference
    *_around(Decimal("1.6") * SMIC_2025),  # 2025 reduction's end: 2,882.94336
    *_around(Decimal("2.25") * SMIC_2025),  # 2025 maladie 7 %: <= 4,054.1391
    *_around(Decimal("3.3") * SMIC_2025),  # 2025 famille 3.45 %: < 5,946.07068
    *_around(3 * SMIC_2026),  # 2026 RGDU cliff: < 5,469.2202
    *(p for pmss in PMSS.values() for k in (1, 4, 8, 10) for p in _around(k * pmss)),
})


@dataclass(frozen=True)
class Case:
    month: str
    gross: Decimal
    cadre: bool
    staff: int
    at_rate: str = "0.007"

    def __str__(self) -> str:
        return (f"{self.month} gross {self.gross} {'cadre' if self.cadre else 'non-cadre'} "
                f"staff {self.staff} AT {self.at_rate}")

    @property
    def first_day(self) -> date:
        return date(int(self.month[:4]), int(self.month[5:]), 1)

    def oracle_input(self) -> dict:
        return {"month": self.month, "gross": self.gross, "cadre": self.cadre,
                "staff": self.staff, "at_rate": self.at_rate}


def grid() -> list[Case]:
    cases = [Case(month, gross, cadre, staff)
             for month in MONTHS for gross in BOUNDARIES
             for cadre in (False, True) for staff in STAFF]
    rng = random.Random(SEED)
    low, high = 1500, 10 * int(PMSS[2026])
    for _ in range(RANDOM_CASES):
        # log-uniform: as many cases between 1,500 and 3,000 as between 20,000 and 40,000
        gross = Decimal(round(low * (high / low) ** rng.random() * 100)) / 100
        cases.append(Case(rng.choice(MONTHS), gross, rng.random() < 0.5,
                          rng.choice(STAFF + STAFF_THRESHOLDS), rng.choice(AT_RATES)))
    return cases


@dataclass(frozen=True)
class Result:
    case: Case
    ours: Payslip
    of: dict

    def employee(self, *codes: str) -> int:
        return sum(x.employee_cents for x in self.ours.lines if x.code in codes)

    def employer(self, *codes: str) -> int:
        return sum(x.employer_cents for x in self.ours.lines if x.code in codes)

    def of_cents(self, *variables: str, sign: int = -1, plus: Decimal = Decimal(0)) -> int:
        """OpenFisca's ``sum(variables)``, sign flipped to ours, ``plus`` EUR, in cents."""
        return cents(float(sign * Decimal(repr(sum(self.of[v] for v in variables))) + plus))


@pytest.fixture(scope="module")
def results() -> list[Result]:
    cases = grid()
    of_rows = compute([c.oracle_input() for c in cases])
    return [Result(c, payslip(c.first_day, int(c.gross * 100),
                              Employee(c.cadre, c.staff, Decimal(c.at_rate)), YearToDate()), row)
            for c, row in zip(cases, of_rows, strict=True)]


def _fail_on(mismatches: list[str], what: str, total: int) -> None:
    if mismatches:
        shown = "\n  ".join(mismatches[:40])
        more = f"\n  ... and {len(mismatches) - 40} more" if len(mismatches) > 40 else ""
        pytest.fail(f"{what}: {len(mismatches)} of {total} cases differ from OpenFisca\n  "
                    f"{shown}{more}", pytrace=False)


def _check(results, what, pairs) -> None:
    """``pairs(result) -> (ours, expected)`` in cents; fail beyond one cent."""
    mismatches = []
    for r in results:
        ours, expected = pairs(r)
        if abs(ours - expected) > 1:
            mismatches.append(f"{r.case}: {what} ours {ours / 100:.2f} OpenFisca "
                              f"{expected / 100:.2f} (diff {(ours - expected) / 100:+.2f})")
    _fail_on(mismatches, what, len(results))


def test_the_grid_covers_what_the_brief_asks(results):
    cases = [r.case for r in results]
    assert len(cases) >= 500
    assert {c.month for c in cases} == set(MONTHS)
    assert set(STAFF) <= {c.staff for c in cases}
    assert min(c.gross for c in cases) <= 1500 and max(c.gross for c in cases) >= 40050
    assert any(c.gross % 1 for c in cases)  # cents
    for needed in ("3925.00", "3925.01", "3924.99", "4005.00", "5469.22", "5469.23",
                   "2882.94", "2882.95", "4054.13", "4054.14", "5946.07", "5946.08",
                   "16020.00", "32040.01"):
        assert Decimal(needed) in BOUNDARIES, needed


# ---------------------------------------------------------------------------
# Lines compared as they are: (name, our codes, side, OpenFisca variables).
# The 2025 reduced maladie / famille rates are OpenFisca's full-rate line plus its
# positive "allègement" line (which is 0 in 2026).
# ---------------------------------------------------------------------------

SAME_LINES = [
    ("maladie", ("maladie",), "employer", ("mmid_employeur", "allegement_cotisation_maladie")),
    ("vieillesse_plafonnee", ("vieillesse_plafonnee",), "employee",
     ("vieillesse_plafonnee_salarie",)),
    ("vieillesse_plafonnee", ("vieillesse_plafonnee",), "employer",
     ("vieillesse_plafonnee_employeur",)),
    ("vieillesse_deplafonnee", ("vieillesse_deplafonnee",), "employee",
     ("vieillesse_deplafonnee_salarie",)),
    ("vieillesse_deplafonnee", ("vieillesse_deplafonnee",), "employer",
     ("vieillesse_deplafonnee_employeur",)),
    ("famille", ("famille",), "employer",
     ("famille", "allegement_cotisation_allocations_familiales")),
    ("accident_du_travail", ("accident_du_travail",), "employer", ("accident_du_travail",)),
    ("csa", ("csa",), "employer", ("contribution_solidarite_autonomie",)),
    ("fnal", ("fnal",), "employer", ("fnal",)),
    ("chomage", ("chomage",), "employer", ("chomage_employeur",)),
    ("agirc_arrco", ("agirc_arrco_t1", "agirc_arrco_t2"), "employee", ("agirc_arrco_salarie",)),
    ("agirc_arrco", ("agirc_arrco_t1", "agirc_arrco_t2"), "employer", ("agirc_arrco_employeur",)),
    ("ceg", ("ceg_t1", "ceg_t2"), "employee", ("contribution_equilibre_general_salarie",)),
    ("ceg", ("ceg_t1", "ceg_t2"), "employer", ("contribution_equilibre_general_employeur",)),
    ("cet", ("cet",), "employee", ("contribution_equilibre_technique_salarie",)),
    ("cet", ("cet",), "employer", ("contribution_equilibre_technique_employeur",)),
    ("apec", ("apec",), "employee", ("apec_salarie",)),
    ("apec", ("apec",), "employer", ("apec_employeur",)),
    ("prevoyance_cadre", ("prevoyance_cadre",), "employer", ("prevoyance_obligatoire_cadre",)),
    ("forfait_social", ("forfait_social",), "employer", ("forfait_social",)),
    ("formation", ("formation",), "employer", ("contribution_formation_professionnelle",)),
    ("taxe_apprentissage", ("taxe_apprentissage",), "employer", ("taxe_apprentissage",)),
    ("csa_apprentissage", ("csa_apprentissage",), "employer",
     ("contribution_supplementaire_apprentissage",)),
    ("peec", ("peec",), "employer", ("participation_effort_construction",)),
    ("dialogue_social", ("dialogue_social",), "employer",
     ("financement_organisations_syndicales",)),
]

# (b): CSG and CRDS, on a base that includes a cadre's employer prévoyance.
CSG_CRDS = [("csg_deductible", "csg_deductible_salaire", Decimal("0.068")),
            ("csg_non_deductible", "csg_imposable_salaire", Decimal("0.024")),
            ("crds", "crds_salaire", Decimal("0.005"))]

# every one of our codes, and the comparison that covers it
COMPARED_CODES = ({code for _, codes, _, _ in SAME_LINES for code in codes}
                  | {code for code, _, _ in CSG_CRDS} | {"ags", "reduction_generale"})

# OpenFisca lines we have no counterpart for: 0 for a full-time CDI outside
# Alsace-Moselle, with no location, mutuelle or extra prévoyance given.
ZERO_IN_OPENFISCA = (
    {"mmid_salarie"}
    | set(EMPLOYER_LINES)
    - {v for _, _, _, variables in SAME_LINES for v in variables} - {"ags"}
)


@pytest.mark.parametrize(("name", "codes", "side", "variables"), SAME_LINES,
                         ids=[f"{name}-{side}" for name, _, side, _ in SAME_LINES])
def test_line(results, name, codes, side, variables):
    def pairs(r: Result):
        ours = r.employee(*codes) if side == "employee" else r.employer(*codes)
        return ours, r.of_cents(*variables)

    _check(results, f"{name} ({side})", pairs)


def test_ags_differs_by_its_rate_only(results):
    """(a) AGS 0.25 % (AGS board decision, in force 2025-2026), OpenFisca 0.20 %."""
    _check(results, "ags (employer, OF x 0.25/0.20)",
           lambda r: (r.employer("ags"),
                      cents(-r.of["ags"] * 0.0025 / 0.0020)))


@pytest.mark.parametrize(("code", "variable", "rate"), CSG_CRDS, ids=[c for c, _, _ in CSG_CRDS])
def test_csg_crds(results, code, variable, rate):
    """(b) ours = OpenFisca's + rate x the employer's prévoyance (CSS L136-1-1)."""
    def pairs(r: Result):
        prevoyance = Decimal(r.employer("prevoyance_cadre")) / 100
        return r.employee(code), r.of_cents(variable, plus=rate * prevoyance)

    _check(results, f"{code} (employee)", pairs)


def test_net(results):
    """Net before income tax; a cadre's less the CSG/CRDS on the prévoyance (b)."""
    rate = sum(rate for _, _, rate in CSG_CRDS)

    def pairs(r: Result):
        prevoyance = Decimal(r.employer("prevoyance_cadre")) / 100
        return r.ours.net_before_tax_cents, r.of_cents("salaire_net", sign=1,
                                                       plus=-rate * prevoyance)

    _check(results, "net (salaire_net)", pairs)


def _exact_coefficient_term(r: Result) -> Decimal | None:
    """The general reduction's term the law rounds to 4 decimals, unrounded, with the
    engine's parameters: T x share in 2025, Tdelta x x^1.75 in 2026; None past the
    RGDU's cliff (the coefficient is then 0, no rounding)."""
    params = table_for(r.case.first_day).reduction
    ceiling = Decimal(params["smic_ceiling"])
    smic = Decimal(params["smic_hourly"]["value"]) * Decimal("151.67")
    ratio = smic / r.case.gross
    if params["kind"] == "rgdu":
        if r.case.gross >= ceiling * smic:
            return None
        t_delta = Decimal(params["t_delta_under_50" if r.case.staff < 50 else "t_delta_50_and_more"])
        x = max(Decimal("0.5") * (ceiling * ratio - 1), Decimal(0))
        return t_delta * x ** Decimal(params["power"])
    t = Decimal(params["t_under_50" if r.case.staff < 50 else "t_50_and_more"])
    return t * min(Decimal(1), max(ceiling * ratio - 1, Decimal(0)) / (ceiling - 1))


def _near_a_rounding_boundary(term: Decimal | None) -> bool:
    if term is None:
        return False
    scaled = term * 10_000  # 1e-6 on the coefficient is 0.01 here
    return abs(scaled - scaled.to_integral_value(rounding=ROUND_FLOOR) - Decimal("0.5")) < Decimal(
        "0.01")


def test_general_reduction(results):
    """(c) The coefficient equals OpenFisca's ``taux_allegement_general`` (4 decimals)
    and the amount its ``allegement_general`` (ours negative, an employer credit).
    Where the exact coefficient is within 1e-6 of a 4-decimal rounding boundary,
    OpenFisca's float32 may round the other way: 1e-4 apart is then accepted, and
    the amount must be OpenFisca's scaled by the ratio of the coefficients."""
    mismatches, flips = [], []
    for r in results:
        ours_c = r.ours.reduction_coefficient
        of_c = Decimal(repr(r.of["taux_allegement_general"])).quantize(Decimal("0.0001"))
        ours = -r.employer("reduction_generale")
        if ours_c == of_c:
            expected = cents(r.of["allegement_general"])
        elif abs(ours_c - of_c) == Decimal("0.0001") and _near_a_rounding_boundary(
                _exact_coefficient_term(r)):
            flips.append(r)
            expected = cents(r.of["allegement_general"] * float(ours_c / of_c)) if of_c else 0
        else:
            mismatches.append(f"{r.case}: coefficient ours {ours_c} OpenFisca {of_c} "
                              f"(amount ours {ours / 100:.2f}, OpenFisca "
                              f"{r.of['allegement_general']:.4f})")
            continue
        if abs(ours - expected) > 1:
            mismatches.append(f"{r.case}: reduction (coefficient {ours_c}) ours "
                              f"{ours / 100:.2f} OpenFisca {expected / 100:.2f}")
    _fail_on(mismatches, "reduction_generale", len(results))
    assert len(flips) <= len(results) // 500, [str(r.case) for r in flips]


def test_every_line_of_ours_is_compared(results):
    codes = {x.code for r in results for x in r.ours.lines}
    assert codes <= COMPARED_CODES, f"not compared with OpenFisca: {codes - COMPARED_CODES}"


def test_openfisca_lines_we_do_not_have_are_zero(results):
    mismatches = [f"{r.case}: {v} = {r.of[v]}"
                  for r in results for v in sorted(ZERO_IN_OPENFISCA) if r.of[v] != 0]
    _fail_on(mismatches, "lines OpenFisca computes and we do not", len(results))


def test_openfisca_totals_are_the_lines_compared(results):
    """No OpenFisca line escapes the comparison: its totals are these lines' sums."""
    mismatches = []
    for r in results:
        g, of = float(r.case.gross), r.of
        for name, total, parts in (
            ("cotisations_salariales", of["cotisations_salariales"],
             sum(of[v] for v in EMPLOYEE_LINES)),
            ("cotisations_employeur", of["cotisations_employeur"],
             sum(of[v] for v in EMPLOYER_LINES)),
            ("salaire_net", of["salaire_net"] - g,
             of["cotisations_salariales"] + sum(of[v] for v in CSG_LINES)),
            ("cout_du_travail", of["cout_du_travail"] - g,
             -of["cotisations_employeur"] - of["allegement_general"]),
        ):
            if abs(total - parts) > 2e-3 + 1e-7 * g:
                mismatches.append(f"{r.case}: {name} {total} != sum of its lines {parts}")
    _fail_on(mismatches, "OpenFisca identities", len(results))


def test_the_ceiling_is_the_legal_full_month_one(results):
    """(d) Every month, February included, uses the whole PMSS (CSS R242-2)."""
    wrong = [f"{r.case}: PMSS {r.of['plafond_securite_sociale']}" for r in results
             if Decimal(repr(r.of["plafond_securite_sociale"])) != PMSS[r.case.first_day.year]]
    _fail_on(wrong, "plafond_securite_sociale", len(results))


def test_openfisca_prorates_february_s_ceiling_without_the_fix():
    """Why the oracle forces 30 days: raw OpenFisca uses 28/30 of the PMSS in February."""
    case = {"month": "2026-02", "gross": "5000", "cadre": True, "staff": 50}
    raw, = compute([case], variables=("plafond_securite_sociale",), fix_february=False)
    fixed, = compute([case], variables=("plafond_securite_sociale",))
    assert raw["plafond_securite_sociale"] == 3738.0  # 4,005 x 28 / 30
    assert fixed["plafond_securite_sociale"] == 4005.0


def test_stack_md_reference_payslip():
    """stack.md: 2026-01, 50 staff, non-cadre, gross 2,500."""
    of, = compute([{"month": "2026-01", "gross": "2500", "cadre": False, "staff": 50,
                    "at_rate": "0.007"}])
    ours = payslip(date(2026, 1, 1), 250_000, Employee(False, 50, Decimal("0.007")), YearToDate())
    employee_excl_csg = sum(x.employee_cents for x in ours.lines
                            if x.code not in ("csg_deductible", "csg_non_deductible", "crds"))
    reduction = -ours.line("reduction_generale").employer_cents
    employer_before = ours.employer_contributions_cents + reduction
    ags_difference = ours.line("ags").employer_cents - cents(-of["ags"])

    assert cents(of["salaire_net"]) == ours.net_before_tax_cents == 197_899
    assert cents(-of["cotisations_salariales"]) == employee_excl_csg == 28_275
    assert cents(-of["cotisations_employeur"]) == 106_915
    assert ags_difference == 125  # 0.25 % vs 0.20 % of 2,500
    assert employer_before == 106_915 + ags_difference == 107_040
    assert cents(of["allegement_general"]) == reduction == 43_375
    assert ours.reduction_coefficient == Decimal("0.1735")
    assert cents(of["cout_du_travail"]) == 313_540
    assert ours.employer_cost_cents == 313_540 + ags_difference == 313_665
