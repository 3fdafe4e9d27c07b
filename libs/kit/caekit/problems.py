"""RFC 9457 problem details: every HTTP error the platform returns."""

from __future__ import annotations

import json

from werkzeug.wrappers import Response

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """An error meant for the client; raise a subclass from a service method."""

    status = 400
    title = "Bad request"
    slug = "bad-request"

    def __init__(self, detail: str, *, errors: dict | None = None, status: int | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        if status is not None:
            self.status = status


class BadRequest(Problem):
    status, title, slug = 400, "Bad request", "bad-request"


class Unauthorized(Problem):
    status, title, slug = 401, "Authentication required", "unauthorized"


class Forbidden(Problem):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(Problem):
    status, title, slug = 404, "Not found", "not-found"


class MethodNotAllowed(Problem):
    status, title, slug = 405, "Method not allowed", "method-not-allowed"


class Conflict(Problem):
    status, title, slug = 409, "Conflict", "conflict"


class LengthRequired(Problem):
    status, title, slug = 411, "Length required", "length-required"


class PayloadTooLarge(Problem):
    status, title, slug = 413, "Payload too large", "payload-too-large"


class UnsupportedMediaType(Problem):
    status, title, slug = 415, "Unsupported media type", "unsupported-media-type"


class PreconditionRequired(Problem):
    status, title, slug = 428, "Precondition required", "precondition-required"


class Unprocessable(Problem):
    status, title, slug = 422, "Invalid fields", "invalid-fields"


def problem_response(problem: Problem, *, instance: str = "", correlation_id: str | None = None,
                     headers: dict | None = None) -> Response:
    body = {
        "type": f"https://cae-platform.org/problems/{problem.slug}",
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "instance": instance,
    }
    if problem.errors:
        body["errors"] = problem.errors
    if correlation_id:
        body["correlation_id"] = correlation_id
    response = Response(json.dumps(body), status=problem.status, mimetype=PROBLEM_JSON,
                        headers=headers)
    if problem.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="cae"'
    return response
