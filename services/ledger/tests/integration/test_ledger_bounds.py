"""Issue "bounds everywhere": every input that used to give a 500, a float or a date out of
the platform's range, over HTTP and by events, on the real database (PostgreSQL or SQLite)."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime

import pytest
from sqlalchemy import create_engine, text

from cae_contracts import build_event
from caekit.bounds import MAX_CENTS
from caekit.testing import count_rows, eventually, message_count, publish_raw
from services.ledger.tests.integration.test_ledger_http import state

HUGE = 10**30
INT64_MAX = 2**63 - 1

INVOICE = {"activity_code": "ALPHA", "date": "2026-02-01", "piece_ref": "F1", "label": "Facture",
           "net_cents": 1000, "vat_cents": 200}
PAYMENT = {"activity_code": "ALPHA", "date": "2026-02-01", "piece_ref": "P1", "label": "x",
           "amount_cents": 1200, "vat_cents": 200}
EXPENSE = {"activity_code": "ALPHA", "date": "2026-02-01", "piece_ref": "A1", "label": "Achat",
           "account": "606", "net_cents": 100, "vat_cents": 20}
SUPPLIER = {"activity_code": "ALPHA", "date": "2026-02-01", "piece_ref": "R1", "label": "Règlement",
            "amount_cents": 100}
ENTRY = {"journal": "OD", "date": "2026-02-01", "piece_ref": "OD1", "label": "Reclassement",
         "lines": [{"account": "512", "debit_cents": 100}, {"account": "706", "credit_cents": 100}]}
SCHEDULE = {"effective_on": "2026-01-01", "bands": [{"from_cents": 0, "rate": "0.10"}],
            "monthly_minimum_cents": 0}


def send(ledger, path, body):
    return ledger.http.post(f"{ledger.url}/{path}", data=json.dumps(body), headers={
        **ledger.staff(), "Idempotency-Key": uuid.uuid4().hex, "Content-Type": "application/json"})


def refused(response, status=422) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    return response.json()["errors"]


def with_line(side: str, cents: int) -> dict:
    return {**ENTRY, "lines": [{"account": "512", side: cents},
                               {"account": "706", ("credit_cents" if side == "debit_cents"
                                                   else "debit_cents"): cents}]}


@pytest.mark.parametrize("amount", [HUGE, INT64_MAX, MAX_CENTS + 1])
@pytest.mark.parametrize(("path", "body", "field"), [
    ("invoices", INVOICE, "net_cents"),
    ("invoices", INVOICE, "vat_cents"),
    ("payments", PAYMENT, "amount_cents"),
    ("payments", PAYMENT, "vat_cents"),
    ("expenses", EXPENSE, "net_cents"),
    ("expenses", EXPENSE, "vat_cents"),
    ("supplier-payments", SUPPLIER, "amount_cents"),
    ("contribution-schedules", SCHEDULE, "monthly_minimum_cents"),
])
def test_an_amount_above_max_cents_is_a_422_naming_it_and_writes_nothing(ledger, amount, path,
                                                                         body, field):
    # was: 10**30 a 500 (PostgreSQL bigint overflow, Decimal precision); 2**63-1 accepted
    ledger.open("ALPHA")
    before = state(ledger)
    errors = refused(send(ledger, path, {**body, field: amount}))
    assert field in errors, errors
    assert state(ledger) == before


@pytest.mark.parametrize("side", ["debit_cents", "credit_cents"])
def test_a_line_or_a_band_above_max_cents_is_a_422_naming_it(ledger, side):
    ledger.open("ALPHA")
    before = state(ledger)
    errors = refused(send(ledger, "entries", with_line(side, HUGE)))
    assert side in json.dumps(errors["lines"]), errors
    errors = refused(send(ledger, "contribution-schedules", {
        **SCHEDULE, "bands": [{"from_cents": 0, "rate": "0.1"},
                              {"from_cents": MAX_CENTS + 1, "rate": "0.05"}]}))
    assert "from_cents" in json.dumps(errors["bands"]), errors
    assert state(ledger) == before


def test_an_invoice_whose_total_exceeds_max_cents_is_refused_naming_its_parts(ledger):
    ledger.open("ALPHA")
    before = state(ledger)
    errors = refused(send(ledger, "invoices", {**INVOICE, "net_cents": MAX_CENTS,
                                               "vat_cents": 1}))
    assert errors["rule"] == ["amount.out_of_range"] and {"net_cents", "vat_cents"} <= set(errors)
    errors = refused(send(ledger, "expenses", {**EXPENSE, "net_cents": MAX_CENTS, "vat_cents": 1}))
    assert errors["rule"] == ["amount.out_of_range"] and {"net_cents", "vat_cents"} <= set(errors)
    assert state(ledger) == before


def test_balances_stay_exact_integers_at_the_largest_amounts(ledger):
    # was, on SQLite: an invoice of 2**63-1 cents then one of 100 both succeeded, the
    # balance became a float and 99 cents vanished
    ledger.open("ALPHA")
    refused(send(ledger, "invoices", {**INVOICE, "net_cents": INT64_MAX, "vat_cents": 0}))
    for i in range(3):
        ledger.invoice("ALPHA", "2026-02-01", f"BIG{i}", MAX_CENTS)
    ledger.invoice("ALPHA", "2026-02-01", "SMALL", 100, vat=1)
    ledger.payment("ALPHA", "2026-02-02", "PBIG", MAX_CENTS, vat=0)
    ledger.payment("ALPHA", "2026-02-02", "PSMALL", 101, vat=0)
    trial = ledger.get("trial-balance", **{"from": "2026-01", "to": "2026-12"})
    rows = {row["account"]: row for row in trial["items"]}
    customers = 3 * MAX_CENTS + 101 - MAX_CENTS - 101
    assert rows["411-ALPHA"]["balance_cents"] == customers
    assert rows["706"]["credit_cents"] == 3 * MAX_CENTS + 100
    assert rows["512"]["debit_cents"] == MAX_CENTS + 101
    assert trial["debit_cents"] == trial["credit_cents"]
    budget = ledger.budget("ALPHA")
    # 10 % of 10**12 + 101 cents, each payment rounded once half-up: 10**11 + 10
    assert budget == {"activity_code": "ALPHA", "cash_received_cents": MAX_CENTS + 101,
                      "contribution_cents": MAX_CENTS // 10 + 10, "expenses_cents": 0,
                      "salary_costs_cents": 0, "available_cents": MAX_CENTS + 101 - MAX_CENTS // 10 - 10}
    income = ledger.get("activities/ALPHA/income-statement", year="2026")
    assert income["revenue_cents"] == 3 * MAX_CENTS + 100
    statement = ledger.get("activities/ALPHA/treasury-statement", to="2026-12")
    assert {g["name"]: g["balance_cents"] for g in statement["groups"]}["cash"] == MAX_CENTS + 101
    for document in (trial, budget, income, statement):
        assert_integers(document)
    # and in the store itself, every balance is an integer (no REAL on SQLite)
    engine = create_engine(ledger.db)
    try:
        with engine.connect() as conn:
            for table, columns in (("account_balances", ("debit_cents", "credit_cents")),
                                   ("activity_balances", ("cash_received_cents",
                                                          "contribution_cents")),
                                   ("activity_years", ("revenue_cents",))):
                for row in conn.execute(text(f"SELECT {', '.join(columns)} FROM {table}")):
                    assert all(type(value) is int for value in row), (table, row)
    finally:
        engine.dispose()


def assert_integers(node) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("_cents"):
                assert type(value) is int, (key, value)
            assert_integers(value)
    elif isinstance(node, list):
        for value in node:
            assert_integers(value)


@pytest.mark.parametrize(("path", "params", "field"), [
    ("entries", {"limit": "0"}, "limit"),  # was a 500 (IndexError)
    ("entries", {"limit": "1001"}, "limit"),
    ("entries", {"limit": "ten"}, "limit"),
    ("entries", {"limit": "-1"}, "limit"),
    ("entries", {"after": "-1"}, "after"),
    ("entries", {"after": "9" * 30}, "after"),
    ("entries", {"activity": "not a code"}, "activity"),
    ("entries", {"surprise": "1"}, "surprise"),
    ("entries", {"limit": ["1", "2"]}, "limit"),
    ("fec", {"year": "0"}, "year"),  # was a 500
    ("fec", {"year": "10000"}, "year"),  # was a 500
    ("fec", {"year": "1899"}, "year"),
    ("fec", {"year": "2201"}, "year"),
    ("fec", {"separator": "comma"}, "separator"),
    ("trial-balance", {"from": "2026-13"}, "from"),
    ("trial-balance", {"to": "9999-12"}, "to"),
    ("trial-balance", {"from": "2026-06", "to": "2026-01"}, "to"),
    ("activities/ALPHA/income-statement", {"year": "99999"}, "year"),
    ("activities/ALPHA/income-statement", {"year": "0"}, "year"),
    ("activities/ALPHA/treasury-statement", {"to": "9999-12"}, "to"),
    ("activities/ALPHA/treasury-statement", {"to": "0000-01"}, "to"),
])
def test_query_parameters_out_of_range_are_a_422_naming_them(ledger, path, params, field):
    ledger.open("ALPHA")
    response = ledger.http.get(f"{ledger.url}/{path}", params=params, headers=ledger.staff())
    assert field in refused(response), response.text


def test_pages_of_entries_at_the_limits(ledger):
    ledger.open("ALPHA")
    for i in range(3):
        ledger.payment("ALPHA", "2026-02-01", f"P{i}", 1000, vat=0)
    one = ledger.get("entries", limit="1")
    assert len(one["items"]) == 1 and one["next_after"] is not None
    everything = ledger.get("entries", limit="1000")
    assert len(everything["items"]) == 6 and everything["next_after"] is None
    assert ledger.get("entries", after=str(INT64_MAX))["items"] == []


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "2201-01-01", "9999-12-31"])
def test_a_date_outside_the_platform_range_is_refused_naming_it(ledger, day):
    # was: entries dated 0001-01-01 and 9999-12-31 accepted
    ledger.open("ALPHA")
    posted = ledger.payment("ALPHA", "2026-02-01", "P0", 1000, vat=0)
    before = state(ledger)
    for path, body, field in (("invoices", INVOICE, "date"), ("payments", PAYMENT, "date"),
                              ("expenses", EXPENSE, "date"), ("supplier-payments", SUPPLIER, "date"),
                              ("entries", ENTRY, "date"),
                              ("contribution-schedules", SCHEDULE, "effective_on"),
                              (f"entries/{posted['entry']['id']}/reversal", {"date": day}, "date")):
        errors = refused(send(ledger, path, {**body, field: day}))
        assert field in errors, (path, errors)
    assert state(ledger) == before


def test_events_out_of_range_post_nothing_and_are_parked(ledger):
    ledger.open("ALPHA")
    coop = ledger.coop
    publish_raw(ledger.amqp_uri, build_event("cae.bank.payment_received.v1", {
        "payment_id": str(uuid.uuid4()), "cooperative_id": coop, "activity_code": "ALPHA",
        "received_on": "0001-01-01", "amount_cents": 1000, "vat_cents": 0,
        "bank_reference": "VIR-OLD"}, tenant_id=coop))
    publish_raw(ledger.amqp_uri, build_event("cae.bank.payment_received.v1", {
        "payment_id": str(uuid.uuid4()), "cooperative_id": coop, "activity_code": "ALPHA",
        "received_on": "2026-02-01", "amount_cents": HUGE, "vat_cents": 0,
        "bank_reference": "VIR-HUGE"}, tenant_id=coop))
    publish_raw(ledger.amqp_uri, build_event("cae.members.activity_opened.v1", {
        "activity_id": str(uuid.uuid4()), "cooperative_id": coop, "code": "FAR",
        "name": "Far", "opened_on": "9999-12-31", "member_ids": [str(uuid.uuid4())]},
        tenant_id=coop))
    publish_raw(ledger.amqp_uri, build_event("cae.governance.contribution_rate_adopted.v1", {
        "resolution_id": str(uuid.uuid4()), "cooperative_id": coop, "effective_on": "2026-01-01",
        "monthly_minimum_cents": HUGE, "activity_code": None,
        "bands": [{"from_cents": 0, "rate": "0.10"}]}, tenant_id=coop))
    slip = {"payslip_id": str(uuid.uuid4()), "run_id": str(uuid.uuid4()), "cooperative_id": coop,
            "member_id": ledger.members["ALPHA"], "activity_code": "ALPHA", "period": "2026-01",
            "paid_on": "9999-12-31", "gross_cents": 250_000, "employee_contributions_cents": 50_000,
            "employer_contributions_cents": 60_000, "withholding_tax_cents": 0,
            "net_paid_cents": 200_000, "urssaf_cents": 80_000, "other_bodies_cents": 30_000}
    publish_raw(ledger.amqp_uri, build_event("cae.payroll.payslip_issued.v1", slip, tenant_id=coop))
    for queue, parked in (("cae.bank.payment_received.v1", 2), ("cae.members.activity_opened.v1", 1),
                          ("cae.governance.contribution_rate_adopted.v1", 1),
                          ("cae.payroll.payslip_issued.v1", 1)):
        eventually(lambda q=queue, n=parked: message_count(
            ledger.amqp_uri, f"ledger--{q}--dead") == n, timeout=30)
    assert count_rows(ledger.db, "entries") == 0
    assert count_rows(ledger.db, "activities") == 1
    assert count_rows(ledger.db, "contribution_schedules") == 0


def test_closing_a_month_out_of_range_or_out_of_order_is_refused(ledger):
    ledger.open("ALPHA")
    before = state(ledger)
    for period in ("9999-12", "0000-01", "2201-01", "2026-13", "2026-1"):  # 9999-12 was a 500
        assert "period" in refused(send(ledger, "closed-periods", {"period": period}))
    assert state(ledger) == before
    # a month not over yet cannot be closed (it can from the first day of the next one)
    this_month = date.today().strftime("%Y-%m")
    assert refused(send(ledger, "closed-periods", {"period": this_month}))["rule"] == [
        "period.not_over"]
    # months are closed in order from the first month with entries
    ledger.payment("ALPHA", "2025-11-20", "P1", 1000, vat=0)
    ledger.payment("ALPHA", "2026-01-10", "P2", 1000, vat=0)
    errors = refused(send(ledger, "closed-periods", {"period": "2026-01"}))
    assert errors["rule"] == ["period.earlier_open"] and "2025-11" in errors["period"][0]
    ledger.post("closed-periods", {"period": "2025-11"})
    # December has no entry, but lies between: closed before January (its minimums charged)
    errors = refused(send(ledger, "closed-periods", {"period": "2026-01"}))
    assert errors["rule"] == ["period.earlier_open"] and "2025-12" in errors["period"][0]
    ledger.post("closed-periods", {"period": "2025-12"})
    ledger.post("closed-periods", {"period": "2026-01"})
    # the books are closed up to January: nothing is dated in it or before it any more
    for day in ("2026-01-31", "2025-10-01"):
        late = ledger.payment("ALPHA", day, f"L{day}", 1000, vat=0, expect=422)
        assert late["errors"]["rule"] == ["period.closed"]
    assert refused(send(ledger, "closed-periods", {"period": "2025-10"}))["rule"] == [
        "period.already_closed"]
    assert [p["period"] for p in ledger.get("closed-periods")["items"]] == [
        "2025-11", "2025-12", "2026-01"]


def test_requests_and_responses_name_the_date_alike_and_times_carry_utc(ledger):
    ledger.open("ALPHA")
    posted = send(ledger, "entries", {**ENTRY, "date": "2026-02-03"}).json()["entry"]
    assert posted["date"] == "2026-02-03" and "entry_date" not in posted
    listed = ledger.get("entries")["items"][0]
    assert listed["date"] == "2026-02-03" and "entry_date" not in listed
    reversal = ledger.post(f"entries/{posted['id']}/reversal", {"date": "2026-02-04"})["entry"]
    assert reversal["date"] == "2026-02-04"
    closed = ledger.post("closed-periods", {"period": "2026-02"})
    times = [posted["posted_at"], listed["posted_at"], reversal["posted_at"], closed["closed_at"],
             ledger.get("closed-periods")["items"][0]["closed_at"],
             ledger.get(f"entries/{posted['id']}")["posted_at"],
             ledger.get("activities/ALPHA")["opened_at"],
             ledger.get("activities")["items"][0]["opened_at"]]
    for value in times:
        assert value.endswith("+00:00"), value
        assert datetime.fromisoformat(value).utcoffset().total_seconds() == 0


@pytest.mark.parametrize(("path", "body", "field"), [
    ("invoices", {**INVOICE, "label": "a\u0000b"}, "label"),
    ("payments", {**PAYMENT, "piece_ref": "P\u00001"}, "piece_ref"),
    ("payments", {**PAYMENT, "invoice_ref": "F\u0000"}, "invoice_ref"),
    ("entries", {**ENTRY, "lines": [{"account": "512\u0000", "debit_cents": 1},
                                    {"account": "706", "credit_cents": 1}]}, "lines"),
    ("contribution-schedules", {**SCHEDULE, "bands": [{"from_cents": 0, "rate": "0.00001"}]},
     "bands"),
    ("contribution-schedules", {**SCHEDULE, "bands": [{"from_cents": 0, "rate": "1E-999999999"}]},
     "bands"),
    ("contribution-schedules", {**SCHEDULE, "bands": [{"from_cents": 5, "rate": "0.1"}]}, "bands"),
])
def test_text_the_database_cannot_store_and_odd_rates_are_refused_naming_the_field(
        ledger, path, body, field):
    # a NUL was a DataError on PostgreSQL (a problem naming no field) and stored on SQLite
    ledger.open("ALPHA")
    before = state(ledger)
    assert field in refused(send(ledger, path, body))
    assert state(ledger) == before


def test_unknown_activity_codes_in_paths_are_404_on_both_databases(ledger):
    ledger.open("ALPHA")
    for code in ("A%00B", "x" * 300, "not%20a%20code"):
        response = ledger.http.get(f"{ledger.url}/activities/{code}/balance",
                                   headers=ledger.staff())
        assert response.status_code == 404, response.text
