"""Generate the AsyncAPI 3.0.0 document of every registered event from the registry.

The document is derived, never hand-written: ``docs/asyncapi.yaml`` at the
repository root is produced by ``make asyncapi`` (``python -m cae_contracts.asyncapi
--write docs/asyncapi.yaml``) and CI checks it is not stale (``--check``).

It also holds a small marshmallow 4 -> JSON Schema converter. The output is the
JSON Schema dialect of AsyncAPI's default schema format (a superset of JSON
Schema draft-07). Choices worth knowing:

* ``Decimal`` (and ``Integer``/``Float``) fields declared with ``as_string=True``
  are JSON strings on the wire, so they become ``type: string`` with a decimal
  ``pattern``; without ``as_string`` they become ``type: number``/``integer``.
  Prefer ``as_string=True`` for money: JSON numbers lose precision in many
  consumers. A ``Range`` on a string decimal is kept as ``x-minimum`` /
  ``x-maximum`` (JSON Schema bounds only apply to numbers).
* ``Regexp`` becomes ``pattern`` from ``validator.regex.pattern``. marshmallow
  uses ``re.match`` (anchored at the start), JSON Schema searches anywhere, so a
  pattern not starting with ``^`` is wrapped as ``^(?:...)``. Python named groups
  ``(?P<name>...)`` are rewritten to the ECMA-262 form ``(?<name>...)``.
* ``allow_none`` adds ``"null"`` to ``type`` (and ``None`` to ``enum``).
* ``unknown = RAISE`` gives ``additionalProperties: false``; other settings
  leave extra properties allowed.
* Fields or validators the converter does not know raise ``NotImplementedError``:
  extend this module rather than publish a document looser than the contract.
  Schema-level validators (``@validates_schema``) cannot be expressed and are
  not represented.
"""

from __future__ import annotations

import argparse
import re
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from cae_contracts.envelope import SPECVERSION, CloudEventSchema
from cae_contracts.registry import BATCH_CONTENT_TYPE, CONTENT_TYPE, CONTRACTS, EventContract

ASYNCAPI_VERSION = "3.0.0"
AMQP_BINDING_VERSION = "0.3.0"
TITLE = "CAE platform events"
SERVER_NAME = "production"
SERVER_HOST = "rabbitmq:5672"
VHOST = "/"
ENVELOPE_SCHEMA_NAME = "CloudEventEnvelope"
PERSISTENT = 2
STALE_HINT = "run make asyncapi"

HEADER = (
    "# Generated from the cae_contracts registry by `python -m cae_contracts.asyncapi --write`.\n"
    "# Do not edit by hand: change the contracts and run `make asyncapi`.\n"
)

DESCRIPTION = f"""\
Every domain event of the CAE platform, as published on RabbitMQ.

Envelope: each message body is a CloudEvents {SPECVERSION} envelope in structured JSON mode
(AMQP content type `{CONTENT_TYPE}`). The envelope carries `specversion`,
`id` (a UUID, also the AMQP message id), `source` (`/cae/<service>`), `type`,
`time`, `subject` (the id of the aggregate the event is about), `tenantid` (the
cooperative the event belongs to), `datacontenttype` (`application/json`) and the
event `data`. The extensions `correlationid` (the request or business flow the
event belongs to), `causationid` (the message that caused it) and `actor` (who caused
it: the caller of the request at the origin of the flow) are optional.

Batches: a high-volume event type (its channel says so) is published in CloudEvents
batched mode instead: each message is a JSON array of up to the channel's number of
envelopes of that type (AMQP content type `{BATCH_CONTENT_TYPE}`), in the order they
happened, each exactly what a single-event message of the type would carry (the AMQP
message id is the first event's). Subscribers handle and de-duplicate each element on
its own; a batch may hold an event delivered before.

Exchanges and routing keys: a service publishes to its own durable topic exchange
`<service>.events` (for example `members.events`) with the event type as routing
key (for example `cae.members.member_joined.v1`). Messages are persistent
(delivery mode 2) and published with `mandatory`. Subscribers bind their own
queues with exact types or patterns such as `cae.members.#`.

Validation: publishers validate `data` against the registered marshmallow
schema and the envelope before publishing; subscribers should validate what they
receive with `cae_contracts.parse_event(json.loads(body))`, which rejects unknown
types, missing envelope attributes, unknown keys and data not matching the
contract. The payload schemas below are generated from the same marshmallow
schemas.

Versioning: the type ends with its major version (`.v1`). A version only grows
by optional fields, so existing subscribers keep working. Any breaking change
(removing or renaming a field, making one required, narrowing a value) is a new
type beside the old one (`.v2`), and the publisher emits both while subscribers
migrate.
"""

