"""The generated AsyncAPI document, its marshmallow -> JSON Schema converter, and the envelope.

``jsonschema`` is not a dependency of the workspace, so ``_errors`` below is a
tiny validator for the JSON Schema subset the converter emits.
"""

from __future__ import annotations

import copy
import datetime as dt
import enum
import json
import re
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from cae_contracts import CONTRACTS, ContractViolation, asyncapi, build_event, parse_event
from cae_contracts.asyncapi import field_to_json_schema, schema_to_json_schema

REPO_ROOT = Path(__file__).resolve().parents[4]
DOC_PATH = REPO_ROOT / "docs" / "asyncapi.yaml"

COOP = uuid.UUID("0b6f1c1e-2d0e-4c55-9a57-3c5b2f0a8e11")
MEMBER = uuid.UUID("7d2a4b90-1f55-4a0e-8a1b-6c0e9f3d2a77")
PARIS = dt.timezone(dt.timedelta(hours=1))

# one valid data payload per registered type, as a publisher passes it to build_event
SAMPLES: dict[str, dict[str, Any]] = {
    "cae.payroll.run_started.v1": {
        "run_id": uuid.UUID("1f6c4a5e-6d7b-4abd-9d64-5f7c9a8b0cb3"), "cooperative_id": COOP,
        "period": "2026-03", "payslips_expected": 42, "started_by": "alice",
    },
    "cae.payroll.run_completed.v1": {
        "run_id": uuid.UUID("1f6c4a5e-6d7b-4abd-9d64-5f7c9a8b0cb3"), "cooperative_id": COOP,
        "period": "2026-03", "payslips": 42,
    },
    "cae.payroll.run_cancelled.v1": {
        "run_id": uuid.UUID("1f6c4a5e-6d7b-4abd-9d64-5f7c9a8b0cb3"), "cooperative_id": COOP,
        "period": "2026-03", "cancelled_on": dt.date(2026, 3, 20),
        "reason": "salaire de Léa à corriger", "cancelled_by": "alice",
    },
    "cae.payroll.budget_exceeded.v1": {
        "cooperative_id": COOP, "member_id": MEMBER, "activity_code": "GRAPH-01",
        "period": "2026-03", "gross_cents": 250000, "employer_cost_cents": 313665,
        "available_cents": 300000, "shortfall_cents": 13665, "reason": "advance agreed by the board",
    },
    "cae.payroll.payslip_requested.v1": {
        "run_id": uuid.UUID("1f6c4a5e-6d7b-4abd-9d64-5f7c9a8b0cb3"), "cooperative_id": COOP,
        "member_ids": [MEMBER], "period": "2026-03",
    },
    "cae.ledger.entry_posted.v1": {
        "cooperative_id": COOP, "entry_id": uuid.UUID("5f0c8a9e-0d1b-4a57-9d0e-9f1c3a2b4c5d"),
        "journal": "BQ", "entry_date": dt.date(2026, 2, 1), "piece_ref": "VIR-1",
        "label": "Encaissement VIR-1", "kind": "payment", "activity_code": "GRAPH-01",
        "reverses": None, "total_cents": 60000,
        "lines": [{"account": "512", "activity_code": "GRAPH-01", "debit_cents": 60000,
                   "credit_cents": 0},
                  {"account": "411-GRAPH-01", "activity_code": "GRAPH-01", "debit_cents": 0,
                   "credit_cents": 60000}],
    },
    "cae.ledger.activity_balance_changed.v1": {
        "cooperative_id": COOP, "activity_code": "GRAPH-01", "available_cents": 45000,
        "cash_received_cents": 50000, "contribution_cents": 5000, "expenses_cents": 0,
        "salary_costs_cents": 0, "as_of": dt.datetime(2026, 2, 1, 10, 0, tzinfo=PARIS),
        "last_entry_id": uuid.UUID("5f0c8a9e-0d1b-4a57-9d0e-9f1c3a2b4c5d"),
    },
    "cae.ledger.contribution_charged.v1": {
        "cooperative_id": COOP, "activity_code": "GRAPH-01",
        "entry_id": uuid.UUID("6a1d9b0f-1e2c-4b68-8e1f-0a2d4b3c5d6e"),
        "origin_entry_id": uuid.UUID("5f0c8a9e-0d1b-4a57-9d0e-9f1c3a2b4c5d"), "reason": "revenue",
        "charged_on": dt.date(2026, 2, 1), "base_cents": 50000, "amount_cents": 5000,
        "year_revenue_before_cents": 0, "schedule_effective_on": dt.date(2026, 1, 1),
    },
    "cae.ledger.period_closed.v1": {
        "cooperative_id": COOP, "period": "2026-01",
        "closed_at": dt.datetime(2026, 2, 10, 9, 0, tzinfo=PARIS), "minimum_contributions": 1,
        "minimum_contributions_cents": 15000,
    },
    "cae.bank.payment_received.v1": {
        "payment_id": uuid.UUID("7b2e0c1a-2f3d-4c79-9f20-1b3e5c4d6e7f"), "cooperative_id": COOP,
        "activity_code": "GRAPH-01", "received_on": dt.date(2026, 2, 1), "amount_cents": 60000,
        "vat_cents": 10000, "invoice_ref": "F2026-001", "bank_reference": "VIR-1", "label": None,
    },
    "cae.payroll.payslip_issued.v1": {
        "payslip_id": uuid.UUID("8c3f1d2b-3a4e-4d8a-8a31-2c4f6d5e7f80"),
        "run_id": uuid.UUID("9d4a2e3c-4b5f-4e9b-9b42-3d5a7e6f8a91"), "cooperative_id": COOP,
        "member_id": MEMBER, "activity_code": "GRAPH-01", "period": "2026-01",
        "paid_on": dt.date(2026, 1, 31), "gross_cents": 250000,
        "employee_contributions_cents": 52101, "employer_contributions_cents": 63540,
        "withholding_tax_cents": 0, "net_paid_cents": 197899, "urssaf_cents": 80000,
        "other_bodies_cents": 35641,
    },
    "cae.governance.contribution_rate_adopted.v1": {
        "resolution_id": uuid.UUID("0e5b3f4d-5c6a-4fac-8c53-4e6b8f7a9ba2"), "cooperative_id": COOP,
        "effective_on": dt.date(2026, 7, 1),
        "bands": [{"from_cents": 0, "rate": Decimal("0.1000")},
                  {"from_cents": 3500000, "rate": Decimal("0.0800")},
                  {"from_cents": 4500000, "rate": Decimal("0.0600")}],
        "monthly_minimum_cents": 15000, "activity_code": None,
    },
    "cae.members.cooperative_registered.v1": {
        "cooperative_id": COOP,
        "name": "Coopaname",
        "siren": "448762526",
        "legal_form": "SCOP-SA",
        "registered_at": dt.datetime(2024, 3, 1, 9, 30, tzinfo=PARIS),
    },
    "cae.members.member_joined.v1": {
        "member_id": MEMBER,
        "cooperative_id": COOP,
        "first_name": "Camille",
        "last_name": "Durand",
        "joined_on": dt.date(2024, 3, 4),
        "activity_code": "GRAPH-01",
        "activity_name": "Graphisme",
    },
    "cae.members.member_joined.v2": {
        "member_id": MEMBER,
        "cooperative_id": COOP,
        "first_name": "Camille",
        "last_name": "Durand",
        "joined_on": dt.date(2024, 3, 4),
    },
    "cae.ledger.activity_accounts_opened.v1": {
        "cooperative_id": COOP,
        "activity_code": "GRAPH-01",
        "member_id": None,
        "accounts": ["706100", "411000"],
    },
    "cae.members.cooperative_updated.v1": {
        "cooperative_id": COOP, "effective_on": dt.date(2026, 7, 1), "name": "Coopaname",
        "legal_form": "SCOP-SA", "statute_profile": "scop-sa",
        "default_contribution_rate": Decimal("0.1200"), "staff_size_bracket": "50_and_more",
        "changed": ["default_contribution_rate"],
    },
    "cae.members.contract_signed.v1": {
        "contract_id": uuid.UUID(int=7), "member_id": MEMBER, "cooperative_id": COOP,
        "kind": "CESA", "signed_on": dt.date(2025, 11, 1), "ends_on": None,
        "trial_ends_on": dt.date(2026, 1, 1), "associate_deadline": dt.date(2028, 1, 1),
    },
    "cae.members.contract_ended.v1": {
        "contract_id": uuid.UUID(int=7), "member_id": MEMBER, "cooperative_id": COOP,
        "kind": "CAPE", "ended_on": dt.date(2025, 11, 1), "reason": "CESA signed",
    },
    "cae.members.member_became_associate.v1": {
        "member_id": MEMBER, "cooperative_id": COOP, "associate_on": dt.date(2027, 6, 30),
        "associate_deadline": dt.date(2028, 1, 1),
    },
    "cae.members.associate_deadline_approaching.v1": {
        "member_id": MEMBER, "cooperative_id": COOP, "associate_deadline": dt.date(2028, 1, 1),
        "days_left": 90, "alert": "approaching_90",
    },
    "cae.members.associate_deadline_missed.v1": {
        "member_id": MEMBER, "cooperative_id": COOP, "associate_deadline": dt.date(2028, 1, 1),
    },
    "cae.members.activity_opened.v1": {
        "activity_id": uuid.UUID(int=9), "cooperative_id": COOP, "code": "BOULANGE",
        "name": "Boulangerie", "opened_on": dt.date(2026, 1, 5), "member_ids": [MEMBER],
        "contribution_rate": Decimal("0.0800"),
    },
    "cae.members.activity_closed.v1": {
        "activity_id": uuid.UUID(int=9), "cooperative_id": COOP, "code": "BOULANGE",
        "closed_on": dt.date(2026, 12, 31),
    },
    "cae.members.member_left.v1": {
        "member_id": MEMBER, "cooperative_id": COOP, "left_on": dt.date(2026, 12, 31),
        "reason": "found a salaried job",
    },
}


