"""The services as the use cases see them: a protocol the HTTP adapter implements (and a
fake in the unit tests), and the refusals a service answers with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from cae_portal.domain.refusals import ServiceError, Unavailable

__all__ = ["FieldErrors", "Gateway", "ServiceError", "Unavailable", "Viewer"]


@dataclass(frozen=True)
class Viewer:
    """The signed-in person as the portal knows them (from the token and members)."""

    subject: str
    cooperative_id: str | None
    roles: frozenset[str]
    name: str = ""
    activity_code: str | None = None
    cooperative_name: str = ""

    @property
    def is_entrepreneur(self) -> bool:
        return "entrepreneur" in self.roles


class Gateway(Protocol):
    """The services' HTTP APIs with the signed-in person's token. Every method returns the
    service's JSON (or bytes for a document) or raises ``ServiceError``."""

    def gather(self, calls: dict[str, Callable[[], Any]]) -> dict[str, Any]:
        """Run independent calls at once; their results by name (the first error raised)."""

    def member(self, coop: str, member_id: str) -> dict: ...
    def contracts(self, coop: str, member_id: str) -> list[dict]: ...
    def cooperative(self, coop: str) -> dict: ...
    def cooperatives(self) -> list[dict]: ...
    def members(self, coop: str) -> list[dict]: ...
    def balance(self, coop: str, code: str) -> dict: ...
    def entries(self, coop: str, code: str) -> list[dict]: ...
    def treasury_statement(self, coop: str, code: str, to: str | None) -> dict: ...
    def income_statement(self, coop: str, code: str, year: int) -> dict: ...
    def simulation(self, coop: str, member_id: str, period: str,
                   gross_cents: int | None) -> dict: ...
    def choose_salary(self, coop: str, member_id: str, period: str, gross_cents: int,
                      idempotency_key: str) -> dict: ...
    def payslips(self, coop: str, member_id: str) -> list[dict]: ...
    def payslip(self, coop: str, payslip_id: str) -> dict: ...
    def payslip_document(self, coop: str, payslip_id: str, fmt: str) -> bytes: ...


@dataclass
class FieldErrors(Exception):
    """A form refused: each field (the form's names) with its messages, for the page to show
    next to it. ``codes`` keeps the rule codes, ``figures`` the amounts a message names."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)
    figures: dict[str, int] = field(default_factory=dict)
