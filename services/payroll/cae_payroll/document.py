"""The payslip as a French bulletin de paie (HTML, printable), laid out as the
simplified payslip of the arrêté du 25 février 2016 (headings by risk, employee
and employer columns, net à payer avant impôt, impôt sur le revenu, net payé,
montant net social, coût total employeur). Standard library only."""

from __future__ import annotations

from html import escape

from cae_payroll.payroll import format_period, last_day

# the payslip's headings by risk, and the lines under each
SECTIONS = (
    ("Santé", ("maladie",)),
    ("Accidents du travail - maladies professionnelles", ("accident_du_travail",)),
    ("Retraite", ("vieillesse_plafonnee", "vieillesse_deplafonnee", "agirc_arrco_t1",
                  "agirc_arrco_t2", "ceg_t1", "ceg_t2", "cet", "apec")),
    ("Prévoyance", ("prevoyance_cadre",)),
    ("Famille", ("famille",)),
    ("Assurance chômage", ("chomage", "ags")),
    ("Autres contributions dues par l'employeur", (
        "csa", "fnal", "formation", "taxe_apprentissage", "csa_apprentissage", "peec",
        "dialogue_social", "forfait_social")),
    ("CSG déductible de l'impôt sur le revenu", ("csg_deductible",)),
    ("CSG/CRDS non déductible de l'impôt sur le revenu", ("csg_non_deductible", "crds")),
    ("Exonérations, écrêtements et allègements de cotisations", ("reduction_generale",)),
)


def euros(cents: int | None) -> str:
    """1234567 -> '12 345,67' (French: comma decimal, narrow no-break space thousands)."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole:,}".replace(",", "\u202f") + f",{part:02d}"


def rate(text: str | None) -> str:
    if not text:
        return ""
    percent = (float(text) * 100) if len(text) < 12 else None
    return f"{percent:.4g} %".replace(".", ",") if percent is not None else escape(text)


def render(row, lines: list[dict], employer) -> str:
    by_code = {line["code"]: line for line in lines}
    body = []
    for heading, codes in SECTIONS:
        present = [by_code[c] for c in codes if c in by_code
                   and (by_code[c]["employee_cents"] or by_code[c]["employer_cents"])]
        if not present:
            continue
        body.append(f'<tr class="section"><th colspan="6">{escape(heading)}</th></tr>')
        for line in present:
            body.append(
                f"<tr><td>{escape(line['label'])}</td><td class=n>{euros(line['base_cents'])}</td>"
                f"<td class=n>{rate(line['employee_rate']) if line['employee_cents'] else ''}</td>"
                f"<td class=n>{euros(line['employee_cents']) if line['employee_cents'] else ''}</td>"
                f"<td class=n>{rate(line['employer_rate']) if line['employer_cents'] else ''}</td>"
                f"<td class=n>{euros(line['employer_cents']) if line['employer_cents'] else ''}</td></tr>")
    period = format_period(row.period)
    name = escape(employer.name or "Coopérative")
    siren = escape(employer.siren or "")
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Bulletin de paie {period}</title>
<style>
body{{font:13px/1.35 system-ui,sans-serif;margin:2em;color:#111}}
table{{border-collapse:collapse;width:100%}} td,th{{border:1px solid #999;padding:3px 6px}}
.n{{text-align:right;white-space:nowrap}} .section th{{background:#eee;text-align:left}}
.total td{{font-weight:bold}} header{{display:flex;justify-content:space-between;margin-bottom:1em}}
@media print{{body{{margin:0}}}}
</style></head><body>
<h1>Bulletin de paie - {period}</h1>
<header><div><strong>Employeur</strong><br>{name}<br>SIREN {siren}<br>
Coopérative d'activité et d'emploi</div>
<div><strong>Salarié</strong><br>Entrepreneur salarié associé (CESA)<br>
Identifiant {escape(row.member_id)}<br>Activité {escape(row.activity_code)}<br>
Statut {'cadre' if row.cadre else 'non cadre'}</div>
<div><strong>Période</strong><br>du {period}-01 au {last_day(row.period).isoformat()}<br>
Payé le {last_day(row.period).isoformat()}</div></header>
<table>
<tr><th>Éléments de paie</th><th>Base</th><th>Taux salarial</th><th>Part salarié</th>
<th>Taux patronal</th><th>Part employeur</th></tr>
<tr class="total"><td>Salaire de base</td><td class=n>151,67 h</td><td></td>
<td class=n>{euros(row.gross_cents)}</td><td></td><td></td></tr>
{chr(10).join(body)}
<tr class="total"><td>Total des cotisations et contributions</td><td></td><td></td>
<td class=n>{euros(row.employee_contributions_cents)}</td><td></td>
<td class=n>{euros(row.employer_contributions_cents)}</td></tr>
<tr class="total"><td>Net à payer avant impôt sur le revenu</td><td></td><td></td>
<td class=n>{euros(row.net_before_tax_cents)}</td><td></td><td></td></tr>
<tr><td>Impôt sur le revenu prélevé à la source</td><td class=n>{euros(row.net_taxable_cents)}</td>
<td class=n>{rate(row.withholding_rate) or '0 %'}</td><td class=n>{euros(row.withholding_tax_cents)}</td>
<td></td><td></td></tr>
<tr class="total"><td>Net payé</td><td></td><td></td><td class=n>{euros(row.net_paid_cents)}</td>
<td></td><td></td></tr>
<tr><td>Montant net social</td><td></td><td></td><td class=n>{euros(row.net_social_cents)}</td>
<td></td><td></td></tr>
<tr><td>Coût total employeur</td><td></td><td></td><td></td><td></td>
<td class=n>{euros(row.employer_cost_cents)}</td></tr>
<tr><td>Cumul brut de l'année</td><td></td><td></td><td class=n>{euros(row.year_gross_cents)}</td>
<td></td><td></td></tr>
</table>
<p>Coefficient de réduction générale : {escape(row.reduction_coefficient)} (calculé sur la
rémunération de l'année, régularisé chaque mois). Dans votre intérêt, conservez ce bulletin
de paie sans limitation de durée.</p>
</body></html>"""
