"""A cancelled payroll run (cae.payroll.run_cancelled.v1), through the real broker, in both
orders: its salaries already posted are reversed; its payslips arriving after it post
nothing; a duplicate delivery does nothing twice."""

from __future__ import annotations

import uuid

import pytest

from cae_contracts import build_event
from caekit.testing import count_rows, eventually, message_count, publish_raw

SALARY_ACCOUNTS = ("641", "645", "431", "437", "4421")


@pytest.fixture
def payroll(ledger):
    ledger.open("ALPHA", "BETA", "GAMMA")
    return ledger


def payslip(ledger, run: str, code: str, gross: int, period="2026-01", paid_on="2026-01-31"):
    employee, employer, tax = gross * 22 // 100, gross * 27 // 100, gross * 3 // 100
    return build_event("cae.payroll.payslip_issued.v1", {
        "payslip_id": str(uuid.uuid4()), "run_id": run, "cooperative_id": ledger.coop,
        "member_id": ledger.members[code], "activity_code": code, "period": period,
        "paid_on": paid_on, "gross_cents": gross, "employee_contributions_cents": employee,
        "employer_contributions_cents": employer, "withholding_tax_cents": tax,
        "net_paid_cents": gross - employee - tax, "urssaf_cents": employee + employer - 10_000,
        "other_bodies_cents": 10_000}, tenant_id=ledger.coop)


def cancelled(ledger, run: str, on="2026-02-10", period="2026-01"):
    return build_event("cae.payroll.run_cancelled.v1", {
        "run_id": run, "cooperative_id": ledger.coop, "period": period, "cancelled_on": on,
        "reason": "Mauvais taux AT/MP appliqué", "cancelled_by": "paie@oxalis"},
        tenant_id=ledger.coop)


def handled(ledger, *events) -> None:
    """Wait until the ledger has claimed every one of ``events`` in its inbox."""
    ids = ", ".join(f"'{event['id']}'" for event in events)
    eventually(lambda: count_rows(ledger.db, "inbox", f"WHERE event_id IN ({ids})") == len(events))


def salaries(ledger) -> int:
    return count_rows(ledger.db, "entries", "WHERE kind = 'salary' AND reverses IS NULL")


def reversals(ledger) -> int:
    return count_rows(ledger.db, "entries", "WHERE kind = 'salary' AND reverses IS NOT NULL")


def balances(ledger) -> dict:
    trial = ledger.get("trial-balance", **{"from": "2026-01", "to": "2026-12"})
    assert trial["debit_cents"] == trial["credit_cents"]  # the trial balance is zero
    return {row["account"]: row["balance_cents"] for row in trial["items"]}


def test_a_run_issued_then_cancelled_is_reversed_once(payroll):
    ledger = payroll
    run, other_run = str(uuid.uuid4()), str(uuid.uuid4())
    slips = [payslip(ledger, run, "ALPHA", 250_000), payslip(ledger, run, "BETA", 180_000)]
    kept = payslip(ledger, other_run, "GAMMA", 300_000)
    for event in (*slips, kept):
        publish_raw(ledger.amqp_uri, event)
    eventually(lambda: salaries(ledger) == 3)
    # January and February are closed before the cancellation (dated 10 February) arrives:
    # the reversals are dated on the first open day, 1 March
    ledger.post("closed-periods", {"period": "2026-01"})
    ledger.post("closed-periods", {"period": "2026-02"})
    cancel = cancelled(ledger, run, on="2026-02-10")
    publish_raw(ledger.amqp_uri, cancel)
    eventually(lambda: reversals(ledger) == 2)
    entries = ledger.get("entries", limit="1000")["items"]
    reversed_ = [e for e in entries if e["reverses"]]
    assert {e["date"] for e in reversed_} == {"2026-03-01"}
    assert {e["activity_code"] for e in reversed_} == {"ALPHA", "BETA"}
    assert all(e["label"].startswith("Annulation de la paie 2026-01") for e in reversed_)
    # the run's salaries are back to zero; the other run's salary is untouched
    kept_data = kept["data"]
    by_account = balances(ledger)
    assert by_account["421-ALPHA"] == by_account["421-BETA"] == 0
    assert by_account["421-GAMMA"] == -kept_data["net_paid_cents"]
    assert by_account["641"] == kept_data["gross_cents"]
    assert by_account["645"] == kept_data["employer_contributions_cents"]
    assert by_account["4421"] == -kept_data["withholding_tax_cents"]
    for code in ("ALPHA", "BETA"):
        assert ledger.budget(code)["salary_costs_cents"] == 0
    assert ledger.budget("GAMMA")["salary_costs_cents"] == (
        kept_data["gross_cents"] + kept_data["employer_contributions_cents"])
    before = count_rows(ledger.db, "entries")
    # delivered again (the same events), announced again (another event), and a payslip of
    # the run arriving late: nothing more is posted
    again = cancelled(ledger, run, on="2026-03-15")
    late = payslip(ledger, run, "ALPHA", 99_000)
    for event in (cancel, *slips, again, late, cancel, late):
        publish_raw(ledger.amqp_uri, event)
    handled(ledger, cancel, *slips, kept, again, late)
    assert count_rows(ledger.db, "entries") == before
    assert (salaries(ledger), reversals(ledger)) == (3, 2)
    assert count_rows(ledger.db, "payroll_runs", "WHERE cancelled_on IS NOT NULL") == 1
    assert count_rows(ledger.db, "payroll_runs",
                      "WHERE cancelled_on = '2026-02-10' AND cancelled_by = 'paie@oxalis'") == 1


def test_a_run_cancelled_before_its_payslips_arrive_posts_nothing(payroll):
    ledger = payroll
    run = str(uuid.uuid4())
    cancel = cancelled(ledger, run)
    publish_raw(ledger.amqp_uri, cancel)
    publish_raw(ledger.amqp_uri, cancel)  # delivered twice
    handled(ledger, cancel)
    slips = [payslip(ledger, run, "ALPHA", 250_000), payslip(ledger, run, "BETA", 180_000)]
    for event in (*slips, *slips):  # each delivered twice too
        publish_raw(ledger.amqp_uri, event)
    handled(ledger, cancel, *slips)
    assert count_rows(ledger.db, "entries") == 0
    by_account = balances(ledger)
    assert all(by_account.get(account, 0) == 0 for account in (*SALARY_ACCOUNTS, "421-ALPHA",
                                                                 "421-BETA"))
    for code in ("ALPHA", "BETA"):
        assert ledger.budget(code)["salary_costs_cents"] == 0
    # another run of the same month is posted as usual
    other = payslip(ledger, str(uuid.uuid4()), "ALPHA", 200_000)
    publish_raw(ledger.amqp_uri, other)
    eventually(lambda: salaries(ledger) == 1)
    assert count_rows(ledger.db, "payroll_runs") == 2


def test_a_cancellation_out_of_range_is_parked_and_changes_nothing(payroll):
    ledger = payroll
    run = str(uuid.uuid4())
    slip = payslip(ledger, run, "ALPHA", 250_000)
    publish_raw(ledger.amqp_uri, slip)
    eventually(lambda: salaries(ledger) == 1)
    publish_raw(ledger.amqp_uri, cancelled(ledger, run, on="9999-12-31"))
    eventually(lambda: message_count(ledger.amqp_uri,
                                     "ledger--cae.payroll.run_cancelled.v1--dead") == 1)
    assert (salaries(ledger), reversals(ledger)) == (1, 0)
    assert count_rows(ledger.db, "payroll_runs", "WHERE cancelled_on IS NOT NULL") == 0
