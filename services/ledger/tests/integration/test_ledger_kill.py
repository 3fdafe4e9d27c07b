"""kill -9 of the ledger while it consumes 10,000 payment events (real broker, real database).

After a restart: exactly 10,000 payments, their contributions once each, every
trial balance zero, and the maintained balances equal to their recomputation.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
import uuid

import amqp as pyamqp
from kombu import Connection
from sqlalchemy import text

from cae_contracts import build_event
from caekit.db import make_engine, make_session_factory
from caekit.testing import (
    count_rows,
    eventually,
    free_port,
    is_ready,
    message_count,
    spawn_service,
)
from services.ledger.tests.integration.test_ledger_properties import check_invariants

PAYMENTS = 10_000
ACTIVITIES = [f"ACT{i:02d}" for i in range(20)]


def publish_all(amqp_uri, bodies) -> None:
    """Publish many events on one channel (the broker handles them before closing it)."""
    with Connection(amqp_uri, connect_timeout=5) as conn:
        conn.connect()
        channel = conn.connection.channel()
        for body in bodies:
            channel.basic_publish(pyamqp.Message(
                json.dumps(body), content_type="application/cloudevents+json", delivery_mode=2,
                message_id=body["id"], type=body["type"]),
                f"{body['type'].split('.')[1]}.events", body["type"])
        channel.close()


def queue_exists(amqp_uri, queue) -> bool:
    try:
        message_count(amqp_uri, queue)
        return True
    except Exception:  # noqa: BLE001 - amqp NotFound: not declared yet
        return False


def test_kill_9_while_consuming_10000_payments(amqp_uri, database_url):
    url = database_url("ledger")
    coop = str(uuid.uuid4())
    port = free_port()
    ledger = spawn_service("ledger", amqp_uri, url, port, CAE_RELAY_POLL_SECONDS="0.2")
    try:
        eventually(lambda: is_ready(port), timeout=60)
        # ready is the HTTP side: the handlers declare their queues on their own threads, and
        # an event published before its queue is bound is dropped by the broker (the parking
        # queue is declared last, after the binding)
        for queue in ("ledger--cae.members.activity_opened.v1--dead",
                      "ledger--cae.bank.payment_received.v1--dead"):
            eventually(lambda q=queue: queue_exists(amqp_uri, q), timeout=60)
        publish_all(amqp_uri, [build_event("cae.members.activity_opened.v1", {
            "activity_id": str(uuid.uuid4()), "cooperative_id": coop, "code": code, "name": code,
            "opened_on": "2025-01-01", "member_ids": [str(uuid.uuid4())]}, tenant_id=coop)
            for code in ACTIVITIES])
        eventually(lambda: count_rows(url, "activities") == len(ACTIVITIES), timeout=60)
        rng = random.Random(7)
        amounts = [rng.randint(100, 500_000) for _ in range(PAYMENTS)]
        publish_all(amqp_uri, [build_event("cae.bank.payment_received.v1", {
            "payment_id": str(uuid.uuid4()), "cooperative_id": coop,
            "activity_code": ACTIVITIES[i % len(ACTIVITIES)],
            "received_on": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}", "amount_cents": amount,
            "vat_cents": amount // 6, "invoice_ref": None, "bank_reference": f"VIR-{i}",
            "label": None}, tenant_id=coop) for i, amount in enumerate(amounts)])
        eventually(lambda: count_rows(url, "entries", "WHERE kind = 'payment'") >= PAYMENTS // 4,
                   timeout=120, interval=0.01)
        ledger.send_signal(signal.SIGKILL)  # mid-stream: batches in flight are lost
        ledger.wait(timeout=30)
        killed_at = count_rows(url, "entries", "WHERE kind = 'payment'")
        assert killed_at < PAYMENTS, "the kill came too late to prove anything"
        ledger = spawn_service("ledger", amqp_uri, url, port, CAE_RELAY_POLL_SECONDS="0.2")
        eventually(lambda: count_rows(url, "entries", "WHERE kind = 'payment'") == PAYMENTS,
                   timeout=300, interval=0.5)
        time.sleep(2)  # anything redelivered late would show up now
    finally:
        ledger.send_signal(signal.SIGTERM)
        try:
            ledger.wait(timeout=30)
        except subprocess.TimeoutExpired:
            ledger.kill()
    assert count_rows(url, "entries", "WHERE kind = 'payment'") == PAYMENTS
    assert count_rows(url, "entries", "WHERE kind = 'contribution'") == PAYMENTS
    assert count_rows(url, "inbox", "WHERE event_type = 'cae.bank.payment_received.v1'") == PAYMENTS
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            check_invariants(session, coop)  # trial balances zero, balances = recomputation
            revenue = session.execute(text(
                "SELECT SUM(revenue_cents) FROM activity_years")).scalar()
            assert revenue == sum(a - a // 6 for a in amounts)
            distinct = session.execute(text(
                "SELECT COUNT(DISTINCT piece_ref) FROM entries WHERE kind = 'payment'")).scalar()
            assert distinct == PAYMENTS
    finally:
        engine.dispose()
    print(f"killed with {killed_at} of {PAYMENTS} payments posted")
