"""The HTTP entrypoint of every service: authentication, tenancy, body parsing, problems.

``@api(method, url, roles=..., schema=...)`` checks, before any worker runs and
in this order: the bearer token (401), the caller's roles (403), that a
``<cooperative_id>`` in the URL is the caller's own cooperative (403); with
``query=QuerySchema``, the query string (422 naming each bad, unknown or
repeated parameter; the method gets the loaded values as ``query``); then, on
an endpoint with a body schema, the body size (413), its media type (415), that
it is a JSON object (400) and that it loads with the marshmallow schema (422
naming each bad field). The service method then gets the loaded body as
``body`` and the request context (tenant, caller, correlation id) is bound.
Every error is an RFC 9457 problem+json; an unexpected exception is a 500
problem that carries the correlation id and no internals.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from functools import partial

from eventlet.event import Event
from marshmallow import ValidationError
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from caekit import auth, context, idempotency, metrics
from caekit.config import check_token_settings, settings_of
from caekit.db import CrossTenantWrite
from caekit.problems import (
    BadRequest,
    Conflict,
    Forbidden,
    LengthRequired,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    PreconditionRequired,
    Problem,
    Unauthorized,
    Unprocessable,
    UnsupportedMediaType,
    problem_response,
)
from caekit.rules import ConflictingState, RuleViolation, UnknownRecord

logger = logging.getLogger("caekit.http")

CORRELATION_HEADER = "X-Correlation-ID"
CORRELATION_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class _ProblemWsgiApp(WsgiApp):
    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
            request.path_values = values
            rv = provider.handle_request(request)
        except HTTPException as exc:
            problem = (
                MethodNotAllowed(f"{request.method} is not allowed on {request.path}")
                if exc.code == 405
                else NotFound(f"no resource at {request.path}")
                if exc.code == 404
                else Problem(exc.description or str(exc), status=exc.code or 400)
            )
            rv = problem_response(problem, instance=request.path)
            if exc.code == 405 and getattr(exc, "valid_methods", None):
                rv.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
        return rv(environ, start_response)


class ApiServer(WebServer):
    def get_wsgi_app(self):
        return _ProblemWsgiApp(self)


class ApiEndpoint(HttpRequestHandler):
    server = ApiServer()

    def __init__(self, method, url, *, roles=None, schema=None, query=None, public=False,
                 allow_network_operator=False, idempotency_required=False, unrecorded=False,
                 **kwargs):
        self.roles = frozenset(roles or ())
        self.schema = schema
        self.query = query
        self.public = public
        self.allow_network_operator = allow_network_operator
        self.idempotency_required = idempotency_required
        # unrecorded: nothing of the request or its response is kept (a secret ballot's
        # receipt and choice); an Idempotency-Key is refused, the operation's own rule
        # answers a retry
        self.unrecorded = unrecorded
        kwargs.setdefault("expected_exceptions",
                          (Problem, RuleViolation, ValidationError, CrossTenantWrite))
        super().__init__(method, url, **kwargs)

    def setup(self):
        super().setup()
        self.settings = settings_of(self.container)
        check_token_settings(self.settings)  # refuse to start rather than 500 every request

    def handle_request(self, request):
        request.shallow = False
        started = time.perf_counter()
        correlation = request.headers.get(CORRELATION_HEADER, "")
        if not CORRELATION_ID.fullmatch(correlation):
            correlation = uuid.uuid4().hex  # absent, or unsafe to echo and log
        try:
            kwargs = dict(request.path_values)
            context_data = self._authorize(request, kwargs, correlation)
            if self.query is not None:
                kwargs["query"] = self._load_query(request)
            if self.schema is not None:
                kwargs["body"] = self._load_body(request)
            replay = self._idempotent(request, context_data)
            if replay is not None:
                response = replay
            else:
                event = Event()
                self.container.spawn_worker(
                    self, (request,), kwargs, context_data=context_data,
                    handle_result=partial(self.handle_result, event),
                )
                result = event.wait()
                response = self.response_from_result(result)
                self._remember(request, response)
        except Exception as exc:  # noqa: BLE001 - every error becomes a problem
            response = self._problem(exc, request, correlation)
        response.headers[CORRELATION_HEADER] = correlation
        metrics.HTTP_REQUESTS.labels(
            self.container.service_name, self.method_name, request.method, str(response.status_code)
        ).inc()
        if response.status_code >= 500 or time.perf_counter() - started > 1.0:
            logger.info("%s %s -> %s", request.method, request.path, response.status_code)
        return response

    # -- checks before any worker runs ---------------------------------------
    def _authorize(self, request, kwargs, correlation) -> dict:
        if self.public:
            return {context.CTX_CORRELATION: correlation}
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("send a bearer token: Authorization: Bearer <JWT>")
        caller = auth.verify(token.strip(), self.settings)
        if self.roles and not caller.has_any(self.roles):
            raise Forbidden(
                f"this operation needs one of the roles {', '.join(sorted(self.roles))}; "
                f"the token has {', '.join(sorted(caller.roles)) or 'none'}"
            )
        tenant = caller.cooperative_id
        if "cooperative_id" in kwargs:
            wanted = str(kwargs["cooperative_id"])
            operator_ok = self.allow_network_operator and caller.is_network_operator
            if wanted != caller.cooperative_id and not operator_ok:
                raise Forbidden("the token does not belong to this cooperative")
            tenant = wanted
        elif caller.cooperative_id is None and not (
            self.allow_network_operator and caller.is_network_operator
        ):
            raise Forbidden("the token names no cooperative")
        return {
            context.CTX_CORRELATION: correlation,
            context.CTX_TENANT: tenant,
            context.CTX_CALLER: caller.subject,
            context.CTX_ROLES: ",".join(sorted(caller.roles)),
        }

    def _load_body(self, request):
        limit = self.settings.max_body_bytes
        if request.content_length is None and "chunked" in request.headers.get(
                "Transfer-Encoding", "").lower():
            raise LengthRequired("send the body with a Content-Length (chunked bodies are not read)")
        if request.content_length is not None and request.content_length > limit:
            raise PayloadTooLarge(f"the body has {request.content_length} bytes; the limit is {limit}")
        raw = request.stream.read(limit + 1)
        if len(raw) > limit:
            raise PayloadTooLarge(f"the body is larger than the limit of {limit} bytes")
        request.cae_raw_body = raw
        mimetype = request.mimetype or ""
        if mimetype and mimetype != "application/json" and not mimetype.endswith("+json"):
            raise UnsupportedMediaType(f"send application/json, not {mimetype}")
        try:
            data = json.loads(raw.decode("utf-8"))
            # lone surrogates parse, but no database can store them
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except (ValueError, RecursionError) as exc:  # also UnicodeError, JSONDecodeError
            raise BadRequest(f"the body is not valid JSON: {str(exc)[:200]}") from exc
        if not isinstance(data, dict):
            raise BadRequest("the body must be a JSON object")
        try:
            return self.schema().load(data)
        except ValidationError as exc:
            raise Unprocessable("some fields are invalid", errors=exc.messages) from exc

    def _load_query(self, request):
        repeated = {name: ["give this parameter once"]
                    for name, values in request.args.lists() if len(values) > 1}
        if repeated:
            raise Unprocessable("some query parameters are invalid", errors=repeated)
        try:
            return self.query().load(request.args.to_dict(flat=True))
        except ValidationError as exc:
            raise Unprocessable("some query parameters are invalid", errors=exc.messages) from exc

    # -- idempotency keys (caekit.idempotency) -----------------------------------
    def _idempotent(self, request, context_data):
        """A recorded response to replay, or None to run the request (reserving its key)."""
        key = request.headers.get(idempotency.HEADER)
        if key is not None and self.unrecorded:
            raise BadRequest(f"this operation keeps no record of its requests: send it without "
                             f"{idempotency.HEADER} (a retry is answered by its own rule)")
        if key is None and self.idempotency_required and request.method in idempotency.WRITES:
            raise PreconditionRequired(f"this write needs an {idempotency.HEADER} header")
        if key is None or request.method not in idempotency.WRITES or self.public:
            return None
        if not idempotency.KEY.fullmatch(key):
            raise BadRequest(f"{idempotency.HEADER} is 1 to 200 of A-Z a-z 0-9 . _ : -")
        caller = idempotency.scope(context_data.get(context.CTX_TENANT),
                                   context_data[context.CTX_CALLER])
        digest = idempotency.request_hash(request.method, request.path,
                                          getattr(request, "cae_raw_body", b""))
        found = idempotency.lookup(self._sessions(), caller, key)
        if found is None:
            request.cae_idempotency = (caller, key, digest)
            return None
        if found.request_hash != digest:
            raise Conflict(f"this {idempotency.HEADER} was used for another request")
        if found.status is None:
            raise Conflict(f"a request with this {idempotency.HEADER} was processed but its "
                           "response was not recorded; check the resource before retrying")
        return Response(found.response, status=found.status, mimetype=found.content_type,
                        headers={"Idempotent-Replayed": "true"})

    def _remember(self, request, response) -> None:
        reservation = getattr(request, "cae_idempotency", None)
        if reservation is not None and response.status_code < 400:
            caller, key, _ = reservation
            idempotency.record(self._sessions(), caller, key, response.status_code,
                               response.mimetype, response.get_data(as_text=True))

    def _sessions(self):
        from caekit.dependencies import Database

        return next(d for d in self.container.dependencies
                    if isinstance(d, Database)).session_factory

    # -- results and errors ---------------------------------------------------
    def response_from_result(self, result):
        if isinstance(result, Response):
            return result
        status, headers, payload = 200, None, result
        if isinstance(result, tuple):
            if len(result) == 3:
                status, headers, payload = result
            else:
                status, payload = result
        if isinstance(payload, str):
            return Response(payload, status=status, headers=headers)
        return Response(json.dumps(payload, default=str), status=status, headers=headers,
                        mimetype="application/json")

    def _problem(self, exc, request, correlation):
        if isinstance(exc, Problem):
            problem = exc
        elif isinstance(exc, ValidationError):
            problem = Unprocessable("some fields are invalid", errors=exc.messages)
        elif isinstance(exc, RuleViolation):
            problem = problem_of_refusal(exc)
        elif isinstance(exc, CrossTenantWrite):
            problem = Forbidden("that record belongs to another cooperative")
        elif isinstance(exc, DataError):
            problem = Unprocessable("a value does not fit its field (too long, or out of range)")
        elif isinstance(exc, IntegrityError):
            problem = Conflict("the request conflicts with the current state (a concurrent "
                               "request may have created the same record)")
        elif isinstance(exc, OperationalError | InterfaceError):
            logger.error("database unavailable on %s %s: %s", request.method, request.path, exc)
            problem = Problem("the service's database is unavailable; retry later", status=503)
            problem.title, problem.slug = "Service unavailable", "unavailable"
        else:
            logger.error("unexpected error on %s %s", request.method, request.path,
                         exc_info=(type(exc), exc, exc.__traceback__))
            problem = Problem("an unexpected error occurred; quote the correlation id", status=500)
            problem.title, problem.slug = "Internal error", "internal-error"
        return problem_response(problem, instance=request.path, correlation_id=correlation)


def problem_of_refusal(refusal: RuleViolation) -> Problem:
    """A domain rule's refusal as a problem: 404 for a record the cooperative does not
    have, 409 for a conflict with what is recorded, 422 for any other rule; ``errors``
    names the rule and each field it is about."""
    kind = (NotFound if isinstance(refusal, UnknownRecord)
            else Conflict if isinstance(refusal, ConflictingState) else Unprocessable)
    errors = {"rule": [refusal.rule], **{name: [text] for name, text in refusal.fields.items()}}
    return kind(refusal.message, errors=errors)


api = ApiEndpoint.decorator