# envelope attributes described here since CloudEventSchema has no field metadata
ENVELOPE_DESCRIPTIONS = {
    "specversion": "CloudEvents specification version.",
    "id": "Unique id of the event; subscribers de-duplicate on it (also the AMQP message id).",
    "source": "Publishing service, `/cae/<service>`.",
    "type": "Event type, `cae.<service>.<name>.v<N>`; also the AMQP routing key.",
    "time": "When the event happened (RFC 3339 with offset).",
    "subject": "Id of the aggregate the event is about (a field of `data`).",
    "tenantid": "Cooperative (tenant) the event belongs to.",
    "datacontenttype": "Content type of `data`.",
    "correlationid": "Extension: the request or business flow the event belongs to.",
    "causationid": "Extension: id of the message (command or event) that caused this event.",
    "actor": "Extension: who caused the change (the subject of the token at the origin of the flow).",
    "data": "The event payload, described by the contract of `type`.",
}

_DECIMAL_PATTERN = r"^-?\d+(\.\d+)?$"
_INTEGER_STRING_PATTERN = r"^-?\d+$"
_NUMBER_STRING_PATTERN = r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$"


# --------------------------------------------------------------------------- converter


def _ecma_pattern(pattern: str) -> str:
    """A Python ``re.match`` pattern as an (unanchored-search) ECMA-262 pattern."""
    pattern = pattern.replace("(?P<", "(?<")
    pattern = re.sub(r"\(\?P=(\w+)\)", r"\\k<\1>", pattern)
    if not pattern.startswith("^"):
        pattern = f"^(?:{pattern})"
    return pattern


def _apply_validator(schema: dict[str, Any], validator: Any, field: fields.Field) -> None:
    kind = schema.get("type")
    if isinstance(validator, validate.And):
        for inner in validator.validators:
            _apply_validator(schema, inner, field)
    elif isinstance(validator, validate.ContainsOnly):
        schema.setdefault("items", {})["enum"] = list(validator.choices)
    elif isinstance(validator, validate.ContainsNoneOf):
        schema.setdefault("items", {})["not"] = {"enum": list(validator.iterable)}
    elif isinstance(validator, validate.OneOf):
        schema["enum"] = list(validator.choices)
    elif isinstance(validator, validate.NoneOf):
        schema["not"] = {"enum": list(validator.iterable)}
    elif isinstance(validator, validate.Equal):
        schema["const"] = validator.comparable
    elif isinstance(validator, validate.Regexp):
        schema["pattern"] = _ecma_pattern(validator.regex.pattern)
    elif isinstance(validator, validate.Length):
        if kind == "array":
            low, high = "minItems", "maxItems"
        elif kind == "object":
            low, high = "minProperties", "maxProperties"
        else:
            low, high = "minLength", "maxLength"
        if validator.equal is not None:
            schema[low] = schema[high] = validator.equal
        else:
            if validator.min is not None:
                schema[low] = validator.min
            if validator.max is not None:
                schema[high] = validator.max
    elif isinstance(validator, validate.Range):
        numeric = kind in ("integer", "number")
        prefix = "" if numeric else "x-"
        for bound, inclusive, name in (
            (validator.min, validator.min_inclusive, "minimum"),
            (validator.max, validator.max_inclusive, "maximum"),
        ):
            if bound is None:
                continue
            value = _json_number(bound) if numeric else str(bound)
            if inclusive:
                schema[f"{prefix}{name}"] = value
            else:
                schema[f"{prefix}exclusive{name.capitalize()}"] = value
    elif isinstance(validator, validate.Email):
        schema["format"] = "email"
    elif isinstance(validator, validate.URL):
        schema["format"] = "uri"
    else:
        raise NotImplementedError(
            f"cannot express validator {validator!r} of field {field.name!r} in JSON Schema; "
            "extend cae_contracts.asyncapi"
        )


