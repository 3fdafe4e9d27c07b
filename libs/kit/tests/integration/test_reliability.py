"""The kit's delivery guarantees, against a real RabbitMQ and a real database.

Each test causes the fault it claims to survive: a relay SIGKILLed between
commit and publish or between publish and mark, a duplicate delivery, a handler
that raises, a poison message, an event nobody is bound to.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid

import pytest
from sqlalchemy import create_engine, text

from cae_contracts import build_event
from caekit import dlq, topology
from caekit.testing import (
    PG_ADMIN_URL,
    backend,
    bearer,
    count_rows,
    eventually,
    free_port,
    management,
    message_count,
    metric,
    publish_raw,
    queue_info,
)
from libs.kit.tests.integration.probe import ProbeService, Switches, WriterService

MEMBER_JOINED = "cae.members.member_joined.v1"
PROBE_QUEUE = topology.consumer_queue("probe", MEMBER_JOINED)


@pytest.fixture(autouse=True)
def _reset_switches():
    Switches.failures_left, Switches.always_fail, Switches.database_down = 0, False, False
    Switches.refused_names = frozenset()
    yield
    Switches.failures_left, Switches.always_fail, Switches.database_down = 0, False, False
    Switches.refused_names = frozenset()


def member_joined(cooperative_id: str, first_name: str = "Léa") -> dict:
    return build_event(MEMBER_JOINED, {
        "member_id": str(uuid.uuid4()), "cooperative_id": cooperative_id,
        "first_name": first_name, "last_name": "Martin", "joined_on": "2026-01-05",
        "activity_code": None, "activity_name": None,
    }, tenant_id=cooperative_id)


def consumed(outcome: str) -> float:
    return metric("cae_events_consumed_total", service="probe", consumer=PROBE_QUEUE,
                  type=MEMBER_JOINED, outcome=outcome)


def effects(probe) -> int:
    return count_rows(probe.settings.database_url, "effects")


def test_the_same_event_delivered_twice_has_one_effect(start_service, amqp_uri):
    probe = start_service(ProbeService)
    coop = str(uuid.uuid4())
    event = member_joined(coop)
    duplicates_before = consumed("duplicate")
    publish_raw(amqp_uri, event)
    publish_raw(amqp_uri, event)  # most likely in the same batch
    eventually(lambda: consumed("duplicate") - duplicates_before >= 1)
    publish_raw(amqp_uri, event)  # and once more, in a later batch
    eventually(lambda: consumed("duplicate") - duplicates_before >= 2)
    assert effects(probe) == 1
    assert count_rows(probe.settings.database_url, "inbox") == 1
    assert message_count(amqp_uri, topology.dead_letter_queue(PROBE_QUEUE)) == 0


def test_a_failing_handler_is_retried_with_delays_then_parked_and_replayed_once(
        start_service, amqp_uri):
    Switches.always_fail = True
    probe = start_service(ProbeService, retry_delays=(1, 2))
    coop = str(uuid.uuid4())
    event = member_joined(coop)
    labels = {"service": "probe", "consumer": PROBE_QUEUE, "type": MEMBER_JOINED}
    retried_before = metric("cae_events_retried_total", **labels)
    parked_before = metric("cae_events_dead_lettered_total", **labels)
    started = time.monotonic()
    publish_raw(amqp_uri, event)

    dead = topology.dead_letter_queue(PROBE_QUEUE)
    eventually(lambda: message_count(amqp_uri, dead) == 1, timeout=30)
    # three attempts, separated by the configured delays of 1 s then 2 s
    assert time.monotonic() - started >= 3.0
    assert metric("cae_events_retried_total", **labels) - retried_before == 2
    assert metric("cae_events_dead_lettered_total", **labels) - parked_before == 1
    assert effects(probe) == 0

    parked = dlq.list_parked(amqp_uri, PROBE_QUEUE)
    assert [p.event_id for p in parked] == [event["id"]]
    assert parked[0].attempts == 3
    assert "switched to fail" in parked[0].error
    assert message_count(amqp_uri, dead) == 1, "listing must not consume"

    Switches.always_fail = False  # the fix
    assert dlq.replay(amqp_uri, PROBE_QUEUE) == 1
    eventually(lambda: effects(probe) == 1)
    assert message_count(amqp_uri, dead) == 0
    assert dlq.replay(amqp_uri, PROBE_QUEUE) == 0
    publish_raw(amqp_uri, event)  # a late redelivery changes nothing
    eventually(lambda: consumed("duplicate") >= 1)
    time.sleep(0.3)
    assert effects(probe) == 1


def test_a_transient_failure_is_retried_and_handled_once(start_service, amqp_uri):
    Switches.failures_left = 1
    probe = start_service(ProbeService, retry_delays=(1, 2))
    publish_raw(amqp_uri, member_joined(str(uuid.uuid4())))
    eventually(lambda: effects(probe) == 1, timeout=15)
    assert message_count(amqp_uri, topology.dead_letter_queue(PROBE_QUEUE)) == 0


def test_one_failing_event_does_not_hold_back_its_batch(start_service, amqp_uri):
    probe = start_service(ProbeService, retry_delays=(1,), handler_max_wait_ms=200)
    coop = str(uuid.uuid4())
    Switches.failures_left = 1  # the first event handled fails once
    for i in range(20):
        publish_raw(amqp_uri, member_joined(coop, first_name=f"P{i}"))
    eventually(lambda: effects(probe) == 20, timeout=20)
    assert count_rows(probe.settings.database_url, "inbox") == 20


@pytest.mark.skipif(backend() != "postgresql", reason="closes a PostgreSQL database to connections")
def test_an_unreachable_database_parks_nothing_and_the_events_wait(start_service, amqp_uri):
    """No event is at fault when the database is down: nothing is retried or parked; the
    batch is kept and handled once the database answers again."""
    probe = start_service(ProbeService, retry_delays=(1,))
    name = probe.settings.database_url.rsplit("/", 1)[1]
    labels = {"service": "probe", "consumer": PROBE_QUEUE, "type": MEMBER_JOINED}
    retried = metric("cae_events_retried_total", **labels)
    parked = metric("cae_events_dead_lettered_total", **labels)
    admin = create_engine(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = :d AND pid <> pg_backend_pid()"), {"d": name})
    try:
        publish_raw(amqp_uri, member_joined(str(uuid.uuid4())))
        time.sleep(3)  # long enough for a retry of 1 s and a park, were they to happen
        assert metric("cae_events_retried_total", **labels) == retried
        assert metric("cae_events_dead_lettered_total", **labels) == parked
        assert message_count(amqp_uri, topology.dead_letter_queue(PROBE_QUEUE)) == 0
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()
    eventually(lambda: effects(probe) == 1, timeout=30)


def test_an_operational_error_with_the_database_up_is_the_events_failure(
        start_service, amqp_uri):
    """A deadlock or a statement timeout raises OperationalError too: with the database
    answering, that event is retried and parked like any failure, not requeued forever."""
    Switches.database_down = True
    start_service(ProbeService, retry_delays=(1,))
    publish_raw(amqp_uri, member_joined(str(uuid.uuid4())))
    eventually(lambda: message_count(amqp_uri, topology.dead_letter_queue(PROBE_QUEUE)) == 1,
               timeout=20)
    assert "connection refused" in dlq.list_parked(amqp_uri, PROBE_QUEUE)[0].error


def test_an_unreachable_database_is_a_503_problem(start_service, http, token):
    Switches.database_down = True
    probe = start_service(ProbeService)
    response = http.post(f"{probe.url}/cooperatives/5d0c9a3e-8f6b-4c1e-9a7d-2b3c4d5e6f70/things", json={"label": "x", "size": 1},
                         headers=bearer(token("alice", "staff", "5d0c9a3e-8f6b-4c1e-9a7d-2b3c4d5e6f70")))
    assert response.status_code == 503
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert "unavailable" in response.json()["detail"]


def test_a_poison_message_is_parked_without_retries(start_service, amqp_uri):
    start_service(ProbeService)
    bad = member_joined(str(uuid.uuid4()))
    bad["data"]["joined_on"] = "not a date"
    publish_raw(amqp_uri, bad)
    publish_raw(amqp_uri, b"{not json", routing_key=MEMBER_JOINED, exchange="members.events")
    dead = topology.dead_letter_queue(PROBE_QUEUE)
    eventually(lambda: message_count(amqp_uri, dead) == 2)
    errors = sorted(p.error for p in dlq.list_parked(amqp_uri, PROBE_QUEUE))
    assert "joined_on" in errors[0] or "joined_on" in errors[1]

    # the operator's command line sees the same
    queues = _cae(amqp_uri, "dlq", "queues")
    assert f"2  {dead}" in queues
    listed = [json.loads(line) for line in _cae(amqp_uri, "dlq", "list", PROBE_QUEUE).splitlines()]
    assert bad["id"] in [item["event_id"] for item in listed]
    shown = json.loads(_cae(amqp_uri, "dlq", "show", PROBE_QUEUE, "--id", bad["id"]))
    assert shown["event"]["id"] == bad["id"] and "joined_on" in shown["error"]
    assert "purged 1" in _cae(amqp_uri, "dlq", "purge", PROBE_QUEUE, "--id", bad["id"])
    assert message_count(amqp_uri, dead) == 1
    assert dlq.purge(amqp_uri, PROBE_QUEUE) == 1


def test_an_event_the_handler_refuses_is_parked_at_once_with_its_rule(start_service, amqp_uri):
    probe = start_service(ProbeService, retry_delays=(30,))  # a refusal skips the delays
    Switches.refused_names = frozenset({"Refusé"})
    coop = str(uuid.uuid4())
    refused = member_joined(coop, "Refusé")
    refused_before = consumed("refused")
    for event in (member_joined(coop, "Ana"), refused, member_joined(coop, "Ben")):
        publish_raw(amqp_uri, event)  # most likely one batch: the refusal does not block it
    dead = topology.dead_letter_queue(PROBE_QUEUE)
    eventually(lambda: message_count(amqp_uri, dead) == 1 and effects(probe) == 2, timeout=20)
    [parked] = dlq.list_parked(amqp_uri, PROBE_QUEUE)
    assert parked.event_id == refused["id"] and parked.attempts == 1
    assert parked.error.startswith("[probe.refused] ") and "Refusé is refused" in parked.error
    assert consumed("refused") - refused_before == 1
    assert count_rows(probe.settings.database_url, "inbox") == 2  # the refused one is not claimed
    assert dlq.purge(amqp_uri, PROBE_QUEUE) == 1


def _cae(amqp_uri, *args) -> str:
    result = subprocess.run([sys.executable, "-m", "caekit.cli", *args], capture_output=True,
                            text=True, timeout=60, env={**os.environ, "CAE_AMQP_URI": amqp_uri})
    assert result.returncode == 0, result.stderr
    return result.stdout


# -- the relay --------------------------------------------------------------------
_RELAY = ("import eventlet; eventlet.monkey_patch(); import argparse, sys; "
          "from caekit.cli import cmd_relay; "
          "sys.exit(cmd_relay(argparse.Namespace(service=sys.argv[1])))")


def _relay(service, amqp_uri, database_url, failpoints: str = "", port: int = 0):
    """``cae relay <service>`` as its own process (the probe's name, which the CLI does not
    list, so its function is called as the CLI does)."""
    env = {**os.environ, "CAE_DATABASE_URL": database_url, "CAE_AMQP_URI": amqp_uri,
           "CAE_FAILPOINTS": failpoints, "CAE_RELAY_POLL_SECONDS": "0.1",
           "CAE_LOG_LEVEL": "WARNING", "CAE_HTTP_PORT": str(port or free_port())}
    return subprocess.Popen([sys.executable, "-c", _RELAY, service], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _get_json(http, url):
    try:
        return http.get(url, timeout=2).json()
    except Exception:  # noqa: BLE001 - not listening yet
        return None


def _write_things(http, writer, token, coop: str, *labels: str) -> None:
    for label in labels:
        response = http.post(f"{writer.url}/cooperatives/{coop}/things",
                             json={"label": label, "size": 1},
                             headers=bearer(token("alice", "staff", coop)))
        assert response.status_code == 201, response.text


def _unsent(service) -> int:
    return count_rows(service.settings.database_url, "outbox", "WHERE sent_at IS NULL")


@pytest.mark.parametrize("failpoint", ["relay.after_fetch", "relay.after_publish"])
def test_a_relay_killed_mid_round_loses_nothing_and_doubles_nothing(
        start_service, amqp_uri, http, token, failpoint):
    """after_fetch: killed after the commit, before the publish (the events must still go
    out); after_publish: killed after the broker confirmed, before marking the rows sent (the
    events go out twice and the consumer's inbox drops the copies)."""
    probe = start_service(ProbeService, relay_in_process=False)
    duplicates = consumed("duplicate")
    coop = str(uuid.uuid4())
    _write_things(http, probe, token, coop, "Ana", "Ben", "Léa")
    assert _unsent(probe) == 3  # committed, each with its event

    url = probe.settings.database_url
    crashed = _relay("probe", amqp_uri, url, f"{failpoint}=kill")
    assert crashed.wait(60) == -9, crashed.stderr.read().decode()[-2000:]
    assert _unsent(probe) == 3, "the killed relay must not have marked anything sent"

    port = free_port()
    relay = _relay("probe", amqp_uri, url, port=port)
    try:
        eventually(lambda: _unsent(probe) == 0, timeout=30)
        ready = eventually(lambda: _get_json(http, f"http://127.0.0.1:{port}/health/ready"))
        assert ready["checks"]["broker"]["ok"] and ready["checks"]["outbox"]["backlog"] == 0
        assert "cae_events_published_total" in http.get(f"http://127.0.0.1:{port}/metrics").text
        eventually(lambda: effects(probe) >= 3)
        if failpoint == "relay.after_publish":
            eventually(lambda: consumed("duplicate") - duplicates >= 3)
        time.sleep(0.5)  # a doubled effect would have landed by now
        assert effects(probe) == 3
        assert count_rows(url, "inbox") == 3
        assert sorted(_first_names(probe)) == ["Ana", "Ben", "Léa"]
    finally:
        relay.terminate()
        relay.wait(30)


def _first_names(service) -> list[str]:
    engine = create_engine(service.settings.database_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text("SELECT first_name FROM effects")).scalars())
    finally:
        engine.dispose()


