"""The bulletin de paie a French employee recognises: every mention of Code du travail
R3243-1 to R3243-5 and of the simplified layout (arrêté du 25 février 2016), read back
from the PDF's text (pdftotext when poppler is installed, and always by reading the
uncompressed PDF's text operators) and from the HTML."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from cae_payroll.adapters.document import euros, french_date, french_month, render, render_pdf
from cae_payroll.adapters.lines import lines_json, lines_of
from cae_payroll.domain import engine
from cae_payroll.usecases.payslips import Bulletin
from caekit.period import Period

MARCH = Period(202603)


def bulletin(*, convention: bool = True, cancelled: bool = False, paid_on=date(2026, 3, 25)):
    """A part-time (104 h) entrepreneur's March 2026 payslip, with everything set."""
    terms = engine.Employee(staff=12, at_rate=Decimal("0.0125"),
                            withholding_rate=Decimal("0.075"), hours=Decimal("104"))
    slip = engine.payslip(MARCH.first_day, 250_000, terms)
    row = SimpleNamespace(
        id="p1", run_id="r1", member_id="0b6f1c1e-2d0e-4c55-9a57-3c5b2f0a8e11",
        activity_code="BOULANGE", period=int(MARCH), cadre=False,
        withholding_rate="0.075", reduction_coefficient=str(slip.reduction_coefficient),
        lines=lines_json(slip), year_gross_cents=slip.year_to_date.gross_cents,
        monthly_hours_x100=10_400, cancel_key="r1" if cancelled else "",
        issued_at=datetime(2026, 3, 20, tzinfo=UTC),
        **{name: getattr(slip, name) for name in (
            "gross_cents", "employee_contributions_cents", "employer_contributions_cents",
            "net_social_cents", "net_taxable_cents", "net_before_tax_cents",
            "withholding_tax_cents", "net_paid_cents", "employer_cost_cents", "urssaf_cents",
            "other_bodies_cents")})
    employer = SimpleNamespace(
        name="Coopaname (ancien nom)", siren="732829320", siret="73282932000017",
        ape_code="7022Z", urssaf_body="URSSAF Île-de-France", urssaf_number="117000001234567890",
        address="3-7 rue Albert Marquet\n75020 Paris",
        convention_idcc="1486" if convention else None,
        convention_title="Bureaux d'études techniques, cabinets d'ingénieurs-conseils et "
                         "sociétés de conseils (Syntec)" if convention else None)
    employee = SimpleNamespace(
        first_name="Léa", last_name="Martin", job_title="Boulangère",
        classification="Niveau 2, coefficient 250", address="12 rue des Lilas\n93100 Montreuil",
        cesa_from=date(2026, 1, 5))
    return Bulletin(row, lines_of(row), employer, "Coopaname", employee, paid_on), slip


def pdf_text(pdf: bytes) -> list[str]:
    """The PDF's text, whitespace collapsed: by pdftotext when installed, and always by
    reading its (uncompressed) text-showing operators."""
    texts = [_operators_text(pdf)]
    if shutil.which("pdftotext"):
        out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                             check=True).stdout.decode("utf-8")
        texts.append(" ".join(out.split()))
    return texts