def _json_number(value: Any) -> int | float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    as_float = float(value)
    return int(as_float) if as_float.is_integer() else as_float


def _number_schema(field: fields.Number) -> dict[str, Any]:
    if isinstance(field, fields.Decimal):
        if field.as_string:
            if field.places is not None:
                places = -field.places.as_tuple().exponent
                pattern = rf"^-?\d+(\.\d{{1,{places}}})?$" if places > 0 else r"^-?\d+$"
            else:
                pattern = _DECIMAL_PATTERN
            return {"type": "string", "pattern": pattern}
        return {"type": "number"}
    if isinstance(field, fields.Integer):
        if field.as_string:
            return {"type": "string", "pattern": _INTEGER_STRING_PATTERN}
        return {"type": "integer"}
    if field.as_string:
        return {"type": "string", "pattern": _NUMBER_STRING_PATTERN}
    return {"type": "number"}


def _field_type_schema(field: fields.Field, stack: tuple[type, ...]) -> dict[str, Any]:
    """The JSON Schema of a field's value, before validators and nullability."""
    if isinstance(field, fields.Pluck):
        raise NotImplementedError(f"field {field.name!r}: Pluck is not supported")
    if isinstance(field, fields.Nested):
        nested = field.schema
        unknown = field.unknown or nested.unknown
        item = schema_to_json_schema(nested, unknown=unknown, _stack=stack)
        return {"type": "array", "items": item} if field.many else item
    if isinstance(field, fields.List):
        return {"type": "array", "items": field_to_json_schema(field.inner, _stack=stack)}
    if isinstance(field, fields.Mapping):
        out: dict[str, Any] = {"type": "object"}
        if field.key_field is not None:
            keys = field_to_json_schema(field.key_field, _stack=stack)
            keys.pop("type", None)
            if keys:
                out["propertyNames"] = keys
        if field.value_field is not None:
            out["additionalProperties"] = field_to_json_schema(field.value_field, _stack=stack)
        return out
    if isinstance(field, fields.Email):
        return {"type": "string", "format": "email"}
    if isinstance(field, fields.URL):
        return {"type": "string", "format": "uri"}
    if isinstance(field, fields.UUID):
        return {"type": "string", "format": "uuid"}
    if isinstance(field, fields.String):
        return {"type": "string"}
    if isinstance(field, fields.DateTime):  # also AwareDateTime and NaiveDateTime
        if field.format not in (None, "iso", "iso8601", "rfc3339"):
            raise NotImplementedError(f"field {field.name!r}: DateTime format {field.format!r}")
        return {"type": "string", "format": "date-time"}
    if isinstance(field, fields.Date):
        if field.format not in (None, "iso", "iso8601"):
            raise NotImplementedError(f"field {field.name!r}: Date format {field.format!r}")
        return {"type": "string", "format": "date"}
    if isinstance(field, fields.Time):
        if field.format not in (None, "iso", "iso8601"):
            raise NotImplementedError(f"field {field.name!r}: Time format {field.format!r}")
        return {"type": "string", "format": "time"}
    if isinstance(field, fields.Number):
        return _number_schema(field)
    if isinstance(field, fields.Boolean):
        return {"type": "boolean"}
    if isinstance(field, fields.Enum):
        if field.by_value is False:
            return {"type": "string", "enum": [member.name for member in field.enum]}
        return {"enum": [member.value for member in field.enum]}
    if isinstance(field, fields.Constant):
        return {"const": field.constant}
    if type(field) is fields.Raw:
        return {}
    raise NotImplementedError(
        f"cannot express field {field.name!r} ({type(field).__name__}) in JSON Schema; "
        "extend cae_contracts.asyncapi"
    )


