"""Business operations as postings, over HTTP, against a real broker and database."""

from __future__ import annotations

from caekit.testing import count_rows


def test_invoice_payment_and_contribution_move_the_budget(ledger):
    ledger.open("BOULANGE")
    invoice = ledger.invoice("BOULANGE", "2026-01-15", "F2026-001", 100000, 20000)["entry"]
    assert [(x["account"], x["debit_cents"], x["credit_cents"]) for x in invoice["lines"]] == [
        ("411-BOULANGE", 120000, 0), ("706", 0, 100000), ("44571", 0, 20000)]
    assert ledger.budget("BOULANGE")["available_cents"] == 0  # nothing received yet
    # half of the invoice is paid: the VAT it carries is in proportion (10,000)
    posted = ledger.payment("BOULANGE", "2026-02-01", "VIR-1", 60000, invoice_ref="F2026-001")
    assert posted["entry"]["revenue_cents"] == 50000
    assert [(x["account"], x["debit_cents"], x["credit_cents"], x["activity_code"])
            for x in posted["contribution"]["lines"]] == [
        ("658", 5000, 0, "BOULANGE"), ("758", 0, 5000, None)]  # 10 % default, to the shared analytic
    assert ledger.budget("BOULANGE") == {
        "activity_code": "BOULANGE", "cash_received_cents": 50000, "contribution_cents": 5000,
        "expenses_cents": 0, "salary_costs_cents": 0, "available_cents": 45000}
    ledger.post("expenses", {"activity_code": "BOULANGE", "date": "2026-02-03", "piece_ref": "FA-77",
                             "label": "Farine", "account": "601", "net_cents": 10000,
                             "vat_cents": 550})
    ledger.post("expenses", {"activity_code": "BOULANGE", "date": "2026-02-04", "piece_ref": "NDF-1",
                             "label": "Train", "account": "625", "net_cents": 3000,
                             "expense_report": True})
    budget = ledger.budget("BOULANGE")
    assert (budget["expenses_cents"], budget["available_cents"]) == (13000, 32000)
    trial = ledger.get("trial-balance", **{"from": "2026-01", "to": "2026-12"})
    assert trial["debit_cents"] == trial["credit_cents"] > 0
    by_account = {r["account"]: r["balance_cents"] for r in trial["items"]}
    assert by_account["411-BOULANGE"] == 60000 and by_account["512"] == 60000
    assert by_account["401-BOULANGE"] == -10550 and by_account["425-BOULANGE"] == -3000
    assert count_rows(ledger.db, "entries") == 5


def test_a_reversal_cancels_the_payment_and_its_contribution(ledger):
    ledger.open("RENOV")
    posted = ledger.payment("RENOV", "2026-03-02", "CHQ-9", 12000, vat=2000)
    assert ledger.budget("RENOV")["available_cents"] == 9000
    reversal = ledger.post(f"entries/{posted['entry']['id']}/reversal", {"date": "2026-03-10"})
    assert reversal["entry"]["reverses"] == posted["entry"]["id"]
    assert ledger.budget("RENOV")["available_cents"] == 0
    assert ledger.budget("RENOV")["contribution_cents"] == 0
    again = ledger.post(f"entries/{posted['entry']['id']}/reversal", {"date": "2026-03-11"},
                        expect=422)
    assert again["errors"]["rule"] == ["entry.already_reversed"]
    # the contribution alone cannot be reversed: it goes with its payment
    derived = ledger.post(f"entries/{posted['contribution']['id']}/reversal",
                          {"date": "2026-03-11"}, expect=422)
    assert derived["errors"]["rule"] == ["entry.derived"]
    # a later payment starts again from the year's revenue without the reversed one
    second = ledger.payment("RENOV", "2026-03-12", "CHQ-10", 1000, vat=0)
    assert second["contribution"]["total_cents"] == 100
