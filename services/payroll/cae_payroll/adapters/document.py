"""The payslip as a French bulletin de paie, laid out as the simplified payslip of the
arrêté du 25 février 2016 (headings by risk, employee and employer columns, net à
payer avant impôt, impôt sur le revenu prélevé à la source, net payé, montant net
social, total versé par l'employeur) with the mentions of Code du travail R3243-1 to
R3243-5: printable HTML (standard library), or PDF (fpdf2).

What it says (R3243-1): the employer's name and address, the establishment's SIRET
and APE code, the URSSAF and the employer's number there, the convention collective
(or, none applying, the Code du travail's articles on paid leave and notice); the
employee's name, address, job, classification, status, CESA and its start; the
period and the hours paid, the hourly rate; the gross, the contributions by risk,
the reductions, the net before tax, the tax withheld (rate and amount), the net paid
and its date, the montant net social; the paid leave of the period (R3243-2); the
total cost to the employer; the mention to keep it without time limit and the
service-public.fr heading (R3243-5). Nothing of a strike or of staff representation
appears on it (R3243-4).

Both are drawn from one description of the page (``_page``): what it says is
written once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from html import escape

from cae_payroll.domain.employees import FULL_TIME_X100
from caekit.period import Period

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
COLUMNS = ("Éléments de paie", "Base", "Taux salarial", "Part salarié", "Taux patronal",
           "Part employeur")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre")
KEEP = ("Dans votre intérêt et pour vous aider à faire valoir vos droits, conservez ce "
        "bulletin de paie sans limitation de durée.")
SERVICE_PUBLIC = ("Pour en savoir plus sur votre bulletin de paie : rubrique dédiée au "
                  "bulletin de paie sur le portail www.service-public.fr.")
NO_CONVENTION = ("Aucune convention collective applicable (durée des congés payés : articles "
                 "L3141-3 et suivants du code du travail ; préavis : article L1234-1 du code "
                 "du travail)")
UNKNOWN = "non renseigné"


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
    return f"{percent:.4g} %".replace(".", ",") if percent is not None else text


def french_date(day: date) -> str:
    """date(2026, 3, 31) -> '31 mars 2026'; the first of a month is '1er'."""
    return f"{'1er' if day.day == 1 else day.day} {MONTHS[day.month - 1]} {day.year}"


def french_month(period: Period) -> str:
    """202603 -> 'mars 2026'."""
    return f"{MONTHS[period.month - 1]} {period.year}"


def hours(hundredths: int | None) -> str:
    """15167 -> '151,67 h' (None: full time)."""
    value = FULL_TIME_X100 if hundredths is None else hundredths
    return f"{value // 100},{value % 100:02d} h"


def hourly_rate(gross_cents: int, hundredths: int | None) -> str:
    """The gross an hour, 4 decimals: 200000 cents over 151.67 h -> '13,1866'."""
    value = Decimal(gross_cents) / (FULL_TIME_X100 if hundredths is None else hundredths)
    return str(value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)).replace(".", ",")


def siret_text(siret: str) -> str:
    """'73282932000074' -> '732 829 320 00074' (the SIREN in threes, then the NIC)."""
    return f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"


@dataclass(frozen=True)
class _Page:
    title: str
    heading: tuple[str, ...]  # the period and the payment date, under the title
    parties: tuple[tuple[str, tuple[str, ...]], ...]  # (heading, its lines): employer, employee
    rows: tuple[tuple[str, tuple[str, ...]], ...]  # (section | line | total, cells)
    summary: tuple[tuple[str, str], ...]  # (what, amount or text) under the table
    notes: tuple[str, ...]  # in plain sight (R3243-5)
    small: str  # the reduction's coefficient


def _lines_of_text(text: str | None) -> tuple[str, ...]:
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


def _employer(bulletin) -> tuple[str, ...]:
    employer = bulletin.employer
    said = [bulletin.employer_name or employer.name or "Coopérative (nom non renseigné)",
            *(_lines_of_text(employer.address) or (f"Adresse : {UNKNOWN}",)),
            f"SIRET : {siret_text(employer.siret) if employer.siret else UNKNOWN}",
            f"Code APE : {employer.ape_code or UNKNOWN}",
            f"Cotisations versées à : {employer.urssaf_body or 'URSSAF'}, "
            f"n° {employer.urssaf_number or UNKNOWN}"]
    if employer.convention_idcc:
        said.append(f"Convention collective : {employer.convention_title} "
                    f"(IDCC {employer.convention_idcc})")
    else:
        said.append(NO_CONVENTION)
    return tuple(said)


def _employee(bulletin) -> tuple[str, ...]:
    row, person = bulletin.payslip, bulletin.employee
    name = " ".join(part for part in (person and person.first_name, person and person.last_name)
                    if part) or f"Salarié {row.member_id}"
    since = person.cesa_from if person is not None else None
    return (
        name,
        *(_lines_of_text(person and person.address) or (f"Adresse : {UNKNOWN}",)),
        f"Emploi : {(person and person.job_title) or 'entrepreneur salarié associé'}",
        f"Classification : {(person and person.classification) or 'aucune'}",
        f"Statut : {'cadre' if row.cadre else 'non cadre'}",
        "Contrat : CESA, contrat à durée indéterminée (C. trav. L7331-2)",
        f"Date d'entrée : {french_date(since) if since else UNKNOWN}",
        f"Activité : {row.activity_code} - identifiant {row.member_id}",
    )


def _page(bulletin) -> _Page:
    """What the bulletin says, in plain text, laid out by ``render`` and ``render_pdf``."""
    row = bulletin.payslip
    by_code = {line["code"]: line for line in bulletin.lines}
    month = Period(row.period)
    paid_hours = row.monthly_hours_x100
    rows = [("total", ("Salaire de base", hours(paid_hours),
                       f"{hourly_rate(row.gross_cents, paid_hours)} /h",
                       euros(row.gross_cents), "", "")),
            ("line", ("Heures supplémentaires ou majorées", "0,00 h", "", "", "", ""))]
    for heading, codes in SECTIONS:
        present = [by_code[c] for c in codes if c in by_code
                   and (by_code[c]["employee_cents"] or by_code[c]["employer_cents"])]
        if present:
            rows.append(("section", (heading,)))
        for line in present:
            employee, employer_part = line["employee_cents"], line["employer_cents"]
            rows.append(("line", (
                line["label"], euros(line["base_cents"]),
                rate(line["employee_rate"]) if employee else "", euros(employee) if employee else "",
                rate(line["employer_rate"]) if employer_part else "",
                euros(employer_part) if employer_part else "")))
    reduction = -by_code.get("reduction_generale", {}).get("employer_cents", 0)
    rows += [
        ("total", ("Total des cotisations et contributions", "", "",
                   euros(row.employee_contributions_cents), "",
                   euros(row.employer_contributions_cents))),
        ("total", ("Net à payer avant impôt sur le revenu", "", "",
                   euros(row.net_before_tax_cents), "", "")),
        ("line", ("Impôt sur le revenu prélevé à la source (taux personnalisé)",
                  euros(row.net_taxable_cents), rate(row.withholding_rate) or "0 %",
                  euros(row.withholding_tax_cents), "", "")),
        ("total", ("Net payé en euros", "", "", euros(row.net_paid_cents), "", "")),
    ]
    paid_on = french_date(bulletin.paid_on)
    cancelled = row.cancel_key != ""
    summary = (
        ("Date de paiement", paid_on),
        ("Montant net social", f"{euros(row.net_social_cents)} EUR"),
        ("Net à payer avant impôt sur le revenu", f"{euros(row.net_before_tax_cents)} EUR"),
        ("Impôt sur le revenu prélevé à la source",
         f"taux {rate(row.withholding_rate) or '0 %'}, {euros(row.withholding_tax_cents)} EUR"),
        ("Coût total employeur (total versé par l'employeur)",
         f"{euros(row.employer_cost_cents)} EUR"),
        ("Total des allègements de cotisations", f"{euros(reduction)} EUR"),
        ("Cumul brut de l'année", f"{euros(row.year_gross_cents)} EUR"),
        ("Congés payés pris sur la période", "aucun"),
    )
    notes = (KEEP, SERVICE_PUBLIC)
    if cancelled:
        notes = ("BULLETIN ANNULÉ : la paie de ce mois a été annulée avant son paiement ; ce "
                 "bulletin n'a pas d'effet.", *notes)
    return _Page(
        title=f"Bulletin de paie{' ANNULÉ' if cancelled else ''} - {french_month(month)}",
        heading=(f"Période : du {french_date(month.first_day)} au {french_date(month.last_day)}"
                 f" - {hours(paid_hours)} payées au taux normal",
                 f"Date de paiement : {paid_on}"),
        parties=(("Employeur", _employer(bulletin)), ("Salarié", _employee(bulletin))),
        rows=tuple(rows),
        summary=summary,
        notes=notes,
        small=(f"Coefficient de réduction générale : {row.reduction_coefficient} (calculé sur "
               "la rémunération de l'année, régularisé chaque mois)."),
    )


def _escape(text: str) -> str:
    return escape(text, quote=False)  # element content: no attribute to close


def render(bulletin) -> str:
    """The bulletin as printable HTML."""
    page = _page(bulletin)
    body = []
    for kind, cells in page.rows:
        if kind == "section":
            body.append(f'<tr class="section"><th colspan="6">{_escape(cells[0])}</th></tr>')
        else:
            numbers = "".join(f"<td class=n>{_escape(cell)}</td>" for cell in cells[1:])
            css = ' class="total"' if kind == "total" else ""
            body.append(f"<tr{css}><td>{_escape(cells[0])}</td>{numbers}</tr>")
    parties = "\n".join(
        f"<div class=party><strong>{_escape(heading)}</strong><br>"
        f"{'<br>'.join(map(_escape, said))}</div>" for heading, said in page.parties)
    head = "".join(f"<th>{_escape(name)}</th>" for name in COLUMNS)
    summary = "\n".join(f"<tr><th>{_escape(what)}</th><td class=n>{_escape(value)}</td></tr>"
                        for what, value in page.summary)
    notes = "\n".join(f"<p class=note>{_escape(note)}</p>" for note in page.notes)
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>{_escape(page.title)}</title>
<style>
body{{font:13px/1.35 system-ui,sans-serif;margin:2em;color:#111}}
table{{border-collapse:collapse;width:100%}} td,th{{border:1px solid #999;padding:3px 6px}}
.n{{text-align:right;white-space:nowrap}} .section th{{background:#eee;text-align:left}}
.total td{{font-weight:bold}} header{{display:flex;gap:1em;margin-bottom:1em}}
.party{{flex:1;border:1px solid #999;padding:6px}} .summary{{width:60%;margin-top:1em}}
.summary th{{text-align:left;font-weight:normal}} .note{{font-weight:bold}}
@media print{{body{{margin:0}}}}
</style></head><body>
<h1>{_escape(page.title)}</h1>
<p>{'<br>'.join(map(_escape, page.heading))}</p>
<header>{parties}</header>
<table>
<tr>{head}</tr>
{chr(10).join(body)}
</table>
<table class="summary">
{summary}
</table>
{notes}
<p><small>{_escape(page.small)}</small></p>
</body></html>"""


