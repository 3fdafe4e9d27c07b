"""Who is calling, for which cooperative, under which correlation id.

The values live in context variables, set by the entrypoint that starts the
work (an HTTP request, an event) and read by the outbox, the logs and the
database session's tenant filter. nameko's context data carries them on RPC
calls and the CloudEvents extensions carry them on events.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field

ROLES = ("entrepreneur", "staff", "admin", "network_operator", "service")

# keys in nameko context data (carried as ``nameko.<key>`` AMQP headers on RPC)
CTX_CORRELATION = "correlation_id"
CTX_TENANT = "cae_tenant"
CTX_CALLER = "cae_caller"
CTX_ROLES = "cae_roles"


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: a person, an operator or a service."""

    subject: str
    cooperative_id: str | None
    roles: frozenset[str] = field(default_factory=frozenset)

    def has_any(self, roles) -> bool:
        return bool(self.roles & set(roles))

    @property
    def is_network_operator(self) -> bool:
        return "network_operator" in self.roles


SYSTEM = Caller(subject="system", cooperative_id=None, roles=frozenset({"service"}))

correlation_id: ContextVar[str | None] = ContextVar("cae_correlation_id", default=None)
tenant_id: ContextVar[str | None] = ContextVar("cae_tenant_id", default=None)
caller: ContextVar[Caller] = ContextVar("cae_caller", default=SYSTEM)
causation_id: ContextVar[str | None] = ContextVar("cae_causation_id", default=None)


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def bind(*, tenant: str | None, who: Caller, correlation: str | None, causation: str | None = None):
    """Set the context for the current green thread; returns tokens for ``unbind``."""
    return (
        tenant_id.set(tenant),
        caller.set(who),
        correlation_id.set(correlation or new_correlation_id()),
        causation_id.set(causation),
    )


def unbind(tokens) -> None:
    for var, token in zip((tenant_id, caller, correlation_id, causation_id), tokens, strict=True):
        var.reset(token)


def as_context_data() -> dict:
    """The current context as nameko context data (propagated on RPC calls)."""
    who = caller.get()
    return {
        CTX_CORRELATION: correlation_id.get(),
        CTX_TENANT: tenant_id.get(),
        CTX_CALLER: who.subject,
        CTX_ROLES: ",".join(sorted(who.roles)),
    }


def from_context_data(data: dict) -> tuple[str | None, Caller, str | None]:
    """Tenant, caller and correlation id out of nameko context data."""
    roles = frozenset(r for r in (data.get(CTX_ROLES) or "").split(",") if r)
    tenant = data.get(CTX_TENANT)
    who = Caller(subject=data.get(CTX_CALLER) or "system", cooperative_id=tenant, roles=roles)
    return tenant, who, data.get(CTX_CORRELATION)