def _archived(amqp_uri: str, exchange: str = "members.events") -> int:
    info = queue_info(amqp_uri, topology.archive_queue(exchange))
    return 0 if info is None else info.get("messages", 0)


def test_an_event_nobody_consumes_is_archived_never_unroutable(start_service, amqp_uri, http,
                                                               token):
    writer = start_service(WriterService)  # publishes member_joined.v1, which nobody binds
    before = metric("cae_events_unroutable_total", service="writer", type=MEMBER_JOINED)
    _write_things(http, writer, token, str(uuid.uuid4()), "Ana", "Bea")
    eventually(lambda: _unsent(writer) == 0)
    eventually(lambda: _archived(amqp_uri) == 2, timeout=20)  # the stream's count lags a little
    assert metric("cae_events_unroutable_total", service="writer", type=MEMBER_JOINED) == before
    assert http.get(f"{writer.url}/health/ready").json()["checks"]["outbox"]["backlog"] == 0


def test_a_deleted_archive_is_a_detected_fault_and_declared_again(start_service, amqp_uri, http,
                                                                  token):
    writer = start_service(WriterService)
    coop = str(uuid.uuid4())
    _write_things(http, writer, token, coop, "Ana")
    eventually(lambda: _unsent(writer) == 0)
    before = metric("cae_events_unroutable_total", service="writer", type=MEMBER_JOINED)
    vhost = amqp_uri.rsplit("/", 1)[1]
    management("DELETE", f"queues/{vhost}/{topology.archive_queue('members.events')}")
    _write_things(http, writer, token, coop, "Bea")
    url = writer.settings.database_url
    eventually(lambda: metric("cae_events_unroutable_total", service="writer",
                              type=MEMBER_JOINED) - before >= 1)
    # kept, then sent once the relay declared the archive again (retry after 1 s here)
    eventually(lambda: count_rows(url, "outbox", "WHERE sent_at IS NULL") == 0, timeout=20)
    eventually(lambda: _archived(amqp_uri) == 1, timeout=20)


