"""Generate the OpenAPI 3.1.0 document of a service from its ``@api`` endpoints.

The document is derived, never hand-written: ``docs/openapi/<service>.yaml`` is
produced by ``make openapi`` (``python -m caekit.openapi --write docs/openapi``)
and CI checks it is not stale (``--check docs/openapi``).

What comes from where:

* paths, methods, roles, public/bearer security and request bodies come from
  the :class:`caekit.http.ApiEndpoint` entrypoints of the service class (werkzeug
  ``<name>`` / ``<converter:name>`` segments become ``{name}`` string parameters);
  the operationId is the method name, the summary the docstring's first paragraph
  (its first line for a PEP 257 docstring);
* request (and response) JSON Schemas are converted from the marshmallow schemas
  by :func:`cae_contracts.asyncapi.schema_to_json_schema`, the converter the
  AsyncAPI document uses, so both documents describe fields the same way;
* the success response of each endpoint comes from an optional module attribute
  next to the service class::

      RESPONSES = {"method_name": (status, SchemaClass or None, "description")}

  A fourth, optional element maps extra problem statuses the method raises
  itself to a description, e.g. ``{409: "the SIREN is already registered"}``.
  Without an entry the success response is ``200 OK`` with any JSON body;
* the problem responses are the ones :class:`~caekit.http.ApiEndpoint` can
  return before the method runs: 401/403 unless public; 400/413/415/422 when the
  endpoint has a body schema; 404 when the path has parameters; 500 always.
  Each is an RFC 9457 ``application/problem+json`` body (the shared ``Problem``
  schema, see :mod:`caekit.problems`).
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from marshmallow import Schema, fields, missing, validate
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from cae_contracts.asyncapi import schema_to_json_schema, to_yaml
from caekit import idempotency
from caekit.http import CORRELATION_HEADER, ApiEndpoint
from caekit.problems import PROBLEM_JSON

OPENAPI_VERSION = "3.1.0"
JSON = "application/json"
SECURITY_SCHEME = "bearerAuth"
PROBLEM_SCHEMA = "Problem"
CORRELATION_PARAMETER = "CorrelationId"
IDEMPOTENCY_PARAMETER = "IdempotencyKey"
SERVER_URL = "http://localhost:8000"
STALE_HINT = "run make openapi"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

HEADER = (
    "# Generated from the {service} service's @api endpoints by "
    "`python -m caekit.openapi --write docs/openapi`.\n"
    "# Do not edit by hand: change the service and run `make openapi`.\n"
)

DESCRIPTION = """\
The HTTP API of the CAE platform's {service} service.

Authentication: every operation except the public ones (health, metrics) needs
`Authorization: Bearer <JWT>` (see the `{scheme}` security scheme). `x-roles`
lists the roles of which the token must hold at least one (none listed: any
authenticated caller).

Tenancy: a `{{cooperative_id}}` in the path must be the token's `coop` claim,
otherwise the answer is 403; only operations marked
`x-allow-network-operator: true` let a `network_operator` token act on any
cooperative (or without a `coop` claim).

Bodies are JSON (`application/json`). Every error is an RFC 9457
`application/problem+json` document (the `Problem` schema): 400 malformed JSON
or not an object, 401 missing or bad token, 403 role or cooperative refused,
404 unknown resource, 405 method not allowed, 409 conflict, 413 body too large,
415 not JSON, 422 invalid fields (`errors` names each one) and 500 unexpected
error (quote its `correlation_id`).

Correlation: send `{header}` to tie a request to your own logs; it is echoed on
every response (a new id is made when absent) and travels with the events the
request causes.
"""

SECURITY_DESCRIPTION = """\
A JWT in `Authorization: Bearer <token>`. Signed with HS256 and a shared secret
in development (`cae token --sub S --roles R --coop C` mints one), with RS256 in
production (the services hold only the public key). Claims:

