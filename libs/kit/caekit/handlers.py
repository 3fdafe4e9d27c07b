"""Reliable event handlers: batched, idempotent (inbox), retried with delays, then parked.

``@reliable_handler("cae.members.member_joined.v1")`` on a service method
``def on_member_joined(self, event)`` consumes that event type from the
consumer's own durable queue (see topology). A message holds one event, or several
for a contract published in batches (a CloudEvents JSON batch): each is handled,
claimed and, if it fails, retried or parked on its own. Deliveries are taken in batches:

1. every envelope is validated against its contract (an invalid one is parked
   at once: retrying cannot fix it);
2. the batch's event ids are claimed in the inbox with one INSERT .. ON
   CONFLICT DO NOTHING RETURNING: ids already there (or repeated in the
   batch) are duplicates and skipped;
3. the handler runs for each claimed event, all in ONE transaction with the
   claims, committed once;
4. if any handler raised, that transaction is rolled back and the batch is
   replayed one event per transaction, so one failing event never blocks or
   duplicates the others;
5. a failed event is republished (with publisher confirm) to the delay queue
   of its attempt, or to the parking queue after the last delay; an event the
   handler refuses (an exception of its ``refusals``: a rule of the domain, which
   says the same on every attempt) is parked at once, its rule code in the error;
6. only then is the whole batch acknowledged (one multiple ack).

A crash anywhere before 6 redelivers the batch; the inbox turns redelivery into
a skip, so effects happen exactly once.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
import time
import traceback
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

import amqp
import orjson
from kombu import Connection
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR, Entrypoint
from sqlalchemy import text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import InterfaceError, OperationalError

from cae_contracts import (
    BATCH_CONTENT_TYPE,
    CONTENT_TYPE,
    CONTRACTS,
    ContractViolation,
    parse_event,
)
from caekit import (
    context,
    failpoints,
    metrics,
    topology,
)
from caekit.config import settings_of
from caekit.dependencies import Database
from caekit.logs import log
from caekit.rules import RuleViolation
from caekit.tables import inbox_table

logger = logging.getLogger("caekit.handlers")

# AMQP heartbeats detect a half-open connection (a broker gone without a TCP reset)
HEARTBEAT_SECONDS = 30


@dataclass
class Outcome:
    status: str  # handled | duplicate | failed | refused | poison
    error: str | None = None


@dataclass
class DeliveryBatch:
    """Deliveries handed to one nameko worker. ``run`` fills ``items`` (message, the
    event's JSON if it came in a batch message), an event each, and their ``outcomes``."""

    consumer: str
    db_attr: str
    messages: list
    refusals: tuple = ()  # exception classes that park an event at once
    items: list = field(default_factory=list)
    outcomes: list = field(default_factory=list)

    def _unpack(self) -> list:
        """The events' JSON (or why a message is unreadable), filling ``items``."""
        self.items, bodies = [], []
        for message in self.messages:
            try:
                body = orjson.loads(message.body)
            except ValueError as exc:  # orjson.JSONDecodeError
                body = exc
            if message.properties.get("content_type") == BATCH_CONTENT_TYPE and isinstance(
                    body, list):
                self.items.extend((message, element) for element in body)
                bodies.extend(body)
            else:
                self.items.append((message, None))
                bodies.append(body)
        return bodies

    def run(self, service, handler) -> list[Outcome]:
        session = getattr(service, self.db_attr)
        bodies = self._unpack()
        outcomes: list[Outcome | None] = [None] * len(bodies)
        todo, first_of = [], {}
        for i, body in enumerate(bodies):
            try:
                if isinstance(body, Exception):
                    raise body
                event = parse_event(body)
            except (ValueError, RecursionError, ContractViolation) as exc:
                outcomes[i] = Outcome("poison", f"{type(exc).__name__}: {str(exc)[:2000]}")
                continue
            if event.id in first_of:
                outcomes[i] = Outcome("duplicate")  # twice in this batch
            else:
                first_of[event.id] = i
                todo.append((i, event))
        if todo:
            try:
                claimed = claim(session, self.consumer, [e for _, e in todo])
                tenant = None
                # one cooperative after the other: the identity map is emptied between two,
                # so that session.get() never returns another cooperative's object; within a
                # cooperative, by subject, so that two batches lock aggregates in one order
                for _, event in sorted(todo, key=lambda item: (item[1].tenant_id,
                                                               item[1].subject or "")):
                    if event.id not in claimed:
                        continue
                    if tenant is not None and event.tenant_id != tenant:
                        session.flush()
                        session.expunge_all()
                    tenant = event.tenant_id
                    self._apply(session, service, handler, event)
                failpoints.hit("handler.before_commit")
                session.commit()
                for i, event in todo:
                    outcomes[i] = Outcome("handled" if event.id in claimed else "duplicate")
            except Exception as exc:  # noqa: BLE001 - replay one by one to isolate the failure
                session.rollback()
                if _unavailable(exc, session):
                    raise
                for i, event in todo:
                    outcomes[i] = self._one_by_one(session, service, handler, event)
        self.outcomes = outcomes
        return outcomes

    def _one_by_one(self, session, service, handler, event) -> Outcome:
        try:
            if not claim(session, self.consumer, [event]):
                session.rollback()
                return Outcome("duplicate")
            self._apply(session, service, handler, event)
            session.commit()
            return Outcome("handled")
        except self.refusals as exc:  # the same on every attempt: parked at once
            session.rollback()
            return Outcome("refused", _describe(exc))
        except Exception as exc:  # noqa: BLE001 - reported, retried, then parked
            session.rollback()
            if _unavailable(exc, session):
                raise
            return Outcome("failed", _describe(exc))

    def _apply(self, session, service, handler, event) -> None:
        tokens = context.bind(
            tenant=event.tenant_id,
            # acting for whoever started the flow, with the rights of a service
            who=context.Caller(event.actor or f"event:{event.type}", event.tenant_id,
                               frozenset({"service"})),
            correlation=event.correlation_id,
            causation=event.id,
        )
        session.info["tenant_id"] = event.tenant_id
        try:
            handler(service, event)  # its writes flush with the batch's commit
        finally:
            session.info["tenant_id"] = None
            context.unbind(tokens)


_CLAIM_POSTGRESQL = text(
    "INSERT INTO inbox (consumer, event_id, event_type, handled_at) "
    "SELECT :consumer, e.id, e.type, :now FROM unnest(CAST(:ids AS varchar[]), "
    "CAST(:types AS varchar[])) AS e(id, type) "
    "ON CONFLICT DO NOTHING RETURNING event_id"
)


def claim(session, consumer: str, events) -> set[str]:
    """Record ``events`` in the inbox in one statement; returns the ids not seen before.

    The rows belong to the caller's transaction: a rollback un-claims them. A
    concurrent consumer claiming the same id waits on the row and then sees it.
    """
    now = datetime.now(UTC)
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(_CLAIM_POSTGRESQL, {
            "consumer": consumer, "now": now,
            "ids": [e.id for e in events], "types": [e.type for e in events]})
    else:
        statement = sqlite_insert(inbox_table).on_conflict_do_nothing().returning(
            inbox_table.c.event_id)
        rows = session.execute(statement, [
            {"consumer": consumer, "event_id": e.id, "event_type": e.type, "handled_at": now}
            for e in events])
    return set(rows.scalars())


def _unavailable(exc: BaseException, session) -> bool:
    """The database is unreachable: no event is at fault, so none is retried or parked.

    An OperationalError is also what a deadlock, a lock or statement timeout or a bad
    statement raise: those are one event's failure. Only when a fresh connection
    cannot run ``SELECT 1`` either is the database taken to be down.
    """
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    try:
        with session.get_bind().connect() as connection:
            connection.execute(text("SELECT 1"))
        return False
    except (OperationalError, InterfaceError):
        return True


def _describe(exc: BaseException) -> str:
    """The exception as one line, after its rule code if a domain rule refused."""
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return (f"[{exc.rule}] {text}" if isinstance(exc, RuleViolation) else text)[:2000]


@dataclass
class _InFlight:
    batch: DeliveryBatch
    done: threading.Event = field(default_factory=threading.Event)
    failure: BaseException | None = None


class ReliableHandler(Entrypoint):
    def __init__(self, event_type: str, *, retry_delays=None, batch_size=None, refusals=(),
                 **kwargs):
        kwargs.setdefault("expected_exceptions", (OperationalError, InterfaceError))
        self.event_type = event_type
        self._retry_delays = retry_delays
        self._batch_size = batch_size
        self.refusals = tuple(refusals)
        super().__init__(**kwargs)

    def setup(self):
        settings = settings_of(self.container)
        self.service = self.container.service_name
        self.amqp_uri = settings.amqp_uri
        self.delays = tuple(self._retry_delays or settings.retry_delays)
        # a batch is so many events: messages of a contract published in batches hold
        # up to its ``batch`` each
        contract = CONTRACTS.get(self.event_type)
        per_message = contract.batch if contract is not None and contract.batch else 1
        self.batch_size = max(1, (self._batch_size or settings.handler_batch) // per_message)
        self.max_wait = settings.handler_max_wait_ms / 1000.0
        self.concurrency = max(1, settings.handler_concurrency)
        self.queue = topology.consumer_queue(self.service, self.event_type)
        databases = [d for d in self.container.dependencies if isinstance(d, Database)]
        if len(databases) != 1:
            raise RuntimeError(f"{self.service}: a reliable handler needs exactly one Database")
        self.db_attr = databases[0].attr_name
        self._stop = threading.Event()
        self._thread = None
        self.connected = False
        self.ready = threading.Event()  # set once the queues are declared (used by tests)

    def start(self):
        self._thread = self.container.spawn_managed_thread(self._run, identifier=self.queue)

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.wait()
        super().stop()

    def kill(self):
        self._stop.set()

    # -- consuming -------------------------------------------------------------
    def _run(self):
        delay = 0.5
        while not self._stop.is_set():
            conn = None
            try:
                conn = Connection(self.amqp_uri, connect_timeout=5, heartbeat=HEARTBEAT_SECONDS)
                conn.connect()
                self._consume(conn.connection)
                delay = 0.5
            except (OSError, amqp.exceptions.AMQPError, ConnectionError) as exc:
                self.connected = False
                log(logger, logging.WARNING, "consumer lost the broker; reconnecting",
                    queue=self.queue, error=str(exc), retry_in=delay)
                self._stop.wait(delay)
                delay = min(delay * 2, 10.0)
            except Exception:  # noqa: BLE001 - never let a consumer thread take the service down
                self.connected = False
                logger.exception("consumer failed; its unacknowledged deliveries go back to the queue")
                self._stop.wait(delay)
                delay = min(delay * 2, 10.0)
            finally:
                self.connected = False
                if conn is not None:
                    try:
                        conn.release()
                    except Exception:  # noqa: BLE001 - closing a broken connection
                        pass

    def _consume(self, raw):
        channel = raw.channel()
        publisher = raw.channel()
        publisher.confirm_select()
        topology.declare(channel, self.service, self.event_type, self.delays)
        # room for the batches in flight and the next one filling up
        channel.basic_qos(0, self.batch_size * (self.concurrency + 1), False)
        buffer: list = []
        channel.basic_consume(self.queue, callback=buffer.append, no_ack=False)
        self.connected = True
        self.ready.set()
        inflight: deque[_InFlight] = deque()
        first_at = None
        outage = 0.0
        try:
            while not self._stop.is_set() or inflight:
                if inflight:
                    timeout = 0.002  # poll for the batches' completion
                elif buffer:
                    timeout = max(0.0, first_at + self.max_wait - time.monotonic())
                else:
                    timeout = 0.2
                try:
                    raw.drain_events(timeout=timeout)
                except TimeoutError:
                    pass
                raw.heartbeat_tick()
                # settle finished batches in delivery order, so that one multiple ack
                # acknowledges exactly one batch
                while inflight and inflight[0].done.is_set():
                    flight = inflight.popleft()
                    if flight.failure is None:
                        outage = 0.0
                        self._settle(channel, publisher, flight)
                    elif self._stop.is_set():
                        # stopping during an outage: give the deliveries back to the queue
                        for message in flight.batch.messages:
                            channel.basic_reject(message.delivery_tag, requeue=True)
                    else:
                        # the database is unavailable: nothing was committed. Keep the
                        # deliveries (a requeue would count against a quorum queue's
                        # delivery limit) and run the same batch again after a pause.
                        outage = min(outage * 2, 10.0) if outage else 0.5
                        log(logger, logging.ERROR, "database unavailable; batch kept, retrying",
                            queue=self.queue, error=_describe(flight.failure), retry_in=outage)
                        self._stop.wait(outage)
                        inflight.appendleft(self._start(flight.batch.messages))
                        break
                if self._stop.is_set():
                    continue  # finish what is in flight; take nothing new
                if buffer and first_at is None:
                    first_at = time.monotonic()
                full = len(buffer) >= self.batch_size
                if buffer and len(inflight) < self.concurrency and (
                        full or time.monotonic() - first_at >= self.max_wait):
                    batch, buffer[:] = list(buffer[: self.batch_size]), buffer[self.batch_size :]
                    inflight.append(self._start(batch))
                    first_at = time.monotonic() if buffer else None
        finally:
            self.connected = False

    def _start(self, messages) -> _InFlight:
        """Hand a batch to a nameko worker; the consumer goes on reading meanwhile."""
        flight = _InFlight(DeliveryBatch(self.service, self.db_attr, messages, self.refusals))

        def handle_result(worker_ctx, result, exc_info):
            if exc_info is not None:
                flight.failure = exc_info[1]
            flight.done.set()
            return result, exc_info

        self.container.spawn_worker(self, (flight.batch,), {}, context_data={},
                                    handle_result=handle_result)
        return flight

    def _settle(self, channel, publisher, flight: _InFlight) -> None:
        batch = flight.batch
        tally = Counter(outcome.status for outcome in batch.outcomes)
        for status, count in tally.items():
            metrics.EVENTS_CONSUMED.labels(self.service, self.queue, self.event_type, status).inc(count)
        for (message, element), outcome in zip(batch.items, batch.outcomes, strict=True):
            if outcome.status in ("failed", "refused", "poison"):
                self._reroute(publisher, message, outcome, element)
        failpoints.hit("handler.before_ack")
        channel.basic_ack(batch.messages[-1].delivery_tag, multiple=True)

    def _reroute(self, publisher, message, outcome: Outcome, element=None):
        """Send a failed event to the delay queue of its attempt, or park it; an event
        that came in a batch message (``element``) goes alone, as a message of its own."""
        headers = dict(message.properties.get("application_headers") or {})
        attempt = int(headers.get(topology.ATTEMPT_HEADER, 1))
        properties = {k: v for k, v in message.properties.items() if k != "application_headers"}
        body = message.body
        if element is not None:
            body = orjson.dumps(element)
            properties["content_type"] = CONTENT_TYPE
            properties["content_encoding"] = "utf-8"
            properties.pop("message_id", None)  # the batch's: its first event's id
            if isinstance(element, dict) and isinstance(element.get("id"), str):
                properties["message_id"] = element["id"][:255]
        event_type = properties.get("type") or self.event_type
        if outcome.status == "failed" and attempt <= len(self.delays):
            target = topology.retry_queue(self.queue, self.delays[attempt - 1])
            metrics.EVENTS_RETRIED.labels(self.service, self.queue, event_type).inc()
            log(logger, logging.WARNING, "handler failed; retrying later", queue=self.queue,
                attempt=attempt, retry_in=self.delays[attempt - 1], error=outcome.error,
                event_id=properties.get("message_id"))
        else:
            target = topology.dead_letter_queue(self.queue)
            metrics.EVENTS_DEAD_LETTERED.labels(self.service, self.queue, event_type).inc()
            log(logger, logging.ERROR, "event parked in the dead-letter queue", queue=self.queue,
                attempt=attempt, error=outcome.error, event_id=properties.get("message_id"))
        headers.update({
            topology.ATTEMPT_HEADER: attempt + 1,
            topology.ERROR_HEADER: outcome.error or "",
            topology.FAILED_AT_HEADER: datetime.now(UTC).isoformat(),
            topology.QUEUE_HEADER: self.queue,
        })
        properties["delivery_mode"] = 2
        copy = amqp.Message(body, application_headers=headers, **properties)
        # mandatory: a missing queue is an error (the original stays unacknowledged), not a drop
        publisher.basic_publish_confirm(copy, "", target, mandatory=True, confirm_timeout=30)


def reliable_handler(event_type: str, **options):
    """Decorate ``def handler(self, event)``; see the module docstring for the guarantees."""

    def decorator(fn):
        @functools.wraps(fn)
        def run_batch(self, batch: DeliveryBatch):
            return batch.run(self, fn)

        run_batch.handles_one = fn
        return ReliableHandler.decorator(event_type, **options)(run_batch)

    return decorator


def declare_consumer_queues(service_cls: type, settings) -> list[str]:
    """Declare every queue the service's reliable handlers consume (with their delay and
    parking queues), before the service runs: ``cae migrate`` calls it, so that on a first
    deployment no event published before a consumer starts goes only to the archive."""
    declared = []
    with Connection(settings.amqp_uri, connect_timeout=10) as connection:
        channel = connection.channel()
        for _, function in inspect.getmembers(service_cls, inspect.isfunction):
            for entrypoint in getattr(function, ENTRYPOINT_EXTENSIONS_ATTR, ()):
                if isinstance(entrypoint, ReliableHandler):
                    delays = tuple(entrypoint._retry_delays or settings.retry_delays)
                    declared.append(topology.declare(channel, service_cls.name,
                                                     entrypoint.event_type, delays))
        channel.close()
    return sorted(declared)
