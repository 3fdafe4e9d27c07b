"""Business operations as postings, over HTTP, against a real broker and database."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from cae_contracts import build_event, parse_event
from cae_ledger.usecases import books
from caekit.testing import (
    backend,
    count_rows,
    eventually,
    message_count,
    publish_raw,
    query_rows,
)


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


def subscribe(amqp_uri: str) -> str:
    """A subscriber's queue bound to every ledger event."""
    from kombu import Connection

    queue = f"subscriber-{uuid.uuid4().hex[:6]}"
    with Connection(amqp_uri, connect_timeout=5) as conn:
        conn.connect()
        channel = conn.connection.channel()
        channel.exchange_declare("ledger.events", "topic", durable=True, auto_delete=False)
        channel.queue_declare(queue, durable=True, auto_delete=False)
        channel.queue_bind(queue, "ledger.events", "cae.ledger.#")
    return queue


def received(amqp_uri: str, queue: str) -> list:
    """Every event in the subscriber's queue, validated by its contract."""
    from kombu import Connection

    events = []
    with Connection(amqp_uri, connect_timeout=5) as conn:
        conn.connect()
        channel = conn.connection.channel()
        while (message := channel.basic_get(queue, no_ack=True)) is not None:
            events.append(parse_event(json.loads(message.body)))
    return events


def test_subscribers_get_entries_contributions_and_the_new_budget(ledger):
    queue = subscribe(ledger.amqp_uri)
    ledger.open("ALPHA")
    posted = ledger.payment("ALPHA", "2026-02-01", "VIR-1", 12_000, vat=2_000)
    eventually(lambda: message_count(ledger.amqp_uri, queue) >= 5)
    events = received(ledger.amqp_uri, queue)
    by_type = {}
    for event in events:
        by_type.setdefault(event.type.split(".")[2], []).append(event)
    assert [e.data["entry_id"] for e in by_type["entry_posted"]] == [
        uuid.UUID(posted["entry"]["id"]), uuid.UUID(posted["contribution"]["id"])]
    (charged,) = by_type["contribution_charged"]
    assert (charged.data["base_cents"], charged.data["amount_cents"]) == (10_000, 1_000)
    (budget,) = by_type["activity_balance_changed"]  # one per activity and transaction
    assert budget.subject == "ALPHA" and budget.tenant_id == ledger.coop
    assert (budget.data["available_cents"], budget.data["cash_received_cents"],
            budget.data["contribution_cents"]) == (9_000, 10_000, 1_000)


def test_a_payslip_event_posts_the_salary_and_a_wrong_one_is_parked(ledger):
    ledger.open("ALPHA")
    slip = {"payslip_id": str(uuid.uuid4()), "run_id": str(uuid.uuid4()),
            "cooperative_id": ledger.coop, "member_id": ledger.members["ALPHA"],
            "activity_code": "ALPHA", "period": "2026-01", "paid_on": "2026-01-31",
            "gross_cents": 250_000, "employee_contributions_cents": 52_101,
            "employer_contributions_cents": 63_540, "withholding_tax_cents": 4_000,
            "net_paid_cents": 193_899, "urssaf_cents": 80_000, "other_bodies_cents": 35_641}
    event = build_event("cae.payroll.payslip_issued.v1", slip, tenant_id=ledger.coop)
    publish_raw(ledger.amqp_uri, event)
    publish_raw(ledger.amqp_uri, event)  # delivered twice: posted once
    eventually(lambda: count_rows(ledger.db, "entries", "WHERE kind = 'salary'") == 1)
    entry = ledger.get("entries", activity="ALPHA")["items"][0]
    assert [(x["account"], x["debit_cents"], x["credit_cents"]) for x in entry["lines"]] == [
        ("641", 250_000, 0), ("645", 63_540, 0), ("421-ALPHA", 0, 193_899), ("431", 0, 80_000),
        ("437", 0, 35_641), ("4421", 0, 4_000)]
    assert ledger.budget("ALPHA")["salary_costs_cents"] == 313_540
    # a payslip whose amounts do not add up is refused by its contract: parked, not posted
    wrong = build_event("cae.payroll.payslip_issued.v1", {**slip, "payslip_id": str(uuid.uuid4())},
                        tenant_id=ledger.coop)
    wrong["data"]["net_paid_cents"] += 1
    publish_raw(ledger.amqp_uri, wrong)
    dead = "ledger--cae.payroll.payslip_issued.v1--dead"
    eventually(lambda: message_count(ledger.amqp_uri, dead) == 1)
    assert count_rows(ledger.db, "entries", "WHERE kind = 'salary'") == 1


@pytest.mark.skipif(backend() != "postgresql",
                    reason="SQLite has one writer at a time: no writer commits between another's "
                           "clock reading and its write")
def test_a_budget_version_is_later_than_the_last_even_when_its_clock_was_read_earlier(
        ledger, monkeypatch):
    """Two postings on one activity: the second read the clock before the first committed
    (it waited for the row's lock meanwhile). Payroll keeps the budget with the latest as_of:
    the second version must carry a later one, or payroll would keep the first for good."""
    ledger.open("TRAD")
    ledger.payment("TRAD", "2026-03-02", "VIR-1", 12000, vat=2000)

    class EarlierClock(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2026, 1, 1, tzinfo=UTC)

    monkeypatch.setattr(books, "datetime", EarlierClock)
    ledger.payment("TRAD", "2026-03-03", "VIR-2", 6000, vat=1000)
    monkeypatch.undo()
    versions = []
    for (body,) in query_rows(ledger.db, "SELECT body FROM outbox WHERE event_type = "
                                   "'cae.ledger.activity_balance_changed.v1' ORDER BY seq"):
        events = json.loads(body)
        versions += [(e["data"]["as_of"], e["data"]["available_cents"])
                     for e in (events if isinstance(events, list) else [events])]
    assert [available for _, available in versions] == [9000, 13500]
    first, second = (datetime.fromisoformat(as_of) for as_of, _ in versions)
    assert second > first
    assert ledger.budget("TRAD")["available_cents"] == 13500