# --------------------------------------------------------------------------- a tiny validator

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _format_ok(fmt: str, value: str) -> bool:
    try:
        if fmt == "uuid":
            uuid.UUID(value)
            return bool(re.fullmatch(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}", value))
        if fmt == "date":
            dt.date.fromisoformat(value)
            return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value))
        if fmt == "date-time":
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None
        if fmt == "time":
            dt.time.fromisoformat(value)
            return True
        if fmt == "email":
            return bool(re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value))
        if fmt == "uri":
            return bool(re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", value))
    except ValueError:
        return False
    raise AssertionError(f"unknown format {fmt!r}")


def _python_pattern(pattern: str) -> str:
    return pattern.replace("(?<", "(?P<").replace("(?P<=", "(?<=").replace("(?P<!", "(?<!")


def _errors(schema: dict[str, Any], value: Any, path: str = "$") -> list[str]:
    """Violations of ``schema`` by ``value`` (the subset of JSON Schema the converter emits)."""
    out: list[str] = []
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_TYPES[k](value) for k in kinds):
            return [f"{path}: {value!r} is not of type {kinds}"]
    if "const" in schema and value != schema["const"]:
        out.append(f"{path}: {value!r} != const {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{path}: {value!r} not in enum {schema['enum']}")
    if "not" in schema and not _errors(schema["not"], value, path):
        out.append(f"{path}: {value!r} matches a forbidden schema")
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            out.append(f"{path}: shorter than {schema['minLength']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            out.append(f"{path}: longer than {schema['maxLength']}")
        if "pattern" in schema and not re.search(_python_pattern(schema["pattern"]), value):
            out.append(f"{path}: {value!r} does not match {schema['pattern']!r}")
        if "format" in schema and not _format_ok(schema["format"], value):
            out.append(f"{path}: {value!r} is not a {schema['format']}")
    if _TYPES["number"](value):
        if "minimum" in schema and value < schema["minimum"]:
            out.append(f"{path}: below {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            out.append(f"{path}: above {schema['maximum']}")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            out.append(f"{path}: not above {schema['exclusiveMinimum']}")
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            out.append(f"{path}: not below {schema['exclusiveMaximum']}")
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            out.append(f"{path}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            out.append(f"{path}: more than {schema['maxItems']} items")
        for i, item in enumerate(value):
            out += _errors(schema.get("items", {}), item, f"{path}[{i}]")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                out.append(f"{path}: missing required {key!r}")
        if "minProperties" in schema and len(value) < schema["minProperties"]:
            out.append(f"{path}: fewer than {schema['minProperties']} properties")
        if "maxProperties" in schema and len(value) > schema["maxProperties"]:
            out.append(f"{path}: more than {schema['maxProperties']} properties")
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if "propertyNames" in schema:
                out += _errors({"type": "string", **schema["propertyNames"]}, key, f"{path}<{key}>")
            if key in props:
                out += _errors(props[key], item, f"{path}.{key}")
            elif extra is False:
                out.append(f"{path}: unexpected property {key!r}")
            elif isinstance(extra, dict):
                out += _errors(extra, item, f"{path}.{key}")
    return out


def test_the_tiny_validator_catches_what_it_claims():
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": ["string", "null"], "pattern": "^x", "maxLength": 3},
            "b": {"type": "array", "items": {"type": "integer", "minimum": 1}, "maxItems": 2},
        },
        "required": ["a"],
        "additionalProperties": False,
    }
    assert _errors(schema, {"a": "xy", "b": [1, 2]}) == []
    assert _errors(schema, {"a": None}) == []
    assert _errors(schema, {}) != []
    assert _errors(schema, {"a": "yy"}) != []
    assert _errors(schema, {"a": "xyzw"}) != []
    assert _errors(schema, {"a": "x", "c": 1}) != []
    assert _errors(schema, {"a": "x", "b": [0]}) != []
    assert _errors(schema, {"a": "x", "b": [1, 1, 1]}) != []
    assert _errors(schema, {"a": "x", "b": [True]}) != []


# --------------------------------------------------------------------------- the document


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return asyncapi.build_document()


def test_checked_in_document_is_not_stale():
    assert DOC_PATH.exists(), f"{DOC_PATH} is missing: run make asyncapi"
    assert DOC_PATH.read_text(encoding="utf-8") == asyncapi.render(), (
        "docs/asyncapi.yaml is stale: run make asyncapi"
    )


def test_cli_check_reports_a_stale_file(tmp_path, capsys):
    path = tmp_path / "asyncapi.yaml"
    assert asyncapi.main(["--check", str(path)]) == 1
    assert "run make asyncapi" in capsys.readouterr().err
    assert asyncapi.main(["--write", str(path)]) == 0
    assert asyncapi.main(["--check", str(path)]) == 0
    path.write_text(path.read_text() + "# edited by hand\n")
    assert asyncapi.main(["--check", str(path)]) == 1
    assert f"{path} is stale: run make asyncapi" in capsys.readouterr().err


def test_rendering_is_deterministic_and_round_trips(document):
    text = asyncapi.render()
    assert text == asyncapi.render()
    assert yaml.safe_load(text) == json.loads(json.dumps(document))


def test_document_header(document):
    assert document["asyncapi"] == "3.0.0"
    assert document["info"]["title"] == "CAE platform events"
    assert document["info"]["version"]
    description = " ".join(document["info"]["description"].split())
    for words in (
        "CloudEvents",
        "<service>.events",
        "routing key",
        "parse_event",
        "only grows by optional fields",
        "new type beside the old one",
    ):
        assert words in description
    server = document["servers"]["production"]
    assert server["host"] == "rabbitmq:5672"
    assert server["protocol"] == "amqp"
    assert list(document["channels"]) == sorted(CONTRACTS)


def test_document_parses_as_yaml_with_the_same_channels():
    loaded = yaml.safe_load(DOC_PATH.read_text(encoding="utf-8"))
    assert loaded["asyncapi"] == "3.0.0"
    assert set(loaded["channels"]) == set(CONTRACTS)


@pytest.mark.parametrize("type_", sorted(CONTRACTS))
def test_every_contract_has_a_channel_operation_and_message(document, type_):
    contract = CONTRACTS[type_]
    channel = document["channels"][type_]
    assert channel["address"] == type_
    binding = channel["bindings"]["amqp"]
    assert binding["is"] == "routingKey"
    assert binding["exchange"] == {
        "name": f"{contract.service}.events",
        "type": "topic",
        "durable": True,
        "autoDelete": False,
        "vhost": "/",
    }
    assert binding["exchange"]["name"] == contract.exchange
    assert channel["messages"][type_] == {"$ref": f"#/components/messages/{type_}"}

    operation = document["operations"][type_]
    assert operation["action"] == "send"
    assert operation["channel"] == {"$ref": f"#/channels/{type_}"}
    assert operation["summary"] == contract.summary
    assert operation["messages"] == [{"$ref": f"#/channels/{type_}/messages/{type_}"}]
    assert operation["bindings"]["amqp"]["deliveryMode"] == 2

    message = document["components"]["messages"][type_]
    assert message["name"] == type_
    payload = message["payload"]
    if contract.batch:  # a JSON array of envelopes
        assert message["contentType"] == "application/cloudevents-batch+json"
        assert (payload["type"], payload["maxItems"]) == ("array", contract.batch)
        payload = payload["items"]
    else:
        assert message["contentType"] == "application/cloudevents+json"
    assert payload["properties"]["type"]["const"] == type_
    assert payload["properties"]["source"]["const"] == f"/cae/{contract.service}"
    assert payload["properties"]["data"]["title"] == contract.schema.__name__
    assert payload["properties"]["data"] == {
        "description": contract.summary,
        **schema_to_json_schema(contract.schema),
    }
    envelope = document["components"]["schemas"]["CloudEventEnvelope"]
    assert set(payload["properties"]) == set(envelope["properties"])
    assert payload["required"] == envelope["required"]
    assert payload["additionalProperties"] is False


def test_references_resolve(document):
    def resolve(ref: str) -> Any:
        node: Any = document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                refs.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    assert refs
    for ref in refs:
        assert resolve(ref) is not None, ref


def test_envelope_component():
    envelope = asyncapi.envelope_json_schema()
    assert envelope["additionalProperties"] is False
    assert envelope["required"] == [
        "specversion",
        "id",
        "source",
        "type",
        "time",
        "subject",
        "tenantid",
        "datacontenttype",
        "data",
    ]
    props = envelope["properties"]
    assert props["specversion"]["const"] == "1.0"
    assert props["id"]["format"] == "uuid"
    assert props["time"]["format"] == "date-time"
    assert props["datacontenttype"]["const"] == "application/json"
    assert props["correlationid"]["maxLength"] == 128
    assert props["causationid"]["maxLength"] == 128
    # Python named groups are rewritten for ECMA-262
    assert "(?P<" not in props["type"]["pattern"]
    assert "(?<service>" in props["type"]["pattern"]


# --------------------------------------------------------------------------- the converter


def _field(field: fields.Field) -> dict[str, Any]:
    class _S(Schema):
        f = field

    return schema_to_json_schema(_S)["properties"]["f"]


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        (fields.String(), {"type": "string"}),
        (fields.UUID(), {"type": "string", "format": "uuid"}),
        (fields.Date(), {"type": "string", "format": "date"}),
        (fields.AwareDateTime(), {"type": "string", "format": "date-time"}),
        (fields.DateTime(), {"type": "string", "format": "date-time"}),
        (fields.NaiveDateTime(), {"type": "string", "format": "date-time"}),
        (fields.Time(), {"type": "string", "format": "time"}),
        (fields.Integer(), {"type": "integer"}),
        (fields.Float(), {"type": "number"}),
        (fields.Boolean(), {"type": "boolean"}),
        (fields.Email(), {"type": "string", "format": "email"}),
        (fields.URL(), {"type": "string", "format": "uri"}),
        (fields.Dict(), {"type": "object"}),
        (fields.Raw(), {}),
        (fields.Constant("x"), {"const": "x"}),
        (fields.Decimal(), {"type": "number"}),
        (fields.Decimal(as_string=True), {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}),
        (
            fields.Decimal(places=2, as_string=True),
            {"type": "string", "pattern": r"^-?\d+(\.\d{1,2})?$"},
        ),
        (fields.Decimal(places=0, as_string=True), {"type": "string", "pattern": r"^-?\d+$"}),
        (fields.Integer(as_string=True), {"type": "string", "pattern": r"^-?\d+$"}),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, fields.Field) else None,
)
def test_field_types(field, expected):
    assert _field(field) == expected


