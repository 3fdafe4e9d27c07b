"""CloudEvents 1.0 structured JSON envelope, validated on publish and on consume."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from cae_contracts.compiled import Compiled, Unsure, compile_schema
from cae_contracts.ids import new_id
from cae_contracts.registry import TYPE_PATTERN, contract_for

SPECVERSION = "1.0"


class ContractViolation(ValueError):
    """An event does not match its contract; ``errors`` names each bad field."""

    def __init__(self, message: str, errors: dict | None = None):
        super().__init__(f"{message}: {errors}" if errors else message)
        self.errors = errors or {}


class CloudEventSchema(Schema):
    """The envelope. ``correlationid``, ``causationid`` and ``actor`` are CloudEvents extensions."""

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
    actor = fields.String(validate=validate.Length(min=1, max=200))
    data = fields.Dict(required=True)


_schemas: dict[str, tuple[Schema, Compiled | None, frozenset]] = {}


def _schema_of(contract) -> tuple[Schema, Compiled | None, frozenset]:
    """One schema instance per event type (building one costs more than loading an event),
    its compiled functions if it has plain fields only, and its field names."""
    found = _schemas.get(contract.type)
    if found is None:
        schema = contract.schema()
        found = _schemas[contract.type] = (schema, compile_schema(schema), frozenset(schema.fields))
    return found


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
    causation_id: str | None
    actor: str | None
    raw: dict[str, Any]


_SCALARS = frozenset((str, int, bool, float, type(None)))


def _primitive(value):
    """Python values (dates, UUIDs, Decimals) as the JSON primitives a schema loads."""
    if type(value) in _SCALARS:
        return value
    if isinstance(value, dict):
        return {k: _primitive(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_primitive(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    return value


def build_event(
    type_: str,
    data: dict[str, Any],
    *,
    tenant_id: str,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    actor: str | None = None,
    event_id: str | None = None,
    time: datetime | None = None,
) -> dict[str, Any]:
    """Serialise ``data`` with its contract and wrap it; raises ContractViolation."""
    contract = contract_for(type_)
    schema, compiled, names = _schema_of(contract)
    if not names.issuperset(data):
        unknown = sorted(set(data) - names)
        raise ContractViolation(f"{type_} has no fields {unknown}",
                                {name: ["Unknown field."] for name in unknown})
    try:
        if compiled is None:
            raise Unsure
        # as given (UUID and date objects are understood), else as JSON primitives
        try:
            wire_data = compiled.wire(data)
        except Unsure:
            wire_data = compiled.wire(_primitive(data))
    except Unsure:  # marshmallow decides, and names what is wrong
        try:
            wire_data = schema.dump(schema.load(_primitive(data)))
        except ValidationError as exc:
            raise ContractViolation(f"{type_} data does not match its schema",
                                    exc.messages) from exc
    body = {
        "specversion": SPECVERSION,
        "id": event_id or new_id(),
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
    if actor:
        body["actor"] = actor
    try:  # CloudEventSchema's rules, hand-written for speed (a test keeps them in agreement):
        if event_id is None and time is None:  # the rest is made here, valid
            _check_texts(body)
        else:
            _load_envelope(body)
    except ContractViolation as exc:
        raise ContractViolation(f"{type_} envelope is invalid", exc.errors) from None
    return body


_TEXT_LIMITS = {"source": 200, "subject": 200, "tenantid": 64, "correlationid": 128,
                "causationid": 128, "actor": 200}


def _check_texts(body: dict, errors: dict | None = None) -> None:
    """The envelope's text attributes within their limits; adds to ``errors`` if given,
    else raises."""
    found = {} if errors is None else errors
    for name, limit in _TEXT_LIMITS.items():
        value = body.get(name)
        if value is not None and not (isinstance(value, str) and 0 < len(value) <= limit):
            found.setdefault(name, []).append(f"Not a string of 1 to {limit} characters.")
    if errors is None and found:
        raise ContractViolation("invalid CloudEvents envelope", found)


def _load_envelope(body: dict) -> dict:
    """CloudEventSchema's rules, hand-written: consumers run this once per event, and the
    marshmallow version costs as much as all the rest of handling one (a test keeps the
    two in agreement)."""
    errors: dict[str, list[str]] = {}
    for name in ("specversion", "id", "source", "type", "time", "subject", "tenantid",
                 "datacontenttype", "data"):
        if name not in body or body[name] is None:
            errors[name] = ["Missing data for required field."]
    _check_texts(body, errors)
    if "specversion" in body and body["specversion"] != SPECVERSION:
        errors.setdefault("specversion", []).append(f"Must be equal to {SPECVERSION}.")
    if "datacontenttype" in body and body["datacontenttype"] != "application/json":
        errors.setdefault("datacontenttype", []).append("Must be equal to application/json.")
    if isinstance(body.get("type"), str) and not TYPE_PATTERN.match(body["type"]):
        errors.setdefault("type", []).append("String does not match expected pattern.")
    elif body.get("type") is not None and not isinstance(body.get("type"), str):
        errors.setdefault("type", []).append("Not a valid string.")
    if "data" in body and body["data"] is not None and not isinstance(body["data"], dict):
        errors.setdefault("data", []).append("Not a valid mapping type.")
    event_id = body.get("id")
    if event_id is not None:
        try:
            event_id = str(uuid.UUID(event_id)) if isinstance(event_id, str) else None
        except ValueError:
            event_id = None
        if event_id is None:
            errors.setdefault("id", []).append("Not a valid UUID.")
    time = body.get("time")
    if time is not None:
        try:
            time = datetime.fromisoformat(time) if isinstance(time, str) else None
        except ValueError:
            time = None
        if time is None or time.tzinfo is None:
            errors.setdefault("time", []).append("Not a valid aware datetime.")
    if errors:
        raise ContractViolation("invalid CloudEvents envelope", errors)
    return {**body, "id": event_id, "time": time}


def parse_event(body: Any) -> Event:
    """Validate a received envelope and its data; raises ContractViolation.

    A consumer tolerates what a newer producer may add: unknown extension
    attributes and unknown (optional, by the versioning rule) data fields are
    ignored. Producers are strict: ``build_event`` refuses unknown fields.
    """
    if not isinstance(body, dict):
        raise ContractViolation("event body is not a JSON object")
    envelope = _load_envelope(body)
    try:
        contract = contract_for(envelope["type"])
    except KeyError as exc:
        raise ContractViolation(str(exc)) from exc
    schema, compiled, _names = _schema_of(contract)
    try:
        if compiled is None:
            raise Unsure
        data = compiled.load(envelope["data"])
    except Unsure:
        try:
            data = schema.load(envelope["data"], unknown=EXCLUDE)
        except ValidationError as exc:
            raise ContractViolation(f"{envelope['type']} data does not match its schema",
                                    exc.messages) from exc
    return Event(
        id=str(envelope["id"]),
        type=envelope["type"],
        source=envelope["source"],
        subject=envelope["subject"],
        tenant_id=envelope["tenantid"],
        time=envelope["time"],
        data=data,
        correlation_id=envelope.get("correlationid"),
        causation_id=envelope.get("causationid"),
        actor=envelope.get("actor"),
        raw=body,
    )