def field_to_json_schema(field: fields.Field, *, _stack: tuple[type, ...] = ()) -> dict[str, Any]:
    """The JSON Schema of one marshmallow field (validators, nullability, description)."""
    out = _field_type_schema(field, _stack)
    for validator in field.validators:
        _apply_validator(out, validator, field)
    if field.allow_none:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        if "const" in out:
            out["enum"] = [out.pop("const"), None]
        elif "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    description = field.metadata.get("description")
    if description:
        out = {"description": description, **out}
    return out


def schema_to_json_schema(
    schema: type[Schema] | Schema,
    *,
    unknown: str | None = None,
    _stack: tuple[type, ...] = (),
) -> dict[str, Any]:
    """The JSON Schema (an object) of a marshmallow schema class or instance.

    Properties follow the declared field order and are named by ``data_key``;
    fields that never appear on the wire (``load_only`` or ``dump_only``) are left out.
    """
    instance = schema() if isinstance(schema, type) else schema
    cls = type(instance)
    if cls in _stack:
        raise NotImplementedError(f"recursive schema {cls.__name__} is not supported")
    stack = (*_stack, cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, field in instance.fields.items():
        if field.load_only or field.dump_only:
            continue
        key = field.data_key or name
        properties[key] = field_to_json_schema(field, _stack=stack)
        if field.required:
            required.append(key)
    out: dict[str, Any] = {"title": cls.__name__, "type": "object"}
    doc = cls.__dict__.get("__doc__")
    if doc:
        out["description"] = " ".join(doc.split())
    out["properties"] = properties
    if required:
        out["required"] = required
    if (unknown or instance.unknown) == RAISE:
        out["additionalProperties"] = False
    return out


# --------------------------------------------------------------------------- document


def envelope_json_schema() -> dict[str, Any]:
    """The shared CloudEvents envelope, whatever the type (``data`` is any object)."""
    out = schema_to_json_schema(CloudEventSchema)
    out["title"] = ENVELOPE_SCHEMA_NAME
    out["description"] = (
        f"CloudEvents {SPECVERSION} structured-mode envelope shared by every event; "
        "each message payload narrows `type`, `source` and `data`."
    )
    for key, prop in out["properties"].items():
        if key in ENVELOPE_DESCRIPTIONS and "description" not in prop:
            out["properties"][key] = {"description": ENVELOPE_DESCRIPTIONS[key], **prop}
    return out


def payload_json_schema(contract: EventContract) -> dict[str, Any]:
    """The full envelope of one event type, with ``data`` converted from its contract."""
    out = envelope_json_schema()
    out["title"] = f"{contract.schema.__name__}Envelope"
    out["description"] = f"CloudEvents envelope of {contract.type}."
    props = out["properties"]
    props["type"] = {
        "description": props["type"]["description"],
        "type": "string",
        "const": contract.type,
    }
    props["source"] = {
        "description": props["source"]["description"],
        "type": "string",
        "const": f"/cae/{contract.service}",
    }
    props["subject"] = {
        **props["subject"],
        "description": f"Id of the aggregate the event is about: the value of `data.{contract.subject}`.",
    }
    props["data"] = {"description": contract.summary, **schema_to_json_schema(contract.schema)}
    return out


def message_json_schema(contract: EventContract) -> dict[str, Any]:
    """A message's body: the envelope, or an array of them for a contract published in
    batches."""
    envelope = payload_json_schema(contract)
    if not contract.batch:
        return envelope
    return {"title": f"{contract.schema.__name__}Batch", "type": "array", "minItems": 1,
            "maxItems": contract.batch, "items": envelope,
            "description": f"A CloudEvents JSON batch of up to {contract.batch} {contract.type}."}


def _document_version() -> str:
    try:
        return metadata.version("cae-contracts")
    except metadata.PackageNotFoundError:  # pragma: no cover - source checkout without install
        return "0.0.0"


def build_document(contracts: dict[str, EventContract] | None = None) -> dict[str, Any]:
    """The AsyncAPI 3.0.0 document as plain data (deterministic: sorted by type)."""
    contracts = CONTRACTS if contracts is None else contracts
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for type_ in sorted(contracts):
        contract = contracts[type_]
        key = type_  # channel, operation and message ids are the type itself
        channels[key] = {
            "address": type_,
            "title": type_,
            "description": (
                f"Routing key `{type_}` on the topic exchange `{contract.exchange}`. "
                f"{contract.summary}"
                + (f" Published in batches of up to {contract.batch} events a message "
                   f"(`{BATCH_CONTENT_TYPE}`)." if contract.batch else "")
            ),
            "servers": [{"$ref": f"#/servers/{SERVER_NAME}"}],
            "messages": {key: {"$ref": f"#/components/messages/{key}"}},
            "bindings": {
                "amqp": {
                    "is": "routingKey",
                    "exchange": {
                        "name": contract.exchange,
                        "type": "topic",
                        "durable": True,
                        "autoDelete": False,
                        "vhost": VHOST,
                    },
                    "bindingVersion": AMQP_BINDING_VERSION,
                }
            },
        }
        operations[key] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{key}"},
            "title": f"Publish {type_}",
            "summary": contract.summary,
            "description": f"The {contract.service} service publishes this event to `{contract.exchange}`.",
            "messages": [{"$ref": f"#/channels/{key}/messages/{key}"}],
            "bindings": {
                "amqp": {
                    "deliveryMode": PERSISTENT,
                    "mandatory": True,
                    "bindingVersion": AMQP_BINDING_VERSION,
                }
            },
        }
        messages[key] = {
            "name": type_,
            "title": contract.schema.__name__,
            "summary": contract.summary,
            **({"description": f"Deprecated: {contract.deprecated}", "deprecated": True}
               if contract.deprecated else {}),
            "contentType": BATCH_CONTENT_TYPE if contract.batch else CONTENT_TYPE,
            "correlationId": {
                "description": "The request or business flow the event belongs to.",
                "location": "$message.payload#/correlationid",
            },
            "payload": message_json_schema(contract),
            "bindings": {
                "amqp": {
                    "messageType": type_,
                    "bindingVersion": AMQP_BINDING_VERSION,
                }
            },
        }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": TITLE,
            "version": _document_version(),
            "description": DESCRIPTION,
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            SERVER_NAME: {
                "host": SERVER_HOST,
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
                "description": "The platform's RabbitMQ broker (placeholder host; use your deployment's).",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": {ENVELOPE_SCHEMA_NAME: envelope_json_schema()},
            "messages": messages,
        },
    }