def test_string_decimal_pattern_matches_what_marshmallow_dumps():
    class _S(Schema):
        amount = fields.Decimal(places=2, as_string=True)
        free = fields.Decimal(as_string=True)

    schema = schema_to_json_schema(_S)
    for value in ("12.3", "-0.5", "1000", "0.005", "1E+3"):
        dumped = _S().dump({"amount": Decimal(value), "free": Decimal(value)})
        assert _errors(schema, dumped) == [], dumped
    assert _errors(schema, {"amount": "12.345"}) != []
    assert _errors(schema, {"free": "12,3"}) != []


def test_required_and_declared_order_and_data_key():
    class _S(Schema):
        b = fields.String(required=True)
        a = fields.Integer()
        c = fields.String(required=True, data_key="see")
        hidden = fields.String(load_only=True)
        computed = fields.String(dump_only=True)

    out = schema_to_json_schema(_S)
    assert list(out["properties"]) == ["b", "a", "see"]
    assert out["required"] == ["b", "see"]
    assert out["title"] == "_S"


def test_unknown_raise_forbids_additional_properties():
    class Strict(Schema):
        class Meta:
            unknown = RAISE

        a = fields.String()

    class Lax(Schema):
        class Meta:
            unknown = EXCLUDE

        a = fields.String()

    assert schema_to_json_schema(Strict)["additionalProperties"] is False
    assert "additionalProperties" not in schema_to_json_schema(Lax)


