"""The payslip as a French bulletin de paie, laid out as the simplified payslip of the
arrêté du 25 février 2016 (headings by risk, employee and employer columns, net à
payer avant impôt, impôt sur le revenu, net payé, montant net social, coût total
employeur): printable HTML (standard library), or PDF (fpdf2).

Both are drawn from one description of the page (``_page``): what it says is
written once."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

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


@dataclass(frozen=True)
class _Page:
    title: str
    parties: tuple[tuple[str, tuple[str, ...]], ...]  # (heading, its lines): employer, ...
    rows: tuple[tuple[str, tuple[str, ...]], ...]  # (section | line | total, cells)
    note: str


def _page(row, lines: list[dict], employer) -> _Page:
    """What the bulletin says, in plain text, laid out by ``render`` and ``render_pdf``."""
    by_code = {line["code"]: line for line in lines}
    rows = [("total", ("Salaire de base", "151,67 h", "", euros(row.gross_cents), "", ""))]
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
    rows += [
        ("total", ("Total des cotisations et contributions", "", "",
                   euros(row.employee_contributions_cents), "",
                   euros(row.employer_contributions_cents))),
        ("total", ("Net à payer avant impôt sur le revenu", "", "",
                   euros(row.net_before_tax_cents), "", "")),
        ("line", ("Impôt sur le revenu prélevé à la source", euros(row.net_taxable_cents),
                  rate(row.withholding_rate) or "0 %", euros(row.withholding_tax_cents), "", "")),
        ("total", ("Net payé", "", "", euros(row.net_paid_cents), "", "")),
        ("line", ("Montant net social", "", "", euros(row.net_social_cents), "", "")),
        ("line", ("Coût total employeur", "", "", "", "", euros(row.employer_cost_cents))),
        ("line", ("Cumul brut de l'année", "", "", euros(row.year_gross_cents), "", "")),
    ]
    month = Period(row.period)
    period, paid_on = month.text, month.last_day.isoformat()
    return _Page(
        title=f"Bulletin de paie - {period}",
        parties=(
            ("Employeur", (employer.name or "Coopérative", f"SIREN {employer.siren or ''}",
                           "Coopérative d'activité et d'emploi")),
            ("Salarié", ("Entrepreneur salarié associé (CESA)", f"Identifiant {row.member_id}",
                         f"Activité {row.activity_code}",
                         f"Statut {'cadre' if row.cadre else 'non cadre'}")),
            ("Période", (f"du {period}-01 au {paid_on}", f"Payé le {paid_on}")),
        ),
        rows=tuple(rows),
        note=(f"Coefficient de réduction générale : {row.reduction_coefficient} (calculé sur la "
              "rémunération de l'année, régularisé chaque mois). Dans votre intérêt, conservez "
              "ce bulletin de paie sans limitation de durée."),
    )


def _escape(text: str) -> str:
    return escape(text, quote=False)  # element content: no attribute to close


def render(row, lines: list[dict], employer) -> str:
    """The bulletin as printable HTML."""
    page = _page(row, lines, employer)
    body = []
    for kind, cells in page.rows:
        if kind == "section":
            body.append(f'<tr class="section"><th colspan="6">{_escape(cells[0])}</th></tr>')
        else:
            numbers = "".join(f"<td class=n>{_escape(cell)}</td>" for cell in cells[1:])
            css = ' class="total"' if kind == "total" else ""
            body.append(f"<tr{css}><td>{_escape(cells[0])}</td>{numbers}</tr>")
    parties = "\n".join(
        f"<div><strong>{_escape(heading)}</strong><br>{'<br>'.join(map(_escape, said))}</div>"
        for heading, said in page.parties)
    head = "".join(f"<th>{_escape(name)}</th>" for name in COLUMNS)
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>{_escape(page.title)}</title>
<style>
body{{font:13px/1.35 system-ui,sans-serif;margin:2em;color:#111}}
table{{border-collapse:collapse;width:100%}} td,th{{border:1px solid #999;padding:3px 6px}}
.n{{text-align:right;white-space:nowrap}} .section th{{background:#eee;text-align:left}}
.total td{{font-weight:bold}} header{{display:flex;justify-content:space-between;margin-bottom:1em}}
@media print{{body{{margin:0}}}}
</style></head><body>
<h1>{_escape(page.title)}</h1>
<header>{parties}</header>
<table>
<tr>{head}</tr>
{chr(10).join(body)}
</table>
<p>{_escape(page.note)}</p>
</body></html>"""


def _latin1(text: str) -> str:
    """The PDF's core fonts (Helvetica) write Latin-1: French needs nothing else, but for
    the narrow no-break space of thousands (a no-break space instead)."""
    return text.replace("\u202f", "\u00a0").encode("latin-1", "replace").decode("latin-1")


def render_pdf(row, lines: list[dict], employer) -> bytes:
    """The bulletin as an A4 PDF (text left uncompressed: a few kilobytes, searchable).
    fpdf2 is imported on the first one: it costs a process ~60 MB and a second, which
    the payroll workers, who never draw one, are spared."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos
    from fpdf.fonts import FontFace

    bold, section = FontFace(emphasis="BOLD"), FontFace(emphasis="BOLD", fill_color=(238, 238, 238))
    page = _page(row, lines, employer)
    pdf = FPDF(format="A4")
    pdf.set_compression(False)
    pdf.set_title(_latin1(page.title))
    pdf.set_creator("cae-payroll")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(text=_latin1(page.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    top, width = pdf.get_y(), (pdf.w - pdf.l_margin - pdf.r_margin) / len(page.parties)
    bottom = top
    for n, (heading, said) in enumerate(page.parties):
        pdf.set_xy(pdf.l_margin + n * width, top)
        pdf.set_font("Helvetica", "B", 9)
        pdf.multi_cell(width, 4.5, _latin1(heading), new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font("Helvetica", size=8)
        pdf.multi_cell(width, 4, _latin1("\n".join(said)), new_x=XPos.LEFT, new_y=YPos.NEXT)
        bottom = max(bottom, pdf.get_y())
    pdf.set_xy(pdf.l_margin, bottom + 4)
    pdf.set_font("Helvetica", size=7.5)
    with pdf.table(col_widths=(66, 24, 20, 24, 20, 24), line_height=4.2,
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
    pdf.multi_cell(0, 4, _latin1(page.note))
    return bytes(pdf.output())