def to_yaml(document: dict[str, Any]) -> str:
    """Deterministic YAML (block literals for multi-line text, no anchors); also used by
    the kit's OpenAPI generator."""
    import yaml  # only needed to render; the contracts themselves do not depend on it

    class _Dumper(yaml.SafeDumper):
        pass

    def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    _Dumper.add_representer(str, _str)
    # never emit anchors/aliases for repeated sub-dicts
    _Dumper.ignore_aliases = lambda self, data: True  # type: ignore[method-assign]
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=100)


def render(document: dict[str, Any] | None = None) -> str:
    """The document as YAML text (with a do-not-edit header)."""
    return HEADER + to_yaml(build_document() if document is None else document)


def check(path: Path) -> str | None:
    """None when ``path`` holds the generated document, else why it does not."""
    if not path.exists():
        return f"{path} is missing: {STALE_HINT}"
    if path.read_text(encoding="utf-8") != render():
        return f"{path} is stale: {STALE_HINT}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cae_contracts.asyncapi",
        description="Generate the AsyncAPI 3.0.0 document of the CAE platform events.",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", metavar="PATH", type=Path, help="write the document to PATH")
    group.add_argument(
        "--check",
        metavar="PATH",
        type=Path,
        help="exit 1 if PATH differs from the generated document",
    )
    args = parser.parse_args(argv)
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(render(), encoding="utf-8")
        print(f"wrote {args.write}")
        return 0
    if args.check:
        problem = check(args.check)
        if problem:
            print(problem, file=sys.stderr)
            return 1
        print(f"{args.check} is up to date")
        return 0
    sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