def test_marshmallow_default_unknown_is_raise():
    class _S(Schema):
        a = fields.String()

    assert _S().unknown == RAISE
    assert schema_to_json_schema(_S)["additionalProperties"] is False


def test_allow_none():
    assert _field(fields.String(allow_none=True)) == {"type": ["string", "null"]}
    assert _field(fields.UUID(load_default=None)) == {"type": ["string", "null"], "format": "uuid"}
    assert _field(fields.String(allow_none=True, validate=validate.OneOf(["a", "b"]))) == {
        "type": ["string", "null"],
        "enum": ["a", "b", None],
    }
    assert _field(fields.String(allow_none=True, validate=validate.Equal("a"))) == {
        "type": ["string", "null"],
        "enum": ["a", None],
    }
    assert _field(fields.Nested(_Inner, allow_none=True))["type"] == ["object", "null"]


def test_description_from_metadata():
    out = _field(fields.String(metadata={"description": "what it is"}))
    assert out == {"description": "what it is", "type": "string"}


def test_validators():
    assert _field(fields.String(validate=validate.OneOf(["x", "y"]))) == {
        "type": "string",
        "enum": ["x", "y"],
    }
    assert _field(fields.String(validate=validate.Length(min=1, max=5))) == {
        "type": "string",
        "minLength": 1,
        "maxLength": 5,
    }
    assert _field(fields.String(validate=validate.Length(equal=9))) == {
        "type": "string",
        "minLength": 9,
        "maxLength": 9,
    }
    assert _field(fields.String(validate=validate.Regexp(r"^\d{9}$"))) == {
        "type": "string",
        "pattern": r"^\d{9}$",
    }
    assert _field(fields.Integer(validate=validate.Range(min=0, max=10))) == {
        "type": "integer",
        "minimum": 0,
        "maximum": 10,
    }
    assert _field(
        fields.Float(
            validate=validate.Range(min=0, max=1, min_inclusive=False, max_inclusive=False)
        )
    ) == {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}
    assert _field(fields.Decimal(as_string=True, validate=validate.Range(min=Decimal("0.01")))) == {
        "type": "string",
        "pattern": r"^-?\d+(\.\d+)?$",
        "x-minimum": "0.01",
    }
    assert _field(fields.String(validate=validate.Equal("1.0"))) == {
        "type": "string",
        "const": "1.0",
    }
    assert _field(fields.String(validate=validate.NoneOf(["root"]))) == {
        "type": "string",
        "not": {"enum": ["root"]},
    }
    assert _field(fields.String(validate=validate.Email())) == {"type": "string", "format": "email"}
    assert _field(
        fields.String(validate=validate.And(validate.Length(max=3), validate.OneOf(["ab"])))
    ) == {"type": "string", "maxLength": 3, "enum": ["ab"]}
    assert _field(fields.String(validate=[validate.Length(min=2), validate.Regexp("^a")])) == {
        "type": "string",
        "minLength": 2,
        "pattern": "^a",
    }