_STRING = re.compile(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", re.S)


def _operators_text(pdf: bytes) -> str:
    """Every ``(...) Tj`` string of the PDF, unescaped, in order (Helvetica: Latin-1)."""
    def unescape(raw: bytes) -> str:
        raw = re.sub(rb"\\([0-7]{1,3})", lambda m: bytes([int(m[1], 8)]), raw)
        raw = re.sub(rb"\\(.)", lambda m: {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(m[1], m[1]),
                     raw)
        return raw.decode("latin-1")

    return " ".join(" ".join(unescape(m[1]) for m in _STRING.finditer(pdf)).split())


def mentions(slip) -> list[str]:
    """What a French employee recognises on their payslip, and the law asks."""
    money = [euros(cents).replace("\u202f", " ") for cents in (  # whitespace collapsed
        slip.gross_cents, slip.net_before_tax_cents, slip.net_social_cents, slip.net_paid_cents,
        slip.withholding_tax_cents, slip.employer_cost_cents)]
    return [
        "Bulletin de paie - mars 2026",  # the period in words
        "Période : du 1er mars 2026 au 31 mars 2026",
        "Date de paiement : 25 mars 2026",  # the payment date in words
        # the employer (R3243-1 1° 2°): name in force, address, SIRET, APE, URSSAF and number
        "Coopaname", "3-7 rue Albert Marquet", "75020 Paris", "SIRET : 732 829 320 00017",
        "Code APE : 7022Z", "URSSAF Île-de-France, n° 117000001234567890",
        # the convention collective (3°)
        "Convention collective : Bureaux d'études techniques", "(IDCC 1486)",
        # the employee (4°): name, address, job, classification; the employment's start
        "Léa Martin", "12 rue des Lilas", "93100 Montreuil", "Emploi : Boulangère",
        "Classification : Niveau 2, coefficient 250", "Date d'entrée : 5 janvier 2026",
        "Statut : non cadre",
        # the hours paid (5°), at the normal rate, and the hourly rate
        "104,00 h payées au taux normal", "Salaire de base", "104,00 h", "24,0385 /h",
        "Heures supplémentaires ou majorées", "0,00 h",
        # the contributions by risk, the reductions (arrêté 2016)
        "Santé", "Retraite", "Famille", "Assurance chômage",
        "Exonérations, écrêtements et allègements de cotisations",
        "Total des cotisations et contributions",
        # the nets, the tax withheld (rate and amount), the date of payment
        "Net à payer avant impôt sur le revenu", "Montant net social",
        "Impôt sur le revenu prélevé à la source", "taux 7,5 %", "Net payé en euros",
        "Date de paiement", "25 mars 2026",
        # the employer's total cost, the paid leave of the month (R3243-2)
        "Coût total employeur (total versé par l'employeur)", "Congés payés pris sur la période",
        # in plain sight (R3243-5)
        "conservez ce bulletin de paie sans limitation de durée",
        "rubrique dédiée au bulletin de paie sur le portail www.service-public.fr",
        *money,
    ]


def test_french_words_for_months_and_days():
    assert french_month(Period(202603)) == "mars 2026"
    assert french_month(Period(202608)) == "août 2026"
    assert french_date(date(2026, 3, 31)) == "31 mars 2026"
    assert french_date(date(2026, 2, 1)) == "1er février 2026"
    assert french_date(date(2026, 12, 25)) == "25 décembre 2026"


def test_the_pdf_says_every_mention_of_a_french_payslip():
    page, slip = bulletin()
    pdf = render_pdf(page)
    assert pdf.startswith(b"%PDF-")
    for text in pdf_text(pdf):
        missing = [said for said in mentions(slip) if said not in text]
        assert not missing, missing
        # nothing of a strike nor of staff representation (R3243-4)
        assert "grève" not in text and "représentation" not in text


def test_the_html_says_the_same():
    page, slip = bulletin()
    html = render(page)
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split()).replace("&#x27;", "'")
    missing = [said for said in mentions(slip) if said not in text]
    assert not missing, missing
    assert '<html lang="fr">' in html


def test_without_a_convention_the_payslip_says_none_applies_and_the_code_s_articles():
    page, _ = bulletin(convention=False)
    for text in pdf_text(render_pdf(page)):
        assert "Aucune convention collective applicable" in text
        assert "articles L3141-3 et suivants du code du travail" in text
        assert "IDCC" not in text


def test_a_cancelled_payslip_says_so():
    page, _ = bulletin(cancelled=True)
    for text in pdf_text(render_pdf(page)):
        assert "Bulletin de paie ANNULÉ - mars 2026" in text
        assert "la paie de ce mois a été annulée avant son paiement" in text


def test_what_payroll_does_not_know_is_said_not_known():
    page, _ = bulletin()
    employer = SimpleNamespace(**{**vars(page.employer), "siret": None, "ape_code": None,
                                  "urssaf_body": None, "urssaf_number": None, "address": None})
    unknown = Bulletin(page.payslip, page.lines, employer, None, None, page.paid_on)
    text = pdf_text(render_pdf(unknown))[0]
    for said in ("Coopaname (ancien nom)", "SIRET : non renseigné", "Code APE : non renseigné",
                 "URSSAF, n° non renseigné", "Salarié 0b6f1c1e-2d0e-4c55-9a57-3c5b2f0a8e11",
                 "Date d'entrée : non renseigné"):
        assert said in text, said


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler's pdftoppm not installed")
def test_the_pdf_renders_to_one_a4_page(tmp_path):
    page, _ = bulletin()
    (tmp_path / "b.pdf").write_bytes(render_pdf(page))
    subprocess.run(["pdftoppm", "-png", "-r", "30", str(tmp_path / "b.pdf"), str(tmp_path / "b")],
                   check=True)
    assert [p.name for p in tmp_path.glob("b-*.png")] == ["b-1.png"]  # one page
