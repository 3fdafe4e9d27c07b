"""The ledger's HTTP contract: idempotent writes, bad input, access, immutability."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy
from sqlalchemy import create_engine, text

from caekit.testing import bearer, count_rows

TABLES = ("entries", "entry_lines", "account_balances", "activity_balances", "activity_years",
          "outbox", "closed_periods", "contribution_schedules")


def state(ledger) -> dict:
    """Every row the ledger wrote, to compare before and after."""
    engine = create_engine(ledger.db)
    try:
        with engine.connect() as conn:
            return {table: sorted(map(str, conn.execute(text(
                f"SELECT * FROM {table}" + (" ORDER BY 1" if table != "outbox" else "")))))
                for table in TABLES if table != "outbox"} | {
                "outbox": conn.execute(text("SELECT count(*) FROM outbox")).scalar()}
    finally:
        engine.dispose()


def operations(n: int):
    """n different writes (path, body) over two activities."""
    for i in range(n):
        code = ("ALPHA", "BETA")[i % 2]
        day = f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}"
        if i % 4 == 0:
            yield "invoices", {"activity_code": code, "date": day, "piece_ref": f"F{i}",
                               "label": "Facture", "net_cents": 1000 + i, "vat_cents": 200}
        elif i % 4 == 1:
            yield "payments", {"activity_code": code, "date": day, "piece_ref": f"P{i}",
                               "label": "Encaissement", "amount_cents": 1200 + i, "vat_cents": 200}
        elif i % 4 == 2:
            yield "expenses", {"activity_code": code, "date": day, "piece_ref": f"A{i}",
                               "label": "Achat", "account": "606", "net_cents": 100 + i}
        else:
            yield "supplier-payments", {"activity_code": code, "date": day, "piece_ref": f"R{i}",
                                        "label": "Règlement", "amount_cents": 50 + i}


def test_a_thousand_writes_replayed_with_their_keys_change_nothing(ledger):
    ledger.open("ALPHA", "BETA")
    writes = [(f"idem-{i}", path, body) for i, (path, body) in enumerate(operations(1000))]
    headers = ledger.staff()

    def send(write):
        key, path, body = write
        return ledger.http.post(f"{ledger.url}/{path}", json=body,
                                headers={**headers, "Idempotency-Key": key})

    with ThreadPoolExecutor(8) as pool:
        first = list(pool.map(send, writes))
    assert {r.status_code for r in first} == {201}
    assert not any(r.headers.get("Idempotent-Replayed") for r in first)
    before = state(ledger)
    assert len(before["entries"]) == 1000 + 250  # each payment also charged its contribution
    with ThreadPoolExecutor(8) as pool:
        again = list(pool.map(send, writes))
    assert all(r.status_code == 201 and r.headers["Idempotent-Replayed"] == "true" for r in again)
    assert [r.json() for r in again] == [r.json() for r in first]
    assert state(ledger) == before
    # a key reused for another body is refused, and writes nothing
    key, path, body = writes[1]
    reused = ledger.http.post(f"{ledger.url}/{path}", json={**body, "amount_cents": 999_999},
                              headers={**headers, "Idempotency-Key": key})
    assert reused.status_code == 409
    assert "Idempotency-Key" in reused.json()["detail"]
    assert state(ledger) == before


PAYMENT = {"activity_code": "ALPHA", "date": "2026-02-01", "piece_ref": "P1", "label": "x",
           "amount_cents": 1200, "vat_cents": 200}


@pytest.mark.parametrize(("body", "status", "names"), [
    ("{not json", 400, "JSON"),
    ({**PAYMENT, "amount_cents": 12.5}, 422, "amount_cents"),
    ({**PAYMENT, "amount_cents": "1200"}, 422, "amount_cents"),
    ({**PAYMENT, "amount_cents": 0}, 422, "amount_cents"),
    ({**PAYMENT, "date": "2026-02-30"}, 422, "date"),
    ({k: v for k, v in PAYMENT.items() if k != "piece_ref"}, 422, "piece_ref"),
    ({**PAYMENT, "surprise": 1}, 422, "surprise"),
    ({**PAYMENT, "activity_code": "NOPE"}, 422, "activity.unknown"),
    ({**PAYMENT, "vat_cents": 1200}, 422, "payment.vat"),
    ({**PAYMENT, "activity_code": "x" * 10_000_000}, 413, "limit"),
])
def test_bad_input_is_a_clear_4xx_and_writes_nothing(ledger, body, status, names):
    ledger.open("ALPHA")
    before = state(ledger)
    data = body if isinstance(body, str) else json.dumps(body)
    response = ledger.http.post(f"{ledger.url}/payments", data=data, headers={
        **ledger.staff(), "Idempotency-Key": uuid.uuid4().hex, "Content-Type": "application/json"})
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert names in response.text
    assert state(ledger) == before


@pytest.mark.parametrize(("lines", "rule"), [
    ([("512", 100, 0), ("706", 0, 99)], "entry.unbalanced"),
    ([("512", 100, 100), ("706", 0, 0)], "entry.unbalanced"),
    ([("512", 100, 0), ("999", 0, 100)], "entry.unknown_account"),
    ([("512", 100, 0), ("411-OTHER", 0, 100)], "entry.unknown_account"),
])
def test_a_manual_entry_is_balanced_on_known_accounts(ledger, lines, rule):
    ledger.open("ALPHA")
    before = state(ledger)
    refused = ledger.post("entries", {
        "journal": "OD", "date": "2026-02-01", "piece_ref": "OD1", "label": "Reclassement",
        "lines": [{"account": a, "debit_cents": d, "credit_cents": c} for a, d, c in lines]},
        expect=422)
    assert refused["errors"]["rule"] == [rule]
    assert state(ledger) == before
    posted = ledger.post("entries", {
        "journal": "OD", "date": "2026-02-01", "piece_ref": "OD1", "label": "Reclassement",
        "lines": [{"account": "512", "debit_cents": 100, "activity_code": "ALPHA"},
                  {"account": "706", "credit_cents": 100}]})
    assert posted["entry"]["total_cents"] == 100 and posted["contribution"] is None


def test_writes_need_an_idempotency_key(ledger):
    ledger.open("ALPHA")
    response = ledger.http.post(f"{ledger.url}/payments", json=PAYMENT, headers=ledger.staff())
    assert response.status_code == 428
    assert count_rows(ledger.db, "entries") == 0


def test_who_reads_and_writes_what(ledger):
    ledger.open("ALPHA", "BETA")
    ledger.payment("ALPHA", "2026-02-01", "P1", 1200, vat=200)
    ledger.payment("BETA", "2026-02-01", "P2", 1200, vat=200)
    alpha = ledger.owner("ALPHA")
    assert ledger.get("activities/ALPHA/balance", headers=alpha)["available_cents"] == 900
    assert ledger.get("activities/ALPHA/treasury-statement", headers=alpha, to="2026-12")
    assert ledger.get("activities/ALPHA/income-statement", headers=alpha, year="2026")
    own = ledger.get("entries", headers=alpha, activity="ALPHA")["items"]
    assert {e["activity_code"] for e in own} == {"ALPHA"}
    ledger.get(f"entries/{own[0]['id']}", headers=alpha)
    for path, params in (("activities/BETA/balance", {}), ("entries", {"activity": "BETA"}),
                         ("entries", {}), ("trial-balance", {}), ("fec", {"year": "2026"}),
                         ("activities/BETA/income-statement", {})):
        ledger.get(path, headers=alpha, expect=403, **params)
    beta_entry = ledger.get("entries", activity="BETA")["items"][0]["id"]
    ledger.get(f"entries/{beta_entry}", headers=alpha, expect=403)
    ledger.post("payments", PAYMENT, headers=alpha, expect=403)  # entrepreneurs do not post
    # another cooperative's staff sees nothing of this one, and cannot write to it
    stranger = bearer(ledger.token("mallory", "staff", str(uuid.uuid4())))
    ledger.get("activities/ALPHA/balance", headers=stranger, expect=403)
    ledger.post("payments", PAYMENT, headers=stranger, expect=403)
    # ids of another cooperative are unknown here
    ledger.get(f"entries/{uuid.uuid4()}", expect=404)
    ledger.get("entries/not-a-uuid", expect=404)
    ledger.get("activities/NOPE/balance", expect=404)
    ledger.get("trial-balance", expect=422, **{"from": "2026-13"})
    ledger.get("entries", expect=422, limit="-1")


def test_entries_cannot_be_changed_even_by_sql(ledger):
    ledger.open("ALPHA")
    ledger.payment("ALPHA", "2026-02-01", "P1", 1200, vat=200)
    engine = create_engine(ledger.db)
    try:
        for statement in ("UPDATE entries SET label = 'changed'", "DELETE FROM entry_lines",
                          "UPDATE entry_lines SET debit_cents = debit_cents + 1",
                          "DELETE FROM entries"):
            with pytest.raises(sqlalchemy.exc.DatabaseError, match="immutable"), \
                    engine.begin() as conn:
                conn.execute(text(statement))
    finally:
        engine.dispose()
    assert count_rows(ledger.db, "entries") == 2