def test_regexp_is_anchored_like_re_match():
    out = _field(fields.String(validate=validate.Regexp(r"ab|cd")))
    assert out["pattern"] == "^(?:ab|cd)"
    assert _errors(out, "xab") != []  # re.match("ab|cd", "xab") fails too
    assert _errors(out, "cdx") == []


def test_list():
    assert _field(fields.List(fields.String(validate=validate.Regexp(r"^\d{3,8}")))) == {
        "type": "array",
        "items": {"type": "string", "pattern": r"^\d{3,8}"},
    }
    assert _field(fields.List(fields.Integer(), validate=validate.Length(min=1, max=3))) == {
        "type": "array",
        "items": {"type": "integer"},
        "minItems": 1,
        "maxItems": 3,
    }
    assert _field(fields.List(fields.String(), validate=validate.ContainsOnly(["a", "b"]))) == {
        "type": "array",
        "items": {"type": "string", "enum": ["a", "b"]},
    }


def test_dict():
    assert _field(fields.Dict(keys=fields.String(), values=fields.Integer())) == {
        "type": "object",
        "additionalProperties": {"type": "integer"},
    }
    assert _field(
        fields.Dict(
            keys=fields.String(validate=validate.Regexp("^[a-z]+$")),
            values=fields.String(),
            validate=validate.Length(max=4),
        )
    ) == {
        "type": "object",
        "propertyNames": {"pattern": "^[a-z]+$"},
        "additionalProperties": {"type": "string"},
        "maxProperties": 4,
    }


