"""A service's refusal as the portal carries it from the HTTP adapter to the pages
(standard library only: the adapters below the use cases raise it)."""

from __future__ import annotations


class ServiceError(Exception):
    """A service refused or failed a call: its status, its problem details (RFC 9457) and
    the fields it names (``errors``: field -> messages), with the rule code when a rule
    refused it."""

    def __init__(self, status: int, detail: str = "", errors: dict | None = None,
                 rule: str | None = None, service: str = "") -> None:
        super().__init__(f"{service} {status}: {detail}")
        self.status = status
        self.detail = detail
        self.errors = errors or {}
        self.rule = rule
        self.service = service


class Unavailable(ServiceError):
    """A service did not answer (down, timed out): the page says so, it is not a 500."""
