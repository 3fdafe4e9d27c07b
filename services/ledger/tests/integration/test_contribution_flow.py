"""The contribution end to end: schedules by HTTP and by the general assembly's event,
tiered bands, a change mid-year, an override, the monthly minimum, the invoicing basis.

Numbers: domain.md, "Money": 10 %, 8 % above 35 k EUR and 6 % above 45 k EUR of
yearly revenue; a monthly minimum of 150 EUR.
"""

from __future__ import annotations

import uuid

from cae_contracts import build_event
from caekit.testing import count_rows, eventually, publish_raw

TIERED = [{"from_cents": 0, "rate": "0.10"}, {"from_cents": 3_500_000, "rate": "0.08"},
          {"from_cents": 4_500_000, "rate": "0.06"}]


def schedule(ledger, effective_on, bands, minimum=0, activity=None, expect=201):
    return ledger.post("contribution-schedules", {"effective_on": effective_on, "bands": bands,
                                                  "monthly_minimum_cents": minimum,
                                                  "activity_code": activity}, expect=expect)


def charged(posted) -> int:
    return posted["contribution"]["total_cents"] if posted["contribution"] else 0


def test_tiered_bands_a_change_mid_year_and_an_override(ledger):
    ledger.open("ALPHA", "BETA")
    schedule(ledger, "2026-01-01", TIERED)
    # 30 k EUR HT at 10 %
    assert charged(ledger.payment("ALPHA", "2026-02-10", "P1", 3_600_000, vat=600_000)) == 300_000
    # 10 k EUR across the 35 k boundary inside one payment: 5 k at 10 % + 5 k at 8 % = 900 EUR
    assert charged(ledger.payment("ALPHA", "2026-04-10", "P2", 1_000_000, vat=0)) == 90_000
    # the assembly adopts 12 / 9 / 7 % from 1 July; bands pick up at the year's 40 k EUR
    publish_raw(ledger.amqp_uri, build_event("cae.governance.contribution_rate_adopted.v1", {
        "resolution_id": str(uuid.uuid4()), "cooperative_id": ledger.coop,
        "effective_on": "2026-07-01", "monthly_minimum_cents": 0, "activity_code": None,
        "bands": [{"from_cents": 0, "rate": "0.12"}, {"from_cents": 3_500_000, "rate": "0.09"},
                  {"from_cents": 4_500_000, "rate": "0.07"}]}, tenant_id=ledger.coop))
    eventually(lambda: count_rows(ledger.db, "contribution_schedules") == 2)
    # a June payment still uses the first schedule: 2 k EUR at 8 % (40 k -> 42 k)
    assert charged(ledger.payment("ALPHA", "2026-06-30", "P3", 200_000, vat=0)) == 16_000
    # 42 k -> 52 k under the new one: 3 k at 9 % + 7 k at 7 % = 270 + 490 EUR
    assert charged(ledger.payment("ALPHA", "2026-07-15", "P4", 1_000_000, vat=0)) == 76_000
    # BETA's own rate replaces the cooperative's; its year starts at 0
    schedule(ledger, "2026-01-01", [{"from_cents": 0, "rate": "0.05"}], activity="BETA")
    assert charged(ledger.payment("BETA", "2026-07-20", "P5", 1_000_000, vat=0)) == 50_000
    # one cent more than a half cent: rounded half-up once per payment (3 * 10 % = 0.3 -> 0)
    assert charged(ledger.payment("BETA", "2026-07-21", "P6", 3, vat=0)) == 0
    assert charged(ledger.payment("BETA", "2026-07-21", "P7", 10, vat=0)) == 1  # 0.5 -> 1
    budget = ledger.budget("ALPHA")
    assert budget["cash_received_cents"] == 3_000_000 + 1_000_000 + 200_000 + 1_000_000
    assert budget["contribution_cents"] == 300_000 + 90_000 + 16_000 + 76_000
    assert budget["available_cents"] == 5_200_000 - 482_000
    listed = ledger.get("contribution-schedules")["items"]
    assert [(s["activity_code"], s["effective_on"]) for s in listed] == [
        (None, "2026-01-01"), (None, "2026-07-01"), ("BETA", "2026-01-01")]
    # the same version date again is a conflict of versions, refused
    refused = schedule(ledger, "2026-07-01", TIERED, expect=422)
    assert refused["errors"]["rule"] == ["schedule.exists"]


def test_the_monthly_minimum_is_charged_when_the_month_closes(ledger):
    ledger.open("ALPHA", "BETA", "GAMMA")
    schedule(ledger, "2026-01-01", [{"from_cents": 0, "rate": "0.10"}], minimum=15_000)
    schedule(ledger, "2026-01-01", [{"from_cents": 0, "rate": "0.10"}], activity="GAMMA")
    ledger.payment("ALPHA", "2026-03-05", "P1", 50_000, vat=0)  # 50 EUR charged: 100 EUR short
    ledger.payment("BETA", "2026-03-06", "P2", 200_000, vat=0)  # 200 EUR: above the minimum
    closed = ledger.post("closed-periods", {"period": "2026-03"})
    tops = {e["activity_code"]: e["total_cents"] for e in closed["minimum_contributions"]}
    assert tops == {"ALPHA": 10_000}  # GAMMA's own schedule has no minimum
    assert ledger.budget("ALPHA")["contribution_cents"] == 15_000
    # the month is closed: nothing can be dated in it any more, and it is not closed twice
    late = ledger.payment("ALPHA", "2026-03-31", "P3", 1_000, vat=0, expect=422)
    assert late["errors"]["rule"] == ["period.closed"]
    assert ledger.post("closed-periods", {"period": "2026-03"}, expect=422)["errors"]["rule"] == [
        "period.already_closed"]
    assert ledger.post("closed-periods", {"period": "2099-01"}, expect=422)["errors"]["rule"] == [
        "period.not_over"]
    assert [p["period"] for p in ledger.get("closed-periods")["items"]] == ["2026-03"]


def test_a_cooperative_can_charge_on_invoicing(ledger):
    ledger.open("ALPHA")
    assert ledger.get("settings") == {"contribution_basis": "payment"}
    response = ledger.http.put(f"{ledger.url}/settings", json={"contribution_basis": "invoice"},
                               headers={**ledger.staff(), "Idempotency-Key": "basis-1"})
    assert response.json() == {"contribution_basis": "invoice"}
    invoice = ledger.invoice("ALPHA", "2026-05-02", "F1", 100_000, 20_000)
    assert charged(invoice) == 10_000
    assert charged(ledger.payment("ALPHA", "2026-05-20", "P1", 120_000, invoice_ref="F1")) == 0
    budget = ledger.budget("ALPHA")
    assert (budget["cash_received_cents"], budget["contribution_cents"]) == (100_000, 10_000)
