"""The FEC of a demo fiscal year, by HTTP and by the CLI, checked by the LPF A47 A-1 validator."""

from __future__ import annotations

import subprocess
import sys
import uuid

from cae_contracts import build_event
from caekit.testing import count_rows, eventually, publish_raw
from services.ledger.tests.unit.test_fec import validate_fec


def payslip(ledger, code, period, gross):
    employee, employer, tax = gross * 22 // 100, gross * 26 // 100, gross * 2 // 100
    publish_raw(ledger.amqp_uri, build_event("cae.payroll.payslip_issued.v1", {
        "payslip_id": str(uuid.uuid4()), "run_id": str(uuid.uuid4()), "cooperative_id": ledger.coop,
        "member_id": ledger.members[code], "activity_code": code, "period": period,
        "paid_on": f"{period}-28", "gross_cents": gross, "employee_contributions_cents": employee,
        "employer_contributions_cents": employer, "withholding_tax_cents": tax,
        "net_paid_cents": gross - employee - tax, "urssaf_cents": employee + employer - 30_000,
        "other_bodies_cents": 30_000}, tenant_id=ledger.coop))


def demo_year(ledger) -> int:
    """A year of two activities; returns the number of entries dated in 2026."""
    publish_raw(ledger.amqp_uri, build_event("cae.members.cooperative_registered.v1", {
        "cooperative_id": ledger.coop, "name": "Oxalis", "siren": "552100554",
        "legal_form": "SCOP-SARL", "registered_at": "2025-06-01T00:00:00+00:00",
        "default_contribution_rate": "0.1100"}, tenant_id=ledger.coop))
    ledger.open("BOULANGE", "RENOV")
    eventually(lambda: count_rows(ledger.db, "contribution_schedules") == 1)
    ledger.payment("BOULANGE", "2025-12-15", "P2025", 12_000, vat=2_000)  # the year before
    for month in range(1, 13):
        day = f"2026-{month:02d}"
        ledger.invoice("BOULANGE", f"{day}-03", f"F{month}", 300_000, 60_000)
        ledger.payment("BOULANGE", f"{day}-20", f"VIR{month}", 360_000, invoice_ref=f"F{month}")
        ledger.post("expenses", {"activity_code": "RENOV", "date": f"{day}-05",
                                 "piece_ref": f"A{month}", "label": "Matériaux | chantier\nnord",
                                 "account": "606", "net_cents": 50_000, "vat_cents": 10_000})
        ledger.post("supplier-payments", {"activity_code": "RENOV", "date": f"{day}-25",
                                          "piece_ref": f"R{month}", "label": "Règlement",
                                          "amount_cents": 60_000})
        payslip(ledger, "BOULANGE", day, 200_000)
    eventually(lambda: count_rows(ledger.db, "entries", "WHERE kind = 'salary'") == 12)
    wrong = ledger.invoice("RENOV", "2026-06-10", "F-ERR", 99_900)["entry"]
    ledger.post(f"entries/{wrong['id']}/reversal", {"date": "2026-06-11"})
    ledger.post("closed-periods", {"period": "2025-12"})  # months close in order
    ledger.post("closed-periods", {"period": "2026-01"})
    # per month: invoice, payment, contribution, expense, supplier payment, salary
    return 12 * 6 + 2


def test_the_fec_of_a_demo_year_passes_the_validator(ledger, tmp_path):
    entries = demo_year(ledger)
    response = ledger.http.get(f"{ledger.url}/fec", params={"year": "2026"}, headers=ledger.staff())
    assert response.status_code == 200
    assert 'filename="552100554FEC20261231.txt"' in response.headers["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert validate_fec(text) == []
    rows = [line.split("|") for line in text.splitlines()[1:]]
    assert len({row[2] for row in rows}) == entries  # numbered 1..n, the 2025 payment left out
    assert rows[-1][2] == str(entries)
    assert "Matériaux   chantier nord" in text  # the separator and the newline became spaces
    # the contribution at 11 % (the cooperative's registered rate) on 3,000 EUR HT
    assert any(row[4] == "658" and row[11] == "330,00" for row in rows)
    assert any(row[4] == "411" and row[6] == "411-BOULANGE" for row in rows)
    tabbed = ledger.http.get(f"{ledger.url}/fec", params={"year": "2026", "separator": "tab"},
                             headers=ledger.staff()).content.decode("utf-8")
    assert validate_fec(tabbed) == [] and tabbed.replace("\t", "|") != text  # labels differ
    # the operator's command writes the same file
    result = subprocess.run(
        [sys.executable, "-m", "caekit.cli", "ledger", "fec", "--cooperative", ledger.coop,
         "--year", "2026", "--output", str(tmp_path)],
        env={"CAE_DATABASE_URL": ledger.db, "PATH": "/usr/bin:/bin"}, capture_output=True,
        text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    written = (tmp_path / "552100554FEC20261231.txt").read_text("utf-8")
    assert written == text
    assert not list(tmp_path.glob("*.partial"))
