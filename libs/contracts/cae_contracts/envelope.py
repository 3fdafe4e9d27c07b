"""CloudEvents 1.0 structured JSON envelope, validated on publish and on consume."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from cae_contracts.registry import TYPE_PATTERN, contract_for

SPECVERSION = "1.0"


class ContractViolation(ValueError):
    """An event does not match its contract; ``errors`` names each bad field."""

    def __init__(self, message: str, errors: dict | None = None):
        super().__init__(f"{message}: {errors}" if errors else message)
        self.errors = errors or {}


class CloudEventSchema(Schema):
    """The envelope. ``correlationid`` and ``causationid`` are CloudEvents extensions."""

    class Meta:
        unknown = RAISE

    specversion = fields.String(required=True, validate=validate.Equal(SPECVERSION))
    id = fields.UUID(required=True)
    source = fields.String(required=True, validate=validate.Length(min=1, max=200))
    type = fields.String(required=True, validate=validate.Regexp(TYPE_PATTERN))
    time = fields.AwareDateTime(required=True)
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200))
    tenantid = fields.String(required=True, validate=validate.Length(min=1, max=64))
    datacontenttype = fields.String(required=True, validate=validate.Equal("application/json"))
    correlationid = fields.String(validate=validate.Length(max=128))
    causationid = fields.String(validate=validate.Length(max=128))
    data = fields.Dict(required=True)


_envelope_schema = CloudEventSchema()


@dataclass(frozen=True)
class Event:
    """A validated event as handlers see it; ``data`` is the schema-loaded payload."""

    id: str
    type: str
    source: str
    subject: str
    tenant_id: str
    time: datetime
    data: dict[str, Any]
    correlation_id: str | None
    raw: dict[str, Any]


def build_event(
    type_: str,
    data: dict[str, Any],
    *,
    tenant_id: str,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    event_id: str | None = None,
    time: datetime | None = None,
) -> dict[str, Any]:
    """Serialise ``data`` with its contract and wrap it; raises ContractViolation."""
    contract = contract_for(type_)
    schema = contract.schema()
    unknown = sorted(set(data) - set(schema.fields))
    if unknown:
        raise ContractViolation(f"{type_} has no fields {unknown}",
                                {name: ["Unknown field."] for name in unknown})
    try:
        wire_data = schema.dump(schema.load(schema.dump(data)))
    except ValidationError as exc:
        raise ContractViolation(f"{type_} data does not match its schema", exc.messages) from exc
    body = {
        "specversion": SPECVERSION,
        "id": event_id or str(uuid.uuid4()),
        "source": f"/cae/{contract.service}",
        "type": type_,
        "time": (time or datetime.now(UTC)).isoformat(),
        "subject": str(wire_data[contract.subject]),
        "tenantid": str(tenant_id),
        "datacontenttype": "application/json",
        "data": wire_data,
    }
    if correlation_id:
        body["correlationid"] = correlation_id
    if causation_id:
        body["causationid"] = causation_id
    errors = _envelope_schema.validate(body)
    if errors:
        raise ContractViolation(f"{type_} envelope is invalid", errors)
    return body


def parse_event(body: Any) -> Event:
    """Validate a received envelope and its data; raises ContractViolation.

    A consumer tolerates what a newer producer may add: unknown extension
    attributes and unknown (optional, by the versioning rule) data fields are
    ignored. Producers are strict: ``build_event`` refuses unknown fields.
    """
    if not isinstance(body, dict):
        raise ContractViolation("event body is not a JSON object")
    try:
        envelope = _envelope_schema.load(body, unknown=EXCLUDE)
    except ValidationError as exc:
        raise ContractViolation("invalid CloudEvents envelope", exc.messages) from exc
    try:
        contract = contract_for(envelope["type"])
    except KeyError as exc:
        raise ContractViolation(str(exc)) from exc
    try:
        data = contract.schema().load(envelope["data"], unknown=EXCLUDE)
    except ValidationError as exc:
        raise ContractViolation(f"{envelope['type']} data does not match its schema", exc.messages) from exc
    return Event(
        id=str(envelope["id"]),
        type=envelope["type"],
        source=envelope["source"],
        subject=envelope["subject"],
        tenant_id=envelope["tenantid"],
        time=envelope["time"],
        data=data,
        correlation_id=envelope.get("correlationid"),
        raw=body,
    )
