"""Names and declarations of exchanges and queues, shared by handlers and the operator CLI.

For a consumer service S of event type T (published by service P):
- ``P.events``: the durable topic exchange; T is the routing key;
- ``S--T``: the consumer's durable queue, bound with routing key T;
- ``S--T--retry-<d>s``: one delay queue per retry delay d; a message waits
  there d seconds (x-message-ttl) and dead-letters back to ``S--T`` only;
- ``S--T--dead``: the parking queue an operator inspects and replays.
Queue names do not depend on handler method names, so renaming a method never
leaves an orphaned queue bound (stack.md pitfall 5).
"""

from __future__ import annotations

from cae_contracts import contract_for

ATTEMPT_HEADER = "x-cae-attempt"
ERROR_HEADER = "x-cae-error"
FAILED_AT_HEADER = "x-cae-failed-at"
QUEUE_HEADER = "x-cae-queue"


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