def _latin1(text: str) -> str:
    """The PDF's core fonts (Helvetica) write Latin-1: French needs nothing else, but for
    the narrow no-break space of thousands (a no-break space instead)."""
    return text.replace("\u202f", "\u00a0").encode("latin-1", "replace").decode("latin-1")


def render_pdf(bulletin) -> bytes:
    """The bulletin as an A4 PDF (text left uncompressed: a few kilobytes, searchable).
    fpdf2 is imported on the first one: it costs a process ~60 MB and a second, which
    the payroll workers, who never draw one, are spared."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos
    from fpdf.fonts import FontFace

    bold, section = FontFace(emphasis="BOLD"), FontFace(emphasis="BOLD", fill_color=(238, 238, 238))
    page = _page(bulletin)
    pdf = FPDF(format="A4")
    pdf.set_compression(False)
    pdf.set_margins(12, 10, 12)
    pdf.set_auto_page_break(True, margin=10)
    pdf.set_title(_latin1(page.title))
    pdf.set_creator("cae-payroll")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(text=_latin1(page.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=9)
    for line in page.heading:
        pdf.cell(text=_latin1(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    gap = 4
    top = pdf.get_y()
    width = (pdf.w - pdf.l_margin - pdf.r_margin - gap) / len(page.parties)
    bottom = top
    for n, (heading, said) in enumerate(page.parties):
        left = pdf.l_margin + n * (width + gap)
        pdf.set_xy(left + 1.5, top + 1.5)
        pdf.set_font("Helvetica", "B", 9)
        pdf.multi_cell(width - 3, 4.5, _latin1(heading), align="L", new_x=XPos.LEFT,
                       new_y=YPos.NEXT)
        pdf.set_font("Helvetica", size=7.5)
        pdf.multi_cell(width - 3, 3.6, _latin1("\n".join(said)), align="L", new_x=XPos.LEFT,
                       new_y=YPos.NEXT)
        bottom = max(bottom, pdf.get_y() + 1.5)
    for n in range(len(page.parties)):
        pdf.rect(pdf.l_margin + n * (width + gap), top, width, bottom - top)
    pdf.set_xy(pdf.l_margin, bottom + 3)
    pdf.set_font("Helvetica", size=7)
    with pdf.table(col_widths=(70, 22, 20, 22, 20, 22), line_height=3.6,
                   text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT")) as table:
        header = table.row()
        for name in COLUMNS:
            header.cell(_latin1(name))
        for kind, cells in page.rows:
            out = table.row()
            if kind == "section":
                out.cell(_latin1(cells[0]), colspan=6, align="LEFT", style=section)
                continue
            for cell in cells:
                out.cell(_latin1(cell), style=None if kind == "line" else bold)
    pdf.ln(3)
    pdf.set_font("Helvetica", size=7.5)
    with pdf.table(col_widths=(60, 40), width=(pdf.w - pdf.l_margin - pdf.r_margin) * 0.62,
                   align="LEFT", line_height=3.8, text_align=("LEFT", "RIGHT"),
                   first_row_as_headings=False) as table:
        for what, value in page.summary:
            out = table.row()
            out.cell(_latin1(what))
            out.cell(_latin1(value), style=bold)
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 8.5)
    for note in page.notes:
        pdf.multi_cell(0, 4.2, _latin1(note), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=6.5)
    pdf.multi_cell(0, 3.5, _latin1(page.small), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
