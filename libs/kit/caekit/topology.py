"""Names and declarations of exchanges and queues, shared by handlers and the operator CLI.

For a consumer service S of event type T (published by service P):
- ``P.events``: the durable topic exchange; T is the routing key;
- ``S--T``: the consumer's durable queue, bound with routing key T;
- ``S--T--retry-<d>s``: one delay queue per retry delay d; a message waits
  there d seconds (x-message-ttl) and dead-letters back to ``S--T`` only;
- ``S--T--dead``: the parking queue an operator inspects and replays;
- ``P.events--archive``: a RabbitMQ stream bound to ``P.events`` with ``#``, declared
  by P's relay: it keeps every event P publishes for a while (by age and size), so
  that no event is ever unroutable for want of a consumer, and an auditor or an
  outside subscriber can read the history from any offset (``x-stream-offset``).
  An unroutable event is then a real fault: the archive was deleted (the relay
  declares it again at once) or the relay was configured without one.
Queue names do not depend on handler method names, so renaming a method never
leaves an orphaned queue bound (stack.md pitfall 5).
"""

from __future__ import annotations

from dataclasses import dataclass

from cae_contracts import contract_for

ATTEMPT_HEADER = "x-cae-attempt"
ERROR_HEADER = "x-cae-error"
FAILED_AT_HEADER = "x-cae-failed-at"
QUEUE_HEADER = "x-cae-queue"


@dataclass(frozen=True)
class Archive:
    """The retention of an exchange's archive stream (RabbitMQ stream arguments):
    ``max_age`` like ``7D`` or ``12h``, ``max_bytes`` the stream's size on disk."""

    max_age: str = "7D"
    max_bytes: int = 2 * 1024**3


def archive_queue(exchange: str) -> str:
    return f"{exchange}--archive"


def declare_archive(channel, exchange: str, archive: Archive) -> str:
    """Declare ``exchange``'s archive stream, bound to every routing key."""
    queue = archive_queue(exchange)
    channel.queue_declare(queue, durable=True, auto_delete=False, arguments={
        "x-queue-type": "stream",
        "x-max-age": archive.max_age,
        "x-max-length-bytes": archive.max_bytes,
        # retention drops whole segments: keep them small beside the stream's size
        "x-stream-max-segment-size-bytes": min(archive.max_bytes // 8, 100 * 1024**2),
    })
    channel.queue_bind(queue, exchange, "#")
    return queue


def consumer_queue(service: str, event_type: str) -> str:
    return f"{service}--{event_type}"


def retry_queue(queue: str, delay_seconds: int) -> str:
    return f"{queue}--retry-{delay_seconds}s"


def dead_letter_queue(queue: str) -> str:
    return f"{queue}--dead"


def declare(channel, service: str, event_type: str, delays) -> str:
    """Declare the exchange, the consumer queue, its delay queues and its parking queue."""
    exchange = contract_for(event_type).exchange
    queue = consumer_queue(service, event_type)
    channel.exchange_declare(exchange, "topic", durable=True, auto_delete=False)
    channel.queue_declare(queue, durable=True, auto_delete=False)
    channel.queue_bind(queue, exchange, event_type)
    for delay in delays:
        channel.queue_declare(
            retry_queue(queue, delay),
            durable=True,
            auto_delete=False,
            arguments={
                "x-message-ttl": int(delay * 1000),
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": queue,
            },
        )
    channel.queue_declare(dead_letter_queue(queue), durable=True, auto_delete=False)
    return queue