class _Inner(Schema):
    class Meta:
        unknown = RAISE

    code = fields.String(required=True, validate=validate.Length(max=4))


def test_nested():
    inner = {
        "title": "_Inner",
        "type": "object",
        "properties": {"code": {"type": "string", "maxLength": 4}},
        "required": ["code"],
        "additionalProperties": False,
    }
    assert _field(fields.Nested(_Inner, required=True)) == inner
    assert _field(fields.Nested(_Inner, many=True, validate=validate.Length(min=1))) == {
        "type": "array",
        "items": inner,
        "minItems": 1,
    }
    assert _field(fields.List(fields.Nested(_Inner))) == {"type": "array", "items": inner}
    lax = _field(fields.Nested(_Inner, unknown=EXCLUDE))
    assert "additionalProperties" not in lax


def test_enum_field():
    class Colour(enum.Enum):
        RED = "r"
        GREEN = "g"

    assert _field(fields.Enum(Colour)) == {"type": "string", "enum": ["RED", "GREEN"]}
    assert _field(fields.Enum(Colour, by_value=True)) == {"enum": ["r", "g"]}


def test_unsupported_fields_and_validators_are_refused():
    with pytest.raises(NotImplementedError, match="extend cae_contracts.asyncapi"):
        _field(fields.TimeDelta())
    with pytest.raises(NotImplementedError, match="extend cae_contracts.asyncapi"):
        _field(fields.String(validate=lambda value: value != "x"))


