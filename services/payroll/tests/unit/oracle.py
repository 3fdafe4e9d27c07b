"""openfisca-france as an oracle for the payroll engine (tests only: AGPL, heavy).

Tested with openfisca-france 176.1.8 / openfisca-core 44.7.1 (numpy 2.3). What it
computes, variable by variable, and where it departs from the law:
docs/payroll-oracle.md.

    rows = compute([{"month": "2026-01", "gross": "2500", "cadre": False, "staff": 50}])
    rows[0]["salaire_net"]  # 1978.99375 (EUR, float)

A case is a dict:

* ``month``: ``"YYYY-MM"``;
* ``gross``: the month's gross (``salaire_de_base``), a ``Decimal``, ``str`` or number;
* ``cadre``: ``bool`` -> ``categorie_salarie`` ``prive_cadre`` / ``prive_non_cadre``;
* ``staff``: ``int`` -> ``effectif_entreprise``;
* ``at_rate`` (optional): the accident rate as a fraction -> ``taux_accident_travail``
  (otherwise OpenFisca's generic "faible" rate, 0.70 % in 2025-2026).

Every case is a full-time CDI (``contrat_de_travail`` ``temps_plein``,
``contrat_de_travail_type`` ``cdi``). :func:`compute` builds one vectorised simulation
per distinct month and returns, per case, ``{variable: float}`` in EUR, exactly what
OpenFisca stores (float32 widened to float), with OpenFisca's signs: contributions
are NEGATIVE, reductions (``allegement_general`` and the 2025
``allegement_cotisation_*``) POSITIVE.

The February fix: OpenFisca prorates the monthly ceiling (PMSS) by
min(calendar days, 30) / 30 even for a full month, so February 2026 would use
3,738 EUR instead of 4,005. CSS R242-2 sets the ceiling per month of pay, whatever
its length; :func:`compute` therefore forces ``nombre_jours_calendaires = 30`` (no
effect in 30- and 31-day months). ``fix_february=False`` shows raw OpenFisca.

openfisca is imported inside the functions only, so importing this module (and
collecting the tests) stays fast; the tax-benefit system is loaded once (~2 s).
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

# Sum == cotisations_salariales (CSG and CRDS are outside it).
EMPLOYEE_LINES = (
    "vieillesse_plafonnee_salarie",
    "vieillesse_deplafonnee_salarie",
    "agirc_arrco_salarie",  # T1 + T2
    "contribution_equilibre_general_salarie",  # CEG T1 + T2
    "contribution_equilibre_technique_salarie",  # CET
    "apec_salarie",
    "mmid_salarie",  # Alsace-Moselle only: 0 here
)

CSG_LINES = ("csg_deductible_salaire", "csg_imposable_salaire", "crds_salaire")

# Sum == cotisations_employeur (allegement_general is outside it; the 2025
# maladie/famille reductions are inside, as positive lines).
EMPLOYER_LINES = (
    "mmid_employeur",
    "allegement_cotisation_maladie",  # 2025: +6 % up to 2.25 SMIC
    "famille",
    "allegement_cotisation_allocations_familiales",  # 2025: +1.8 % under 3.3 SMIC
    "vieillesse_plafonnee_employeur",
    "vieillesse_deplafonnee_employeur",
    "accident_du_travail",
    "contribution_solidarite_autonomie",
    "chomage_employeur",
    "ags",
    "agirc_arrco_employeur",
    "contribution_equilibre_general_employeur",
    "contribution_equilibre_technique_employeur",
    "apec_employeur",
    "fnal",
    "participation_effort_construction",
    "contribution_formation_professionnelle",
    "taxe_apprentissage",
    "contribution_supplementaire_apprentissage",
    "contribution_developpement_apprentissage",  # 0 since 2019
    "financement_organisations_syndicales",
    "prevoyance_obligatoire_cadre",
    "prevoyance_complementaire_employeur",  # 0 without an input
    "complementaire_sante_employeur",  # 0 without an input
    "versement_transport",  # 0 without depcom_entreprise
    "conge_individuel_formation_cdd",  # CDD only: 0
    "forfait_social",
    "taxe_salaires",  # 0 unless assujettie_taxe_salaires
    # public sector, 0 for prive_*: listed so that the sum is exhaustive
    "ircantec_employeur",
    "pension_employeur",
    "rafp_employeur",
    "fonds_emploi_hospitalier",
    "ati_atiacl",
)

REDUCTION = ("taux_allegement_general", "allegement_general")

TOTALS = ("cotisations_salariales", "cotisations_employeur", "salaire_net", "cout_du_travail")

INFO = ("salaire_de_base", "plafond_securite_sociale", "smic_proratise", "taux_accident_travail")

VARIABLES = INFO + EMPLOYEE_LINES + CSG_LINES + EMPLOYER_LINES + REDUCTION + TOTALS


@cache
def tax_benefit_system():
    """The French tax-benefit system, loaded once (~2 s, ~125 MB)."""
    from openfisca_france import FranceTaxBenefitSystem

    return FranceTaxBenefitSystem()


def _simulation(month: str, cases: list[dict], fix_february: bool):
    import numpy as np
    from openfisca_core.simulation_builder import SimulationBuilder

    n = len(cases)
    sim = SimulationBuilder().build_default_simulation(tax_benefit_system(), count=n)
    sim.set_input("salaire_de_base", month,
                  np.array([float(Decimal(str(c["gross"]))) for c in cases]))
    sim.set_input("categorie_salarie", month,
                  np.array(["prive_cadre" if c["cadre"] else "prive_non_cadre" for c in cases]))
    sim.set_input("effectif_entreprise", month, np.array([int(c["staff"]) for c in cases]))
    sim.set_input("contrat_de_travail", month, np.array(["temps_plein"] * n))
    sim.set_input("contrat_de_travail_type", month, np.array(["cdi"] * n))
    if fix_february:
        # the legal full-month ceiling (CSS R242-2), see the module docstring
        sim.set_input("nombre_jours_calendaires", month, np.full(n, 30.0))
    if any("at_rate" in c for c in cases):
        default = float(tax_benefit_system().parameters(f"{month}-01").prelevements_sociaux
                        .cotisations_securite_sociale_regime_general.accidents.taux.faible)
        sim.set_input("taux_accident_travail", month,
                      np.array([float(Decimal(str(c.get("at_rate", default)))) for c in cases]))
    return sim


def compute(cases: list[dict], variables=VARIABLES, fix_february: bool = True) -> list[dict]:
    """One ``{variable: EUR float}`` per case, in order; one simulation per month."""
    import numpy as np

    by_month = defaultdict(list)
    for i, case in enumerate(cases):
        by_month[case["month"]].append(i)
    out: list[dict] = [{} for _ in cases]
    with warnings.catch_warnings():
        # the reduction's "progressif" mode also computes the earlier months of the
        # year, with no pay: a harmless overflow in the RGDU's power of 0
        warnings.simplefilter("ignore", RuntimeWarning)
        for month, idx in by_month.items():
            sim = _simulation(month, [cases[i] for i in idx], fix_february)
            for variable in variables:
                column = np.asarray(sim.calculate(variable, month), dtype=np.float64)
                for j, i in enumerate(idx):
                    out[i][variable] = float(column[j])
    return out


def cents(x: float) -> int:
    """An OpenFisca amount in whole cents, half-up, read through float32's shortest
    repr: 167.025 is stored as 167.02499 (float32), whose repr "167.025" rounds to
    16703, as a payslip would (``round(x, 2)`` would give 167.02)."""
    import numpy as np

    if x == 0:
        return 0
    return int((Decimal(str(np.float32(x))) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
