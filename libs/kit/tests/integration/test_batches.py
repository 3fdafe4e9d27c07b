"""Events published in batches (CloudEvents JSON batch, one AMQP message for many events),
against a real RabbitMQ and a real database: the outbox writes a transaction's events of
a batched contract a row per batch, the relay publishes each row as one message, and a
consumer handles, claims, retries and parks each event of a batch alone."""

from __future__ import annotations

import json
import uuid

import orjson
from sqlalchemy import text

from cae_contracts import BATCH_CONTENT_TYPE, CONTENT_TYPE, parse_event
from caekit import context, dlq, outbox, topology
from caekit.db import make_engine, make_session_factory
from caekit.relay import Relay
from caekit.testing import (
    backend,
    count_rows,
    eventually,
    message_count,
    metric,
    publish_raw,
)
from libs.kit.tests.integration.probe import ProbeService, Switches
from libs.kit.tests.integration.test_reliability import (
    PROBE_QUEUE,
    consumed,
    effects,
    member_joined,
)

PAYSLIP_ISSUED = "cae.payroll.payslip_issued.v1"  # published in batches of 100


def _payslip_issued(cooperative: str, i: int) -> dict:
    return {"payslip_id": str(uuid.uuid4()), "run_id": str(uuid.uuid4()),
            "cooperative_id": cooperative, "member_id": str(uuid.uuid4()),
            "activity_code": f"A{i:03d}", "period": "2026-03", "paid_on": "2026-03-31",
            "gross_cents": 250_000 + i, "employee_contributions_cents": 54_000,
            "employer_contributions_cents": 30_000, "withholding_tax_cents": 9_000,
            "net_paid_cents": 187_000 + i, "urssaf_cents": 60_000, "other_bodies_cents": 24_000}


def connection_value(engine, sql: str):
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


def test_a_batched_contract_goes_100_events_of_one_cooperative_a_message_in_order(
        database_url, amqp_uri):
    url = database_url("payroll")
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    cooperative, other = str(uuid.uuid4()), str(uuid.uuid4())
    tokens = context.bind(tenant=cooperative, who=context.Caller("test", cooperative,
                                                                 frozenset({"service"})),
                          correlation=None)
    try:
        with sessions() as session:
            published = [outbox.publish(session, PAYSLIP_ISSUED, _payslip_issued(cooperative, i))
                         for i in range(250)]
            theirs = [outbox.publish(session, PAYSLIP_ISSUED, _payslip_issued(other, i),
                                     tenant_id=other) for i in range(3)]
            runs = [outbox.publish(session, "cae.payroll.run_completed.v1", {
                "run_id": str(uuid.uuid4()), "cooperative_id": cooperative,
                "period": "2026-03", "payslips": 250}) for _ in range(2)]
            session.commit()
    finally:
        context.unbind(tokens)

    from kombu import Connection

    with Connection(amqp_uri) as conn:
        conn.connect()
        channel = conn.connection.channel()
        channel.exchange_declare("payroll.events", "topic", durable=True, auto_delete=False)
        channel.queue_declare("sink", durable=True, auto_delete=False)
        channel.queue_bind("sink", "payroll.events", "cae.payroll.#")
        relay = Relay("payroll", sessions, amqp_uri, batch=500)
        assert count_rows(url, "outbox") == 6  # a row a message
        counted = metric("cae_events_published_total", service="payroll", type=PAYSLIP_ISSUED)
        assert relay.relay_once() == 6
        assert metric("cae_events_published_total", service="payroll",
                      type=PAYSLIP_ISSUED) - counted == 253, "events counted, not messages"
        relay.close()
        assert count_rows(url, "outbox", "WHERE sent_at IS NULL") == 0
        messages = []
        while (message := channel.basic_get("sink", no_ack=True)) is not None:
            messages.append(message)
        if backend() == "postgresql":  # ~100 KB a batch: compressed with lz4, not pglz
            assert connection_value(engine, "SELECT attcompression FROM pg_attribute WHERE "
                                    "attrelid = 'outbox'::regclass AND attname = 'body'") == "l"
    engine.dispose()

    batches = [m for m in messages if m.properties["content_type"] == BATCH_CONTENT_TYPE]
    singles = [m for m in messages if m.properties["content_type"] == CONTENT_TYPE]
    assert len(messages) == 6
    assert [len(orjson.loads(m.body)) for m in batches] == [100, 100, 50, 3]
    assert all(m.properties["type"] == PAYSLIP_ISSUED for m in batches)
    # each element is the event as published, valid on its own
    received = [parse_event(element) for m in batches for element in orjson.loads(m.body)]
    assert [e.id for e in received] == [body["id"] for body in published + theirs]
    assert {e.tenant_id for e in received[250:]} == {other}
    assert [orjson.loads(m.body)["id"] for m in singles] == [body["id"] for body in runs]


def test_each_event_of_a_batch_is_handled_once_and_a_failing_one_alone_is_retried(
        start_service, amqp_uri):
    probe = start_service(ProbeService, retry_delays=(1,), handler_max_wait_ms=200)
    cooperative = str(uuid.uuid4())
    events = [member_joined(cooperative, first_name=f"P{i}") for i in range(30)]
    publish_raw(amqp_uri, events[0])  # one of them arrives on its own first
    eventually(lambda: effects(probe) == 1)
    # the batch fails, then replayed one event at a time, its first event fails again:
    # that one alone goes to the delay queue, the others are handled meanwhile
    retried = consumed("failed")
    Switches.failures_left = 2
    publish_raw(amqp_uri, events + [events[5]])  # and a duplicate within the batch
    eventually(lambda: effects(probe) == 30, timeout=20)
    assert consumed("failed") - retried == 1, "only the failing event is retried"
    assert count_rows(probe.settings.database_url, "inbox") == 30
    assert message_count(amqp_uri, topology.dead_letter_queue(PROBE_QUEUE)) == 0


def test_a_poison_event_in_a_batch_is_parked_alone_and_replays_as_a_single_event(
        start_service, amqp_uri):
    probe = start_service(ProbeService)
    cooperative = str(uuid.uuid4())
    good = [member_joined(cooperative, first_name=f"P{i}") for i in range(3)]
    bad = member_joined(cooperative)
    bad["data"]["joined_on"] = "not a date"
    publish_raw(amqp_uri, [good[0], bad, good[1], "not an event", good[2]])
    dead = topology.dead_letter_queue(PROBE_QUEUE)
    eventually(lambda: message_count(amqp_uri, dead) == 2)
    assert effects(probe) == 3
    parked = {p.event_id: p for p in dlq.list_parked(amqp_uri, PROBE_QUEUE)}
    assert bad["id"] in parked and "joined_on" in parked[bad["id"]].error
    assert json.loads(parked[bad["id"]].body) == bad, "parked alone, as it was published"

    # a whole message that is not a batch at all is parked as it came
    publish_raw(amqp_uri, b"[not json", routing_key="cae.members.member_joined.v1",
                exchange="members.events")
    eventually(lambda: message_count(amqp_uri, dead) == 3)
    assert effects(probe) == 3