def test_recursive_schemas_are_refused():
    class Node(Schema):
        children = fields.List(fields.Nested(lambda: Node()))

    with pytest.raises(NotImplementedError, match="recursive"):
        schema_to_json_schema(Node)


def test_field_to_json_schema_on_an_unbound_field():
    assert field_to_json_schema(fields.UUID(required=True)) == {"type": "string", "format": "uuid"}


# --------------------------------------------------------------------------- real envelopes


def test_every_sample_is_a_registered_type():
    assert set(SAMPLES) == set(CONTRACTS), "every contract needs a sample"


@pytest.mark.parametrize("type_", sorted(SAMPLES))
def test_built_envelope_matches_the_generated_payload_schema(document, type_):
    body = build_event(
        type_,
        SAMPLES[type_],
        tenant_id=str(COOP),
        correlation_id="req-42",
        causation_id=str(uuid.uuid4()),
    )
    wire = json.loads(json.dumps(body))  # what a subscriber receives
    payload = document["components"]["messages"][type_]["payload"]
    if CONTRACTS[type_].batch:  # in a batch of events
        assert _errors(payload, [wire, wire]) == []
        assert _errors(payload, []) != [] and _errors(payload, wire) != []
        payload = payload["items"]
    assert _errors(payload, wire) == []
    assert _errors(document["components"]["schemas"]["CloudEventEnvelope"], wire) == []
    event = parse_event(wire)
    assert event.type == type_
    assert event.tenant_id == str(COOP)
    assert event.correlation_id == "req-42"
    assert event.subject == str(SAMPLES[type_][CONTRACTS[type_].subject])


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda b: b.pop("tenantid"), id="missing-tenantid"),
        pytest.param(lambda b: b.update(type="cae.members.nobody_knows.v1"), id="other-type"),
        pytest.param(lambda b: b.update(specversion="0.3"), id="specversion"),
        pytest.param(lambda b: b.update(id="not-a-uuid"), id="id"),
        pytest.param(lambda b: b.update(time="2024-03-04T10:00:00"), id="naive-time"),
        pytest.param(lambda b: b["data"].update(siren="12345"), id="data-pattern"),
        pytest.param(lambda b: b["data"].update(legal_form="SARL"), id="data-enum"),
        pytest.param(lambda b: b["data"].pop("name"), id="data-required"),
    ],
)
def test_schema_and_parse_event_agree_on_bad_envelopes(document, mutate):
    type_ = "cae.members.cooperative_registered.v1"
    body = json.loads(json.dumps(build_event(type_, SAMPLES[type_], tenant_id=str(COOP))))
    mutate(body)
    assert _errors(document["components"]["messages"][type_]["payload"], body) != []
    with pytest.raises(ContractViolation):
        parse_event(body)