* `sub` (required): the caller, e.g. a member id or a staff login;
* `coop`: the caller's cooperative id (absent for a network operator);
* `roles`: a list of `entrepreneur`, `staff`, `admin`, `network_operator`, `service`;
* `iss` (required): the issuer, `cae-platform` unless configured otherwise;
* `exp` (required): expiry (seconds since the epoch); `iat` is informative.
"""

PATH_PARAMETER_DESCRIPTIONS = {
    "cooperative_id": (
        "Id of the cooperative (tenant); must be the token's `coop` claim unless the "
        "operation allows a network operator."
    ),
}

_RULE_PARAMETER = re.compile(
    r"<(?:[a-zA-Z_][a-zA-Z0-9_]*(?:\([^)]*\))?:)?([a-zA-Z_][a-zA-Z0-9_]*)>"
)


# --------------------------------------------------------------------------- responses


@dataclass(frozen=True)
class Reply:
    """One documented response of an operation (other than the generic problems)."""

    status: int
    schema: type[Schema] | None
    description: str
    media_type: str = JSON


class HealthCheck(Schema):
    """The result of one readiness check."""

    ok = fields.Boolean(required=True)
    error = fields.String(metadata={"description": "Why the check failed (truncated)."})
    backlog = fields.Integer(metadata={"description": "Outbox rows not yet published."})


class HealthLive(Schema):
    """The process is up."""

    status = fields.String(required=True, validate=validate.OneOf(["ok"]))
    service = fields.String(required=True)


class HealthReady(Schema):
    """Readiness and the result of each check (database, outbox, broker)."""

    status = fields.String(
        required=True, validate=validate.OneOf(["ok", "degraded", "unavailable"])
    )
    service = fields.String(required=True)
    checks = fields.Dict(keys=fields.String(), values=fields.Nested(HealthCheck), required=True)


# the endpoints every ServiceBase has (caekit.service)
KIT_RESPONSES: dict[str, tuple[Reply, ...]] = {
    "health_live": (Reply(200, HealthLive, "The process is up."),),
    "health_ready": (
        Reply(200, HealthReady, "The database answers (`degraded` when the broker does not)."),
        Reply(503, HealthReady, "The database does not answer."),
    ),
    "openapi_document": (Reply(200, None, "The OpenAPI 3.1 document of this service."),),
    "api_docs": (Reply(200, None, "An HTML page showing the document (Swagger UI).",
                       "text/html"),),
    "api_docs_asset": (
        Reply(200, None, "Swagger UI's script.", "application/javascript"),
        Reply(200, None, "Swagger UI's style sheet.", "text/css"),
        Reply(200, None, "The page's icon.", "image/png"),
    ),
    "metrics": (
        Reply(
            200,
            None,
            "Prometheus text exposition of the service's metrics.",
            "text/plain; version=0.0.4; charset=utf-8",
        ),
    ),
}


def problem_json_schema() -> dict[str, Any]:
    """The RFC 9457 body of every error (caekit.problems.problem_response)."""
    return {
        "title": PROBLEM_SCHEMA,
        "type": "object",
        "description": "RFC 9457 problem details, the body of every error.",
        "properties": {
            "type": {
                "description": "URI identifying the kind of problem.",
                "type": "string",
                "format": "uri",
                "examples": ["https://cae-platform.org/problems/invalid-fields"],
            },
            "title": {"description": "Short summary of the kind of problem.", "type": "string"},
            "status": {"description": "The HTTP status code.", "type": "integer"},
            "detail": {"description": "What went wrong with this request.", "type": "string"},
            "instance": {"description": "The request path.", "type": "string"},
            "errors": {
                "description": (
                    "With 422 (and some 409): each invalid field mapped to its messages "
                    "(nested objects for nested fields)."
                ),
                "type": "object",
                "additionalProperties": True,
            },
            "correlation_id": {
                "description": f"The request's correlation id (also the `{CORRELATION_HEADER}` header).",
                "type": "string",
            },
        },
        "required": ["type", "title", "status", "detail", "instance"],
    }


def _replies_of(service_cls: type) -> dict[str, tuple[tuple[Reply, ...], dict[int, str]]]:
    """method name -> (success replies, extra problems) from RESPONSES and the kit defaults.

    An entry is ``(status, schema or None, description[, problems])``, or a tuple of
    :class:`Reply` (several statuses, or one status in several media types), optionally
    ending with the problems mapping."""
    out: dict[str, tuple[tuple[Reply, ...], dict[int, str]]] = {
        name: (replies, {}) for name, replies in KIT_RESPONSES.items()
    }
    module = sys.modules.get(service_cls.__module__)
    for name, spec in (getattr(module, "RESPONSES", None) or {}).items():
        if isinstance(spec, Reply):
            spec = (spec,)
        if isinstance(spec, tuple) and spec and isinstance(spec[0], Reply):
            problems = dict(spec[-1]) if isinstance(spec[-1], dict) else {}
            replies = tuple(r for r in spec if isinstance(r, Reply))
            out[name] = (replies, problems)
            continue
        if not isinstance(spec, tuple) or len(spec) not in (3, 4):
            raise ValueError(
                f"RESPONSES[{name!r}] must be (status, schema or None, description[, problems])"
                " or Reply objects"
            )
        status, schema, description = spec[:3]
        problems = dict(spec[3]) if len(spec) == 4 else {}
        out[name] = ((Reply(int(status), schema, description),), problems)
    return out


# --------------------------------------------------------------------------- schemas


def _nested_schema_classes(cls: type[Schema], seen: dict[str, type[Schema]]) -> None:
    """Add ``cls`` and every schema class nested in it to ``seen`` (by class name)."""
    name = cls.__name__
    if name in seen:
        if seen[name] is not cls:
            raise ValueError(f"two schemas are named {name}: {seen[name]!r} and {cls!r}")
        return
    seen[name] = cls

    def visit(field: fields.Field | None) -> None:
        if field is None:
            return
        if isinstance(field, fields.Nested):
            _nested_schema_classes(type(field.schema), seen)
        elif isinstance(field, fields.List):
            visit(field.inner)
        elif isinstance(field, fields.Mapping):
            visit(field.key_field)
            visit(field.value_field)

    for field in cls().fields.values():
        visit(field)


def _core(node: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """A schema without its description, and whether it was nullable."""
    core = {k: v for k, v in node.items() if k != "description"}
    kind = core.get("type")
    nullable = isinstance(kind, list) and "null" in kind
    if nullable:
        rest = [t for t in kind if t != "null"]
        core["type"] = rest[0] if len(rest) == 1 else rest
    return core, nullable


def _hoist(node: Any, raw: dict[str, dict[str, Any]], top: bool = False) -> Any:
    """Replace inline copies of component schemas with ``$ref`` (nullable ones as ``anyOf``)."""
    if isinstance(node, list):
        return [_hoist(item, raw) for item in node]
    if not isinstance(node, dict):
        return node
    title = node.get("title")
    if not top and isinstance(title, str) and title in raw:
        core, nullable = _core(node)
        if core == _core(raw[title])[0]:
            ref: dict[str, Any] = {"$ref": f"#/components/schemas/{title}"}
            out: dict[str, Any] = {"anyOf": [ref, {"type": "null"}]} if nullable else ref
            description = node.get("description")
            if description and description != raw[title].get("description"):
                out = {"description": description, **out}
            return out
    return {key: _hoist(value, raw) for key, value in node.items()}


def _component_schemas(classes: list[type[Schema]]) -> dict[str, Any]:
    seen: dict[str, type[Schema]] = {}
    for cls in classes:
        _nested_schema_classes(cls, seen)
    if PROBLEM_SCHEMA in seen:
        raise ValueError(f"a schema may not be named {PROBLEM_SCHEMA}: the name is reserved")
    raw = {name: schema_to_json_schema(cls) for name, cls in seen.items()}
    schemas = {name: _hoist(raw[name], raw, top=True) for name in sorted(raw)}
    schemas[PROBLEM_SCHEMA] = problem_json_schema()
    return dict(sorted(schemas.items()))


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


# --------------------------------------------------------------------------- operations


@dataclass(frozen=True)
class _Endpoint:
    method_name: str
    http_method: str
    rule: str
    path: str
    parameters: tuple[str, ...]
    entrypoint: ApiEndpoint
    function: Any


def openapi_path(rule: str) -> tuple[str, tuple[str, ...]]:
    """A werkzeug rule as an OpenAPI path template and its parameter names, in order."""
    names = tuple(_RULE_PARAMETER.findall(rule))
    return _RULE_PARAMETER.sub(lambda m: "{" + m.group(1) + "}", rule), names


def endpoints(service_cls: type) -> list[_Endpoint]:
    """Every ApiEndpoint of the class, sorted by path then HTTP method."""
    found: list[_Endpoint] = []
    for method_name, function in inspect.getmembers(service_cls, inspect.isfunction):
        for entrypoint in getattr(function, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if not isinstance(entrypoint, ApiEndpoint):
                continue
            path, names = openapi_path(entrypoint.url)
            for http_method in entrypoint.method.split(","):
                found.append(
                    _Endpoint(
                        method_name,
                        http_method.strip().lower(),
                        entrypoint.url,
                        path,
                        names,
                        entrypoint,
                        function,
                    )
                )
    found.sort(key=lambda e: (e.path, HTTP_METHODS.index(e.http_method), e.method_name))
    return found


def _problem(description: str, *, unauthorized: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description, "headers": _correlation_header()}
    if unauthorized:
        out["headers"] = {
            "WWW-Authenticate": {
                "description": 'Always `Bearer realm="cae"`.',
                "schema": {"type": "string"},
            },
            **out["headers"],
        }
    out["content"] = {PROBLEM_JSON: {"schema": _ref(PROBLEM_SCHEMA)}}
    return out


def _correlation_header() -> dict[str, Any]:
    return {CORRELATION_HEADER: {"$ref": f"#/components/headers/{CORRELATION_HEADER}"}}


def _forbidden_description(endpoint: _Endpoint) -> str:
    ep = endpoint.entrypoint
    reasons = []
    if ep.roles:
        reasons.append(f"the token has none of the roles {', '.join(sorted(ep.roles))}")
    if "cooperative_id" in endpoint.parameters:
        reasons.append("the token belongs to another cooperative")
    elif not ep.allow_network_operator:
        reasons.append("the token names no cooperative")
    return f"Refused: {'; or '.join(reasons)}." if reasons else "Refused."


def _parameter_description(name: str) -> str:
    if name in PATH_PARAMETER_DESCRIPTIONS:
        return PATH_PARAMETER_DESCRIPTIONS[name]
    if name.endswith("_id"):
        return f"Id of the {name[:-3].replace('_', ' ')}."
    return f"The `{name}` path segment."


def _content(reply: Reply) -> dict[str, Any]:
    if reply.schema is not None:
        return {"schema": _ref(reply.schema.__name__)}
    if reply.media_type == JSON:
        return {"schema": {}}
    if reply.media_type in ("application/pdf", "image/png"):
        return {"schema": {"type": "string", "format": "binary"}}
    return {"schema": {"type": "string"}}


def _success(replies: list[Reply]) -> dict[str, Any]:
    """One response object for the replies sharing a status (one content type each)."""
    out: dict[str, Any] = {"description": " ".join(dict.fromkeys(r.description for r in replies)),
                           "headers": _correlation_header()}
    if replies[0].status == 204:
        return out
    out["content"] = {reply.media_type: _content(reply) for reply in replies}
    return out


def _query_parameters(query: type[Schema]) -> list[dict[str, Any]]:
    """The ``in: query`` parameters of a query schema, with their types and ranges."""
    described = schema_to_json_schema(query)
    required = set(described.get("required", ()))
    by_name = {f.data_key or f.name: f for f in query().fields.values()}
    out = []
    for name, node in described["properties"].items():
        node = dict(node)
        description = node.pop("description", None) or f"The `{name}` parameter."
        field = by_name[name]
        if field.load_default not in (None, missing) and not callable(field.load_default):
            node.setdefault("default", field.load_default)
        out.append({"name": name, "in": "query", "required": name in required,
                    "description": description, "schema": node})
    return out


def _operation(
    endpoint: _Endpoint,
    service: str,
    replies: tuple[Reply, ...],
    extra_problems: dict[int, str],
    operation_id: str,
) -> dict[str, Any]:
    ep = endpoint.entrypoint
    # the summary is the docstring's first paragraph (its first line when it follows PEP 257)
    doc = inspect.getdoc(endpoint.function) or ""
    summary, _, rest = doc.partition("\n\n")
    summary = " ".join(summary.split())
    op: dict[str, Any] = {"operationId": operation_id}
    if summary.strip():
        op["summary"] = summary.strip()
    access = (
        "Public: no token needed."
        if ep.public
        else (f"Roles: {', '.join(sorted(ep.roles))}." if ep.roles else "Any authenticated caller.")
    )
    if not ep.public and ep.allow_network_operator:
        access += " A network operator may call it for any cooperative."
    op["description"] = "\n\n".join(part for part in (rest.strip(), access) if part)
    op["tags"] = [service]
    op["security"] = [] if ep.public else [{SECURITY_SCHEME: []}]
    op["x-roles"] = sorted(ep.roles)
    if not ep.public:
        op["x-allow-network-operator"] = bool(ep.allow_network_operator)
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": _parameter_description(name),
            "schema": {"type": "string"},
        }
        for name in endpoint.parameters
    ]
    if ep.query is not None:
        parameters.extend(_query_parameters(ep.query))
    parameters.append({"$ref": f"#/components/parameters/{CORRELATION_PARAMETER}"})
    if endpoint.http_method.upper() in idempotency.WRITES and not ep.public and not ep.unrecorded:
        if ep.idempotency_required:  # the shared parameter is optional; this one is not
            parameters.append({**_idempotency_parameter(), "required": True, "description":
                               "Required (428 without). " + _idempotency_parameter()["description"]})
        else:
            parameters.append({"$ref": f"#/components/parameters/{IDEMPOTENCY_PARAMETER}"})
    op["parameters"] = parameters
    if ep.schema is not None:
        op["requestBody"] = {
            "required": True,
            "content": {JSON: {"schema": _ref(ep.schema.__name__)}},
        }
    by_status: dict[int, list[Reply]] = {}
    for reply in replies:
        by_status.setdefault(reply.status, []).append(reply)
    responses: dict[str, Any] = {str(status): _success(group) for status, group in by_status.items()}
    problems: dict[int, dict[str, Any]] = {}
    if ep.query is not None:
        problems[422] = _problem("Some fields or query parameters are invalid; `errors` names "
                                 "each one.")
    if ep.schema is not None:
        problems[400] = _problem("The body is not valid JSON or not a JSON object.")
        problems[413] = _problem("The body is larger than the limit (CAE_MAX_BODY_BYTES).")
        problems[415] = _problem("The body is not `application/json` (or a `+json` type).")
        problems[422] = _problem("Some fields are invalid; `errors` names each one."
                                 if ep.query is None else "Some fields or query parameters are "
                                 "invalid; `errors` names each one.")
    if not ep.public:
        problems[401] = _problem(
            "No bearer token, or an invalid or expired one.", unauthorized=True
        )
        problems[403] = _problem(_forbidden_description(endpoint))
    if endpoint.parameters:
        problems[404] = _problem("No such resource.")
    if endpoint.http_method.upper() in idempotency.WRITES and not ep.public:
        problems[409] = _problem(f"This {idempotency.HEADER} was used for another request."
                                 if not ep.unrecorded else "Conflicts with what is recorded.")
    if ep.unrecorded:
        problems[400] = _problem((problems.get(400, {"description": ""})["description"] + " An "
                                  f"{idempotency.HEADER} was sent: this operation keeps no "
                                  "record of its requests.").strip())
    if ep.idempotency_required:
        problems[428] = _problem(f"No {idempotency.HEADER} header: this write requires one.")
    if ep.schema is not None:
        problems[411] = _problem("A chunked body: send it with a Content-Length.")
    for status, description in sorted(extra_problems.items()):
        if int(status) in problems:
            description = f"{problems[int(status)]['description']} {description}"
        problems[int(status)] = _problem(description)
    problems[500] = _problem("Unexpected error; quote the `correlation_id`.")
    if not ep.public:
        problems.setdefault(503, _problem("The service's database is unavailable; retry later."))
    for status in sorted(problems):
        responses.setdefault(str(status), problems[status])
    op["responses"] = dict(sorted(responses.items()))
    return op


# --------------------------------------------------------------------------- document


def _version(service: str) -> str:
    for distribution in (f"cae-{service}", "caekit"):
        try:
            return metadata.version(distribution)
        except metadata.PackageNotFoundError:
            continue
    return "0.0.0"  # pragma: no cover - source checkout without install


def document(service_cls: type) -> dict[str, Any]:
    """The OpenAPI 3.1.0 document of a service class, as plain (deterministic) data."""
    service = service_cls.name
    replies_by_method = _replies_of(service_cls)
    found = endpoints(service_cls)
    multi = {e.method_name for e in found if "," in e.entrypoint.method}
    paths: dict[str, dict[str, Any]] = {}
    schema_classes: list[type[Schema]] = []
    for endpoint in found:
        replies, extra = replies_by_method.get(
            endpoint.method_name, ((Reply(200, None, "OK"),), {})
        )
        operation_id = (
            f"{endpoint.method_name}_{endpoint.http_method}"
            if endpoint.method_name in multi
            else endpoint.method_name
        )
        item = paths.setdefault(endpoint.path, {})
        if endpoint.http_method in item:
            raise ValueError(
                f"{service}: {endpoint.http_method.upper()} {endpoint.path} is declared twice"
            )
        item[endpoint.http_method] = _operation(endpoint, service, replies, extra, operation_id)
        if endpoint.entrypoint.schema is not None:
            schema_classes.append(endpoint.entrypoint.schema)
        schema_classes.extend(r.schema for r in replies if r.schema is not None)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": f"CAE {service} service",
            "version": _version(service),
            "description": DESCRIPTION.format(
                service=service, scheme=SECURITY_SCHEME, header=CORRELATION_HEADER
            ),
        },
        "servers": [
            {
                "url": SERVER_URL,
                "description": (
                    f"Placeholder: a local `cae run {service}` (CAE_HTTP_PORT, default 8000); "
                    "use your deployment's URL."
                ),
            }
        ],
        "security": [{SECURITY_SCHEME: []}],
        "tags": [{"name": service, "description": f"Endpoints of the {service} service."}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": _component_schemas(schema_classes),
            "parameters": {
                CORRELATION_PARAMETER: {
                    "name": CORRELATION_HEADER,
                    "in": "header",
                    "required": False,
                    "description": "Your id for this request: 1 to 128 of A-Z a-z 0-9 . _ : - "
                                   "(any other value is replaced by a new id, not refused).",
                    "schema": {"type": "string"},
                },
                IDEMPOTENCY_PARAMETER: _idempotency_parameter(),
            },
            "headers": {
                CORRELATION_HEADER: {
                    "description": "The request's correlation id (yours, or a new one).",
                    "schema": {"type": "string"},
                }
            },
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": SECURITY_DESCRIPTION,
                }
            },
        },
    }


def render(document_: dict[str, Any], service: str) -> str:
    """A document as YAML text (with a do-not-edit header)."""
    return HEADER.format(service=service) + to_yaml(document_)


def built_services() -> dict[str, type]:
    """service name -> service class, for every service of caekit.cli.SERVICES installed here."""
    from caekit.cli import SERVICES, load_service

    found = {}
    for name in SERVICES:
        try:
            found[name] = load_service(name)
        except ModuleNotFoundError as exc:
            if exc.name not in (f"cae_{name}", f"cae_{name}.entrypoints",
                                f"cae_{name}.entrypoints.service"):
                raise  # the service exists but one of its own imports is missing
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m caekit.openapi",
        description="Generate the OpenAPI 3.1.0 document of every built service.",
    )
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument(
        "--write", metavar="DIR", type=Path, help="write DIR/<service>.yaml for every service"
    )
    group.add_argument(
        "--check",
        metavar="DIR",
        type=Path,
        help="exit 1 if a DIR/<service>.yaml differs from the generated document",
    )
    args = parser.parse_args(argv)
    services = built_services()
    if args.write:
        args.write.mkdir(parents=True, exist_ok=True)
        for name, cls in services.items():
            path = args.write / f"{name}.yaml"
            path.write_text(render(document(cls), name), encoding="utf-8")
            print(f"wrote {path}")
        return 0
    failed = False
    for name, cls in services.items():
        path = args.check / f"{name}.yaml"
        if not path.exists():
            print(f"{path} is missing: {STALE_HINT}", file=sys.stderr)
            failed = True
        elif path.read_text(encoding="utf-8") != render(document(cls), name):
            print(f"{path} is stale: {STALE_HINT}", file=sys.stderr)
            failed = True
    if failed:
        return 1
    print(f"{args.check}: {', '.join(f'{n}.yaml' for n in services)} up to date")
    return 0


def _idempotency_parameter() -> dict:
    return {
        "name": idempotency.HEADER,
        "in": "header",
        "required": False,
        "description": "Your key for this write. The same request again with the same key gets "
                       "the first response back (`Idempotent-Replayed: true`) and writes "
                       "nothing; another request with it is a 409.",
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,200}$"},
    }


if __name__ == "__main__":
    # run as the module (`python -m`), so that the services' Reply objects are this module's
    from caekit.openapi import main as _main

    sys.exit(_main())