def test_without_an_archive_an_unroutable_event_is_detected_kept_and_sent_once_bound(
        start_service, amqp_uri, http, token):
    # publishes member_joined.v1, which nobody binds yet, and declares no archive
    writer = start_service(WriterService, event_archive=None)
    before = metric("cae_events_unroutable_total", service="writer", type=MEMBER_JOINED)
    coop = str(uuid.uuid4())
    _write_things(http, writer, token, coop, "Ana")
    url = writer.settings.database_url
    eventually(lambda: count_rows(url, "outbox", "WHERE unroutable_at IS NOT NULL") == 1)
    assert count_rows(url, "outbox", "WHERE sent_at IS NULL") == 1, "kept, not dropped"
    assert metric("cae_events_unroutable_total", service="writer", type=MEMBER_JOINED) - before >= 1
    assert http.get(f"{writer.url}/health/ready").json()["checks"]["outbox"]["backlog"] == 1

    probe = start_service(ProbeService)  # binds a queue for member_joined.v1
    eventually(lambda: count_rows(url, "outbox", "WHERE sent_at IS NULL") == 0, timeout=20)
    eventually(lambda: effects(probe) == 1)
    time.sleep(0.5)  # sent once: a second copy would have landed by now
    assert effects(probe) == 1 and _first_names(probe) == ["Ana"]


def test_the_consumer_queues_can_be_declared_before_the_service_runs(amqp_uri, start_service,
                                                                    http, token):
    from dataclasses import replace

    from caekit.config import Settings
    from caekit.handlers import declare_consumer_queues

    settings = replace(Settings(service="probe", database_url="sqlite://", amqp_uri=amqp_uri),
                       retry_delays=(1, 2))
    queues = declare_consumer_queues(ProbeService, settings)
    assert topology.consumer_queue("probe", MEMBER_JOINED) in queues
    for queue in queues:
        assert queue_info(amqp_uri, queue) is not None
        assert queue_info(amqp_uri, topology.dead_letter_queue(queue)) is not None
    # an event published before the probe ever ran waits in its queue, and is handled once
    writer = start_service(WriterService)
    _write_things(http, writer, token, str(uuid.uuid4()), "Ana")
    eventually(lambda: _unsent(writer) == 0)
    probe = start_service(ProbeService)
    eventually(lambda: effects(probe) == 1)