def test_build_event_rejects_bad_data_naming_the_field():
    data = dict(SAMPLES["cae.members.cooperative_registered.v1"], siren="12345", legal_form="SARL")
    with pytest.raises(ContractViolation) as caught:
        build_event("cae.members.cooperative_registered.v1", data, tenant_id=str(COOP))
    assert set(caught.value.errors) == {"siren", "legal_form"}

    data = dict(SAMPLES["cae.members.member_joined.v1"])
    del data["first_name"]
    with pytest.raises(ContractViolation) as caught:
        build_event("cae.members.member_joined.v1", data, tenant_id=str(COOP))
    assert "first_name" in caught.value.errors

    # a key outside the contract never reaches the wire (build_event dumps through the schema)
    data = dict(SAMPLES["cae.members.member_joined.v1"], shoe_size=42)
    try:
        body = build_event("cae.members.member_joined.v1", data, tenant_id=str(COOP))
    except ContractViolation as exc:
        assert "shoe_size" in exc.errors
    else:
        assert "shoe_size" not in body["data"]


def test_build_event_rejects_an_unknown_type():
    with pytest.raises(KeyError, match="unknown event type"):
        build_event("cae.members.nobody_knows.v1", {}, tenant_id=str(COOP))


def _valid_body() -> dict[str, Any]:
    type_ = "cae.members.member_joined.v1"
    return copy.deepcopy(build_event(type_, SAMPLES[type_], tenant_id=str(COOP)))


def test_parse_event_rejects_an_unknown_type():
    body = _valid_body()
    body["type"] = "cae.members.nobody_knows.v1"
    with pytest.raises(ContractViolation, match="unknown event type"):
        parse_event(body)


def test_parse_event_rejects_a_missing_tenantid():
    body = _valid_body()
    del body["tenantid"]
    with pytest.raises(ContractViolation) as caught:
        parse_event(body)
    assert "tenantid" in caught.value.errors


def test_producers_are_strict_and_consumers_tolerant_of_additions():
    """The versioning rule: a version only grows by optional fields, so a consumer
    built on an older contract must accept a newer producer's additions, while the
    document (what producers send) and build_event refuse unknown fields."""
    type_ = "cae.members.cooperative_registered.v1"
    body = json.loads(json.dumps(build_event(type_, SAMPLES[type_], tenant_id=str(COOP))))
    body["newextension"] = "x"
    body["data"]["added_later"] = "y"
    event = parse_event(body)
    assert "added_later" not in event.data
    with pytest.raises(ContractViolation) as caught:
        build_event(type_, {**SAMPLES[type_], "added_later": "y"}, tenant_id=str(COOP))
    assert "added_later" in caught.value.errors


def test_parse_event_rejects_a_non_object():
    with pytest.raises(ContractViolation):
        parse_event(["not", "an", "object"])


def test_parse_event_rejects_bad_data_naming_the_field():
    body = _valid_body()
    body["data"]["joined_on"] = "yesterday"
    with pytest.raises(ContractViolation) as caught:
        parse_event(body)
    assert "joined_on" in caught.value.errors
