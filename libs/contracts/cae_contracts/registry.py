"""The registry of every public event type and its data schema."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from marshmallow import Schema

TYPE_PATTERN = re.compile(r"^cae\.(?P<service>[a-z]+)\.(?P<name>[a-z_.]+)\.v(?P<version>\d+)$")

# AMQP content types: one event (CloudEvents structured mode), or several in a JSON array
# (CloudEvents batched mode), for the contracts published in batches
CONTENT_TYPE = "application/cloudevents+json"
BATCH_CONTENT_TYPE = "application/cloudevents-batch+json"


@dataclass(frozen=True)
class EventContract:
    """One published event type: ``cae.<service>.<name>.v<N>``."""

    type: str
    schema: type[Schema]
    summary: str
    subject: str  # which data field is the CloudEvents subject (the aggregate id)
    batch: int = 0  # > 0: published in batches of up to this many events (BATCH_CONTENT_TYPE)
    deprecated: str = ""  # why, what replaces it, and until when it is still published

    @cached_property
    def service(self) -> str:
        return TYPE_PATTERN.match(self.type)["service"]

    @property
    def version(self) -> int:
        return int(TYPE_PATTERN.match(self.type)["version"])

    @cached_property
    def exchange(self) -> str:
        """Topic exchange the event is published to; the routing key is the type."""
        return f"{self.service}.events"


CONTRACTS: dict[str, EventContract] = {}


def register(type_: str, *, summary: str, subject: str, batch: int = 0, deprecated: str = ""):
    """Class decorator registering a data schema under an event type; ``batch`` > 0
    publishes it in batches of up to that many events: for the high-volume events whose
    messages would cost the broker more than their handling costs a subscriber (one
    persistent, confirmed message costs RabbitMQ ~120 us of CPU, whatever its size).

    A version only grows by optional fields; a breaking change is a new type published
    beside the old one, which says in ``deprecated`` what replaces it and until when it
    is still published (the AsyncAPI document marks it deprecated)."""

    if not TYPE_PATTERN.match(type_):
        raise ValueError(f"event type {type_!r} must look like cae.<service>.<name>.v<N>")

    def decorator(schema: type[Schema]) -> type[Schema]:
        if type_ in CONTRACTS:
            raise ValueError(f"event type {type_!r} registered twice")
        if subject not in schema._declared_fields:
            raise ValueError(f"{schema.__name__} has no field {subject!r} to use as subject")
        CONTRACTS[type_] = EventContract(type_, schema, summary, subject, batch, deprecated)
        return schema

    return decorator


def contract_for(type_: str) -> EventContract:
    try:
        return CONTRACTS[type_]
    except KeyError:
        raise KeyError(f"unknown event type {type_!r}") from None
